import { readFileSync } from 'node:fs'
import { Readable } from 'node:stream'
import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { Store } from '../../src/store/store.js'
import { AMINA, BRIAN, CAROL, DAVID, GROUP_NORTH, JDOE, LOC_NAIROBI, MARY, SEED } from '../helpers/app.js'

// A seeded fuzzer for the whole server: the CommCare routes and the
// test-control API get generated requests in batches, and every answer is
// checked against invariants, not against expected answers:
//
// - every request is answered within a bound;
// - every non-2xx answer carries X-Mock-Reason; every 5xx has a documented body
//   (empty, HQ's canned body, the test-control API's {"error"}, or a fault
//   rule's own body) and never the reason of an unexpected failure;
// - no secret of the seed (API keys, tokens, mobile workers' passwords, the
//   admin token) and no secret of the input (a credential, a secret query
//   parameter in any encoding, a password field) appears in any answer, header,
//   journal entry or log line;
// - a refused write (or a faulted request) leaves GET /__mock/state unchanged;
// - after each batch the server is healthy and Object.prototype untouched.
//
// test/robustness/fuzz.test.ts runs it in `npm test`; scripts/fuzz.ts runs it
// for minutes (`npm run fuzz -- --minutes 10`).

export const ADMIN_TOKEN = 'fuzz-admin-token-5be1c0'
const ADMIN_HEADER = { 'x-mock-admin-token': ADMIN_TOKEN }
/** An answer later than this breaks the first invariant (fault delays are at most 30 ms). */
export const ANSWER_BOUND_MS = 2000
const CANNED = '{"error_message": "Sorry, this request could not be processed. Please try again later."}'

// ---- secrets ---------------------------------------------------------------

/** The seed's secrets that are distinctive enough to look for (the web users' password "password" is an English word). */
export function seedSecrets (): string[] {
  const seed = JSON.parse(readFileSync(SEED, 'utf8'))
  const out = new Set<string>([ADMIN_TOKEN])
  for (const w of seed.web_users) {
    if (typeof w.password === 'string') out.add(w.password)
    for (const k of w.api_keys ?? []) out.add(k.key)
    for (const tk of w.tokens ?? []) out.add(tk.token)
  }
  for (const d of Object.values(seed.domains) as Array<{ users: Array<{ password?: string }> }>) {
    for (const u of d.users) if (typeof u.password === 'string') out.add(u.password)
  }
  return [...out].filter(s => s.length >= 10)
}

// ---- generated requests ------------------------------------------------------

export interface FuzzRequest {
  method: string
  url: string
  headers: Record<string, string>
  /** Text, or chunks sent without Content-Length. */
  body?: string | string[]
  /** Secrets this request carries in places meant for secrets. */
  secrets: string[]
}

/** A secret of the input: distinctive, so finding it anywhere is a leak. */
const secretArb = fc.stringMatching(/^[a-z0-9]{12}$/).map(s => `sec-${s}`)

const DOMAINS = ['demo', 'other', 'constructor', '__proto__', 'toString', 'hasOwnProperty', 'nope', 'DEMO', '..', 'a'.repeat(70)]
const IDS = [JDOE, AMINA, BRIAN, CAROL, DAVID, MARY, GROUP_NORTH, LOC_NAIROBI, '__proto__', 'constructor', 'valueOf', '%2E%2E', 'x%00y', '..%2Fother', 'a'.repeat(300), 'ZZ']
const SEED_AUTH = ['ApiKey admin@example.org:demo-api-key', 'ApiKey viewer@example.org:viewer-api-key', 'ApiKey otheradmin@example.org:other-api-key',
  'ApiKey admin@example.org:other-only-key', 'ApiKey admin@example.org:reader-role-key', 'ApiKey admin@example.org:expired-api-key', 'Bearer demo-bearer-token',
  'Basic ' + Buffer.from('jdoe@demo.commcarehq.org:jdoe-password').toString('base64')]

