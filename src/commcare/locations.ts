import type { DomainState } from '../store/domain.js'
import type { Location, LocationType } from '../store/schema.js'
import { serverError } from './errors.js'
import { paginate, type Meta, type Query } from './list.js'
import { planFilters, planOrdering, storedDatetimeKey, type ResourceFilters } from './location-filters.js'
import { locationTypes, locationTypeUrl, typeName, typesByCode, type Links } from './location-types.js'

// Locations, read side (BEHAVIOR.md §9.2, §9.3; [R2 §E.1–§E.4]). Two shapes:
// HQ's v0.5 resource (`v0.5/location/`, `location/v1/`) with absolute URLs and
// an integer id, and its v0.6 resource (`v0.6/location/`, `location/v2/`).
// Archived locations never appear.

export type LocationShape = 'v0.5' | 'v2'

/** Largest page: tastypie's default on v0.5, `max_limit = 5000` on v0.6. */
export const LOCATION_MAX_LIMIT: Record<LocationShape, number> = { 'v0.5': 1000, v2: 5000 }

/** HQ stores coordinates as Decimal(20, 10) and serializes the Decimal as a string. */
export function decimal10 (v: string | null): string | null {
  if (v === null) return null
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(v.trim())
  if (m === null) return v
  return `${m[1]}${m[2]}.${(m[3] ?? '').padEnd(10, '0').slice(0, 10)}`
}

const STORED = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:?\d{2})?$/

/**
 * Python's `datetime.isoformat()` of a stored timestamp as HQ holds it, naive
 * UTC: microseconds only when not 0; a seed's offset is applied and dropped.
 */
export function isoformat (v: string): string {
  const m = STORED.exec(v)
  if (m === null) return v
  let [date, time] = [m[1], m[2]]
  if (m[4] !== undefined && m[4] !== 'Z') {
    const sign = m[4][0] === '-' ? 1 : -1
    const minutes = Number(m[4].slice(1, 3)) * 60 + Number(m[4].slice(-2))
    const utc = new Date(Date.parse(`${date}T${time}Z`) + sign * minutes * 60_000).toISOString()
    ;[date, time] = [utc.slice(0, 10), utc.slice(11, 19)]
  }
  const micro = (m[3] ?? '').padEnd(6, '0')
  return micro === '000000' ? `${date}T${time}` : `${date}T${time}.${micro}`
}

export function locationUrl (links: Links, domain: string, id: string): string {
  return links.style === 'v1'
    ? `${links.base}/a/${domain}/api/location/v1/${id}/`
    : `${links.base}/a/${domain}/api/v0.5/location/${id}/`
}

/** A location's URL on HQ's v0.6 resource, in the request's URL style (`Location` of a POST). */
export function locationV2Url (links: Links, domain: string, id: string): string {
  return links.style === 'v1'
    ? `${links.base}/a/${domain}/api/location/v2/${id}/`
    : `${links.base}/a/${domain}/api/v0.6/location/${id}/`
}

/** What rendering a domain's locations needs, worked out once per request. */
export interface LocationView {
  domain: DomainState
  types: Map<string, LocationType>
  /** HQ's integer primary key: the location's 1-based position in the domain's list (archived ones count). */
  pk: Map<Location, number>
}

export function locationView (domain: DomainState): LocationView {
  const pk = new Map<Location, number>()
  domain.doc.locations.forEach((l, i) => pk.set(l, i + 1))
  return { domain, types: typesByCode(locationTypes(domain)), pk }
}

/** The locations HQ's API shows: not archived, in stored order. */
export function visibleLocations (domain: DomainState): Location[] {
  return domain.doc.locations.filter(l => l.is_archived !== true)
}

/** A location by `location_id`, unless archived. */
export function findLocation (domain: DomainState, id: string): Location | undefined {
  const loc = domain.locationsById.get(id)
  return loc === undefined || loc.is_archived === true ? undefined : loc
}

function typeOf (view: LocationView, loc: Location): LocationType {
  const type = view.types.get(loc.location_type)
  if (type === undefined) throw serverError(`location '${loc.id}' has the type '${loc.location_type}', which the domain does not define`)
  return type
}

