import t from 'tap'
import { build, ADMIN, CANNED_500, GROUP_NORTH, GROUP_OTHER, JDOE, LOC_KIBERA, LOC_NAIROBI } from '../helpers/app.js'

const STYLES = [
  { style: 'v0.5', list: '/a/demo/api/v0.5/user/', detail: (id: string) => `/a/demo/api/v0.5/user/${id}/` },
  { style: 'v1', list: '/a/demo/api/user/v1/', detail: (id: string) => `/a/demo/api/user/v1/${id}/` }
]

for (const s of STYLES) {
  t.test(`create on ${s.style}: 201, relative Location in the request's style, body exactly {"id"}`, async t => {
    const app = await build(t)
    const res = await app.inject({ method: 'POST', url: s.list, headers: { authorization: ADMIN }, payload: { username: 'newworker', password: 'secret' } })
    t.equal(res.statusCode, 201)
    const id = res.json().id as string
    t.match(id, /^[0-9a-f]{32}$/)
    t.equal(res.body, `{"id": "${id}"}`)
    t.equal(res.headers.location, s.detail(id))
    t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
    t.equal(res.headers['x-mock-reason'], undefined)
    const got = await app.inject({ method: 'GET', url: s.detail(id), headers: { authorization: ADMIN } })
    t.equal(got.statusCode, 200)
    t.equal(got.json().username, 'newworker@demo.commcarehq.org')
    t.equal(got.json().resource_uri, s.detail(id))
  })
}

t.test('username qualification and validation messages', async t => {
  const cases: Array<{ name: string, username: unknown, status: number, body?: unknown, username_is?: string }> = [
    { name: 'plain name is qualified', username: 'newworker', status: 201, username_is: 'newworker@demo.commcarehq.org' },
    { name: 'whitespace runs become dots, lowercased', username: 'Mary  Ann\tSmith', status: 201, username_is: 'mary.ann.smith@demo.commcarehq.org' },
    { name: 'full username kept as sent (case too)', username: 'Kofi@demo.commcarehq.org', status: 201, username_is: 'Kofi@demo.commcarehq.org' },
    { name: 'range characters / = ? ^ pass', username: 'a/b=c?d^e', status: 201, username_is: 'a/b=c?d^e@demo.commcarehq.org' },
    { name: 'wrong email domain', username: 'x@other.commcarehq.org', status: 400, body: { error: "The username email domain '@other.commcarehq.org' should be '@demo.commcarehq.org'." } },
    { name: 'special characters', username: 'bad#name', status: 400, body: { error: "The username component 'bad#name' of 'bad#name@demo.commcarehq.org' may not contain special characters." } },
    { name: 'special characters with @', username: 'a{b}@demo.commcarehq.org', status: 400, body: { error: "The username component 'a{b}' of 'a{b}@demo.commcarehq.org' may not contain special characters." } },
    { name: 'not an email: double dot', username: 'a..b', status: 400, body: { error: "Username 'a..b@demo.commcarehq.org' must be a valid email address." } },
    { name: 'not an email: empty', username: '', status: 400, body: { error: "Username '@demo.commcarehq.org' must be a valid email address." } },
    { name: 'not an email: two @', username: 'a@b@demo.commcarehq.org', status: 400, body: { error: "Username 'a@b@demo.commcarehq.org' must be a valid email address." } },
    { name: 'not an email: brackets, HTML-escaped', username: '<x>', status: 400, body: { error: "Username '&lt;x&gt;@demo.commcarehq.org' must be a valid email address." } },
    { name: 'taken', username: 'jdoe', status: 400, body: { error: "Username 'jdoe@demo.commcarehq.org' is already taken or reserved." } },
    { name: 'taken, other case', username: 'JDOE@demo.commcarehq.org', status: 400, body: { error: "Username 'JDOE@demo.commcarehq.org' is already taken or reserved." } },
    { name: 'taken by a deactivated worker', username: 'carol.wanjiru', status: 400, body: { error: "Username 'carol.wanjiru@demo.commcarehq.org' is already taken or reserved." } },
    { name: 'reserved admin', username: 'Admin', status: 400, body: { error: "Username 'admin@demo.commcarehq.org' is already taken or reserved." } },
    { name: 'reserved demo_user', username: 'demo_user@demo.commcarehq.org', status: 400, body: { error: "Username 'demo_user@demo.commcarehq.org' is already taken or reserved." } },
    { name: 'missing username', username: undefined, status: 500, body: CANNED_500 },
    { name: 'null username', username: null, status: 500, body: CANNED_500 },
    { name: 'numeric username', username: 42, status: 500, body: CANNED_500 }
  ]
  const app = await build(t)
  for (const c of cases) {
    const payload: Record<string, unknown> = { password: 'pw' }
    if (c.username !== undefined) payload.username = c.username
    const res = await app.inject({ method: 'POST', url: '/a/demo/api/v0.5/user/', headers: { authorization: ADMIN }, payload })
    t.equal(res.statusCode, c.status, c.name)
    if (c.body !== undefined) t.same(res.json(), c.body, c.name)
    if (c.status >= 400) t.ok(res.headers['x-mock-reason'], `${c.name}: X-Mock-Reason`)
    if (c.username_is !== undefined) {
      const got = await app.inject({ method: 'GET', url: res.headers.location as string, headers: { authorization: ADMIN } })
      t.equal(got.json().username, c.username_is, c.name)
    }
  }
})