const domainArb = fc.oneof({ weight: 6, arbitrary: fc.constant('demo') }, { weight: 2, arbitrary: fc.constant('other') }, { weight: 2, arbitrary: fc.constantFrom(...DOMAINS) })

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map(c => String.fromCharCode(c)), maxLength: 40 })
const junkText = fc.oneof(printable, fc.string({ unit: 'binary', maxLength: 30 }))

/** A path glob as a journal filter or fault rule may hold it: many stars are the hard case. */
const globArb = fc.oneof(
  fc.string({ unit: fc.constantFrom('*', '*', '*', 'a', '/', 'x', '.'), minLength: 1, maxLength: 60 }),
  fc.integer({ min: 1, max: 480 }).map(n => '*'.repeat(n) + 'x'),
  fc.constantFrom('/a/*/api/v0.5/user/*/', '/a/demo/*', '/user/', '*'.repeat(30) + '/', '**/**/**/**/**/**/**/**/**/**/**/**/**/**/**/**/**/**/**/**/x')
)

/** An Authorization header and the input secrets it carries. */
const authArb: fc.Arbitrary<{ value: string | null, secrets: string[] }> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<{ value: string | null, secrets: string[] }>({ value: SEED_AUTH[0], secrets: [] }) },
  { weight: 2, arbitrary: fc.constantFrom(...SEED_AUTH).map(value => ({ value, secrets: [] })) },
  { weight: 1, arbitrary: fc.constant<{ value: string | null, secrets: string[] }>({ value: null, secrets: [] }) },
  {
    weight: 3,
    arbitrary: fc.tuple(secretArb, fc.integer({ min: 0, max: 8 })).map(([s, kind]) => {
      const basic = Buffer.from(`admin@example.org:${s}`).toString('base64')
      const values = [`ApiKey admin@example.org:${s}`, `ApiKey ${s}:admin@example.org`, s, `Bearer ${s}`, `Basic ${basic}`,
        `Digest username="admin@example.org", realm="commcarehq", nonce="n", uri="/", response="${s}", qop=auth, nc=1, cnonce="c"`,
        `Token ${s}`, `apikey ${s}`, `Digest username="${s}"`]
      return { value: values[kind], secrets: kind === 4 ? [s, basic] : [s] }
    })
  },
  { weight: 1, arbitrary: printable.map(value => ({ value, secrets: [] })) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 15000 }).map(n => ({ value: 'Digest ' + 'username="a", '.repeat(Math.ceil(n / 14)).slice(0, n), secrets: [] })) }
)

/** Query parameters: secret names in several spellings carry a secret. */
const paramArb: fc.Arbitrary<{ text: string, secrets: string[] }> = fc.oneof(
  fc.tuple(fc.constantFrom('api_key', 'api%5Fkey', 'API_KEY', 'password', 'pass%77ord', 'token', 'tok%65n', 'access_token', 'access%5Ftoken', 'Password'), secretArb)
    .map(([name, s]) => ({ text: `${name}=${s}`, secrets: [s] })),
  fc.tuple(fc.constantFrom('limit', 'offset', 'archived', 'group', 'format', 'username', '__proto__', 'constructor', 'toString__in', 'name', 'id__in',
    'order_by', 'q', 'extras', 'last_modified__gte', 'location_type', 'parent'), fc.oneof(junkText, fc.constantFrom('constructor', '-toString', '__proto__', 'name', '1', 'constructor:x', 'username:j*', 'toString:x')))
    .map(([name, v]) => ({ text: `${name}=${encodeURIComponent(v)}`, secrets: [] })),
  fc.constantFrom('limit=1', 'limit=1000', 'offset=1', 'offset=99999999999999999999', 'username=admin%40example.org', 'format=xml', 'archived=true', 'limit=-1', '%E0%A4%A=1', 'x=%E0%A4%A')
    .map(text => ({ text, secrets: [] }))
)

