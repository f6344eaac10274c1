import t, { type Test } from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { build, ADMIN, JDOE } from '../helpers/app.js'

// What the request path remembers or defers (the match of an ApiKey header,
// a user's rendered answer, the journal's picking of headers, the request
// logger) must never show: each request over real HTTP sees the store as it
// is now, and the journal and the log say what they said before.

const DETAIL = `/a/demo/api/v0.5/user/${JDOE}/`
const TOKEN = 'hot-path-token'

async function serve (t: Test, options: Parameters<typeof build>[1] = {}) {
  const app = await build(t, { adminToken: TOKEN, ...options })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
  const get = async (path: string, headers: Record<string, string> = { authorization: ADMIN }): Promise<{ status: number, body: string, headers: Headers }> => {
    const res = await fetch(base + path, { headers })
    return { status: res.status, body: await res.text(), headers: res.headers }
  }
  return { app, base, get }
}

t.test('a remembered ApiKey header is checked against the store on every request', async t => {
  const { app, base, get } = await serve(t)
  const store = app.ctx.store
  const admin = (): NonNullable<ReturnType<typeof store.webUser>> => store.webUser('admin@example.org')!
  const key = () => admin().api_keys.find(k => k.key === 'demo-api-key')!
  t.equal((await get(DETAIL)).status, 200)
  t.equal((await get(DETAIL)).status, 200, 'again, from the remembered match')

  key().active = false
  const revoked = await get(DETAIL)
  t.equal(revoked.status, 401, 'a key revoked after use is refused at once')
  t.equal(revoked.headers.get('x-mock-reason'), 'the API key is inactive')
  key().active = true
  t.equal((await get(DETAIL)).status, 200)

  key().expiration_date = new Date(Date.now() + 400).toISOString()
  t.equal((await get(DETAIL)).status, 200, 'not expired yet')
  await sleep(600)
  const expired = await get(DETAIL)
  t.equal(expired.status, 401, 'expired while remembered: refused')
  t.match(expired.headers.get('x-mock-reason'), /^the API key expired at /)
  key().expiration_date = null

  admin().is_active = false
  t.equal((await get(DETAIL)).status, 401, 'an account deactivated after use is refused at once')
  admin().is_active = true

  key().domain = 'other'
  t.equal((await get(DETAIL)).status, 401, 'a key scoped to another domain after use')
  key().domain = null

  const original = key()
  original.key = 'demo-api-key-rotated'
  t.equal((await get(DETAIL)).status, 401, 'a key whose secret changed no longer matches the old header')
  t.equal((await get(DETAIL, { authorization: 'ApiKey admin@example.org:demo-api-key-rotated' })).status, 200, 'the new secret does')
  original.key = 'demo-api-key'

  const keys = admin().api_keys
  admin().api_keys = keys.filter(k => k !== original)
  t.equal((await get(DETAIL)).status, 401, 'a key taken from the user is refused')
  admin().api_keys = keys
  t.equal((await get(DETAIL)).status, 200)

  // A reset puts back the seed's web users: new objects, and the old ones are no longer the store's.
  const before = admin()
  before.api_keys.find(k => k.key === 'demo-api-key')!.active = false
  const reset = await fetch(`${base}/__mock/reset`, { method: 'POST', headers: { 'x-mock-admin-token': TOKEN } })
  t.equal(reset.status, 200)
  t.not(admin(), before, 'the reset made new web users')
  t.equal((await get(DETAIL)).status, 200, 'the seed\'s active key works again')
})

t.test('a rendered answer is dropped when the domain changes', async t => {
  const { base, get } = await serve(t)
  const first = JSON.parse((await get(DETAIL)).body)
  const put = await fetch(base + DETAIL, { method: 'PUT', headers: { authorization: ADMIN, 'content-type': 'application/json' }, body: JSON.stringify({ first_name: 'Renamed' }) })
  t.equal(put.status, 200)
  const after = JSON.parse((await get(DETAIL)).body)
  t.not(first.first_name, 'Renamed')
  t.equal(after.first_name, 'Renamed')
  const v1 = JSON.parse((await get(`/a/demo/api/user/v1/${JDOE}/`)).body)
  t.equal(v1.first_name, 'Renamed')
  t.match(v1.resource_uri, /\/api\/user\/v1\//, 'each URL style has its own answer')
  t.match(after.resource_uri, /\/api\/v0\.5\/user\//)
})

t.test('a GET with a form content type and no credentials is refused at once', async t => {
  const { get } = await serve(t)
  const res = await get(DETAIL, { 'content-type': 'application/x-www-form-urlencoded' })
  t.equal(res.status, 401)
  t.match(res.headers.get('www-authenticate'), /^Digest /)
})

t.test('the journal shows headers and query as sent, picked and redacted, however often it is read', async t => {
  const { get } = await serve(t)
  const res = await get(`${DETAIL}?api_key=secret-in-query&format=json`, { authorization: ADMIN, 'user-agent': 'hot-path/1', 'x-other': 'not kept' })
  t.equal(res.status, 200)
  const read = async () => JSON.parse((await get('/__mock/requests?limit=1', { 'x-mock-admin-token': TOKEN })).body).requests[0]
  const entry = await read()
  t.same(entry.request.headers, { authorization: 'ApiKey admin@example.org:[redacted]', accept: '*/*', 'user-agent': 'hot-path/1' })
  t.same(entry.query, { api_key: '[redacted]', format: 'json' })
  t.same(entry.response.headers, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(res.body)) })
  t.equal(entry.response.status, 200)
  t.same(await read(), entry, 'a second read shows the same')
  t.notOk(JSON.stringify(entry).includes('demo-api-key'))
  t.notOk(JSON.stringify(entry).includes('secret-in-query'))
})

t.test('request loggers: made only when a line is written, with the request id', async t => {
  const lines: string[] = []
  const { app, base, get } = await serve(t, { logger: { level: 'warn', stream: { write: (l: string) => { lines.push(l) } } } })
  t.equal((await get(DETAIL)).status, 200)
  t.same(lines, [], 'nothing logged at warn for a good request')
  const missing = `/a/demo/api/v0.5/user/${'f'.repeat(32)}/`
  const failed = await fetch(base + missing, { method: 'PUT', headers: { authorization: ADMIN, 'content-type': 'application/json' }, body: '{}' })
  t.equal(failed.status, 500)
  t.equal(lines.length, 1, 'a 500 is logged at warn')
  const error = JSON.parse(lines[0]) as { reqId?: string, level: number }
  t.ok(error.reqId, 'with its request id')
  t.equal(error.level, 50)
  lines.length = 0
  app.log.level = 'info'
  t.equal((await get(DETAIL)).status, 200)
  const logged = lines.map(l => JSON.parse(l) as { reqId?: string, msg: string, req?: { url: string } })
  const incoming = logged.find(l => l.msg === 'incoming request')
  const completed = logged.find(l => l.msg === 'request completed')
  t.ok(incoming?.reqId, 'the request id is bound')
  t.equal(incoming?.reqId, completed?.reqId)
  t.equal(incoming?.req?.url, DETAIL)
})
