import t from 'tap'
import fc from 'fast-check'
import { build, ADMIN, CANNED_500, LOC_KIBERA, LOC_NAIROBI, LOC_WESTLANDS } from '../helpers/app.js'
import { LOC_ARCHIVED, TREE, locationStore, locationWriteSeed } from '../helpers/location-seed.js'

// Property: whatever body a client sends to a location write (POST, PUT,
// PATCH; both URL styles; demo and a domain with required custom fields), the
// answer is a 201 / 200 / 202, a 400 with one of the documented messages, or
// one of the documented HQ 500s (its canned body) — never an unexpected
// error; and a refused write leaves GET /__mock/state as it was. Each
// success changes the state the next request meets. Seeded and bounded.

const H = { authorization: ADMIN, 'content-type': 'application/json' }
const LISTS = ['/a/demo/api/v0.6/location/', '/a/demo/api/location/v2/', '/a/tree/api/location/v2/']
const IDS = [LOC_NAIROBI, LOC_KIBERA, LOC_WESTLANDS, LOC_ARCHIVED, TREE.colorado, TREE.denver, TREE.southPark, TREE.kansas, 'nope', '']
const KEYS = [
  'name', 'location_type_code', 'parent_location_id', 'site_code', 'location_data', 'latitude', 'longitude', 'location_id',
  'domain', 'last_modified', 'location_type_name', 'foo', '__proto__', 'constructor', '_id'
]
const STRINGS = [
  '', ' ', 'Kibera', 'Westlands', 'Nairobi', 'Denver', 'New Place', 'kibera', 'WESTLANDS', 'old_town', 'x y', 'a$b', 'ok-code_1', 'code\n',
  'ward', 'Ward', 'county', 'city', 'County', 'state', 'region', 'planet', '-1.2921', '1e3', '1_000', 'NaN', '12345678901', '.5',
  'Ünïcødé', '👩🏽‍⚕️', '<b>&', "it's", 'x'.repeat(300), '9'.repeat(40), ...IDS
]
const scalar = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...STRINGS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 2, arbitrary: fc.constantFrom(null, true, false, 0, 1, -1.5, 31.1234, 1e21, 42) }
)
const locationData = fc.oneof(
  fc.dictionary(fc.constantFrom('catchment', 'dhis2_id', 'population', 'tier', 'other', '__proto__'), fc.oneof(scalar, fc.constantFrom('urban', 'rural', 'KE000000047', '2', '715,522')), { maxKeys: 3 }),
  scalar,
  fc.constant([])
)
const value = fc.oneof({ weight: 8, arbitrary: scalar }, { weight: 1, arbitrary: fc.array(scalar, { maxLength: 2 }) }, { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('a', 'b'), scalar, { maxKeys: 2 }) })
const randomItem = fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 6 }).chain(base =>
  fc.option(locationData, { nil: undefined }).map(data => data === undefined ? base : { ...base, location_data: data }))
// Items close to what a client sends, so that creates and updates get through too.
const plausibleItem = fc.record({
  name: fc.oneof(fc.constantFrom('Kibera', 'New Place', 'Denver', 'Aurora'), fc.string({ minLength: 1, maxLength: 10 })),
  location_type_code: fc.constantFrom('ward', 'county', 'city', 'state', 'region', '', null),
  parent_location_id: fc.constantFrom(LOC_NAIROBI, TREE.colorado, TREE.kansas, LOC_KIBERA),
  site_code: fc.oneof(fc.constantFrom('kibera', 'new_place', 'Code-1'), fc.string({ maxLength: 8 })),
  latitude: fc.constantFrom('-1.2921', 31.1234, null, 'north'),
  location_data: locationData
}, { requiredKeys: ['name', 'location_type_code'] })
const item = fc.oneof(randomItem, plausibleItem)
const patchBody = fc.oneof(
  { weight: 8, arbitrary: fc.array(item, { maxLength: 4 }).map(objects => ({ objects })) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>({}, { objects: 5 }, { objects: null }, { objects: '' }, { objects: {} }, { objects: 'abc' }, [], ['objects'], 'objects', null, 7, { objects: [1] }) }
)
const request = fc.oneof(
  fc.record({ method: fc.constant('POST' as const), list: fc.constantFrom(...LISTS), id: fc.constant(''), body: item as fc.Arbitrary<unknown> }),
  fc.record({ method: fc.constant('PUT' as const), list: fc.constantFrom(...LISTS), id: fc.constantFrom(...IDS.filter(i => i !== '')), body: item as fc.Arbitrary<unknown> }),
  fc.record({ method: fc.constant('PATCH' as const), list: fc.constantFrom(...LISTS), id: fc.constant(''), body: patchBody })
)

