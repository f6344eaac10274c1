import type { FastifyInstance } from 'fastify'
import { resource } from '../http/resource.js'
import { sendHq } from '../http/reply.js'
import { requireObject } from '../http/body.js'
import { addInvitation, emailContext, planInvitation, renderInvitation } from '../commcare/invitations.js'
import { emailHeader } from '../mock/outbox.js'
import { domainOf } from './users.js'
import { WEB_USER_PERMISSIONS, requestCaller } from './web-users.js'

// Invitations (BEHAVIOR.md §12): POST only, on the new-style URL only.

export const INVITATION_PATHS = { v1: '/a/:domain/api/invitation/v1/' } as const

export async function invitationRoutes (app: FastifyInstance): Promise<void> {
  const webUser = (username: string) => app.ctx.store.webUser(username)

  resource(app, { scope: 'domain', permissions: WEB_USER_PERMISSIONS, paths: INVITATION_PATHS }, {
    POST: async (request, reply) => {
      const domain = domainOf(request)
      const body = requireObject(request.body)
      const caller = requestCaller(request, domain)
      const identity = request.hq.identity
      const invitedBy = identity !== null && identity.kind === 'web' ? identity.user.username : ''
      const invitation = await app.ctx.store.mutate(domain, () => {
        const planned = planInvitation(domain, caller, invitedBy, body, emailContext(domain, webUser))
        addInvitation(domain, planned)
        return planned
      }, [])
      const email = app.ctx.outbox.record({ type: 'invitation', domain: domain.name, to: invitation.email, invitation_id: invitation.id })
      reply.header('x-mock-email', emailHeader(email))
      return sendHq(reply, 201, renderInvitation(invitation))
    }
  })
}
