import t from 'tap'
import { build, ADMIN } from '../helpers/app.js'
import { startProcess } from '../helpers/process.js'
import { RateLimiter } from '../../src/commcare/rate-limit.js'

const H = { authorization: ADMIN }

t.test('5 per minute on demo: the 6th request is 429 with an empty body; other is unaffected', async t => {
  const app = await build(t, { rateLimits: { demo: 5 } })
  const urls = ['/a/demo/api/v0.5/user/', '/a/demo/api/group/v1/', '/a/demo/api/v0.5/group/', '/a/demo/api/user/v1/', '/a/demo/api/v0.5/user/3c5a623af057e23a32ae4000cf291339/']
  for (const url of urls) t.equal((await app.inject({ method: 'GET', url, headers: H })).statusCode, 200, url)
  const sixth = await app.inject({ method: 'GET', url: '/a/demo/api/v0.5/user/', headers: H })
  t.equal(sixth.statusCode, 429)
  t.equal(sixth.body, '')
  t.equal(sixth.headers['content-type'], undefined)
  t.equal(sixth.headers['retry-after'], undefined, 'no Retry-After unless configured (HQ sends none)')
  t.match(sixth.headers['x-mock-reason'], /5 requests per minute/)
  const write = await app.inject({ method: 'POST', url: '/a/demo/api/v0.5/user/', headers: H, payload: { username: 'limited', password: 'pw' } })
  t.equal(write.statusCode, 429, 'writes count against the same limit')
  for (let i = 0; i < 10; i++) t.equal((await app.inject({ method: 'GET', url: '/a/other/api/v0.5/user/', headers: H })).statusCode, 200, `other #${i + 1}`)
  t.equal((await app.inject({ method: 'GET', url: '/api/v0.5/identity/', headers: H })).statusCode, 200, 'identity is not domain-scoped, so not limited')
  t.equal((await app.inject({ method: 'GET', url: '/a/demo/api/location/v2/', headers: H })).statusCode, 200, 'locations are never limited')
  const noAuth = await app.inject({ method: 'GET', url: '/a/demo/api/v0.5/user/' })
  t.equal(noAuth.statusCode, 401, 'authentication is checked before the rate limit')
  const notAllowed = await app.inject({ method: 'PATCH', url: '/a/demo/api/v0.5/user/', headers: H })
  t.equal(notAllowed.statusCode, 405, '405 comes before the rate limit')
  const bearer = await app.inject({ method: 'GET', url: '/a/demo/api/v0.5/user/?limit=100', headers: { authorization: 'Bearer demo-bearer-token' } })
  t.equal(bearer.statusCode, 429, 'the limit is per domain, whatever the credentials')
})

t.test('refused requests do not count; identity and user_domains are never limited', async t => {
  const app = await build(t, { rateLimits: { demo: 2, other: 1 } })
  const refused = [
    { method: 'GET' as const, url: '/a/demo/api/v0.5/user' },
    { method: 'PATCH' as const, url: '/a/demo/api/v0.5/user/', headers: H },
    { method: 'GET' as const, url: '/a/demo/api/v0.5/user/' },
    { method: 'GET' as const, url: '/a/demo/api/v0.5/user/', headers: { authorization: 'ApiKey admin@example.org:other-only-key' } },
    { method: 'GET' as const, url: '/a/demo/api/v0.5/user/', headers: { authorization: 'ApiKey viewer@example.org:viewer-api-key' } }
  ]
  const statuses = []
  for (let i = 0; i < 3; i++) for (const r of refused) statuses.push((await app.inject(r)).statusCode)
  t.same(statuses, [301, 405, 401, 401, 403, 301, 405, 401, 401, 403, 301, 405, 401, 401, 403], 'a 301, 405, 401 or 403 is answered before the limit')
  t.equal((await app.inject({ method: 'GET', url: '/a/demo/api/v0.5/user/', headers: H })).statusCode, 200, 'and none of them counted')
  t.equal((await app.inject({ method: 'GET', url: '/a/demo/api/v0.5/user/', headers: H })).statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: '/a/demo/api/v0.5/user/', headers: H })).statusCode, 429)
  for (let i = 0; i < 5; i++) {
    t.equal((await app.inject({ method: 'GET', url: '/api/user_domains/v1/', headers: H })).statusCode, 200, `user_domains #${i + 1}`)
    t.equal((await app.inject({ method: 'GET', url: '/api/identity/v1/', headers: { authorization: 'ApiKey admin@example.org:other-only-key' } })).statusCode, 200, `identity with a key scoped to a limited domain #${i + 1}`)
  }
})

t.test('Retry-After only when configured', async t => {
  const app = await build(t, { rateLimits: { demo: 1 }, retryAfter: 42 })
  t.equal((await app.inject({ method: 'GET', url: '/a/demo/api/v0.5/user/', headers: H })).statusCode, 200)
  const limited = await app.inject({ method: 'GET', url: '/a/demo/api/v0.5/user/', headers: H })
  t.equal(limited.statusCode, 429)
  t.equal(limited.headers['retry-after'], '42')
  t.equal(limited.body, '')
})

t.test("the seed's rate_limit_per_minute applies; configuration overrides it", async t => {
  const app = await build(t)
  app.ctx.store.domain('other')!.doc.rate_limit_per_minute = 2
  const get = () => app.inject({ method: 'GET', url: '/a/other/api/v0.5/user/', headers: H })
  t.equal((await get()).statusCode, 200)
  t.equal((await get()).statusCode, 200)
  t.equal((await get()).statusCode, 429)
  const app2 = await build(t, { rateLimits: { other: 10 } })
  app2.ctx.store.domain('other')!.doc.rate_limit_per_minute = 2
  for (let i = 0; i < 3; i++) t.equal((await app2.inject({ method: 'GET', url: '/a/other/api/v0.5/user/', headers: H })).statusCode, 200)
})

t.test('the window slides: a slot frees 60 s after the oldest request', async t => {
  const limiter = new RateLimiter()
  const t0 = 1_000_000
  for (let i = 0; i < 5; i++) t.equal(limiter.take('demo', 5, t0 + i * 1000), 0)
  t.equal(limiter.take('demo', 5, t0 + 10_000), 50, 'the wait until the oldest leaves the window, in seconds')
  t.equal(limiter.take('other', 5, t0 + 10_000), 0, 'per domain')
  t.equal(limiter.take('demo', 5, t0 + 60_001), 0, 'the oldest has left the window')
  t.ok(limiter.take('demo', 5, t0 + 60_002) > 0)
})

t.test('--rate-limit demo=5 on the real server process', async t => {
  const server = await startProcess(['--in-memory', '--rate-limit', 'demo=5'])
  t.teardown(async () => { server.child.kill('SIGTERM'); await server.exited })
  const get = (d: string) => fetch(`${server.url}/a/${d}/api/v0.5/user/`, { headers: H })
  for (let i = 0; i < 5; i++) t.equal((await get('demo')).status, 200)
  const sixth = await get('demo')
  t.equal(sixth.status, 429)
  t.equal(await sixth.text(), '')
  t.equal(sixth.headers.get('retry-after'), null)
  t.equal((await get('other')).status, 200)
})
