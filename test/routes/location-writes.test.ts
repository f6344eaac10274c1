import t, { type Test } from 'tap'
import { build, ADMIN, JDOE, LOC_KIBERA, LOC_NAIROBI, LOC_WESTLANDS, VIEWER } from '../helpers/app.js'
import { LOC_ARCHIVED, LOCATION_EDITOR, TREE, locationStore, locationWriteSeed } from '../helpers/location-seed.js'
import { generateSiteCode, storedDecimal } from '../../src/commcare/location-writes.js'
import { Store } from '../../src/store/store.js'

// Location writes (BEHAVIOR.md §9.4; R2 §E.5): POST, PUT and the list PATCH on
// HQ's v0.6 resource, on both URL styles; every message, the site-code suffix,
// atomic batches, what a write keeps pointing at, and that a refused write
// changes nothing.

const H = { authorization: ADMIN }
const STYLES = {
  'v0.6': (d: string) => `/a/${d}/api/v0.6/location/`,
  v2: (d: string) => `/a/${d}/api/location/v2/`
} as const
type Style = keyof typeof STYLES
const BOTH = Object.keys(STYLES) as Style[]
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?$/
const UUID_HEX = /^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/

async function app (tt: Test) {
  return await build(tt, { store: await locationStore(tt, locationWriteSeed()) })
}

type App = Awaited<ReturnType<typeof app>>

async function state (a: App): Promise<string> {
  return (await a.inject({ url: '/__mock/state' })).body
}

async function send (a: App, method: 'POST' | 'PUT' | 'PATCH', url: string, payload: unknown, headers: Record<string, string> = H) {
  return await a.inject({ method, url, headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify(payload) })
}

interface Case {
  name: string
  domain?: string
  method: 'POST' | 'PUT' | 'PATCH'
  /** Appended to the list URL (a location id and '/' for PUT). */
  path?: string
  body: unknown
  error: string
}

