import t from 'tap'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build, ADMIN, JDOE, MARY, SEED } from '../helpers/app.js'
import { seedDomain, seedUser } from '../helpers/seed.js'
import { Store } from '../../src/store/store.js'
import { readDomainOnDisk } from '../../src/store/domain-writer.js'

const JSON_HEADERS = { authorization: ADMIN, 'content-type': 'application/json' }
const TINY = '0123456789abcdef0123456789abcdef'
const user = (domain: string, id: string): string => `/a/${domain}/api/v0.5/user/${id}/`

type App = Awaited<ReturnType<typeof build>>

async function get (app: App, url: string) {
  return app.inject({ method: 'GET', url, headers: { authorization: ADMIN } })
}

async function put (app: App, url: string, body: unknown) {
  return app.inject({ method: 'PUT', url, headers: JSON_HEADERS, payload: body as object })
}

async function mock (app: App, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) {
  return app.inject({ method, url, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) }) })
}

t.test('health answers counts and version', async t => {
  const app = await build(t)
  const res = await mock(app, 'GET', '/__mock/health')
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.equal(body.status, 'ok')
  t.match(body.version, /^\d+\.\d+\.\d+/)
  t.equal(body.domains, 2)
  t.equal(body.users, 7)
  t.type(body.uptime_seconds, 'number')
})

t.test('after a PUT, POST /__mock/reset restores the seeded user exactly', async t => {
  const app = await build(t)
  const before = (await get(app, user('demo', JDOE))).body
  const changed = await put(app, user('demo', JDOE), { first_name: 'Changed', phone_numbers: ['+1'], user_data: { chw_id: 'x' } })
  t.equal(changed.statusCode, 200)
  t.not((await get(app, user('demo', JDOE))).body, before)
  const created = await mock(app, 'POST', '/__mock/domains', { name: 'extra', from: 'demo' })
  t.equal(created.statusCode, 201)

  const reset = await mock(app, 'POST', '/__mock/reset')
  t.equal(reset.statusCode, 200)
  t.same(reset.json().domains.map((d: { name: string }) => d.name), ['demo', 'other'], 'domains created on the fly are gone')
  t.equal((await get(app, user('demo', JDOE))).body, before, 'byte for byte the seeded answer')
  t.equal((await get(app, user('extra', JDOE))).statusCode, 404)
})

t.test('per-domain reset restores one domain and leaves the others changed', async t => {
  const app = await build(t)
  const demoBefore = (await get(app, user('demo', JDOE))).body
  t.equal((await put(app, user('demo', JDOE), { first_name: 'DemoChange' })).statusCode, 200)
  t.equal((await put(app, user('other', MARY), { first_name: 'OtherChange' })).statusCode, 200)

  const res = await mock(app, 'POST', '/__mock/domains/demo/reset')
  t.equal(res.statusCode, 200)
  t.same(res.json(), { name: 'demo', project_name: res.json().project_name, users: 5, groups: 3, seeded: true })
  t.equal((await get(app, user('demo', JDOE))).body, demoBefore)
  t.equal((await get(app, user('other', MARY))).json().first_name, 'OtherChange', 'other keeps its change')

  t.equal((await mock(app, 'POST', '/__mock/domains/nope/reset')).statusCode, 404)
  t.same((await mock(app, 'POST', '/__mock/domains/nope/reset')).json(), { error: "there is no domain 'nope' to reset" })
})

t.test('a deleted seeded domain comes back with its reset', async t => {
  const app = await build(t)
  t.equal((await mock(app, 'DELETE', '/__mock/domains/other')).statusCode, 204)
  t.equal((await get(app, user('other', MARY))).statusCode, 404)
  t.equal((await mock(app, 'POST', '/__mock/domains/other/reset')).statusCode, 200)
  t.equal((await get(app, user('other', MARY))).statusCode, 200)
})

