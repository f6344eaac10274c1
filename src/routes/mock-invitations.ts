import type { FastifyError, FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { TypeBoxValidatorCompiler, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { MockApiError } from '../http/errors.js'
import { headerSafe } from '../http/reply.js'
import { requireAdmin } from '../mock/admin.js'
import { acceptInvitation, isInvitationStatus, listInvitations, type InvitationFilter } from '../mock/invitations.js'

// Invitations under the test-control API (/__mock/invitations): list them and
// accept one. The admin token guards these routes like every /__mock route.

const InvitationQuery = Type.Object({
  domain: Type.Optional(Type.String({ maxLength: 100 })),
  email: Type.Optional(Type.String({ maxLength: 320 })),
  status: Type.Optional(Type.String({ maxLength: 20 }))
}, { additionalProperties: false })

const IdParams = Type.Object({ id: Type.String({ maxLength: 200 }) })

export async function mockInvitationRoutes (fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  app.setValidatorCompiler(TypeBoxValidatorCompiler)
  app.addHook('onRequest', requireAdmin)
  app.setErrorHandler(async (err, _request, reply) => {
    const e = err as FastifyError
    const status = err instanceof MockApiError ? err.status : e.validation !== undefined ? 400 : 500
    const message = err instanceof MockApiError ? err.message : e.validation !== undefined ? `invalid request: ${e.message}` : `unexpected error: ${e.message}`
    return reply.code(status).header('x-mock-reason', headerSafe(message)).send({ error: message })
  })

  app.get('/__mock/invitations', { schema: { querystring: InvitationQuery } }, async request => {
    const { status, ...rest } = request.query
    if (status !== undefined && !isInvitationStatus(status)) {
      throw new MockApiError(400, 'invalid request: querystring/status must be one of pending, accepted')
    }
    const filter: InvitationFilter = { ...rest, ...(status === undefined ? {} : { status }) }
    const invitations = listInvitations(app.ctx.store, filter)
    return { invitations, total: invitations.length }
  })

  app.post('/__mock/invitations/:id/accept', { schema: { params: IdParams } }, async request => {
    return acceptInvitation(app.ctx.store, request.params.id)
  })
}
