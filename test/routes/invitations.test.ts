import t from 'tap'
import { build, ADMIN, CANNED_500, LOC_KIBERA, LOC_NAIROBI, VIEWER } from '../helpers/app.js'

// Invitations (BEHAVIOR.md §12, [R2 §G.6]).

const URL = '/a/demo/api/invitation/v1/'
const H = { authorization: ADMIN }
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const SEEDED = '0b6f4f4e-2c1d-4e8a-9b7c-5d3e2f1a0c9b' // invitee@example.org, pending

type App = Awaited<ReturnType<typeof build>>

function stored (app: App): unknown[] {
  return structuredClone(app.ctx.store.domain('demo')!.doc.invitations ?? [])
}

t.test('POST → 201 with every declared field, stored pending, an invitation e-mail in the outbox', async t => {
  const app = await build(t)
  const res = await app.inject({
    method: 'POST',
    url: URL,
    headers: H,
    payload: { email: 'JDoe1@Example.org', role: 'Project Manager', primary_location_id: LOC_KIBERA, assigned_location_ids: [LOC_NAIROBI, LOC_KIBERA], profile: 'Community Health Worker', user_data: { chw_id: 'X-1' } }
  })
  t.equal(res.statusCode, 201)
  t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
  t.equal(res.headers.location, undefined, 'no Location header: nothing can be reversed')
  const body = res.json()
  t.match(body.id, UUID)
  t.strictSame(body, {
    assigned_location_ids: [LOC_NAIROBI, LOC_KIBERA],
    email: 'jdoe1@example.org',
    id: body.id,
    primary_location_id: LOC_KIBERA,
    profile: 'Community Health Worker',
    resource_uri: '',
    role: 'Project Manager',
    tableau_groups: [],
    tableau_role: null,
    user_data: { chw_id: 'X-1' }
  })
  t.match(res.body, /^\{"assigned_location_ids": \[/, "HQ's JSON format, sorted keys")
  t.equal(Buffer.from(res.headers['x-mock-email'] as string, 'latin1').toString('utf8'), 'invitation → jdoe1@example.org')
  const mails = app.ctx.outbox.list({ type: 'invitation' })
  t.equal(mails.length, 1)
  t.match(mails[0], { type: 'invitation', domain: 'demo', to: 'jdoe1@example.org', invitation_id: body.id })
  const inv = app.ctx.store.domain('demo')!.doc.invitations!.find(i => i.id === body.id)!
  t.match(inv, { status: 'pending', invited_by: 'admin@example.org', email: 'jdoe1@example.org' })
  t.equal(app.ctx.store.webUser('jdoe1@example.org'), undefined, 'no web user exists until it is accepted')
  const list = (await app.inject({ url: '/a/demo/api/web-user/v1/', headers: H })).json()
  t.notOk(list.objects.some((u: { username: string }) => u.username === 'jdoe1@example.org'))

  const minimal = await app.inject({ method: 'POST', url: URL, headers: H, payload: { email: 'x@example.org', role: 'Admin' } })
  t.equal(minimal.statusCode, 201)
  t.strictSame({ ...minimal.json(), id: 'x' }, {
    assigned_location_ids: [], email: 'x@example.org', id: 'x', primary_location_id: null, profile: null, resource_uri: '', role: 'Admin', tableau_groups: [], tableau_role: null, user_data: {}
  }, "HQ's sample shape")
})

t.test('validation → 400 {"errors": [...]} with every message; nothing stored, no e-mail', async t => {
  const app = await build(t)
  const before = stored(app)
  const cases: Array<{ body: Record<string, unknown>, errors: string[] }> = [
    { body: {}, errors: ["'email' and 'role' are required for each user"] },
    { body: { email: 'a@example.org' }, errors: ["'email' and 'role' are required for each user"] },
    { body: { role: 'Project Manager' }, errors: ["'email' and 'role' are required for each user"] },
    { body: { email: 'a@example.org', role: 'Nope' }, errors: ["Role 'Nope' does not exist or you do not have permission to access it"] },
    { body: { email: 'viewer@example.org', role: 'API Reader' }, errors: ['A user with this email address is already in this project or has a pending invitation.'] },
    { body: { email: 'Former@Example.org', role: 'API Reader' }, errors: ['A user with this email address is already in this project or has a pending invitation.'] },
    { body: { email: 'INVITEE@example.org', role: 'API Reader' }, errors: ['A user with this email address is already in this project or has a pending invitation.'] },
    { body: { email: 'locked@example.org', role: 'API Reader' }, errors: ['A user with this email address is deactivated. '] },
    { body: { email: 'not-an-address', role: 'API Reader' }, errors: ['User has an invalid email address for their email'] },
    { body: { email: 'a@example.org', role: 'API Reader', first_name: 'A', id: 'x' }, errors: ['Invalid parameter(s): first_name, id'] },
    { body: { email: 'a@example.org', role: 'API Reader', profile: 'Nope' }, errors: ["Profile 'Nope' does not exist"] },
    { body: { email: 'a@example.org', role: 'API Reader', profile: 'Community Health Worker', user_data: { program: 'x' } }, errors: ["'program' cannot be set directly"] },
    { body: { email: 'a@example.org', role: 'API Reader', user_data: { commcare_profile: '1' } }, errors: ["'commcare_profile' cannot be set directly"] },
    { body: { email: 'a@example.org', role: 'API Reader', primary_location_id: LOC_KIBERA }, errors: ['Both primary_location and locations must be provided together.'] },
    { body: { email: 'a@example.org', role: 'API Reader', primary_location_id: LOC_KIBERA, assigned_location_ids: [LOC_NAIROBI] }, errors: ["Primary location must be one of the user's locations"] },
    { body: { email: 'a@example.org', role: 'API Reader', tableau_role: 'Viewer' }, errors: ['You do not have permission to edit Tableau Configuration.'] },
    { body: { email: 'viewer@example.org', role: 'Nope', foo: 1 }, errors: ['Invalid parameter(s): foo', "Role 'Nope' does not exist or you do not have permission to access it", 'A user with this email address is already in this project or has a pending invitation.'] }
  ]
  for (const c of cases) {
    const res = await app.inject({ method: 'POST', url: URL, headers: H, payload: c.body })
    t.equal(res.statusCode, 400, JSON.stringify(c.body))
    t.equal(res.headers['content-type'], 'application/json')
    t.strictSame(res.json(), { errors: c.errors }, JSON.stringify(c.body))
    t.ok(res.headers['x-mock-reason'])
    t.equal(res.headers['x-mock-email'], undefined)
  }
  t.strictSame(stored(app), before, 'nothing stored')
  t.equal(app.ctx.outbox.size, 0, 'no e-mail')
})

t.test('location ids that do not resolve → 400 {"error": …}; other failures', async t => {
  const app = await build(t)
  const before = stored(app)
  const res = await app.inject({ method: 'POST', url: URL, headers: H, payload: { email: 'a@example.org', role: 'API Reader', primary_location_id: 'gone', assigned_location_ids: ['gone', LOC_KIBERA, 'fd4ed78a518a0c99d863ed94f81114ef'] } })
  t.equal(res.statusCode, 400)
  t.strictSame(res.json(), { error: 'Could not find location ids: gone, fd4ed78a518a0c99d863ed94f81114ef.' }, "another domain's location does not resolve either")
  t.ok(res.headers['x-mock-reason'])
  const email = await app.inject({ method: 'POST', url: URL, headers: H, payload: { email: 5, role: 'API Reader' } })
  t.equal(email.statusCode, 500)
  t.strictSame(email.json(), CANNED_500)
  const notJson = await app.inject({ method: 'POST', url: URL, headers: { ...H, 'content-type': 'application/json' }, payload: '{' })
  t.equal(notJson.statusCode, 400)
  t.strictSame(notJson.json(), { error: 'Request is not valid JSON.' })
  t.strictSame(stored(app), before)
  t.equal(app.ctx.outbox.size, 0)
})

t.test('POST only; edit_web_users and access_api', async t => {
  const app = await build(t)
  for (const method of ['GET', 'PUT', 'DELETE', 'PATCH'] as const) {
    const res = await app.inject({ method, url: URL, headers: H })
    t.equal(res.statusCode, 405, method)
    t.equal(res.headers.allow, 'POST')
  }
  t.equal((await app.inject({ method: 'OPTIONS', url: URL })).statusCode, 200)
  t.equal((await app.inject({ method: 'POST', url: '/a/demo/api/v0.5/invitation/', headers: H, payload: {} })).statusCode, 404, 'no old-style URL')
  const viewer = await app.inject({ method: 'POST', url: URL, headers: { authorization: VIEWER }, payload: { email: 'a@example.org', role: 'API Reader' } })
  t.equal(viewer.statusCode, 403)
  t.equal((await app.inject({ method: 'POST', url: URL, payload: {} })).statusCode, 401)
  t.equal(app.ctx.outbox.size, 0)
})

t.test('the seed holds a pending invitation', async t => {
  const app = await build(t)
  const inv = app.ctx.store.domain('demo')!.doc.invitations!.find(i => i.id === SEEDED)!
  t.match(inv, { email: 'invitee@example.org', role: 'Project Manager', status: 'pending' })
})
