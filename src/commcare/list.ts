import { badRequest } from './errors.js'

// tastypie's Paginator, as HQ configures it (BEHAVIOR.md §7).

export const DEFAULT_LIMIT = 20
export const MAX_LIMIT = 1000

export interface Meta {
  limit: number
  next: string | null
  offset: number
  previous: string | null
  total_count: number
}

export type Query = Record<string, string | string[] | undefined>

/** Django's `QueryDict.get`: the last value of a repeated parameter. */
export function last (v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[v.length - 1] : v
}

const PY_INT = /^\s*[+-]?\d+\s*$/

function parseInt10 (name: 'limit' | 'offset', raw: string): number {
  if (!PY_INT.test(raw)) {
    throw badRequest(name === 'limit'
      ? `Invalid limit '${raw}' provided. Please provide a positive integer.`
      : `Invalid offset '${raw}' provided. Please provide an integer.`)
  }
  const n = Number(raw.trim())
  if (n < 0) throw badRequest(`Invalid ${name} '${raw}' provided. Please provide a positive integer >= 0.`)
  return n
}

export function parsePaging (query: Query): { limit: number, offset: number } {
  const rawLimit = last(query.limit)
  const rawOffset = last(query.offset)
  let limit = rawLimit === undefined ? DEFAULT_LIMIT : parseInt10('limit', rawLimit)
  if (limit === 0 || limit > MAX_LIMIT) limit = MAX_LIMIT
  const offset = rawOffset === undefined ? 0 : parseInt10('offset', rawOffset)
  return { limit, offset }
}

/** Python's `urllib.parse.quote_plus`. */
function quotePlus (s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, c => '%' + c.charCodeAt(0).toString(16).toUpperCase()).replace(/%20/g, '+')
}

// Credentials sent as query parameters are not copied into the links the mock
// returns (HQ would echo them; the mock never returns a secret).
const NOT_LINKED = new Set(['limit', 'offset', 'api_key', 'username'])

function link (query: Query, limit: number, offset: number): string {
  const parts: string[] = []
  for (const [k, v] of Object.entries(query)) {
    if (NOT_LINKED.has(k) || v === undefined) continue
    for (const item of Array.isArray(v) ? v : [v]) parts.push(`${quotePlus(k)}=${quotePlus(item)}`)
  }
  parts.push(`limit=${limit}`, `offset=${offset}`)
  return '?' + parts.join('&')
}

export function paginate<T> (items: T[], query: Query): { meta: Meta, objects: T[] } {
  const { limit, offset } = parsePaging(query)
  return page(items.length, limit, offset, query, () => items.slice(offset, offset + limit))
}

export function page<T> (total: number, limit: number, offset: number, query: Query, slice: () => T[]): { meta: Meta, objects: T[] } {
  return {
    meta: {
      limit,
      next: offset + limit < total ? link(query, limit, offset + limit) : null,
      offset,
      previous: offset - limit >= 0 ? link(query, limit, offset - limit) : null,
      total_count: total
    },
    objects: slice()
  }
}

/** HQ's `string_to_boolean` for `archived`: true/1/yes/on in any case. */
export function truthyParam (v: string | undefined): boolean {
  return v !== undefined && ['true', 't', '1', 'yes', 'y', 'on'].includes(v.trim().toLowerCase())
}