// Every message of R2 §E.5, with and without the " Location site code: <x>." suffix.
const CASES: Case[] = [
  { name: 'create without name', method: 'POST', body: { location_type_code: 'ward' }, error: "'name' and 'location_type_code' are required fields when creating a new location." },
  { name: 'create without type, site code sent', method: 'POST', body: { name: 'Kilimani', site_code: 'kilimani' }, error: "'name' and 'location_type_code' are required fields when creating a new location. Location site code: kilimani." },
  { name: 'create with an empty site code: no suffix', method: 'POST', body: { name: 'Kilimani', site_code: '' }, error: "'name' and 'location_type_code' are required fields when creating a new location." },
  { name: 'create with a numeric site code: the suffix prints it', method: 'POST', body: { name: 'Kilimani', site_code: 42 }, error: "'name' and 'location_type_code' are required fields when creating a new location. Location site code: 42." },
  { name: 'update of an unknown id', method: 'PUT', path: 'nope/', body: {}, error: 'Could not update: could not find location with given ID nope on the domain.' },
  { name: 'update of an unknown id, site code sent', method: 'PUT', path: 'nope/', body: { site_code: 'Abc' }, error: 'Could not update: could not find location with given ID nope on the domain. Location site code: Abc.' },
  { name: 'update of an archived location', method: 'PUT', path: `${LOC_ARCHIVED}/`, body: { name: 'New Town' }, error: `Could not update: could not find location with given ID ${LOC_ARCHIVED} on the domain.` },
  { name: 'update of another domain\'s location', method: 'PUT', path: `${TREE.denver}/`, body: { name: 'X' }, error: `Could not update: could not find location with given ID ${TREE.denver} on the domain.` },
  { name: 'unknown parent', method: 'POST', body: { name: 'Kilimani', location_type_code: 'ward', parent_location_id: 'nope', site_code: 'kilimani' }, error: 'Could not find parent location with the given ID. Location site code: kilimani.' },
  { name: 'archived parent', method: 'POST', body: { name: 'Kilimani', location_type_code: 'ward', parent_location_id: LOC_ARCHIVED }, error: 'Could not find parent location with the given ID.' },
  { name: 'null parent', method: 'PUT', path: `${LOC_KIBERA}/`, body: { parent_location_id: null }, error: 'Could not find parent location with the given ID.' },
  { name: 'move under a type without children (HQ test_invalid_parent)', method: 'PUT', path: `${LOC_KIBERA}/`, body: { parent_location_id: LOC_WESTLANDS, site_code: 'kibera' }, error: 'The selected parent location cannot have child locations! Location site code: kibera.' },
  { name: 'move under a location of another domain', method: 'PUT', path: `${LOC_KIBERA}/`, body: { parent_location_id: TREE.colorado }, error: 'The selected parent location cannot have child locations!' },
  { name: 'create under a type without children: the type step, no suffix', method: 'POST', body: { name: 'Kilimani', location_type_code: 'ward', parent_location_id: LOC_WESTLANDS, site_code: 'kilimani' }, error: 'The selected parent location cannot have child locations!' },
  { name: 'move a state under a state', domain: 'tree', method: 'PUT', path: `${TREE.kansas}/`, body: { parent_location_id: TREE.colorado, site_code: 'ks' }, error: "Parent cannot have children of this location's type. Location site code: ks." },
  { name: 'move next to a sibling of the same name', domain: 'tree', method: 'PUT', path: `${TREE.wichita}/`, body: { name: 'Denver', parent_location_id: TREE.colorado }, error: 'Location with same name and parent already exists.' },
  { name: 'a sibling of the same name (HQ test_name_unique_among_siblings)', method: 'POST', body: { name: 'Kibera', location_type_code: 'ward', parent_location_id: LOC_NAIROBI, site_code: 'second_kibera' }, error: 'Location with same name and parent already exists. Location site code: second_kibera.' },
  { name: 'an archived sibling of the same name counts', method: 'POST', body: { name: 'Old Town', location_type_code: 'ward', parent_location_id: LOC_NAIROBI }, error: 'Location with same name and parent already exists.' },
  { name: 'a top-level sibling of the same name', method: 'POST', body: { name: 'Nairobi', location_type_code: 'county' }, error: 'Location with same name and parent already exists.' },
  { name: 'a site code with special characters: no suffix', method: 'PUT', path: `${LOC_KIBERA}/`, body: { site_code: 'special$char' }, error: 'The site code cannot contain spaces or special characters.' },
  { name: 'a site code with a space', method: 'POST', body: { name: 'Kilimani', location_type_code: 'ward', parent_location_id: LOC_NAIROBI, site_code: 'kili mani' }, error: 'The site code cannot contain spaces or special characters.' },
  { name: 'a site code taken, ignoring case', method: 'PUT', path: `${LOC_KIBERA}/`, body: { site_code: 'WestLands' }, error: 'another location already uses this site code' },
  { name: 'a site code an archived location has', method: 'PUT', path: `${LOC_KIBERA}/`, body: { site_code: 'old_town' }, error: 'another location already uses this site code' },
  { name: 'location data: not a choice', method: 'PUT', path: `${LOC_KIBERA}/`, body: { location_data: { catchment: 'suburban' } }, error: "'suburban' is not a valid choice for Catchment. The available options are: urban, peri-urban, rural." },
  { name: 'location data: no match for the regex', method: 'PUT', path: `${LOC_KIBERA}/`, body: { location_data: { dhis2_id: 'x1' }, site_code: 'kib' }, error: "'x1' is not a valid match for DHIS2 ID" },
  { name: 'location data: required, then choice and regex, joined', domain: 'tree', method: 'PUT', path: `${TREE.denver}/`, body: { location_data: { tier: '7' } }, error: "Population is required. '7' is not a valid choice for Tier. The available options are: 1, 2, 3." },
  { name: 'location data: a required field left empty', domain: 'tree', method: 'POST', body: { name: 'Aurora', location_type_code: 'city', parent_location_id: TREE.colorado, location_data: { population: '' } }, error: 'Population is required.' },
  { name: 'no type, more than one allowed', domain: 'tree', method: 'POST', body: { name: 'Nebraska', location_type_code: '' }, error: 'You must select a location type' },
  { name: 'an unknown type', method: 'POST', body: { name: 'Kilimani', location_type_code: 'planet', parent_location_id: LOC_NAIROBI, site_code: 'kilimani' }, error: "LocationType 'planet' not found" },
  { name: 'a type not allowed under the parent', method: 'POST', body: { name: 'Kilimani', location_type_code: 'county', parent_location_id: LOC_NAIROBI }, error: 'Location type not valid for the selected parent.' },
  { name: 'a type not allowed at the top', method: 'PUT', path: `${LOC_NAIROBI}/`, body: { location_type_code: 'Ward' }, error: 'Location type not valid for the selected parent.' },
  { name: 'a type change of a location with children (HQ test_change_location_type_with_children)', domain: 'tree', method: 'PUT', path: `${TREE.colorado}/`, body: { location_type_code: 'region' }, error: 'You cannot change the location type of a location with children' },
  { name: 'a field HQ does not take', method: 'POST', body: { name: 'Kilimani', location_type_code: 'ward', parent_location_id: LOC_NAIROBI, foo: 1, site_code: 'kilimani' }, error: "Invalid fields were included in request: ['foo']." },
  { name: 'the read-only fields HQ\'s schema lists', method: 'PUT', path: `${LOC_KIBERA}/`, body: { domain: 'demo', last_modified: 'x', location_type_name: 'Ward' }, error: "Invalid fields were included in request: ['domain', 'last_modified', 'location_type_name']." },
  { name: 'location_id in a PUT body', method: 'PUT', path: `${LOC_KIBERA}/`, body: { location_id: LOC_KIBERA, name: 'Kibera' }, error: "Invalid fields were included in request: ['location_id']." },
  { name: 'a latitude that is no number', method: 'PUT', path: `${LOC_KIBERA}/`, body: { latitude: 'north' }, error: "['“north” value must be a decimal number.']" },
  { name: 'PATCH without objects', method: 'PATCH', body: { items: [] }, error: "Invalid data sent: missing 'objects'" },
  { name: 'PATCH of a JSON array', method: 'PATCH', body: [{ name: 'x' }], error: "Invalid data sent: missing 'objects'" },
  { name: 'PATCH of 101 items, checked before any', method: 'PATCH', body: { objects: Array.from({ length: 101 }, () => ({ foo: 1 })) }, error: 'Object count exceeds limit for PATCH method.' },
  { name: 'PATCH: an update of an unknown id (HQ test_patch_list_missing_location_id)', method: 'PATCH', body: { objects: [{ location_id: 'qwerty', latitude: '32.42' }] }, error: 'Could not update: could not find location with given ID qwerty on the domain.' },
  { name: 'PATCH: an item with `_id` is a create', method: 'PATCH', body: { objects: [{ _id: LOC_KIBERA, latitude: '32.42' }] }, error: "'name' and 'location_type_code' are required fields when creating a new location." }
]