/** A user body; a `password` field carries a secret. */
const userBodyArb: fc.Arbitrary<{ body: Record<string, unknown>, secrets: string[] }> = fc.tuple(
  fc.dictionary(fc.constantFrom('first_name', 'last_name', 'email', 'language', 'phone_numbers', 'groups', 'user_data', 'role', 'username',
    'locations', 'primary_location', 'is_active', '__proto__', 'constructor', 'default_phone_number', 'id'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  fc.option(secretArb, { nil: undefined }),
  fc.option(fc.constantFrom('fuzz.user', 'fuzz user', 'admin', 'x@other.commcarehq.org'), { nil: undefined })
).map(([fields, password, username]) => {
  const body: Record<string, unknown> = Object.create(null)
  Object.assign(body, fields)
  // A group id on create can leave a reserved username behind (BEHAVIOR.md §5); the fuzzer keeps creates away from it.
  if (username !== undefined) {
    body.username = username
    delete body.groups
  }
  if (password !== undefined) body.password = password
  return { body, secrets: password === undefined ? [] : [password] }
})

function nested (depth: number): string {
  return '{"user_data": ' + '{"a": '.repeat(depth) + '1' + '}'.repeat(depth) + '}'
}

const commcareArb: fc.Arbitrary<FuzzRequest> = fc.record({
  method: fc.constantFrom('GET', 'GET', 'GET', 'PUT', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'),
  template: fc.constantFrom('list', 'detail', 'detail', 'v1', 'deactivate', 'activate', 'reset', 'group', 'groups', 'location', 'location6', 'bulk', 'web_user', 'identity', 'user_domains', 'slashless', 'junk'),
  domain: domainArb,
  id: fc.constantFrom(...IDS),
  params: fc.array(paramArb, { maxLength: 3 }),
  auth: authArb,
  contentType: fc.constantFrom(undefined, 'application/json', 'application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1'),
  body: fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 5, arbitrary: userBodyArb.map(b => ({ text: JSON.stringify(b.body), secrets: b.secrets })) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map(v => ({ text: JSON.stringify(v), secrets: [] })) },
    { weight: 1, arbitrary: junkText.map(text => ({ text, secrets: [] })) },
    { weight: 1, arbitrary: fc.integer({ min: 990, max: 1010 }).map(d => ({ text: nested(d), secrets: [] })) },
    { weight: 1, arbitrary: secretArb.map(s => ({ text: `username=admin%40example.org&api_key=${s}`, secrets: [s] })) }
  ),
  chunked: fc.boolean(),
  fault: fc.option(fc.constantFrom('status=503', 'status=500; delay=5', 'delay=10', 'status=abc', 'status=429', 'boom', ''), { freq: 8, nil: undefined })
}).map(r => {
  const base = `/a/${r.domain}/api`
  const path = {
    list: `${base}/v0.5/user/`,
    detail: `${base}/v0.5/user/${r.id}/`,
    v1: `${base}/user/v1/${r.id}/`,
    deactivate: `${base}/v0.5/user/${r.id}/deactivate/`,
    activate: `${base}/user/v1/${r.id}/activate/`,
    reset: `${base}/v0.5/user/${r.id}/email_password_reset/`,
    group: `${base}/v0.5/group/${r.id}/`,
    groups: `${base}/group/v1/`,
    location: `${base}/v0.5/location/`,
    location6: `${base}/v0.6/location/`,
    bulk: `${base}/bulk-user/v1/`,
    web_user: `${base}/web-user/v1/${r.id}/`,
    identity: '/api/v0.5/identity/',
    user_domains: '/api/user_domains/v1/',
    slashless: `${base}/v0.5/user/${r.id}`,
    junk: `/${r.domain}/${r.id}/`
  }[r.template]
  const query = r.params.map(p => p.text).join('&')
  const headers: Record<string, string> = {}
  if (r.auth.value !== null) headers.authorization = r.auth.value
  if (r.contentType !== undefined) headers['content-type'] = r.contentType
  if (r.fault !== undefined) headers['x-mock-fault'] = r.fault
  const text = r.body?.text
  return {
    method: r.method,
    url: query === '' ? path : `${path}?${query}`,
    headers,
    body: text === undefined || r.method === 'GET' || r.method === 'OPTIONS' ? undefined : r.chunked ? [text.slice(0, 7), text.slice(7)] : text,
    secrets: [...r.auth.secrets, ...r.params.flatMap(p => p.secrets), ...(r.body?.secrets ?? [])]
  }
})

const faultRuleArb = fc.record({
  id: fc.option(fc.constantFrom('r1', 'r2', 'bad id!', '__proto__', 'constructor'), { nil: undefined }),
  method: fc.option(fc.constantFrom('GET', 'put', 'POST', 'G T'), { nil: undefined }),
  path: fc.option(globArb, { nil: undefined }),
  domain: fc.option(fc.constantFrom(...DOMAINS), { nil: undefined }),
  status: fc.option(fc.oneof(fc.integer({ min: 200, max: 599 }), fc.constantFrom(99, 700, '500')), { nil: undefined }),
  body: fc.option(fc.oneof(fc.jsonValue({ maxDepth: 2 }), printable), { nil: undefined }),
  headers: fc.option(fc.dictionary(fc.constantFrom('Retry-After', 'X-Extra', '__proto__', 'constructor', 'bad header', 'Content-Length', 'X-Mock-Reason'), printable, { maxKeys: 2 }), { nil: undefined }),
  delay_ms: fc.option(fc.oneof(fc.integer({ min: 0, max: 30 }), fc.constantFrom(-1, 10_000_000)), { nil: undefined }),
  times: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
  probability: fc.option(fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constant(2)), { nil: undefined }),
  seed: fc.option(fc.integer({ min: -1, max: 2 ** 32 }), { nil: undefined })
}, { requiredKeys: [] })

