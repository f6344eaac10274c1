import t from 'tap'
import { build, ADMIN, VIEWER, OTHER_ONLY, OTHER_ADMIN, JDOE, CANNED_500 } from '../helpers/app.js'

const USER = `/a/demo/api/v0.5/user/${JDOE}/`

t.test('routing: 405 before auth, OPTIONS, 404s, trailing slash', async t => {
  const app = await build(t)
  const patch = await app.inject({ method: 'PATCH', url: USER })
  t.equal(patch.statusCode, 405, 'PATCH without credentials is 405, not 401')
  t.equal(patch.headers.allow, 'GET, PUT, DELETE')
  t.equal(patch.body, 'GET, PUT, DELETE')
  t.ok(patch.headers['x-mock-reason'])
  const head = await app.inject({ method: 'HEAD', url: USER })
  t.equal(head.statusCode, 405)
  const opts = await app.inject({ method: 'OPTIONS', url: '/a/demo/api/user/v1/' })
  t.equal(opts.statusCode, 200)
  t.equal(opts.headers.allow, 'GET, POST')
  for (const url of ['/a/nodomain/api/v0.5/user/', '/a/demo/api/v0.6/user/', '/a/demo/api/v0.5/', '/a/demo/api/user/v2/', '/nothing']) {
    const res = await app.inject({ method: 'GET', url, headers: { authorization: ADMIN } })
    t.equal(res.statusCode, 404, url)
    t.equal(res.body, '', `${url}: empty body`)
    t.ok(res.headers['x-mock-reason'])
  }
  const slashless = await app.inject({ method: 'GET', url: `/a/demo/api/v0.5/user/${JDOE}`, headers: { authorization: ADMIN } })
  t.equal(slashless.statusCode, 301, 'a URL without its trailing slash: HQ\'s 301 (more in slashless.test.ts)')
  t.equal(slashless.headers.location, `/a/demo/api/v0.5/user/${JDOE}/`)
  t.notOk(slashless.headers['x-mock-warning'])
  const slashed = await app.inject({ method: 'GET', url: USER, headers: { authorization: ADMIN } })
  t.notOk(slashed.headers['x-mock-warning'])
  t.equal(slashed.headers['access-control-allow-origin'], '*')
})

t.test('format', async t => {
  const app = await build(t)
  const json = await app.inject({ method: 'GET', url: `${USER}?format=json`, headers: { authorization: ADMIN } })
  t.equal(json.statusCode, 200)
  const xml = await app.inject({ method: 'GET', url: `${USER}?format=xml`, headers: { authorization: ADMIN } })
  t.equal(xml.statusCode, 400)
  t.strictSame(xml.json(), { error: 'The mock serves JSON only' })
})

t.test('authentication and permission (BEHAVIOR §2)', async t => {
  const app = await build(t)
  const basic = (u: string, p: string) => 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64')
  const cases: Array<{ name: string, url?: string, headers?: Record<string, string>, query?: string, status: number, body?: unknown }> = [
    { name: 'ApiKey', headers: { authorization: ADMIN }, status: 200 },
    { name: 'ApiKey, scheme in lower case', headers: { authorization: 'apikey admin@example.org:demo-api-key' }, status: 200 },
    { name: 'ApiKey, scheme in upper case', headers: { authorization: 'APIKEY admin@example.org:demo-api-key' }, status: 200 },
    { name: 'query parameters', query: '?username=admin@example.org&api_key=demo-api-key', status: 200 },
    { name: 'Basic', headers: { authorization: basic('admin@example.org', 'password') }, status: 200 },
    { name: 'Bearer', headers: { authorization: 'Bearer demo-bearer-token' }, status: 200 },
    { name: 'no credentials', status: 401 },
    { name: 'wrong key', headers: { authorization: 'ApiKey admin@example.org:wrong' }, status: 401 },
    { name: 'unknown user', headers: { authorization: 'ApiKey nobody@example.org:demo-api-key' }, status: 401 },
    { name: 'inactive key', headers: { authorization: 'ApiKey admin@example.org:revoked-api-key' }, status: 401 },
    { name: 'wrong password', headers: { authorization: basic('admin@example.org', 'nope') }, status: 401 },
    { name: 'query key without username', query: '?api_key=demo-api-key', status: 401 },
    { name: 'ApiKey without a colon', headers: { authorization: 'ApiKey demo-api-key' }, status: 400, body: { error: 'Bad HTTP_AUTHORIZATION header' } },
    { name: 'a key scoped to another domain (401, not 403)', headers: { authorization: OTHER_ONLY }, status: 401 },
    { name: 'an expired key', headers: { authorization: 'ApiKey admin@example.org:expired-api-key' }, status: 401 },
    { name: 'a key used from outside its IP allowlist', headers: { authorization: 'ApiKey admin@example.org:allowlisted-api-key' }, status: 401 },
    { name: 'a key used from its allowlisted IP', headers: { authorization: 'ApiKey admin@example.org:allowlisted-api-key', 'x-forwarded-for': '203.0.113.7' }, status: 200 },
    { name: 'a role-scoped key whose role lacks edit_commcare_users', headers: { authorization: 'ApiKey admin@example.org:reader-role-key' }, status: 403 },
    { name: 'an API key as the Basic password', headers: { authorization: basic('admin@example.org', 'demo-api-key') }, status: 200 },
    { name: 'an inactive web user account', headers: { authorization: 'ApiKey locked@example.org:inactive-account-key' }, status: 401 },
    { name: 'a membership deactivated in this domain', headers: { authorization: 'ApiKey former@example.org:former-api-key' }, status: 403 },
    { name: 'a member without edit_commcare_users', headers: { authorization: VIEWER }, status: 403 },
    { name: 'a web user who is not a member', headers: { authorization: OTHER_ADMIN }, status: 403 },
    { name: 'a mobile worker\'s credentials', headers: { authorization: basic('jdoe@demo.commcarehq.org', 'jdoe-password') }, status: 403 },
    { name: 'a mobile worker with a wrong password', headers: { authorization: basic('jdoe@demo.commcarehq.org', 'x') }, status: 401 },
    { name: 'the other-scoped key in its own domain', url: '/a/other/api/v0.5/user/', headers: { authorization: OTHER_ONLY }, status: 200 }
  ]
  for (const c of cases) {
    const res = await app.inject({ method: 'GET', url: (c.url ?? '/a/demo/api/v0.5/user/') + (c.query ?? ''), headers: c.headers })
    t.equal(res.statusCode, c.status, c.name)
    if (c.status === 401 || c.status === 403) {
      t.equal(res.body, '', `${c.name}: empty body`)
      t.ok(res.headers['x-mock-reason'], `${c.name}: X-Mock-Reason`)
    }
    if (c.body !== undefined) t.strictSame(res.json(), c.body, c.name)
  }
  const none = await app.inject({ method: 'GET', url: '/a/demo/api/v0.5/user/' })
  t.match(none.headers['www-authenticate'], /^Digest realm="[^"]+", nonce="[^"]+", algorithm="MD5", qop="auth"$/)
  const put = await app.inject({ method: 'PUT', url: USER, headers: { authorization: VIEWER, 'content-type': 'application/json' }, payload: '{' })
  t.equal(put.statusCode, 403, 'permission is checked before the body is read')
})