export function renderV05 (view: LocationView, loc: Location, links: Links) {
  const d = view.domain.name
  return {
    created_at: isoformat(loc.created_at),
    domain: d,
    external_id: loc.external_id,
    id: view.pk.get(loc)!,
    last_modified: isoformat(loc.last_modified),
    latitude: decimal10(loc.latitude),
    location_data: loc.location_data,
    location_id: loc.id,
    location_type: locationTypeUrl(links, d, typeOf(view, loc).id),
    longitude: decimal10(loc.longitude),
    name: loc.name,
    parent: loc.parent === null ? null : locationUrl(links, d, loc.parent),
    resource_uri: locationUrl(links, d, loc.id),
    site_code: loc.site_code
  }
}

/** v2: no resource_uri; the parent as an id, `""` at the root; the type by code and name. */
export function renderV2 (view: LocationView, loc: Location) {
  const type = view.types.get(loc.location_type)
  return {
    domain: view.domain.name,
    last_modified: isoformat(loc.last_modified),
    latitude: decimal10(loc.latitude),
    location_data: loc.location_data,
    location_id: loc.id,
    location_type_code: loc.location_type,
    location_type_name: type?.name ?? typeName(loc.location_type),
    longitude: decimal10(loc.longitude),
    name: loc.name,
    parent_location_id: loc.parent ?? '',
    site_code: loc.site_code
  }
}

// The fields of each resource as tastypie sees them ([R2 §E.4]).

const V05_FILTERS: ResourceFilters<Location> = {
  fields: {
    created_at: 'datetime',
    domain: 'char',
    external_id: 'char',
    id: 'integer',
    last_modified: 'datetime',
    latitude: 'decimal',
    location_data: 'dict',
    location_id: 'char',
    location_type: 'related',
    longitude: 'decimal',
    name: 'char',
    parent: 'related',
    resource_uri: 'char',
    site_code: 'char'
  },
  filtering: {
    site_code: { kind: 'char', lookups: ['exact'], value: l => l.site_code },
    external_id: { kind: 'char', lookups: ['exact'], value: l => l.external_id },
    created_at: { kind: 'datetime', lookups: 'ALL', value: l => isoformat(l.created_at) },
    last_modified: { kind: 'datetime', lookups: 'ALL', value: l => isoformat(l.last_modified) },
    latitude: { kind: 'decimal', lookups: 'ALL', value: l => l.latitude },
    longitude: { kind: 'decimal', lookups: 'ALL', value: l => l.longitude }
  },
  ordering: {},
  dotted: false
}

const V2_FILTERS: ResourceFilters<Location> = {
  fields: {
    domain: 'char',
    last_modified: 'datetime',
    latitude: 'decimal',
    location_data: 'dict',
    location_id: 'char',
    longitude: 'decimal',
    name: 'char',
    site_code: 'char'
  },
  filtering: {
    name: { kind: 'char', lookups: ['exact'], value: l => l.name },
    site_code: { kind: 'char', lookups: ['exact'], value: l => l.site_code },
    last_modified: { kind: 'datetime', lookups: ['gt', 'gte', 'lt', 'lte'], value: l => isoformat(l.last_modified) }
  },
  ordering: { last_modified: l => storedDatetimeKey(isoformat(l.last_modified)) },
  dotted: true,
  extra: {
    location_type_code: (l, code) => l.location_type === code,
    parent_location_id: (l, id) => l.parent === id
  }
}

function filtersFor (shape: LocationShape, domainName: string): ResourceFilters<Location> {
  const spec = shape === 'v2' ? V2_FILTERS : V05_FILTERS
  // `domain` itself is the URL's; its other lookups (`domain__exact=x`) still filter.
  return { ...spec, filtering: { ...spec.filtering, domain: { kind: 'char', lookups: ['exact'], value: () => domainName } } }
}

/**
 * One page of a location list: filters, ordering and paging checked in HQ's
 * order, or the first error HQ answers.
 */
export function listLocations (domain: DomainState, shape: LocationShape, query: Query): { meta: Meta, objects: Location[] } {
  const spec = filtersFor(shape, domain.name)
  const filters = planFilters(spec, query)
  const order = planOrdering(spec, query)
  const page = (items: Location[]): { meta: Meta, objects: Location[] } => paginate(items, query, LOCATION_MAX_LIMIT[shape])
  // The paging checks come before what fails only when the query runs.
  page([])
  if (filters.deferred !== null) throw filters.deferred
  const found = filters.apply(visibleLocations(domain))
  return page(order === null ? found : order(found))
}
