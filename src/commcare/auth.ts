import { createHash, createHmac, randomBytes } from 'node:crypto'
import { HqError, forbidden, unauthorized } from './errors.js'
import { matchesOffered, secretEquals, verifyPasswordAsync } from './passwords.js'
import { memberActive, memberPermissions, rolePermissions } from './roles.js'
import type { DomainState } from '../store/domain.js'
import type { ApiKey, StoredUser, WebUser } from '../store/schema.js'
import type { LoginAttempts } from './rate-limit.js'

// Credentials and permissions as in BEHAVIOR.md §2. Only web users may call the
// API; a mobile worker's valid credentials get 403 on a domain resource.

export const DIGEST_REALM = 'commcarehq'
const NONCE_LIFETIME_MS = 5 * 60 * 1000

export type Identity =
  | {
    kind: 'web'
    user: WebUser
    /** The one domain the key or token works on, or null. */
    scope: string | null
    via: 'apikey' | 'basic' | 'digest' | 'bearer' | 'none'
    /** A role-scoped key's role: the key then grants only that role's permissions. */
    role?: string | null
  }
  | { kind: 'mobile', user: StoredUser, domain: string }

export interface CredentialSource {
  webUser: (username: string) => WebUser | undefined
  webUsers: () => WebUser[]
  domains: () => DomainState[]
}

export interface AuthRequest {
  method: string
  /** The request target as sent (path and query), which Digest signs. */
  url: string
  authorization: string | undefined
  query: Record<string, unknown>
  /** `username` / `api_key` of a form-encoded body, when it has them. */
  form?: Record<string, unknown>
  /** The domain in the URL, or null on identity and user_domains (a key of any scope is accepted there). */
  domain: string | null
  /** The client address the key's `ip_allowlist` is checked against. */
  clientIp: string
  /** The time the key's `expiration_date` is compared with (default: now). */
  now?: number
}

const BASIC_CHALLENGE = { 'WWW-Authenticate': 'Basic realm=""' }

/** Django's QueryDict.get: the last value of a repeated parameter. */
function param (source: Record<string, unknown> | undefined, name: string): string | undefined {
  const v = source?.[name]
  if (Array.isArray(v)) {
    const last: unknown = v[v.length - 1]
    return typeof last === 'string' ? last : undefined
  }
  return typeof v === 'string' ? v : undefined
}

/**
 * The client address as HQ's `get_ip` sees it: the first address of
 * `X-Forwarded-For`, else the peer (an IPv4-mapped IPv6 peer as plain IPv4).
 */
export function clientIp (forwardedFor: string | string[] | undefined, peer: string | undefined): string {
  const header = Array.isArray(forwardedFor) ? forwardedFor[0] : forwardedFor
  if (header !== undefined) {
    const comma = header.indexOf(',')
    const first = (comma === -1 ? header : header.slice(0, comma)).trim()
    if (first !== '') return normalizeIp(first)
  }
  return normalizeIp(peer ?? '')
}

function normalizeIp (ip: string): string {
  const lower = ip.toLowerCase()
  return lower.startsWith('::ffff:') && lower.includes('.') ? lower.slice(7) : lower
}

/** Why a key may not be used for this request, or null when it may. */
export function keyRefusal (key: ApiKey, req: { domain: string | null, clientIp: string, now?: number }): string | null {
  if (!key.active) return 'the API key is inactive'
  if (key.expiration_date !== undefined && key.expiration_date !== null) {
    const expires = Date.parse(key.expiration_date)
    if (!Number.isNaN(expires) && (req.now ?? Date.now()) > expires) return `the API key expired at ${key.expiration_date}`
  }
  const allow = key.ip_allowlist ?? []
  if (allow.length > 0 && !allow.some(ip => normalizeIp(ip) === req.clientIp)) {
    return `the client address '${req.clientIp.slice(0, 64)}' (first X-Forwarded-For address, else the peer) is not on the API key's ip_allowlist`
  }
  if (req.domain !== null && key.domain !== null && key.domain !== req.domain) {
    return `the API key is scoped to domain '${key.domain}', not '${req.domain}': HQ answers 401`
  }
  return null
}

export const REQUIRED_PERMISSIONS = ['edit_commcare_users', 'access_api']

/** HQ's lockout: after `limit` wrong passwords, Basic and Digest attempts for the username are refused. */
export interface Lockout {
  limit: number
  attempts: LoginAttempts
}

export const LOCKED_OUT = 'maximum password attempts exceeded'

/** ApiKey headers whose match is remembered; the map is emptied when full. */
const KEY_HEADERS_MAX = 1_000

/** What an ApiKey header matched: the user (by its lower-cased name) and the key, with the key's secret then. */
interface KeyMatch {
  name: string
  user: WebUser
  key: ApiKey
  secret: string
}