t.test('a retired username stays taken', async t => {
  const app = await build(t)
  const del = await app.inject({ method: 'DELETE', url: `/a/demo/api/v0.5/user/${JDOE}/`, headers: { authorization: ADMIN } })
  t.equal(del.statusCode, 204)
  const res = await app.inject({ method: 'POST', url: '/a/demo/api/v0.5/user/', headers: { authorization: ADMIN }, payload: { username: 'jdoe', password: 'pw' } })
  t.equal(res.statusCode, 400)
  t.same(res.json(), { error: "Username 'jdoe@demo.commcarehq.org' is already taken or reserved." })
  t.match(res.headers['x-mock-reason'], /retired/)
})

t.test('password and connect_username', async t => {
  const cases: Array<{ name: string, domain: string, body: Record<string, unknown>, status: number, error?: string }> = [
    { name: 'no password', domain: 'demo', body: { username: 'p1' }, status: 400, error: 'Password or connect username required' },
    { name: 'empty password', domain: 'demo', body: { username: 'p2', password: '' }, status: 400, error: 'Password or connect username required' },
    { name: 'confirmation flags that are false do not replace a password', domain: 'demo', body: { username: 'p3', require_account_confirmation: false, send_confirmation_email_now: 'no', email: 'a@b.org' }, status: 400, error: 'Password or connect username required' },
    { name: 'connect_username with the toggle', domain: 'demo', body: { username: 'p4', connect_username: 'p4connect' }, status: 201 },
    { name: 'connect_username without the toggle', domain: 'other', body: { username: 'p5', connect_username: 'p5connect' }, status: 400, error: "You don't have permission to use connect_username field" },
    { name: 'connect_username without the toggle, with a password', domain: 'other', body: { username: 'p6', password: 'pw', connect_username: 'c' }, status: 400, error: "You don't have permission to use connect_username field" },
    { name: 'an empty connect_username needs no toggle (HQ tests its truthiness)', domain: 'other', body: { username: 'p9', password: 'pw', connect_username: '' }, status: 201 },
    { name: 'a username error comes first', domain: 'demo', body: { username: 'jdoe' }, status: 400, error: "Username 'jdoe@demo.commcarehq.org' is already taken or reserved." },
    { name: 'password not a string', domain: 'demo', body: { username: 'p7', password: 1234 }, status: 500 },
    { name: 'email not a string', domain: 'demo', body: { username: 'p8', password: 'pw', email: 5 }, status: 500 },
    { name: 'email null (HQ calls .lower() on it)', domain: 'demo', body: { username: 'p8', password: 'pw', email: null }, status: 500 }
  ]
  const app = await build(t)
  for (const c of cases) {
    const res = await app.inject({ method: 'POST', url: `/a/${c.domain}/api/v0.5/user/`, headers: { authorization: ADMIN }, payload: c.body })
    t.equal(res.statusCode, c.status, c.name)
    if (c.error !== undefined) t.same(res.json(), { error: c.error }, c.name)
    if (c.status === 500) t.same(res.json(), CANNED_500, c.name)
  }
  const list = await app.inject({ method: 'GET', url: '/a/demo/api/v0.5/user/?limit=100', headers: { authorization: ADMIN } })
  t.same(list.json().objects.map((u: { username: string }) => u.username).filter((u: string) => /^p\d@/.test(u)), ['p4@demo.commcarehq.org'], 'only the valid create added a user')
})

