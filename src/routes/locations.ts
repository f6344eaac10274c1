import type { FastifyInstance } from 'fastify'
import { resource } from '../http/resource.js'
import { sendHq } from '../http/reply.js'
import { notFoundEmpty } from '../commcare/errors.js'
import { paginate, type Query } from '../commcare/list.js'
import type { UrlStyle } from '../commcare/users.js'
import type { DomainState } from '../store/domain.js'
import type { Location } from '../store/schema.js'
import { domainOf, styleOf } from './users.js'

// Locations, read only, from the seed (BEHAVIOR.md §1, §9). The old-style URL
// answers HQ's v0.5 resource (the published `Location` schema), the new-style
// `location/v2/` answers the v2 resource (`LocationV2`).

export const LOCATION_PATHS = {
  list: { 'v0.5': '/a/:domain/api/v0.5/location/', v1: '/a/:domain/api/location/v2/' },
  detail: { 'v0.5': '/a/:domain/api/v0.5/location/:id/', v1: '/a/:domain/api/location/v2/:id/' }
} as const

/** HQ stores coordinates as Decimal(20, 10) and serializes the Decimal as a string. */
export function decimal10 (v: string | null): string | null {
  if (v === null) return null
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(v.trim())
  if (m === null) return v
  return `${m[1]}${m[2]}.${(m[3] ?? '').padEnd(10, '0').slice(0, 10)}`
}

/** The seed holds type codes only; the name is the code, capitalised, with '_' as spaces. */
export function typeName (code: string): string {
  const words = code.replace(/_/g, ' ')
  return words.charAt(0).toUpperCase() + words.slice(1)
}

export function locationUri (domain: string, id: string): string {
  return `/a/${domain}/api/v0.5/location/${id}/`
}

/** v0.5: HQ's integer primary key is the location's 1-based position in the seed. */
function renderV05 (domain: DomainState, loc: Location) {
  return {
    created_at: loc.created_at,
    domain: domain.name,
    external_id: loc.external_id,
    id: domain.doc.locations.indexOf(loc) + 1,
    last_modified: loc.last_modified,
    latitude: decimal10(loc.latitude),
    location_data: loc.location_data,
    location_id: loc.id,
    location_type: loc.location_type,
    longitude: decimal10(loc.longitude),
    name: loc.name,
    parent: loc.parent === null ? null : locationUri(domain.name, loc.parent),
    resource_uri: locationUri(domain.name, loc.id),
    site_code: loc.site_code
  }
}

/** v2: no resource_uri; the parent as an id, `""` at the root. */
function renderV2 (domain: DomainState, loc: Location) {
  return {
    domain: domain.name,
    last_modified: loc.last_modified,
    latitude: decimal10(loc.latitude),
    location_data: loc.location_data,
    location_id: loc.id,
    location_type_code: loc.location_type,
    location_type_name: typeName(loc.location_type),
    longitude: decimal10(loc.longitude),
    name: loc.name,
    parent_location_id: loc.parent ?? '',
    site_code: loc.site_code
  }
}

export function renderLocation (domain: DomainState, loc: Location, style: UrlStyle) {
  return style === 'v1' ? renderV2(domain, loc) : renderV05(domain, loc)
}

export async function locationRoutes (app: FastifyInstance): Promise<void> {
  resource(app, { scope: 'domain', paths: LOCATION_PATHS.list }, {
    GET: async (request, reply) => {
      const domain = domainOf(request)
      const style = styleOf(request)
      const page = paginate(domain.doc.locations, request.query as Query)
      return sendHq(reply, 200, { meta: page.meta, objects: page.objects.map(l => renderLocation(domain, l, style)) })
    }
  })

  resource(app, { scope: 'domain', paths: LOCATION_PATHS.detail }, {
    GET: async (request, reply) => {
      const domain = domainOf(request)
      const { id } = request.params as { id: string }
      const loc = domain.locationsById.get(id)
      if (loc === undefined) throw notFoundEmpty(`no location '${id}' in domain '${domain.name}'`)
      return sendHq(reply, 200, renderLocation(domain, loc, styleOf(request)))
    }
  })
}
