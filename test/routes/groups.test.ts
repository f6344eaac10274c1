import t from 'tap'
import { build, ADMIN, AMINA, BRIAN, CANNED_500, CAROL, DAVID, GROUP_NORTH, GROUP_OTHER, GROUP_SOUTH, GROUP_SUPERVISORS, JDOE, MARY, VIEWER } from '../helpers/app.js'

const H = { authorization: ADMIN }
const STYLES = [
  { name: 'v0.5', list: '/a/demo/api/v0.5/group/', detail: (id: string) => `/a/demo/api/v0.5/group/${id}/`, user: (id: string) => `/a/demo/api/v0.5/user/${id}/` },
  { name: 'v1', list: '/a/demo/api/group/v1/', detail: (id: string) => `/a/demo/api/group/v1/${id}/`, user: (id: string) => `/a/demo/api/user/v1/${id}/` }
]

for (const s of STYLES) {
  t.test(`${s.name}: list sorted by name with tastypie paging`, async t => {
    const app = await build(t)
    const res = await app.inject({ method: 'GET', url: s.list, headers: H })
    t.equal(res.statusCode, 200)
    t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
    const body = res.json()
    t.strictSame(body.meta, { limit: 20, next: null, offset: 0, previous: null, total_count: 3 })
    t.strictSame(body.objects.map((g: { name: string }) => g.name), ['Field Team North', 'Field Team South', 'Supervisors'])
    t.strictSame(body.objects[0], {
      case_sharing: false,
      domain: 'demo',
      id: GROUP_NORTH,
      metadata: { region: 'north' },
      name: 'Field Team North',
      reporting: true,
      resource_uri: s.detail(GROUP_NORTH),
      users: [AMINA]
    })
    t.match(res.body, /^\{"meta": \{.*\}, "objects": \[\{"case_sharing": false, "domain": "demo", "id": /)
    const page = (await app.inject({ method: 'GET', url: s.list + '?limit=1&offset=1', headers: H })).json()
    t.strictSame(page.meta, { limit: 1, next: '?limit=1&offset=2', offset: 1, previous: '?limit=1&offset=0', total_count: 3 })
    t.strictSame(page.objects.map((g: { id: string }) => g.id), [GROUP_SOUTH])
    const bad = await app.inject({ method: 'GET', url: s.list + '?limit=x', headers: H })
    t.equal(bad.statusCode, 400)
    t.strictSame(bad.json(), { error: "Invalid limit 'x' provided. Please provide a positive integer." })
  })

  t.test(`${s.name}: detail; unknown or foreign id → 404 empty`, async t => {
    const app = await build(t)
    const res = await app.inject({ method: 'GET', url: s.detail(GROUP_SUPERVISORS), headers: H })
    t.equal(res.statusCode, 200)
    t.equal(res.body, `{"case_sharing": false, "domain": "demo", "id": "${GROUP_SUPERVISORS}", "metadata": {}, "name": "Supervisors", "reporting": false, "resource_uri": "${s.detail(GROUP_SUPERVISORS)}", "users": ["${JDOE}"]}`)
    for (const id of ['nope', GROUP_OTHER]) {
      const missing = await app.inject({ method: 'GET', url: s.detail(id), headers: H })
      t.equal(missing.statusCode, 404, id)
      t.equal(missing.body, '', id)
    }
  })

  t.test(`${s.name}: create`, async t => {
    const app = await build(t)
    const res = await app.inject({ method: 'POST', url: s.list, headers: H, payload: { name: 'Nurses', case_sharing: true, metadata: { shift: 'night' }, users: [BRIAN, DAVID] } })
    t.equal(res.statusCode, 201)
    const id = res.json().id
    t.match(id, /^[0-9a-f]{32}$/)
    t.equal(res.body, `{"id": "${id}"}`)
    t.equal(res.headers.location, s.detail(id))
    const got = (await app.inject({ method: 'GET', url: s.detail(id), headers: H })).json()
    t.strictSame(got, { case_sharing: true, domain: 'demo', id, metadata: { shift: 'night' }, name: 'Nurses', reporting: true, resource_uri: s.detail(id), users: [BRIAN, DAVID] })
    t.strictSame((await app.inject({ method: 'GET', url: s.user(BRIAN), headers: H })).json().groups, [id], "the users' groups follow")
    const minimal = await app.inject({ method: 'POST', url: s.list, headers: H, payload: { name: 'Minimal' } })
    const m = (await app.inject({ method: 'GET', url: minimal.headers.location as string, headers: H })).json()
    t.match(m, { case_sharing: false, reporting: true, metadata: {}, users: [] }, 'HQ defaults')
    const names = (await app.inject({ method: 'GET', url: s.list, headers: H })).json().objects.map((g: { name: string }) => g.name)
    t.strictSame(names, ['Field Team North', 'Field Team South', 'Minimal', 'Nurses', 'Supervisors'])
  })

  t.test(`${s.name}: create errors`, async t => {
    const cases: Array<{ name: string, body: unknown, status: number, json: unknown }> = [
      { name: 'missing name', body: { reporting: false }, status: 400, json: { error_message: 'Name is required' } },
      { name: 'empty name', body: { name: '' }, status: 400, json: { error_message: 'Name is required' } },
      { name: 'null name', body: { name: null }, status: 400, json: { error_message: 'Name is required' } },
      { name: 'duplicate name', body: { name: 'Supervisors' }, status: 400, json: { error_message: 'A group with name Supervisors already exists' } },
      { name: 'name not a string', body: { name: 7 }, status: 500, json: CANNED_500 },
      { name: 'case_sharing not a boolean', body: { name: 'X1', case_sharing: 'yes' }, status: 500, json: CANNED_500 },
      { name: 'metadata not an object', body: { name: 'X2', metadata: [] }, status: 500, json: CANNED_500 },
      { name: 'unknown user', body: { name: 'X3', users: ['ffffffffffffffffffffffffffffffff'] }, status: 500, json: CANNED_500 },
      { name: 'user of another domain', body: { name: 'X4', users: [MARY] }, status: 500, json: CANNED_500 },
      { name: 'users not a list', body: { name: 'X5', users: JDOE }, status: 500, json: CANNED_500 },
      { name: 'not JSON', body: '{', status: 400, json: { error: 'Request is not valid JSON.' } }
    ]
    const app = await build(t)
    for (const c of cases) {
      const res = await app.inject({ method: 'POST', url: s.list, headers: { ...H, 'content-type': 'application/json' }, payload: typeof c.body === 'string' ? c.body : JSON.stringify(c.body) })
      t.equal(res.statusCode, c.status, c.name)
      t.strictSame(res.json(), c.json, c.name)
      t.ok(res.headers['x-mock-reason'], c.name)
    }
    t.equal((await app.inject({ method: 'GET', url: s.list, headers: H })).json().meta.total_count, 3, 'nothing was created')
    t.strictSame((await app.inject({ method: 'GET', url: s.user(JDOE), headers: H })).json().groups, [GROUP_SUPERVISORS])
  })

  t.test(`${s.name}: PUT`, async t => {
    const app = await build(t)
    const res = await app.inject({ method: 'PUT', url: s.detail(GROUP_NORTH), headers: H, payload: { name: 'North Team', reporting: false, metadata: {}, users: [JDOE, BRIAN] } })
    t.equal(res.statusCode, 200)
    t.strictSame(res.json(), { case_sharing: false, domain: 'demo', id: GROUP_NORTH, metadata: {}, name: 'North Team', reporting: false, resource_uri: s.detail(GROUP_NORTH), users: [JDOE, BRIAN] })
    t.strictSame((await app.inject({ method: 'GET', url: s.user(AMINA), headers: H })).json().groups, [], 'the removed member loses the group')
    t.strictSame((await app.inject({ method: 'GET', url: s.user(JDOE), headers: H })).json().groups, [GROUP_SUPERVISORS, GROUP_NORTH])
    t.strictSame((await app.inject({ method: 'GET', url: s.user(BRIAN), headers: H })).json().groups, [GROUP_NORTH])
    const filtered = (await app.inject({ method: 'GET', url: `/a/demo/api/v0.5/user/?group=${GROUP_NORTH}`, headers: H })).json()
    t.strictSame(filtered.objects.map((u: { id: string }) => u.id), [BRIAN, JDOE], 'the group filter follows, in username order')
    // A GET answer sent back as is works (unlike a user's).
    const echo = await app.inject({ method: 'PUT', url: s.detail(GROUP_NORTH), headers: H, payload: res.json() })
    t.equal(echo.statusCode, 200)
    t.strictSame(echo.json(), res.json())
    const partial = await app.inject({ method: 'PUT', url: s.detail(GROUP_NORTH), headers: H, payload: { case_sharing: true } })
    t.match(partial.json(), { case_sharing: true, name: 'North Team', users: [JDOE, BRIAN] }, 'keys not sent are kept')
    const renamedBack = await app.inject({ method: 'PUT', url: s.detail(GROUP_NORTH), headers: H, payload: { name: 'Field Team North' } })
    t.equal(renamedBack.statusCode, 200, 'the old name is free again')
  })

  t.test(`${s.name}: PUT membership edge cases`, async t => {
    const app = await build(t)
    const res = await app.inject({ method: 'PUT', url: s.detail(GROUP_SOUTH), headers: H, payload: { users: [CAROL, 'ffffffffffffffffffffffffffffffff', MARY, DAVID, DAVID] } })
    t.equal(res.statusCode, 200)
    t.strictSame(res.json().users, [DAVID], 'only active members are shown')
    t.match(res.headers['x-mock-reason'], /ffffffffffffffffffffffffffffffff, 4fd24c3f7a5bbcdd605f3955bc7fee92/)
    t.strictSame((await app.inject({ method: 'GET', url: s.user(CAROL), headers: H })).json().groups, [GROUP_SOUTH], 'a deactivated user is still a member')
    await app.inject({ method: 'POST', url: s.user(CAROL) + 'activate/', headers: H })
    t.strictSame((await app.inject({ method: 'GET', url: s.detail(GROUP_SOUTH), headers: H })).json().users, [CAROL, DAVID], 'and shows once active')
    const empty = await app.inject({ method: 'PUT', url: s.detail(GROUP_SOUTH), headers: H, payload: { users: [] } })
    t.strictSame(empty.json().users, [])
    t.strictSame((await app.inject({ method: 'GET', url: s.user(DAVID), headers: H })).json().groups, [])
  })

  t.test(`${s.name}: PUT errors`, async t => {
    const cases: Array<{ name: string, id: string, body: unknown, status: number, json: unknown }> = [
      { name: 'duplicate name', id: GROUP_NORTH, body: { name: 'Supervisors' }, status: 400, json: { error: 'A group with name Supervisors already exists' } },
      { name: 'blank name', id: GROUP_NORTH, body: { name: '' }, status: 400, json: { error: 'Name must not be blank' } },
      { name: 'whitespace name', id: GROUP_NORTH, body: { name: '   ' }, status: 400, json: { error: 'Name must not be blank' } },
      { name: 'unknown id', id: 'ffffffffffffffffffffffffffffffff', body: { name: 'X' }, status: 500, json: CANNED_500 },
      { name: 'group of another domain', id: GROUP_OTHER, body: { name: 'X' }, status: 500, json: CANNED_500 },
      { name: 'users not a list', id: GROUP_NORTH, body: { users: 'x' }, status: 500, json: CANNED_500 },
      { name: 'reporting not a boolean', id: GROUP_NORTH, body: { reporting: 1 }, status: 500, json: CANNED_500 },
      { name: 'another domain in the body', id: GROUP_NORTH, body: { domain: 'other' }, status: 500, json: CANNED_500 },
      { name: 'error after a valid key changes nothing', id: GROUP_NORTH, body: { users: [], name: 'Supervisors' }, status: 400, json: { error: 'A group with name Supervisors already exists' } }
    ]
    const app = await build(t)
    for (const c of cases) {
      const res = await app.inject({ method: 'PUT', url: s.detail(c.id), headers: H, payload: c.body as object })
      t.equal(res.statusCode, c.status, c.name)
      t.strictSame(res.json(), c.json, c.name)
      t.ok(res.headers['x-mock-reason'], c.name)
    }
    t.strictSame((await app.inject({ method: 'GET', url: s.detail(GROUP_NORTH), headers: H })).json().users, [AMINA], 'nothing changed')
  })

  t.test(`${s.name}: DELETE`, async t => {
    const app = await build(t)
    const res = await app.inject({ method: 'DELETE', url: s.detail(GROUP_SUPERVISORS), headers: H })
    t.equal(res.statusCode, 204)
    t.equal(res.body, '')
    t.equal((await app.inject({ method: 'GET', url: s.detail(GROUP_SUPERVISORS), headers: H })).statusCode, 404)
    t.strictSame((await app.inject({ method: 'GET', url: s.user(JDOE), headers: H })).json().groups, [], "dropped from the users' groups")
    t.equal((await app.inject({ method: 'GET', url: s.list, headers: H })).json().meta.total_count, 2)
    for (const id of [GROUP_SUPERVISORS, 'nope', GROUP_OTHER]) {
      const again = await app.inject({ method: 'DELETE', url: s.detail(id), headers: H })
      t.equal(again.statusCode, 404, id)
      t.equal(again.body, '', id)
    }
    const reuse = await app.inject({ method: 'POST', url: s.list, headers: H, payload: { name: 'Supervisors' } })
    t.equal(reuse.statusCode, 201, 'the name of a deleted group can be used again')
    const filter = await app.inject({ method: 'GET', url: `/a/demo/api/v0.5/user/?group=${GROUP_SUPERVISORS}`, headers: H })
    t.equal(filter.statusCode, 500, 'filtering on a deleted group is the nonexistent-group 500')
  })
}

t.test('methods, auth and permission', async t => {
  const app = await build(t)
  const patch = await app.inject({ method: 'PATCH', url: '/a/demo/api/v0.5/group/' })
  t.equal(patch.statusCode, 405)
  t.equal(patch.headers.allow, 'GET, POST')
  const post = await app.inject({ method: 'POST', url: `/a/demo/api/group/v1/${GROUP_NORTH}/` })
  t.equal(post.statusCode, 405)
  t.equal(post.headers.allow, 'GET, PUT, DELETE')
  t.equal((await app.inject({ method: 'GET', url: '/a/demo/api/group/v1/' })).statusCode, 401)
  t.equal((await app.inject({ method: 'GET', url: '/a/demo/api/group/v1/', headers: { authorization: VIEWER } })).statusCode, 403)
  t.equal((await app.inject({ method: 'GET', url: '/a/nowhere/api/group/v1/', headers: H })).statusCode, 404)
  t.equal((await app.inject({ method: 'GET', url: '/a/demo/api/v0.6/group/', headers: H })).statusCode, 404)
})

t.test('user PUT keeps the group side in step (both directions)', async t => {
  const app = await build(t)
  await app.inject({ method: 'PUT', url: `/a/demo/api/v0.5/user/${DAVID}/`, headers: H, payload: { groups: [GROUP_SOUTH, GROUP_NORTH] } })
  t.strictSame((await app.inject({ method: 'GET', url: `/a/demo/api/v0.5/group/${GROUP_SOUTH}/`, headers: H })).json().users, [DAVID])
  t.strictSame((await app.inject({ method: 'GET', url: `/a/demo/api/v0.5/group/${GROUP_NORTH}/`, headers: H })).json().users, [AMINA, DAVID])
  await app.inject({ method: 'PUT', url: `/a/demo/api/v0.5/group/${GROUP_NORTH}/`, headers: H, payload: { users: [AMINA] } })
  t.strictSame((await app.inject({ method: 'GET', url: `/a/demo/api/v0.5/user/${DAVID}/`, headers: H })).json().groups, [GROUP_SOUTH])
})