t.test('every message of R2 §E.5, on both URL styles: 400 {"error": …}, X-Mock-Reason, nothing changes', async t => {
  const a = await app(t)
  const before = await state(a)
  for (const c of CASES) {
    for (const style of BOTH) {
      const res = await send(a, c.method, STYLES[style](c.domain ?? 'demo') + (c.path ?? ''), c.body)
      const what = `${style}: ${c.name}`
      t.equal(res.statusCode, 400, what)
      t.strictSame(res.json(), { error: c.error }, what)
      t.ok((res.headers['x-mock-reason'] as string).length > 20, `${what}: a reason`)
    }
  }
  t.equal(await state(a), before, 'no refused write changed anything')
})

t.test('tastypie escapes <, > and & in the message', async t => {
  const a = await app(t)
  const res = await send(a, 'POST', STYLES.v2('demo'), { name: 'Kilimani', location_type_code: '<b>&', parent_location_id: LOC_NAIROBI })
  t.strictSame(res.json(), { error: "LocationType '&lt;b&gt;&amp;' not found" })
})

t.test('POST: 201 with the full v2 object and an absolute Location; GET shows the same, v0.5 a new integer id', async t => {
  const a = await app(t)
  for (const style of BOTH) {
    const name = `Kilimani ${style}`
    const res = await send(a, 'POST', STYLES[style]('demo'), {
      name, location_type_code: 'Ward', parent_location_id: LOC_NAIROBI, latitude: 31.1234, longitude: '-1.5', location_data: { catchment: 'rural', other: 1 }
    })
    t.equal(res.statusCode, 201, style)
    const body = res.json()
    t.match(body.location_id, UUID_HEX, 'a new uuid4 hex')
    t.match(body.last_modified, TIMESTAMP)
    t.strictSame(body, {
      domain: 'demo',
      last_modified: body.last_modified,
      latitude: '31.1234000000',
      location_data: { catchment: 'rural', other: 1 },
      location_id: body.location_id,
      location_type_code: 'ward',
      location_type_name: 'Ward',
      longitude: '-1.5000000000',
      name,
      parent_location_id: LOC_NAIROBI,
      site_code: style === 'v2' ? 'kilimani_v2' : 'kilimani_v6'
    }, 'the type found by its name; the site code made from the name ("v0.6": the dot goes, the trailing 6 stays)')
    t.equal(res.headers.location, `http://localhost:80${STYLES[style]('demo')}${body.location_id}/`)
    const get = await a.inject({ url: `${STYLES[style]('demo')}${body.location_id}/`, headers: H })
    t.strictSame(get.json(), body)
  }
  const v05 = (await a.inject({ url: '/a/demo/api/v0.5/location/?limit=10', headers: H })).json().objects
  t.strictSame(v05.map((l: { id: number }) => l.id), [1, 2, 3, 5, 6], 'new integer ids after the archived one (4); the old ones are kept')
  t.equal(v05[3].created_at, v05[3].last_modified, 'created_at is set on create')
})

