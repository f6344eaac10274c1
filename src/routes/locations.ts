import type { FastifyInstance, FastifyRequest } from 'fastify'
import { resource } from '../http/resource.js'
import { sendHq } from '../http/reply.js'
import { isFormBody, requireObject } from '../http/body.js'
import { notFoundEmpty } from '../commcare/errors.js'
import type { Query } from '../commcare/list.js'
import { findLocation, listLocations, locationV2Url, locationView, renderV05, renderV2 } from '../commcare/locations.js'
import type { Links } from '../commcare/location-types.js'
import { planLocationCreate, planLocationPatch, planLocationUpdate, storedNow, type LocationWriteContext } from '../commcare/location-writes.js'
import { LOCATIONS_PRIVILEGE } from '../commcare/roles.js'
import type { DomainState } from '../store/domain.js'
import { domainOf, styleOf } from './users.js'

// Locations (BEHAVIOR.md §1, §9.2–§9.4). Two resources, each on an old-style
// and a new-style URL: HQ's v0.5 shape (`v0.5/location/`, `location/v1/`),
// read only, and its v2 shape (`v0.6/location/`, `location/v2/`), which also
// takes POST and PATCH on the list and PUT on a location.

export const LOCATION_PATHS = {
  list: { 'v0.5': '/a/:domain/api/v0.5/location/', v1: '/a/:domain/api/location/v1/' },
  detail: { 'v0.5': '/a/:domain/api/v0.5/location/:id/', v1: '/a/:domain/api/location/v1/:id/' }
} as const

export const LOCATION_V2_PATHS = {
  list: { 'v0.5': '/a/:domain/api/v0.6/location/', v1: '/a/:domain/api/location/v2/' },
  detail: { 'v0.5': '/a/:domain/api/v0.6/location/:id/', v1: '/a/:domain/api/location/v2/:id/' }
} as const

/** What every location resource shares: HQ's permission, privilege and no rate limit. */
export const LOCATION_RESOURCE = {
  scope: 'domain',
  permissions: ['edit_locations', 'access_api'],
  privilege: LOCATIONS_PRIVILEGE,
  rateLimited: false
} as const

export interface LocationRouteOptions {
  /** Scheme and host of the absolute URLs (`--base-url`); default: the request's scheme and Host. */
  baseUrl?: string | null
}

/** The base and URL style of the absolute URLs in an answer. */
export function linksOf (request: FastifyRequest, baseUrl: string | null | undefined): Links {
  // HTTP/1.0 may come without Host; HQ would then use its own name.
  const host = (request.host as string | undefined) ?? ''
  const base = baseUrl ?? `${request.protocol}://${host === '' ? 'localhost' : host}`
  return { base: base.replace(/\/+$/, ''), style: styleOf(request) }
}

export async function locationRoutes (app: FastifyInstance, options: LocationRouteOptions): Promise<void> {
  const baseUrl = options.baseUrl ?? null

  const writeContext = (domain: DomainState): LocationWriteContext => ({
    domain,
    // HQ looks a parent up by id alone, in every domain.
    foreignLocation: id => app.ctx.store.domains().some(d => d !== domain && findLocation(d, id) !== undefined),
    now: storedNow()
  })

  resource(app, { ...LOCATION_RESOURCE, paths: LOCATION_PATHS.list }, {
    GET: async (request, reply) => {
      const domain = domainOf(request)
      const page = listLocations(domain, 'v0.5', request.query as Query)
      const view = locationView(domain)
      const links = linksOf(request, baseUrl)
      return sendHq(reply, 200, { meta: page.meta, objects: page.objects.map(l => renderV05(view, l, links)) })
    }
  })

  resource(app, { ...LOCATION_RESOURCE, paths: LOCATION_PATHS.detail }, {
    GET: async (request, reply) => {
      const domain = domainOf(request)
      const { id } = request.params as { id: string }
      const loc = findLocation(domain, id)
      if (loc === undefined) throw notFoundEmpty(`no location '${id}' in domain '${domain.name}' (or it is archived)`)
      return sendHq(reply, 200, renderV05(locationView(domain), loc, linksOf(request, baseUrl)))
    }
  })

  resource(app, { ...LOCATION_RESOURCE, paths: LOCATION_V2_PATHS.list }, {
    GET: async (request, reply) => {
      const domain = domainOf(request)
      const page = listLocations(domain, 'v2', request.query as Query)
      const view = locationView(domain)
      return sendHq(reply, 200, { meta: page.meta, objects: page.objects.map(l => renderV2(view, l)) })
    },
    POST: async (request, reply) => {
      const domain = domainOf(request)
      const body = requireObject(request.body)
      // Checked and rendered inside the change: a refused write changes nothing, the answer is this write's.
      const created = await app.ctx.store.mutate(domain, () => {
        const [loc] = planLocationCreate(writeContext(domain), body).apply()
        return { id: loc.id, answer: renderV2(locationView(domain), loc) }
      }, [])
      reply.header('location', locationV2Url(linksOf(request, baseUrl), domain.name, created.id))
      return sendHq(reply, 201, created.answer)
    },
    PATCH: async (request, reply) => {
      const domain = domainOf(request)
      const body = request.body
      if (body === undefined || isFormBody(body)) requireObject(body)
      const ids = await app.ctx.store.mutate(domain, () => planLocationPatch(writeContext(domain), body).apply().map(l => l.id), [])
      return sendHq(reply, 202, ids)
    }
  })

  resource(app, { ...LOCATION_RESOURCE, paths: LOCATION_V2_PATHS.detail }, {
    GET: async (request, reply) => {
      const domain = domainOf(request)
      const { id } = request.params as { id: string }
      const loc = findLocation(domain, id)
      if (loc === undefined) throw notFoundEmpty(`no location '${id}' in domain '${domain.name}' (or it is archived)`)
      return sendHq(reply, 200, renderV2(locationView(domain), loc))
    },
    PUT: async (request, reply) => {
      const domain = domainOf(request)
      const { id } = request.params as { id: string }
      const body = requireObject(request.body)
      const answer = await app.ctx.store.mutate(domain, () => {
        const [loc] = planLocationUpdate(writeContext(domain), id, body).apply()
        return renderV2(locationView(domain), loc)
      }, [])
      return sendHq(reply, 200, answer)
    }
  })
}
