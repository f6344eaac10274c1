import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import { TypeBoxValidatorCompiler, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { VERSION } from '../version.js'
import { HqError } from '../commcare/errors.js'
import { MockApiError } from '../http/errors.js'
import { headerSafe } from '../http/reply.js'
import { hasAdminAccess, requireAdmin } from '../mock/admin.js'
import { CreateDomainSchema } from '../mock/control.js'
import { FaultRuleInputSchema } from '../mock/faults.js'
import type { JournalFilter } from '../mock/journal.js'
import { EMAIL_TYPES, isEmailType, type OutboxFilter } from '../mock/outbox.js'
import { DiskError } from '../store/errors.js'

// The test-control API under /__mock/, a prefix HQ never uses. Every answer is
// JSON; errors are {"error": "…"}. With an admin token configured, every route
// here needs it, but for health: without the token it answers liveness alone.

const DomainParams = Type.Object({ domain: Type.String() })

const JournalQuery = Type.Object({
  method: Type.Optional(Type.String({ pattern: '^[A-Za-z]{1,10}$' })),
  path: Type.Optional(Type.String({ maxLength: 500 })),
  domain: Type.Optional(Type.String({ maxLength: 100 })),
  status: Type.Optional(Type.String({ pattern: '^([1-5][0-9][0-9]|[1-5]xx|0)$' })),
  since: Type.Optional(Type.String({ maxLength: 100 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 }))
}, { additionalProperties: false })

const JournalCountQuery = Type.Omit(JournalQuery, ['limit'], { additionalProperties: false })

const OutboxQuery = Type.Object({
  domain: Type.Optional(Type.String({ maxLength: 100 })),
  type: Type.Optional(Type.String({ maxLength: 100 })),
  // RFC 5321 bounds an address to 254 characters; a little room for odd ones.
  to: Type.Optional(Type.String({ maxLength: 320 }))
}, { additionalProperties: false })

function outboxFilter (query: Static<typeof OutboxQuery>): OutboxFilter {
  const { type, ...rest } = query
  if (type === undefined) return rest
  if (!isEmailType(type)) throw new MockApiError(400, `invalid request: querystring/type must be one of ${EMAIL_TYPES.join(', ')}`)
  return { ...rest, type }
}

/** Bodies of PUT /__mock/state may be far larger than a CommCare request. */
const STATE_BODY_LIMIT = 256 * 1024 * 1024

const HEALTH = '/__mock/health'

/** Listing the journal returns this many entries unless `limit` says otherwise. */
export const DEFAULT_LIST_LIMIT = 100

/** An error of this API: `{"error": …}` (with `details` when there are several problems) and the same sentence as `X-Mock-Reason`. */
function fail (reply: FastifyReply, status: number, message: string, details?: unknown): FastifyReply {
  return reply.code(status).header('x-mock-reason', headerSafe(message))
    .send(details === undefined ? { error: message } : { error: message, details })
}

export async function mockRoutes (fastify: FastifyInstance): Promise<void> {
  const started = Date.now()
  // TypeBox's own checker instead of Ajv: no silent removal of unknown keys, no coercion of bodies.
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  app.setValidatorCompiler(TypeBoxValidatorCompiler)
  app.setErrorHandler(async (err, request, reply) => {
    if (err instanceof MockApiError) return fail(reply, err.status, err.message, err.details)
    const e = err as FastifyError
    if (e.validation !== undefined) return fail(reply, 400, `invalid request: ${e.message}`)
    if (err instanceof HqError) {
      // Body parsing shares the CommCare parser; say what went wrong in this API's shape.
      return fail(reply, err.status, err.status === 415 ? 'the body must be JSON (Content-Type: application/json)' : err.reason)
    }
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return fail(reply, 413, 'the request body is too large')
    if (err instanceof DiskError) return fail(reply, 500, `${err.message}; the change was not kept`)
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return fail(reply, e.statusCode, e.message)
    request.log.error({ err }, 'test-control API failed')
    return fail(reply, 500, `unexpected error: ${e.message}`)
  })
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.url === HEALTH) return
    return await requireAdmin(request, reply)
  })

  app.get(HEALTH, async request => {
    // A liveness probe needs no secret; only the token's holder learns more than that the server is up.
    if (!hasAdminAccess(request.headers, app.mockAdminToken)) return { status: 'ok' }
    const { store } = app.ctx
    return {
      status: 'ok',
      version: VERSION,
      uptime_seconds: Math.round((Date.now() - started) / 1000),
      domains: store.domainNames().length,
      users: store.userCount()
    }
  })

  // ---- state -----------------------------------------------------------------

  app.post('/__mock/reset', async () => {
    await app.mock.resetAll()
    return { reset: 'all', domains: app.mock.listDomains() }
  })

  app.get('/__mock/domains', async () => ({ domains: app.mock.listDomains() }))

  app.post('/__mock/domains', { schema: { body: CreateDomainSchema } }, async (request, reply) => {
    const summary = await app.mock.createDomain(request.body.name, request.body)
    return reply.code(201).header('location', `/__mock/domains/${summary.name}`).send(summary)
  })

  app.get('/__mock/domains/:domain', { schema: { params: DomainParams } }, async request => {
    return app.mock.summary(request.params.domain)
  })

  app.delete('/__mock/domains/:domain', { schema: { params: DomainParams } }, async (request, reply) => {
    await app.mock.deleteDomain(request.params.domain)
    return reply.code(204).send()
  })

  app.post('/__mock/domains/:domain/reset', { schema: { params: DomainParams } }, async request => {
    return app.mock.resetDomain(request.params.domain)
  })

  app.get('/__mock/state', async () => app.mock.exportState())

  app.put('/__mock/state', { bodyLimit: STATE_BODY_LIMIT }, async request => {
    return { domains: await app.mock.importState(request.body) }
  })

  // ---- journal ---------------------------------------------------------------

  app.get('/__mock/requests', { schema: { querystring: JournalQuery } }, async request => {
    const { journal } = app.mock
    const filter: JournalFilter = { ...request.query, limit: request.query.limit ?? DEFAULT_LIST_LIMIT }
    const requests = journal.list(filter)
    return {
      requests,
      total: journal.count({ ...filter, limit: undefined }),
      capacity: journal.capacity
    }
  })

  app.get('/__mock/requests/count', { schema: { querystring: JournalCountQuery } }, async request => {
    return { count: app.mock.journal.count(request.query) }
  })

  app.delete('/__mock/requests', { schema: { querystring: JournalCountQuery } }, async (request, reply) => {
    app.mock.journal.remove(request.query)
    return reply.code(204).send()
  })

  // ---- outbox ----------------------------------------------------------------

  app.get('/__mock/outbox', { schema: { querystring: OutboxQuery } }, async request => {
    const { outbox } = app.mock
    const emails = outbox.newestFirst(outboxFilter(request.query))
    return { emails, total: emails.length, capacity: outbox.capacity }
  })

  app.delete('/__mock/outbox', { schema: { querystring: OutboxQuery } }, async request => {
    const emails = app.mock.outbox.take(outboxFilter(request.query))
    return { removed: emails.length, emails }
  })

  // ---- faults ----------------------------------------------------------------

  app.get('/__mock/faults', async () => ({ faults: app.mock.faults.list() }))

  app.post('/__mock/faults', { schema: { body: FaultRuleInputSchema } }, async (request, reply) => {
    const rule = app.mock.faults.add(request.body)
    return reply.code(201).header('location', `/__mock/faults/${rule.id}`).send(rule)
  })

  app.delete('/__mock/faults', async (_request, reply) => {
    app.mock.faults.clear()
    return reply.code(204).send()
  })

  app.delete('/__mock/faults/:id', { schema: { params: Type.Object({ id: Type.String() }) } }, async (request, reply) => {
    if (!app.mock.faults.remove(request.params.id)) throw new MockApiError(404, `there is no fault rule '${request.params.id}'`)
    return reply.code(204).send()
  })
}