t.test('the new password works for the mobile worker (Basic → 403, wrong password → 401)', async t => {
  const app = await build(t)
  await app.inject({ method: 'POST', url: '/a/demo/api/v0.5/user/', headers: { authorization: ADMIN }, payload: { username: 'pwcheck', password: 'right' } })
  const basic = (pw: string) => 'Basic ' + Buffer.from(`pwcheck@demo.commcarehq.org:${pw}`).toString('base64')
  const ok = await app.inject({ method: 'GET', url: '/a/demo/api/v0.5/user/', headers: { authorization: basic('right') } })
  t.equal(ok.statusCode, 403, 'valid mobile-worker credentials are refused with 403')
  const bad = await app.inject({ method: 'GET', url: '/a/demo/api/v0.5/user/', headers: { authorization: basic('wrong') } })
  t.equal(bad.statusCode, 401)
})

t.test('other fields follow PUT rules; collected errors are ignored and named in X-Mock-Reason', async t => {
  const app = await build(t)
  const res = await app.inject({
    method: 'POST',
    url: '/a/demo/api/user/v1/',
    headers: { authorization: ADMIN },
    payload: {
      username: 'full',
      password: 'pw',
      first_name: 'Full',
      last_name: 'Worker',
      email: 'Full.Worker@Example.org',
      language: 'en',
      phone_numbers: ['+254711000001', '254711000002'],
      default_phone_number: 1234,
      groups: [GROUP_NORTH],
      primary_location: LOC_KIBERA,
      locations: [LOC_NAIROBI, LOC_KIBERA],
      user_data: { chw_id: 'NEW-1', commcare_project: 'elsewhere' },
      role: 'No Such Role',
      is_active: false
    }
  })
  t.equal(res.statusCode, 201)
  const reason = res.headers['x-mock-reason'] as string
  t.match(reason, /'default_phone_number' must be a string/)
  t.match(reason, /The role 'No Such Role' does not exist/)
  t.match(reason, /Attempted to update unknown or non-editable field 'is_active'/)
  t.match(reason, /'commcare_project' cannot be set directly/)
  const id = res.json().id
  const got = (await app.inject({ method: 'GET', url: `/a/demo/api/user/v1/${id}/`, headers: { authorization: ADMIN } })).json()
  t.strictSame(got, {
    default_phone_number: '254711000001',
    email: 'full.worker@example.org',
    eulas: '[]',
    first_name: 'Full',
    groups: [GROUP_NORTH],
    id,
    language: 'en',
    last_name: 'Worker',
    locations: [LOC_NAIROBI, LOC_KIBERA],
    phone_numbers: ['254711000001', '254711000002'],
    primary_location: LOC_KIBERA,
    resource_uri: `/a/demo/api/user/v1/${id}/`,
    role: 'Mobile Worker Default',
    user_data: {
      chw_id: 'NEW-1',
      commcare_location_id: LOC_KIBERA,
      commcare_location_ids: `${LOC_NAIROBI} ${LOC_KIBERA}`,
      commcare_primary_case_sharing_id: LOC_KIBERA,
      commcare_profile: '',
      commcare_project: 'demo'
    },
    username: 'full@demo.commcarehq.org'
  })
  const group = (await app.inject({ method: 'GET', url: `/a/demo/api/group/v1/${GROUP_NORTH}/`, headers: { authorization: ADMIN } })).json()
  t.ok(group.users.includes(id), "the group's users has the new worker")
})

t.test('a group id not of this domain: the groups 400, nothing visible created, the username stays taken', async t => {
  const NOWHERE = '0000000000000000000000000000dead'
  const cases = [
    { name: 'foreign group → 400', username: 'aborted1', groups: [GROUP_OTHER], status: 400, body: { error: `['Unable to save groups. The following group_ids are not in the current domain: ${GROUP_OTHER}']` } },
    { name: 'nonexistent group → 400', username: 'aborted2', groups: [GROUP_NORTH, NOWHERE, GROUP_OTHER, NOWHERE], status: 400, body: { error: `['Unable to save groups. The following group_ids are not in the current domain: ${NOWHERE}, ${GROUP_OTHER}']` } },
    { name: 'groups not a list → 500 (HQ fails after making the worker, too)', username: 'aborted3', groups: 'abc', status: 500, body: CANNED_500 }
  ]
  const app = await build(t)
  const lists = async () => [
    (await app.inject({ url: '/a/demo/api/v0.5/user/?limit=0', headers: { authorization: ADMIN } })).body,
    (await app.inject({ url: '/a/demo/api/v0.5/user/?limit=0&archived=true', headers: { authorization: ADMIN } })).body,
    (await app.inject({ url: `/a/demo/api/v0.5/group/${GROUP_NORTH}/`, headers: { authorization: ADMIN } })).body
  ]
  const before = await lists()
  for (const c of cases) {
    const res = await app.inject({ method: 'POST', url: '/a/demo/api/v0.5/user/', headers: { authorization: ADMIN }, payload: { username: c.username, password: 'pw', first_name: 'Half', groups: c.groups } })
    t.equal(res.statusCode, c.status, c.name)
    t.same(res.json(), c.body, c.name)
    t.match(res.headers['x-mock-reason'], new RegExp(`retires it, so the username '${c.username}@demo.commcarehq.org' stays taken`), c.name)
    t.notMatch(res.headers['x-mock-reason'], /nothing was changed/, `${c.name}: the reason does not claim nothing changed`)
    t.equal(res.headers.location, undefined)
    t.strictSame(await lists(), before, `${c.name}: no worker appears in either list, no group changes`)
    const again = await app.inject({ method: 'POST', url: '/a/demo/api/v0.5/user/', headers: { authorization: ADMIN }, payload: { username: c.username, password: 'pw' } })
    t.equal(again.statusCode, 400, `${c.name}: a retry finds the username taken`)
    t.same(again.json(), { error: `Username '${c.username}@demo.commcarehq.org' is already taken or reserved.` })
    t.match(again.headers['x-mock-reason'], /retired/)
  }
})

