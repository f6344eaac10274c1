import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods, RouteHandlerMethod } from 'fastify'
import { HqError, notFoundEmpty, badRequest, forbidden, unauthorized } from '../commcare/errors.js'
import { authorize, clientIp, type Identity } from '../commcare/auth.js'
import { hasPrivilege } from '../commcare/roles.js'
import { headerSafe } from './reply.js'
import { isFormBody, isFormRequest } from './body.js'
import type { DomainState } from '../store/domain.js'
import type { HqRequestState, HqRouteConfig } from './context.js'
import type { UrlStyle } from '../commcare/users.js'

const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']

/** How a URL without its trailing slash is answered: HQ's 301, or served as the slashed one. */
export type SlashlessMode = 'redirect' | 'serve'

export const SLASH_WARNING = "HQ answers this URL with a 301 to the one ending in '/'; a client following the redirect resends a POST or PUT as a GET without its body"

const SLASH_REASON = "the URL lacks its trailing '/': HQ (Django's APPEND_SLASH) answers every method with a 301 before authentication, " +
  'and a client following it resends a POST or PUT as a GET without its body'

type Handlers = Partial<Record<'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH', RouteHandlerMethod>>

export interface ResourceOptions {
  scope: 'domain' | 'global'
  /** One path per URL style, written with the trailing slash. */
  paths: Partial<Record<UrlStyle, string>>
  /** Permissions a member needs (default: edit_commcare_users and access_api). */
  permissions?: readonly string[]
  /** A plan privilege the domain needs (checked before authentication). */
  privilege?: string
  /** Whether the domain's rate limit applies (default true). */
  rateLimited?: boolean
  /**
   * The body of every 401 as `text/plain` (user_domains); identity and
   * user_domains also send no challenge and refuse a mobile worker with 401.
   */
  unauthorizedText?: string
}

/**
 * Registers one CommCare resource on each of its URLs: the allowed methods go
 * to their handlers, every other method to an answer of 405 with `Allow`
 * (OPTIONS: 200), which HQ checks before authentication.
 */