t.test('POST: the type may be left out when only one is allowed; the site code lowercased', async t => {
  const a = await app(t)
  const res = await send(a, 'POST', STYLES.v2('demo'), { name: 'Kilimani', location_type_code: null, parent_location_id: LOC_NAIROBI, site_code: 'KILI-01' })
  t.equal(res.statusCode, 201)
  t.equal(res.json().location_type_code, 'ward')
  t.equal(res.json().site_code, 'kili-01')
  const top = await send(a, 'POST', STYLES.v2('demo'), { name: 'Mombasa', location_type_code: '' })
  t.equal(top.json().location_type_code, 'county', 'at the top only county is allowed')
  t.equal(top.json().parent_location_id, '')
})

t.test('site codes made from the name: slug, trailing digits, a number added until free', async t => {
  const a = await app(t)
  const created = async (name: string, parent = TREE.kansas) => (await send(a, 'POST', STYLES.v2('tree'), { name, location_type_code: 'city', parent_location_id: parent })).json().site_code
  t.equal(await created('Denver'), 'denver1', 'denver is taken')
  t.equal(await created('Wichita 7', TREE.colorado), 'wichita8', 'wichita7 is taken')
  t.equal(await created('Leadville', TREE.kansas), 'leadville1', 'an archived location keeps its code')
  t.equal(await created('São Tomé — Centro!'), 'sao_tome_centro')
  t.equal(await created(''), 'no_name')
  const cases: Array<[string, string[], string]> = [
    ['New Denver', [], 'new_denver'], ['Denver', ['denver', 'denver1'], 'denver2'], ['Ward 09', ['ward09'], 'ward10'],
    ['  Spaced  out  ', [], 'spaced_out'], ['A-B_C', [], 'a_b_c'], ['Straße', [], 'strasse'], ['2nd Street', [], 'nd_street'], ['x9', ['x9'], 'x10']
  ]
  for (const [name, taken, want] of cases) t.equal(generateSiteCode(name, new Set(taken)), want, name)
})

t.test('PUT: 200 with the full object; a name alone regenerates the site code; last_modified set; the rest kept', async t => {
  const a = await app(t)
  for (const style of BOTH) {
    const url = `${STYLES[style]('demo')}${LOC_KIBERA}/`
    const before = (await a.inject({ url, headers: H })).json()
    const res = await send(a, 'PUT', url, { name: `Kibera ${style === 'v2' ? 2 : 6}` })
    t.equal(res.statusCode, 200)
    const body = res.json()
    t.strictSame(body, { ...before, name: body.name, site_code: style === 'v2' ? 'kibera2' : 'kibera6', last_modified: body.last_modified })
    t.not(body.last_modified, before.last_modified)
    t.match(body.last_modified, TIMESTAMP)
    t.strictSame((await a.inject({ url, headers: H })).json(), body)
  }
  const both = await send(a, 'PUT', `${STYLES.v2('demo')}${LOC_KIBERA}/`, { name: 'Kibera', site_code: 'KIB', latitude: null, longitude: 36.79, location_data: { catchment: 'urban', dhis2_id: 'KE000000047' } })
  t.equal(both.statusCode, 200)
  t.match(both.json(), { name: 'Kibera', site_code: 'kib', latitude: null, longitude: '36.7900000000', location_data: { catchment: 'urban', dhis2_id: 'KE000000047' } })
  const westlands = (await a.inject({ url: `${STYLES.v2('demo')}${LOC_WESTLANDS}/`, headers: H })).json()
  t.equal(westlands.last_modified, '2024-01-15T09:06:00', 'other locations are untouched')
})

