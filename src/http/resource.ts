import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods, RouteHandlerMethod } from 'fastify'
import { HqError, notFoundEmpty, badRequest, forbidden } from '../commcare/errors.js'
import { authorize } from '../commcare/auth.js'
import { hasPrivilege } from '../commcare/roles.js'
import { headerSafe } from './reply.js'
import type { HqRequestState, HqRouteConfig } from './context.js'
import type { UrlStyle } from '../commcare/users.js'

const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']

export const SLASH_WARNING = "HQ redirects this URL (301) to the one ending in '/'; a client following the redirect drops the request body"

type Handlers = Partial<Record<'GET' | 'POST' | 'PUT' | 'DELETE', RouteHandlerMethod>>

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
}

/**
 * Registers one CommCare resource on each of its URLs: the allowed methods go
 * to their handlers, every other method to an answer of 405 with `Allow`
 * (OPTIONS: 200), which HQ checks before authentication.
 */
export function resource (app: FastifyInstance, options: ResourceOptions, handlers: Handlers): void {
  const allowed = (['GET', 'POST', 'PUT', 'DELETE'] as const).filter(m => handlers[m] !== undefined)
  const allow = allowed.join(', ')
  for (const [style, url] of Object.entries(options.paths) as Array<[UrlStyle, string]>) {
    for (const method of allowed) {
      const config: HqRouteConfig = {
        hq: { scope: options.scope, style, allow, permissions: options.permissions, privilege: options.privilege, rateLimited: options.rateLimited }
      }
      app.route({ method, url, config, handler: handlers[method]! })
    }
    const config: HqRouteConfig = { hq: { scope: options.scope, style, allow, methodNotAllowed: true } }
    app.route({
      method: METHODS.filter(m => !(allowed as string[]).includes(m)),
      url,
      config,
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

function routeConfig (request: FastifyRequest): HqRouteConfig['hq'] | undefined {
  return (request.routeOptions.config as Partial<HqRouteConfig>).hq
}

/**
 * The checks HQ makes before a resource's handler, in its order:
 * 405 (its own route) → domain → authentication → permission → rate limit.
 * They run before the body is read, as in HQ, so a bad body with bad
 * credentials is a 401.
 */
export function registerHqChecks (app: FastifyInstance): void {
  app.decorateRequest('hq', null as unknown as HqRequestState)
  app.addHook('onRequest', async (request, reply) => {
    const hq = routeConfig(request)
    request.hq = { domain: null, identity: null }
    if (hq === undefined) return
    const path = request.url.split('?', 1)[0]
    if (!path.endsWith('/')) reply.header('x-mock-warning', SLASH_WARNING)
    if (hq.methodNotAllowed === true) return
    const { ctx } = app
    let domain = null
    if (hq.scope === 'domain') {
      const name = (request.params as { domain: string }).domain
      domain = ctx.store.domain(name) ?? null
      if (domain === null) throw notFoundEmpty(`there is no domain '${name}'`)
      request.hq.domain = domain
      if (hq.privilege !== undefined && !hasPrivilege(domain, hq.privilege)) {
        throw forbidden(`domain '${name}' does not have the ${hq.privilege} privilege; HQ answers 403 before authentication`)
      }
    }
    if (!ctx.authEnabled) {
      const admin = ctx.store.webUsers()[0]
      if (admin !== undefined) request.hq.identity = { kind: 'web', user: admin, scope: null, via: 'none' }
    } else {
      const identity = ctx.auth.authenticate({
        method: request.method,
        url: request.url,
        authorization: request.headers.authorization,
        query: request.query as Record<string, unknown>
      })
      request.hq.identity = identity
      if (domain !== null) authorize(identity, domain, hq.permissions)
      else if (identity.kind === 'mobile') throw forbidden('these are the credentials of a mobile worker; only web users may call the API')
    }
    if (domain !== null && hq.rateLimited !== false) {
      const limit = ctx.rateLimits[domain.name] ?? domain.doc.rate_limit_per_minute
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
  })
}
