import t from 'tap'
import { build, ADMIN, JDOE, BRIAN, GROUP_NORTH } from '../helpers/app.js'
import { SLASH_WARNING } from '../../src/http/resource.js'
import { startProcess } from '../helpers/process.js'

// A CommCare URL without its trailing slash (BEHAVIOR.md §1, [R2 §C.6]): HQ's
// Django APPEND_SLASH answers 301 for every method, before the method, the
// domain and the credentials are checked.

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const

const URLS = [
  '/a/demo/api/v0.5/user',
  '/a/demo/api/user/v1',
  `/a/demo/api/v0.5/user/${JDOE}`,
  `/a/demo/api/user/v1/${BRIAN}/deactivate`,
  '/a/demo/api/v0.5/group',
  `/a/demo/api/group/v1/${GROUP_NORTH}`,
  '/a/demo/api/location/v2',
  '/api/v0.5/identity',
  '/api/identity/v1',
  '/api/v0.5/user_domains',
  '/api/user_domains/v1'
]

t.test('every method on a slash-less URL: 301, empty body, relative Location, before 405 and authentication', async t => {
  const app = await build(t)
  const before = JSON.stringify(app.ctx.store.exportState())
  for (const url of URLS) {
    for (const method of METHODS) {
      const res = await app.inject({ method, url })
      const name = `${method} ${url}`
      t.equal(res.statusCode, 301, name)
      t.equal(res.headers.location, `${url}/`, `${name}: Location`)
      t.equal(res.body, '', `${name}: empty body`)
      t.equal(res.headers['content-type'], undefined, `${name}: no content type`)
      t.match(res.headers['x-mock-reason'], /trailing '\/'.*301/, `${name}: X-Mock-Reason`)
      t.equal(res.headers['www-authenticate'], undefined, `${name}: no challenge (before authentication)`)
      t.equal(res.headers.allow, undefined, `${name}: not the 405 answer`)
    }
  }
  t.ok(JSON.stringify(app.ctx.store.exportState()) === before, 'nothing changed')
})

t.test('the query string is kept; credentials, domain and body do not matter', async t => {
  const app = await build(t)
  const cases: Array<{ name: string, url: string, location: string, headers?: Record<string, string> }> = [
    { name: 'a query string', url: '/a/demo/api/v0.5/user?limit=1&offset=2', location: '/a/demo/api/v0.5/user/?limit=1&offset=2' },
    { name: 'credentials in the query', url: '/a/demo/api/v0.5/user?username=admin@example.org&api_key=demo-api-key', location: '/a/demo/api/v0.5/user/?username=admin@example.org&api_key=demo-api-key' },
    { name: 'an empty query', url: '/a/demo/api/v0.5/user?', location: '/a/demo/api/v0.5/user/' },
    { name: 'valid credentials', url: '/a/demo/api/v0.5/user', location: '/a/demo/api/v0.5/user/', headers: { authorization: ADMIN } },
    { name: 'wrong credentials', url: '/a/demo/api/v0.5/user', location: '/a/demo/api/v0.5/user/', headers: { authorization: 'ApiKey admin@example.org:wrong' } },
    { name: 'a domain that does not exist', url: '/a/nodomain/api/v0.5/user', location: '/a/nodomain/api/v0.5/user/' },
    { name: 'percent-encoding kept', url: '/a/demo/api/v0.5/user/a%20b?q=%C3%A9', location: '/a/demo/api/v0.5/user/a%20b/?q=%C3%A9' }
  ]
  for (const c of cases) {
    const res = await app.inject({ method: 'GET', url: c.url, headers: c.headers })
    t.equal(res.statusCode, 301, c.name)
    t.equal(res.headers.location, c.location, `${c.name}: Location`)
  }
})

t.test('a POST to the slash-less list URL creates nothing; following the redirect as clients do loses the body', async t => {
  const app = await build(t)
  const count = () => app.ctx.store.domain('demo')!.doc.users.length
  const users = count()
  const post = await app.inject({
    method: 'POST',
    url: '/a/demo/api/v0.5/user',
    headers: { authorization: ADMIN, 'content-type': 'application/json' },
    payload: { username: 'slashless', password: 'pw-slashless' }
  })
  t.equal(post.statusCode, 301)
  t.equal(post.headers.location, '/a/demo/api/v0.5/user/')
  t.equal(post.body, '')
  t.equal(count(), users, 'nothing created')
  // What requests / fetch do with a 301 to a POST: a GET of the Location, without the body.
  const followed = await app.inject({ method: 'GET', url: post.headers.location as string, headers: { authorization: ADMIN } })
  t.equal(followed.statusCode, 200, 'the followed redirect lists the users instead of creating one')
  t.notOk(followed.json().objects.some((u: { username: string }) => u.username.startsWith('slashless')))
  const put = await app.inject({ method: 'PUT', url: `/a/demo/api/v0.5/user/${JDOE}`, headers: { authorization: ADMIN, 'content-type': 'application/json' }, payload: { first_name: 'Changed' } })
  t.equal(put.statusCode, 301)
  t.equal(app.ctx.store.domain('demo')!.usersById.get(JDOE)!.first_name, 'Jane', 'a PUT there changes nothing')
})

