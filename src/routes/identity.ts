import type { FastifyInstance, FastifyRequest } from 'fastify'
import { resource } from '../http/resource.js'
import { sendHq } from '../http/reply.js'
import { badRequest, unauthorized } from '../commcare/errors.js'
import { last, type Query } from '../commcare/list.js'
import { pythonRepr, userDomains } from '../commcare/user-domains.js'
import type { Identity } from '../commcare/auth.js'

// The caller's own identity and domains (BEHAVIOR.md §9.6, §9.7). Not
// domain-scoped: any authenticated web user may call them, with a key of any
// domain scope; never rate-limited; a 401 carries no challenge [R2 §C.5].

export const IDENTITY_PATHS = { 'v0.5': '/api/v0.5/identity/', v1: '/api/identity/v1/' } as const
export const USER_DOMAINS_PATHS = { 'v0.5': '/api/v0.5/user_domains/', v1: '/api/user_domains/v1/' } as const

/** HQ's plain-text body of every user_domains 401. */
export const USER_DOMAINS_401 = 'Username or API Key is incorrect, expired or deactivated'

function caller (request: FastifyRequest): Extract<Identity, { kind: 'web' }> {
  const identity = request.hq.identity
  if (identity === null || identity.kind !== 'web') throw unauthorized('only web users have an identity here')
  return identity
}

export async function identityRoutes (app: FastifyInstance): Promise<void> {
  resource(app, { scope: 'global', paths: IDENTITY_PATHS, rateLimited: false }, {
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

  resource(app, { scope: 'global', paths: USER_DOMAINS_PATHS, rateLimited: false, unauthorizedText: USER_DOMAINS_401 }, {
    GET: async (request, reply) => {
      const identity = caller(request)
      const query = request.query as Query
      const result = userDomains(app.ctx.store, identity, {
        featureFlag: last(query.feature_flag),
        canViewReports: last(query.can_view_reports)
      })
      if (result.kind === 'bad-flag') {
        throw badRequest(`${pythonRepr(result.slug)} is not a valid feature flag`, '\'feature_flag\' names no toggle slug HQ knows (the seed\'s feature_flags, else the built-in list)')
      }
      // DoesNothingPaginator: every domain, and only `total_count` in `meta`.
      return sendHq(reply, 200, { meta: { total_count: result.objects.length }, objects: result.objects })
    }
  })
}
