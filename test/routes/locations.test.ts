import t from 'tap'
import { build, ADMIN, LOC_KIBERA, LOC_NAIROBI, LOC_WESTLANDS, VIEWER, JDOE } from '../helpers/app.js'
import { LEGACY, LOC_ARCHIVED, LOCATION_EDITOR, NO_API_ACCESS, locationStore } from '../helpers/location-seed.js'
import { parseConfig, ConfigError } from '../../src/config.js'
import { startMockServer } from '../../src/fixture.js'

// Locations, read side (BEHAVIOR.md §9.2, §9.3; R2 §E.1–§E.4): both shapes on
// both URL styles, absolute URLs, archived locations, permission, privilege,
// rate limit, paging. The filters have their own file (location-filters.test.ts),
// the writes too (location-writes.test.ts).

const H = { authorization: ADMIN }
const BASE = 'http://localhost:80'
const STYLES = {
  v05: { list: '/a/demo/api/v0.5/location/', type: '/a/demo/api/v0.5/location_type/' },
  v1: { list: '/a/demo/api/location/v1/', type: '/a/demo/api/location_type/v1/' }
}
const V06 = '/a/demo/api/v0.6/location/'
const V2 = '/a/demo/api/location/v2/'

function kiberaV05 (base: string, style: 'v05' | 'v1') {
  const s = STYLES[style]
  return {
    created_at: '2024-01-15T09:05:00',
    domain: 'demo',
    external_id: 'KE-047-KIB',
    id: 2,
    last_modified: '2024-03-02T11:20:00',
    latitude: null,
    location_data: { catchment: 'urban' },
    location_id: LOC_KIBERA,
    location_type: `${base}${s.type}2/`,
    longitude: null,
    name: 'Kibera',
    parent: `${base}${s.list}${LOC_NAIROBI}/`,
    resource_uri: `${base}${s.list}${LOC_KIBERA}/`,
    site_code: 'kibera'
  }
}

const NAIROBI_V2 = {
  domain: 'demo',
  last_modified: '2024-01-15T09:00:00',
  latitude: '-1.2921000000',
  location_data: {},
  location_id: LOC_NAIROBI,
  location_type_code: 'county',
  location_type_name: 'County',
  longitude: '36.8219000000',
  name: 'Nairobi',
  parent_location_id: '',
  site_code: 'nairobi'
}

const ids = (body: { objects: Array<{ location_id: string }> }): string[] => body.objects.map(l => l.location_id)

