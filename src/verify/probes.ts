import type { AuthMode } from '../client/hq-client.js'
import type { RecordedRequest } from './transcript.js'

// The built-in probe suite. Read-only probes ask for lists, details, pages,
// filters and the error cases; the write probes (only with --allow-writes) run
// a lifecycle on one throwaway worker the run creates itself and always
// deletes. Probes that a server could mistake for a write if it allowed the
// method (the 405 cases) go without credentials, so even a wrong guess cannot
// change anything.

export interface Probe {
  name: string
  /** The BEHAVIOR.md section that specifies the answer. */
  rule: string
  request: RecordedRequest
  /** Placeholders the probe needs; it is skipped when one is unknown. */
  needs?: string[]
  /** The placeholder this answer's new object id fills. */
  captures?: string
}

/** An id no server has: 32 hex digits, as HQ's ids are. */
export const MISSING_ID = 'ffffffffffffffffffffffff00000000'
export const NO_SUCH_DOMAIN = 'hq-mock-verify-no-such-domain'
/** Every object a write probe creates is named with this prefix. */
export const THROWAWAY_PREFIX = 'hq-mock-verify-'

const placeholder = /\{([a-z_]+)\}/g

function needsOf (request: RecordedRequest): string[] {
  const text = JSON.stringify(request)
  return [...new Set([...text.matchAll(placeholder)].map(m => m[1]))]
}

function probe (name: string, rule: string, method: string, path: string, query = '', extra: { auth?: AuthMode, json?: unknown, raw?: { body: string, contentType: string }, captures?: string } = {}): Probe {
  const request: RecordedRequest = { method, path, query, auth: extra.auth ?? 'caller' }
  if (extra.json !== undefined) request.json = extra.json
  if (extra.raw !== undefined) request.raw = extra.raw
  const out: Probe = { name, rule, request, needs: needsOf(request) }
  if (extra.captures !== undefined) out.captures = extra.captures
  return out
}

const U = '/a/{domain}/api/v0.5/user/'
const U1 = '/a/{domain}/api/user/v1/'
const G = '/a/{domain}/api/v0.5/group/'
const L = '/a/{domain}/api/v0.5/location/'
const LT = '/a/{domain}/api/v0.5/location_type/'
const WU = '/a/{domain}/api/v0.5/web-user/'
const BU = '/a/{domain}/api/v0.5/bulk-user/'

