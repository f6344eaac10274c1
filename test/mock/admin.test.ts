import t from 'tap'
import { build, ADMIN, JDOE } from '../helpers/app.js'
import { hasAdminAccess, offeredAdminToken } from '../../src/mock/admin.js'
import { specOperations } from '../helpers/openapi.js'

const TOKEN = 's3cret-admin-token'
const user = `/a/demo/api/v0.5/user/${JDOE}/`

t.test('with an admin token, /__mock/* needs it; the CommCare routes still work', async t => {
  const app = await build(t, { adminToken: TOKEN })
  const denied = await app.inject({ method: 'POST', url: '/__mock/reset' })
  t.equal(denied.statusCode, 401)
  t.same(denied.json(), { error: 'This endpoint needs the admin token (Authorization: Bearer <token> or X-Mock-Admin-Token: <token>).' })
  t.equal(denied.headers['www-authenticate'], 'Bearer realm="commcare-hq-mock"')

  const wrong = await app.inject({ method: 'POST', url: '/__mock/reset', headers: { authorization: 'Bearer nope' } })
  t.equal(wrong.statusCode, 401)
  t.same(wrong.json(), { error: 'The admin token is wrong.' })
  t.equal((await app.inject({ method: 'POST', url: '/__mock/reset', headers: { 'x-mock-admin-token': TOKEN.slice(0, -1) } })).statusCode, 401)
  t.equal((await app.inject({ method: 'POST', url: '/__mock/reset', headers: { authorization: ADMIN } })).statusCode, 401, 'CommCare credentials are not the admin token')

  for (const [method, url] of [['GET', '/__mock/domains'], ['GET', '/__mock/state'], ['GET', '/__mock/requests'],
    ['GET', '/__mock/requests/count'], ['DELETE', '/__mock/requests'], ['GET', '/__mock/faults'], ['DELETE', '/__mock/faults'],
    ['POST', '/__mock/domains/demo/reset'], ['DELETE', '/__mock/domains/demo'], ['PUT', '/__mock/state'], ['POST', '/__mock/faults']] as const) {
    t.equal((await app.inject({ method, url })).statusCode, 401, `${method} ${url}`)
  }
  t.equal((await app.inject({ method: 'GET', url: '/__mock/domains/demo' })).statusCode, 401)
  const domains = await app.inject({ method: 'GET', url: '/__mock/domains', headers: { 'x-mock-admin-token': TOKEN } })
  t.equal(domains.json().domains.length, 2, 'the refused DELETE removed nothing')

  const commcare = await app.inject({ method: 'GET', url: user, headers: { authorization: ADMIN } })
  t.equal(commcare.statusCode, 200, 'CommCare routes are unaffected')
  t.equal((await app.inject({ method: 'GET', url: user })).statusCode, 401, 'and keep their own auth')

  const bearer = await app.inject({ method: 'POST', url: '/__mock/reset', headers: { authorization: `Bearer ${TOKEN}` } })
  t.equal(bearer.statusCode, 200)
  const header = await app.inject({ method: 'GET', url: '/__mock/requests', headers: { 'x-mock-admin-token': TOKEN } })
  t.equal(header.statusCode, 200)
  t.notOk(header.body.includes(TOKEN))
})

t.test('without a token the test-control API is open', async t => {
  const app = await build(t)
  t.equal((await app.inject({ method: 'POST', url: '/__mock/reset' })).statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: '/__mock/health', headers: { authorization: 'Bearer whatever' } })).statusCode, 200)
})

t.test('token helpers', async t => {
  t.equal(offeredAdminToken({ authorization: 'bearer  abc ' }), 'abc')
  t.equal(offeredAdminToken({ 'x-mock-admin-token': 'xyz', authorization: 'Bearer abc' }), 'xyz', 'the dedicated header wins')
  t.equal(offeredAdminToken({ authorization: 'ApiKey a:b' }), undefined)
  t.ok(hasAdminAccess({}, null))
  t.ok(hasAdminAccess({}, ''))
  t.notOk(hasAdminAccess({}, 't'))
  t.ok(hasAdminAccess({ authorization: 'Bearer t' }, 't'))
  t.notOk(hasAdminAccess({ authorization: 'Bearer tt' }, 't'))
})

t.test('health: liveness alone without the admin token, the details with it or with none configured', async t => {
  const app = await build(t, { adminToken: TOKEN })
  for (const headers of [{}, { authorization: 'Bearer nope' }, { 'x-mock-admin-token': 'nope' }, { authorization: ADMIN }]) {
    const res = await app.inject({ method: 'GET', url: '/__mock/health', headers })
    t.equal(res.statusCode, 200, `liveness with ${JSON.stringify(headers)}`)
    t.equal(res.body, '{"status":"ok"}', 'nothing but the status')
    t.equal(res.headers['www-authenticate'], undefined)
  }
  for (const headers of [{ authorization: `Bearer ${TOKEN}` }, { 'x-mock-admin-token': TOKEN }]) {
    const res = await app.inject({ method: 'GET', url: '/__mock/health', headers })
    t.equal(res.statusCode, 200)
    t.same(Object.keys(res.json()), ['status', 'version', 'uptime_seconds', 'domains', 'users'], 'the details with the token')
    t.match(res.json(), { status: 'ok', domains: 2, users: 7 })
  }
  const open = await build(t)
  const details = await open.inject({ method: 'GET', url: '/__mock/health' })
  t.match(details.json(), { status: 'ok', domains: 2, users: 7 }, 'no token configured: the details for everyone')
  t.type(details.json().version, 'string')
})

t.test('with an admin token, every other /__mock/ operation of openapi.yaml still needs it', async t => {
  const app = await build(t, { adminToken: TOKEN })
  // The inspector's page and its two files hold no data and are open (docs/TEST-CONTROL.md).
  const OPEN = new Set(['GET /__mock/health', 'GET /__mock/', 'GET /__mock/inspector/app.js', 'GET /__mock/inspector/style.css'])
  const operations = specOperations().filter(op => op.path.startsWith('/__mock'))
  t.ok(operations.length >= 25, `openapi.yaml lists the test-control API (${operations.length} operations)`)
  const OPEN_SEEN: string[] = []
  for (const { method, path } of operations) {
    const name = `${method.toUpperCase()} ${path}`
    const url = path.replace(/\{[^}]+\}/g, 'x')
    const res = await app.inject({ method: method.toUpperCase() as 'GET', url })
    if (OPEN.has(name)) {
      OPEN_SEEN.push(name)
      t.equal(res.statusCode, 200, `${name} is open`)
      continue
    }
    t.equal(res.statusCode, 401, `${name} without the token`)
    t.equal(res.headers['www-authenticate'], 'Bearer realm="commcare-hq-mock"', name)
  }
  t.same(OPEN_SEEN.sort(), [...OPEN].sort(), 'the open ones are exactly these')
})