t.test('only where the slashed URL is a route; the slashed URL itself is unaffected', async t => {
  const app = await build(t)
  for (const url of ['/a/demo/api/v0.6/user', '/a/demo/api/v0.5', '/api/v0.5/nothing', '/a/demo/api/user/v2']) {
    const res = await app.inject({ method: 'GET', url, headers: { authorization: ADMIN } })
    t.equal(res.statusCode, 404, url)
    t.equal(res.headers.location, undefined, `${url}: no Location`)
  }
  const ok = await app.inject({ method: 'GET', url: '/a/demo/api/v0.5/user/', headers: { authorization: ADMIN } })
  t.equal(ok.statusCode, 200)
  t.equal(ok.headers['x-mock-warning'], undefined)
  const health = await app.inject({ method: 'GET', url: '/__mock/health' })
  t.equal(health.statusCode, 200, 'the test-control API is not a CommCare URL')
})

t.test('the request journal records the 301s', async t => {
  const app = await build(t)
  await app.inject({ method: 'POST', url: '/a/demo/api/v0.5/user?x=1', headers: { authorization: ADMIN, 'content-type': 'application/json' }, payload: { username: 'j' } })
  const journal = await app.inject({ method: 'GET', url: '/__mock/requests?status=301' })
  const entries = journal.json().requests ?? journal.json()
  const entry = (Array.isArray(entries) ? entries : []).find((e: { path: string }) => e.path === '/a/demo/api/v0.5/user')
  t.ok(entry !== undefined, 'the 301 is in the journal')
  t.equal(entry?.status, 301)
  t.equal(entry?.response?.headers?.location, '/a/demo/api/v0.5/user/?x=1')
  t.match(entry?.reason, /trailing/)
})

t.test("slashless: 'serve' answers the slash-less URL directly, with X-Mock-Warning", async t => {
  const app = await build(t, { slashless: 'serve' })
  const get = await app.inject({ method: 'GET', url: `/a/demo/api/v0.5/user/${JDOE}`, headers: { authorization: ADMIN } })
  t.equal(get.statusCode, 200)
  t.equal(get.json().id, JDOE)
  t.equal(get.headers['x-mock-warning'], SLASH_WARNING)
  t.equal(SLASH_WARNING, "HQ answers this URL with a 301 to the one ending in '/'; a client following the redirect resends a POST or PUT as a GET without its body")
  const post = await app.inject({ method: 'POST', url: '/a/demo/api/user/v1', headers: { authorization: ADMIN, 'content-type': 'application/json' }, payload: { username: 'served', password: 'pw-served' } })
  t.equal(post.statusCode, 201, 'a POST there creates')
  t.equal(post.headers['x-mock-warning'], SLASH_WARNING)
  const patch = await app.inject({ method: 'PATCH', url: '/a/demo/api/v0.5/user' })
  t.equal(patch.statusCode, 405, '405 as for the slashed URL')
  t.equal(patch.headers['x-mock-warning'], SLASH_WARNING)
  const none = await app.inject({ method: 'GET', url: '/a/demo/api/v0.5/user' })
  t.equal(none.statusCode, 401)
  const slashed = await app.inject({ method: 'GET', url: '/a/demo/api/v0.5/user/', headers: { authorization: ADMIN } })
  t.equal(slashed.headers['x-mock-warning'], undefined, 'no warning with the slash')
})

t.test('the real process: 301 by default, --slashless serve and MOCK_SLASHLESS=serve', async t => {
  const plain = await startProcess(['--in-memory'])
  t.teardown(async () => { plain.child.kill('SIGTERM'); await plain.exited })
  const res = await fetch(`${plain.url}/a/demo/api/v0.5/user?limit=1`, { headers: { authorization: ADMIN }, redirect: 'manual' })
  t.equal(res.status, 301)
  t.equal(res.headers.get('location'), '/a/demo/api/v0.5/user/?limit=1')
  t.equal(await res.text(), '')
  for (const [args, env] of [[['--in-memory', '--slashless', 'serve'], {}], [['--in-memory'], { MOCK_SLASHLESS: 'serve' }]] as const) {
    const server = await startProcess([...args], { ...env })
    t.teardown(async () => { server.child.kill('SIGTERM'); await server.exited })
    const served = await fetch(`${server.url}/a/demo/api/v0.5/user?limit=1`, { headers: { authorization: ADMIN }, redirect: 'manual' })
    t.equal(served.status, 200, `${args.join(' ')} ${JSON.stringify(env)}`)
    t.equal(served.headers.get('x-mock-warning'), SLASH_WARNING)
    t.match(server.output(), /--slashless serve/, 'the banner says so')
  }
})