t.test('GET /__mock/domains lists names, counts and whether seeded', async t => {
  const app = await build(t)
  await mock(app, 'POST', '/__mock/domains', { name: 'copy-1', from: 'other' })
  const res = await mock(app, 'GET', '/__mock/domains')
  t.equal(res.statusCode, 200)
  const domains = res.json().domains
  t.same(domains.map((d: { name: string }) => d.name), ['copy-1', 'demo', 'other'])
  const copy = domains.find((d: { name: string }) => d.name === 'copy-1')
  const other = domains.find((d: { name: string }) => d.name === 'other')
  t.same(copy, { ...other, name: 'copy-1', seeded: false })
  t.equal(other.seeded, true)
  t.equal(other.users, 2)
  t.equal(other.groups, 1)
  t.same((await mock(app, 'GET', '/__mock/domains/copy-1')).json(), copy)
  t.equal((await mock(app, 'GET', '/__mock/domains/none')).statusCode, 404)
})

t.test('a domain copied on the fly answers at once, with the same ids, and is independent of its source', async t => {
  const app = await build(t)
  const res = await mock(app, 'POST', '/__mock/domains', { name: 'ci-job-7', from: 'demo' })
  t.equal(res.statusCode, 201)
  t.equal(res.headers.location, '/__mock/domains/ci-job-7')
  t.same(res.json(), { name: 'ci-job-7', project_name: res.json().project_name, users: 5, groups: 3, seeded: false })

  const copied = await get(app, user('ci-job-7', JDOE))
  t.equal(copied.statusCode, 200)
  t.equal(copied.json().username, 'jdoe@ci-job-7.commcarehq.org', 'usernames move to the new domain')
  t.equal(copied.json().resource_uri, user('ci-job-7', JDOE))

  const demoBefore = (await get(app, user('demo', JDOE))).body
  t.equal((await put(app, user('ci-job-7', JDOE), { first_name: 'OnlyInCopy' })).statusCode, 200)
  t.equal((await get(app, user('demo', JDOE))).body, demoBefore, 'the source is untouched')
  t.equal((await put(app, user('demo', JDOE), { first_name: 'OnlyInDemo' })).statusCode, 200)
  t.equal((await get(app, user('ci-job-7', JDOE))).json().first_name, 'OnlyInCopy', 'the copy is untouched by its source')

  // A reset of the copy goes back to what it was created with, not to demo's current state.
  t.equal((await mock(app, 'POST', '/__mock/domains/ci-job-7/reset')).statusCode, 200)
  const after = (await get(app, user('ci-job-7', JDOE))).json()
  t.equal(after.first_name, copied.json().first_name)
  t.equal((await get(app, user('demo', JDOE))).json().first_name, 'OnlyInDemo')
})

