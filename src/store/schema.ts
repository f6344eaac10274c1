import { Type, type Static, type TProperties } from '@sinclair/typebox'

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

/** A mobile worker as a seed may give it, every field filled in (the stored shape, with a plain password allowed). */
export const FullSeedUserSchema = Type.Object({
  ...userFields,
  language: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  password: Type.Optional(Type.String()),
  password_hash: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  connect_username: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  retired: Type.Optional(Type.Boolean())
}, { additionalProperties: false })
/** A seed's mobile worker after the defaults (src/store/seed-defaults.ts) are filled in. */
export type SeedUser = Static<typeof FullSeedUserSchema>

/** Properties with a `description` each (what editors show from seed/*.schema.json). */
function describe<P extends TProperties> (props: P, text: { [K in keyof P]?: string }): P {
  const out: TProperties = { ...props }
  for (const [key, description] of Object.entries(text)) out[key] = { ...props[key], description }
  return out as P
}

/** A mobile worker as a seed file or a /__mock/domains document writes it: only `username` is required. */
export const SeedUserSchema = Type.Object(describe({
  ...Type.Partial(FullSeedUserSchema).properties,
  username: Type.String({ minLength: 1 })
}, {
  username: 'A bare name (`asha`) becomes `asha@<domain>.commcarehq.org`, as HQ names mobile workers; one with `@` is kept.',
  id: 'Default: derived from the domain and the username (the same on every start and reset).',
  first_name: 'Default "".',
  last_name: 'Default "".',
  email: 'Default "".',
  language: 'A language code; default null (never set).',
  phone_numbers: 'Default none.',
  groups: 'Group ids of the domain (the group lists the worker too); default none.',
  locations: 'Location ids of the domain; default none.',
  primary_location: 'One of `locations`; default the first of them, or null.',
  user_data: 'Custom user data; default {}.',
  profile_id: 'A profile id of the domain, or null (the default).',
  role: 'A role name of the domain, or null (the default: the domain\'s default mobile-worker role is shown).',
  is_active: 'Default true; false: a deactivated worker.',
  is_account_confirmed: 'Default true; false: created by two-stage confirmation, not yet confirmed.',
  password: 'The worker\'s password (hashed when loaded); default none.',
  password_hash: 'A stored hash instead of `password`.',
  retired: 'Default false.'
}), { additionalProperties: false })
export type SeedUserInput = Static<typeof SeedUserSchema>

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

/** A seed's domain after the defaults are filled in. */
export const FullSeedDomainSchema = Type.Object({
  ...domainFields,
  users: Type.Array(FullSeedUserSchema)
}, { additionalProperties: false })
export type SeedDomain = Static<typeof FullSeedDomainSchema>

export const DomainDocSchema = Type.Object({
  name: DomainName,
  ...domainFields,
  users: Type.Array(StoredUserSchema)
}, { additionalProperties: false })
export type DomainDoc = Static<typeof DomainDocSchema>

/** A seed after the defaults are filled in: what the store converts and serves. */
export const FullSeedSchema = Type.Object({
  feature_flags: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  web_users: Type.Array(WebUserSchema),
  domains: Type.Record(DomainName, FullSeedDomainSchema, { additionalProperties: false })
}, { additionalProperties: false })
export type Seed = Static<typeof FullSeedSchema>

// ---- seeds as written: what the server validates, and what seed/*.schema.json publish --------
// Every key with a sensible default may be left out (src/store/seed-defaults.ts fills them in,
// docs/SEED.md lists them); a key that is given keeps its value.

const SchemaKey = Type.String({ description: 'The JSON Schema this file follows (for editors); ignored by the server.' })

export const SeedApiKeySchema = Type.Object({
  ...ApiKeySchema.properties,
  domain: Type.Optional(ApiKeySchema.properties.domain),
  active: Type.Optional(ApiKeySchema.properties.active)
}, { additionalProperties: false })

export const SeedTokenSchema = Type.Object({
  ...TokenSchema.properties,
  domain: Type.Optional(TokenSchema.properties.domain)
}, { additionalProperties: false })

export const SeedWebUserSchema = Type.Object(describe({
  ...Type.Partial(WebUserSchema).properties,
  username: Type.String({ minLength: 1 }),
  password: Type.String(),
  api_keys: Type.Optional(Type.Array(SeedApiKeySchema)),
  tokens: Type.Optional(Type.Array(SeedTokenSchema))
}, {
  username: 'The login, usually an e-mail address.',
  password: 'For Basic and Digest authentication.',
  id: 'Default: derived from the username.',
  first_name: 'Default "".',
  last_name: 'Default "".',
  email: 'Default: the username.',
  api_keys: 'API keys: {"key": "…"} plus optionally domain (default null: every domain), active (default true), role, expiration_date, ip_allowlist.',
  tokens: 'Bearer tokens: {"token": "…"} plus optionally domain (default null).',
  is_active: 'Default true; false: every credential of the user is refused (401).',
  toggles: 'Feature-flag slugs on for this user wherever they are a member.'
}), { additionalProperties: false })
export type SeedWebUserInput = Static<typeof SeedWebUserSchema>

