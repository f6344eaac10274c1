import type { FastifyInstance, FastifyRequest } from 'fastify'
import { resource } from '../http/resource.js'
import { sendHq } from '../http/reply.js'
import { forbidden } from '../commcare/errors.js'
import type { WebUser } from '../store/schema.js'

// The caller's own identity and domains (BEHAVIOR.md §1, §9). Not domain-scoped:
// any authenticated web user may call them; a mobile worker gets 403 in the
// shared checks.

export const IDENTITY_PATHS = { 'v0.5': '/api/v0.5/identity/', v1: '/api/identity/v1/' } as const
export const USER_DOMAINS_PATHS = { 'v0.5': '/api/v0.5/user_domains/', v1: '/api/user_domains/v1/' } as const

function caller (request: FastifyRequest): { user: WebUser, scope: string | null, all: boolean } {
  const identity = request.hq.identity
  if (identity === null || identity.kind !== 'web') throw forbidden('only web users have an identity here')
  return { user: identity.user, scope: identity.scope, all: identity.via === 'none' }
}

export async function identityRoutes (app: FastifyInstance): Promise<void> {
  resource(app, { scope: 'global', paths: IDENTITY_PATHS }, {
    GET: async (request, reply) => {
      const { user } = caller(request)
      // HQ's ListToSingleObjectSerializer answers the one object, not a list.
      return sendHq(reply, 200, {
        email: user.email,
        first_name: user.first_name,
        id: user.id,
        last_name: user.last_name,
        username: user.username
      })
    }
  })

  resource(app, { scope: 'global', paths: USER_DOMAINS_PATHS }, {
    GET: async (request, reply) => {
      const { user, scope, all } = caller(request)
      const domains = app.ctx.store.domains()
        .filter(d => all || d.isMember(user.username) !== undefined)
        .filter(d => scope === null || d.name === scope)
        .sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
      const objects = domains.map(d => ({ domain_name: d.name, project_name: d.doc.project_name === '' ? d.name : d.doc.project_name }))
      // DoesNothingPaginator: every domain, and only `total_count` in `meta`.
      return sendHq(reply, 200, { meta: { total_count: objects.length }, objects })
    }
  })
}
