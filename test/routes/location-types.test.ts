import t from 'tap'
import { build, ADMIN, VIEWER } from '../helpers/app.js'
import { locationStore } from '../helpers/location-seed.js'
import { deriveLocationTypes } from '../../src/commcare/location-types.js'
import { DomainState } from '../../src/store/domain.js'
import type { DomainDoc, Location } from '../../src/store/schema.js'

// Location types (BEHAVIOR.md §9.5; R2 §E.6): the seed's `location_types`, or
// types derived from the codes of a 0.1 seed's locations; 9 sorted keys;
// writes refused with an empty 401.

const H = { authorization: ADMIN }
const BASE = 'http://localhost:80'
const LIST = { 'v0.5': '/a/demo/api/v0.5/location_type/', v1: '/a/demo/api/location_type/v1/' }

function county (style: 'v0.5' | 'v1') {
  return {
    administrative: true,
    code: 'county',
    domain: 'demo',
    id: 1,
    name: 'County',
    parent: null,
    resource_uri: `${BASE}${LIST[style]}1/`,
    shares_cases: false,
    view_descendants: false
  }
}

function ward (style: 'v0.5' | 'v1') {
  return {
    administrative: false,
    code: 'ward',
    domain: 'demo',
    id: 2,
    name: 'Ward',
    parent: `${BASE}${LIST[style]}1/`,
    resource_uri: `${BASE}${LIST[style]}2/`,
    shares_cases: true,
    view_descendants: false
  }
}