export const SeedGroupSchema = Type.Object({
  ...Type.Partial(GroupSchema).properties,
  id: GroupSchema.properties.id,
  name: GroupSchema.properties.name
}, { additionalProperties: false })

export const SeedRoleSchema = Type.Object({
  ...RoleSchema.properties,
  id: Type.Optional(RoleSchema.properties.id)
}, { additionalProperties: false })

const seedDomainFields = describe({
  ...Type.Partial(Type.Object(domainFields)).properties,
  roles: Type.Optional(Type.Array(SeedRoleSchema)),
  groups: Type.Optional(Type.Array(SeedGroupSchema)),
  users: Type.Optional(Type.Array(SeedUserSchema))
}, {
  project_name: 'Default: the domain name.',
  toggles: 'Feature flags on for the domain, by slug or HQ\'s constant; default none.',
  rate_limit_per_minute: 'Requests per minute, or null (the default: no limit).',
  members: 'Memberships of web users ({"username", "role", "is_admin", …}); absent: every web user of the seed is an admin of the domain; []: nobody may call it.',
  custom_user_fields: 'Slugs of the custom user fields; default none.',
  profiles: 'User-data profiles {"id", "name", "fields"}; default none.',
  roles: 'Roles {"name", "permissions"} (id default: derived from the name); default none.',
  locations: 'Locations; default none.',
  groups: 'Groups {"id", "name"} plus optionally case_sharing (false), reporting (true), metadata ({}), users (worker ids); default none.',
  users: 'Mobile workers; only `username` is required; default none.',
  default_mobile_worker_role: 'The role a worker without one reports; default HQ\'s "Mobile Worker Default".',
  location_types: 'Location types; absent: derived from the codes the locations use.',
  privileges: 'Plan privileges by name (all true by default).',
  strong_mobile_passwords: 'true: a PUT with a weak password is refused (default false).',
  invitations: 'Invitations to join the domain as a web user.',
  custom_location_fields: 'Custom location fields that location writes check; default none.'
})

/** A domain of a seed file as written. */
export const SeedDomainSchema = Type.Object(seedDomainFields, { additionalProperties: false })
export type SeedDomainInput = Static<typeof SeedDomainSchema>

/** The `seed` document of `POST /__mock/domains` (also a file for `check-seed --domain`). */
export const SeedDomainDocumentSchema = Type.Object({
  $schema: Type.Optional(SchemaKey),
  ...seedDomainFields
}, { additionalProperties: false, title: 'commcare-hq-mock domain seed', description: 'One domain in the seed file\'s shape, as POST /__mock/domains takes it in `seed`.' })

/** A seed file as written. */
export const SeedSchema = Type.Object({
  $schema: Type.Optional(SchemaKey),
  /** Feature-flag slugs HQ knows (user_domains' `feature_flag`); absent: the built-in list. */
  feature_flags: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Feature-flag slugs HQ knows (user_domains\' feature_flag); absent: the built-in list.' })),
  web_users: Type.Optional(Type.Array(SeedWebUserSchema, { description: 'The web users who may call the API; default none.' })),
  domains: Type.Optional(Type.Record(DomainName, SeedDomainSchema, { additionalProperties: false, description: 'Domain name ([a-z0-9][a-z0-9-]*) → domain; default none.' }))
}, { additionalProperties: false, title: 'commcare-hq-mock seed', description: 'Web users and domains the mock starts with (docs/SEED.md).' })
export type SeedInput = Static<typeof SeedSchema>

export const GlobalDocSchema = Type.Object({
  format: Type.Literal(1),
  web_users: Type.Array(WebUserSchema),
  /** The seed's `feature_flags`, when it has them. */
  feature_flags: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  /** The seed this directory last validated: a restart with the same seed need not parse it again. */
  seed: Type.Optional(Type.Object({
    sha256: Type.String(),
    domains: Type.Array(DomainName),
    /** SHA-256 of the bytes of the seed the directory was laid down from (absent before 0.3). */
    laid_from: Type.Optional(Type.String())
  }, { additionalProperties: false }))
}, { additionalProperties: false })
export type GlobalDoc = Static<typeof GlobalDocSchema>

export const DOMAIN_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/
