import t from 'tap'
import fc from 'fast-check'
import { readFile } from 'node:fs/promises'
import { request as httpRequest } from 'node:http'
import { fileURLToPath } from 'node:url'
import { build, ADMIN, JDOE, MARY } from '../helpers/app.js'
import { Faults, MAX_DELAY_MS, parseFaultHeader, seededRandom, type FaultRuleInput } from '../../src/mock/faults.js'
import { startMockServer } from '../../src/fixture.js'

const JSON_HEADERS = { authorization: ADMIN, 'content-type': 'application/json' }
const user = (domain: string, id: string): string => `/a/${domain}/api/v0.5/user/${id}/`

type App = Awaited<ReturnType<typeof build>>

async function addFault (app: App, rule: unknown) {
  return app.inject({ method: 'POST', url: '/__mock/faults', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(rule) })
}

async function putJdoe (app: App, name = 'X') {
  return app.inject({ method: 'PUT', url: user('demo', JDOE), headers: JSON_HEADERS, payload: { first_name: name } })
}

t.test('{status: 429, times: 2} on PUT: exactly the next two PUTs answer 429 with an empty body', async t => {
  const app = await build(t)
  const added = await addFault(app, { method: 'PUT', status: 429, times: 2 })
  t.equal(added.statusCode, 201)
  const rule = added.json()
  t.match(rule, { id: 'fault-1', method: 'PUT', status: 429, times: 2, remaining: 2, hits: 0, seed: 0 })
  t.equal(added.headers.location, '/__mock/faults/fault-1')

  t.equal((await app.inject({ method: 'GET', url: user('demo', JDOE), headers: { authorization: ADMIN } })).statusCode, 200, 'GET is not matched')
  const statuses = []
  for (let i = 0; i < 4; i++) {
    const res = await putJdoe(app, `Try${i}`)
    statuses.push(res.statusCode)
    if (res.statusCode === 429) {
      t.equal(res.body, '', 'empty body, as HQ')
      t.equal(res.headers['content-type'], undefined)
      t.match(res.headers['x-mock-reason'], /fault rule 'fault-1' answered 429 \([12] of 2\)/)
    }
  }
  t.same(statuses, [429, 429, 200, 200])
  t.equal((await app.inject({ method: 'GET', url: user('demo', JDOE), headers: { authorization: ADMIN } })).json().first_name, 'Try3', 'faulted PUTs changed nothing')
  const listed = (await app.inject({ method: 'GET', url: '/__mock/faults' })).json().faults
  t.match(listed, [{ id: 'fault-1', hits: 2, remaining: 0 }])
  const journal = (await app.inject({ method: 'GET', url: '/__mock/requests?method=PUT' })).json().requests
  t.same(journal.map((e: { status: number }) => e.status), [200, 200, 429, 429])
  t.same(journal[3].fault, { rule: 'fault-1', status: 429 })
  t.match(journal[3].reason, /fault rule 'fault-1'/)
  t.equal(journal[3].response.body, null)
})

t.test('faults answer before authentication and do not use the rate limit', async t => {
  const app = await build(t, { rateLimits: { demo: 1 } })
  await addFault(app, { path: '/a/demo/*', status: 500, times: 3 })
  for (let i = 0; i < 3; i++) t.equal((await app.inject({ method: 'GET', url: user('demo', JDOE) })).statusCode, 500, 'no credentials, still the fault')
  t.equal((await app.inject({ method: 'GET', url: user('demo', JDOE), headers: { authorization: ADMIN } })).statusCode, 200, 'the one allowed request is still there')
  t.equal((await app.inject({ method: 'GET', url: user('demo', JDOE), headers: { authorization: ADMIN } })).statusCode, 429)
})

