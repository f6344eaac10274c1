import t from 'tap'
import type * as Tap from 'tap'
import type { FastifyInstance } from 'fastify'
import { build, ADMIN, CANNED_500, JDOE } from '../helpers/app.js'
import { seedDomain, seedUser } from '../helpers/seed.js'

// Two-stage account confirmation (BEHAVIOR.md §5.1, [R2 §B.4]): POST creates an
// unconfirmed worker, and the confirmation e-mail goes to the outbox.

const H = { authorization: ADMIN, 'content-type': 'application/json' }
const LIST = '/a/demo/api/v0.5/user/'

/** `X-Mock-Email` as text (the header carries UTF-8 bytes). */
function mockEmail (value: unknown): string | undefined {
  return typeof value === 'string' ? Buffer.from(value, 'latin1').toString('utf8') : undefined
}

async function outbox (app: FastifyInstance, query = '') {
  const res = await app.inject({ url: `/__mock/outbox${query}` })
  if (res.statusCode !== 200) throw new Error(`outbox answered ${res.statusCode}`)
  return res.json().emails as Array<Record<string, unknown>>
}

async function usernames (app: FastifyInstance, archived: boolean): Promise<string[]> {
  const res = await app.inject({ url: `${LIST}?limit=0${archived ? '&archived=true' : ''}`, headers: H })
  return res.json().objects.map((u: { username: string }) => u.username)
}

t.test('POST: the three refusals, in HQ\'s order, create nothing', async t => {
  const app = await build(t)
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['require without email', { require_account_confirmation: true }, "You must provide the user's email to send a confirmation email."],
    ['require without email, with a password: the email comes first', { require_account_confirmation: true, password: 'pw', send_confirmation_email_now: true }, "You must provide the user's email to send a confirmation email."],
    ['require with a password', { require_account_confirmation: 'yes', email: 'c1@example.org', password: 'pw' }, 'Users will provide their own password on confirmation.'],
    ['send without require', { send_confirmation_email_now: true, email: 'c1@example.org' }, 'You must require account confirmation to send a confirmation email.'],
    ['send without require, with a password', { send_confirmation_email_now: 'T', require_account_confirmation: 'false', email: 'c1@example.org', password: 'pw' }, 'You must require account confirmation to send a confirmation email.']
  ]
  const before = [await usernames(app, false), await usernames(app, true)]
  for (const [name, body, message] of cases) {
    const res = await app.inject({ method: 'POST', url: LIST, headers: H, payload: { username: 'confirm.me', ...body } })
    t.equal(res.statusCode, 400, name)
    t.strictSame(res.json(), { error: message }, name)
    t.ok(res.headers['x-mock-reason'], name)
    t.equal(res.headers['x-mock-email'], undefined, name)
  }
  t.strictSame([await usernames(app, false), await usernames(app, true)], before, 'nothing was created')
  t.strictSame(await outbox(app), [], 'no e-mail')
  const taken = await app.inject({ method: 'POST', url: LIST, headers: H, payload: { username: 'jdoe', require_account_confirmation: true } })
  t.strictSame(taken.json(), { error: "Username 'jdoe@demo.commcarehq.org' is already taken or reserved." }, 'the username is checked first')
  const profile = await app.inject({ method: 'POST', url: LIST, headers: H, payload: { username: 'confirm.me', require_account_confirmation: true, user_data: { commcare_profile: 7 } } })
  t.strictSame(profile.json(), { error: 'User data profile not found' }, 'then the profile')
  const ok = await app.inject({ method: 'POST', url: LIST, headers: H, payload: { username: 'confirm.me', require_account_confirmation: true, email: 'c1@example.org' } })
  t.equal(ok.statusCode, 201, 'the username was still free')
})