/** A document of PUT /__mock/state: mostly a damaged copy of a real one. */
const stateBodyArb = fc.record({
  damage: fc.constantFrom('none', 'drop-user-field', 'proto-domain', 'constructor-domain', 'bad-name', 'wrong-type', 'extra-key', 'web_users', 'deep', 'seed-password'),
  secret: secretArb
})

const mockArb: fc.Arbitrary<FuzzRequest | { kind: 'state', damage: string, secret: string }> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('requests', 'requests/count', 'delete-requests'),
    filters: fc.array(fc.oneof(
      globArb.map(g => `path=${encodeURIComponent(g)}`),
      fc.constantFrom('method=PUT', 'status=4xx', 'status=500', 'status=abc', 'domain=demo', 'domain=constructor', 'since=1', 'since=yesterday', 'limit=2', 'limit=0', 'unknown=1', 'method=G%20T'),
      fc.integer({ min: 0, max: 2 ** 31 }).map(n => `since=${n}`)
    ), { maxLength: 3 })
  }).map(({ kind, filters }): FuzzRequest => ({
    method: kind === 'delete-requests' ? 'DELETE' : 'GET',
    url: `/__mock/${kind === 'delete-requests' ? 'requests' : kind}${filters.length === 0 ? '' : '?' + filters.join('&')}`,
    headers: { ...ADMIN_HEADER },
    secrets: []
  })),
  faultRuleArb.map((rule): FuzzRequest => ({ method: 'POST', url: '/__mock/faults', headers: { ...ADMIN_HEADER, 'content-type': 'application/json' }, body: JSON.stringify(rule), secrets: [] })),
  fc.record({ name: fc.constantFrom('ci-1', 'constructor', '__proto__', 'tostring', 'Bad', '', 'demo'), from: fc.constantFrom('demo', 'other', 'nope', '__proto__', undefined), secret: secretArb })
    .map(({ name, from, secret }): FuzzRequest => from === undefined
      ? { method: 'POST', url: '/__mock/domains', headers: { ...ADMIN_HEADER, 'content-type': 'application/json' }, body: JSON.stringify({ name, seed: { project_name: 'Fuzz', members: [], users: [{ id: 'f'.repeat(32), username: `u@${name}.commcarehq.org`, password: secret }] } }), secrets: [secret] }
      : { method: 'POST', url: '/__mock/domains', headers: { ...ADMIN_HEADER, 'content-type': 'application/json' }, body: JSON.stringify({ name, from }), secrets: [] }),
  fc.constantFrom<FuzzRequest>(
    { method: 'POST', url: '/__mock/reset', headers: { ...ADMIN_HEADER }, secrets: [] },
    { method: 'POST', url: '/__mock/domains/demo/reset', headers: { ...ADMIN_HEADER }, secrets: [] },
    { method: 'POST', url: '/__mock/domains/constructor/reset', headers: { ...ADMIN_HEADER }, secrets: [] },
    { method: 'DELETE', url: '/__mock/domains/ci-1', headers: { ...ADMIN_HEADER }, secrets: [] },
    { method: 'DELETE', url: '/__mock/faults', headers: { ...ADMIN_HEADER }, secrets: [] },
    { method: 'DELETE', url: '/__mock/faults/r1', headers: { ...ADMIN_HEADER }, secrets: [] },
    { method: 'GET', url: '/__mock/faults', headers: { ...ADMIN_HEADER }, secrets: [] },
    { method: 'GET', url: '/__mock/state', headers: { ...ADMIN_HEADER }, secrets: [] },
    { method: 'GET', url: '/__mock/domains/__proto__', headers: { ...ADMIN_HEADER }, secrets: [] },
    { method: 'GET', url: '/__mock/outbox?type=constructor', headers: { ...ADMIN_HEADER }, secrets: [] },
    { method: 'GET', url: '/__mock/health', headers: {}, secrets: [] },
    { method: 'POST', url: '/__mock/reset', headers: { authorization: 'Bearer wrong-token' }, secrets: [] },
    { method: 'GET', url: `/__mock/?token=${ADMIN_TOKEN}`, headers: {}, secrets: [] },
    { method: 'GET', url: `/__mock/?%74oken=${ADMIN_TOKEN}`, headers: {}, secrets: [] },
    { method: 'PUT', url: '/__mock/faults', headers: { ...ADMIN_HEADER }, secrets: [] }
  ),
  fc.integer({ min: 990, max: 1200 }).map((depth): FuzzRequest => ({
    method: 'POST', url: '/__mock/faults', headers: { ...ADMIN_HEADER, 'content-type': 'application/json' }, body: '{"status": 500, "body": ' + '['.repeat(depth) + ']'.repeat(depth) + '}', secrets: []
  })),
  stateBodyArb.map(s => ({ kind: 'state' as const, damage: s.damage, secret: s.secret }))
)

