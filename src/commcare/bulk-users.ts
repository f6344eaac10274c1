import { badRequest, serverError } from './errors.js'
import { page, parsePaging, last, type Meta, type Query } from './list.js'
import { matchesQuery, parseQuery, QueryParseError, type Analysis, type MatchOptions } from './query-string.js'
import { activeWebMembers } from './web-users.js'
import type { DomainState } from '../store/domain.js'
import type { WebUser } from '../store/schema.js'

// The bulk-user search (BEHAVIOR.md §13, [R2 §F]): mobile workers and web
// users of a domain, as HQ finds them in Elasticsearch, with HQ's double
// application of `offset` reproduced.

export const BULK_USER_KEYS = ['email', 'first_name', 'id', 'last_name', 'phone_numbers', 'resource_uri', 'username'] as const
export type BulkUserKey = typeof BULK_USER_KEYS[number]

export interface BulkUser {
  email: string
  first_name: string | null
  id: string
  last_name: string | null
  phone_numbers: string[] | null
  /** Always "": tastypie cannot reverse a detail URL without the domain. */
  resource_uri: string
  username: string
}

/** How the search analyses each field: ids are keywords, the rest is text. */
const ANALYSIS: Record<BulkUserKey, Analysis> = {
  email: 'text',
  first_name: 'text',
  id: 'keyword',
  last_name: 'text',
  phone_numbers: 'keyword',
  resource_uri: 'keyword',
  username: 'text'
}

const MATCH_OPTIONS: MatchOptions = { defaultFields: [...BULK_USER_KEYS], analysis: ANALYSIS }

/** Active, non-retired mobile workers and active web-user members, by username. */
export function bulkUsers (domain: DomainState, webUser: (username: string) => WebUser | undefined): BulkUser[] {
  const out: BulkUser[] = domain.listedUsers(false).map(u => ({
    email: u.email,
    first_name: u.first_name,
    id: u.id,
    last_name: u.last_name,
    phone_numbers: [...u.phone_numbers],
    resource_uri: '',
    username: u.username
  }))
  for (const { user } of activeWebMembers(domain, webUser)) {
    out.push({
      email: user.email,
      first_name: user.first_name,
      id: user.id,
      last_name: user.last_name,
      phone_numbers: [],
      resource_uri: '',
      username: user.username
    })
  }
  return out.sort((a, b) => a.username < b.username ? -1 : a.username > b.username ? 1 : 0)
}

/** `fields=` (repeatable): the keys to keep, each one of the seven. */
export function parseFields (query: Query): BulkUserKey[] | null {
  const raw = query.fields
  if (raw === undefined) return null
  const names = Array.isArray(raw) ? raw : [raw]
  for (const name of names) {
    if (!(BULK_USER_KEYS as readonly string[]).includes(name)) {
      throw badRequest(`${name} is not a valid field`, `'${name}' is not one of the seven bulk-user keys (${BULK_USER_KEYS.join(', ')})`)
    }
  }
  return BULK_USER_KEYS.filter(k => names.includes(k))
}

export interface BulkSearch {
  meta: Meta
  objects: Array<Partial<BulkUser>>
  /** Why the page looks as it does, when HQ's paging made it short or empty (for `X-Mock-Warning`). */
  warning: string | null
}

function pyIntParam (raw: string | undefined): number | null {
  if (raw === undefined) return null
  const n = Number(raw.trim())
  return Number.isSafeInteger(n) ? n : null
}

/**
 * The search: `q` filters, then HQ's two steps. Elasticsearch is asked for
 * `size=limit, from=offset` (the whole result without `limit`); tastypie then
 * slices that page again from `offset`. `total_count` is the first page's length.
 */
export function searchBulkUsers (users: BulkUser[], query: Query): BulkSearch {
  const fields = parseFields(query)
  const { limit, offset } = parsePaging(query)
  const q = last(query.q)
  let found = users
  if (q !== undefined && q.trim() !== '') {
    let parsed
    try {
      parsed = parseQuery(q)
    } catch (err) {
      if (err instanceof QueryParseError) {
        throw serverError(`q is not a query Elasticsearch can parse (${err.message}); ES refuses it and HQ answers 500`)
      }
      throw err
    }
    found = users.filter(u => matchesQuery(parsed, u as unknown as Record<string, string | string[] | null>, MATCH_OPTIONS))
  }
  const from = Number(offset)
  const size = pyIntParam(last(query.limit))
  const esPage = size === null ? found.slice(from) : found.slice(from, from + size)
  const result = page(esPage.length, limit, offset, query, () => esPage.slice(from, from + limit))
  const objects = fields === null
    ? result.objects
    : result.objects.map(u => Object.fromEntries(fields.map(k => [k, u[k]])) as Partial<BulkUser>)
  return { meta: result.meta, objects, warning: pagingWarning(found.length, esPage.length, result.objects.length, from, size) }
}

function pagingWarning (matched: number, esPage: number, shown: number, offset: number, size: number | null): string | null {
  const parts: string[] = []
  if (offset > 0) {
    parts.push(`HQ applies offset=${offset} twice (Elasticsearch skips ${offset} user${offset === 1 ? '' : 's'}, then tastypie skips ${offset} more of that page), so ${shown === 0 ? 'this page is empty' : `only ${shown} of the page's ${esPage} users ${shown === 1 ? 'is' : 'are'} shown`}`)
  }
  if (size !== null && esPage < matched) {
    parts.push(`total_count is the length of the Elasticsearch page (${esPage}), not the ${matched} users that match`)
  }
  return parts.length === 0 ? null : parts.join('; ')
}