t.test('user_data.commcare_profile must name a profile: 400, nothing created, the username stays free', async t => {
  const app = await build(t)
  const post = (payload: unknown) => app.inject({ method: 'POST', url: '/a/demo/api/v0.5/user/', headers: { authorization: ADMIN }, payload: payload as object })
  const before = (await app.inject({ url: '/a/demo/api/v0.5/user/?limit=0', headers: { authorization: ADMIN } })).body
  for (const profile of [99, '2', 'Community Health Worker']) {
    const res = await post({ username: 'profiled', password: 'pw', user_data: { commcare_profile: profile } })
    t.equal(res.statusCode, 400, String(profile))
    t.same(res.json(), { error: 'User data profile not found' })
    t.ok(res.headers['x-mock-reason'])
  }
  const first = await post({ username: 'profiled', user_data: { commcare_profile: 99 } })
  t.same(first.json(), { error: 'User data profile not found' }, 'checked before the password')
  t.equal((await app.inject({ url: '/a/demo/api/v0.5/user/?limit=0', headers: { authorization: ADMIN } })).body, before, 'nothing was created')
  for (const userData of [['a'], 'text', null]) {
    const res = await post({ username: 'profiled', user_data: userData })
    t.equal(res.statusCode, 500, `user_data ${JSON.stringify(userData)}: HQ calls .get on it`)
  }
  const ok = await post({ username: 'profiled', password: 'pw', user_data: { commcare_profile: '1', chw_id: 'P-1' } })
  t.equal(ok.statusCode, 201, 'the username is still free')
  const got = (await app.inject({ url: ok.headers.location as string, headers: { authorization: ADMIN } })).json()
  t.equal(got.user_data.commcare_profile, 1)
  t.equal(got.user_data.program, 'maternal-health')
  t.equal(got.user_data.chw_id, 'P-1')
})

t.test('create body errors', async t => {
  const app = await build(t)
  const notJson = await app.inject({ method: 'POST', url: '/a/demo/api/v0.5/user/', headers: { authorization: ADMIN, 'content-type': 'application/json' }, payload: '{nope' })
  t.equal(notJson.statusCode, 400)
  t.same(notJson.json(), { error: 'Request is not valid JSON.' })
  const form = await app.inject({ method: 'POST', url: '/a/demo/api/v0.5/user/', headers: { authorization: ADMIN, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'username=x' })
  t.equal(form.statusCode, 415)
  const array = await app.inject({ method: 'POST', url: '/a/demo/api/v0.5/user/', headers: { authorization: ADMIN }, payload: [1] })
  t.equal(array.statusCode, 400)
  const noAuth = await app.inject({ method: 'POST', url: '/a/demo/api/v0.5/user/', payload: { username: 'x', password: 'y' } })
  t.equal(noAuth.statusCode, 401)
})

t.test('new ids are unique 32-hex strings', async t => {
  const app = await build(t)
  const ids = new Set<string>()
  for (let i = 0; i < 5; i++) {
    const res = await app.inject({ method: 'POST', url: '/a/demo/api/v0.5/user/', headers: { authorization: ADMIN }, payload: { username: `many${i}`, password: 'pw' } })
    t.match(res.json().id, /^[0-9a-f]{32}$/)
    ids.add(res.json().id)
  }
  t.equal(ids.size, 5)
})