t.test('PUT: a move with a type change (HQ test_successful_put2); a move without one keeps the type', async t => {
  const a = await app(t)
  const put = await send(a, 'PUT', `${STYLES.v2('tree')}${TREE.denver}/`, { parent_location_id: TREE.kansas, location_type_code: 'county' })
  t.equal(put.statusCode, 200)
  t.match(put.json(), { parent_location_id: TREE.kansas, location_type_code: 'county', location_type_name: 'County', site_code: 'denver' })
  const move = await send(a, 'PUT', `${STYLES['v0.6']('tree')}${TREE.wichita}/`, { parent_location_id: TREE.colorado })
  t.equal(move.statusCode, 200)
  t.match(move.json(), { parent_location_id: TREE.colorado, location_type_code: 'city' })
  const colorado = (await a.inject({ url: `${STYLES.v2('tree')}?parent_location_id=${TREE.colorado}`, headers: H })).json()
  t.strictSame(colorado.objects.map((l: { name: string }) => l.name), ['Wichita'])
})

t.test('PATCH: one bad item refuses the whole batch; corrected, 202 with the ids in order; the list filter finds them', async t => {
  const a = await app(t)
  for (const style of BOTH) {
    const url = STYLES[style]('demo')
    const items = [
      { name: `Kilimani ${style}`, location_type_code: 'ward', parent_location_id: LOC_NAIROBI },
      { name: `Karen ${style}`, location_type_code: 'ward', parent_location_id: LOC_NAIROBI, latitude: '-1.3197' },
      { name: `Lavington ${style}`, location_type_code: 'ward', parent_location_id: LOC_NAIROBI, site_code: 'kibera' }
    ]
    const before = await state(a)
    const bad = await send(a, 'PATCH', url, { objects: items })
    t.equal(bad.statusCode, 400)
    t.strictSame(bad.json(), { error: 'another location already uses this site code' }, "the third item's error")
    t.match(bad.headers['x-mock-reason'], /^item 3 of 3 was refused, so the whole batch was/)
    t.equal(await state(a), before, 'none of the three exists')
    const names = (await a.inject({ url: `${url}?parent_location_id=${LOC_NAIROBI}`, headers: H })).json().objects.map((l: { name: string }) => l.name)
    t.notOk(names.includes(`Kilimani ${style}`))

    items[2].site_code = `lavington_${style.replace('.', '')}`
    const good = await send(a, 'PATCH', url, { objects: items })
    t.equal(good.statusCode, 202)
    t.equal(good.headers['content-type'], 'application/json; charset=utf-8')
    const ids = good.json()
    t.equal(ids.length, 3)
    t.ok(ids.every((id: string) => UUID_HEX.test(id)), 'a bare array of ids')
    const children = (await a.inject({ url: `${url}?parent_location_id=${LOC_NAIROBI}&limit=50`, headers: H })).json().objects
    const found = children.filter((l: { location_id: string }) => ids.includes(l.location_id))
    t.strictSame(found.map((l: { location_id: string }) => l.location_id), ids, 'found, in request order')
    t.strictSame(found.map((l: { name: string }) => l.name), items.map(i => i.name))
    t.equal(found[1].latitude, '-1.3197000000')
  }
})

t.test('PATCH: updates and creates mixed, in order; an item sees the ones before it (HQ test_successful_patch_list)', async t => {
  const a = await app(t)
  const res = await send(a, 'PATCH', STYLES.v2('tree'), {
    objects: [
      { name: 'newtown', latitude: '31.41', location_type_code: 'city', parent_location_id: TREE.colorado },
      { location_id: TREE.southPark, latitude: '32.42', parent_location_id: TREE.colorado },
      { location_id: TREE.southPark, name: 'South Park' },
      { name: 'newtown 2', location_type_code: 'city', parent_location_id: TREE.colorado, site_code: 'NEWTOWN1' }
    ]
  })
  t.equal(res.statusCode, 202)
  const ids = res.json()
  t.equal(ids[1], TREE.southPark)
  t.equal(ids[2], TREE.southPark)
  const get = async (id: string) => (await a.inject({ url: `${STYLES.v2('tree')}${id}/`, headers: H })).json()
  t.match(await get(ids[0]), { name: 'newtown', site_code: 'newtown', latitude: '31.4100000000', parent_location_id: TREE.colorado })
  t.match(await get(TREE.southPark), { name: 'South Park', site_code: 'south_park', latitude: '32.4200000000', parent_location_id: TREE.colorado })
  t.match(await get(ids[3]), { site_code: 'newtown1' })
  const clash = await send(a, 'PATCH', STYLES.v2('tree'), { objects: [{ name: 'Aurora', location_type_code: 'city', parent_location_id: TREE.kansas, site_code: 'aurora' }, { name: 'Aurora 2', location_type_code: 'city', parent_location_id: TREE.kansas, site_code: 'AURORA' }] })
  t.strictSame(clash.json(), { error: 'another location already uses this site code' }, 'the second item sees the first one\'s site code')
  const empty = await send(a, 'PATCH', STYLES['v0.6']('tree'), { objects: [] })
  t.equal(empty.statusCode, 202)
  t.equal(empty.body, '[]')
})

