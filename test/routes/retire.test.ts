import t from 'tap'
import { build, ADMIN, AMINA, CANNED_500, CAROL, DAVID, GROUP_NORTH, GROUP_SUPERVISORS, JDOE, MARY } from '../helpers/app.js'

const H = { authorization: ADMIN }
const GET_MISSING = { error: "The object 'CommCareUser(username=None)' has an empty attribute 'get_id' and doesn't allow a default or null value." }
const STYLES = [
  { name: 'v0.5', user: (id: string) => `/a/demo/api/v0.5/user/${id}/`, list: '/a/demo/api/v0.5/user/', group: (id: string) => `/a/demo/api/v0.5/group/${id}/` },
  { name: 'v1', user: (id: string) => `/a/demo/api/user/v1/${id}/`, list: '/a/demo/api/user/v1/', group: (id: string) => `/a/demo/api/group/v1/${id}/` }
]

for (const s of STYLES) {
  t.test(`${s.name}: DELETE retires the user`, async t => {
    const app = await build(t)
    const res = await app.inject({ method: 'DELETE', url: s.user(JDOE), headers: H })
    t.equal(res.statusCode, 204)
    t.equal(res.body, '')
    t.equal(res.headers['content-type'], undefined)
    const detail = await app.inject({ method: 'GET', url: s.user(JDOE), headers: H })
    t.equal(detail.statusCode, 400)
    t.strictSame(detail.json(), GET_MISSING)
    const list = (await app.inject({ method: 'GET', url: s.list, headers: H })).json()
    t.equal(list.meta.total_count, 3)
    t.notOk(list.objects.some((u: { id: string }) => u.id === JDOE), 'gone from the list')
    const archived = (await app.inject({ method: 'GET', url: s.list + '?archived=true', headers: H })).json()
    t.notOk(archived.objects.some((u: { id: string }) => u.id === JDOE), 'not archived either')
    const group = (await app.inject({ method: 'GET', url: s.group(GROUP_SUPERVISORS), headers: H })).json()
    t.strictSame(group.users, [], "dropped from the group's users")
    const filtered = (await app.inject({ method: 'GET', url: s.list + `?group=${GROUP_SUPERVISORS}`, headers: H })).json()
    t.equal(filtered.meta.total_count, 0)
    const put = await app.inject({ method: 'PUT', url: s.user(JDOE), headers: H, payload: { first_name: 'X' } })
    t.equal(put.statusCode, 500, 'PUT of a retired user is 500')
    t.strictSame(put.json(), CANNED_500)
  })

  t.test(`${s.name}: DELETE of an unknown, foreign or retired id → 404 empty`, async t => {
    const app = await build(t)
    t.equal((await app.inject({ method: 'DELETE', url: s.user(DAVID), headers: H })).statusCode, 204)
    for (const id of ['ffffffffffffffffffffffffffffffff', MARY, DAVID]) {
      const res = await app.inject({ method: 'DELETE', url: s.user(id), headers: H })
      t.equal(res.statusCode, 404, id)
      t.equal(res.body, '', id)
      t.ok(res.headers['x-mock-reason'], id)
    }
    const other = await app.inject({ method: 'GET', url: `/a/other/api/v0.5/user/${MARY}/`, headers: H })
    t.equal(other.statusCode, 200, "the other domain's user was not touched")
  })

  t.test(`${s.name}: deactivate and activate`, async t => {
    const app = await build(t)
    const de = await app.inject({ method: 'POST', url: s.user(AMINA) + 'deactivate/', headers: H })
    t.equal(de.statusCode, 202)
    t.equal(de.body, '{}')
    t.equal(de.headers['content-type'], 'application/json; charset=utf-8')
    const active = (await app.inject({ method: 'GET', url: s.list, headers: H })).json()
    t.notOk(active.objects.some((u: { id: string }) => u.id === AMINA), 'gone from the default list')
    const archived = (await app.inject({ method: 'GET', url: s.list + '?archived=true', headers: H })).json()
    t.strictSame(archived.objects.map((u: { id: string }) => u.id), [AMINA, CAROL], 'listed with archived=true, in username order')
    const group = (await app.inject({ method: 'GET', url: s.group(GROUP_NORTH), headers: H })).json()
    t.strictSame(group.users, [], "a deactivated member is not in the group's users")
    const detail = await app.inject({ method: 'GET', url: s.user(AMINA), headers: H })
    t.equal(detail.statusCode, 200, 'the detail still answers')
    t.strictSame(detail.json().groups, [GROUP_NORTH], 'the membership is kept')
    const again = await app.inject({ method: 'POST', url: s.user(AMINA) + 'deactivate/', headers: H })
    t.equal(again.statusCode, 202, 'deactivating twice is fine')
    const act = await app.inject({ method: 'POST', url: s.user(AMINA) + 'activate/', headers: H })
    t.equal(act.statusCode, 202)
    t.equal(act.body, '{}')
    const back = (await app.inject({ method: 'GET', url: s.list, headers: H })).json()
    t.ok(back.objects.some((u: { id: string }) => u.id === AMINA), 'back in the default list')
    t.strictSame((await app.inject({ method: 'GET', url: s.group(GROUP_NORTH), headers: H })).json().users, [AMINA])
    const carol = await app.inject({ method: 'POST', url: s.user(CAROL) + 'activate/', headers: H })
    t.equal(carol.statusCode, 202)
    t.equal((await app.inject({ method: 'GET', url: s.list + '?archived=1', headers: H })).json().meta.total_count, 0)
  })

  t.test(`${s.name}: activate/deactivate of an unknown, foreign or retired id → 404 canned body`, async t => {
    const app = await build(t)
    await app.inject({ method: 'DELETE', url: s.user(DAVID), headers: H })
    for (const action of ['activate', 'deactivate']) {
      for (const id of ['nope', MARY, DAVID]) {
        const res = await app.inject({ method: 'POST', url: s.user(id) + `${action}/`, headers: H })
        t.equal(res.statusCode, 404, `${action} ${id}`)
        t.strictSame(res.json(), CANNED_500, `${action} ${id}`)
        t.ok(res.headers['x-mock-reason'])
      }
    }
  })

  t.test(`${s.name}: activate/deactivate are POST-only`, async t => {
    const app = await build(t)
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH'] as const) {
      const res = await app.inject({ method, url: s.user(JDOE) + 'deactivate/' })
      t.equal(res.statusCode, 405, `${method} (no credentials: 405 comes first)`)
      t.equal(res.headers.allow, 'POST')
      t.equal(res.body, 'POST')
    }
    const opts = await app.inject({ method: 'OPTIONS', url: s.user(JDOE) + 'activate/' })
    t.equal(opts.statusCode, 200)
    t.equal(opts.headers.allow, 'POST')
    const noAuth = await app.inject({ method: 'POST', url: s.user(JDOE) + 'deactivate/' })
    t.equal(noAuth.statusCode, 401)
    const list = await app.inject({ method: 'PATCH', url: s.list })
    t.equal(list.headers.allow, 'GET, POST', 'the list allows GET and POST')
    const detail = await app.inject({ method: 'POST', url: s.user(JDOE) })
    t.equal(detail.headers.allow, 'GET, PUT, DELETE', 'the detail allows GET, PUT and DELETE')
  })
}

