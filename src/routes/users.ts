import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { resource } from '../http/resource.js'
import { headerSafe, sendHq, sendHqJson } from '../http/reply.js'
import { requireObject } from '../http/body.js'
import { badRequest, notFoundEmpty, serverError } from '../commcare/errors.js'
import { paginate, last, truthyParam, type Query } from '../commcare/list.js'
import { missingUserForGet, renderUser, updateUser, userJson, userUri, type UpdateContext } from '../commcare/users.js'
import { dumps } from '../commcare/json.js'
import { missingUserForAction, planCreate, retireUser, setActive } from '../commcare/create.js'
import { passwordResetEmail, type WorkerEmail } from '../commcare/confirmation.js'
import { emailHeader } from '../mock/outbox.js'
import type { HqRouteConfig } from '../http/context.js'
import type { DomainState } from '../store/domain.js'

// Mobile workers (BEHAVIOR.md §1, §3–§7).

export const USER_PATHS = {
  list: { 'v0.5': '/a/:domain/api/v0.5/user/', v1: '/a/:domain/api/user/v1/' },
  detail: { 'v0.5': '/a/:domain/api/v0.5/user/:id/', v1: '/a/:domain/api/user/v1/:id/' },
  activate: { 'v0.5': '/a/:domain/api/v0.5/user/:id/activate/', v1: '/a/:domain/api/user/v1/:id/activate/' },
  deactivate: { 'v0.5': '/a/:domain/api/v0.5/user/:id/deactivate/', v1: '/a/:domain/api/user/v1/:id/deactivate/' },
  passwordReset: {
    'v0.5': '/a/:domain/api/v0.5/user/:id/email_password_reset/',
    v1: '/a/:domain/api/user/v1/:id/email_password_reset/'
  }
} as const

export function styleOf (request: FastifyRequest): HqRouteConfig['hq']['style'] {
  return request.hq?.route.style ?? (request.routeOptions.config as unknown as HqRouteConfig).hq.style
}

export function domainOf (request: FastifyRequest): DomainState {
  return request.hq.domain!
}

export function updateContext (app: FastifyInstance, domain: DomainState): UpdateContext {
  return {
    domain,
    userDataMode: app.ctx.userDataMode,
    groupDomain: id => app.ctx.store.groupDomain(id)
  }
}

/** Records an e-mail HQ would have sent and names it in `X-Mock-Email` on the answer. */
function sendEmail (app: FastifyInstance, reply: FastifyReply, domain: DomainState, email: WorkerEmail | null): void {
  if (email === null) return
  const recorded = app.ctx.outbox.record({ type: email.type, domain: domain.name, to: email.to, user_id: email.user_id })
  reply.header('x-mock-email', emailHeader(recorded))
}

/**
 * After waiting (a password hashed off the event loop), the domain as the store
 * holds it now: one removed meanwhile is answered as if it had never existed.
 */
function missingUserForPut (id: string, domain: DomainState): Error {
  return serverError(`no mobile worker '${id}' in domain '${domain.name}' (or it was retired): HQ's CommCareUser.get fails and answers 500, not 404`)
}

