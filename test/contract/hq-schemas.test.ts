import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import t, { type Test } from 'tap'
import { Ajv, type ValidateFunction } from 'ajv'
import { parse } from 'yaml'
import { ADMIN, GROUP_NORTH, JDOE, build } from '../helpers/app.js'
import { ROOT } from '../helpers/openapi.js'

// Fidelity against CommCare HQ's own published OpenAPI schemas: the mock's
// mobile-worker, list and group answers must validate against them, and every
// key the mock sends must be one HQ's schema declares. The folder sits beside
// the repository (`../shared/reference/commcare-hq-openapi`, present in CI).
// Where HQ's published file is known to be wrong, BEHAVIOR.md is the reference
// and the test says so beside the assertion.

const HQ_DIR = resolve(ROOT, '../shared/reference/commcare-hq-openapi')
const SCHEMAS = join(HQ_DIR, 'components/schemas')
const FILES = ['user.yaml', 'group.yaml', 'pagination.yaml', 'error.yaml', 'location.yaml']

if (!existsSync(SCHEMAS)) {
  t.test(`HQ's published schemas (${SCHEMAS})`, { skip: `HQ's published OpenAPI is not at ${SCHEMAS}; the fidelity check needs ../shared/reference/commcare-hq-openapi beside the repository` }, () => {})
} else {
  // HQ's files are OpenAPI 3.0 (`nullable`, `example`), one YAML file per
  // group of schemas, each a map of name to schema, referring to each other.
  const ajv = new Ajv({ allErrors: true, strictTypes: false })
  ajv.addKeyword({ keyword: 'example' })
  for (const file of FILES) {
    const doc = parse(readFileSync(join(SCHEMAS, file), 'utf8')) as Record<string, unknown>
    ajv.addVocabulary(Object.keys(doc).filter(k => ajv.getKeyword(k) === false))
    ajv.addSchema(doc, `https://hq.example/schemas/${file}`)
  }
  const hq = (ref: string): ValidateFunction => ajv.compile({ $ref: `https://hq.example/schemas/${ref}` })
  const hqProperties = (file: string, name: string): string[] => {
    const doc = parse(readFileSync(join(SCHEMAS, file), 'utf8')) as Record<string, { properties?: object }>
    return Object.keys(doc[name].properties ?? {})
  }
  const check = (tt: Test, v: ValidateFunction, body: unknown, what: string): void => {
    const ok = v(body)
    tt.ok(ok, `${what} validates against HQ's schema`, { errors: v.errors })
  }

  t.test("mobile workers: detail, PUT answer and list validate against HQ's MobileWorker / MobileWorkerList", async t => {
    const app = await build(t)
    const worker = hq('user.yaml#/MobileWorker')
    const list = hq('user.yaml#/MobileWorkerList')
    const declared = new Set(hqProperties('user.yaml', 'MobileWorker'))
    for (const style of ['v0.5/user', 'user/v1']) {
      const detail = await app.inject({ url: `/a/demo/api/${style}/${JDOE}/`, headers: { authorization: ADMIN } })
      t.equal(detail.statusCode, 200)
      check(t, worker, detail.json(), `GET ${style} detail`)
      t.notOk(worker({ ...detail.json(), groups: 'not a list' }), "HQ's schema rejects a spoiled object, so the check can fail")
      // HQ's hand-written MobileWorker predates PR #38039, which added `language` and
      // `role` (BEHAVIOR.md §3; HQ's generated user-v1.json declares both): the only
      // keys allowed beyond it.
      const undeclared = Object.keys(detail.json()).filter(k => !declared.has(k))
      t.same(undeclared, ['language', 'role'], `only language and role go beyond HQ's MobileWorker (${style})`)

      const put = await app.inject({ method: 'PUT', url: `/a/demo/api/${style}/${JDOE}/`, headers: { authorization: ADMIN }, payload: { first_name: 'Jo', phone_numbers: ['+254700000009'] } })
      t.equal(put.statusCode, 200)
      check(t, worker, put.json(), `PUT ${style} answer`)

      const page = await app.inject({ url: `/a/demo/api/${style}/?limit=2`, headers: { authorization: ADMIN } })
      t.equal(page.statusCode, 200)
      check(t, list, page.json(), `GET ${style} list`)
      t.ok(page.json().objects.length === 2 && page.json().meta.next !== null, 'a partial page, so the paging links are exercised')
    }
  })

  t.test("groups: detail and list validate against HQ's Group / GroupList", async t => {
    const app = await build(t)
    const group = hq('group.yaml#/Group')
    const list = hq('group.yaml#/GroupList')
    const declared = new Set(hqProperties('group.yaml', 'Group'))
    for (const style of ['v0.5/group', 'group/v1']) {
      const detail = await app.inject({ url: `/a/demo/api/${style}/${GROUP_NORTH}/`, headers: { authorization: ADMIN } })
      t.equal(detail.statusCode, 200)
      check(t, group, detail.json(), `GET ${style} detail`)
      // HQ's published Group schema leaves out `resource_uri`, which tastypie
      // adds to every resource (include_resource_uri defaults to True);
      // BEHAVIOR.md §9 lists it, so it is the one key allowed beyond HQ's file.
      const undeclared = Object.keys(detail.json()).filter(k => !declared.has(k))
      t.same(undeclared, ['resource_uri'], `only resource_uri goes beyond HQ's Group (${style})`)
      const page = await app.inject({ url: `/a/demo/api/${style}/`, headers: { authorization: ADMIN } })
      t.equal(page.statusCode, 200)
      check(t, list, page.json(), `GET ${style} list`)
    }
  })

  t.test('POST and DELETE answers follow BEHAVIOR.md, where HQ\'s published file is wrong', async t => {
    const app = await build(t)
    // HQ's file documents the create answer as the whole MobileWorker; HQ's
    // code (and BEHAVIOR.md §5) answers only {"id": ...}, 201, with Location.
    const created = await app.inject({ method: 'POST', url: '/a/demo/api/v0.5/user/', headers: { authorization: ADMIN }, payload: { username: 'fidelity.check', password: 'a-secret-1' } })
    t.equal(created.statusCode, 201)
    t.same(Object.keys(created.json()), ['id'])
    t.equal(created.headers.location, `/a/demo/api/v0.5/user/${created.json().id as string}/`)
    // HQ's file documents 202 for DELETE; HQ's code (BEHAVIOR.md §6) answers 204 with an empty body.
    const deleted = await app.inject({ method: 'DELETE', url: `/a/demo/api/v0.5/user/${JDOE}/`, headers: { authorization: ADMIN } })
    t.equal(deleted.statusCode, 204)
    t.equal(deleted.body, '')
    // Groups: HQ's file and BEHAVIOR.md §9 agree that a create answers only the id.
    const group = await app.inject({ method: 'POST', url: '/a/demo/api/v0.5/group/', headers: { authorization: ADMIN }, payload: { name: 'Fidelity' } })
    t.equal(group.statusCode, 201)
    t.same(Object.keys(group.json()), ['id'])
  })

  t.test("HQ's error bodies: tastypie's 400 matches HQ's Error schema", async t => {
    const app = await build(t)
    const res = await app.inject({ url: '/a/demo/api/v0.5/user/?limit=abc', headers: { authorization: ADMIN } })
    t.equal(res.statusCode, 400)
    check(t, hq('error.yaml#/Error'), res.json(), 'a bad limit')
  })

  // Locations and location types: HQ's hand-written schemas (location.yaml)
  // and the specs HQ generates from its tastypie declarations (generated/).
  // Both shapes on both URL styles, lists and details, and the location types.
  const GENERATED = join(HQ_DIR, 'generated')
  const LOCATION_URLS = {
    v05: ['/a/demo/api/v0.5/location/', '/a/demo/api/location/v1/'],
    v2: ['/a/demo/api/v0.6/location/', '/a/demo/api/location/v2/'],
    types: ['/a/demo/api/v0.5/location_type/', '/a/demo/api/location_type/v1/']
  }

  /** A generated spec's GET answer schema for a path, its local `$ref`s inlined. */
  const generated = (file: string, path: string): Record<string, any> => {
    const doc = JSON.parse(readFileSync(join(GENERATED, file), 'utf8'))
    const inline = (node: any): any => {
      if (Array.isArray(node)) return node.map(inline)
      if (typeof node !== 'object' || node === null) return node
      if (typeof node.$ref === 'string') return inline(node.$ref.slice(2).split('/').reduce((n: any, k: string) => n[k], doc))
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, inline(v)]))
    }
    return inline(doc.paths[path].get.responses['200'].content['application/json'])
  }
  // HQ's generated files say `format: date-time` of the naive timestamps HQ itself
  // sends (its hand-written location.yaml says why it avoids that format), so the
  // format accepts `isoformat()` of a naive datetime; `uri` must be absolute.
  const genAjv = new Ajv({ allErrors: true, strictTypes: false })
  genAjv.addKeyword({ keyword: 'example' })
  genAjv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?$/)
  genAjv.addFormat('decimal', /^-?\d+\.\d+$/)
  genAjv.addFormat('uri', { validate: (s: string) => /^https?:\/\/[^/]+\//.test(s) && URL.canParse(s) })

  const keysOf = (schema: Record<string, any>): string[] => Object.keys(schema.properties).sort()

  t.test("locations, v0.5 shape: HQ's Location / LocationList and generated location-v1.json", async t => {
    const app = await build(t, { baseUrl: 'https://www.commcarehq.org' })
    const item = hq('location.yaml#/Location')
    const list = hq('location.yaml#/LocationList')
    const genList = generated('location-v1.json', '/a/{domain}/api/location/v1/')
    const genDetail = generated('location-v1.json', '/a/{domain}/api/location/v1/{location_id}/')
    const vList = genAjv.compile(genList.schema)
    const vDetail = genAjv.compile(genDetail.schema)
    t.strictSame(keysOf(genDetail.schema), hqProperties('location.yaml', 'Location').sort(), "HQ's two files declare the same 14 keys")
    for (const url of LOCATION_URLS.v05) {
      const page = await app.inject({ url: `${url}?limit=2`, headers: { authorization: ADMIN } })
      t.equal(page.statusCode, 200)
      check(t, list, page.json(), `GET ${url} (location.yaml)`)
      check(t, vList, page.json(), `GET ${url} (generated)`)
      for (const loc of page.json().objects) {
        t.strictSame(Object.keys(loc), keysOf(genDetail.schema), `${url}: exactly HQ's keys, sorted`)
        const detail = await app.inject({ url: loc.resource_uri.slice('https://www.commcarehq.org'.length), headers: { authorization: ADMIN } })
        t.equal(detail.statusCode, 200)
        check(t, item, detail.json(), `GET ${loc.resource_uri as string} (location.yaml)`)
        check(t, vDetail, detail.json(), `GET ${loc.resource_uri as string} (generated)`)
      }
      t.notOk(vDetail({ ...page.json().objects[0], location_type: '/a/demo/api/v0.5/location_type/1/' }), 'a relative location_type fails the generated schema, so the check can fail')
    }
    const example = genList.example.objects[0]
    t.strictSame(Object.keys(example).sort(), keysOf(genDetail.schema), "HQ's own example has the same keys")
    t.match(example.location_type, /^https:\/\/www\.commcarehq\.org\/a\/demo\/api\/location_type\/v1\/\d+\/$/, "HQ's example: an absolute location_type in the v1 style, as the mock sends")
  })

  t.test("locations, v2 shape: HQ's LocationV2 / LocationV2List and generated location-v2.json", async t => {
    const app = await build(t)
    const item = hq('location.yaml#/LocationV2')
    const list = hq('location.yaml#/LocationV2List')
    const genList = generated('location-v2.json', '/a/{domain}/api/location/v2/')
    const genDetail = generated('location-v2.json', '/a/{domain}/api/location/v2/{location_id}/')
    const vList = genAjv.compile(genList.schema)
    const vDetail = genAjv.compile(genDetail.schema)
    for (const url of LOCATION_URLS.v2) {
      const page = await app.inject({ url: `${url}?location_type_code=ward&last_modified.gte=2024-01-01&limit=1`, headers: { authorization: ADMIN } })
      t.equal(page.statusCode, 200)
      t.ok(page.json().meta.next !== null, 'a partial page')
      check(t, list, page.json(), `GET ${url} (location.yaml)`)
      check(t, vList, page.json(), `GET ${url} (generated)`)
      const loc = page.json().objects[0]
      t.strictSame(Object.keys(loc), keysOf(genDetail.schema), `${url}: exactly HQ's 11 keys, sorted`)
      t.strictSame(Object.keys(loc), hqProperties('location.yaml', 'LocationV2').sort())
      const detail = await app.inject({ url: `${url}${loc.location_id as string}/`, headers: { authorization: ADMIN } })
      check(t, item, detail.json(), `GET ${url}{id}/ (location.yaml)`)
      check(t, vDetail, detail.json(), `GET ${url}{id}/ (generated)`)
      t.notOk(vDetail({ ...loc, parent_location_id: null }), 'a null parent_location_id fails, so the check can fail')
    }
  })

  t.test("location types: HQ's LocationType / LocationTypeList and generated location-type-v1.json", async t => {
    const app = await build(t)
    const item = hq('location.yaml#/LocationType')
    const list = hq('location.yaml#/LocationTypeList')
    const genList = generated('location-type-v1.json', '/a/{domain}/api/location_type/v1/')
    const genDetail = generated('location-type-v1.json', '/a/{domain}/api/location_type/v1/{pk}/')
    const vList = genAjv.compile(genList.schema)
    const vDetail = genAjv.compile(genDetail.schema)
    for (const url of LOCATION_URLS.types) {
      const page = await app.inject({ url, headers: { authorization: ADMIN } })
      t.equal(page.statusCode, 200)
      check(t, list, page.json(), `GET ${url} (location.yaml)`)
      check(t, vList, page.json(), `GET ${url} (generated)`)
      for (const type of page.json().objects) {
        t.strictSame(Object.keys(type), keysOf(genDetail.schema), `${url}: exactly HQ's 9 keys, sorted`)
        const detail = await app.inject({ url: `${url}${type.id as number}/`, headers: { authorization: ADMIN } })
        check(t, item, detail.json(), `GET ${url}${type.id as number}/ (location.yaml)`)
        check(t, vDetail, detail.json(), `GET ${url}${type.id as number}/ (generated)`)
      }
      t.notOk(vDetail({ ...page.json().objects[1], parent: 'county' }), 'a type code as parent fails the generated schema, so the check can fail')
    }
    t.strictSame(keysOf(genDetail.schema), hqProperties('location.yaml', 'LocationType').sort())
  })

  t.test("a location filter error matches HQ's Error schema", async t => {
    const app = await build(t)
    for (const url of ['/a/demo/api/v0.5/location/?name=x', '/a/demo/api/location/v2/?last_modified=2024-01-01', '/a/demo/api/location_type/v1/?code=x']) {
      const res = await app.inject({ url, headers: { authorization: ADMIN } })
      t.equal(res.statusCode, 400)
      check(t, hq('error.yaml#/Error'), res.json(), url)
    }
  })
}
