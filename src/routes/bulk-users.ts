import type { FastifyInstance } from 'fastify'
import { resource } from '../http/resource.js'
import { headerSafe, sendHq } from '../http/reply.js'
import { serverError } from '../commcare/errors.js'
import { bulkUsers, searchBulkUsers } from '../commcare/bulk-users.js'
import type { Query } from '../commcare/list.js'
import { domainOf } from './users.js'

// Bulk user search (BEHAVIOR.md §13): GET list on both URL styles; the detail
// route exists and fails, as HQ's does.

export const BULK_USER_PATHS = {
  list: { 'v0.5': '/a/:domain/api/v0.5/bulk-user/', v1: '/a/:domain/api/bulk-user/v1/' },
  detail: { 'v0.5': '/a/:domain/api/v0.5/bulk-user/:id/', v1: '/a/:domain/api/bulk-user/v1/:id/' }
} as const

export async function bulkUserRoutes (app: FastifyInstance): Promise<void> {
  resource(app, { scope: 'domain', paths: BULK_USER_PATHS.list }, {
    GET: async (request, reply) => {
      const domain = domainOf(request)
      const result = searchBulkUsers(bulkUsers(domain, u => app.ctx.store.webUser(u)), request.query as Query)
      if (result.warning !== null) {
        // A slash-less URL served with `--slashless serve` already carries a warning: keep both.
        const earlier = reply.getHeader('x-mock-warning')
        reply.header('x-mock-warning', headerSafe(earlier === undefined ? result.warning : `${String(earlier)}; ${result.warning}`, 1000))
      }
      return sendHq(reply, 200, { meta: result.meta, objects: result.objects })
    }
  })

  resource(app, { scope: 'domain', paths: BULK_USER_PATHS.detail }, {
    GET: async () => {
      throw serverError("HQ's bulk-user resource has a detail route but no obj_get: it answers 500 for any id")
    }
  })
}