t.test('matching: method, path glob, domain; first firing rule wins; body, headers', async t => {
  const app = await build(t)
  await addFault(app, { id: 'other-only', domain: 'other', status: 503, body: { error_message: 'down' }, headers: { 'Retry-After': '7' } })
  await addFault(app, { id: 'detail-get', method: 'get', path: '/a/*/api/v0.5/user/*/', status: 502, body: 'Bad gateway' })
  const other = await app.inject({ method: 'GET', url: user('other', MARY), headers: { authorization: ADMIN } })
  t.equal(other.statusCode, 503)
  t.equal(other.body, '{"error_message": "down"}')
  t.equal(other.headers['content-type'], 'application/json')
  t.equal(other.headers['retry-after'], '7')
  t.match(other.headers['x-mock-reason'], /'other-only'/)
  const detail = await app.inject({ method: 'GET', url: user('demo', JDOE), headers: { authorization: ADMIN } })
  t.equal(detail.statusCode, 502)
  t.equal(detail.body, 'Bad gateway')
  t.match(detail.headers['content-type'], /^text\/plain/)
  t.equal((await app.inject({ method: 'GET', url: `/a/demo/api/user/v1/${JDOE}/`, headers: { authorization: ADMIN } })).statusCode, 200, 'the v1 URL does not match the glob')
  t.equal((await putJdoe(app)).statusCode, 200, 'PUT does not match a GET rule')

  t.equal((await app.inject({ method: 'DELETE', url: '/__mock/faults/detail-get' })).statusCode, 204)
  t.equal((await app.inject({ method: 'DELETE', url: '/__mock/faults/detail-get' })).statusCode, 404)
  t.equal((await app.inject({ method: 'GET', url: user('demo', JDOE), headers: { authorization: ADMIN } })).statusCode, 200)
  t.equal((await app.inject({ method: 'DELETE', url: '/__mock/faults' })).statusCode, 204)
  t.same((await app.inject({ method: 'GET', url: '/__mock/faults' })).json(), { faults: [] })
  t.equal((await app.inject({ method: 'GET', url: user('other', MARY), headers: { authorization: ADMIN } })).statusCode, 200)
})

t.test('a probability 0.5 rule with a fixed seed gives the same sequence on two runs', async t => {
  async function run (seed: number): Promise<number[]> {
    const app = await build(t)
    await addFault(app, { method: 'GET', status: 500, probability: 0.5, seed })
    const out = []
    for (let i = 0; i < 40; i++) out.push((await app.inject({ method: 'GET', url: user('demo', JDOE), headers: { authorization: ADMIN } })).statusCode)
    await app.close()
    return out
  }
  const first = await run(42)
  const second = await run(42)
  t.same(first, second)
  const faulted = first.filter(s => s === 500).length
  t.ok(faulted > 5 && faulted < 35, `about half faulted (${faulted} of 40)`)
  t.notSame(await run(7), first, 'another seed, another sequence')
})

t.test('a delay rule of 300 ms adds at least 300 ms', async t => {
  const app = await build(t)
  const url = user('demo', JDOE)
  const time = async (): Promise<number> => {
    const start = process.hrtime.bigint()
    const res = await app.inject({ method: 'GET', url, headers: { authorization: ADMIN } })
    t.equal(res.statusCode, 200, 'a delay alone still gives the real answer')
    return Number(process.hrtime.bigint() - start) / 1e6
  }
  await addFault(app, { path: `${url}`, delay_ms: 300, times: 1 })
  const delayed = await time()
  t.ok(delayed >= 300, `delayed request took ${delayed.toFixed(0)} ms`)
  const entry = (await app.inject({ method: 'GET', url: '/__mock/requests?limit=1' })).json().requests[0]
  t.same(entry.fault, { rule: 'fault-1', delay_ms: 300 })
  t.ok(entry.duration_ms >= 300, `journal duration ${entry.duration_ms}`)

  await addFault(app, { delay_range_ms: [50, 80], times: 1, seed: 3 })
  const ranged = await time()
  t.ok(ranged >= 50, `ranged delay took ${ranged.toFixed(0)} ms`)
  const drawn = (await app.inject({ method: 'GET', url: '/__mock/requests?limit=1' })).json().requests[0].fault.delay_ms
  t.ok(drawn >= 50 && drawn <= 80, `drawn delay ${drawn}`)
})

