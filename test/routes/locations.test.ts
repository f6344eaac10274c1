import t from 'tap'
import { build, ADMIN, LOC_KIBERA, LOC_NAIROBI, LOC_WESTLANDS, VIEWER } from '../helpers/app.js'

const H = { authorization: ADMIN }
const V05 = '/a/demo/api/v0.5/location/'
const V2 = '/a/demo/api/location/v2/'

const KIBERA_V05 = {
  created_at: '2024-01-15T09:05:00.000000',
  domain: 'demo',
  external_id: 'KE-047-KIB',
  id: 2,
  last_modified: '2024-03-02T11:20:00.000000',
  latitude: null,
  location_data: { catchment: 'urban' },
  location_id: LOC_KIBERA,
  location_type: 'ward',
  longitude: null,
  name: 'Kibera',
  parent: `/a/demo/api/v0.5/location/${LOC_NAIROBI}/`,
  resource_uri: `/a/demo/api/v0.5/location/${LOC_KIBERA}/`,
  site_code: 'kibera'
}

const NAIROBI_V2 = {
  domain: 'demo',
  last_modified: '2024-01-15T09:00:00.000000',
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

t.test('v0.5 list and detail (the Location schema)', async t => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: V05, headers: H })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
  const body = res.json()
  t.strictSame(body.meta, { limit: 20, next: null, offset: 0, previous: null, total_count: 3 })
  t.strictSame(body.objects.map((l: { location_id: string }) => l.location_id), [LOC_NAIROBI, LOC_KIBERA, LOC_WESTLANDS])
  t.strictSame(body.objects[1], KIBERA_V05)
  t.equal(body.objects[0].parent, null)
  t.equal(body.objects[0].latitude, '-1.2921000000', 'coordinates as Decimal(20, 10) strings')
  const detail = await app.inject({ method: 'GET', url: V05 + LOC_KIBERA + '/', headers: H })
  t.equal(detail.statusCode, 200)
  t.strictSame(detail.json(), KIBERA_V05)
  t.match(detail.body, /^\{"created_at": "2024-01-15T09:05:00.000000", "domain": "demo", /)
})

t.test('v2 list and detail (the LocationV2 schema)', async t => {
  const app = await build(t)
  const body = (await app.inject({ method: 'GET', url: V2, headers: H })).json()
  t.equal(body.meta.total_count, 3)
  t.strictSame(body.objects[0], NAIROBI_V2)
  t.equal(body.objects[1].parent_location_id, LOC_NAIROBI)
  t.notOk('resource_uri' in body.objects[0], 'v2 has no resource_uri')
  const detail = await app.inject({ method: 'GET', url: V2 + LOC_NAIROBI, headers: H })
  t.equal(detail.statusCode, 200)
  t.strictSame(detail.json(), NAIROBI_V2)
})

t.test('paging, unknown and foreign ids, read only', async t => {
  const app = await build(t)
  for (const url of [V05, V2]) {
    const page = (await app.inject({ method: 'GET', url: url + '?limit=1&offset=1', headers: H })).json()
    t.strictSame(page.meta, { limit: 1, next: '?limit=1&offset=2', offset: 1, previous: '?limit=1&offset=0', total_count: 3 })
    t.equal(page.objects.length, 1)
    for (const id of ['nope', 'fd4ed78a518a0c99d863ed94f81114ef']) {
      const missing = await app.inject({ method: 'GET', url: url + id + '/', headers: H })
      t.equal(missing.statusCode, 404, `${url}${id}`)
      t.equal(missing.body, '')
    }
    for (const method of ['POST', 'PUT', 'DELETE'] as const) {
      const res = await app.inject({ method, url })
      t.equal(res.statusCode, 405, `${method} ${url}`)
      t.equal(res.headers.allow, 'GET')
    }
    t.equal((await app.inject({ method: 'GET', url })).statusCode, 401)
    t.equal((await app.inject({ method: 'GET', url, headers: { authorization: VIEWER } })).statusCode, 403)
  }
  const other = (await app.inject({ method: 'GET', url: '/a/other/api/location/v2/', headers: H })).json()
  t.strictSame(other.objects.map((l: { name: string }) => l.name), ['Lusaka'])
  t.equal((await app.inject({ method: 'GET', url: '/a/demo/api/location/v1/', headers: H })).statusCode, 404, 'location/v1 is not served')
})

t.test('a user assigned to a listed location', async t => {
  const app = await build(t)
  const ids = (await app.inject({ method: 'GET', url: V2, headers: H })).json().objects.map((l: { location_id: string }) => l.location_id)
  const jdoe = (await app.inject({ method: 'GET', url: '/a/demo/api/v0.5/user/3c5a623af057e23a32ae4000cf291339/', headers: H })).json()
  t.ok(ids.includes(jdoe.primary_location), "a user's location ids are the location API's location_id")
})
