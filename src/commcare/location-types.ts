import type { DomainState } from '../store/domain.js'
import type { LocationType } from '../store/schema.js'
import type { UrlStyle } from './users.js'
import { paginate, type Meta, type Query } from './list.js'
import { planFilters, planOrdering, type ResourceFilters } from './location-filters.js'

// Location types (BEHAVIOR.md §9.5; [R2 §E.6]): the domain's `location_types`
// from the seed, or, for a seed that declares none (the 0.1 format), types
// derived from the codes its locations use.

/** Where the absolute URLs of the v0.5-shape resources point, and in which URL style. */
export interface Links {
  /** Scheme and host, no trailing slash: `--base-url`, else the request's scheme and Host. */
  base: string
  style: UrlStyle
}

export function locationTypeUrl (links: Links, domain: string, id: number): string {
  return links.style === 'v1'
    ? `${links.base}/a/${domain}/api/location_type/v1/${id}/`
    : `${links.base}/a/${domain}/api/v0.5/location_type/${id}/`
}

/** The name HQ would show for a code: the code with '_' as spaces, capitalised. */
export function typeName (code: string): string {
  const words = code.replace(/_/g, ' ')
  return words.charAt(0).toUpperCase() + words.slice(1)
}

/**
 * Types derived from the locations (archived ones too), one per code in the
 * order the codes first appear: id 1, 2, … in that order; name from the code
 * (`typeName`); parent the type of the parent of the first location with that
 * code (none at the root, and none where that would make a type its own
 * ancestor); administrative, shares_cases and view_descendants false (HQ's
 * defaults).
 */
export function deriveLocationTypes (domain: DomainState): LocationType[] {
  const firstOf = new Map<string, string | null>()
  for (const l of domain.doc.locations) {
    if (firstOf.has(l.location_type)) continue
    const parent = l.parent === null ? undefined : domain.locationsById.get(l.parent)
    firstOf.set(l.location_type, parent === undefined ? null : parent.location_type)
  }
  const parents = new Map<string, string | null>()
  for (const [code, parent] of firstOf) {
    let p = parent
    // Walk up the parents already kept; a loop back to this code drops the parent.
    for (let up: string | null | undefined = p; up !== null && up !== undefined; up = parents.get(up)) {
      if (up === code) { p = null; break }
    }
    parents.set(code, p)
  }
  return [...firstOf.keys()].map((code, i) => ({
    id: i + 1,
    code,
    name: typeName(code),
    parent: parents.get(code) ?? null,
    administrative: false,
    shares_cases: false,
    view_descendants: false
  }))
}

/** The domain's location types: as the seed declares them, else derived. */
export function locationTypes (domain: DomainState): LocationType[] {
  return domain.doc.location_types ?? deriveLocationTypes(domain)
}

/** The types by code. */
export function typesByCode (types: LocationType[]): Map<string, LocationType> {
  return new Map(types.map(t => [t.code, t]))
}

export function renderLocationType (domain: DomainState, type: LocationType, byCode: Map<string, LocationType>, links: Links) {
  const parent = type.parent === null ? undefined : byCode.get(type.parent)
  return {
    administrative: type.administrative,
    code: type.code,
    domain: domain.name,
    id: type.id,
    name: type.name,
    parent: parent === undefined ? null : locationTypeUrl(links, domain.name, parent.id),
    resource_uri: locationTypeUrl(links, domain.name, type.id),
    shares_cases: type.shares_cases,
    view_descendants: type.view_descendants
  }
}

/** A detail id as Django's IntegerField reads it (`int()`), or null where HQ fails to. */
export function parsePk (raw: string): number | null {
  if (!/^\s*[+-]?\d(?:_?\d)*\s*$/.test(raw)) return null
  const n = Number(raw.replace(/_/g, '').trim())
  return Number.isSafeInteger(n) ? n : NaN
}

/** The location_type resource's fields; only `domain` filters (`exact`), nothing orders. */
export const LOCATION_TYPE_FILTERS: ResourceFilters<LocationType> = {
  fields: {
    administrative: 'boolean',
    code: 'char',
    domain: 'char',
    id: 'integer',
    name: 'char',
    parent: 'related',
    resource_uri: 'char',
    shares_cases: 'boolean',
    view_descendants: 'boolean'
  },
  filtering: {},
  ordering: {},
  dotted: false
}

/** One page of the domain's location types (by id), or the first error HQ answers. */
export function listLocationTypes (domain: DomainState, query: Query): { meta: Meta, objects: LocationType[] } {
  // `domain` itself is the URL's; its other lookups (`domain__exact=x`) still filter.
  const spec = { ...LOCATION_TYPE_FILTERS, filtering: { domain: { kind: 'char' as const, lookups: ['exact'], value: () => domain.name } } }
  const filters = planFilters(spec, query)
  planOrdering(spec, query)
  paginate([], query)
  if (filters.deferred !== null) throw filters.deferred
  const types = [...locationTypes(domain)].sort((a, b) => a.id - b.id)
  return paginate(filters.apply(types), query)
}
