import { parseDigestParams } from '../commcare/auth.js'

// Secrets never reach the journal, a log line or an answer the mock builds:
// passwords, API keys, tokens and Authorization values are replaced first.
// Every place that records or echoes a request goes through this file, and it
// judges names the way the server reads them: query names percent-decoded,
// JSON keys unescaped, in any case.

export const REDACTED = '[redacted]'

/**
 * The one list of names whose values are secrets wherever they appear: body
 * keys at any depth, query and form parameters. Compared lower-case, with `-`
 * read as `_` and surrounding blanks ignored.
 */
export const SECRET_NAMES: readonly string[] = [
  'password', 'new_password', 'old_password', 'password_hash',
  'api_key', 'apikey',
  'token', 'access_token', 'refresh_token', 'id_token',
  'secret', 'client_secret', 'authorization'
]

const SECRET_SET = new Set(SECRET_NAMES)

/** A name as the secret list compares it. */
function normalName (name: string): string {
  return name.trim().toLowerCase().replace(/-/g, '_')
}

/** Whether a key or parameter name (already decoded) holds a secret. */
export function isSecretKey (key: string): boolean {
  return SECRET_SET.has(normalName(key))
}

/** A query or form name as the server decodes it: `+` is a blank, then percent-decoding (kept as sent when malformed). */
export function decodeParamName (raw: string): string {
  const plain = raw.includes('+') ? raw.replace(/\+/g, ' ') : raw
  if (!plain.includes('%')) return plain
  try {
    return decodeURIComponent(plain)
  } catch {
    return plain
  }
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

/** What a username looks like (web users are e-mail addresses): a key or password sent in its place does not. */
const USERNAME_SHAPE = /^[^\s:@"]{1,100}@[^\s:@"]{1,255}$/

function keptUser (candidate: string): string | null {
  return USERNAME_SHAPE.test(candidate) ? candidate : null
}

/**
 * An Authorization value with its secret part removed; the scheme and, where
 * the header names a user in the user's place, the user stay, so a test can
 * see who called. Anything not recognisably a username is redacted too (a key
 * sent before the username, a credential sent without a scheme).
 */
export function redactAuthorization (value: string): string {
  const trimmed = value.trim()
  const space = trimmed.indexOf(' ')
  const scheme = space === -1 ? trimmed : trimmed.slice(0, space)
  const rest = space === -1 ? '' : trimmed.slice(space + 1).trim()
  switch (scheme.toLowerCase()) {
    case 'apikey': {
      const colon = rest.indexOf(':')
      const user = colon === -1 ? null : keptUser(rest.slice(0, colon))
      return user === null ? `${scheme} ${REDACTED}` : `${scheme} ${user}:${REDACTED}`
    }
    case 'digest': {
      const named = parseDigestParams(rest).username
      const user = named === undefined ? null : keptUser(named)
      return user === null ? `${scheme} ${REDACTED}` : `${scheme} username="${user}", ${REDACTED}`
    }
    case 'basic':
    case 'bearer':
      return `${scheme} ${REDACTED}`
    default:
      return REDACTED
  }
}

/** A query (or form) object with secret parameters (api_key, password, token …) replaced. */
export function redactQuery (query: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null)
  for (const [k, v] of Object.entries(query)) out[k] = isSecretKey(k) ? REDACTED : v
  return out
}

const PLAIN_NAME = /^[A-Za-z0-9_.[\]-]{1,100}$/

/**
 * A form body's fields with secret values replaced, and any field whose name
 * is not a plain parameter name (JSON sent as a form, say) replaced whole: such
 * a name is the client's data, and may hold a secret.
 */
export function redactForm (fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null)
  for (const [k, v] of Object.entries(fields)) {
    if (!PLAIN_NAME.test(k)) out[REDACTED] = REDACTED
    else out[k] = isSecretKey(k) ? REDACTED : v
  }
  return out
}

/**
 * A request target (or a `Location`) with the values of secret query
 * parameters replaced; names are judged decoded, so `api%5Fkey=` and
 * `pass%77ord=` are caught like `api_key=` and `password=`. Everything else
 * stays as sent.
 */
export function redactUrl (url: string): string {
  const q = url.indexOf('?')
  if (q === -1) return url
  const parts = url.slice(q + 1).split('&')
  let changed = false
  for (let i = 0; i < parts.length; i++) {
    const eq = parts[i].indexOf('=')
    if (eq === -1) continue
    const name = parts[i].slice(0, eq)
    if (isSecretKey(decodeParamName(name))) {
      parts[i] = `${name}=${REDACTED}`
      changed = true
    }
  }
  return changed ? url.slice(0, q + 1) + parts.join('&') : url
}

/** Request and response headers the journal keeps whose values may carry a secret, and how they are cleaned. */
export function redactHeader (name: string, value: string): string {
  switch (name) {
    case 'authorization':
      return redactAuthorization(value)
    case 'location':
      return redactUrl(value)
    default:
      return value
  }
}

/**
 * Whether JSON text may hold a secret key: some key, unescaped, would then
 * contain one of these roots, and only a `\u` escape can spell a letter
 * differently from the raw text. Text without any is returned as it is,
 * unparsed (a large answer of the mock's own costs a scan, not a parse).
 */
const SECRET_HINT = /password|api[-_\s]*key|token|secret|authorization|\\u/i

/**
 * JSON text with secrets replaced (for a body that is stored cut: the cut text
 * could not be parsed later). Text that is not JSON comes back as it is.
 */
export function redactJsonText (text: string): string {
  if (!SECRET_HINT.test(text)) return text
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return text
  }
  return JSON.stringify(redactValue(parsed))
}
