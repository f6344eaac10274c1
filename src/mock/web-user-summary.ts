import type { ApiKey, WebUser } from '../store/schema.js'

// The seed's web-user accounts as the test-control API shows them: everything
// but the secrets. Passwords, API-key values and bearer tokens never leave
// the server; a key is described by its flags only.

export interface ApiKeySummary {
  /** The one domain the key works on, or null for every domain of its user. */
  domain: string | null
  active: boolean
  /** The role the key is limited to, or null. */
  role: string | null
  expiration_date: string | null
  /** True once `expiration_date` has passed: the key is then refused. */
  expired: boolean
  /** Client addresses the key may be used from; empty allows every address. */
  ip_allowlist: string[]
}

export interface WebUserSummary {
  id: string
  username: string
  first_name: string
  last_name: string
  email: string
  /** The account's `is_active`: an inactive account is refused everywhere. */
  is_active: boolean
  toggles: string[]
  api_keys: ApiKeySummary[]
  /** Bearer tokens, by the domain they are limited to (null: every domain). */
  tokens: Array<{ domain: string | null }>
}

function keySummary (key: ApiKey, now: number): ApiKeySummary {
  const expiration = key.expiration_date ?? null
  const expires = expiration === null ? Number.NaN : Date.parse(expiration)
  return {
    domain: key.domain,
    active: key.active,
    role: key.role ?? null,
    expiration_date: expiration,
    // The same comparison authentication makes.
    expired: !Number.isNaN(expires) && now > expires,
    ip_allowlist: [...(key.ip_allowlist ?? [])]
  }
}

/** One account without its password, key values and tokens. */
export function webUserSummary (user: WebUser, now = Date.now()): WebUserSummary {
  return {
    id: user.id,
    username: user.username,
    first_name: user.first_name,
    last_name: user.last_name,
    email: user.email,
    is_active: user.is_active ?? true,
    toggles: [...(user.toggles ?? [])],
    api_keys: user.api_keys.map(key => keySummary(key, now)),
    tokens: user.tokens.map(token => ({ domain: token.domain }))
  }
}

/** Every account, sorted by username. */
export function webUserSummaries (users: readonly WebUser[], now = Date.now()): WebUserSummary[] {
  return users.map(u => webUserSummary(u, now)).sort((a, b) => a.username < b.username ? -1 : a.username > b.username ? 1 : 0)
}
