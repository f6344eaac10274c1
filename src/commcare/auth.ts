import { createHash, createHmac, randomBytes } from 'node:crypto'
import { HqError, forbidden, unauthorized } from './errors.js'
import { matchesOffered, secretEquals, verifyPassword } from './passwords.js'
import { memberPermissions } from './roles.js'
import type { DomainState } from '../store/domain.js'
import type { StoredUser, WebUser } from '../store/schema.js'

// Credentials and permissions as in BEHAVIOR.md §2. Only web users may call the
// API; a mobile worker's valid credentials get 403.

export const DIGEST_REALM = 'commcarehq'
const NONCE_LIFETIME_MS = 5 * 60 * 1000

export type Identity =
  | { kind: 'web', user: WebUser, scope: string | null, via: 'apikey' | 'basic' | 'digest' | 'bearer' | 'none' }
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
}

export const REQUIRED_PERMISSIONS = ['edit_commcare_users', 'access_api']

export class Authenticator {
  private readonly secret: Buffer

  constructor (private readonly source: CredentialSource, secret?: Buffer) {
    this.secret = secret ?? randomBytes(32)
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

  /** Who is calling; throws the 400/401 answers of BEHAVIOR.md §2. */
  authenticate (req: AuthRequest): Identity {
    const header = req.authorization
    if (header === undefined || header.trim() === '') {
      const username = req.query.username
      const apiKey = req.query.api_key
      if (typeof username === 'string' && typeof apiKey === 'string') return this.apiKey(username, apiKey)
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
        return this.apiKey(rest.slice(0, colon), rest.slice(colon + 1))
      }
      case 'basic':
        return this.basic(rest)
      case 'digest':
        return this.digest(req, rest)
      case 'bearer':
        return this.bearer(rest)
      default:
        throw unauthorized(`unsupported Authorization scheme '${scheme.slice(0, 20)}'`, { 'WWW-Authenticate': this.challenge() })
    }
  }

  private apiKey (username: string, key: string): Identity {
    const user = this.source.webUser(username)
    const matches = matchesOffered(key)
    const found = user?.api_keys.find(k => matches(k.key))
    if (user === undefined || found === undefined) throw unauthorized('unknown user or wrong API key')
    if (!found.active) throw unauthorized('the API key is inactive')
    return { kind: 'web', user, scope: found.domain, via: 'apikey' }
  }

  private basic (encoded: string): Identity {
    const challenge = { 'WWW-Authenticate': 'Basic realm=""' }
    const decoded = Buffer.from(encoded, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon === -1) throw unauthorized('malformed Basic credentials', challenge)
    const username = decoded.slice(0, colon)
    const password = decoded.slice(colon + 1)
    const user = this.source.webUser(username)
    if (user !== undefined) {
      if (secretEquals(user.password, password)) return { kind: 'web', user, scope: null, via: 'basic' }
      throw unauthorized('wrong password', challenge)
    }
    const worker = this.findMobileWorker(username)
    if (worker !== undefined && verifyPassword(password, worker.user.password_hash)) {
      return { kind: 'mobile', user: worker.user, domain: worker.domain }
    }
    throw unauthorized('unknown user or wrong password', challenge)
  }

  private findMobileWorker (username: string): { user: StoredUser, domain: string } | undefined {
    const lower = username.toLowerCase()
    for (const d of this.source.domains()) {
      const u = d.usersByUsername.get(lower)
      if (u !== undefined && !u.retired) return { user: u, domain: d.name }
    }
    return undefined
  }

  private bearer (token: string): Identity {
    for (const user of this.source.webUsers()) {
      const found = user.tokens.find(t => secretEquals(t.token, token))
      if (found !== undefined) return { kind: 'web', user, scope: found.domain, via: 'bearer' }
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
    const user = this.source.webUser(username)
    if (user === undefined) throw fail('unknown user')
    const ha1 = md5(`${user.username}:${DIGEST_REALM}:${user.password}`)
    const ha2 = md5(`${req.method}:${uri}`)
    const expected = md5(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`)
    if (!secretEquals(expected, response.toLowerCase())) throw fail('wrong Digest response (password)')
    if (state === 'stale') throw fail('the Digest nonce has expired', true)
    return { kind: 'web', user, scope: null, via: 'digest' }
  }
}

function md5 (s: string): string {
  return createHash('md5').update(s).digest('hex')
}

export function parseDigestParams (s: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null)
  const re = /([a-zA-Z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g
  let m: RegExpExecArray | null
  while ((m = re.exec(s)) !== null) out[m[1].toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]
  return out
}

/** Membership and permission for one domain (403s of BEHAVIOR.md §2). */
export function authorize (identity: Identity, domain: DomainState, permissions: readonly string[] = REQUIRED_PERMISSIONS): void {
  if (identity.kind === 'mobile') throw forbidden('these are the credentials of a mobile worker; only web users may call the API')
  if (identity.via === 'none') return
  if (identity.scope !== null && identity.scope !== domain.name) {
    throw forbidden(`the credentials are scoped to domain '${identity.scope}', not '${domain.name}'`)
  }
  const member = domain.isMember(identity.user.username)
  if (member === undefined) throw forbidden(`'${identity.user.username}' is not a member of domain '${domain.name}'`)
  const granted = memberPermissions(domain, member)
  const missing = permissions.filter(p => !granted.has(p))
  if (missing.length > 0) throw forbidden(`'${identity.user.username}' lacks ${missing.join(' and ')} in domain '${domain.name}'`)
}