export async function userRoutes (app: FastifyInstance): Promise<void> {
  resource(app, { scope: 'domain', paths: USER_PATHS.list }, {
    GET: async (request, reply) => {
      const domain = domainOf(request)
      const query = request.query as Query
      const style = styleOf(request)
      const groupId = last(query.group)
      let users
      if (groupId !== undefined && groupId !== '') {
        const group = domain.groupsById.get(groupId)
        if (group === undefined) {
          const owner = app.ctx.store.groupDomain(groupId)
          if (owner !== undefined) {
            throw badRequest(`Project ${domain.name} has no group with id=${groupId}`)
          }
          throw serverError(`unknown group id '${groupId}': HQ's Group.get raises ResourceNotFound and answers 500`)
        }
        const members = new Set(group.users)
        users = domain.sortedUsers().filter(u => u.is_active && members.has(u.id))
      } else {
        const archived = truthyParam(last(query.archived))
        users = domain.listedUsers(archived)
      }
      const page = paginate(users, query)
      // The same bytes as dumps({meta, objects}), with each worker from the cache.
      const objects = page.objects.map(u => userJson(domain, u, style)).join(', ')
      return sendHqJson(reply, 200, `{"meta": ${dumps(page.meta)}, "objects": [${objects}]}`)
    },
    POST: async (request, reply) => {
      const domain = domainOf(request)
      const body = requireObject(request.body)
      // Validated in HQ's order before the change, so a refused create changes and writes nothing;
      // nothing runs in between, so the plan still holds when it is applied.
      const plan = planCreate(updateContext(app, domain), body)
      // A create changes no existing user in place (the new one and groups are written anyway).
      const created = await app.ctx.store.mutate(domain, () => {
        plan.apply()
        return { id: plan.user.id, ignored: plan.ignored, email: plan.email, failure: plan.failure }
      }, [])
      // HQ retired the half-made worker: its username is kept, the answer is the error.
      if (created.failure !== null) throw created.failure
      sendEmail(app, reply, domain, created.email)
      if (created.ignored.length > 0) {
        reply.header('x-mock-reason', headerSafe(`created; HQ silently ignores these field errors on create: ${created.ignored.join('; ')}`))
      }
      reply.header('location', userUri(domain.name, created.id, styleOf(request)))
      return sendHq(reply, 201, { id: created.id })
    }
  })

  resource(app, { scope: 'domain', paths: USER_PATHS.detail }, {
    // Synchronous: the hottest route of the mock makes no promise of its own.
    GET: (request, reply) => {
      const domain = domainOf(request)
      const { id } = request.params as { id: string }
      const user = domain.liveUser(id)
      if (user === undefined) throw missingUserForGet(id)
      sendHqJson(reply, 200, userJson(domain, user, request.hq.route.style))
    },
    PUT: async (request, reply) => {
      const domain = domainOf(request)
      const { id } = request.params as { id: string }
      const body = requireObject(request.body)
      const user = domain.liveUser(id)
      if (user === undefined) throw missingUserForPut(id, domain)
      // Rendered inside the change, so the answer shows this request's result
      // even if another change lands while the write is on its way to disk.
      // Only this user (and group documents) can change, so only it is serialized again.
      const { answer, email } = await app.ctx.store.mutate(domain, () => {
        const email = updateUser(updateContext(app, domain), user, body)
        return { answer: renderUser(domain, user, styleOf(request)), email }
      }, [user])
      sendEmail(app, reply, domain, email)
      return sendHq(reply, 200, answer)
    },
    DELETE: async (request, reply) => {
      const domain = domainOf(request)
      const { id } = request.params as { id: string }
      const user = domain.liveUser(id)
      if (user === undefined) throw notFoundEmpty(`no mobile worker '${id}' in domain '${domain.name}' (or it was already retired): HQ raises NotFound, answered 404`)
      await app.ctx.store.mutate(domain, () => retireUser(domain, user), [user])
      // tastypie builds this answer itself (HttpNoContent): no body, no CORS headers.
      return reply.code(204).send()
    }
  })

  for (const action of ['activate', 'deactivate'] as const) {
    resource(app, { scope: 'domain', paths: USER_PATHS[action] }, {
      POST: async (request, reply) => {
        const domain = domainOf(request)
        const { id } = request.params as { id: string }
        const user = domain.liveUser(id)
        if (user === undefined) throw missingUserForAction(id, action)
        await app.ctx.store.mutate(domain, () => setActive(domain, user, action === 'activate'), [user])
        return sendHq(reply, 202, {})
      }
    })
  }

  // The worker is not modified: only the outbox changes.
  resource(app, { scope: 'domain', paths: USER_PATHS.passwordReset }, {
    POST: async (request, reply) => {
      const domain = domainOf(request)
      const { id } = request.params as { id: string }
      sendEmail(app, reply, domain, passwordResetEmail(domain.liveUser(id), id))
      return sendHq(reply, 202, {})
    }
  })
}