t.test('X-Mock-Fault header: status, delay, combined; bad values are a 400', async t => {
  const app = await build(t)
  const res = await app.inject({ method: 'PUT', url: user('demo', JDOE), headers: { ...JSON_HEADERS, 'x-mock-fault': 'status=503' }, payload: { first_name: 'Never' } })
  t.equal(res.statusCode, 503)
  t.equal(res.body, '')
  t.match(res.headers['x-mock-reason'], /X-Mock-Fault header answered 503/)
  t.not((await app.inject({ method: 'GET', url: user('demo', JDOE), headers: { authorization: ADMIN } })).json().first_name, 'Never', 'the PUT never reached the CommCare logic')

  const start = Date.now()
  const both = await app.inject({ method: 'GET', url: user('demo', JDOE), headers: { authorization: ADMIN, 'x-mock-fault': 'status=500; delay=100' } })
  t.equal(both.statusCode, 500)
  t.ok(Date.now() - start >= 100)
  const slow = await app.inject({ method: 'GET', url: user('demo', JDOE), headers: { authorization: ADMIN, 'x-mock-fault': 'delay=20' } })
  t.equal(slow.statusCode, 200)
  const entries = (await app.inject({ method: 'GET', url: '/__mock/requests?limit=2' })).json().requests
  t.same(entries.map((e: { fault: unknown }) => e.fault), [{ rule: 'header', delay_ms: 20 }, { rule: 'header', status: 500, delay_ms: 100 }])

  for (const bad of ['status=99', 'status=abc', 'delay=-1', 'delay=999999', 'boom', '', 'status=500;reset']) {
    const r = await app.inject({ method: 'GET', url: user('demo', JDOE), headers: { authorization: ADMIN, 'x-mock-fault': bad } })
    t.equal(r.statusCode, 400, `X-Mock-Fault: ${bad}`)
    t.match(r.json().error, /X-Mock-Fault/, bad)
  }
  // A rule is not consumed by a request that carries the header.
  await addFault(app, { status: 418, times: 1 })
  t.equal((await app.inject({ method: 'GET', url: user('demo', JDOE), headers: { authorization: ADMIN, 'x-mock-fault': 'status=502' } })).statusCode, 502)
  t.equal((await app.inject({ method: 'GET', url: user('demo', JDOE), headers: { authorization: ADMIN } })).statusCode, 418)
})

t.test('invalid rules are a 400 naming the problem; a duplicate id 409', async t => {
  const app = await build(t)
  const cases: Array<[unknown, number, RegExp]> = [
    [{}, 400, /at least one of status/],
    [{ path: '/a/' }, 400, /at least one of status/],
    [{ status: 99 }, 400, /status/],
    [{ status: 500, reset_connection: true }, 400, /exclude each other/],
    [{ delay_ms: 1, delay_range_ms: [1, 2] }, 400, /not both/],
    [{ delay_range_ms: [5, 1] }, 400, /min <= max/],
    [{ delay_ms: 10_000_000 }, 400, /delay_ms/],
    [{ status: 500, probability: 1.5 }, 400, /probability/],
    [{ status: 500, times: 0 }, 400, /times/],
    [{ status: 500, colour: 'red' }, 400, /colour|additional/i],
    [{ body: {} }, 400, /at least one of status|need a status/],
    [{ delay_ms: 5, body: 'x' }, 400, /need a status/],
    [{ id: 'bad id!', status: 500 }, 400, /id/],
    [{ id: 'dup', status: 500 }, 201, /^$/],
    [{ id: 'dup', status: 500 }, 409, /already a fault rule 'dup'/]
  ]
  for (const [rule, status, error] of cases) {
    const res = await addFault(app, rule)
    t.equal(res.statusCode, status, JSON.stringify(rule))
    if (status !== 201) t.match(res.json().error, error, JSON.stringify(rule))
  }
})

t.test('reset clears fault rules; a domain reset clears only the rules scoped to it', async t => {
  const app = await build(t)
  await addFault(app, { id: 'demo-rule', domain: 'demo', status: 500 })
  await addFault(app, { id: 'other-rule', domain: 'other', status: 500 })
  await addFault(app, { id: 'global', path: '/nowhere/', status: 500 })
  await app.inject({ method: 'POST', url: '/__mock/domains/demo/reset' })
  t.same((await app.inject({ method: 'GET', url: '/__mock/faults' })).json().faults.map((f: { id: string }) => f.id), ['other-rule', 'global'])
  await app.inject({ method: 'POST', url: '/__mock/reset' })
  t.same((await app.inject({ method: 'GET', url: '/__mock/faults' })).json().faults, [])
})