export class Authenticator {
  private readonly secret: Buffer
  /**
   * A client sends the same ApiKey header on every request: which user and key
   * it matched is remembered per header value. Only the lookup is: each use
   * checks that the store still has that user under that name and the user
   * that key with that secret, and every rule of the key and the account
   * (active, expiry, address, scope) is applied afresh.
   */
  private readonly keyHeaders = new Map<string, KeyMatch>()

  constructor (private readonly source: CredentialSource, secret?: Buffer, private readonly lockout: Lockout | null = null) {
    this.secret = secret ?? randomBytes(32)
  }

  /** HQ's `check_lockout`, before the password is looked at: 401 with a JSON body. */
  private checkLockout (username: string): void {
    if (this.lockout === null || this.source.webUser(username) === undefined) return
    if (this.lockout.attempts.lockedOut(username, this.lockout.limit)) {
      throw new HqError(401, { kind: 'error-raw', message: LOCKED_OUT }, `'${username.slice(0, 100)}' is locked out after ${this.lockout.limit} wrong passwords (--password-attempts); a successful request or a reset clears it`)
    }
  }

  /** A wrong password of a known web user counts towards the lockout. */
  private failed (user: WebUser | undefined, err: HqError): HqError {
    if (user !== undefined && this.lockout !== null) this.lockout.attempts.fail(user.username)
    return err
  }

  /** The `WWW-Authenticate` challenge HQ sends when no credentials came. */
  challenge (stale = false): string {
    return `Digest realm="${DIGEST_REALM}", nonce="${this.nonce()}", algorithm="MD5", qop="auth"${stale ? ', stale=true' : ''}`
  }

  nonce (now = Date.now()): string {
    const ts = now.toString(16)
    return `${ts}.${createHmac('sha256', this.secret).update(ts).digest('base64url')}`
  }

  private nonceState (nonce: string, now = Date.now()): 'ok' | 'stale' | 'bad' {
    const [ts, mac] = nonce.split('.')
    if (ts === undefined || mac === undefined) return 'bad'
    const expected = createHmac('sha256', this.secret).update(ts).digest('base64url')
    if (!secretEquals(mac, expected)) return 'bad'
    const age = now - parseInt(ts, 16)
    return age >= 0 && age <= NONCE_LIFETIME_MS ? 'ok' : 'stale'
  }

  /**
   * Who is calling; throws the 400/401 answers of BEHAVIOR.md §2. A promise
   * only for Basic credentials of a mobile worker: its password hash is checked
   * on the thread pool, off the event loop.
   */
  authenticate (req: AuthRequest): Identity | Promise<Identity> {
    const header = req.authorization
    if (header !== undefined) {
      const known = this.keyHeaders.get(header)
      if (known !== undefined && this.stillMatches(known)) return this.keyIdentity(req, known.user, known.key)
    }
    if (header === undefined || header.trim() === '') {
      // HQ's extract_credentials: `GET.get(...) or POST.get(...)` for each.
      const username = nonEmpty(param(req.query, 'username')) ?? param(req.form, 'username')
      const apiKey = nonEmpty(param(req.query, 'api_key')) ?? param(req.form, 'api_key')
      if (username !== undefined && apiKey !== undefined) return this.apiKey(req, username, apiKey)
      throw unauthorized('no credentials: HQ answers with a Digest challenge', { 'WWW-Authenticate': this.challenge() })
    }
    const space = header.indexOf(' ')
    const scheme = (space === -1 ? header : header.slice(0, space)).toLowerCase()
    const rest = space === -1 ? '' : header.slice(space + 1).trim()
    switch (scheme) {
      case 'apikey': {
        const colon = rest.indexOf(':')
        if (colon === -1) {
          throw new HqError(400, { kind: 'error', message: 'Bad HTTP_AUTHORIZATION header' }, "an ApiKey header needs 'username:key'")
        }
        return this.apiKey(req, rest.slice(0, colon), rest.slice(colon + 1), header)
      }
      case 'basic':
        return this.basic(req, rest)
      case 'digest':
        return this.digest(req, rest)
      case 'bearer':
        return this.bearer(req, rest)
      default:
        // Only a well-known scheme word is repeated: a value sent without its scheme is the credential itself.
        throw unauthorized(/^(?:token|negotiate|ntlm|oauth|hoba|mutual|vapid|scram-sha-1|scram-sha-256|aws4-hmac-sha256)$/.test(scheme)
          ? `unsupported Authorization scheme '${scheme}': HQ accepts ApiKey, Basic, Digest and Bearer`
          : 'the Authorization header does not start with a scheme HQ accepts (ApiKey, Basic, Digest or Bearer); its value is not repeated here', { 'WWW-Authenticate': this.challenge() })
    }
  }