export function resource (app: FastifyInstance, options: ResourceOptions, handlers: Handlers): void {
  const allowed = (['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const).filter(m => handlers[m] !== undefined)
  const allow = allowed.join(', ')
  for (const [style, url] of Object.entries(options.paths) as Array<[UrlStyle, string]>) {
    for (const method of allowed) {
      const config: HqRouteConfig = {
        hq: {
          scope: options.scope,
          style,
          allow,
          permissions: options.permissions,
          privilege: options.privilege,
          rateLimited: options.rateLimited,
          unauthorizedText: options.unauthorizedText
        }
      }
      // Fastify never reads the body of a GET: its credentials cannot wait for one.
      const hooks = method === 'GET' ? { onRequest: hqChecks(app, config.hq, false) } : { onRequest: hqChecks(app, config.hq, true), preValidation: formCredentials(app, config.hq) }
      app.route({ method, url, config, ...hooks, handler: handlers[method]! })
    }
    const config: HqRouteConfig = { hq: { scope: options.scope, style, allow, methodNotAllowed: true } }
    app.route({
      method: METHODS.filter(m => !(allowed as string[]).includes(m)),
      url,
      config,
      onRequest: hqChecks(app, config.hq, false),
      handler: async (request, reply) => methodNotAllowed(request, reply, allow)
    })
  }
}

async function methodNotAllowed (request: FastifyRequest, reply: FastifyReply, allow: string): Promise<FastifyReply> {
  reply.header('allow', allow)
    .header('access-control-allow-origin', '*')
    .header('access-control-allow-headers', 'Content-Type, Authorization')
    .type('text/html; charset=utf-8')
  if (request.method === 'OPTIONS') return reply.code(200).send(allow)
  return reply.code(405)
    .header('x-mock-reason', headerSafe(`${request.method} is not allowed here; HQ allows ${allow} and checks this before authentication`))
    .send(request.method === 'HEAD' ? undefined : allow)
}

/** `<path>/` and the original query string, percent-encoded where a header needs it (Django's `get_full_path`). */
export function slashedLocation (url: string): string {
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  const query = q === -1 ? '' : url.slice(q + 1)
  const encode = (s: string): string => s.replace(/[^\x21-\x7e]+/g, run => encodeURIComponent(run))
  return encode(path) + '/' + (query === '' ? '' : '?' + encode(query))
}

/**
 * The checks HQ makes before a resource's handler, in its order:
 * 301 (no trailing slash) → 405 (its own route) → domain → authentication →
 * permission → rate limit. They run before the body is read, as in HQ, so a
 * bad body with bad credentials is a 401; only credentials that can come from
 * a form body wait for it (a `preValidation` hook, once the body is parsed).
 * Each resource route gets them as its own hooks (after the application's:
 * the mock's journal and faults come first), with its settings at hand.
 */
export function registerHqChecks (app: FastifyInstance): void {
  app.decorateRequest('hq', null as unknown as HqRequestState)
}

/**
 * The `onRequest` checks of one route. Callback-style: a thrown HqError fails
 * the request as a rejected promise would, and only a check that must wait (a
 * worker's password) makes a promise.
 */
function hqChecks (app: FastifyInstance, hq: HqRouteConfig['hq'], mayWaitForForm: boolean) {
  return (request: FastifyRequest, reply: FastifyReply, done: () => void): Promise<void> | undefined => {
    request.hq = { domain: null, identity: null, route: hq }
    const { ctx } = app
    const url = request.url
    const q = url.indexOf('?')
    if (url.charCodeAt((q === -1 ? url.length : q) - 1) !== 47) {
      if (ctx.slashless === 'redirect') {
        throw new HqError(301, { kind: 'empty' }, SLASH_REASON, { Location: slashedLocation(request.url) })
      }
      reply.header('x-mock-warning', SLASH_WARNING)
    }
    if (hq.methodNotAllowed === true) {
      done()
      return
    }
    if (hq.scope === 'domain') {
      const name = (request.params as { domain: string }).domain
      const domain = ctx.store.domain(name) ?? null
      if (domain === null) throw notFoundEmpty(`there is no domain '${name}'`)
      request.hq.domain = domain
      if (hq.privilege !== undefined && !hasPrivilege(domain, hq.privilege)) {
        throw forbidden(`domain '${name}' does not have the ${hq.privilege} privilege; HQ answers 403 before authentication`)
      }
    }
    if (mayWaitForForm && ctx.authEnabled && waitsForFormCredentials(request)) {
      request.hq.pending = true
      done()
      return
    }
    const waiting = afterDomain(app, request, hq)
    if (waiting === undefined) done()
    else return waiting
  }
}

/** The `preValidation` hook of a route whose credentials may come in a form body. */
function formCredentials (app: FastifyInstance, hq: HqRouteConfig['hq']) {
  return (request: FastifyRequest, _reply: FastifyReply, done: () => void): Promise<void> | undefined => {
    if (request.hq?.pending !== true) {
      done()
      return
    }
    request.hq.pending = false
    const waiting = afterDomain(app, request, hq)
    if (waiting === undefined) done()
    else return waiting
  }
}

/** No Authorization header and no complete query credentials, but a form body that may hold them. */
function waitsForFormCredentials (request: FastifyRequest): boolean {
  const header = request.headers.authorization
  if (header !== undefined && header.trim() !== '') return false
  const query = request.query as Record<string, unknown>
  if (hasValue(query.username) && hasValue(query.api_key)) return false
  return isFormRequest(request.headers['content-type'])
}

function hasValue (v: unknown): boolean {
  return (typeof v === 'string' && v !== '') || (Array.isArray(v) && v.length > 0)
}

/**
 * Authentication, permission, rate limit and format, once the domain is known.
 * A promise only when authentication has to wait (checking a worker's password
 * off the event loop); the later checks then run after it, in the same order.
 */
function afterDomain (app: FastifyInstance, request: FastifyRequest, hq: HqRouteConfig['hq']): Promise<void> | undefined {
  const { ctx } = app
  const domain = request.hq.domain
  if (!ctx.authEnabled) {
    const admin = ctx.store.webUsers()[0]
    if (admin !== undefined) request.hq.identity = { kind: 'web', user: admin, scope: null, via: 'none' }
  } else {
    const identity = identify(app, request, hq, domain)
    if (identity instanceof Promise) {
      return identity.then(found => {
        request.hq.identity = found
        afterIdentity(app, request, hq, domain)
      })
    }
    request.hq.identity = identity
  }
  afterIdentity(app, request, hq, domain)
  return undefined
}

function afterIdentity (app: FastifyInstance, request: FastifyRequest, hq: HqRouteConfig['hq'], domain: DomainState | null): void {
  const { ctx } = app
  if (domain !== null && hq.rateLimited !== false) {
    const limit = (Object.hasOwn(ctx.rateLimits, domain.name) ? ctx.rateLimits[domain.name] : undefined) ?? domain.doc.rate_limit_per_minute
    if (limit !== null && limit !== undefined) {
      const wait = ctx.rateLimiter.take(domain.name, limit)
      if (wait > 0) {
        const headers: Record<string, string> = ctx.retryAfter === null ? {} : { 'Retry-After': String(ctx.retryAfter) }
        throw new HqError(429, { kind: 'empty' }, `domain '${domain.name}' is limited to ${limit} requests per minute`, headers)
      }
    }
  }
  const format = (request.query as Record<string, unknown>).format
  if (format === 'xml') throw badRequest('The mock serves JSON only', 'format=xml: HQ would answer XML; the mock serves JSON only')
}

function identify (app: FastifyInstance, request: FastifyRequest, hq: HqRouteConfig['hq'], domain: DomainState | null): Identity | Promise<Identity> {
  const body = request.body
  let found: Identity | Promise<Identity>
  try {
    found = app.ctx.auth.authenticate({
      method: request.method,
      url: request.url,
      authorization: request.headers.authorization,
      query: request.query as Record<string, unknown>,
      form: isFormBody(body) ? body : undefined,
      domain: domain === null ? null : domain.name,
      clientIp: clientIp(request.headers['x-forwarded-for'], request.socket?.remoteAddress)
    })
  } catch (err) {
    throw refusal(hq, err)
  }
  if (found instanceof Promise) {
    return found.then(identity => admitted(app, hq, domain, identity), err => { throw refusal(hq, err) })
  }
  return admitted(app, hq, domain, found)
}

/** Permission for the domain (or the refusal of a worker where no domain is named), once the caller is known. */
function admitted (app: FastifyInstance, hq: HqRouteConfig['hq'], domain: DomainState | null, identity: Identity): Identity {
  try {
    if (domain !== null) authorize(identity, domain, hq.permissions)
    else if (identity.kind === 'mobile') {
      throw unauthorized("these are the credentials of a mobile worker: HQ's LoginAuthentication refuses them with 401 here")
    }
  } catch (err) {
    throw refusal(hq, err)
  }
  // HQ's clear_login_attempts, once the caller got through.
  if (identity.kind === 'web' && (identity.via === 'basic' || identity.via === 'digest')) app.ctx.rateLimiter.logins.clear(identity.user.username)
  return identity
}

/**
 * identity and user_domains (LoginAuthentication): any failure is tastypie's bare
 * HttpUnauthorized, without a challenge; user_domains gives it a text body [R2 §C.5].
 */
function refusal (hq: HqRouteConfig['hq'], err: unknown): unknown {
  if (hq.scope === 'global' && err instanceof HqError && err.status === 401) {
    const body = hq.unauthorizedText === undefined
      ? { kind: 'empty' as const }
      : { kind: 'text' as const, text: hq.unauthorizedText, contentType: 'text/plain' }
    return new HqError(401, body, err.reason)
  }
  return err
}