/** The read-only probes. */
export function readProbes (): Probe[] {
  return [
    // §7 lists and paging
    probe('workers: list, first page', '§7', 'GET', U),
    probe('workers: list, limit 2', '§7', 'GET', U, 'limit=2'),
    probe('workers: list, second page', '§7', 'GET', U, 'limit=2&offset=2'),
    probe('workers: list, new-style URL', '§7', 'GET', U1, 'limit=2'),
    probe('workers: list, archived', '§7', 'GET', U, 'archived=true&limit=2'),
    probe('workers: list, limit not an integer', '§7', 'GET', U, 'limit=abc'),
    probe('workers: list, negative limit', '§7', 'GET', U, 'limit=-1'),
    probe('workers: list, offset not an integer', '§7', 'GET', U, 'offset=x'),
    probe('workers: list, negative offset', '§7', 'GET', U, 'offset=-5'),
    probe('workers: list, group filter', '§7', 'GET', U, 'group={group_id}&limit=2'),
    probe('workers: list, group that does not exist', '§7', 'GET', U, `group=${MISSING_ID}`),
    probe('workers: list, unknown parameter ignored', '§7', 'GET', U, 'username=nobody&limit=1'),
    probe('workers: list, format=json', '§1', 'GET', U, 'format=json&limit=1'),
    probe('workers: list, format=xml', '§1', 'GET', U, 'format=xml'),
    // §3, §6 details
    probe('workers: detail', '§3', 'GET', `${U}{worker_id}/`),
    probe('workers: detail, new-style URL', '§3', 'GET', `${U1}{worker_id}/`),
    probe('workers: detail, unknown id', '§6', 'GET', `${U}${MISSING_ID}/`),
    // §1 routes
    probe('routes: a version the resource lacks', '§1', 'GET', '/a/{domain}/api/v0.6/user/'),
    probe('routes: a domain that does not exist', '§1', 'GET', `/a/${NO_SUCH_DOMAIN}/api/v0.5/user/`),
    probe('routes: list URL without trailing slash', '§1', 'GET', '/a/{domain}/api/v0.5/user', 'limit=1'),
    probe('routes: detail URL without trailing slash', '§1', 'GET', '/a/{domain}/api/v0.5/user/{worker_id}'),
    probe('routes: identity URL without trailing slash', '§1', 'GET', '/api/v0.5/identity'),
    probe('routes: OPTIONS on the list', '§1', 'OPTIONS', U, '', { auth: 'none' }),
    probe('routes: DELETE on the list is not allowed', '§1', 'DELETE', U, '', { auth: 'none' }),
    probe('routes: POST on a detail is not allowed', '§1', 'POST', `${U}${MISSING_ID}/`, '', { auth: 'none' }),
    probe('routes: PUT on the v0.5 location list is not allowed', '§9.2', 'PUT', L, '', { auth: 'none' }),
    // §2 authentication
    probe('auth: no credentials', '§2', 'GET', U, 'limit=1', { auth: 'none' }),
    probe('auth: wrong API key', '§2', 'GET', U, 'limit=1', { auth: 'wrong-key' }),
    probe('auth: ApiKey header without a colon', '§2', 'GET', U, 'limit=1', { auth: 'no-colon' }),
    probe('auth: wrong Basic password', '§2', 'GET', U, 'limit=1', { auth: 'basic-wrong' }),
    probe('auth: API key in the query string', '§2', 'GET', U, 'limit=1', { auth: 'query-key' }),
    probe('auth: identity without credentials', '§2', 'GET', '/api/v0.5/identity/', '', { auth: 'none' }),
    probe('auth: user_domains with a wrong key', '§2', 'GET', '/api/v0.5/user_domains/', '', { auth: 'wrong-key' }),
    // §9.6, §9.7
    probe('identity', '§9.6', 'GET', '/api/v0.5/identity/'),
    probe('identity, new-style URL', '§9.6', 'GET', '/api/identity/v1/'),
    probe('user_domains', '§9.7', 'GET', '/api/v0.5/user_domains/'),
    probe('user_domains, paging ignored', '§9.7', 'GET', '/api/user_domains/v1/', 'limit=1&offset=1'),
    probe('user_domains, unknown feature flag', '§9.7', 'GET', '/api/v0.5/user_domains/', 'feature_flag=hq_mock_verify_no_such_flag'),
    // §9.1 groups
    probe('groups: list', '§9.1', 'GET', G),
    probe('groups: list, limit 1', '§9.1', 'GET', G, 'limit=1'),
    probe('groups: list, new-style URL', '§9.1', 'GET', '/a/{domain}/api/group/v1/', 'limit=1'),
    probe('groups: detail', '§9.1', 'GET', `${G}{group_id}/`),
    probe('groups: detail, unknown id', '§9.1', 'GET', `${G}${MISSING_ID}/`),
    // §9.2, §9.3 locations
    probe('locations v0.5: list', '§9.2', 'GET', L, 'limit=2'),
    probe('locations v0.5: list, new-style URL', '§9.2', 'GET', '/a/{domain}/api/location/v1/', 'limit=2'),
    probe('locations v0.5: detail', '§9.2', 'GET', `${L}{location_id}/`),
    probe('locations v0.5: site_code filter', '§9.2', 'GET', L, 'site_code={site_code}'),
    probe('locations v0.5: unknown id', '§9.2', 'GET', `${L}${MISSING_ID}/`),
    probe('locations v2: list', '§9.3', 'GET', '/a/{domain}/api/v0.6/location/', 'limit=2'),
    probe('locations v2: list, new-style URL', '§9.3', 'GET', '/a/{domain}/api/location/v2/', 'limit=2'),
    probe('locations v2: detail', '§9.3', 'GET', '/a/{domain}/api/location/v2/{location_id}/'),
    probe('locations v2: site_code filter', '§9.3', 'GET', '/a/{domain}/api/location/v2/', 'site_code={site_code}'),
    // §9.5 location types
    probe('location types: list', '§9.5', 'GET', LT),
    probe('location types: detail', '§9.5', 'GET', `${LT}{location_type_id}/`),
    probe('location types: unknown id', '§9.5', 'GET', `${LT}999999999/`),
    // §11 web users
    probe('web users: list', '§11', 'GET', WU, 'limit=2'),
    probe('web users: the caller', '§11', 'GET', `${WU}{web_user_id}/`),
    probe('web users: username filter', '§11', 'GET', WU, 'web_username={username}'),
    probe('web users: unknown id', '§11', 'GET', `${WU}${MISSING_ID}/`),
    // §13 bulk user search
    probe('bulk-user: one field', '§13', 'GET', BU, 'fields=username&limit=2'),
    probe('bulk-user: a field that does not exist', '§13', 'GET', BU, 'fields=hq_mock_verify_no_such_field')
  ]
}