t.test('archived paging keeps the archived parameter in the links', async t => {
  const app = await build(t)
  for (const id of [AMINA, DAVID]) await app.inject({ method: 'POST', url: `/a/demo/api/v0.5/user/${id}/deactivate/`, headers: H })
  const res = (await app.inject({ method: 'GET', url: '/a/demo/api/v0.5/user/?archived=true&limit=2', headers: H })).json()
  t.strictSame(res.meta, { limit: 2, next: '?archived=true&limit=2&offset=2', offset: 0, previous: null, total_count: 3 })
  const page2 = (await app.inject({ method: 'GET', url: '/a/demo/api/v0.5/user/' + res.meta.next, headers: H })).json()
  t.strictSame(page2.meta, { limit: 2, next: null, offset: 2, previous: '?archived=true&limit=2&offset=0', total_count: 3 })
  t.strictSame(page2.objects.map((u: { id: string }) => u.id), [DAVID])
})

t.test('retire writes through to the data directory', async t => {
  const { mkdtemp, rm } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const { Store } = await import('../../src/store/store.js')
  const { SEED } = await import('../helpers/app.js')
  const dir = await mkdtemp(join(tmpdir(), 'retire-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const store = await Store.open({ seedPath: SEED, dataDir: dir, fsync: false })
  t.teardown(() => store.close())
  const app = await build(t, { store })
  t.equal((await app.inject({ method: 'DELETE', url: `/a/demo/api/v0.5/user/${JDOE}/`, headers: H })).statusCode, 204)
  t.equal((await app.inject({ method: 'POST', url: `/a/demo/api/v0.5/user/${AMINA}/deactivate/`, headers: H })).statusCode, 202)
  const { readDomainOnDisk } = await import('../../src/store/domain-writer.js')
  const doc: any = await readDomainOnDisk(dir, 'demo')
  const jdoe = doc.users.find((u: { id: string }) => u.id === JDOE)
  t.equal(jdoe.retired, true)
  t.strictSame(jdoe.groups, [])
  t.notOk(doc.groups.find((g: { id: string }) => g.id === GROUP_SUPERVISORS).users.includes(JDOE))
  t.equal(doc.users.find((u: { id: string }) => u.id === AMINA).is_active, false)
})