t.test('reset_connection cuts the connection without an answer (real server)', async t => {
  const server = await startMockServer()
  t.teardown(() => server.close())
  server.addFault({ method: 'GET', path: '/a/demo/*', reset_connection: true, times: 1 })
  const url = new URL(user('demo', JDOE), server.url)
  const outcome = await new Promise<string>(resolve => {
    const req = httpRequest(url, { headers: { authorization: ADMIN } }, res => resolve(`answered ${res.statusCode}`))
    req.on('error', err => resolve((err as NodeJS.ErrnoException).code ?? err.message))
    req.end()
  })
  t.match(outcome, /ECONNRESET|socket hang up/)
  const res = await fetch(url, { headers: { authorization: ADMIN } })
  t.equal(res.status, 200, 'the next request is served')
  const [, cut] = server.requests()
  t.match(cut, { status: 0, fault: { rule: 'fault-1', reset_connection: true }, response: { status: 0, body: null } })
  t.equal(server.requests({ status: 0 }).length, 1)

  const header = await new Promise<string>(resolve => {
    const req = httpRequest(url, { headers: { authorization: ADMIN, 'x-mock-fault': 'reset' } }, res => resolve(`answered ${res.statusCode}`))
    req.on('error', err => resolve((err as NodeJS.ErrnoException).code ?? err.message))
    req.end()
  })
  t.match(header, /ECONNRESET|socket hang up/)
})

t.test('Faults unit: the generator and header parsing', async t => {
  const a = seededRandom(5)
  const b = seededRandom(5)
  const xs = Array.from({ length: 5 }, () => a())
  t.same(xs, Array.from({ length: 5 }, () => b()))
  t.ok(xs.every(x => x >= 0 && x < 1))
  t.match(parseFaultHeader('Status=503 ; delay=10'), { status: 503, delayMs: 10, reset: false, source: 'header' })
  t.match(parseFaultHeader('reset'), { reset: true })
  const f = new Faults()
  f.add({ status: 500, probability: 0, times: 1 })
  t.equal(f.decide('GET', '/a/demo/', 'demo'), null, 'probability 0 never fires')
  f.clear()
  f.add({ status: 500, probability: 1, times: 1 })
  t.match(f.decide('GET', '/a/demo/', 'demo'), { status: 500 })
  t.equal(f.decide('GET', '/a/demo/', 'demo'), null, 'times used up')
})

t.test('a fault rule whose path is a run of stars costs nothing per request: globs never backtrack', async t => {
  const app = await build(t)
  t.equal((await addFault(app, { id: 'stars', path: '*'.repeat(8) + 'x', status: 503 })).statusCode, 201)
  t.equal((await addFault(app, { id: 'many', path: '*'.repeat(200) + '/deactivate/' + '*'.repeat(200), status: 502 })).statusCode, 201)
  const long = `/a/demo/api/v0.5/user/${'a'.repeat(2000)}/`
  for (const url of [user('demo', JDOE), long]) {
    const start = performance.now()
    const res = await app.inject({ method: 'GET', url, headers: { authorization: ADMIN } })
    const ms = performance.now() - start
    t.not(res.statusCode, 503, 'the star rule does not match')
    t.ok(ms < 1000, `answered in ${ms.toFixed(1)} ms`)
    if (ms >= 1000) return
  }
  const hit = await app.inject({ method: 'POST', url: `/a/demo/api/v0.5/user/${JDOE}/deactivate/`, headers: { authorization: ADMIN } })
  t.equal(hit.statusCode, 502, 'a rule of many stars still matches its path')
  t.match(hit.headers['x-mock-reason'], /fault rule 'many'/)
})

t.test('a rule header that is not a header name, or that frames the answer, is a 400 (found by the fuzzer)', async t => {
  const app = await build(t)
  for (const [headers, error] of [
    [{ 'bad header': 'x' }, /^invalid fault rule: headers: "bad header" is not a header name/],
    [{ ['x'.repeat(101)]: 'x' }, /is not a header name/],
    [{ 'Content-Length': '99999' }, /^invalid fault rule: headers: Content-Length is set by the server, not by a rule$/],
    [{ 'transfer-encoding': 'chunked' }, /set by the server/]
  ] as const) {
    const res = await addFault(app, { status: 200, headers })
    t.equal(res.statusCode, 400, JSON.stringify(headers).slice(0, 40))
    t.match(res.json().error, error)
    t.equal(res.headers['x-mock-reason'], res.json().error)
  }
  t.same((await app.inject({ method: 'GET', url: '/__mock/faults' })).json(), { faults: [] }, 'no rule was added')
  const res = await app.inject({ method: 'GET', url: user('demo', JDOE) })
  t.equal(res.statusCode, 401, 'and requests are answered as before')
  t.type(res.headers['x-mock-reason'], 'string')
})