  /** `header`: the ApiKey header the credentials came in, whose match is then remembered. */
  private apiKey (req: AuthRequest, username: string, key: string, header?: string): Identity {
    const user = this.source.webUser(username)
    const matches = matchesOffered(key)
    const found = user?.api_keys.find(k => matches(k.key))
    if (user === undefined || found === undefined) throw unauthorized('unknown user or wrong API key')
    if (header !== undefined) {
      if (this.keyHeaders.size >= KEY_HEADERS_MAX) this.keyHeaders.clear()
      this.keyHeaders.set(header, { name: user.username.toLowerCase(), user, key: found, secret: found.key })
    }
    return this.keyIdentity(req, user, found)
  }

  /** Whether a remembered match still holds: the same user under that name, still holding that key with that secret. */
  private stillMatches (known: KeyMatch): boolean {
    return this.source.webUser(known.name) === known.user && known.key.key === known.secret && known.user.api_keys.includes(known.key)
  }

  /** The key's rules and the account's, applied on every request. */
  private keyIdentity (req: AuthRequest, user: WebUser, found: ApiKey): Identity {
    const refusal = keyRefusal(found, req)
    if (refusal !== null) throw unauthorized(refusal)
    if (!accountActive(user)) throw unauthorized(INACTIVE_ACCOUNT)
    return { kind: 'web', user, scope: found.domain, via: 'apikey', role: found.role ?? null }
  }

  private basic (req: AuthRequest, encoded: string): Identity | Promise<Identity> {
    const challenge = BASIC_CHALLENGE
    const decoded = Buffer.from(encoded, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon === -1) throw unauthorized('malformed Basic credentials', challenge)
    const username = decoded.slice(0, colon)
    const password = decoded.slice(colon + 1)
    this.checkLockout(username)
    const user = this.source.webUser(username)
    if (user !== undefined) {
      // Django's ModelBackend first; then the API key as the password, under the key rules [R2 §C.1].
      if (secretEquals(user.password, password)) {
        if (!accountActive(user)) throw this.failed(user, unauthorized(INACTIVE_ACCOUNT, challenge))
        return { kind: 'web', user, scope: null, via: 'basic' }
      }
      const matches = matchesOffered(password)
      const found = user.api_keys.find(k => matches(k.key))
      if (found === undefined) throw this.failed(user, unauthorized('wrong password (and not one of the user\'s API keys)', challenge))
      const refusal = keyRefusal(found, req)
      if (refusal !== null) throw this.failed(user, unauthorized(`Basic with an API key as the password: ${refusal}`, challenge))
      if (!accountActive(user)) throw this.failed(user, unauthorized(INACTIVE_ACCOUNT, challenge))
      return { kind: 'web', user, scope: found.domain, via: 'basic', role: found.role ?? null }
    }
    const worker = this.findMobileWorker(username)
    if (worker === undefined || worker.user.password_hash === null) throw unauthorized('unknown user or wrong password', challenge)
    const { user: found, domain } = worker
    return verifyPasswordAsync(password, found.password_hash).then(ok => {
      if (!ok) throw unauthorized('unknown user or wrong password', challenge)
      return { kind: 'mobile', user: found, domain }
    })
  }

  private findMobileWorker (username: string): { user: StoredUser, domain: string } | undefined {
    const lower = username.toLowerCase()
    for (const d of this.source.domains()) {
      const u = d.usersByUsername.get(lower)
      if (u !== undefined && !u.retired) return { user: u, domain: d.name }
    }
    return undefined
  }

  private bearer (req: AuthRequest, token: string): Identity {
    for (const user of this.source.webUsers()) {
      const found = user.tokens.find(t => secretEquals(t.token, token))
      if (found === undefined) continue
      if (req.domain !== null && found.domain !== null && found.domain !== req.domain) {
        throw unauthorized(`the Bearer token is scoped to domain '${found.domain}', not '${req.domain}'`)
      }
      if (!accountActive(user)) throw unauthorized(INACTIVE_ACCOUNT)
      return { kind: 'web', user, scope: found.domain, via: 'bearer' }
    }
    throw unauthorized('unknown Bearer token')
  }

