import { Type, type Static } from '@sinclair/typebox'

// The shapes of the seed file and of the persisted state. The seed may hold
// plain passwords for mobile workers (a fixture convenience); the state only
// ever holds their hashes.

const Id = Type.String({ minLength: 1, maxLength: 200 })
const DomainName = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' })

export const ApiKeySchema = Type.Object({
  key: Type.String({ minLength: 1 }),
  domain: Type.Union([DomainName, Type.Null()]),
  active: Type.Boolean()
}, { additionalProperties: false })

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
  tokens: Type.Array(TokenSchema)
}, { additionalProperties: false })
export type WebUser = Static<typeof WebUserSchema>

export const MemberSchema = Type.Object({
  username: Type.String({ minLength: 1 }),
  permissions: Type.Array(Type.String())
}, { additionalProperties: false })
export type Member = Static<typeof MemberSchema>

export const ProfileSchema = Type.Object({
  id: Type.Integer({ minimum: 1 }),
  name: Type.String(),
  fields: Type.Record(Type.String(), Type.String())
}, { additionalProperties: false })
export type Profile = Static<typeof ProfileSchema>

export const RoleSchema = Type.Object({
  id: Id,
  name: Type.String({ minLength: 1 })
}, { additionalProperties: false })

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
  last_modified: Type.String()
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
  language: Type.String(),
  phone_numbers: Type.Array(Type.String()),
  groups: Type.Array(Id),
  locations: Type.Array(Id),
  primary_location: Type.Union([Id, Type.Null()]),
  user_data: Type.Record(Type.String(), Type.Unknown()),
  profile_id: Type.Union([Type.Integer(), Type.Null()]),
  role: Type.Union([Type.String(), Type.Null()]),
  is_active: Type.Boolean()
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
  groups: Type.Array(GroupSchema)
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
  web_users: Type.Array(WebUserSchema),
  domains: Type.Record(DomainName, SeedDomainSchema, { additionalProperties: false })
}, { additionalProperties: false })
export type Seed = Static<typeof SeedSchema>

export const GlobalDocSchema = Type.Object({
  format: Type.Literal(1),
  web_users: Type.Array(WebUserSchema),
  /** The seed this directory last validated: a restart with the same seed need not parse it again. */
  seed: Type.Optional(Type.Object({
    sha256: Type.String(),
    domains: Type.Array(DomainName)
  }, { additionalProperties: false }))
}, { additionalProperties: false })
export type GlobalDoc = Static<typeof GlobalDocSchema>

export const DOMAIN_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/
