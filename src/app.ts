import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Authenticator } from './commcare/auth.js'
import { RateLimiter } from './commcare/rate-limit.js'
import type { UserDataMode } from './commcare/users.js'
import { registerBodyParsers } from './http/body.js'
import { frameworkErrorHandler, registerErrorHandling } from './http/errors.js'
import { registerHqChecks, type SlashlessMode } from './http/resource.js'
import type { AppContext } from './http/context.js'
import { userRoutes } from './routes/users.js'
import { groupRoutes } from './routes/groups.js'
import { locationRoutes } from './routes/locations.js'
import { locationTypeRoutes } from './routes/location-types.js'
import { webUserRoutes } from './routes/web-users.js'
import { invitationRoutes } from './routes/invitations.js'
import { bulkUserRoutes } from './routes/bulk-users.js'
import { mockInvitationRoutes } from './routes/mock-invitations.js'
import { identityRoutes } from './routes/identity.js'
import { mockRoutes } from './routes/mock.js'
import { registerMockControl } from './mock/hooks.js'
import { Outbox } from './mock/outbox.js'
import { inspectorRoutes } from './routes/inspector.js'
import { docsRoutes } from './routes/docs.js'
import type { Store } from './store/store.js'
import { redactUrl } from './mock/redact.js'
import { keepTickObjectShape } from './http/tick-shape.js'

export interface AppOptions {
  store: Store
  /** Check credentials (default true). Off: every request acts as an admin of every domain. */
  auth?: boolean
  /** How PUT treats `user_data`: 'replace' (default, the published docs) or 'merge' (HQ's code). */
  userDataMode?: UserDataMode
  /** Largest accepted request body in bytes (default 5 MiB). */
  bodyLimit?: number
  /** Requests per minute per domain; overrides the seed's `rate_limit_per_minute`. */
  rateLimits?: Record<string, number>
  /** Seconds for a `Retry-After` header on 429 answers (default: none, as HQ). */
  retryAfter?: number | null
  /** Fastify logger setting (default off). */
  logger?: FastifyServerOptions['logger']
  /** When set, /__mock/* requires this token. */
  adminToken?: string | null
  /** How many requests the journal keeps (default 1000). */
  journalSize?: number
  /** Seconds a client may take to send a request before it is cut off (default 30). */
  requestTimeout?: number
  /** A URL without its trailing slash: HQ's 301 ('redirect', default) or served with `X-Mock-Warning` ('serve'). */
  slashless?: SlashlessMode
  /** Wrong Basic/Digest passwords after which a web user is locked out (HQ's lockout); default off. */
  passwordAttempts?: number | null
  /** Scheme and host of the absolute URLs of locations and location types (default: the request's scheme and Host). */
  baseUrl?: string | null
}

export const DEFAULT_BODY_LIMIT = 5 * 1024 * 1024

/** Query parameters that carry secrets are masked wherever a URL is logged (their names judged decoded). */
export { redactUrl }

type ChildLoggerFactory = NonNullable<FastifyServerOptions['childLoggerFactory']>
type Bindings = Parameters<ChildLoggerFactory>[1]
type ChildLoggerOptions = Parameters<ChildLoggerFactory>[2]
type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'
type MakeChild = (this: FastifyBaseLogger, bindings: Bindings, options?: ChildLoggerOptions) => FastifyBaseLogger
type LevelAware = FastifyBaseLogger & { isLevelEnabled: (level: string) => boolean }

/**
 * A request's logger, made only once something is logged at a level the server
 * logs: pino's child (which serializes its bindings, the request id) costs
 * more than the rest of a typical request's logging, and a server at `warn`
 * logs nothing for almost every request.
 */
class RequestLogger implements FastifyBaseLogger {
  private made: FastifyBaseLogger | null = null

  constructor (
    private readonly parent: LevelAware,
    private readonly make: MakeChild,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions | undefined
  ) {}

  private get logger (): FastifyBaseLogger {
    this.made ??= this.make.call(this.parent, this.bindings, this.options)
    return this.made
  }

  get level (): string {
    return this.made === null ? this.parent.level : this.made.level
  }

  set level (level: string) {
    this.logger.level = level
  }

  private log (level: Level, args: unknown[]): void {
    if (this.made !== null || this.parent.isLevelEnabled(level)) (this.logger[level] as (...a: unknown[]) => void)(...args)
  }

