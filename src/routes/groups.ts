import type { FastifyInstance } from 'fastify'
import { resource } from '../http/resource.js'
import { headerSafe, sendHq } from '../http/reply.js'
import { requireObject } from '../http/body.js'
import { notFoundEmpty, serverError } from '../commcare/errors.js'
import { paginate, type Query } from '../commcare/list.js'
import { deleteGroup, groupUri, planGroupCreate, renderGroup, sortedGroups, updateGroup } from '../commcare/groups.js'
import { domainOf, styleOf } from './users.js'

// Groups (BEHAVIOR.md §1, §9).

export const GROUP_PATHS = {
  list: { 'v0.5': '/a/:domain/api/v0.5/group/', v1: '/a/:domain/api/group/v1/' },
  detail: { 'v0.5': '/a/:domain/api/v0.5/group/:id/', v1: '/a/:domain/api/group/v1/:id/' }
} as const

export async function groupRoutes (app: FastifyInstance): Promise<void> {
  resource(app, { scope: 'domain', paths: GROUP_PATHS.list }, {
    GET: async (request, reply) => {
      const domain = domainOf(request)
      const style = styleOf(request)
      const page = paginate(sortedGroups(domain), request.query as Query)
      return sendHq(reply, 200, { meta: page.meta, objects: page.objects.map(g => renderGroup(domain, g, style)) })
    },
    POST: async (request, reply) => {
      const domain = domainOf(request)
      const body = requireObject(request.body)
      const id = await app.ctx.store.mutate(domain, () => {
        const plan = planGroupCreate(domain, body)
        plan.apply()
        return plan.group.id
      })
      reply.header('location', groupUri(domain.name, id, styleOf(request)))
      return sendHq(reply, 201, { id })
    }
  })

  resource(app, { scope: 'domain', paths: GROUP_PATHS.detail }, {
    GET: async (request, reply) => {
      const domain = domainOf(request)
      const { id } = request.params as { id: string }
      const group = domain.groupsById.get(id)
      if (group === undefined) throw notFoundEmpty(`no group '${id}' in domain '${domain.name}'`)
      return sendHq(reply, 200, renderGroup(domain, group, styleOf(request)))
    },
    PUT: async (request, reply) => {
      const domain = domainOf(request)
      const { id } = request.params as { id: string }
      const body = requireObject(request.body)
      const group = domain.groupsById.get(id)
      if (group === undefined) {
        throw serverError(`no group '${id}' in domain '${domain.name}': HQ's Group.get raises ResourceNotFound on PUT and answers 500, not 404`)
      }
      const answer = await app.ctx.store.mutate(domain, () => {
        const dropped = updateGroup(domain, group, body)
        return { group: renderGroup(domain, group, styleOf(request)), dropped }
      })
      if (answer.dropped.length > 0) {
        reply.header('x-mock-reason', headerSafe(`users not kept (no such active mobile worker in this domain; HQ would store them but never list them): ${answer.dropped.join(', ')}`))
      }
      return sendHq(reply, 200, answer.group)
    },
    DELETE: async (request, reply) => {
      const domain = domainOf(request)
      const { id } = request.params as { id: string }
      const group = domain.groupsById.get(id)
      if (group === undefined) throw notFoundEmpty(`no group '${id}' in domain '${domain.name}'`)
      await app.ctx.store.mutate(domain, () => deleteGroup(domain, group))
      return reply.code(204).send()
    }
  })
}