const SUFFIX = String.raw`( Location site code: [\s\S]+\.)?`
const FIELD_ERROR = String.raw`(\S[\s\S]* is required\.|'[\s\S]*' is not a valid choice for \S[\s\S]*\. The available options are: [\s\S]*\.|'[\s\S]*' is not a valid match for \S[\s\S]*)`
// Every 400 message of the location writes (openapi.yaml: LocationWriteBadRequest).
const DOCUMENTED_400 = [
  new RegExp(`^'name' and 'location_type_code' are required fields when creating a new location\\.${SUFFIX}$`),
  new RegExp(`^Could not update: could not find location with given ID [\\s\\S]* on the domain\\.${SUFFIX}$`),
  new RegExp(`^Could not find parent location with the given ID\\.${SUFFIX}$`),
  new RegExp(`^The selected parent location cannot have child locations!${SUFFIX}$`),
  new RegExp(`^Parent cannot have children of this location's type\\.${SUFFIX}$`),
  new RegExp(`^Location with same name and parent already exists\\.${SUFFIX}$`),
  /^The site code cannot contain spaces or special characters\.$/,
  /^another location already uses this site code$/,
  new RegExp(`^${FIELD_ERROR}( ${FIELD_ERROR})*$`),
  /^You must select a location type$/,
  /^LocationType '[\s\S]*' not found$/,
  /^Location type not valid for the selected parent\.$/,
  /^You cannot change the location type of a location with children$/,
  /^Invalid fields were included in request: \[[\s\S]+\]\.$/,
  /^\[(['"])“[\s\S]*” value must be a decimal number\.\1\]$/,
  /^Invalid data sent: missing 'objects'$/,
  /^Object count exceeds limit for PATCH method\.$/,
  /^The request body must be a JSON object\.$/
]
// And the HQ 500s (openapi.yaml: LocationWriteServerError).
const DOCUMENTED_500 = /^(item \d+ of \d+ was refused, so the whole batch was \(HQ's patch_list is atomic\): )?(HQ fails unhandled here \(canned 500\): |the new parent would make location '[^']+' its own ancestor)/

t.test('random write bodies: 201/200/202, a documented 400 or a documented HQ 500; a refusal changes nothing', async t => {
  const app = await build(t, { store: await locationStore(t, locationWriteSeed()) })
  const seen = new Map<number, number>()
  await fc.assert(fc.asyncProperty(request, async ({ method, list, id, body }) => {
    const before = (await app.inject({ url: '/__mock/state' })).body
    const url = list + (id === '' ? '' : `${id}/`)
    const res = await app.inject({ method, url, headers: H, payload: JSON.stringify(body) })
    seen.set(res.statusCode, (seen.get(res.statusCode) ?? 0) + 1)
    const what = `${method} ${url} ${JSON.stringify(body).slice(0, 300)} → ${res.statusCode} ${res.body.slice(0, 300)} (${String(res.headers['x-mock-reason'])})`
    const ok = { POST: 201, PUT: 200, PATCH: 202 }[method]
    if (res.statusCode === ok) return
    if (res.statusCode === 400) {
      const message = res.json().error as string
      if (!DOCUMENTED_400.some(re => re.test(message))) throw new Error(`an undocumented 400: ${what}`)
    } else if (res.statusCode === 500) {
      if (JSON.stringify(res.json()) !== JSON.stringify(CANNED_500)) throw new Error(`a 500 without the canned body: ${what}`)
      if (!DOCUMENTED_500.test(String(res.headers['x-mock-reason']))) throw new Error(`an undocumented 500: ${what}`)
    } else {
      throw new Error(`an unexpected status: ${what}`)
    }
    if (typeof res.headers['x-mock-reason'] !== 'string' || res.headers['x-mock-reason'] === '') throw new Error(`no X-Mock-Reason: ${what}`)
    const after = (await app.inject({ url: '/__mock/state' })).body
    if (after !== before) throw new Error(`a refused write changed the state: ${what}`)
  }), { seed: 20261201, numRuns: 400 })
  t.comment(`statuses: ${JSON.stringify(Object.fromEntries(seen))}`)
  for (const status of [200, 201, 202, 400]) t.ok((seen.get(status) ?? 0) > 0, `the run reached ${status}`)
  // The locations are still a tree every read answers.
  for (const url of LISTS) {
    const page = await app.inject({ url: `${url}?limit=5000`, headers: H })
    t.equal(page.statusCode, 200)
    const ids = new Set(page.json().objects.map((l: { location_id: string }) => l.location_id))
    for (const l of page.json().objects) if (l.parent_location_id !== '') t.ok(ids.has(l.parent_location_id), `${url}: ${l.location_id as string} has a listed parent`)
  }
})