  fatal (...args: unknown[]): void { this.log('fatal', args) }
  error (...args: unknown[]): void { this.log('error', args) }
  warn (...args: unknown[]): void { this.log('warn', args) }
  info (...args: unknown[]): void { this.log('info', args) }
  debug (...args: unknown[]): void { this.log('debug', args) }
  trace (...args: unknown[]): void { this.log('trace', args) }
  silent (): void {}

  child (bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.logger.child(bindings, options)
  }
}

/**
 * Fastify asks the server's logger for a child per request (with its own
 * child-logger factory it would also check each child's methods, per request);
 * the server's logger answers with a RequestLogger instead. A child with its
 * own level or serializers, and any child of a child, is pino's at once.
 */
function lazyRequestLoggers (root: FastifyBaseLogger): void {
  if (typeof (root as Partial<LevelAware>).isLevelEnabled !== 'function') return
  const make = root.child as MakeChild
  root.child = function (this: FastifyBaseLogger, bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    if (this !== root || options?.level !== undefined || options?.serializers !== undefined) return make.call(this, bindings, options)
    return new RequestLogger(root as LevelAware, make, bindings, options)
  }
}

export async function buildApp (options: AppOptions): Promise<FastifyInstance> {
  keepTickObjectShape()
  const logging = options.logger !== undefined && options.logger !== false
  const app = Fastify({
    logger: !logging
      ? false
      : {
          ...(typeof options.logger === 'object' ? options.logger : {}),
          serializers: {
            req: (req: { method: string, url: string }) => ({ method: req.method, url: redactUrl(req.url) })
          }
        },
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // Ids of any length reach the handlers (Node's 16 KiB header limit bounds them),
    // so a long unknown id gets the same answer as any unknown id.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 16 * 1024 },
    frameworkErrors: frameworkErrorHandler,
    exposeHeadRoutes: false,
    requestTimeout: (options.requestTimeout ?? 30) * 1000,
    connectionTimeout: (options.requestTimeout ?? 30) * 1000,
    // While closing, the mock answers with its own 503 (below), not Fastify's.
    return503OnClosing: false,
    forceCloseConnections: 'idle'
  }).withTypeProvider<TypeBoxTypeProvider>()
  // Without a logger Fastify makes no request loggers at all.
  if (logging) lazyRequestLoggers(app.log)

  const rateLimiter = new RateLimiter()
  const attempts = options.passwordAttempts ?? null
  const ctx: AppContext = {
    store: options.store,
    auth: new Authenticator({
      webUser: u => options.store.webUser(u),
      webUsers: () => options.store.webUsers(),
      domains: () => options.store.domains()
    }, undefined, attempts === null || attempts === 0 ? null : { limit: attempts, attempts: rateLimiter.logins }),
    authEnabled: options.auth ?? true,
    userDataMode: options.userDataMode ?? 'replace',
    rateLimiter,
    rateLimits: options.rateLimits ?? {},
    retryAfter: options.retryAfter ?? null,
    outbox: new Outbox(),
    slashless: options.slashless ?? 'redirect'
  }
  app.decorate('ctx', ctx)

  // Requests that still arrive during a graceful stop (on kept-alive connections)
  // get the mock's own 503, with a reason, before anything else runs.
  let closing = false
  app.addHook('preClose', done => {
    closing = true
    done()
  })
  app.addHook('onRequest', (request, reply, done) => {
    if (!closing) {
      done()
      return
    }
    const reason = 'the server is shutting down and serves no more requests; retry once it is back'
    reply.code(503).header('connection', 'close').header('x-mock-reason', reason)
    // Answered here: the remaining hooks and the handler do not run.
    if (request.url.startsWith('/__mock')) reply.send({ error: reason })
    else reply.send()
  })

  registerErrorHandling(app)
  registerBodyParsers(app)
  // Journal and faults first: a fault answers before authentication, and every answer is journaled.
  registerMockControl(app, { adminToken: options.adminToken, journalSize: options.journalSize })
  registerHqChecks(app)
  await app.register(userRoutes)
  await app.register(groupRoutes)
  await app.register(locationRoutes, { baseUrl: options.baseUrl ?? null })
  await app.register(locationTypeRoutes, { baseUrl: options.baseUrl ?? null })
  await app.register(webUserRoutes)
  await app.register(invitationRoutes)
  await app.register(bulkUserRoutes)
  await app.register(identityRoutes)
  await app.register(mockRoutes)
  await app.register(mockInvitationRoutes)
  await app.register(inspectorRoutes)
  await app.register(docsRoutes)
  return app
}
