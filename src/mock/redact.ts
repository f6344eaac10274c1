// Secrets never reach the journal: passwords, API keys, tokens and
// Authorization values are replaced before an entry is stored.

export const REDACTED = '[redacted]'

/** Keys whose values are secrets wherever they appear (compared lower-case). */
const SECRET_KEYS = new Set([
  'password', 'new_password', 'old_password', 'password_hash',
  'api_key', 'apikey',
  'token', 'access_token', 'refresh_token', 'id_token',
  'secret', 'client_secret', 'authorization'
])

export function isSecretKey (key: string): boolean {
  return SECRET_KEYS.has(key.toLowerCase())
}

/** A copy of a JSON value with every secret key's value replaced, at any depth. */
export function redactValue (value: unknown, depth = 0): unknown {
  if (typeof value !== 'object' || value === null) return value
  if (depth > 200) return '[too deep]'
  if (Array.isArray(value)) return value.map(v => redactValue(v, depth + 1))
  // A null prototype keeps a '__proto__' key of the body as a plain key.
  const out: Record<string, unknown> = Object.create(null)
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = isSecretKey(k) ? REDACTED : redactValue(v, depth + 1)
  }
  return out
}

/**
 * An Authorization value with its secret part removed; the scheme and, where
 * the header names one, the user stay, so a test can see who called.
 */
export function redactAuthorization (value: string): string {
  const trimmed = value.trim()
  const space = trimmed.indexOf(' ')
  const scheme = space === -1 ? trimmed : trimmed.slice(0, space)
  const rest = space === -1 ? '' : trimmed.slice(space + 1).trim()
  switch (scheme.toLowerCase()) {
    case 'apikey': {
      const colon = rest.indexOf(':')
      return colon === -1 ? `${scheme} ${REDACTED}` : `${scheme} ${rest.slice(0, colon)}:${REDACTED}`
    }
    case 'digest': {
      const user = /username\s*=\s*"([^"]*)"/i.exec(rest)
      return user === null ? `${scheme} ${REDACTED}` : `${scheme} username="${user[1]}", ${REDACTED}`
    }
    case 'basic':
    case 'bearer':
      return `${scheme} ${REDACTED}`
    default:
      return REDACTED
  }
}

/** A query object with secret parameters (api_key, password, token …) replaced. */
export function redactQuery (query: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null)
  for (const [k, v] of Object.entries(query)) out[k] = isSecretKey(k) ? REDACTED : v
  return out
}