t.test('GET /a/demo/api/v0.5/location_type/ (and location_type/v1/) lists the seed\'s types', async t => {
  const app = await build(t)
  for (const style of ['v0.5', 'v1'] as const) {
    const res = await app.inject({ url: LIST[style], headers: H })
    t.equal(res.statusCode, 200)
    t.strictSame(res.json(), { meta: { limit: 20, next: null, offset: 0, previous: null, total_count: 2 }, objects: [county(style), ward(style)] })
    t.match(res.body, /"objects": \[\{"administrative": true, "code": "county", "domain": "demo", "id": 1, /)
    const detail = await app.inject({ url: `${LIST[style]}2/`, headers: H })
    t.equal(detail.statusCode, 200)
    t.strictSame(detail.json(), ward(style))
    const page = (await app.inject({ url: `${LIST[style]}?limit=1&offset=1`, headers: H })).json()
    t.strictSame(page.meta, { limit: 1, next: null, offset: 1, previous: '?limit=1&offset=0', total_count: 2 })
  }
  const other = await build(t, { auth: false })
  const types = (await other.inject({ url: '/a/other/api/v0.5/location_type/' })).json().objects
  t.strictSame(types.map((x: { id: number, code: string }) => [x.id, x.code]), [[3, 'province']], 'each domain its own types, with the seed\'s ids')
  t.equal((await other.inject({ url: '/a/other/api/v0.5/location_type/1/' })).statusCode, 404, "demo's type is not other's")
})

t.test('a domain without location_types (a 0.1 seed): types derived from its locations', async t => {
  const app = await build(t, { store: await locationStore(t) })
  const res = await app.inject({ url: '/a/legacy/api/location_type/v1/', headers: H })
  t.equal(res.statusCode, 200)
  const uri = (id: number): string => `${BASE}/a/legacy/api/location_type/v1/${id}/`
  const derived = (id: number, code: string, name: string, parent: number | null) => ({
    administrative: false, code, domain: 'legacy', id, name, parent: parent === null ? null : uri(parent), resource_uri: uri(id), shares_cases: false, view_descendants: false
  })
  t.strictSame(res.json().objects, [
    derived(1, 'region', 'Region', null),
    derived(2, 'sub_county', 'Sub county', 1),
    derived(3, 'health_facility', 'Health facility', 2)
  ])
  // Each location's type URL is one of them and answers.
  const locations = (await app.inject({ url: '/a/legacy/api/location/v1/', headers: H })).json().objects
  t.strictSame(locations.map((l: { location_type: string }) => l.location_type), [uri(1), uri(2), uri(3)])
  for (const l of locations) t.equal((await app.inject({ url: l.location_type.slice(BASE.length), headers: H })).statusCode, 200)
})

t.test('derivation: first use decides the parent; a loop or a type under itself has none', async t => {
  const loc = (id: string, type: string, parent: string | null): Location => ({
    id, name: id, site_code: id, location_type: type, parent, latitude: null, longitude: null, external_id: null, location_data: {}, created_at: '', last_modified: ''
  })
  const domain = (locations: Location[]): DomainState => new DomainState({
    name: 'x', project_name: '', toggles: [], rate_limit_per_minute: null, members: [], custom_user_fields: [], profiles: [], roles: [], groups: [], users: [], locations
  } satisfies DomainDoc)
  const types = deriveLocationTypes(domain([loc('a', 'zone', null), loc('b', 'area', 'a'), loc('c', 'zone', 'b'), loc('d', 'area', 'b'), loc('e', 'spot', 'e')]))
  t.strictSame(types.map(x => [x.id, x.code, x.parent]), [[1, 'zone', null], [2, 'area', 'zone'], [3, 'spot', null]])
  t.strictSame(deriveLocationTypes(domain([loc('p', 'a', 'q'), loc('q', 'b', 'p')])).map(x => x.parent), ['b', null], 'a loop is cut')
})

t.test('detail: unknown integer id 404 empty; not an integer: 404 with the canned body', async t => {
  const app = await build(t)
  for (const id of ['99', '0', '-1', '123456789012345678901234567890']) {
    const res = await app.inject({ url: `${LIST.v1}${id}/`, headers: H })
    t.equal(res.statusCode, 404, id)
    t.equal(res.body, '')
  }
  for (const id of ['abc', '1.0', 'county']) {
    const res = await app.inject({ url: `${LIST['v0.5']}${id}/`, headers: H })
    t.equal(res.statusCode, 404, id)
    t.strictSame(res.json(), { error_message: 'Sorry, this request could not be processed. Please try again later.' })
  }
  t.equal((await app.inject({ url: `${LIST.v1}+2/`, headers: H })).json().code, 'ward', "Django's int() reads '+2'")
})

t.test('writes: an empty 401 once authenticated and permitted; 401 with challenge or 403 before that; nothing changes', async t => {
  const app = await build(t)
  const before = (await app.inject({ url: LIST['v0.5'], headers: H })).body
  for (const url of [LIST['v0.5'], LIST.v1, `${LIST['v0.5']}1/`, `${LIST.v1}2/`]) {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
      const payload = { code: 'x', name: 'X' }
      const refused = await app.inject({ method, url, headers: H, payload })
      t.equal(refused.statusCode, 401, `${method} ${url}`)
      t.equal(refused.body, '')
      t.equal(refused.headers['www-authenticate'], undefined, 'no challenge: the credentials were fine')
      t.match(refused.headers['x-mock-reason'], /read only/)
      const anonymous = await app.inject({ method, url, payload })
      t.equal(anonymous.statusCode, 401)
      t.match(anonymous.headers['www-authenticate'], /^Digest /)
      t.equal((await app.inject({ method, url, headers: { authorization: VIEWER }, payload })).statusCode, 403)
    }
    const options = await app.inject({ method: 'OPTIONS', url })
    t.equal(options.statusCode, 200)
    t.equal(options.headers.allow, 'GET, POST, PUT, DELETE, PATCH', 'HQ allows every method here')
  }
  t.equal((await app.inject({ url: LIST['v0.5'], headers: H })).body, before)
})

t.test('filters: domain only; ordering: none', async t => {
  const app = await build(t)
  const cases: Array<[string, number, unknown]> = [
    ['domain=other', 200, 2],
    ['domain__exact=demo', 200, 2],
    ['domain__exact=other', 200, 0],
    ['domain.exact=other', 200, 2],
    ['limit=1&format=json&username=x', 200, 1],
    ['code=ward', 400, { error: "The 'code' field does not allow filtering." }],
    ['name=Ward', 400, { error: "The 'name' field does not allow filtering." }],
    ['parent__code=county', 400, { error: "The 'parent' field does not allow filtering." }],
    ['administrative=true', 400, { error: "The 'administrative' field does not allow filtering." }],
    ['domain__in=demo', 400, { error: "'in' is not an allowed filter on the 'domain' field." }],
    ['domain__foo=demo', 400, { error: "The 'domain' field does not support relations." }],
    ['order_by=id', 400, { error: "The 'id' field does not allow ordering." }],
    ['order_by=-nope', 400, { error: "No matching 'nope' field for ordering on." }]
  ]
  for (const [query, status, want] of cases) {
    const res = await app.inject({ url: `${LIST.v1}?${query}`, headers: H })
    t.equal(res.statusCode, status, query)
    if (typeof want === 'number') t.equal(res.json().objects.length, want, query)
    else {
      t.strictSame(res.json(), want, query)
      t.ok(res.headers['x-mock-reason'])
    }
  }
})
