import type { FastifyInstance, FastifyRequest } from 'fastify'
import { resource } from '../http/resource.js'
import { sendHq } from '../http/reply.js'
import { requireObject } from '../http/body.js'
import { paginate, last, type Query } from '../commcare/list.js'
import {
  activeWebMembers, applyWebUserChanges, callerOf, findWebMember, missingWebUserForAction, missingWebUserForGet,
  planWebUserPatch, renderWebUser, type Caller
} from '../commcare/web-users.js'
import { domainOf, styleOf } from './users.js'
import type { DomainState } from '../store/domain.js'

// Web users (BEHAVIOR.md §11): thin routes over src/commcare/web-users.ts.

export const WEB_USER_PATHS = {
  list: { 'v0.5': '/a/:domain/api/v0.5/web-user/', v1: '/a/:domain/api/web-user/v1/' },
  detail: { 'v0.5': '/a/:domain/api/v0.5/web-user/:id/', v1: '/a/:domain/api/web-user/v1/:id/' },
  activate: { 'v0.5': '/a/:domain/api/v0.5/web-user/:id/activate/', v1: '/a/:domain/api/web-user/v1/:id/activate/' },
  deactivate: { 'v0.5': '/a/:domain/api/v0.5/web-user/:id/deactivate/', v1: '/a/:domain/api/web-user/v1/:id/deactivate/' }
} as const

export const WEB_USER_PERMISSIONS = ['edit_web_users', 'access_api'] as const

/** The caller's rights in the domain (no identity when authentication is off: an admin). */
export function requestCaller (request: FastifyRequest, domain: DomainState): Caller {
  const identity = request.hq.identity
  const username = identity === null || identity.kind !== 'web' || identity.via === 'none' ? null : identity.user.username
  return callerOf(domain, username)
}

export async function webUserRoutes (app: FastifyInstance): Promise<void> {
  const webUser = (username: string) => app.ctx.store.webUser(username)
  const options = { scope: 'domain', permissions: WEB_USER_PERMISSIONS } as const

  resource(app, { ...options, paths: WEB_USER_PATHS.list }, {
    GET: async (request, reply) => {
      const domain = domainOf(request)
      const query = request.query as Query
      let members = activeWebMembers(domain, webUser)
      const wanted = last(query.web_username)
      if (wanted !== undefined) members = members.filter(m => m.user.username.toLowerCase() === wanted.toLowerCase())
      const page = paginate(members, query)
      const style = styleOf(request)
      return sendHq(reply, 200, { meta: page.meta, objects: page.objects.map(m => renderWebUser(domain, m, style, false)) })
    }
  })

  resource(app, { ...options, paths: WEB_USER_PATHS.detail }, {
    GET: async (request, reply) => {
      const domain = domainOf(request)
      const { id } = request.params as { id: string }
      const target = findWebMember(domain, id, webUser)
      if (target === undefined) throw missingWebUserForGet(id, domain.name)
      return sendHq(reply, 200, renderWebUser(domain, target, styleOf(request), true))
    },
    PATCH: async (request, reply) => {
      const domain = domainOf(request)
      const { id } = request.params as { id: string }
      const body = requireObject(request.body)
      const target = findWebMember(domain, id, webUser)
      if (target === undefined) throw missingWebUserForGet(id, domain.name)
      const caller = requestCaller(request, domain)
      // Validated and applied in one step: a refused PATCH changes nothing.
      const answer = await app.ctx.store.mutate(domain, () => {
        applyWebUserChanges(target.member, planWebUserPatch(domain, caller, target, body))
        return renderWebUser(domain, target, styleOf(request), true)
      }, [])
      return sendHq(reply, 202, answer)
    }
  })

  for (const action of ['activate', 'deactivate'] as const) {
    resource(app, { ...options, paths: WEB_USER_PATHS[action] }, {
      POST: async (request, reply) => {
        const domain = domainOf(request)
        const { id } = request.params as { id: string }
        const target = findWebMember(domain, id, webUser)
        if (target === undefined) throw missingWebUserForAction(id, domain.name, action)
        await app.ctx.store.mutate(domain, () => { target.member.is_active = action === 'activate' }, [])
        return sendHq(reply, 202, {})
      }
    })
  }
}
