import t from 'tap'
import { build, ADMIN, AMINA, JDOE } from '../helpers/app.js'
import { Outbox, emailHeader, emailHeaderText, emailLabel, isEmailType, type OutboxEmail, type OutboxInput } from '../../src/mock/outbox.js'

type App = Awaited<ReturnType<typeof build>>

const JSON_HEADERS = { authorization: ADMIN, 'content-type': 'application/json' }

/** Three e-mails in demo, one in other, recorded in this order. */
const MAILS: OutboxInput[] = [
  { type: 'account_confirmation', domain: 'demo', to: 'new.worker@example.org', user_id: 'u1' },
  { type: 'password_reset', domain: 'demo', to: 'JDoe@Example.org', user_id: 'u2' },
  { type: 'password_reset', domain: 'other', to: 'jdoe@example.org', user_id: 'u3' },
  { type: 'invitation', domain: 'demo', to: 'mail.invitee@example.org', invitation_id: 'i1' }
]

function fill (app: App): OutboxEmail[] {
  return MAILS.map(m => app.ctx.outbox.record(m))
}

async function outbox (app: App, query = ''): Promise<{ emails: OutboxEmail[], total: number, capacity: number }> {
  const res = await app.inject({ method: 'GET', url: `/__mock/outbox${query}` })
  if (res.statusCode !== 200) throw new Error(`GET /__mock/outbox${query} answered ${res.statusCode}: ${res.body}`)
  return res.json()
}

const ids = (emails: Array<{ user_id?: string, invitation_id?: string }>): string[] => emails.map(e => e.user_id ?? e.invitation_id ?? '?')