t.test('PATCH of HQ\'s test_patch_list_is_atomic: the valid create is rolled back', async t => {
  const a = await app(t)
  const before = await state(a)
  const res = await send(a, 'PATCH', STYLES['v0.6']('tree'), {
    objects: [
      { name: 'newtown', latitude: '31.41', location_type_code: 'city', parent_location_id: TREE.colorado },
      { location_id: TREE.southPark, latitude: '32.42', parent_location_id: TREE.denver }
    ]
  })
  t.equal(res.statusCode, 400)
  t.strictSame(res.json(), { error: 'The selected parent location cannot have child locations!' })
  t.equal(await state(a), before)
})

t.test('assignments keep pointing at valid locations: a moved or renamed location keeps its id', async t => {
  const a = await app(t)
  const res = await send(a, 'PUT', `${STYLES.v2('demo')}${LOC_KIBERA}/`, { name: 'Kibera Central', location_data: {} })
  t.equal(res.statusCode, 200)
  const jdoe = (await a.inject({ url: `/a/demo/api/v0.5/user/${JDOE}/`, headers: H })).json()
  t.equal(jdoe.primary_location, LOC_KIBERA)
  t.equal((await a.inject({ url: `${STYLES.v2('demo')}${jdoe.primary_location as string}/`, headers: H })).json().name, 'Kibera Central')
  const update = await send(a, 'PUT', `/a/demo/api/v0.5/user/${JDOE}/`, { locations: [LOC_KIBERA, LOC_NAIROBI], primary_location: LOC_NAIROBI })
  t.equal(update.statusCode, 200, 'the worker can still be assigned to it')
})

t.test('writes need edit_locations and access_api; a refused caller changes nothing', async t => {
  const a = await app(t)
  const before = await state(a)
  const body = { name: 'Kilimani', location_type_code: 'ward', parent_location_id: LOC_NAIROBI }
  for (const style of BOTH) {
    const url = STYLES[style]('demo')
    t.equal((await send(a, 'POST', url, body, {})).statusCode, 401, `${style}: no credentials`)
    t.equal((await send(a, 'POST', url, body, { authorization: VIEWER })).statusCode, 403, `${style}: no edit_locations`)
    t.equal((await send(a, 'PUT', `${url}${LOC_KIBERA}/`, { name: 'X' }, { authorization: VIEWER })).statusCode, 403)
    t.equal((await send(a, 'PATCH', url, { objects: [body] }, { authorization: VIEWER })).statusCode, 403)
    const noPrivilege = await send(a, 'POST', url.replace('/demo/', '/noloc/'), body)
    t.equal(noPrivilege.statusCode, 403, `${style}: no LOCATIONS privilege`)
  }
  t.equal(await state(a), before)
  const ok = await send(a, 'POST', STYLES.v2('demo'), body, { authorization: LOCATION_EDITOR })
  t.equal(ok.statusCode, 201, 'a role with both may write')
})

t.test('methods: list GET, POST, PATCH; detail GET, PUT; v0.5, v1 and location types stay read only', async t => {
  const a = await app(t)
  for (const style of BOTH) {
    const list = await a.inject({ method: 'OPTIONS', url: STYLES[style]('demo') })
    t.equal(list.headers.allow, 'GET, POST, PATCH')
    const detail = await a.inject({ method: 'PATCH', url: `${STYLES[style]('demo')}${LOC_KIBERA}/`, headers: H, payload: {} })
    t.equal(detail.statusCode, 405, 'PATCH on a location: 405')
    t.equal(detail.headers.allow, 'GET, PUT')
    t.equal((await a.inject({ method: 'DELETE', url: `${STYLES[style]('demo')}${LOC_KIBERA}/`, headers: H })).statusCode, 405)
    t.equal((await a.inject({ method: 'PUT', url: STYLES[style]('demo'), headers: H, payload: {} })).statusCode, 405)
  }
  for (const url of ['/a/demo/api/v0.5/location/', '/a/demo/api/location/v1/', `/a/demo/api/location/v1/${LOC_KIBERA}/`]) {
    for (const method of ['POST', 'PUT', 'PATCH'] as const) {
      t.equal((await a.inject({ method, url, headers: H, payload: { name: 'X' } })).statusCode, 405, `${method} ${url}`)
    }
  }
  t.equal((await a.inject({ method: 'POST', url: '/a/demo/api/location_type/v1/', headers: H, payload: {} })).statusCode, 401)
})