t.test('v0.5 shape on v0.5/location/ and location/v1/: 14 sorted keys, absolute URLs in the request\'s URL style', async t => {
  const app = await build(t)
  for (const style of ['v05', 'v1'] as const) {
    const res = await app.inject({ url: STYLES[style].list, headers: H })
    t.equal(res.statusCode, 200)
    t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
    const body = res.json()
    t.strictSame(body.meta, { limit: 20, next: null, offset: 0, previous: null, total_count: 3 })
    t.strictSame(ids(body), [LOC_NAIROBI, LOC_KIBERA, LOC_WESTLANDS])
    t.strictSame(body.objects[1], kiberaV05(BASE, style))
    t.equal(body.objects[0].parent, null, 'a root has no parent')
    t.equal(body.objects[0].latitude, '-1.2921000000', 'coordinates as Decimal(20, 10) strings')
    t.strictSame(body.objects.map((l: { id: number }) => l.id), [1, 2, 3], 'id: the integer key, stable')
    const detail = await app.inject({ url: `${STYLES[style].list}${LOC_KIBERA}/`, headers: H })
    t.equal(detail.statusCode, 200)
    t.strictSame(detail.json(), kiberaV05(BASE, style))
    t.match(detail.body, /^\{"created_at": "2024-01-15T09:05:00", "domain": "demo", "external_id": "KE-047-KIB", "id": 2, /, 'HQ\'s JSON layout, keys sorted')
  }
})

t.test('the base of the absolute URLs: the request\'s scheme and Host, or --base-url', async t => {
  const app = await build(t)
  const viaHost = await app.inject({ url: `${STYLES.v05.list}${LOC_KIBERA}/`, headers: { ...H, host: 'mock.test:8123' } })
  t.strictSame(viaHost.json(), kiberaV05('http://mock.test:8123', 'v05'))
  const configured = await build(t, { baseUrl: 'https://www.commcarehq.org' })
  for (const style of ['v05', 'v1'] as const) {
    const res = await configured.inject({ url: `${STYLES[style].list}${LOC_KIBERA}/`, headers: { ...H, host: 'ignored.test' } })
    t.strictSame(res.json(), kiberaV05('https://www.commcarehq.org', style))
    const type = await configured.inject({ url: `${STYLES[style].type}2/`, headers: H })
    t.equal(type.json().resource_uri, `https://www.commcarehq.org${STYLES[style].type}2/`)
    t.equal(type.json().parent, `https://www.commcarehq.org${STYLES[style].type}1/`)
  }
})

t.test('every v0.5 location_type is the resource_uri of a listed type, every parent answers 200', async t => {
  const app = await build(t)
  for (const style of ['v05', 'v1'] as const) {
    const types = (await app.inject({ url: STYLES[style].type, headers: H })).json()
    const typeUris = new Set(types.objects.map((x: { resource_uri: string }) => x.resource_uri))
    t.equal(typeUris.size, 2)
    const locations = (await app.inject({ url: STYLES[style].list, headers: H })).json().objects
    for (const loc of locations) {
      t.ok(typeUris.has(loc.location_type), `${loc.name}: ${loc.location_type as string} is a listed type`)
      const type = await app.inject({ url: loc.location_type.slice(BASE.length), headers: H })
      t.equal(type.statusCode, 200)
      t.equal(type.json().resource_uri, loc.location_type)
      t.equal(loc.resource_uri.startsWith(BASE + STYLES[style].list), true)
      if (loc.parent === null) continue
      const parent = await app.inject({ url: loc.parent.slice(BASE.length), headers: H })
      t.equal(parent.statusCode, 200, `${loc.name}: its parent URL answers`)
      t.equal(parent.json().resource_uri, loc.parent)
      t.equal(parent.json().name, 'Nairobi')
    }
  }
})

t.test('v2 shape on v0.6/location/ and location/v2/: 11 sorted keys, the type name from location_types', async t => {
  const app = await build(t)
  for (const url of [V06, V2]) {
    const body = (await app.inject({ url, headers: H })).json()
    t.equal(body.meta.total_count, 3)
    t.strictSame(body.objects[0], NAIROBI_V2)
    t.equal(body.objects[1].parent_location_id, LOC_NAIROBI)
    t.equal(body.objects[1].location_type_name, 'Ward')
    t.notOk('resource_uri' in body.objects[0], 'v2 has no resource_uri')
    const detail = await app.inject({ url: `${url}${LOC_NAIROBI}/`, headers: H })
    t.equal(detail.statusCode, 200)
    t.strictSame(detail.json(), NAIROBI_V2)
  }
})

t.test('timestamps: isoformat(), microseconds only when not 0; derived type names on v2', async t => {
  const app = await build(t, { store: await locationStore(t) })
  const v05 = (await app.inject({ url: '/a/legacy/api/v0.5/location/', headers: H })).json().objects
  t.equal(v05[0].created_at, '2023-01-01T00:00:00.250000')
  t.equal(v05[0].last_modified, '2024-05-01T10:00:00')
  const v2 = (await app.inject({ url: '/a/legacy/api/location/v2/', headers: H })).json().objects
  t.strictSame(v2.map((l: { location_type_name: string }) => l.location_type_name), ['Region', 'Sub county', 'Health facility'])
  t.equal(v2[2].last_modified, '2025-06-30T23:59:59.999999')
})

t.test('archived locations never appear: lists, details, both shapes', async t => {
  const app = await build(t, { store: await locationStore(t) })
  for (const url of [STYLES.v05.list, STYLES.v1.list, V06, V2]) {
    const list = (await app.inject({ url, headers: H })).json()
    t.equal(list.meta.total_count, 3, `${url}: the archived one is not counted`)
    t.notOk(ids(list).includes(LOC_ARCHIVED))
    const detail = await app.inject({ url: `${url}${LOC_ARCHIVED}/`, headers: H })
    t.equal(detail.statusCode, 404)
    t.equal(detail.body, '')
    t.match(detail.headers['x-mock-reason'], /archived/)
  }
  const legacy = (await app.inject({ url: '/a/legacy/api/v0.5/location/', headers: H })).json()
  t.strictSame(ids(legacy), [LEGACY.region, LEGACY.district, LEGACY.clinic])
  t.equal(legacy.objects[2].id, 4, 'the id counts archived ones, so it stays stable')
})

t.test('unknown and foreign ids: 404, empty', async t => {
  const app = await build(t)
  for (const url of [STYLES.v05.list, STYLES.v1.list, V06, V2]) {
    for (const id of ['nope', 'fd4ed78a518a0c99d863ed94f81114ef']) {
      const missing = await app.inject({ url: `${url}${id}/`, headers: H })
      t.equal(missing.statusCode, 404, `${url}${id}/`)
      t.equal(missing.body, '')
      t.equal(missing.headers['content-type'], undefined)
    }
  }
  const open = await build(t, { auth: false })
  const other = (await open.inject({ url: '/a/other/api/location/v2/' })).json()
  t.strictSame(other.objects.map((l: { name: string }) => l.name), ['Lusaka'], 'each domain lists its own')
  const authed = (await app.inject({ url: '/a/other/api/location/v2/', headers: H })).json()
  t.strictSame(authed.objects.map((l: { name: string }) => l.name), ['Lusaka'], "with the admin's credentials (edit_locations in other too)")
})

t.test('methods HQ does not allow: 405 with Allow on every location URL, before authentication; nothing changes', async t => {
  const app = await build(t)
  const before = (await app.inject({ url: V2, headers: H })).body
  // The v0.5 shape is read only; the v2 shape takes POST and PATCH on the list and PUT on a location (location-writes.test.ts).
  const refused: Array<[string, string[], string]> = [
    ...[STYLES.v05.list, STYLES.v1.list, `${STYLES.v05.list}${LOC_KIBERA}/`, `${STYLES.v1.list}${LOC_KIBERA}/`].map(url => [url, ['POST', 'PUT', 'PATCH', 'DELETE'], 'GET'] as [string, string[], string]),
    ...[V06, V2].map(url => [url, ['PUT', 'DELETE'], 'GET, POST, PATCH'] as [string, string[], string]),
    ...[`${V06}${LOC_KIBERA}/`, `${V2}${LOC_KIBERA}/`].map(url => [url, ['POST', 'PATCH', 'DELETE'], 'GET, PUT'] as [string, string[], string])
  ]
  for (const [url, methods, allow] of refused) {
    for (const method of methods as Array<'POST' | 'PUT' | 'PATCH' | 'DELETE'>) {
      const res = await app.inject({ method, url, payload: { name: 'X', location_type_code: 'ward' } })
      t.equal(res.statusCode, 405, `${method} ${url}`)
      t.equal(res.headers.allow, allow)
      t.ok(res.headers['x-mock-reason'])
    }
    const options = await app.inject({ method: 'OPTIONS', url })
    t.equal(options.statusCode, 200)
    t.equal(options.headers.allow, allow)
  }
  t.equal((await app.inject({ url: V2, headers: H })).body, before, 'the locations are unchanged')
})

t.test('permission: edit_locations and access_api; view_locations is not enough', async t => {
  const app = await build(t, { store: await locationStore(t) })
  for (const url of [STYLES.v05.list, STYLES.v1.list, V06, V2, `${V2}${LOC_KIBERA}/`, STYLES.v05.type, `${STYLES.v1.type}1/`]) {
    const none = await app.inject({ url })
    t.equal(none.statusCode, 401, `${url}: no credentials`)
    t.match(none.headers['www-authenticate'], /^Digest /)
    t.equal((await app.inject({ url, headers: { authorization: VIEWER } })).statusCode, 403, `${url}: a member without edit_locations`)
    t.equal((await app.inject({ url, headers: { authorization: 'ApiKey admin@example.org:reader-role-key' } })).statusCode, 403, `${url}: a key scoped to a role with view_locations only`)
    const noApi = await app.inject({ url, headers: { authorization: NO_API_ACCESS } })
    t.equal(noApi.statusCode, 403, `${url}: edit_locations without access_api`)
    t.equal(noApi.body, '')
    t.equal((await app.inject({ url, headers: { authorization: LOCATION_EDITOR } })).statusCode, 200, `${url}: a role with both`)
  }
})

t.test('a domain without the LOCATIONS privilege: a bare 403 before authentication', async t => {
  const app = await build(t, { store: await locationStore(t) })
  for (const path of ['v0.5/location/', 'location/v1/', 'v0.6/location/', 'location/v2/', `location/v2/${LOC_KIBERA}/`, 'v0.5/location_type/', 'location_type/v1/1/']) {
    const url = `/a/noloc/api/${path}`
    for (const headers of [H, {}]) {
      const res = await app.inject({ url, headers })
      t.equal(res.statusCode, 403, url)
      t.equal(res.body, '')
      t.equal(res.headers['www-authenticate'], undefined)
      t.match(res.headers['x-mock-reason'], /LOCATIONS privilege/)
    }
  }
  t.equal((await app.inject({ url: '/a/noloc/api/v0.5/user/', headers: H })).statusCode, 200, 'the privilege gates only the location resources')
})

t.test('never rate-limited', async t => {
  const app = await build(t, { rateLimits: { demo: 1 } })
  for (let i = 0; i < 5; i++) {
    for (const url of [STYLES.v05.list, V2, STYLES.v1.type]) t.equal((await app.inject({ url, headers: H })).statusCode, 200)
  }
  t.equal((await app.inject({ url: '/a/demo/api/v0.5/user/', headers: H })).statusCode, 200)
  t.equal((await app.inject({ url: '/a/demo/api/v0.5/user/', headers: H })).statusCode, 429, 'the user resource is limited')
})

t.test('paging: the user list\'s envelope; limit at most 1000 (v0.5) and 5000 (v2)', async t => {
  const app = await build(t)
  for (const url of [STYLES.v05.list, STYLES.v1.list, V06, V2]) {
    const page = (await app.inject({ url: `${url}?limit=1&offset=1`, headers: H })).json()
    t.strictSame(page.meta, { limit: 1, next: '?limit=1&offset=2', offset: 1, previous: '?limit=1&offset=0', total_count: 3 })
    t.strictSame(ids(page), [LOC_KIBERA])
    const bad = await app.inject({ url: `${url}?limit=x`, headers: H })
    t.equal(bad.statusCode, 400)
    t.strictSame(bad.json(), { error: "Invalid limit 'x' provided. Please provide a positive integer." })
    const negative = await app.inject({ url: `${url}?offset=-1`, headers: H })
    t.strictSame(negative.json(), { error: "Invalid offset '-1' provided. Please provide a positive integer &gt;= 0." }, 'tastypie escapes >')
  }
  const limits: Array<[string, string, number]> = [
    [STYLES.v05.list, '5000', 1000], [STYLES.v1.list, '0', 1000], [STYLES.v05.list, '999', 999],
    [V2, '5000', 5000], [V06, '6000', 5000], [V2, '0', 5000], [V2, '1001', 1001]
  ]
  for (const [url, limit, want] of limits) {
    t.equal((await app.inject({ url: `${url}?limit=${limit}`, headers: H })).json().meta.limit, want, `${url}?limit=${limit}`)
  }
})

t.test('a user\'s location ids are the location API\'s location_id', async t => {
  const app = await build(t)
  const all = ids((await app.inject({ url: V2, headers: H })).json())
  const jdoe = (await app.inject({ url: `/a/demo/api/v0.5/user/${JDOE}/`, headers: H })).json()
  t.ok(all.includes(jdoe.primary_location))
})

t.test('--base-url and MOCK_BASE_URL', async t => {
  const run = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
    const r = parseConfig(argv, env)
    return r.kind === 'run' ? r.config.baseUrl : undefined
  }
  t.equal(run([]), null, 'default: the request\'s scheme and Host')
  t.equal(run(['--base-url', 'https://www.commcarehq.org/']), 'https://www.commcarehq.org', 'the trailing slash is dropped')
  t.equal(run([], { MOCK_BASE_URL: 'http://hq.local:8000' }), 'http://hq.local:8000')
  t.equal(run(['--base-url', 'https://a.test/prefix'], { MOCK_BASE_URL: 'http://b.test' }), 'https://a.test/prefix', 'the flag wins')
  for (const bad of ['www.commcarehq.org', 'ftp://x.test', 'https://x.test/?a=1', 'https://u:p@x.test']) {
    t.throws(() => parseConfig(['--base-url', bad], {}), { constructor: ConfigError, message: /^--base-url must be an http or https URL/ }, bad)
  }
  const server = await startMockServer({ baseUrl: 'https://hq.example', auth: false })
  t.teardown(() => server.close())
  const res = await fetch(`${server.url}/a/demo/api/location/v1/${LOC_KIBERA}/`)
  t.equal((await res.json()).resource_uri, `https://hq.example/a/demo/api/location/v1/${LOC_KIBERA}/`, 'the test fixture takes baseUrl too')
})

t.test('isoformat of stored timestamps: naive UTC, microseconds only when not 0', async t => {
  const { isoformat } = await import('../../src/commcare/locations.js')
  const cases: Array<[string, string]> = [
    ['2024-01-15T09:00:00.000000', '2024-01-15T09:00:00'],
    ['2024-01-15 09:00:00.5', '2024-01-15T09:00:00.500000'],
    ['2024-01-15T09:00:00Z', '2024-01-15T09:00:00'],
    ['2024-01-15T01:00:00+02:00', '2024-01-14T23:00:00'],
    ['2024-01-15T23:30:00.000001-0100', '2024-01-16T00:30:00.000001'],
    ['not a date', 'not a date']
  ]
  for (const [stored, want] of cases) t.equal(isoformat(stored), want, stored)
})