/** Sends one request to a real server: its status, or 'reset' when the connection was cut. */
async function send (url: URL, method: string, body?: string): Promise<number | 'reset'> {
  return await new Promise(resolve => {
    const headers: Record<string, string> = { authorization: ADMIN }
    if (body !== undefined) headers['content-type'] = 'application/json'
    const req = httpRequest(url, { method, headers }, res => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', () => resolve('reset'))
    req.end(body)
  })
}

t.test('the fault sequence of docs/TEST-CONTROL.md, added as written, fires every rule it shows', async t => {
  const page = await readFile(fileURLToPath(new URL('../../docs/TEST-CONTROL.md', import.meta.url)), 'utf8')
  const section = page.split('## Faults')[1]?.split('\n## ')[0] ?? ''
  const bodies = [...section.matchAll(/^curl -X POST \$M\/__mock\/faults[^\n]*?(?:\\\n)?[^\n]*?-d '(\{[^']*\})'/gm)].map(m => JSON.parse(m[1]) as FaultRuleInput)
  t.same(bodies, [
    { method: 'PUT', path: '/a/demo/api/v0.5/user/*', status: 429, times: 2 },
    { domain: 'ci-42', status: 500, probability: 0.5, seed: 7 },
    { delay_range_ms: [200, 800] },
    { reset_connection: true, times: 1 }
  ], 'the page shows the four rules this test adds')

  const server = await startMockServer()
  t.teardown(() => server.close())
  await server.createDomain('ci-42', 'demo')
  for (const rule of bodies) {
    const res = await fetch(`${server.url}/__mock/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rule) })
    t.equal(res.status, 201)
  }
  const timed = async (method: string, url: string, body?: string): Promise<number | 'reset'> => {
    const start = performance.now()
    const got = await send(new URL(url, server.url), method, body)
    const ms = performance.now() - start
    t.ok(ms >= 199, `${method} ${url} waited for the delay rule (${ms.toFixed(0)} ms)`)
    return got
  }
  const put = user('demo', JDOE)
  t.same([await timed('PUT', put, '{"first_name": "A"}'), await timed('PUT', put, '{"first_name": "B"}')], [429, 429],
    'the PUT rule answers, the catch-all delay before it')
  const ci = []
  for (let i = 0; i < 6; i++) ci.push(await timed('GET', user('ci-42', JDOE)))
  t.ok(ci.includes(500), `the flaky rule answers some of ci-42's requests (${ci.join(' ')})`)
  t.equal(ci.filter(s => s === 'reset').length, 1, 'the first ci-42 request it lets through meets the one reset')
  t.ok(ci.every(s => s === 500 || s === 200 || s === 'reset'))
  t.equal(await timed('GET', user('demo', JDOE)), 200, 'the reset was used up; the delay stays')
  const hits = server.faults().map(f => [f.id, f.hits > 0])
  t.same(hits, [['fault-1', true], ['fault-2', true], ['fault-3', true], ['fault-4', true]], 'every rule fired')
  t.equal(server.faults()[2].hits, 9, 'the catch-all delay applied to every request')
  const [last] = server.requests({ status: 429, limit: 1 })
  t.equal(last.fault?.rule, 'fault-1')
  t.ok((last.fault?.delay_ms ?? 0) >= 200, 'the journal shows the delay of the answered request')
  t.match(last.reason, /^fault rule 'fault-1' answered 429 \(2 of 2\), after waiting \d+ ms \(also for 'fault-3'\); the request never reached the CommCare logic$/)
})

t.test('a later specific rule wins over an earlier catch-all delay; two delays add up', async t => {
  const f = new Faults()
  f.add({ id: 'slow', delay_ms: 100 })
  f.add({ id: 'slower', path: '/a/demo/', delay_ms: 50 })
  f.add({ id: 'puts', method: 'PUT', status: 503 })
  t.match(f.decide('PUT', '/a/demo/x/', 'demo'), { source: 'puts', status: 503, delayMs: 150, reset: false })
  t.match(f.decide('GET', '/a/demo/x/', 'demo'), { source: 'slow', status: undefined, delayMs: 150, reason: "fault rules 'slow', 'slower' delayed 150 ms" })
  t.match(f.decide('GET', '/a/other/x/', 'other'), { source: 'slow', delayMs: 100, reason: "fault rule 'slow' delayed 100 ms" })
  const big = new Faults()
  big.add({ delay_ms: MAX_DELAY_MS })
  big.add({ delay_ms: MAX_DELAY_MS })
  t.equal(big.decide('GET', '/', null)?.delayMs, MAX_DELAY_MS, 'delays together stay within the bound')
})

// The documented order, written as its two rules apply: the first answering rule that
// matches and fires answers; every delay-only rule that matches and fires adds its delay.
// Each rule draws from its own generator, so looking at answers and delays in two passes
// gives the same draws as the server's single pass.
interface ModelRule { input: FaultRuleInput, id: string, hits: number, remaining: number | null, random: () => number }

function modelDecide (rules: ModelRule[], method: string, path: string, domain: string | null) {
  const fires = (m: ModelRule): boolean => {
    const r = m.input
    if (m.remaining === 0) return false
    if (r.method !== undefined && r.method.toUpperCase() !== method) return false
    if (r.domain !== undefined && r.domain !== domain) return false
    if (r.path !== undefined && !(r.path.endsWith('*') ? path.startsWith(r.path.slice(0, -1)) : path.includes(r.path))) return false
    if (r.probability !== undefined && r.probability < 1 && m.random() >= r.probability) return false
    return true
  }
  const apply = (m: ModelRule): number => {
    m.hits++
    if (m.remaining !== null) m.remaining--
    const r = m.input
    if (r.delay_range_ms === undefined) return r.delay_ms ?? 0
    return r.delay_range_ms[0] + Math.floor(m.random() * (r.delay_range_ms[1] - r.delay_range_ms[0] + 1))
  }
  const answers = (m: ModelRule): boolean => m.input.status !== undefined || m.input.reset_connection === true
  const answer = rules.filter(answers).find(fires)
  let delay = answer === undefined ? 0 : apply(answer)
  const delayed = rules.filter(m => !answers(m) && fires(m))
  for (const m of delayed) delay += apply(m)
  if (answer === undefined && delayed.length === 0) return null
  return {
    source: answer?.id ?? delayed[0].id,
    status: answer?.input.status,
    reset: answer?.input.reset_connection === true,
    delayMs: Math.min(delay, MAX_DELAY_MS)
  }
}

const ruleArb: fc.Arbitrary<FaultRuleInput> = fc.record({
  method: fc.option(fc.constantFrom('GET', 'put'), { nil: undefined }),
  path: fc.option(fc.constantFrom('/a/demo/*', '/user/', '/a/*'), { nil: undefined }),
  domain: fc.option(fc.constantFrom('demo', 'other'), { nil: undefined }),
  what: fc.constantFrom('status', 'status+delay', 'delay', 'range', 'reset'),
  times: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  probability: fc.option(fc.constantFrom(0, 0.3, 0.5, 1), { nil: undefined }),
  seed: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined })
}, { requiredKeys: ['what'] }).map(({ what, ...rest }) => {
  const rule: FaultRuleInput = { ...rest }
  if (what.startsWith('status')) rule.status = 500
  if (what === 'status+delay' || what === 'delay') rule.delay_ms = 7
  if (what === 'range') rule.delay_range_ms = [1, 40]
  if (what === 'reset') rule.reset_connection = true
  return rule
})