t.test('the outbox lists every e-mail, newest first, with its fields', async t => {
  const app = await build(t)
  t.same(await outbox(app), { emails: [], total: 0, capacity: 1000 }, 'empty at start')
  const recorded = fill(app)
  const body = await outbox(app)
  t.equal(body.total, 4)
  t.equal(body.capacity, 1000)
  t.same(body.emails, [...recorded].reverse(), 'newest first, exactly as recorded')
  const [invitation, , , confirmation] = body.emails
  t.same(Object.keys(confirmation).sort(), ['domain', 'id', 'time', 'to', 'type', 'user_id'])
  t.same(Object.keys(invitation).sort(), ['domain', 'id', 'invitation_id', 'time', 'to', 'type'])
  t.match(confirmation.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
  t.match(confirmation.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  t.ok(Math.abs(Date.parse(confirmation.time) - Date.now()) < 60_000, 'time is now')
  t.equal(new Set(body.emails.map(e => e.id)).size, 4, 'ids are unique')
})

t.test('each filter, and filters combined', async t => {
  const app = await build(t)
  fill(app)
  t.same(ids((await outbox(app, '?domain=demo')).emails), ['i1', 'u2', 'u1'])
  t.same(ids((await outbox(app, '?domain=other')).emails), ['u3'])
  t.same((await outbox(app, '?domain=nope')).emails, [], 'an unknown domain matches nothing')
  t.same(ids((await outbox(app, '?type=password_reset')).emails), ['u3', 'u2'])
  t.same(ids((await outbox(app, '?type=account_confirmation')).emails), ['u1'])
  t.same(ids((await outbox(app, '?type=invitation')).emails), ['i1'])
  t.same(ids((await outbox(app, '?to=jdoe@example.org')).emails), ['u3', 'u2'], 'to is case-insensitive')
  t.same(ids((await outbox(app, '?to=JDOE%40EXAMPLE.ORG')).emails), ['u3', 'u2'])
  t.same((await outbox(app, '?to=jdoe')).emails, [], 'to is the whole address, not a substring')
  const combined = await outbox(app, '?domain=demo&type=password_reset&to=jdoe@example.org')
  t.same(ids(combined.emails), ['u2'])
  t.equal(combined.total, 1, 'total counts the matches')
  t.same(ids((await outbox(app, '?domain=other&type=account_confirmation')).emails), [])
  t.same(ids((await outbox(app, '?domain=&type=invitation')).emails), [], 'an empty domain matches no e-mail')
})

t.test('DELETE removes the matching e-mails and answers them', async t => {
  const app = await build(t)
  const recorded = fill(app)
  let res = await app.inject({ method: 'DELETE', url: '/__mock/outbox?type=password_reset&domain=demo' })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { removed: 1, emails: [recorded[1]] })
  t.same(ids((await outbox(app)).emails), ['i1', 'u3', 'u1'], 'the others stay')

  res = await app.inject({ method: 'DELETE', url: '/__mock/outbox?to=NOBODY@example.org' })
  t.same(res.json(), { removed: 0, emails: [] }, 'nothing matched, nothing removed')
  t.equal((await outbox(app)).total, 3)

  res = await app.inject({ method: 'DELETE', url: '/__mock/outbox?domain=demo' })
  t.same(res.json(), { removed: 2, emails: [recorded[3], recorded[0]] }, 'newest first')

  app.ctx.outbox.record(MAILS[0])
  res = await app.inject({ method: 'DELETE', url: '/__mock/outbox' })
  t.equal(res.statusCode, 200)
  t.equal(res.json().removed, 2, 'without filters: everything')
  t.same(await outbox(app), { emails: [], total: 0, capacity: 1000 })
})

t.test('bad filter values are a 400 in the test-control API\'s shape and remove nothing', async t => {
  const app = await build(t)
  fill(app)
  const bad: Array<[string, RegExp]> = [
    ['?type=welcome', /^invalid request: querystring\/type must be one of account_confirmation, password_reset, invitation$/],
    ['?type=', /querystring\/type must be one of/],
    ['?type=PASSWORD_RESET', /querystring\/type must be one of/],
    ['?type=password_reset&type=invitation', /^invalid request: querystring\/type/],
    ['?to=a@b.org&to=c@d.org', /^invalid request: querystring\/to/],
    [`?to=${'x'.repeat(321)}`, /^invalid request: querystring\/to Expected string length less or equal to 320$/],
    [`?domain=${'d'.repeat(101)}`, /^invalid request: querystring\/domain/],
    [`?type=${'t'.repeat(101)}`, /^invalid request: querystring\/type/],
    ['?status=200', /^invalid request: querystring\/status Unexpected property$/],
    ['?__proto__=x', /^invalid request: querystring\/__proto__ Unexpected property$/]
  ]
  for (const method of ['GET', 'DELETE'] as const) {
    for (const [query, message] of bad) {
      const res = await app.inject({ method, url: `/__mock/outbox${query}` })
      t.equal(res.statusCode, 400, `${method} ${query.slice(0, 40)}`)
      t.match(res.headers['content-type'], /^application\/json/)
      t.same(Object.keys(res.json()), ['error'])
      t.match(res.json().error, message)
      t.equal(res.headers['x-mock-reason'], res.json().error.replace(/[^\x20-\x7e]/g, '?').slice(0, 500), 'X-Mock-Reason says why')
    }
  }
  t.equal((await outbox(app)).total, 4, 'no refused DELETE removed anything')
})

t.test('the outbox needs the admin token when one is configured', async t => {
  const app = await build(t, { adminToken: 'outbox-token' })
  fill(app)
  for (const method of ['GET', 'DELETE'] as const) {
    for (const headers of [{}, { 'x-mock-admin-token': 'wrong' }, { authorization: ADMIN }]) {
      const res = await app.inject({ method, url: '/__mock/outbox', headers })
      t.equal(res.statusCode, 401, `${method} with ${JSON.stringify(Object.keys(headers))}`)
      t.equal(res.headers['www-authenticate'], 'Bearer realm="commcare-hq-mock"')
      t.ok(typeof res.headers['x-mock-reason'] === 'string')
      t.notMatch(res.body, /example\.org/, 'no e-mail leaks into a refusal')
    }
  }
  t.equal(app.ctx.outbox.size, 4, 'a refused DELETE removes nothing')
  let res = await app.inject({ method: 'GET', url: '/__mock/outbox?type=invitation', headers: { 'x-mock-admin-token': 'outbox-token' } })
  t.equal(res.statusCode, 200)
  t.same(ids(res.json().emails), ['i1'])
  res = await app.inject({ method: 'DELETE', url: '/__mock/outbox', headers: { authorization: 'Bearer outbox-token' } })
  t.equal(res.statusCode, 200)
  t.equal(res.json().removed, 4)
})

t.test('POST /__mock/reset clears the whole outbox', async t => {
  const app = await build(t)
  fill(app)
  const res = await app.inject({ method: 'POST', url: '/__mock/reset' })
  t.equal(res.statusCode, 200)
  t.same(await outbox(app), { emails: [], total: 0, capacity: 1000 })
})

t.test('a domain reset clears only that domain\'s e-mails', async t => {
  const app = await build(t)
  fill(app)
  const res = await app.inject({ method: 'POST', url: '/__mock/domains/demo/reset' })
  t.equal(res.statusCode, 200)
  t.same(ids((await outbox(app)).emails), ['u3'], 'other\'s e-mail stays')

  // A domain created on the fly, reset to what it was created with.
  const created = await app.inject({ method: 'POST', url: '/__mock/domains', payload: { name: 'ci-7', from: 'demo' } })
  t.equal(created.statusCode, 201)
  app.ctx.outbox.record({ ...MAILS[0], domain: 'ci-7' })
  t.equal((await app.inject({ method: 'POST', url: '/__mock/domains/ci-7/reset' })).statusCode, 200)
  t.same(ids((await outbox(app)).emails), ['u3'])

  const unknown = await app.inject({ method: 'POST', url: '/__mock/domains/nope/reset' })
  t.equal(unknown.statusCode, 404)
  t.equal(app.ctx.outbox.size, 1, 'a refused reset clears nothing')
})

t.test('deleting a domain clears its e-mails; export and import leave the outbox alone', async t => {
  const app = await build(t)
  t.equal((await app.inject({ method: 'POST', url: '/__mock/domains', payload: { name: 'ci-8', from: 'demo' } })).statusCode, 201)
  fill(app)
  app.ctx.outbox.record({ ...MAILS[1], domain: 'ci-8', user_id: 'u8' })

  const state = await app.inject({ method: 'GET', url: '/__mock/state' })
  t.equal(state.statusCode, 200)
  t.same(Object.keys(state.json()), ['format', 'domains'], 'the export carries no outbox')
  t.notMatch(state.body, /new\.worker@example\.org|mail\.invitee@example\.org/)

  const del = await app.inject({ method: 'DELETE', url: '/__mock/domains/ci-8' })
  t.equal(del.statusCode, 204)
  t.same(ids((await outbox(app)).emails), ['i1', 'u3', 'u2', 'u1'], 'only ci-8\'s e-mail went')

  const imported = await app.inject({ method: 'PUT', url: '/__mock/state', payload: state.json() })
  t.equal(imported.statusCode, 200)
  t.same(ids((await outbox(app)).emails), ['i1', 'u3', 'u2', 'u1'], 'an import keeps the outbox as it is')
})

t.test('the journal keeps the X-Mock-Email header of the answer that caused an e-mail', async t => {
  const app = await build(t, { checkResponses: false })
  // A stand-in for a CommCare route that sends an e-mail.
  app.post('/a/demo/probe/email/', async (_request, reply) => {
    const email = app.ctx.outbox.record({ type: 'password_reset', domain: 'demo', to: 'jdoe@example.org', user_id: 'u1' })
    return reply.code(202).header('x-mock-email', emailHeader(email)).send({})
  })
  const res = await app.inject({ method: 'POST', url: '/a/demo/probe/email/', headers: JSON_HEADERS, payload: {} })
  t.equal(res.statusCode, 202)
  t.equal(Buffer.from(res.headers['x-mock-email'] as string, 'latin1').toString('utf8'), 'password_reset → jdoe@example.org')
  const journal = (await app.inject({ method: 'GET', url: '/__mock/requests?path=/probe/email/' })).json()
  t.equal(journal.total, 1)
  t.equal(journal.requests[0].response.headers['x-mock-email'], 'password_reset → jdoe@example.org', 'kept as its text')
})

t.test('end to end: a confirmation e-mail, a password reset and an invitation through the CommCare routes', async t => {
  const app = await build(t)
  const created = await app.inject({
    method: 'POST',
    url: '/a/demo/api/v0.5/user/',
    headers: JSON_HEADERS,
    payload: { username: 'x', email: 'x@example.org', require_account_confirmation: true, send_confirmation_email_now: true }
  })
  t.equal(created.statusCode, 201)
  t.equal(emailHeaderText(created.headers['x-mock-email'] as string), 'account_confirmation → x@example.org')
  const id: string = created.json().id
  const reset = await app.inject({ method: 'POST', url: `/a/demo/api/v0.5/user/${JDOE}/email_password_reset/`, headers: { authorization: ADMIN } })
  t.equal(reset.statusCode, 202)
  t.equal(emailHeaderText(reset.headers['x-mock-email'] as string), 'password_reset → jane.doe@example.org')

  const { emails } = await outbox(app)
  t.match(emails, [
    { type: 'password_reset', domain: 'demo', to: 'jane.doe@example.org', user_id: JDOE },
    { type: 'account_confirmation', domain: 'demo', to: 'x@example.org', user_id: id }
  ])
  t.equal(emails.length, 2)
  t.same(ids((await outbox(app, '?type=account_confirmation&to=X@EXAMPLE.ORG')).emails), [id])

  // The journal keeps the header of both answers.
  const journal = (await app.inject({ method: 'GET', url: '/__mock/requests?method=POST' })).json()
  t.same(journal.requests.map((e: { response: { headers: Record<string, string> } }) => e.response.headers['x-mock-email']),
    ['password_reset → jane.doe@example.org', 'account_confirmation → x@example.org'])

  // A refused reset records nothing and carries no X-Mock-Email.
  const refused = await app.inject({ method: 'POST', url: `/a/demo/api/v0.5/user/${AMINA}/email_password_reset/`, headers: { authorization: ADMIN } })
  t.equal(refused.statusCode, 400, 'amina has no e-mail address')
  t.equal(refused.headers['x-mock-email'], undefined)
  t.equal((await outbox(app)).total, 2)

  const invited = await app.inject({ method: 'POST', url: '/a/demo/api/invitation/v1/', headers: JSON_HEADERS, payload: { email: 'Mail.Invitee@example.org', role: 'Admin' } })
  t.equal(invited.statusCode, 201)
  const invitation: string = invited.json().id
  t.same(ids((await outbox(app, '?type=invitation')).emails), [invitation], 'an invitation names its invitation_id')

  const cleared = await app.inject({ method: 'DELETE', url: '/__mock/outbox?type=password_reset' })
  t.same(cleared.json().emails.map((e: OutboxEmail) => e.user_id), [JDOE])
  t.equal((await app.inject({ method: 'DELETE', url: '/__mock/outbox?to=mail.invitee@EXAMPLE.org' })).json().removed, 1)
  t.same(ids((await outbox(app)).emails), [id])
  t.equal((await app.inject({ method: 'POST', url: '/__mock/domains/demo/reset' })).statusCode, 200)
  t.equal((await outbox(app)).total, 0, 'the domain reset took the last one')
})

t.test('Outbox: bounded, filters, take and clear', async t => {
  const box = new Outbox(3)
  for (let i = 0; i < 5; i++) box.record({ type: 'password_reset', domain: 'demo', to: `w${i}@example.org`, user_id: `u${i}` })
  t.equal(box.size, 3, 'past the capacity the oldest go')
  t.same(box.list().map(e => e.user_id), ['u2', 'u3', 'u4'], 'list: oldest first')
  t.same(box.newestFirst().map(e => e.user_id), ['u4', 'u3', 'u2'])
  t.same(box.take({ to: 'W3@EXAMPLE.ORG' }).map(e => e.user_id), ['u3'])
  t.equal(box.clear({ domain: 'other' }), 0)
  t.equal(box.clear(), 2)
  t.equal(box.size, 0)
  t.ok(isEmailType('invitation'))
  t.notOk(isEmailType('Invitation'))
  t.notOk(isEmailType('toString'))
  t.notOk(isEmailType(undefined))
})

t.test('emailHeader: UTF-8 arrow on the wire, control characters replaced', async t => {
  t.equal(emailLabel({ type: 'invitation', to: 'a@b.org' }), 'invitation → a@b.org')
  const header = emailHeader({ type: 'invitation', to: 'a\r\nX-Injected: 1@b.org' })
  t.equal(Buffer.from(header, 'latin1').toString('utf8'), 'invitation → a??X-Injected: 1@b.org')
  t.equal(emailHeaderText(header), 'invitation → a??X-Injected: 1@b.org')
  t.notMatch(header, /[\r\n]/)
})
