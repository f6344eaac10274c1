import { badRequest } from './errors.js'
import { isSecretKey } from '../mock/redact.js'

// tastypie's Paginator, as HQ configures it (BEHAVIOR.md §7).

export const DEFAULT_LIMIT = 20
export const MAX_LIMIT = 1000

export interface Meta {
  limit: number
  next: string | null
  /** A bigint only past 2^53, where Python still prints the exact integer. */
  offset: number | bigint
  previous: string | null
  total_count: number
}

export type Query = Record<string, string | string[] | undefined>

/** Django's `QueryDict.get`: the last value of a repeated parameter. */
export function last (v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[v.length - 1] : v
}

const PY_INT = /^\s*[+-]?\d+\s*$/

function parseInt10 (name: 'limit' | 'offset', raw: string): bigint {
  if (!PY_INT.test(raw)) {
    throw badRequest(name === 'limit'
      ? `Invalid limit '${raw}' provided. Please provide a positive integer.`
      : `Invalid offset '${raw}' provided. Please provide an integer.`)
  }
  // Python's int is exact at any size; so is a bigint.
  const n = BigInt(raw.trim())
  if (n < 0n) throw badRequest(`Invalid ${name} '${raw}' provided. Please provide a positive integer >= 0.`)
  return n
}

/** A number where it is exact, else the bigint. */
function exact (n: bigint): number | bigint {
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n
}

/** `maxLimit`: the resource's `max_limit` (tastypie's default 1000). */
export function parsePaging (query: Query, maxLimit = MAX_LIMIT): { limit: number, offset: number | bigint } {
  const rawLimit = last(query.limit)
  const rawOffset = last(query.offset)
  let limit = rawLimit === undefined ? BigInt(DEFAULT_LIMIT) : parseInt10('limit', rawLimit)
  if (limit === 0n || limit > BigInt(maxLimit)) limit = BigInt(maxLimit)
  const offset = rawOffset === undefined ? 0 : exact(parseInt10('offset', rawOffset))
  return { limit: Number(limit), offset }
}

/** Python's `urllib.parse.quote_plus`. */
function quotePlus (s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, c => '%' + c.charCodeAt(0).toString(16).toUpperCase()).replace(/%20/g, '+')
}

// Credentials sent as query parameters are not copied into the links the mock
// returns (HQ would echo them; the mock never returns a secret): `username`
// and every secret name of the journal's list (api_key, password, token,
// access_token …), whatever their case.
const NOT_LINKED = new Set(['limit', 'offset', 'username'])

function link (query: Query, limit: number, offset: bigint): string {
  const parts: string[] = []
  for (const [k, v] of Object.entries(query)) {
    if (NOT_LINKED.has(k) || isSecretKey(k) || v === undefined) continue
    for (const item of Array.isArray(v) ? v : [v]) parts.push(`${quotePlus(k)}=${quotePlus(item)}`)
  }
  parts.push(`limit=${limit}`, `offset=${offset}`)
  return '?' + parts.join('&')
}

export function paginate<T> (items: T[], query: Query, maxLimit = MAX_LIMIT): { meta: Meta, objects: T[] } {
  const { limit, offset } = parsePaging(query, maxLimit)
  return page(items.length, limit, offset, query, () => items.slice(Number(offset), Number(offset) + limit))
}

export function page<T> (total: number, limit: number, offset: number | bigint, query: Query, slice: () => T[]): { meta: Meta, objects: T[] } {
  const off = BigInt(offset)
  const lim = BigInt(limit)
  return {
    meta: {
      limit,
      next: off + lim < BigInt(total) ? link(query, limit, off + lim) : null,
      offset,
      previous: off - lim >= 0n ? link(query, limit, off - lim) : null,
      total_count: total
    },
    objects: slice()
  }
}

/** HQ's `string_to_boolean` for `archived`: true/1/yes/on in any case. */
export function truthyParam (v: string | undefined): boolean {
  return v !== undefined && ['true', 't', '1', 'yes', 'y', 'on'].includes(v.trim().toLowerCase())
}