const requestArb = fc.record({
  method: fc.constantFrom('GET', 'PUT'),
  target: fc.constantFrom<[string, string | null]>(['/a/demo/api/v0.5/user/x/', 'demo'], ['/a/other/api/v0.5/user/y/', 'other'], ['/other/path/', null])
})

t.test('property: over random rule lists, every decision follows the documented order', async t => {
  fc.assert(fc.property(fc.array(ruleArb, { maxLength: 6 }), fc.array(requestArb, { maxLength: 12 }), (inputs, requests) => {
    const faults = new Faults()
    const model: ModelRule[] = inputs.map(input => {
      const added = faults.add(input)
      return { input, id: added.id, hits: 0, remaining: input.times ?? null, random: seededRandom(input.seed ?? 0) }
    })
    for (const { method, target: [path, domain] } of requests) {
      const got = faults.decide(method, path, domain)
      const want = modelDecide(model, method, path, domain)
      if (want === null) {
        if (got !== null) return false
        continue
      }
      if (got === null) return false
      if (got.source !== want.source || got.status !== want.status || got.reset !== want.reset || got.delayMs !== want.delayMs) return false
    }
    const listed = faults.list()
    return listed.every((r, i) => r.hits === model[i].hits && r.remaining === model[i].remaining)
  }), { numRuns: 500, seed: 20261201 })
  t.pass('500 random rule lists and request sequences agree with the documented order')
})
