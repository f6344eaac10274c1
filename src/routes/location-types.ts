import type { FastifyInstance, RouteHandlerMethod } from 'fastify'
import { resource } from '../http/resource.js'
import { sendHq } from '../http/reply.js'
import { notFoundCanned, notFoundEmpty, unauthorized } from '../commcare/errors.js'
import type { Query } from '../commcare/list.js'
import { listLocationTypes, locationTypes, parsePk, renderLocationType, typesByCode } from '../commcare/location-types.js'
import { LOCATION_RESOURCE, linksOf, type LocationRouteOptions } from './locations.js'
import { domainOf } from './users.js'

// Location types, read only (BEHAVIOR.md §9.5; [R2 §E.6]). HQ's resource
// allows every method, and its read-only authorization refuses a write with
// an empty 401 once the caller is authenticated and permitted.

export const LOCATION_TYPE_PATHS = {
  list: { 'v0.5': '/a/:domain/api/v0.5/location_type/', v1: '/a/:domain/api/location_type/v1/' },
  detail: { 'v0.5': '/a/:domain/api/v0.5/location_type/:id/', v1: '/a/:domain/api/location_type/v1/:id/' }
} as const

const refuseWrite: RouteHandlerMethod = async request => {
  throw unauthorized(`location types are read only: HQ's ReadOnlyAuthorization refuses ${request.method} with an empty 401`)
}

const WRITES = { POST: refuseWrite, PUT: refuseWrite, DELETE: refuseWrite, PATCH: refuseWrite }

export async function locationTypeRoutes (app: FastifyInstance, options: LocationRouteOptions): Promise<void> {
  const baseUrl = options.baseUrl ?? null

  resource(app, { ...LOCATION_RESOURCE, paths: LOCATION_TYPE_PATHS.list }, {
    GET: async (request, reply) => {
      const domain = domainOf(request)
      const page = listLocationTypes(domain, request.query as Query)
      const byCode = typesByCode(locationTypes(domain))
      const links = linksOf(request, baseUrl)
      return sendHq(reply, 200, { meta: page.meta, objects: page.objects.map(t => renderLocationType(domain, t, byCode, links)) })
    },
    ...WRITES
  })

  resource(app, { ...LOCATION_RESOURCE, paths: LOCATION_TYPE_PATHS.detail }, {
    GET: async (request, reply) => {
      const domain = domainOf(request)
      const { id } = request.params as { id: string }
      const pk = parsePk(id)
      // Not an integer: Django raises ValueError, tastypie's NotFound, its 500 handler a 404 with the canned body.
      if (pk === null) throw notFoundCanned(`'${id}' is not an integer id; HQ answers 404 with its canned body`)
      const types = locationTypes(domain)
      const type = types.find(t => t.id === pk)
      if (type === undefined) throw notFoundEmpty(`no location type ${id} in domain '${domain.name}'`)
      return sendHq(reply, 200, renderLocationType(domain, type, typesByCode(types), linksOf(request, baseUrl)))
    },
    ...WRITES
  })
}