  private digest (req: AuthRequest, rest: string): Identity {
    const p = parseDigestParams(rest)
    const fail = (reason: string, stale = false): HqError => unauthorized(reason, { 'WWW-Authenticate': this.challenge(stale) })
    const { username, realm, nonce, uri, response, qop, nc, cnonce } = p
    if (username === undefined || nonce === undefined || uri === undefined || response === undefined) throw fail('incomplete Digest credentials')
    if (realm !== DIGEST_REALM) throw fail(`wrong Digest realm (expected "${DIGEST_REALM}")`)
    if (p.algorithm !== undefined && p.algorithm.toUpperCase() !== 'MD5') throw fail('only the MD5 Digest algorithm is supported')
    if (qop !== 'auth' || nc === undefined || cnonce === undefined) throw fail('Digest needs qop="auth" with nc and cnonce')
    if (uri !== req.url) throw fail('the Digest uri does not match the request')
    const state = this.nonceState(nonce)
    if (state === 'bad') throw fail('the Digest nonce was not issued by this server')
    this.checkLockout(username)
    const user = this.source.webUser(username)
    if (user === undefined) throw fail('unknown user')
    const ha1 = md5(`${user.username}:${DIGEST_REALM}:${user.password}`)
    const ha2 = md5(`${req.method}:${uri}`)
    const expected = md5(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`)
    if (!secretEquals(expected, response.toLowerCase())) throw this.failed(user, fail('wrong Digest response (password)'))
    if (state === 'stale') throw fail('the Digest nonce has expired', true)
    if (!accountActive(user)) throw fail(INACTIVE_ACCOUNT)
    return { kind: 'web', user, scope: null, via: 'digest' }
  }
}

const INACTIVE_ACCOUNT = "the web user's account is inactive (is_active: false)"

function accountActive (user: WebUser): boolean {
  return user.is_active !== false
}

function nonEmpty (s: string | undefined): string | undefined {
  return s === '' ? undefined : s
}

function md5 (s: string): string {
  return createHash('md5').update(s).digest('hex')
}

/** Digest credentials are a few hundred characters; longer ones are not read at all. */
export const MAX_DIGEST_LENGTH = 4096

/**
 * `name=value, name="quoted \"value\""` pairs in one pass (each character is
 * looked at a bounded number of times, whatever the header holds); names
 * lower-case. Credentials past MAX_DIGEST_LENGTH give no pairs.
 */
export function parseDigestParams (s: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null)
  if (s.length > MAX_DIGEST_LENGTH) return out
  const n = s.length
  const isName = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 95
  const isBlank = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13
  let i = 0
  while (i < n) {
    const start = i
    while (i < n && isName(s.charCodeAt(i))) i++
    if (i === start) {
      i++
      continue
    }
    const name = s.slice(start, i).toLowerCase()
    let j = i
    while (j < n && isBlank(s.charCodeAt(j))) j++
    if (s[j] !== '=') {
      i = j
      continue
    }
    j++
    while (j < n && isBlank(s.charCodeAt(j))) j++
    if (s[j] === '"') {
      let value = ''
      let k = j + 1
      while (k < n && s[k] !== '"') {
        if (s[k] === '\\' && k + 1 < n) k++
        value += s[k]
        k++
      }
      if (k >= n) break
      out[name] = value
      i = k + 1
    } else {
      let k = j
      while (k < n && s[k] !== ',' && !isBlank(s.charCodeAt(k))) k++
      out[name] = s.slice(j, k)
      i = k
    }
  }
  return out
}

/**
 * Membership and permission for one domain (the 403s of BEHAVIOR.md §2). A
 * key's domain scope was checked by `authenticate` (401); a role-scoped key
 * grants its role's permissions instead of the member's.
 */
export function authorize (identity: Identity, domain: DomainState, permissions: readonly string[] = REQUIRED_PERMISSIONS): void {
  if (identity.kind === 'mobile') throw forbidden('these are the credentials of a mobile worker; only web users may call the API')
  if (identity.via === 'none') return
  if (identity.scope !== null && identity.scope !== domain.name) {
    throw unauthorized(`the credentials are scoped to domain '${identity.scope}', not '${domain.name}'`)
  }
  const username = identity.user.username
  const member = domain.isMember(username)
  if (member === undefined) throw forbidden(`'${username}' is not a member of domain '${domain.name}'`)
  if (!memberActive(member)) throw forbidden(`'${username}' is deactivated in domain '${domain.name}'`)
  const role = identity.role ?? null
  let granted: Set<string>
  let who: string
  if (role !== null) {
    // HQ: `api_key.role.domain == domain and role.permissions.has(...)`; a role key of no domain matches none.
    granted = identity.scope === null ? new Set() : rolePermissions(domain, role)
    who = identity.scope === null
      ? `the API key's role '${role}' belongs to no domain (the key has no domain scope), so it`
      : `the API key (scoped to role '${role}')`
  } else {
    granted = memberPermissions(domain, member)
    who = `'${username}'`
  }
  const missing = permissions.filter(p => !granted.has(p))
  if (missing.length > 0) throw forbidden(`${who} lacks ${missing.join(' and ')} in domain '${domain.name}'`)
}
