import t from 'tap'
import { build, ADMIN, LOC_KIBERA, LOC_NAIROBI } from '../helpers/app.js'

// Invitations under the test-control API: list, accept, reset.

const H = { authorization: ADMIN }
const SEEDED = '0b6f4f4e-2c1d-4e8a-9b7c-5d3e2f1a0c9b' // invitee@example.org → Project Manager at Nairobi
const TOKEN = 'secret-admin-token'

t.test('GET /__mock/invitations lists every invitation with its domain, with filters', async t => {
  const app = await build(t)
  const all = await app.inject({ url: '/__mock/invitations' })
  t.equal(all.statusCode, 200)
  t.strictSame(all.json(), {
    invitations: [{
      id: SEEDED,
      email: 'invitee@example.org',
      role: 'Project Manager',
      primary_location_id: LOC_NAIROBI,
      assigned_location_ids: [LOC_NAIROBI],
      profile: null,
      user_data: {},
      tableau_role: null,
      tableau_groups: [],
      invited_by: 'admin@example.org',
      invited_on: '2026-01-12T08:30:00.000Z',
      status: 'pending',
      domain: 'demo'
    }],
    total: 1
  })
  const made = (await app.inject({ method: 'POST', url: '/a/demo/api/invitation/v1/', headers: H, payload: { email: 'b@example.org', role: 'API Reader' } })).json()
  const ids = async (query: string): Promise<string[]> => (await app.inject({ url: `/__mock/invitations${query}` })).json().invitations.map((i: { id: string }) => i.id)
  t.strictSame(await ids(''), [SEEDED, made.id], 'oldest first')
  t.strictSame(await ids('?email=B@Example.org'), [made.id], 'email, case-insensitively')
  t.strictSame(await ids('?domain=other'), [])
  t.strictSame(await ids('?domain=demo&status=accepted'), [])
  t.strictSame(await ids('?status=pending'), [SEEDED, made.id])
  const bad = await app.inject({ url: '/__mock/invitations?status=maybe' })
  t.equal(bad.statusCode, 400)
  t.strictSame(bad.json(), { error: 'invalid request: querystring/status must be one of pending, accepted' })
  t.ok(bad.headers['x-mock-reason'])
  const unknown = await app.inject({ url: '/__mock/invitations?colour=red' })
  t.equal(unknown.statusCode, 400)
  t.ok(unknown.headers['x-mock-reason'])
})

t.test('accepting an invitation makes the invitee a member with the invited role, locations, profile and user_data', async t => {
  const app = await build(t)
  const sent = await app.inject({
    method: 'POST',
    url: '/a/demo/api/invitation/v1/',
    headers: H,
    payload: { email: 'New.Person@Example.org', role: 'API Reader', primary_location_id: LOC_KIBERA, assigned_location_ids: [LOC_KIBERA], profile: 'Community Health Worker', user_data: { chw_id: 'N-1' } }
  })
  t.equal(sent.statusCode, 201)
  const id = sent.json().id
  t.equal(app.ctx.outbox.list({ type: 'invitation', to: 'new.person@example.org' }).length, 1, 'the outbox holds the e-mail')

  const res = await app.inject({ method: 'POST', url: `/__mock/invitations/${id}/accept` })
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.match(body.web_user, { username: 'new.person@example.org', created: true })
  t.match(body.web_user.id, /^[0-9a-f]{32}$/)
  t.match(body.invitation, { id, status: 'accepted', domain: 'demo' })
  t.type(body.invitation.accepted_on, 'string')

  const list = (await app.inject({ url: '/a/demo/api/web-user/v1/', headers: H })).json()
  const invitee = list.objects.find((u: { username: string }) => u.username === 'new.person@example.org')
  t.ok(invitee, 'the invitee appears in the web-user list')
  t.match(invitee, {
    id: body.web_user.id,
    email: 'new.person@example.org',
    role: 'API Reader',
    is_admin: false,
    is_active_in_domain: true,
    primary_location_id: LOC_KIBERA,
    assigned_location_ids: [LOC_KIBERA],
    profile: 'Community Health Worker',
    user_data: { chw_id: 'N-1', program: 'maternal-health', commcare_profile: 1, commcare_project: 'demo' }
  })
  t.equal((await app.inject({ url: '/a/demo/api/web-user/v1/?web_username=new.person@example.org', headers: H })).json().objects.length, 1)
  const bulk = (await app.inject({ url: '/a/demo/api/bulk-user/v1/?q=username:"new.person@example.org"&fields=username', headers: H })).json()
  t.strictSame(bulk.objects, [{ username: 'new.person@example.org' }], 'and in bulk-user search')

  const again = await app.inject({ method: 'POST', url: `/__mock/invitations/${id}/accept` })
  t.equal(again.statusCode, 409)
  t.ok(again.headers['x-mock-reason'])
  const missing = await app.inject({ method: 'POST', url: '/__mock/invitations/nope/accept' })
  t.equal(missing.statusCode, 404)
  t.strictSame(missing.json(), { error: "there is no invitation 'nope'" })

  const reinvite = await app.inject({ method: 'POST', url: '/a/demo/api/invitation/v1/', headers: H, payload: { email: 'new.person@example.org', role: 'API Reader' } })
  t.strictSame(reinvite.json(), { errors: ['A user with this email address is already in this project or has a pending invitation.'] }, 'now a member')
})