t.test('bodies HQ cannot read', async t => {
  const a = await app(t)
  const before = await state(a)
  const noBody = await a.inject({ method: 'POST', url: STYLES.v2('demo'), headers: H })
  t.equal(noBody.statusCode, 400)
  t.strictSame(noBody.json(), { error: 'Request is not valid JSON.' })
  const patchNoBody = await a.inject({ method: 'PATCH', url: STYLES.v2('demo'), headers: H })
  t.strictSame(patchNoBody.json(), { error: 'Request is not valid JSON.' })
  const form = await a.inject({ method: 'PATCH', url: STYLES.v2('demo'), headers: { ...H, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'objects=1' })
  t.equal(form.statusCode, 415)
  const fails: Array<[string, 'POST' | 'PUT' | 'PATCH', string, unknown, RegExp]> = [
    ['a name that is not a string', 'POST', STYLES.v2('demo'), { name: 5, location_type_code: 'county' }, /'name' is a number/],
    ['a site code that is not a string', 'PUT', `${STYLES.v2('demo')}${LOC_KIBERA}/`, { site_code: ['a'] }, /'site_code' is an array/],
    ['location_data that is not an object', 'PUT', `${STYLES.v2('demo')}${LOC_KIBERA}/`, { location_data: 'x' }, /'location_data' is a string/],
    ['a regex field with a number', 'PUT', `${STYLES.v2('demo')}${LOC_KIBERA}/`, { location_data: { dhis2_id: 5 } }, /re\.search needs a string/],
    ['a latitude past Decimal(20, 10)', 'PUT', `${STYLES.v2('demo')}${LOC_KIBERA}/`, { latitude: '12345678901' }, /Decimal\(20, 10\)/],
    ['objects that is a number', 'PATCH', STYLES.v2('demo'), { objects: 5 }, /len\(\) of it/],
    ['an item that is not an object', 'PATCH', STYLES.v2('demo'), { objects: [['location_id']] }, /item 1 of 'objects' is an array/],
    ['a JSON null body', 'PATCH', STYLES.v2('demo'), null, /'objects' in data/]
  ]
  for (const [what, method, url, body, reason] of fails) {
    const res = await send(a, method, url, body)
    t.equal(res.statusCode, 500, what)
    t.strictSame(res.json(), { error_message: 'Sorry, this request could not be processed. Please try again later.' }, what)
    t.match(res.headers['x-mock-reason'], reason, what)
  }
  const shortString = await send(a, 'PATCH', STYLES.v2('demo'), { objects: '' })
  t.equal(shortString.statusCode, 202, "objects: '' is an empty batch to HQ")
  const longString = await send(a, 'PATCH', STYLES.v2('demo'), { objects: 'x'.repeat(101) })
  t.strictSame(longString.json(), { error: 'Object count exceeds limit for PATCH method.' }, 'len() of a string counts its characters')
  t.equal(await state(a), before)
})

t.test('a seed without location_types: its derived types are kept once a location is written', async t => {
  const a = await app(t)
  const url = '/a/legacy/api/location/v2/'
  const types = (await a.inject({ url: '/a/legacy/api/location_type/v1/', headers: H })).body
  const res = await send(a, 'POST', url, { name: 'Ukunda', location_type_code: 'health_facility', parent_location_id: '22222222222222222222222222222222' })
  t.equal(res.statusCode, 201)
  t.equal(res.json().location_type_name, 'Health facility')
  t.equal((await a.inject({ url: '/a/legacy/api/location_type/v1/', headers: H })).body, types, 'the same types, ids and parents')
})

t.test('coordinates as HQ\'s Decimal(20, 10) column saves them', async t => {
  const cases: Array<[unknown, string | null]> = [
    [null, null], [1.5, '1.5000000000'], ['-1.2921', '-1.2921000000'], [' 36.8 ', '36.8000000000'], ['1e2', '100.0000000000'],
    ['.5', '0.5000000000'], ['5.', '5.0000000000'], ['1_000', '1000.0000000000'], ['0.12345678905', '0.1234567890'], ['0.12345678915', '0.1234567892'],
    ['-0', '0.0000000000'], [true, '1.0000000000'], ['9999999999.9999999999', '9999999999.9999999999'], ['1e-30', '0.0000000000'], [0, '0.0000000000']
  ]
  for (const [v, want] of cases) t.equal(storedDecimal('latitude', v), want, JSON.stringify(v))
  const refusal = (v: unknown): number | null => {
    try {
      storedDecimal('latitude', v)
      return null
    } catch (err) {
      return (err as { status: number }).status
    }
  }
  for (const bad of ['abc', '', 'NaN', 'Infinity', '1,5', {}, [1]]) t.equal(refusal(bad), 400, `${JSON.stringify(bad)}: Django's ValidationError`)
  for (const big of ['1e10', '99999999999', '-1e300', '9999999999.99999999995']) t.equal(refusal(big), 500, `${big}: too large for the column`)
})

t.test('acknowledged writes are on disk: a store opened again on the directory has them', async t => {
  const dir = t.testdir({})
  const open = async () => await Store.open({ seedPath: (await import('../helpers/app.js')).SEED, dataDir: dir })
  const store = await open()
  const first = await build(t, { store })
  const post = await send(first, 'POST', STYLES.v2('demo'), { name: 'Kilimani', location_type_code: 'ward', parent_location_id: LOC_NAIROBI })
  t.equal(post.statusCode, 201)
  const patch = await send(first, 'PATCH', STYLES.v2('demo'), { objects: [{ location_id: LOC_KIBERA, name: 'Kibera North' }] })
  t.equal(patch.statusCode, 202)
  await first.close()
  await store.close()
  const second = await build(t, { store: await open() })
  const get = await second.inject({ url: `${STYLES.v2('demo')}${post.json().location_id as string}/`, headers: H })
  t.strictSame(get.json(), post.json())
  t.equal((await second.inject({ url: `${STYLES.v2('demo')}${LOC_KIBERA}/`, headers: H })).json().site_code, 'kibera_north')
})

t.test('the seed key custom_location_fields: optional, slugs once each, a regex that compiles', async t => {
  const { seedProblems } = await import('../../src/store/validate.js')
  const seed = locationWriteSeed()
  t.same(seedProblems(seed), [], 'the fields as the tests use them')
  delete seed.domains.tree.custom_location_fields
  t.same(seedProblems(seed), [], 'absent: no fields')
  seed.domains.tree.custom_location_fields = [{ slug: 'a' }, { slug: 'a', regex: '(' }]
  t.same(seedProblems(seed), [
    "domains/tree/custom_location_fields: slug 'a' appears twice",
    "domains/tree/custom_location_fields: 'a' has a regex that does not compile"
  ])
  seed.domains.tree.custom_location_fields = [{ slug: 'a', required: true } as never]
  t.match(seedProblems(seed)[0], /custom_location_fields\/0/, 'unknown keys are refused')
})

t.test('without custom location fields any location_data is taken', async t => {
  const seed = locationWriteSeed()
  delete seed.domains.demo.custom_location_fields
  const a = await build(t, { store: await locationStore(t, seed) })
  const res = await send(a, 'PUT', `${STYLES.v2('demo')}${LOC_KIBERA}/`, { location_data: { catchment: 'anything', dhis2_id: 5 } })
  t.equal(res.statusCode, 200)
  t.strictSame(res.json().location_data, { catchment: 'anything', dhis2_id: 5 })
})

t.test('a move that would make a location its own ancestor (only types that loop let it through): 500, nothing changes', async t => {
  const seed = locationWriteSeed()
  const type = (id: number, code: string, parent: string) => ({ id, code, name: code, parent, administrative: false, shares_cases: false, view_descendants: false })
  seed.domains.tree.location_types = [...seed.domains.tree.location_types!, type(21, 'yin', 'yang'), type(22, 'yang', 'yin')]
  const base = seed.domains.tree.locations[0]
  seed.domains.tree.locations.push(
    { ...base, id: 'b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0', name: 'Up', site_code: 'up', location_type: 'yin', parent: null },
    { ...base, id: 'b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1', name: 'Down', site_code: 'down', location_type: 'yang', parent: 'b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0' }
  )
  const a = await build(t, { store: await locationStore(t, seed) })
  const before = await state(a)
  const res = await send(a, 'PUT', `${STYLES.v2('tree')}b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0/`, { parent_location_id: 'b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1' })
  t.equal(res.statusCode, 500)
  t.match(res.headers['x-mock-reason'], /its own ancestor/)
  t.equal(await state(a), before)
})