export const batchArb = fc.array(fc.oneof({ weight: 3, arbitrary: commcareArb }, { weight: 2, arbitrary: mockArb }), { minLength: 1, maxLength: 12 })

export type BatchItem = FuzzRequest | { kind: 'state', damage: string, secret: string }

/** A PUT /__mock/state built from the state as it is now. */
function stateRequest (app: FastifyInstance, item: { damage: string, secret: string }): FuzzRequest {
  const state = app.mock.exportState() as { format: 1, domains: Record<string, any> }
  const demo = state.domains.demo
  let text: string | undefined
  switch (item.damage) {
    case 'drop-user-field': if (demo !== undefined && demo.users.length > 0) delete demo.users[0].username; break
    case 'proto-domain': text = JSON.stringify(state).replace('"domains":{', '"domains":{"__proto__":{"name":"x"},'); break
    case 'constructor-domain': if (demo !== undefined) state.domains.constructor = { ...structuredClone(demo), name: 'constructor', users: [], groups: [] }; break
    case 'bad-name': state.domains['Bad Name'] = demo; break
    case 'wrong-type': if (demo !== undefined) demo.users = 'none'; break
    case 'extra-key': (state as any).colour = 'red'; break
    case 'web_users': (state as any).web_users = [{ username: 'x@example.org', password: item.secret }]; break
    case 'deep': text = '{"format": 1, "domains": ' + '{"a": '.repeat(1100) + '1' + '}'.repeat(1100) + '}'; break
    case 'seed-password': if (demo !== undefined && demo.users.length > 0) demo.users[0].password = item.secret; break
  }
  return { method: 'PUT', url: '/__mock/state', headers: { ...ADMIN_HEADER, 'content-type': 'application/json' }, body: text ?? JSON.stringify(state), secrets: [item.secret] }
}