t.test('a domain from a posted seed fragment', async t => {
  const app = await build(t)
  const seed = seedDomain({
    project_name: 'Tiny',
    members: [{ username: 'admin@example.org', permissions: ['edit_commcare_users', 'access_api'] }],
    users: [seedUser({ id: TINY, username: 'solo@tiny.commcarehq.org', password: 'solo-password', first_name: 'Solo', last_name: 'One' })]
  })
  const res = await mock(app, 'POST', '/__mock/domains', { name: 'tiny', seed })
  t.equal(res.statusCode, 201)
  t.same(res.json(), { name: 'tiny', project_name: 'Tiny', users: 1, groups: 0, seeded: false })
  const got = await get(app, user('tiny', TINY))
  t.equal(got.statusCode, 200)
  t.equal(got.json().username, 'solo@tiny.commcarehq.org')
  t.equal((await put(app, user('tiny', TINY), { first_name: 'Changed' })).statusCode, 200)
  await mock(app, 'POST', '/__mock/domains/tiny/reset')
  t.equal((await get(app, user('tiny', TINY))).json().first_name, 'Solo')
  const exported = (await mock(app, 'GET', '/__mock/state')).json()
  t.match(exported.domains.tiny.users[0].password_hash, /^pbkdf2_sha256\$/, 'the seed password became a hash')
  t.notOk(JSON.stringify(exported).includes('solo-password'))

  const bad = await mock(app, 'POST', '/__mock/domains', { name: 'tiny2', seed: { ...seed, users: [{ ...seed.users[0], groups: ['nope'] }] } })
  t.equal(bad.statusCode, 400)
  t.match(bad.json().error, /invalid seed: .*unknown group 'nope'/)
  const shape = await mock(app, 'POST', '/__mock/domains', { name: 'tiny3', seed: { project_name: 1 } })
  t.equal(shape.statusCode, 400)
  t.match(shape.json().error, /^invalid seed: seed\//)
})

t.test('creating domains: bad input is a clear 400, an existing name 409', async t => {
  const app = await build(t)
  const cases: Array<[unknown, number, RegExp]> = [
    [{ name: 'Bad_Name', from: 'demo' }, 400, /name must match/],
    [{ name: '-x', from: 'demo' }, 400, /name must match/],
    [{ name: 'a'.repeat(64), from: 'demo' }, 400, /name must match/],
    [{ name: 'ok' }, 400, /exactly one of from .* or seed/],
    [{ name: 'ok', from: 'demo', seed: {} }, 400, /exactly one of/],
    [{ name: 'ok', from: 'missing' }, 400, /there is no domain 'missing' to copy/],
    [{ name: 'ok', from: 'demo', extra: 1 }, 400, /^invalid request: /],
    [{ from: 'demo' }, 400, /^invalid request: /],
    [[1, 2], 400, /^invalid request: /],
    [{ name: 'demo', from: 'other' }, 409, /already a domain 'demo'/]
  ]
  for (const [body, status, error] of cases) {
    const res = await mock(app, 'POST', '/__mock/domains', body)
    t.equal(res.statusCode, status, JSON.stringify(body))
    t.match(res.json().error, error, JSON.stringify(body))
  }
  const notJson = await app.inject({ method: 'POST', url: '/__mock/domains', headers: { 'content-type': 'application/json' }, payload: '{nope' })
  t.equal(notJson.statusCode, 400)
  t.type(notJson.json().error, 'string')
  const text = await app.inject({ method: 'POST', url: '/__mock/domains', headers: { 'content-type': 'text/plain' }, payload: 'x' })
  t.equal(text.statusCode, 415)
  t.same(text.json(), { error: 'the body must be JSON (Content-Type: application/json)' })
  t.same((await mock(app, 'GET', '/__mock/domains')).json().domains.length, 2, 'nothing was created')
})

t.test('DELETE a domain: 204, then the CommCare API answers 404; unknown → 404', async t => {
  const app = await build(t)
  await mock(app, 'POST', '/__mock/domains', { name: 'gone', from: 'demo' })
  t.equal((await mock(app, 'DELETE', '/__mock/domains/gone')).statusCode, 204)
  t.equal((await get(app, user('gone', JDOE))).statusCode, 404)
  const again = await mock(app, 'DELETE', '/__mock/domains/gone')
  t.equal(again.statusCode, 404)
  t.same(again.json(), { error: "there is no domain 'gone'" })
  t.equal((await mock(app, 'POST', '/__mock/domains/gone/reset')).statusCode, 404, 'its creation doc is forgotten')
})

t.test('export and import: snapshot, change, restore', async t => {
  const app = await build(t)
  await mock(app, 'POST', '/__mock/domains', { name: 'snap', from: 'other' })
  t.equal((await put(app, user('snap', MARY), { first_name: 'Snapshotted', password: 'New-Secret-Pw9' })).statusCode, 200)
  const snapshot = await mock(app, 'GET', '/__mock/state')
  t.equal(snapshot.statusCode, 200)
  const state = snapshot.json()
  t.same(Object.keys(state), ['format', 'domains'])
  t.same(Object.keys(state.domains), ['demo', 'other', 'snap'])
  t.notOk(snapshot.body.includes('demo-api-key'), 'no web users or API keys')
  t.notOk(snapshot.body.includes('New-Secret-Pw9'), 'no plain passwords')

  t.equal((await put(app, user('snap', MARY), { first_name: 'Later' })).statusCode, 200)
  t.equal((await mock(app, 'DELETE', '/__mock/domains/demo')).statusCode, 204)
  await mock(app, 'POST', '/__mock/domains', { name: 'after', from: 'other' })

  const restored = await mock(app, 'PUT', '/__mock/state', state)
  t.equal(restored.statusCode, 200)
  t.same(restored.json().domains.map((d: { name: string }) => d.name), ['demo', 'other', 'snap'])
  t.equal((await get(app, user('snap', MARY))).json().first_name, 'Snapshotted')
  t.equal((await get(app, user('demo', JDOE))).statusCode, 200)
  t.equal((await get(app, user('after', MARY))).statusCode, 404, 'domains not in the snapshot are removed')
  t.equal((await mock(app, 'GET', '/__mock/state')).body, snapshot.body, 'the export after import is the same')

  // The moved password hash still works: Basic auth with the mobile worker's new password gives 403 (valid, not a web user), not 401.
  const basic = 'Basic ' + Buffer.from('mary.banda@snap.commcarehq.org:New-Secret-Pw9').toString('base64')
  t.equal((await app.inject({ method: 'GET', url: user('snap', MARY), headers: { authorization: basic } })).statusCode, 403)

  // An imported domain that the seed lacks resets to its imported content.
  t.equal((await put(app, user('snap', MARY), { first_name: 'AfterImport' })).statusCode, 200)
  await mock(app, 'POST', '/__mock/domains/snap/reset')
  t.equal((await get(app, user('snap', MARY))).json().first_name, 'Snapshotted')
})

t.test('import: invalid state is a 400 and changes nothing', async t => {
  const app = await build(t)
  const good = (await mock(app, 'GET', '/__mock/state')).json()
  const broken = structuredClone(good)
  broken.domains.demo.users[0].groups.push('no-such-group')
  const cases: Array<[unknown, RegExp]> = [
    [{ ...good, web_users: [] }, /web_users are not imported/],
    [{ domains: good.domains }, /format must be 1/],
    [{ format: 1 }, /domains must be an object/],
    [{ format: 1, domains: {}, extra: true }, /unknown key 'extra'/],
    [{ format: 1, domains: { BAD: good.domains.demo } }, /'BAD' is not a valid domain name/],
    [{ format: 1, domains: { renamed: good.domains.demo } }, /domains\/renamed: name: 'demo' does not match/],
    [broken, /domains\/demo: users: .* unknown group 'no-such-group'/],
    ['text', /must be a JSON object/]
  ]
  for (const [body, error] of cases) {
    const res = await mock(app, 'PUT', '/__mock/state', body)
    t.equal(res.statusCode, 400, String(error))
    t.match(res.json().error, error)
  }
  t.same((await mock(app, 'GET', '/__mock/state')).json(), good)
})

t.test('with a data directory, created, reset and deleted domains reach the disk', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'mock-state-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const store = await Store.open({ seedPath: SEED, dataDir: dir, fsync: false })
  t.teardown(() => store.close())
  const app = await build(t, { store })
  await mock(app, 'POST', '/__mock/domains', { name: 'ondisk', from: 'demo' })
  t.ok((await readdir(join(dir, 'domains'))).includes('ondisk.json'))
  await put(app, user('ondisk', JDOE), { first_name: 'Disk' })
  const onDisk = async (): Promise<string | undefined> => (await readDomainOnDisk(dir, 'ondisk'))?.users.find(u => u.id === JDOE)?.first_name
  t.equal(await onDisk(), 'Disk')
  await mock(app, 'POST', '/__mock/domains/ondisk/reset')
  t.not(await onDisk(), 'Disk')
  await mock(app, 'DELETE', '/__mock/domains/ondisk')
  t.notOk((await readdir(join(dir, 'domains'))).includes('ondisk.json'))
  await mock(app, 'POST', '/__mock/reset')
  t.same((await readdir(join(dir, 'domains'))).filter(n => n.endsWith('.json')).sort(), ['demo.json', 'other.json'])
})

t.test('every error of the test-control API says why in X-Mock-Reason, as its body does', async t => {
  const app = await build(t)
  const cases: Array<[string, string, unknown, number, string?]> = [
    ['GET', '/__mock/domains/nope', undefined, 404],
    ['POST', '/__mock/domains', { name: 'demo', from: 'demo' }, 409],
    ['POST', '/__mock/domains', { name: 'Bad Name', from: 'demo' }, 400],
    ['GET', '/__mock/requests?status=abc', undefined, 400],
    ['DELETE', '/__mock/faults/none', undefined, 404],
    ['POST', '/__mock/domains', 'name=x', 415, 'text/plain']
  ]
  for (const [method, url, body, status, type] of cases) {
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers: body === undefined ? {} : { 'content-type': type ?? 'application/json' },
      payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
    })
    t.equal(res.statusCode, status, `${method} ${url}`)
    const error: string = res.json().error
    t.type(error, 'string')
    t.equal(res.headers['x-mock-reason'], error.replace(/[^\x20-\x7e]/g, '?').slice(0, 500), `${method} ${url}: X-Mock-Reason`)
  }
})
