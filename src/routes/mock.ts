import type { FastifyError, FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { TypeBoxValidatorCompiler, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { VERSION } from '../version.js'
import { HqError } from '../commcare/errors.js'
import { MockApiError } from '../http/errors.js'
import { requireAdmin } from '../mock/admin.js'
import { CreateDomainSchema } from '../mock/control.js'
import { FaultRuleInputSchema } from '../mock/faults.js'
import type { JournalFilter } from '../mock/journal.js'
import { DiskError } from '../store/errors.js'

// The test-control API under /__mock/, a prefix HQ never uses. Every answer is
// JSON; errors are {"error": "…"}. With an admin token configured, every route
// here needs it.

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

/** Bodies of PUT /__mock/state may be far larger than a CommCare request. */
const STATE_BODY_LIMIT = 256 * 1024 * 1024

/** Listing the journal returns this many entries unless `limit` says otherwise. */
export const DEFAULT_LIST_LIMIT = 100

export async function mockRoutes (fastify: FastifyInstance): Promise<void> {
  const started = Date.now()
  // TypeBox's own checker instead of Ajv: no silent removal of unknown keys, no coercion of bodies.
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  app.setValidatorCompiler(TypeBoxValidatorCompiler)
  app.setErrorHandler(async (err, request, reply) => {
    if (err instanceof MockApiError) {
      return reply.code(err.status).send(err.details === undefined ? { error: err.message } : { error: err.message, details: err.details })
    }
    const e = err as FastifyError
    if (e.validation !== undefined) return reply.code(400).send({ error: `invalid request: ${e.message}` })
    if (err instanceof HqError) {
      // Body parsing shares the CommCare parser; say what went wrong in this API's shape.
      const message = err.status === 415 ? 'the body must be JSON (Content-Type: application/json)' : err.reason
      return reply.code(err.status).send({ error: message })
    }
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.code(413).send({ error: 'the request body is too large' })
    if (err instanceof DiskError) return reply.code(500).send({ error: `${err.message}; the change was not kept` })
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return reply.code(e.statusCode).send({ error: e.message })
    request.log.error({ err }, 'test-control API failed')
    return reply.code(500).send({ error: `unexpected error: ${e.message}` })
  })
  app.addHook('onRequest', requireAdmin)

  app.get('/__mock/health', async () => {
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
