import { Type, type Static } from '@sinclair/typebox'

// The shapes of the seed file and of the persisted state. The seed may hold
// plain passwords for mobile workers (a fixture convenience); the state only
// ever holds their hashes.

const Id = Type.String({ minLength: 1, maxLength: 200 })
const DomainName = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' })

export const ApiKeySchema = Type.Object({
  key: Type.String({ minLength: 1 }),
  /** The one domain the key works on, or null for every domain of its user. */
  domain: Type.Union([DomainName, Type.Null()]),
  /** HQ's `is_active`: an inactive key is refused with 401. */
  active: Type.Boolean(),
  /** A role name of the key's domain: the key then grants only that role's permissions. */
  role: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Null()])),
  /** ISO date or date-time (UTC); the key is refused (401) once it has passed. */
  expiration_date: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Null()])),
  /** Client IPs the key may be used from; empty or absent allows every address. */
  ip_allowlist: Type.Optional(Type.Array(Type.String({ minLength: 1 })))
}, { additionalProperties: false })
export type ApiKey = Static<typeof ApiKeySchema>

export const TokenSchema = Type.Object({
  token: Type.String({ minLength: 1 }),
  domain: Type.Union([DomainName, Type.Null()])
}, { additionalProperties: false })

export const WebUserSchema = Type.Object({
  id: Id,
  username: Type.String({ minLength: 1 }),
  password: Type.String(),
  first_name: Type.String(),
  last_name: Type.String(),
  email: Type.String(),
  api_keys: Type.Array(ApiKeySchema),
  tokens: Type.Array(TokenSchema),
  /** The account's `is_active` (default true): an inactive account is refused with 401 everywhere. */
  is_active: Type.Optional(Type.Boolean()),
  /** Feature-flag slugs enabled for this user (HQ's per-user toggles; see `user_domains`). */
  toggles: Type.Optional(Type.Array(Type.String({ minLength: 1 })))
}, { additionalProperties: false })
export type WebUser = Static<typeof WebUserSchema>

export const MemberSchema = Type.Object({
  username: Type.String({ minLength: 1 }),
  /** Permissions granted directly, on top of the role's (the 0.1 seed format; still honoured). */
  permissions: Type.Optional(Type.Array(Type.String())),
  /** The member's role in this domain, by name. */
  role: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Null()])),
  /** A domain admin has every permission and the role name "Admin". */
  is_admin: Type.Optional(Type.Boolean()),
  /** The membership's `is_active` (default true): a deactivated member gets 403 on this domain. */
  is_active: Type.Optional(Type.Boolean()),
  /** The web user's primary location in this domain (one of `assigned_location_ids`). */
  primary_location_id: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Null()])),
  /** The web user's locations in this domain, in assignment order. */
  assigned_location_ids: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  /** The name of the web user's profile in this domain. */
  profile: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Null()])),
  /** The web user's own custom user data in this domain. */
  user_data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  /** The Tableau role, or null (HQ: no Tableau user). */
  tableau_role: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Null()])),
  /** Tableau group names. */
  tableau_groups: Type.Optional(Type.Array(Type.String({ minLength: 1 })))
}, { additionalProperties: false })
export type Member = Static<typeof MemberSchema>

/** An invitation to join a domain as a web user (HQ's `Invitation`). */
export const InvitationSchema = Type.Object({
  /** HQ's invitation UUID. */
  id: Type.String({ minLength: 1, maxLength: 200 }),
  /** The invitee's address, lower-cased. */
  email: Type.String({ minLength: 1 }),
  /** The invited role's name, or "Admin" for a domain admin. */
  role: Type.String({ minLength: 1 }),
  primary_location_id: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
  assigned_location_ids: Type.Array(Type.String({ minLength: 1 })),
  /** A profile name of the domain, or null. */
  profile: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
  user_data: Type.Record(Type.String(), Type.Unknown()),
  tableau_role: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
  tableau_groups: Type.Array(Type.String({ minLength: 1 })),
  /** Username of the web user who sent it. */
  invited_by: Type.String(),
  /** ISO 8601 UTC. */
  invited_on: Type.String({ minLength: 1 }),
  /** Pending until accepted (through the test-control API). */
  status: Type.Union([Type.Literal('pending'), Type.Literal('accepted')]),
  accepted_on: Type.Optional(Type.String({ minLength: 1 }))
}, { additionalProperties: false })
export type Invitation = Static<typeof InvitationSchema>

export const ProfileSchema = Type.Object({
  id: Type.Integer({ minimum: 1 }),
  name: Type.String(),
  fields: Type.Record(Type.String(), Type.String())
}, { additionalProperties: false })
export type Profile = Static<typeof ProfileSchema>

export const RoleSchema = Type.Object({
  id: Id,
  name: Type.String({ minLength: 1 }),
  /** HqPermissions that are true for this role (e.g. edit_commcare_users, access_api). */
  permissions: Type.Optional(Type.Array(Type.String({ minLength: 1 })))
}, { additionalProperties: false })
export type Role = Static<typeof RoleSchema>

export const LocationTypeSchema = Type.Object({
  /** HQ's integer primary key. */
  id: Type.Integer({ minimum: 1 }),
  code: Type.String({ minLength: 1 }),
  name: Type.String({ minLength: 1 }),
  /** The parent type's code, or null at the top. */
  parent: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
  administrative: Type.Boolean(),
  shares_cases: Type.Boolean(),
  view_descendants: Type.Boolean()
}, { additionalProperties: false })
export type LocationType = Static<typeof LocationTypeSchema>