t.test('the created account cannot authenticate; an existing account joins with its own', async t => {
  const app = await build(t)
  const res = await app.inject({ method: 'POST', url: `/__mock/invitations/${SEEDED}/accept` })
  t.equal(res.json().web_user.created, true)
  const account = app.ctx.store.webUser('invitee@example.org')!
  t.strictSame(account.api_keys, [])
  for (const password of ['', 'password']) {
    const basic = 'Basic ' + Buffer.from(`invitee@example.org:${password}`).toString('base64')
    t.equal((await app.inject({ url: '/a/demo/api/web-user/v1/', headers: { authorization: basic } })).statusCode, 401, `password '${password}'`)
  }
  const member = (await app.inject({ url: `/a/demo/api/web-user/v1/${account.id}/`, headers: H })).json()
  t.equal(member.role, 'Project Manager')

  // otheradmin has an account but is no member of demo.
  const sent = (await app.inject({ method: 'POST', url: '/a/demo/api/invitation/v1/', headers: H, payload: { email: 'otheradmin@example.org', role: 'Admin' } })).json()
  const joined = (await app.inject({ method: 'POST', url: `/__mock/invitations/${sent.id}/accept` })).json()
  t.strictSame(joined.web_user, { id: '8f7947e750d80c477a2e9a945664e1f9', username: 'otheradmin@example.org', created: false })
  const own = await app.inject({ url: '/a/demo/api/web-user/v1/', headers: { authorization: 'ApiKey otheradmin@example.org:other-api-key' } })
  t.equal(own.statusCode, 200, 'an admin of demo now, with its own key')
  t.equal(own.json().objects.find((u: { username: string }) => u.username === 'otheradmin@example.org').role, 'Admin')
})

t.test('reset restores the seed invitations and removes accepted accounts', async t => {
  const app = await build(t)
  await app.inject({ method: 'POST', url: '/a/demo/api/invitation/v1/', headers: H, payload: { email: 'c@example.org', role: 'API Reader' } })
  await app.inject({ method: 'POST', url: `/__mock/invitations/${SEEDED}/accept` })
  t.equal((await app.inject({ url: '/__mock/invitations' })).json().total, 2)
  t.equal((await app.inject({ method: 'POST', url: '/__mock/reset' })).statusCode, 200)
  const after = (await app.inject({ url: '/__mock/invitations' })).json()
  t.equal(after.total, 1)
  t.equal(after.invitations[0].status, 'pending')
  t.equal(app.ctx.store.webUser('invitee@example.org'), undefined)

  await app.inject({ method: 'POST', url: `/__mock/invitations/${SEEDED}/accept` })
  t.equal((await app.inject({ method: 'POST', url: '/__mock/domains/demo/reset' })).statusCode, 200)
  t.equal((await app.inject({ url: '/__mock/invitations?status=pending' })).json().total, 1, 'a domain reset restores its invitations')
})

t.test('the admin token guards /__mock/invitations', async t => {
  const app = await build(t, { adminToken: TOKEN })
  for (const [method, url] of [['GET', '/__mock/invitations'], ['POST', `/__mock/invitations/${SEEDED}/accept`]] as const) {
    const res = await app.inject({ method, url })
    t.equal(res.statusCode, 401, url)
    t.equal(res.headers['www-authenticate'], 'Bearer realm="commcare-hq-mock"')
    const ok = await app.inject({ method, url, headers: { 'x-mock-admin-token': TOKEN } })
    t.equal(ok.statusCode, 200, url)
  }
  t.equal(app.ctx.store.domain('demo')!.doc.invitations![0].status, 'accepted')
})