t.test('POST with both flags: an unconfirmed, inactive worker and an account_confirmation e-mail', async t => {
  const app = await build(t)
  const res = await app.inject({
    method: 'POST',
    url: LIST,
    headers: H,
    payload: { username: 'two.stage', email: 'Two.Stage@Example.org', first_name: 'Two', require_account_confirmation: true, send_confirmation_email_now: true }
  })
  t.equal(res.statusCode, 201)
  const id = res.json().id as string
  t.equal(res.body, `{"id": "${id}"}`)
  t.equal(res.headers.location, `${LIST}${id}/`)
  t.equal(mockEmail(res.headers['x-mock-email']), 'account_confirmation → two.stage@example.org')
  t.equal(res.headers['x-mock-reason'], undefined)

  t.notOk((await usernames(app, false)).includes('two.stage@demo.commcarehq.org'), 'not in the default list')
  t.ok((await usernames(app, true)).includes('two.stage@demo.commcarehq.org'), 'listed with archived=true')
  const detail = await app.inject({ url: `${LIST}${id}/`, headers: H })
  t.equal(detail.statusCode, 200)
  t.equal(detail.json().email, 'two.stage@example.org')
  t.equal(detail.json().first_name, 'Two', 'the other keys were applied')
  t.notOk('is_account_confirmed' in detail.json())
  t.notOk('require_account_confirmation' in detail.json())

  const emails = await outbox(app)
  t.equal(emails.length, 1)
  t.match(emails[0], { type: 'account_confirmation', domain: 'demo', to: 'two.stage@example.org', user_id: id })
  t.strictSame(await outbox(app, '?type=account_confirmation&to=TWO.STAGE@example.org'), emails, 'the outbox filters find it')

  const stored = app.ctx.store.domain('demo')!.usersById.get(id)!
  t.equal(stored.is_active, false)
  t.equal(stored.is_account_confirmed, false)
  t.match(stored.password_hash, /^pbkdf2_sha256\$/, 'a password no one knows, as HQ generates one')
})

t.test('POST with require only: unconfirmed, no e-mail; flags parse like string_to_boolean', async t => {
  const app = await build(t)
  for (const [i, flag] of [true, 'true', 'T', ' Yes ', 'y', '1'].entries()) {
    const res = await app.inject({ method: 'POST', url: LIST, headers: H, payload: { username: `req${i}`, email: `req${i}@example.org`, require_account_confirmation: flag } })
    t.equal(res.statusCode, 201, JSON.stringify(flag))
    t.equal(res.headers['x-mock-email'], undefined)
    t.ok((await usernames(app, true)).includes(`req${i}@demo.commcarehq.org`), `${JSON.stringify(flag)}: unconfirmed`)
  }
  t.strictSame(await outbox(app), [])
  for (const [i, flag] of [false, null, 'false', 'F', 'no', 'N', '0'].entries()) {
    const res = await app.inject({ method: 'POST', url: LIST, headers: H, payload: { username: `plain${i}`, email: 'p@example.org', require_account_confirmation: flag, send_confirmation_email_now: flag } })
    t.strictSame(res.json(), { error: 'Password or connect username required' }, `${JSON.stringify(flag)} is false: the normal path`)
  }
  for (const flag of ['maybe', 1, 0, [], {}, '']) {
    const res = await app.inject({ method: 'POST', url: LIST, headers: H, payload: { username: 'bad.flag', email: 'p@example.org', password: 'pw', send_confirmation_email_now: flag } })
    t.equal(res.statusCode, 500, `${JSON.stringify(flag)}: HQ's string_to_boolean raises`)
    t.strictSame(res.json(), CANNED_500)
  }
  const free = await app.inject({ method: 'POST', url: LIST, headers: H, payload: { username: 'bad.flag', password: 'pw' } })
  t.equal(free.statusCode, 201, 'a 500 before HQ makes the worker leaves the username free')
})

const UNCONFIRMED = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb1'
const NO_MAIL = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2'

/** Domain `twostage` (privilege on) and `classic` (privilege off), each with an unconfirmed worker. */
async function domainsApp (t: Tap.Test) {
  const app = await build(t)
  for (const [name, on] of [['twostage', true], ['classic', false]] as const) {
    const seed = seedDomain({
      project_name: name,
      members: [{ username: 'admin@example.org', is_admin: true }],
      privileges: { TWO_STAGE_MOBILE_WORKER_ACCOUNT_CREATION: on },
      users: [
        seedUser({ id: UNCONFIRMED, username: `pending@${name}.commcarehq.org`, first_name: 'P', last_name: 'One', email: 'pending@example.org', is_active: false, is_account_confirmed: false, password: 'x' }),
        seedUser({ id: NO_MAIL, username: `nomail@${name}.commcarehq.org`, first_name: 'N', last_name: 'Two', is_active: false, is_account_confirmed: false, password: 'x' })
      ]
    })
    const made = await app.inject({ method: 'POST', url: '/__mock/domains', payload: { name, seed } })
    t.equal(made.statusCode, 201, made.body)
  }
  return app
}