/** The lifecycle of one throwaway worker: create, every PUT rule of §4, deactivate / activate, retire. */
export function writeProbes (): Probe[] {
  const C = `${U}{created_id}/`
  const put = (name: string, rule: string, json: unknown): Probe => probe(name, rule, 'PUT', C, '', { json })
  return [
    probe('create: a throwaway worker', '§5', 'POST', U, '', {
      json: { username: '{created_username}', password: '{created_password}', first_name: 'HQ mock verify', last_name: 'Throwaway' },
      captures: 'created_id'
    }),
    probe('create: the same username again', '§5', 'POST', U, '', { json: { username: '{created_username}', password: '{created_password}' } }),
    probe('create: a username of another domain', '§5', 'POST', U, '', { json: { username: '{created_username}@hq-mock-verify-elsewhere.commcarehq.org', password: '{created_password}' } }),
    probe('create: list URL without trailing slash', '§1', 'POST', '/a/{domain}/api/v0.5/user', '', { json: {} }),
    probe('throwaway: detail', '§3', 'GET', C),
    put('PUT: names and language', '§4', { first_name: 'Verify', last_name: 'Probe', language: 'fr' }),
    put('PUT: e-mail is lowercased', '§4', { email: 'HQ-Mock-Verify@Example.INVALID' }),
    put('PUT: phone numbers replace, lose +, drop duplicates', '§4', { phone_numbers: ['+15550000001', '15550000002', '15550000001'] }),
    put('PUT: default_phone_number moves to the front', '§4', { default_phone_number: '+15550000002' }),
    put('PUT: default_phone_number not a string', '§4', { default_phone_number: 15550000003 }),
    put('PUT: a group that does not exist', '§4', { groups: [MISSING_ID] }),
    put('PUT: user_data, first', '§4', { user_data: { hq_mock_verify_a: 'one' } }),
    put('PUT: user_data, second (replace or merge)', '§4', { user_data: { hq_mock_verify_b: 'two' } }),
    put('PUT: user_data system key', '§4', { user_data: { commcare_project: 'hq-mock-verify-elsewhere' } }),
    put('PUT: locations and primary location', '§4', { primary_location: '{location_id}', locations: ['{location_id}'] }),
    put('PUT: locations sent alone as [] clears them', '§4', { locations: [] }),
    put('PUT: primary location alone', '§4', { primary_location: '{location_id}' }),
    put('PUT: primary location not in the list', '§4', { primary_location: MISSING_ID, locations: ['{location_id}'] }),
    put('PUT: locations that do not exist', '§4', { primary_location: MISSING_ID, locations: [MISSING_ID] }),
    put('PUT: a role that does not exist', '§4', { role: 'hq-mock-verify no such role' }),
    put('PUT: an existing role', '§4', { role: '{worker_role}' }),
    put('PUT: a non-editable key', '§4', { username: 'someone-else' }),
    put('PUT: errors are collected', '§4', { is_active: false, default_phone_number: 5 }),
    put('PUT: a scalar of the wrong type', '§4', { first_name: 5 }),
    probe('PUT: body not JSON', '§4', 'PUT', C, '', { raw: { body: '{"first_name": ', contentType: 'application/json' } }),
    probe('PUT: body a JSON array', '§4', 'PUT', C, '', { raw: { body: '["first_name"]', contentType: 'application/json' } }),
    probe('PUT: body not JSON by its Content-Type', '§4', 'PUT', C, '', { raw: { body: 'first_name=x', contentType: 'text/plain' } }),
    probe('PUT: a worker that does not exist', '§4', 'PUT', `${U}${MISSING_ID}/`, '', { json: { first_name: 'x' } }),
    probe('PUT: URL without trailing slash', '§1', 'PUT', `${U}{created_id}`, '', { json: { last_name: 'Slashless' } }),
    probe('throwaway: detail after the PUTs', '§3', 'GET', C),
    probe('deactivate', '§6', 'POST', `${C}deactivate/`),
    probe('throwaway: detail while deactivated', '§6', 'GET', C),
    probe('activate', '§6', 'POST', `${C}activate/`),
    probe('activate: a worker that does not exist', '§6', 'POST', `${U}${MISSING_ID}/activate/`),
    probe('retire: DELETE the throwaway worker', '§6', 'DELETE', C),
    probe('retire: detail after the DELETE', '§6', 'GET', C),
    probe('retire: DELETE again', '§6', 'DELETE', C)
  ]
}
