import t from 'tap'
import { connect, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import { buildApp } from '../../src/app.js'
import { Store } from '../../src/store/store.js'
import { JDOE, MARY, SEED } from '../helpers/app.js'
import { startProcess } from '../helpers/process.js'
import { stop, tempDir } from './support.js'

// Isolation and secrets: every seeded credential × domain × method answers as
// BEHAVIOR.md §2 says, nothing crosses domains, secrets never leak, and a
// stalled client cannot hold a connection forever.

const basic = (user: string, password: string): string => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64')

interface Credential {
  name: string
  /** Authorization header, or query parameters. */
  header?: string
  query?: string
  /** Other request headers (X-Forwarded-For). */
  extra?: Record<string, string>
  /** Expected status on demo and on other for an allowed operation (ok) or the refusal. */
  demo: 'ok' | 401 | 403 | 400
  other: 'ok' | 401 | 403 | 400
}

// The README "Credentials" table, in every form HQ accepts.
const CREDENTIALS: Credential[] = [
  { name: 'admin ApiKey demo-api-key', header: 'ApiKey admin@example.org:demo-api-key', demo: 'ok', other: 'ok' },
  { name: 'admin apikey (lower case scheme)', header: 'apikey admin@example.org:demo-api-key', demo: 'ok', other: 'ok' },
  { name: 'admin query api_key', query: 'username=admin%40example.org&api_key=demo-api-key', demo: 'ok', other: 'ok' },
  { name: 'admin ApiKey other-only-key', header: 'ApiKey admin@example.org:other-only-key', demo: 401, other: 'ok' },
  { name: 'admin query other-only-key', query: 'username=admin%40example.org&api_key=other-only-key', demo: 401, other: 'ok' },
  { name: 'admin ApiKey revoked-api-key', header: 'ApiKey admin@example.org:revoked-api-key', demo: 401, other: 401 },
  { name: 'admin ApiKey expired-api-key', header: 'ApiKey admin@example.org:expired-api-key', demo: 401, other: 401 },
  { name: 'admin ApiKey allowlisted-api-key from the peer', header: 'ApiKey admin@example.org:allowlisted-api-key', demo: 401, other: 401 },
  { name: 'admin ApiKey allowlisted-api-key, X-Forwarded-For listed', header: 'ApiKey admin@example.org:allowlisted-api-key', extra: { 'x-forwarded-for': '203.0.113.7, 10.0.0.9' }, demo: 'ok', other: 'ok' },
  { name: 'admin ApiKey allowlisted-api-key, X-Forwarded-For not listed', header: 'ApiKey admin@example.org:allowlisted-api-key', extra: { 'x-forwarded-for': '10.0.0.9, 203.0.113.7' }, demo: 401, other: 401 },
  { name: 'admin ApiKey reader-role-key (role API Reader, scoped to demo)', header: 'ApiKey admin@example.org:reader-role-key', demo: 403, other: 401 },
  { name: 'admin Basic', header: basic('admin@example.org', 'password'), demo: 'ok', other: 'ok' },
  { name: 'admin Basic with demo-api-key as the password', header: basic('admin@example.org', 'demo-api-key'), demo: 'ok', other: 'ok' },
  { name: 'admin Basic with other-only-key as the password', header: basic('admin@example.org', 'other-only-key'), demo: 401, other: 'ok' },
  { name: 'admin Basic with expired-api-key as the password', header: basic('admin@example.org', 'expired-api-key'), demo: 401, other: 401 },
  { name: 'admin Basic with reader-role-key as the password', header: basic('admin@example.org', 'reader-role-key'), demo: 403, other: 401 },
  { name: 'former ApiKey former-api-key (deactivated in demo)', header: 'ApiKey former@example.org:former-api-key', demo: 403, other: 403 },
  { name: 'former Basic (deactivated in demo)', header: basic('former@example.org', 'password'), demo: 403, other: 403 },
  { name: 'locked ApiKey inactive-account-key (account inactive)', header: 'ApiKey locked@example.org:inactive-account-key', demo: 401, other: 401 },
  { name: 'locked Basic (account inactive)', header: basic('locked@example.org', 'password'), demo: 401, other: 401 },
  { name: 'admin Bearer demo-bearer-token', header: 'Bearer demo-bearer-token', demo: 'ok', other: 'ok' },
  { name: 'viewer ApiKey viewer-api-key', header: 'ApiKey viewer@example.org:viewer-api-key', demo: 403, other: 403 },
  { name: 'viewer Basic', header: basic('viewer@example.org', 'password'), demo: 403, other: 403 },
  { name: 'otheradmin ApiKey other-api-key', header: 'ApiKey otheradmin@example.org:other-api-key', demo: 403, other: 'ok' },
  { name: 'otheradmin Basic', header: basic('otheradmin@example.org', 'password'), demo: 403, other: 'ok' },
  { name: 'mobile worker jdoe Basic', header: basic('jdoe@demo.commcarehq.org', 'jdoe-password'), demo: 403, other: 403 },
  { name: 'mobile worker mary Basic', header: basic('mary.banda@other.commcarehq.org', 'mary-password'), demo: 403, other: 403 },
  { name: 'no credentials', demo: 401, other: 401 },
  { name: 'wrong key of the same length', header: 'ApiKey admin@example.org:demo-api-kez', demo: 401, other: 401 },
  { name: 'wrong key of another length', header: 'ApiKey admin@example.org:demo-api-key-and-more', demo: 401, other: 401 },
  { name: 'empty key', header: 'ApiKey admin@example.org:', demo: 401, other: 401 },
  { name: 'key of another web user', header: 'ApiKey viewer@example.org:demo-api-key', demo: 401, other: 401 },
  { name: 'wrong Basic password', header: basic('admin@example.org', 'passwore'), demo: 401, other: 401 },
  { name: 'unknown Bearer token', header: 'Bearer demo-bearer-tokeN', demo: 401, other: 401 },
  { name: 'ApiKey without a colon', header: 'ApiKey admin@example.org', demo: 400, other: 400 }
]

const USERS = { demo: JDOE, other: MARY }

interface Operation {
  name: string
  method: 'GET' | 'PUT' | 'POST' | 'DELETE'
  path: (domain: 'demo' | 'other', n: number) => string
  body?: (domain: string, n: number) => unknown
  ok: number
}

const OPERATIONS: Operation[] = [
  { name: 'list', method: 'GET', path: d => `/a/${d}/api/v0.5/user/`, ok: 200 },
  { name: 'detail', method: 'GET', path: d => `/a/${d}/api/user/v1/${USERS[d]}/`, ok: 200 },
  { name: 'edit', method: 'PUT', path: d => `/a/${d}/api/v0.5/user/${USERS[d]}/`, body: (_d, n) => ({ first_name: `Edit ${n}` }), ok: 200 },
  { name: 'create', method: 'POST', path: d => `/a/${d}/api/v0.5/user/`, body: (_d, n) => ({ username: `matrix-${n}`, password: 'pw-matrix' }), ok: 201 },
  { name: 'delete (unknown id)', method: 'DELETE', path: d => `/a/${d}/api/v0.5/user/ffffffffffffffffffffffffffffffff/`, ok: 404 },
  { name: 'deactivate (unknown id)', method: 'POST', path: d => `/a/${d}/api/v0.5/user/ffffffffffffffffffffffffffffffff/deactivate/`, ok: 404 }
]

t.test('credential × domain × method answers exactly as BEHAVIOR §2', async t => {
  const store = await Store.open({ seedPath: SEED, dataDir: null })
  const app = await buildApp({ store })
  t.teardown(() => app.close())
  let n = 0
  let checked = 0
  for (const cred of CREDENTIALS) {
    for (const domain of ['demo', 'other'] as const) {
      for (const op of OPERATIONS) {
        n++
        const expected = cred[domain] === 'ok' ? op.ok : cred[domain]
        const path = op.path(domain, n)
        const url = cred.query === undefined ? path : `${path}?${cred.query}`
        const before = JSON.stringify(store.exportState())
        const res = await app.inject({
          method: op.method,
          url,
          headers: { ...cred.extra, ...(cred.header === undefined ? {} : { authorization: cred.header }), ...(op.body === undefined ? {} : { 'content-type': 'application/json' }) },
          payload: op.body === undefined ? undefined : JSON.stringify(op.body(domain, n))
        })
        t.equal(res.statusCode, expected, `${cred.name} · ${domain} · ${op.name}: ${expected}`)
        if (typeof cred[domain] === 'number') {
          t.ok(JSON.stringify(store.exportState()) === before, `${cred.name} · ${domain} · ${op.name}: nothing changed`)
          if (expected !== 400) t.equal(res.body, '', `${cred.name} · ${domain} · ${op.name}: empty body`)
        }
        checked++
      }
    }
  }
  t.equal(checked, CREDENTIALS.length * 2 * OPERATIONS.length, `${checked} combinations checked`)

  // Ids do not cross domains either: the other domain's id under this domain is unknown.
  const headers = { authorization: 'ApiKey admin@example.org:demo-api-key', 'content-type': 'application/json' }
  const before = JSON.stringify(store.exportState().domains.demo)
  const cross = await app.inject({ method: 'PUT', url: `/a/other/api/v0.5/user/${JDOE}/`, headers, payload: '{"first_name": "Crossed"}' })
  t.equal(cross.statusCode, 500, "PUT of demo's user under other: HQ's 500")
  t.ok(JSON.stringify(store.exportState().domains.demo) === before, 'and demo is unchanged')
  const read = await app.inject({ method: 'GET', url: `/a/other/api/v0.5/user/${JDOE}/`, headers })
  t.equal(read.statusCode, 400, "GET of demo's user under other: the unknown-id 400")
  t.notMatch(read.body, /jdoe|Jane/i, 'no data of the other domain')
  const list = await app.inject({ method: 'GET', url: '/a/other/api/v0.5/user/?limit=0', headers })
  t.notOk(list.json().objects.some((u: any) => u.username.endsWith('@demo.commcarehq.org')), "other's list holds no demo user")
})

const SECRETS = [
  'demo-api-key', 'other-only-key', 'revoked-api-key', 'viewer-api-key', 'expired-api-key', 'reader-role-key',
  Buffer.from('admin@example.org:demo-api-key').toString('base64'), 'other-api-key', 'demo-bearer-token',
  'admin@example.org:password', Buffer.from('admin@example.org:password').toString('base64'),
  'jdoe-password', Buffer.from('jdoe@demo.commcarehq.org:jdoe-password').toString('base64'),
  'N3w-s3cret-pass', 'wrong-but-secret-key', 'my-admin-token-value'
]

t.test('secrets never reach the log, the journal or an answer', async t => {
  const dir = await tempDir(t)
  const server = await startProcess(['--data', join(dir, 'data'), '--log-level', 'debug', '--admin-token', 'my-admin-token-value'])
  t.teardown(() => stop(server))
  const answers: string[] = []
  const send = async (path: string, init: RequestInit = {}): Promise<Response> => {
    const res = await fetch(server.url + path, { ...init, signal: AbortSignal.timeout(10_000) })
    answers.push(JSON.stringify([...res.headers]) + (await res.clone().text()))
    return res
  }
  const json = { 'content-type': 'application/json' }
  const user = `/a/demo/api/v0.5/user/${JDOE}/`
  const statuses = [
    (await send(user, { headers: { authorization: 'ApiKey admin@example.org:demo-api-key' } })).status,
    (await send(`${user}?username=admin@example.org&api_key=demo-api-key`)).status,
    (await send('/a/demo/api/v0.5/user/?username=admin@example.org&api_key=wrong-but-secret-key&limit=1')).status,
    (await send(user, { headers: { authorization: 'Bearer demo-bearer-token' } })).status,
    (await send(user, { headers: { authorization: basic('admin@example.org', 'password') } })).status,
    (await send(user, { headers: { authorization: basic('jdoe@demo.commcarehq.org', 'jdoe-password') } })).status,
    (await send(user, { headers: { authorization: 'ApiKey admin@example.org:revoked-api-key' } })).status,
    (await send(user, { headers: { authorization: 'ApiKey viewer@example.org:viewer-api-key' } })).status,
    (await send(user, { headers: { authorization: 'ApiKey otheradmin@example.org:other-api-key' } })).status,
    (await send('/a/other/api/v0.5/user/', { headers: { authorization: 'ApiKey admin@example.org:other-only-key' } })).status,
    (await send(user, { headers: { authorization: 'ApiKey admin@example.org:other-only-key' } })).status,
    (await send(user, { headers: { authorization: 'ApiKey admin@example.org:expired-api-key' } })).status,
    (await send(user, { headers: { authorization: 'ApiKey admin@example.org:reader-role-key' } })).status,
    (await send(user, { headers: { authorization: basic('admin@example.org', 'demo-api-key') } })).status,
    (await send(`/a/demo/api/v0.5/user/${JDOE}/deactivate/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=admin%40example.org&api_key=wrong-but-secret-key' })).status,
    (await send('/api/user_domains/v1/', { headers: { authorization: 'ApiKey admin@example.org:wrong-but-secret-key' } })).status,
    (await send(user, { method: 'PUT', headers: { ...json, authorization: 'ApiKey admin@example.org:demo-api-key' }, body: '{"password": "N3w-s3cret-pass"}' })).status,
    (await send(user, { method: 'PUT', headers: { ...json, authorization: 'ApiKey admin@example.org:demo-api-key' }, body: '{"password": "N3w-s3cret-pass", "bogus": 1}' })).status,
    (await send(user, { method: 'PUT', headers: { ...json, authorization: 'ApiKey admin@example.org:demo-api-key' }, body: '{"password": 5, "first_name": "Plain"}' })).status,
    (await send('/a/demo/api/v0.5/user/', { method: 'POST', headers: { ...json, authorization: 'ApiKey admin@example.org:demo-api-key' }, body: '{"username": "leaky", "password": "N3w-s3cret-pass"}' })).status,
    (await send('/__mock/health', { headers: { authorization: 'Bearer my-admin-token-value' } })).status,
    (await send('/__mock/health', { headers: { 'x-mock-admin-token': 'wrong-but-secret-key' } })).status
  ]
  t.same(statuses, [200, 200, 401, 200, 200, 403, 401, 403, 403, 200, 401, 401, 403, 200, 401, 401, 200, 400, 500, 201, 200, 200], 'the requests got their answers (health: liveness, even with a wrong token)')
  const journal = await send('/__mock/requests?limit=1000', { headers: { 'x-mock-admin-token': 'my-admin-token-value' } })
  const journalText = journal.status === 200 ? await journal.text() : ''
  t.equal(journal.status, 200, 'the journal answers')
  t.ok(journalText.includes('/a/demo/api/v0.5/user/'), 'and holds the requests')
  await stop(server)
  const log = server.output()
  t.ok(log.split('\n').length > 16, 'the debug log has lines to scan')
  for (const secret of SECRETS) {
    t.notOk(log.includes(secret), `the log never holds ${secret.slice(0, 4)}…`)
    t.notOk(journalText.includes(secret), `the journal never holds ${secret.slice(0, 4)}…`)
    t.same(answers.filter(a => a.includes(secret)), [], `no answer holds ${secret.slice(0, 4)}…`)
  }
})

t.test('a stalled client is cut off while others are served', async t => {
  const store = await Store.open({ seedPath: SEED, dataDir: null })
  const app = await buildApp({ store, requestTimeout: 1 })
  t.teardown(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  const stall = (text: string): Promise<{ closedAfter: number, answer: string }> => new Promise(resolve => {
    const started = Date.now()
    const socket = connect(port, '127.0.0.1', () => socket.write(text))
    let answer = ''
    socket.on('data', d => { answer += d.toString() })
    socket.on('error', () => {})
    socket.on('close', () => resolve({ closedAfter: Date.now() - started, answer }))
    setTimeout(() => socket.destroy(), 20_000).unref()
  })
  const halfHead = stall('GET /a/demo/api/v0.5/user/ HTTP/1.1\r\nHost: x\r\nAuthori')
  const halfBody = stall(`PUT /a/demo/api/v0.5/user/${JDOE}/ HTTP/1.1\r\nHost: x\r\nAuthorization: ApiKey admin@example.org:demo-api-key\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"first_na`)
  // Meanwhile, others are served.
  const served = await Promise.all(Array.from({ length: 10 }, async () => {
    const res = await fetch(`http://127.0.0.1:${port}/a/demo/api/v0.5/user/`, { headers: { authorization: 'ApiKey admin@example.org:demo-api-key' }, signal: AbortSignal.timeout(10_000) })
    return res.status
  }))
  t.same(served, Array(10).fill(200), 'other clients are served while two connections stall')
  for (const [name, p] of [['half a request head', halfHead], ['half a body', halfBody]] as const) {
    const { closedAfter } = await p
    t.ok(closedAfter < 19_000, `${name}: the server closed the connection (after ${closedAfter} ms, timeout 1 s)`)
    t.ok(closedAfter >= 900, `${name}: not before the timeout`)
  }
  t.equal((await app.inject({ method: 'GET', url: `/a/demo/api/v0.5/user/${JDOE}/`, headers: { authorization: 'ApiKey admin@example.org:demo-api-key' } })).json().first_name, 'Jane', 'the half-sent PUT changed nothing')
})