/** A custom location field (HQ's `CustomDataFieldsDefinition` for locations): what location writes validate. */
export const LocationFieldSchema = Type.Object({
  slug: Type.String({ minLength: 1 }),
  /** Shown in the validation messages; default: the slug. */
  label: Type.Optional(Type.String({ minLength: 1 })),
  is_required: Type.Optional(Type.Boolean()),
  /** When not empty, a value must be one of these. */
  choices: Type.Optional(Type.Array(Type.String())),
  /** When set, a value must match it (searched, as Python's `re.search`). */
  regex: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Null()]))
}, { additionalProperties: false })
export type LocationField = Static<typeof LocationFieldSchema>

export const LocationSchema = Type.Object({
  id: Id,
  name: Type.String(),
  site_code: Type.String(),
  location_type: Type.String(),
  parent: Type.Union([Id, Type.Null()]),
  latitude: Type.Union([Type.String(), Type.Null()]),
  longitude: Type.Union([Type.String(), Type.Null()]),
  external_id: Type.Union([Type.String(), Type.Null()]),
  location_data: Type.Record(Type.String(), Type.Unknown()),
  created_at: Type.String(),
  last_modified: Type.String(),
  /** Archived locations never appear in HQ's API. */
  is_archived: Type.Optional(Type.Boolean())
}, { additionalProperties: false })
export type Location = Static<typeof LocationSchema>

export const GroupSchema = Type.Object({
  id: Id,
  name: Type.String(),
  case_sharing: Type.Boolean(),
  reporting: Type.Boolean(),
  metadata: Type.Record(Type.String(), Type.Unknown()),
  users: Type.Array(Id)
}, { additionalProperties: false })
export type Group = Static<typeof GroupSchema>

const userFields = {
  id: Id,
  username: Type.String({ minLength: 1 }),
  first_name: Type.String(),
  last_name: Type.String(),
  email: Type.String(),
  /** The language code, or null when never set. */
  language: Type.Union([Type.String(), Type.Null()]),
  phone_numbers: Type.Array(Type.String()),
  groups: Type.Array(Id),
  locations: Type.Array(Id),
  primary_location: Type.Union([Id, Type.Null()]),
  user_data: Type.Record(Type.String(), Type.Unknown()),
  profile_id: Type.Union([Type.Integer(), Type.Null()]),
  role: Type.Union([Type.String(), Type.Null()]),
  is_active: Type.Boolean(),
  /** HQ's `is_account_confirmed` (default true); false until a two-stage account is confirmed. */
  is_account_confirmed: Type.Optional(Type.Boolean())
}

export const StoredUserSchema = Type.Object({
  ...userFields,
  password_hash: Type.Union([Type.String(), Type.Null()]),
  connect_username: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  retired: Type.Boolean()
}, { additionalProperties: false })
export type StoredUser = Static<typeof StoredUserSchema>

export const SeedUserSchema = Type.Object({
  ...userFields,
  language: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  password: Type.Optional(Type.String()),
  password_hash: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  connect_username: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  retired: Type.Optional(Type.Boolean())
}, { additionalProperties: false })
export type SeedUser = Static<typeof SeedUserSchema>

const domainFields = {
  project_name: Type.String(),
  toggles: Type.Array(Type.String()),
  rate_limit_per_minute: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
  members: Type.Array(MemberSchema),
  custom_user_fields: Type.Array(Type.String({ minLength: 1 })),
  profiles: Type.Array(ProfileSchema),
  roles: Type.Array(RoleSchema),
  locations: Type.Array(LocationSchema),
  groups: Type.Array(GroupSchema),
  /** The role a mobile worker with none assigned reports (HQ: "Mobile Worker Default"). */
  default_mobile_worker_role: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Null()])),
  /** The domain's location types; absent: derived from the codes its locations use. */
  location_types: Type.Optional(Type.Array(LocationTypeSchema)),
  /** Plan privileges by name; an absent name has HQ's default (see src/commcare/roles.ts). */
  privileges: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.Boolean())),
  /** The project setting: PUT refuses weak passwords (default false). */
  strong_mobile_passwords: Type.Optional(Type.Boolean()),
  /** Invitations sent to web users, pending or accepted. */
  invitations: Type.Optional(Type.Array(InvitationSchema)),
  /** The domain's custom location fields, in order; absent: none. */
  custom_location_fields: Type.Optional(Type.Array(LocationFieldSchema))
}

export const SeedDomainSchema = Type.Object({
  ...domainFields,
  users: Type.Array(SeedUserSchema)
}, { additionalProperties: false })
export type SeedDomain = Static<typeof SeedDomainSchema>

export const DomainDocSchema = Type.Object({
  name: DomainName,
  ...domainFields,
  users: Type.Array(StoredUserSchema)
}, { additionalProperties: false })
export type DomainDoc = Static<typeof DomainDocSchema>

export const SeedSchema = Type.Object({
  /** Feature-flag slugs HQ knows (user_domains' `feature_flag`); absent: the built-in list. */
  feature_flags: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  web_users: Type.Array(WebUserSchema),
  domains: Type.Record(DomainName, SeedDomainSchema, { additionalProperties: false })
}, { additionalProperties: false })
export type Seed = Static<typeof SeedSchema>

export const GlobalDocSchema = Type.Object({
  format: Type.Literal(1),
  web_users: Type.Array(WebUserSchema),
  /** The seed's `feature_flags`, when it has them. */
  feature_flags: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  /** The seed this directory last validated: a restart with the same seed need not parse it again. */
  seed: Type.Optional(Type.Object({
    sha256: Type.String(),
    domains: Type.Array(DomainName)
  }, { additionalProperties: false }))
}, { additionalProperties: false })
export type GlobalDoc = Static<typeof GlobalDocSchema>

export const DOMAIN_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/