t.test('auth switched off', async t => {
  const app = await build(t, { auth: false })
  const res = await app.inject({ method: 'GET', url: '/a/other/api/v0.5/user/' })
  t.equal(res.statusCode, 200)
})

t.test('body errors (BEHAVIOR §4, §8)', async t => {
  const app = await build(t, { bodyLimit: 2048 })
  const put = (payload: string | undefined, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    app.inject({ method: 'PUT', url: USER, headers: { authorization: ADMIN, ...headers }, payload })
  const notJson = { error: 'Request is not valid JSON.' }
  const notObject = { error: 'The request body must be a JSON object.' }
  const cases: Array<[string, Promise<{ statusCode: number, body: string, headers: Record<string, unknown> }>, number, unknown]> = [
    ['malformed JSON', put('{"first_name": '), 400, notJson],
    ['empty body with a JSON type', put(''), 400, notJson],
    ['no body at all', put(undefined, {}), 400, notJson],
    ['an array', put('[1, 2]'), 400, notObject],
    ['a string', put('"x"'), 400, notObject],
    ['null', put('null'), 400, notObject],
    ['a number', put('5'), 400, notObject],
    ['JSON with a charset parameter', put('{"first_name": "A"}', { 'content-type': 'application/json; charset=utf-8' }), 200, undefined],
    ['no Content-Type is read as JSON', put('{"first_name": "B"}', {}), 200, undefined],
    ['form encoding', put('first_name=x', { 'content-type': 'application/x-www-form-urlencoded' }), 415, CANNED_500],
    ['text/plain', put('{}', { 'content-type': 'text/plain' }), 415, CANNED_500],
    ['over the body limit', put(JSON.stringify({ first_name: 'x'.repeat(4096) })), 413, undefined]
  ]
  for (const [name, pending, status, body] of cases) {
    const res = await pending
    t.equal(res.statusCode, status, name)
    if (status !== 200) t.ok(res.headers['x-mock-reason'], `${name}: X-Mock-Reason`)
    if (body !== undefined) t.strictSame(JSON.parse(res.body), body, name)
    if (status === 413) t.equal(res.body, '', `${name}: empty body`)
  }
})

t.test('deeply nested JSON is HQ\'s 500, and the server survives', async t => {
  const app = await build(t)
  const deep = '{"user_data": {"a": ' + '['.repeat(5000) + ']'.repeat(5000) + '}}'
  const res = await app.inject({ method: 'PUT', url: USER, headers: { authorization: ADMIN, 'content-type': 'application/json' }, payload: deep })
  t.equal(res.statusCode, 500)
  t.strictSame(res.json(), CANNED_500)
  const ok = await app.inject({ method: 'GET', url: USER, headers: { authorization: ADMIN } })
  t.equal(ok.statusCode, 200)
})

t.test('rate limit of a domain (BEHAVIOR §10)', async t => {
  const app = await build(t, { rateLimits: { demo: 2 }, retryAfter: 30 })
  const get = (url: string) => app.inject({ method: 'GET', url, headers: { authorization: ADMIN } })
  t.equal((await get('/a/demo/api/v0.5/user/')).statusCode, 200)
  t.equal((await get('/a/demo/api/v0.5/user/')).statusCode, 200)
  const limited = await get('/a/demo/api/v0.5/user/')
  t.equal(limited.statusCode, 429)
  t.equal(limited.body, '')
  t.equal(limited.headers['retry-after'], '30')
  t.equal((await get('/a/other/api/v0.5/user/')).statusCode, 200, 'another domain is unaffected')
})

t.test('a method HQ answers with 405, or a DELETE, ignores a bad body', async t => {
  const app = await build(t)
  const patch = await app.inject({ method: 'PATCH', url: USER, headers: { 'content-type': 'application/json' }, payload: '{bad' })
  t.equal(patch.statusCode, 405)
  const form = await app.inject({ method: 'PATCH', url: USER, headers: { 'content-type': 'text/plain' }, payload: 'x' })
  t.equal(form.statusCode, 405)
  const del = await app.inject({ method: 'DELETE', url: USER, headers: { authorization: ADMIN, 'content-type': 'application/json' }, payload: '{bad' })
  t.equal(del.statusCode, 204)
})
