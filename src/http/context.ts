import type { DomainState } from '../store/domain.js'
import type { Store } from '../store/store.js'
import type { Authenticator, Identity } from '../commcare/auth.js'
import type { RateLimiter } from '../commcare/rate-limit.js'
import type { Outbox } from '../mock/outbox.js'
import type { UrlStyle, UserDataMode } from '../commcare/users.js'
import type { SlashlessMode } from './resource.js'

/** What the app knows beyond the store, shared by hooks and routes. */
export interface AppContext {
  store: Store
  auth: Authenticator
  authEnabled: boolean
  userDataMode: UserDataMode
  rateLimiter: RateLimiter
  /** Per-domain requests per minute from configuration; overrides the seed's. */
  rateLimits: Record<string, number>
  /** Seconds to announce in `Retry-After` on a 429, or null for none (HQ sends none). */
  retryAfter: number | null
  /** The e-mails HQ would have sent (BEHAVIOR.md §14). */
  outbox: Outbox
  /** A URL without its trailing slash: HQ's 301 ('redirect', default) or served with a warning ('serve'). */
  slashless: SlashlessMode
}

/** Per-route settings for CommCare resources. */
export interface HqRouteConfig {
  hq: {
    /** 'domain' for /a/{domain}/api/…, 'global' for /api/… */
    scope: 'domain' | 'global'
    style: UrlStyle
    /** The methods the resource allows, as HQ lists them in `Allow`. */
    allow: string
    /** Set on the catch-all route that answers 405 / OPTIONS. */
    methodNotAllowed?: boolean
    /** Permissions a member needs (default: edit_commcare_users and access_api). */
    permissions?: readonly string[]
    /** A plan privilege the domain needs; without it a bare 403 before authentication. */
    privilege?: string
    /** Subject to the domain's rate limit (default true; locations, identity and user_domains are not). */
    rateLimited?: boolean
    /** A `text/plain` body for every 401 (user_domains). */
    unauthorizedText?: string
  }
}

export interface HqRequestState {
  domain: DomainState | null
  identity: Identity | null
  /** The route's settings. */
  route: HqRouteConfig['hq']
  /** Authentication waits for a form body that may carry the credentials. */
  pending?: boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    ctx: AppContext
  }
  interface FastifyRequest {
    /** Set by the checks of a CommCare route; null on every other route. */
    hq: HqRequestState
  }
}