// ---- the run -----------------------------------------------------------------

export interface Fuzzer {
  app: FastifyInstance
  /** Sends one batch and checks every invariant; throws on the first broken one. */
  batch: (items: BatchItem[]) => Promise<void>
  requests: number
  /** How many answers of each status the run got. */
  statuses: Map<number, number>
  close: () => Promise<void>
}

function describe (r: FuzzRequest): string {
  const body = r.body === undefined ? '' : ` body=${JSON.stringify(Array.isArray(r.body) ? r.body.join('') : r.body).slice(0, 300)}`
  return `${r.method} ${r.url.slice(0, 300)} headers=${JSON.stringify(r.headers).slice(0, 300)}${body}`
}

export async function createFuzzer (): Promise<Fuzzer> {
  const logLines: string[] = []
  const store = await Store.open({ seedPath: SEED, dataDir: null })
  const app = await buildApp({ store, adminToken: ADMIN_TOKEN, journalSize: 300, logger: { level: 'info', stream: { write: (line: string) => { logLines.push(line) } } } })
  await app.ready()
  const fixedSecrets = seedSecrets()
  const protoBefore = Object.getOwnPropertyNames(Object.prototype).join(',')
  const fuzzer: Fuzzer = {
    app,
    requests: 0,
    statuses: new Map(),
    close: () => app.close(),
    batch: async items => {
      const reset = await app.inject({ method: 'POST', url: '/__mock/reset', headers: ADMIN_HEADER })
      if (reset.statusCode !== 200) throw new Error(`POST /__mock/reset answered ${reset.statusCode}`)
      logLines.length = 0
      const secrets = new Set(fixedSecrets)
      const leak = (where: string, text: string, r?: FuzzRequest): void => {
        for (const s of secrets) {
          if (text.includes(s)) throw new Error(`secret '${s}' in ${where}${r === undefined ? '' : ` of ${describe(r)}`}: ${text.slice(Math.max(0, text.indexOf(s) - 150), text.indexOf(s) + 150)}`)
        }
      }
      for (const item of items) {
        const r = 'kind' in item ? stateRequest(app, item) : item
        for (const s of r.secrets) secrets.add(s)
        const before = JSON.stringify(app.mock.exportState())
        const start = performance.now()
        const res = await app.inject({
          method: r.method as 'GET',
          url: r.url,
          headers: r.headers,
          payload: Array.isArray(r.body) ? Readable.from(r.body.map(c => Buffer.from(c))) : r.body
        })
        const ms = performance.now() - start
        fuzzer.requests++
        const what = describe(r)
        if (ms > ANSWER_BOUND_MS) throw new Error(`answered in ${ms.toFixed(0)} ms (bound ${ANSWER_BOUND_MS} ms): ${what}`)
        const status = res.statusCode
        fuzzer.statuses.set(status, (fuzzer.statuses.get(status) ?? 0) + 1)
        if (!(status >= 100 && status <= 599)) throw new Error(`status ${status}: ${what}`)
        const reason = res.headers['x-mock-reason']
        if ((status < 200 || status >= 300) && (typeof reason !== 'string' || reason === '')) throw new Error(`${status} without X-Mock-Reason: ${what}`)
        const faulted = typeof reason === 'string' && /^(fault rule '|X-Mock-Fault header )/.test(reason)
        if (status >= 500) {
          if (/unexpected error/i.test(String(reason))) throw new Error(`${status} from an unexpected failure (${String(reason)}): ${what}`)
          const mockApi = r.url.startsWith('/__mock')
          const documented = faulted || res.body === '' || res.body === CANNED || (mockApi && typeof safeJson(res.body)?.error === 'string')
          if (!documented) throw new Error(`${status} with an undocumented body ${res.body.slice(0, 200)}: ${what}`)
        }
        leak('the answer body', res.body, r)
        for (const [name, value] of Object.entries(res.headers)) {
          // A 301 repeats the request's own query in Location, as HQ does; the journal and the log still hide it.
          if (name === 'location' && status >= 300 && status < 400) continue
          leak(`header ${name}`, String(value), r)
        }
        // HQ makes a worker before it fails on some fields and then retires it, keeping the username taken
        // (BEHAVIOR.md §5): such a refused create says so in its reason and is the one refusal that changes the state.
        const retired = r.method === 'POST' && /\bretires? (it|the)/i.test(String(reason))
        const refused = !retired && (status >= 400 || (faulted && !/delayed/.test(String(reason))))
        if (refused && JSON.stringify(app.mock.exportState()) !== before) throw new Error(`the refused request (${status}, ${String(reason)}) changed the state: ${what}`)
      }
      const health = await app.inject({ method: 'GET', url: '/__mock/health', headers: ADMIN_HEADER })
      if (health.statusCode !== 200) throw new Error(`health answered ${health.statusCode} after the batch`)
      const state = await app.inject({ method: 'GET', url: '/__mock/state', headers: ADMIN_HEADER })
      if (state.body !== JSON.stringify(app.mock.exportState())) throw new Error('GET /__mock/state differs from the state')
      leak('GET /__mock/state', state.body)
      const journal = await app.inject({ method: 'GET', url: '/__mock/requests?limit=1000', headers: ADMIN_HEADER })
      leak('the journal', journal.body)
      leak('the log', logLines.join(''))
      if (Object.getOwnPropertyNames(Object.prototype).join(',') !== protoBefore || ({} as Record<string, unknown>).polluted !== undefined) throw new Error('Object.prototype changed')
    }
  }
  return fuzzer
}

function safeJson (text: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(text)
    return typeof v === 'object' && v !== null ? v : null
  } catch {
    return null
  }
}

