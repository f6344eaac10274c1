import t from 'tap'
import fc from 'fast-check'
import { build, ADMIN, JDOE, MARY } from '../helpers/app.js'
import { Journal, JOURNAL_BODY_LIMIT, REQUEST_HEADERS, pickHeaders, requestHeadersOf, type RawEntry } from '../../src/mock/journal.js'
import { redactAuthorization, redactValue } from '../../src/mock/redact.js'
import { pathMatcher } from '../../src/mock/match.js'

const JSON_HEADERS = { authorization: ADMIN, 'content-type': 'application/json' }
const user = (domain: string, id: string): string => `/a/${domain}/api/v0.5/user/${id}/`

type App = Awaited<ReturnType<typeof build>>

async function journal (app: App, query = '') {
  const res = await app.inject({ method: 'GET', url: `/__mock/requests${query}` })
  t.equal(res.statusCode, 200, `GET /__mock/requests${query}`)
  return res.json()
}

t.test('an entry shows the request and the answer, newest first', async t => {
  const app = await build(t)
  const put = await app.inject({ method: 'PUT', url: user('demo', JDOE) + '?format=json', headers: { ...JSON_HEADERS, 'user-agent': 'my-client/1.0' }, payload: { first_name: 'Journaled' } })
  t.equal(put.statusCode, 200)
  await app.inject({ method: 'GET', url: user('demo', JDOE), headers: { authorization: ADMIN } })
  await app.inject({ method: 'GET', url: '/__mock/health' })

  const body = await journal(app)
  t.equal(body.total, 2, 'the test-control API itself is not journaled')
  t.equal(body.capacity, 1000)
  const [get, entry] = body.requests
  t.equal(get.method, 'GET')
  t.ok(get.id > entry.id)
  t.match(entry, {
    method: 'PUT',
    path: user('demo', JDOE),
    query: { format: 'json' },
    domain: 'demo',
    status: 200,
    request: {
      headers: { 'content-type': 'application/json', 'user-agent': 'my-client/1.0', authorization: 'ApiKey admin@example.org:[redacted]' },
      body: { first_name: 'Journaled' }
    },
    response: { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' } },
    reason: null,
    fault: null
  })
  t.equal(entry.response.body.first_name, 'Journaled', 'the answer is parsed JSON')
  t.equal(entry.response.body.id, JDOE)
  t.type(entry.duration_ms, 'number')
  t.ok(entry.duration_ms >= 0)
  t.ok(Math.abs(Date.parse(entry.time) - Date.now()) < 60_000, 'time is an ISO time of now')
})

t.test('401, 404 and 405 answers are journaled with their reason', async t => {
  const app = await build(t)
  await app.inject({ method: 'GET', url: user('demo', JDOE) })
  await app.inject({ method: 'GET', url: user('nope', JDOE), headers: { authorization: ADMIN } })
  await app.inject({ method: 'PATCH', url: user('demo', JDOE), headers: { authorization: ADMIN } })
  await app.inject({ method: 'GET', url: '/no/such/route' })
  const { requests } = await journal(app)
  t.same(requests.map((e: { status: number }) => e.status), [404, 405, 404, 401])
  t.equal(requests[3].request.body, null, 'a 401 never read the body')
  t.match(requests[3].response.headers['www-authenticate'], /^Digest /)
  t.match(requests[3].reason, /no credentials/)
  t.match(requests[1].response.headers.allow, /GET/)
  t.equal(requests[2].domain, 'nope')
  t.equal(requests[0].domain, null)
})

t.test('redaction: a PUT with a password and an ApiKey header shows neither secret', async t => {
  const app = await build(t)
  const password = 'Sup3r-Secret-Pw!'
  const apiKey = 'demo-api-key'
  const res = await app.inject({
    method: 'PUT',
    url: user('demo', JDOE),
    headers: { authorization: `ApiKey admin@example.org:${apiKey}`, 'content-type': 'application/json' },
    payload: { first_name: 'Pw', password, user_data: { nested: { password: 'data-secret', token: 'tok-123', ok: 'visible' } } }
  })
  t.equal(res.statusCode, 200)
  // Query-string credentials, Basic, Bearer and Digest too.
  await app.inject({ method: 'GET', url: `${user('demo', JDOE)}?username=admin@example.org&api_key=${apiKey}` })
  await app.inject({ method: 'GET', url: user('demo', JDOE), headers: { authorization: 'Basic ' + Buffer.from(`admin@example.org:${password}`).toString('base64') } })
  await app.inject({ method: 'GET', url: user('demo', JDOE), headers: { authorization: 'Bearer demo-bearer-token' } })
  await app.inject({ method: 'GET', url: user('demo', JDOE), headers: { authorization: 'Digest username="admin@example.org", realm="commcarehq", response="abcdef0123456789"' } })

  const raw = (await app.inject({ method: 'GET', url: '/__mock/requests' })).body
  for (const secret of [password, apiKey, 'data-secret', 'tok-123', 'demo-bearer-token', 'abcdef0123456789', Buffer.from(`admin@example.org:${password}`).toString('base64')]) {
    t.notOk(raw.includes(secret), `${secret} does not appear`)
  }
  const { requests } = JSON.parse(raw)
  const putEntry = requests.find((e: { method: string }) => e.method === 'PUT')
  t.same(putEntry.request.body, { first_name: 'Pw', password: '[redacted]', user_data: { nested: { password: '[redacted]', token: '[redacted]', ok: 'visible' } } })
  t.equal(putEntry.request.headers.authorization, 'ApiKey admin@example.org:[redacted]')
  const auths = requests.map((e: { request: { headers: { authorization?: string } } }) => e.request.headers.authorization)
  t.ok(auths.includes('Basic [redacted]'))
  t.ok(auths.includes('Bearer [redacted]'))
  t.ok(auths.includes('Digest username="admin@example.org", [redacted]'))
  const queryEntry = requests.find((e: { query: Record<string, string> }) => e.query.api_key !== undefined)
  t.same(queryEntry.query, { username: 'admin@example.org', api_key: '[redacted]' })
  t.notOk(JSON.stringify((await app.inject({ method: 'GET', url: '/__mock/requests/count' })).json()).includes(password))

  // Not only what it shows: the entries as the journal keeps them hold no credential either. (The PUT's
  // answer, kept as sent, carries the worker's user_data; it is redacted when shown, as above.)
  const kept = (Reflect.get(app.mock.journal, 'buffer') as unknown[]).filter(e => e !== undefined)
  t.equal(kept.length, 5, 'five entries kept')
  const texts: string[] = []
  const seen = new Set<unknown>()
  const walk = (v: unknown): void => {
    if (typeof v === 'string') texts.push(v)
    else if (Buffer.isBuffer(v)) texts.push(v.toString('utf8'))
    else if (typeof v === 'object' && v !== null && !seen.has(v)) {
      seen.add(v)
      for (const k of Reflect.ownKeys(v)) walk((v as Record<string | symbol, unknown>)[k])
    }
  }
  walk(kept)
  t.ok(texts.some(x => x === 'ApiKey admin@example.org:[redacted]'), 'the walk reaches the kept headers')
  for (const secret of [password, apiKey, 'demo-bearer-token', 'abcdef0123456789', Buffer.from(`admin@example.org:${password}`).toString('base64')]) {
    t.notOk(texts.some(x => x.includes(secret)), `no kept entry holds ${secret}`)
  }
})

t.test('filters: method, path glob or substring, domain, status, since, limit; count uses the same filters', async t => {
  const app = await build(t)
  await app.inject({ method: 'GET', url: user('demo', JDOE), headers: { authorization: ADMIN } })
  await app.inject({ method: 'PUT', url: user('demo', JDOE), headers: JSON_HEADERS, payload: { first_name: 'A' } })
  await app.inject({ method: 'PUT', url: user('other', MARY), headers: JSON_HEADERS, payload: { first_name: 'B' } })
  await app.inject({ method: 'GET', url: '/a/other/api/v0.5/user/', headers: { authorization: ADMIN } })
  await app.inject({ method: 'GET', url: user('demo', JDOE) })

  const cases: Array<[string, number]> = [
    ['', 5],
    ['?method=put', 2],
    ['?method=PUT&domain=other', 1],
    ['?domain=demo', 3],
    ['?status=200', 4],
    ['?status=4xx', 1],
    ['?status=401', 1],
    ['?path=/user/', 5],
    ['?path=' + encodeURIComponent(`/a/*/api/v0.5/user/${JDOE}/`), 3],
    ['?path=' + encodeURIComponent('/a/other/*'), 2],
    ['?path=' + encodeURIComponent('/a/other/*/user/'), 1],
    ['?path=nomatch', 0]
  ]
  for (const [query, n] of cases) {
    const list = await journal(app, query)
    t.equal(list.requests.length, n, `list ${query}`)
    t.equal(list.total, n, `total ${query}`)
    t.same((await app.inject({ method: 'GET', url: `/__mock/requests/count${query}` })).json(), { count: n }, `count ${query}`)
  }
  const all = (await journal(app)).requests
  const sinceId = await journal(app, `?since=${all[2].id}`)
  t.same(sinceId.requests.map((e: { id: number }) => e.id), [all[0].id, all[1].id], 'since=<id>: the entries after it')
  const sinceTime = await journal(app, `?since=${encodeURIComponent(all[0].time)}`)
  t.ok(sinceTime.requests.length >= 1 && sinceTime.requests.every((e: { time: string }) => e.time >= all[0].time), 'since=<time>: at or after it')
  t.equal((await journal(app, `?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).requests.length, 0)
  const limited = await journal(app, '?limit=2')
  t.same(limited.requests.map((e: { id: number }) => e.id), [all[0].id, all[1].id])
  t.equal(limited.total, 5, 'total counts every match, not only the page')

  for (const bad of ['?since=yesterday-ish', '?limit=0', '?limit=x', '?status=abc', '?unknown=1', '?method=G%20T']) {
    const res = await app.inject({ method: 'GET', url: `/__mock/requests${bad}` })
    t.equal(res.statusCode, 400, bad)
    t.type(res.json().error, 'string', bad)
  }
})

t.test('DELETE /__mock/requests clears all, or only the entries that match', async t => {
  const app = await build(t)
  await app.inject({ method: 'GET', url: user('demo', JDOE), headers: { authorization: ADMIN } })
  await app.inject({ method: 'GET', url: user('other', MARY), headers: { authorization: ADMIN } })
  await app.inject({ method: 'GET', url: user('other', MARY), headers: { authorization: ADMIN } })
  const del = await app.inject({ method: 'DELETE', url: '/__mock/requests?domain=other' })
  t.equal(del.statusCode, 204)
  t.same((await app.inject({ method: 'GET', url: '/__mock/requests/count' })).json(), { count: 1 })
  const last = (await journal(app)).requests[0].id
  t.equal((await app.inject({ method: 'DELETE', url: '/__mock/requests' })).statusCode, 204)
  t.same((await app.inject({ method: 'GET', url: '/__mock/requests/count' })).json(), { count: 0 })
  await app.inject({ method: 'GET', url: user('demo', JDOE), headers: { authorization: ADMIN } })
  t.ok((await journal(app)).requests[0].id > last, 'ids keep increasing after a clear')
})

t.test('the journal stays at its bound after many more requests', async t => {
  const app = await build(t, { journalSize: 25 })
  for (let i = 0; i < 120; i++) await app.inject({ method: 'GET', url: `${user('demo', JDOE)}?n=${i}`, headers: { authorization: ADMIN } })
  t.same((await app.inject({ method: 'GET', url: '/__mock/requests/count' })).json(), { count: 25 })
  const list = await journal(app, '?limit=1000')
  t.equal(list.requests.length, 25)
  t.equal(list.capacity, 25)
  t.same(list.requests.map((e: { query: { n: string } }) => Number(e.query.n)), Array.from({ length: 25 }, (_, i) => 119 - i), 'the newest 25 are kept')
})

t.test('journal size 0 turns it off', async t => {
  const app = await build(t, { journalSize: 0 })
  await app.inject({ method: 'GET', url: user('demo', JDOE), headers: { authorization: ADMIN } })
  const list = await journal(app)
  t.same(list, { requests: [], total: 0, capacity: 0 })
})

t.test('reset clears the journal; a domain reset clears only that domain\'s entries', async t => {
  const app = await build(t)
  await app.inject({ method: 'GET', url: user('demo', JDOE), headers: { authorization: ADMIN } })
  await app.inject({ method: 'GET', url: user('other', MARY), headers: { authorization: ADMIN } })
  await app.inject({ method: 'POST', url: '/__mock/domains/demo/reset' })
  t.same((await journal(app)).requests.map((e: { domain: string }) => e.domain), ['other'])
  await app.inject({ method: 'POST', url: '/__mock/reset' })
  t.equal((await journal(app)).total, 0)
})

t.test('large bodies are truncated past the documented limit', async t => {
  const app = await build(t)
  const big = 'x'.repeat(JOURNAL_BODY_LIMIT + 10)
  const res = await app.inject({ method: 'PUT', url: user('demo', JDOE), headers: JSON_HEADERS, payload: { first_name: big } })
  t.equal(res.statusCode, 200)
  const [entry] = (await journal(app)).requests
  t.equal(entry.request.body, null)
  t.equal(entry.request.body_truncated, true)
  t.equal(entry.response.body_truncated, true)
  t.type(entry.response.body, 'string')
  t.equal(entry.response.body.length, JOURNAL_BODY_LIMIT)
})

t.test('Journal unit: ring order, remove and filters', async t => {
  const j = new Journal(3)
  const raw = (path: string, status: number): RawEntry => ({
    method: 'GET',
    path,
    query: {},
    domain: 'd',
    status,
    duration_ms: 1,
    request: { headers: {}, body: null },
    response: { status, headers: {}, payload: Buffer.from('{"a": 1}'), contentType: 'application/json' },
    reason: null,
    fault: null
  })
  for (let i = 1; i <= 5; i++) j.record(raw(`/p${i}/`, i === 4 ? 500 : 200), Date.now())
  t.same(j.list().map(e => e.path), ['/p5/', '/p4/', '/p3/'])
  t.same(j.list()[0].response.body, { a: 1 })
  t.equal(j.count({ status: '5xx' }), 1)
  t.equal(j.remove({ status: 500 }), 1)
  t.same(j.list().map(e => e.path), ['/p5/', '/p3/'])
  j.record(raw('/p6/', 200), Date.now())
  j.record(raw('/p7/', 200), Date.now())
  t.same(j.list().map(e => e.path), ['/p7/', '/p6/', '/p5/'])
  t.same(j.list().map(e => e.id), [7, 6, 5])
  t.throws(() => j.list({ since: 'not a time' }), { name: 'MockApiError', message: /since must be an ISO 8601 time/ })
})

t.test('redaction and matching helpers', async t => {
  t.same(redactValue({ a: [{ Password: 'x', b: { api_key: 'k', access_token: 't' } }], c: 1 }),
    { a: [{ Password: '[redacted]', b: { api_key: '[redacted]', access_token: '[redacted]' } }], c: 1 })
  t.equal(redactAuthorization('ApiKey u@x.org:secret'), 'ApiKey u@x.org:[redacted]')
  t.equal(redactAuthorization('ApiKey nocolon'), 'ApiKey [redacted]')
  t.equal(redactAuthorization('Token abc'), '[redacted]')
  t.ok(pathMatcher('/a/*/user/')('/a/demo/api/v0.5/user/'))
  t.notOk(pathMatcher('/a/*/user/')('/a/demo/api/v0.5/user/x/'))
  t.ok(pathMatcher('user/x')('/a/demo/api/v0.5/user/x/'))
  t.notOk(pathMatcher('/a/d.mo/*')('/a/demo/api/'), 'regex characters are literal')
})

t.test('a path filter with a run of stars answers at once: globs never backtrack', async t => {
  const app = await build(t)
  for (let i = 0; i < 3; i++) await app.inject({ method: 'GET', url: user('demo', JDOE), headers: { authorization: ADMIN } })
  for (const stars of [7, 30, 499]) {
    const pattern = '*'.repeat(stars) + 'x'
    const start = performance.now()
    const res = await app.inject({ method: 'GET', url: `/__mock/requests?path=${encodeURIComponent(pattern)}` })
    const ms = performance.now() - start
    t.equal(res.statusCode, 200, `${stars} stars`)
    t.equal(res.json().total, 0, `${stars} stars match nothing`)
    t.ok(ms < 1000, `${stars} stars answered in ${ms.toFixed(1)} ms`)
    if (ms >= 1000) return
  }
  const all = await app.inject({ method: 'GET', url: `/__mock/requests/count?path=${encodeURIComponent('*'.repeat(20) + '/')}` })
  t.same(all.json(), { count: 3 }, 'and a run of stars still matches what it should')
})

t.test('pathMatcher agrees with a reference glob on every small pattern and path', async t => {
  // The reference: dynamic programming over pattern and path, plainly correct.
  const reference = (pattern: string, path: string): boolean => {
    if (!pattern.includes('*')) return path.includes(pattern)
    let row = Array.from({ length: path.length + 1 }, (_, j) => j === 0)
    for (const c of pattern) {
      const next = new Array<boolean>(path.length + 1).fill(false)
      if (c === '*') {
        next[0] = row[0]
        for (let j = 1; j <= path.length; j++) next[j] = next[j - 1] || row[j]
      } else {
        for (let j = 1; j <= path.length; j++) next[j] = row[j - 1] && path[j - 1] === c
      }
      row = next
    }
    return row[path.length]
  }
  const unit = fc.constantFrom('a', 'b', '/', '*', '.')
  fc.assert(fc.property(fc.string({ unit, maxLength: 8 }), fc.string({ unit: fc.constantFrom('a', 'b', '/', '.'), maxLength: 10 }), (pattern, path) => {
    return pathMatcher(pattern)(path) === reference(pattern, path)
  }), { seed: 14, numRuns: 5000 })
  t.pass('5000 pattern and path pairs agree')
})

t.test('requestHeadersOf gives what pickHeaders gives for the request headers an entry shows', async t => {
  const value = fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 }), fc.constantFrom('ApiKey a@b.org:k', 'Basic eDp5', 'Digest username="a@b.org", response="r"', ' bearer  t '))
  const headers = fc.dictionary(fc.constantFrom(...REQUEST_HEADERS, 'host', 'cookie', 'x-other'), value)
  fc.assert(fc.property(headers, h => {
    const fast = requestHeadersOf(h)
    const general = pickHeaders(h, REQUEST_HEADERS)
    return JSON.stringify(fast) === JSON.stringify(general) && Object.keys(fast).length === Object.keys(general).length
  }), { numRuns: 2000 })
  t.pass('equal on 2,000 generated header sets, key order included')
})