t.test('the fixture lists and accepts invitations', async t => {
  const { startMockServer } = await import('../../src/fixture.js')
  const server = await startMockServer()
  t.teardown(() => server.close())
  t.strictSame(server.invitations({ status: 'pending' }).map(i => i.id), [SEEDED])
  t.strictSame(server.invitations({ domain: 'other' }), [])
  const accepted = await server.acceptInvitation(SEEDED)
  t.equal(accepted.invitation.status, 'accepted')
  t.equal(accepted.web_user.username, 'invitee@example.org')
  t.strictSame(server.invitations({ status: 'pending' }), [])
  const res = await fetch(`${server.url}/a/demo/api/web-user/v1/?web_username=invitee@example.org`, { headers: H })
  t.equal(res.status, 200)
  const body = await res.json() as { objects: Array<{ role: string }> }
  t.equal(body.objects[0].role, 'Project Manager')
  await t.rejects(server.acceptInvitation('nope'), { message: "there is no invitation 'nope'" })
  await server.reset()
  t.strictSame(server.invitations({ status: 'pending' }).map(i => i.id), [SEEDED], 'reset restores the seed invitation')
})

t.test('acknowledged web-user and invitation writes survive a SIGKILL', async t => {
  const { mkdtemp, rm } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const { startProcess } = await import('../helpers/process.js')
  const dir = await mkdtemp(join(tmpdir(), 'hq-mock-invitations-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const data = join(dir, 'data')
  const call = async (url: string, method = 'GET', body?: unknown): Promise<{ status: number, body: any }> => {
    const res = await fetch(url, { method, headers: { ...H, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
    return { status: res.status, body: await res.json().catch(() => null) }
  }
  const first = await startProcess(['--data', data])
  const VIEWER_URL = '/a/demo/api/web-user/v1/b6850d9e9999b6e164e6fff5115ddc12/'
  t.equal((await call(first.url + VIEWER_URL, 'PATCH', { role: 'Project Manager', user_data: { team: 'x' } })).status, 202)
  t.equal((await call(first.url + '/a/demo/api/web-user/v1/b6850d9e9999b6e164e6fff5115ddc12/deactivate/', 'POST')).status, 202)
  const sent = await call(first.url + '/a/demo/api/invitation/v1/', 'POST', { email: 'kill@example.org', role: 'API Reader' })
  t.equal(sent.status, 201)
  t.equal((await call(first.url + `/__mock/invitations/${SEEDED}/accept`, 'POST')).status, 200)
  first.child.kill('SIGKILL')
  await first.exited

  const second = await startProcess(['--data', data])
  t.teardown(async () => { second.child.kill('SIGTERM'); await second.exited })
  const viewer = await call(second.url + VIEWER_URL)
  t.equal(viewer.body.role, 'Project Manager')
  t.equal(viewer.body.user_data.team, 'x')
  t.equal(viewer.body.is_active_in_domain, false)
  const invitations = (await call(second.url + '/__mock/invitations')).body.invitations
  t.strictSame(invitations.map((i: { email: string, status: string }) => [i.email, i.status]), [['invitee@example.org', 'accepted'], ['kill@example.org', 'pending']])
  const invitee = await call(second.url + '/a/demo/api/web-user/v1/?web_username=invitee@example.org')
  t.equal(invitee.body.objects.length, 1, 'the account made on acceptance is kept too')
  t.equal(invitee.body.objects[0].role, 'Project Manager')
})

t.test('a domain copied from another gets its own invitation ids', async t => {
  const app = await build(t)
  const res = await app.inject({ method: 'POST', url: '/__mock/domains', payload: { name: 'copy', from: 'demo' } })
  t.equal(res.statusCode, 201)
  const copied = (await app.inject({ url: '/__mock/invitations?domain=copy' })).json().invitations
  t.equal(copied.length, 1)
  t.not(copied[0].id, SEEDED)
  t.equal(copied[0].email, 'invitee@example.org')
  t.equal((await app.inject({ method: 'POST', url: `/__mock/invitations/${copied[0].id}/accept` })).json().invitation.domain, 'copy')
  t.equal(app.ctx.store.domain('demo')!.doc.invitations![0].status, 'pending', "the original's invitation is untouched")
})
