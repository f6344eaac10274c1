import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { build, ADMIN, AMINA, CANNED_500, CAROL, DAVID, JDOE, MARY, VIEWER } from '../helpers/app.js'

// POST …/user/{id}/email_password_reset/ (BEHAVIOR.md §6, [R2 §B.6]).

const H = { authorization: ADMIN }
const STYLES = [
  { name: 'v0.5', url: (id: string) => `/a/demo/api/v0.5/user/${id}/email_password_reset/`, list: '/a/demo/api/v0.5/user/' },
  { name: 'v1', url: (id: string) => `/a/demo/api/user/v1/${id}/email_password_reset/`, list: '/a/demo/api/user/v1/' }
]

async function outbox (app: FastifyInstance) {
  return (await app.inject({ url: '/__mock/outbox' })).json().emails as Array<Record<string, unknown>>
}

for (const s of STYLES) {
  t.test(`${s.name}: 202 {} and a password_reset e-mail; the worker is not modified`, async t => {
    const app = await build(t)
    const state = JSON.stringify(app.ctx.store.exportState())
    const res = await app.inject({ method: 'POST', url: s.url(JDOE), headers: H })
    t.equal(res.statusCode, 202)
    t.equal(res.body, '{}')
    t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
    t.equal(Buffer.from(String(res.headers['x-mock-email']), 'latin1').toString('utf8'), 'password_reset → jane.doe@example.org')
    const emails = await outbox(app)
    t.equal(emails.length, 1)
    t.match(emails[0], { type: 'password_reset', domain: 'demo', to: 'jane.doe@example.org', user_id: JDOE })
    t.equal(JSON.stringify(app.ctx.store.exportState()), state, 'nothing in the state changed')
    const withBody = await app.inject({ method: 'POST', url: s.url(JDOE), headers: { ...H, 'content-type': 'application/json' }, payload: '{"ignored": true}' })
    t.equal(withBody.statusCode, 202, 'a body is ignored')
    t.equal((await outbox(app)).length, 2, 'each request records one e-mail')
  })

  t.test(`${s.name}: the checks in HQ's order`, async t => {
    const app = await build(t)
    // A CommCare Connect account has an e-mail but no usable password.
    const connect = await app.inject({ method: 'POST', url: s.list, headers: H, payload: { username: 'linked', connect_username: 'linked-connect', email: 'linked@example.org' } })
    t.equal(connect.statusCode, 201)
    const LINKED = connect.json().id as string
    t.equal((await app.inject({ method: 'PUT', url: `/a/demo/api/v0.5/user/${DAVID}/`, headers: H, payload: { email: 'david@example.org' } })).statusCode, 200)
    t.equal((await app.inject({ method: 'POST', url: `/a/demo/api/v0.5/user/${DAVID}/deactivate/`, headers: H })).statusCode, 202)
    t.equal((await app.inject({ method: 'DELETE', url: `/a/demo/api/v0.5/user/${AMINA}/`, headers: H })).statusCode, 204)
    const cases: Array<[string, string, number, unknown]> = [
      ['unknown id', 'ffffffffffffffffffffffffffffffff', 404, CANNED_500],
      ["another domain's worker", MARY, 404, CANNED_500],
      ['a retired worker', AMINA, 404, CANNED_500],
      ['no e-mail (deactivated too: the e-mail comes first)', CAROL, 400, { error: 'This user does not have an email address set.' }],
      ['no usable password', LINKED, 400, { error: 'This user account cannot reset the password.' }],
      ['deactivated', DAVID, 400, { error: 'This user is inactive and cannot reset their password.' }]
    ]
    for (const [name, id, status, body] of cases) {
      const res = await app.inject({ method: 'POST', url: s.url(id), headers: H })
      t.equal(res.statusCode, status, name)
      t.strictSame(res.json(), body, name)
      t.equal(res.headers['content-type'], 'application/json', name)
      t.ok(res.headers['x-mock-reason'], name)
      t.equal(res.headers['x-mock-email'], undefined, name)
    }
    t.strictSame(await outbox(app), [], 'no e-mail was recorded')
  })

  t.test(`${s.name}: an unconfirmed worker is inactive for a reset`, async t => {
    const app = await build(t)
    const created = await app.inject({ method: 'POST', url: s.list, headers: H, payload: { username: 'pending', email: 'pending@example.org', require_account_confirmation: true } })
    t.equal(created.statusCode, 201)
    const res = await app.inject({ method: 'POST', url: s.url(created.json().id), headers: H })
    t.equal(res.statusCode, 400)
    t.strictSame(res.json(), { error: 'This user is inactive and cannot reset their password.' })
  })

  t.test(`${s.name}: POST only (405 before authentication), and the usual permission checks`, async t => {
    const app = await build(t)
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH'] as const) {
      const res = await app.inject({ method, url: s.url(JDOE) })
      t.equal(res.statusCode, 405, method)
      t.equal(res.headers.allow, 'POST')
      t.equal(res.body, 'POST')
      t.ok(res.headers['x-mock-reason'])
    }
    const opts = await app.inject({ method: 'OPTIONS', url: s.url(JDOE) })
    t.equal(opts.statusCode, 200)
    t.equal(opts.headers.allow, 'POST')
    t.equal((await app.inject({ method: 'POST', url: s.url(JDOE) })).statusCode, 401)
    t.equal((await app.inject({ method: 'POST', url: s.url(JDOE), headers: { authorization: VIEWER } })).statusCode, 403, 'needs edit_commcare_users')
    t.equal((await app.inject({ method: 'POST', url: s.url(JDOE).replace('/demo/', '/nosuch/'), headers: H })).statusCode, 404, 'unknown domain')
    t.strictSame(await outbox(app), [])
  })
}