t.test('PUT send_confirmation_email_now: after the field updates, the e-mail of the worker as updated', async t => {
  const app = await domainsApp(t)
  const url = (id: string) => `/a/twostage/api/user/v1/${id}/`
  const get = async (id: string) => (await app.inject({ url: url(id), headers: H })).body

  const before = await get(NO_MAIL)
  const none = await app.inject({ method: 'PUT', url: url(NO_MAIL), headers: H, payload: { first_name: 'Changed', send_confirmation_email_now: true } })
  t.equal(none.statusCode, 400)
  t.strictSame(none.json(), { error: "This user has no email. You must provide the user's email to send a confirmation email." })
  t.equal(await get(NO_MAIL), before, 'nothing changed')

  const collected = await app.inject({ method: 'PUT', url: url(NO_MAIL), headers: H, payload: { send_confirmation_email_now: true, foo: 1 } })
  t.strictSame(collected.json(), { error: "The request resulted in the following errors: Attempted to update unknown or non-editable field 'foo'" }, 'collected errors win')

  const withMail = await app.inject({ method: 'PUT', url: url(NO_MAIL), headers: H, payload: { send_confirmation_email_now: 'yes', email: 'Now@Example.org' } })
  t.equal(withMail.statusCode, 200, "this request's own email counts")
  t.equal(withMail.json().email, 'now@example.org')
  t.equal(mockEmail(withMail.headers['x-mock-email']), 'account_confirmation → now@example.org')
  t.equal(withMail.body, await get(NO_MAIL), 'the answer is the worker')

  const cleared = await app.inject({ method: 'PUT', url: url(UNCONFIRMED), headers: H, payload: { email: '', send_confirmation_email_now: true } })
  t.equal(cleared.statusCode, 400, 'an email cleared in the same request leaves none')
  t.equal(JSON.parse(await get(UNCONFIRMED)).email, 'pending@example.org', 'and was not cleared')

  const again = await app.inject({ method: 'PUT', url: url(UNCONFIRMED), headers: H, payload: { send_confirmation_email_now: true } })
  t.equal(again.statusCode, 200)
  const emails = await outbox(app, '?domain=twostage')
  t.strictSame(emails.map(e => [e.type, e.to, e.user_id]), [
    ['account_confirmation', 'pending@example.org', UNCONFIRMED],
    ['account_confirmation', 'now@example.org', NO_MAIL]
  ], 'newest first')
  t.equal(JSON.parse(await get(UNCONFIRMED)).first_name, 'P', 'sending changes nothing else')
  t.notOk((await app.inject({ url: '/a/twostage/api/v0.5/user/', headers: H })).json().objects.length, 'still unconfirmed: not in the default list')
})

t.test('without the TWO_STAGE privilege both flags are ignored (but still parsed)', async t => {
  const app = await domainsApp(t)
  const list = '/a/classic/api/v0.5/user/'
  const noPassword = await app.inject({ method: 'POST', url: list, headers: H, payload: { username: 'x1', email: 'x@example.org', require_account_confirmation: true, send_confirmation_email_now: true } })
  t.strictSame(noPassword.json(), { error: 'Password or connect username required' })
  const created = await app.inject({ method: 'POST', url: list, headers: H, payload: { username: 'x1', password: 'pw', require_account_confirmation: true, send_confirmation_email_now: true } })
  t.equal(created.statusCode, 201)
  t.equal(created.headers['x-mock-email'], undefined)
  const active = (await app.inject({ url: list, headers: H })).json().objects.map((u: { username: string }) => u.username)
  t.strictSame(active, ['x1@classic.commcarehq.org'], 'created active and confirmed')
  const put = await app.inject({ method: 'PUT', url: `${list}${UNCONFIRMED}/`, headers: H, payload: { send_confirmation_email_now: true } })
  t.equal(put.statusCode, 200, 'PUT ignores it too')
  t.equal(put.headers['x-mock-email'], undefined)
  const bad = await app.inject({ method: 'PUT', url: `${list}${UNCONFIRMED}/`, headers: H, payload: { send_confirmation_email_now: 'perhaps' } })
  t.equal(bad.statusCode, 500, 'HQ parses the flag before it looks at the privilege')
  t.strictSame(await outbox(app), [])
})

t.test('demo: a confirmed worker refuses send_confirmation_email_now and gets no e-mail', async t => {
  const app = await build(t)
  const res = await app.inject({ method: 'PUT', url: `/a/demo/api/v0.5/user/${JDOE}/`, headers: H, payload: { first_name: 'X', send_confirmation_email_now: true } })
  t.equal(res.statusCode, 400)
  t.strictSame(res.json(), { error: "The confirmation email can not be sent because this user's account is already confirmed." })
  t.equal((await app.inject({ url: `/a/demo/api/v0.5/user/${JDOE}/`, headers: H })).json().first_name, 'Jane')
  t.strictSame(await outbox(app), [])
})