export interface FuzzRun {
  seed: number
  batches: number
  requests: number
  ms: number
  /** Answers per status, e.g. `200×812 400×301 …`. */
  statuses: string
  failure: string | null
}

/** Runs batches until `numRuns` or the time limit; the same seed gives the same batches. */
export async function runFuzz (options: { seed: number, numRuns: number, timeLimitMs: number, path?: string }): Promise<FuzzRun> {
  const fuzzer = await createFuzzer()
  const start = performance.now()
  let batches = 0
  try {
    const details = await fc.check(fc.asyncProperty(batchArb, async items => {
      batches++
      await fuzzer.batch(items)
    }), {
      seed: options.seed,
      path: options.path,
      numRuns: options.numRuns,
      interruptAfterTimeLimit: options.timeLimitMs,
      markInterruptAsFailure: false
    })
    const batch = details.counterexample?.[0]?.map(item => 'kind' in item ? `PUT /__mock/state (${item.damage})` : describe(item)).join('\n  ')
    const failure = details.failed
      ? `FUZZ_SEED=${options.seed} (path ${details.counterexamplePath ?? '?'}) after ${details.numRuns} batches: ${String((details.errorInstance as Error | undefined)?.message ?? details.errorInstance)}\nthe batch:\n  ${batch ?? '?'}`
      : null
    const statuses = [...fuzzer.statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(' ')
    return { seed: options.seed, batches, requests: fuzzer.requests, ms: performance.now() - start, statuses, failure }
  } finally {
    await fuzzer.close()
  }
}
