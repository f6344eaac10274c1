import t from 'tap'
import { startMockServer, EMAIL_TYPES, type MockServer, type JournalEntry, type OutboxEmail, type OutboxFilter } from 'commcare-hq-mock'
import { seedDomain } from './helpers/seed.js'

// The fixture exactly as an integrator uses it: imported by the package's name
// (the built dist/, through package.json "exports").

const ADMIN = 'ApiKey admin@example.org:demo-api-key'
const JDOE = '3c5a623af057e23a32ae4000cf291339'
const jdoe = (server: MockServer, domain = 'demo'): string => `${server.url}/a/${domain}/api/v0.5/user/${JDOE}/`

async function putName (url: string, name: string): Promise<Response> {
  return fetch(url, { method: 'PUT', headers: { authorization: ADMIN, 'content-type': 'application/json' }, body: JSON.stringify({ first_name: name, password: 'never-shown' }) })
}

t.test('startMockServer starts, serves, resets and closes', async t => {
  const server = await startMockServer()
  t.teardown(() => server.close())
  t.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  t.ok(server.port > 0)
  t.equal(server.store.inMemory, true)

  const seeded = await (await fetch(jdoe(server), { headers: { authorization: ADMIN } })).json()
  t.equal((await putName(jdoe(server), 'Changed')).status, 200)
  t.equal((await (await fetch(jdoe(server), { headers: { authorization: ADMIN } })).json()).first_name, 'Changed')

  const puts: JournalEntry[] = server.requests({ method: 'PUT' })
  t.equal(puts.length, 1)
  t.same(puts[0].request.body, { first_name: 'Changed', password: '[redacted]' })
  t.equal(server.requests({ limit: 1 })[0].method, 'GET')

  await server.reset()
  t.same(await (await fetch(jdoe(server), { headers: { authorization: ADMIN } })).json(), seeded)
  t.equal(server.requests().length, 1, 'reset cleared the journal; only the GET after it is there')
  server.clearRequests()
  t.equal(server.requests().length, 0)

  const health = await (await fetch(`${server.url}/__mock/health`)).json()
  t.equal(health.status, 'ok')

  await server.close()
  await server.close()
  await t.rejects(fetch(jdoe(server)), 'closed: nothing listens any more')
})

t.test('faults, domains on the fly and per-domain reset through the fixture', async t => {
  const server = await startMockServer({ journalSize: 10 })
  t.teardown(() => server.close())

  const copy = await server.createDomain('fixture-copy', 'demo')
  t.same(copy, { name: 'fixture-copy', project_name: copy.project_name, users: 5, groups: 3, seeded: false })
  const got = await fetch(jdoe(server, 'fixture-copy'), { headers: { authorization: ADMIN } })
  t.equal(got.status, 200)
  t.equal((await got.json()).username, 'jdoe@fixture-copy.commcarehq.org')

  const rule = server.addFault({ method: 'PUT', domain: 'fixture-copy', status: 429, times: 2 })
  t.equal(rule.remaining, 2)
  t.same(server.faults().map(f => f.id), [rule.id])
  const statuses = []
  for (let i = 0; i < 3; i++) statuses.push((await putName(jdoe(server, 'fixture-copy'), `N${i}`)).status)
  t.same(statuses, [429, 429, 200])
  t.equal((await putName(jdoe(server), 'DemoChange')).status, 200, 'demo is not faulted')
  server.clearFaults()
  t.same(server.faults(), [])

  await server.reset('fixture-copy')
  t.not((await (await fetch(jdoe(server, 'fixture-copy'), { headers: { authorization: ADMIN } })).json()).first_name, 'N2')
  t.equal((await (await fetch(jdoe(server), { headers: { authorization: ADMIN } })).json()).first_name, 'DemoChange', 'demo keeps its change')

  const tiny = await server.createDomain('tiny', seedDomain({
    project_name: 'Tiny',
    members: [{ username: 'admin@example.org', permissions: ['edit_commcare_users', 'access_api'] }]
  }))
  t.equal(tiny.users, 0)
  const list = await fetch(`${server.url}/a/tiny/api/v0.5/user/`, { headers: { authorization: ADMIN } })
  t.equal(list.status, 200)
  t.same((await list.json()).objects, [])
  await t.rejects(server.createDomain('tiny', 'demo'), { name: 'MockApiError', message: "there is already a domain 'tiny'" })
  await t.rejects(server.createDomain('Bad Name', 'demo'), { name: 'MockApiError', message: /^name must match/ })

  const snapshot = server.exportState()
  await server.deleteDomain('tiny')
  t.same(server.domains().map(d => d.name), ['demo', 'fixture-copy', 'other'])
  await server.importState(snapshot)
  t.same(server.domains().map(d => d.name), ['demo', 'fixture-copy', 'other', 'tiny'])

  for (let i = 0; i < 30; i++) await fetch(`${server.url}/a/demo/api/v0.5/user/${JDOE}/?i=${i}`, { headers: { authorization: ADMIN } })
  t.equal(server.requests().length, 10, 'the journal keeps its bound')
})

t.test('the outbox through the fixture: read with filters, clear, reset', async t => {
  const server = await startMockServer()
  t.teardown(() => server.close())
  t.same(server.outbox(), [])
  const { outbox } = server.app.ctx
  const reset = await fetch(`${jdoe(server)}email_password_reset/`, { method: 'POST', headers: { authorization: ADMIN } })
  t.equal(reset.status, 202, 'a password reset through the CommCare API')
  const [first] = server.outbox()
  t.match(first, { type: 'password_reset', domain: 'demo', to: 'jane.doe@example.org', user_id: JDOE })
  outbox.record({ type: 'account_confirmation', domain: 'other', to: 'new@example.org', user_id: 'u2' })
  const third = outbox.record({ type: 'invitation', domain: 'demo', to: 'invitee@example.org', invitation_id: 'i1' })

  const all: OutboxEmail[] = server.outbox()
  t.same(all.map(e => e.to), ['invitee@example.org', 'new@example.org', 'jane.doe@example.org'], 'newest first')
  const filter: OutboxFilter = { domain: 'demo', to: 'Jane.Doe@EXAMPLE.org' }
  t.same(server.outbox(filter), [first])
  t.same(server.outbox({ type: 'invitation' }), [third])
  all[0].to = 'changed@example.org'
  t.equal(server.outbox()[0].to, 'invitee@example.org', 'a copy: changing it changes nothing')
  const fromApi = await (await fetch(`${server.url}/__mock/outbox?domain=demo`)).json()
  t.same(fromApi.emails, server.outbox({ domain: 'demo' }), 'the same as GET /__mock/outbox')

  t.same(server.clearOutbox({ type: 'invitation' }), [third])
  t.same(server.outbox().map(e => e.type), ['account_confirmation', 'password_reset'])
  await server.reset('other')
  t.same(server.outbox().map(e => e.domain), ['demo'], 'a domain reset clears its e-mails')
  outbox.record({ type: 'password_reset', domain: 'other', to: 'mary@example.org', user_id: 'u3' })
  t.equal(server.clearOutbox().length, 2, 'without a filter: everything')
  outbox.record({ type: 'password_reset', domain: 'other', to: 'mary@example.org', user_id: 'u3' })
  await server.reset()
  t.same(server.outbox(), [], 'reset empties the outbox')
  t.same([...EMAIL_TYPES], ['account_confirmation', 'password_reset', 'invitation'])
})

t.test('options: admin token and a seed file', async t => {
  const server = await startMockServer({ adminToken: 'tok', auth: false })
  t.teardown(() => server.close())
  t.equal((await fetch(`${server.url}/__mock/domains`)).status, 401)
  t.equal((await fetch(`${server.url}/__mock/domains`, { headers: { authorization: 'Bearer tok' } })).status, 200)
  t.equal((await fetch(jdoe(server))).status, 200, '--no-auth: no credentials needed')
  await server.reset()
  await t.rejects(startMockServer({ seed: '/nonexistent/seed.json' }), /cannot read the seed file/)
})

t.test('a process whose test never calls close() ends by itself, and a data directory is left closed', async t => {
  const { spawn } = await import('node:child_process')
  const { mkdtemp, rm, writeFile } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const dir = await mkdtemp(join(tmpdir(), 'hq-mock-no-close-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const script = join(dir, 'forgets-close.mjs')
  // A keep-alive connection stays open too: it must not hold the process either.
  await writeFile(script, `import { startMockServer } from ${JSON.stringify(import.meta.resolve('commcare-hq-mock'))}
const server = await startMockServer({ dataDir: ${JSON.stringify(join(dir, 'data'))} })
const res = await fetch(server.url + '/a/demo/api/v0.5/user/${JDOE}/', { method: 'PUT', headers: { authorization: '${ADMIN}', 'content-type': 'application/json' }, body: '{"first_name": "Kept"}' })
console.log('PUT', res.status)
`)
  const started = Date.now()
  const { code, out } = await new Promise<{ code: number | null, out: string }>(resolve => {
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    child.stderr.on('data', (d: Buffer) => { out += d.toString() })
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    child.on('close', code => { clearTimeout(timer); resolve({ code, out }) })
  })
  const ms = Date.now() - started
  t.equal(code, 0, out)
  t.equal(out, 'PUT 200\n')
  t.ok(ms < 6000, `exited by itself in ${ms} ms`)
  // Closed on the way out: the write is on disk and the directory's lock is free.
  const again = await startMockServer({ dataDir: join(dir, 'data') })
  t.teardown(() => again.close())
  const got = await fetch(jdoe(again), { headers: { authorization: ADMIN } })
  t.equal((await got.json()).first_name, 'Kept')

  // keepAlive: true is a script that serves until it is stopped.
  const serving = join(dir, 'serves.mjs')
  await writeFile(serving, `import { startMockServer } from ${JSON.stringify(import.meta.resolve('commcare-hq-mock'))}
const server = await startMockServer({ keepAlive: true })
console.log(server.url)
`)
  const child = spawn(process.execPath, [serving], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => { child.kill('SIGKILL') })
  const url = await new Promise<string>(resolve => child.stdout.once('data', (d: Buffer) => { resolve(d.toString().trim()) }))
  await new Promise(resolve => setTimeout(resolve, 1500))
  t.equal(child.exitCode, null, 'still running')
  t.equal((await fetch(`${url}/__mock/health`)).status, 200, 'and serving')
})

t.test('useMockServer with tap: started before the tests, reset before each, closed after', async t => {
  const { useMockServer } = await import('commcare-hq-mock/test')
  let url = ''
  await t.test('inside', async t => {
    const hq = useMockServer(t)
    t.throws(() => hq.url, { message: /^the mock server is not started yet \(reading \.url\)/ }, 'before the hook: a clear error')
    t.test('first test changes a worker', async t => {
      url = hq.url
      t.equal((await putName(jdoe(hq), 'Changed')).status, 200)
      t.equal(hq.requests({ method: 'PUT' }).length, 1)
    })
    t.test('the second starts from the seed', async t => {
      t.equal(hq.url, url, 'the same server')
      t.equal((await (await fetch(jdoe(hq), { headers: { authorization: ADMIN } })).json()).first_name, 'Jane')
      t.same(hq.requests({ method: 'PUT' }), [])
    })
  })
  await t.rejects(fetch(`${url}/__mock/health`), 'closed after its tests')
})

t.test('useMockServer takes vitest\'s names, and says what is missing', async t => {
  const { useMockServer } = await import('commcare-hq-mock/test')
  const hooks: Record<string, Array<() => Promise<void>>> = { beforeAll: [], afterAll: [], beforeEach: [] }
  const hq = useMockServer({
    beforeAll: fn => hooks.beforeAll.push(fn),
    afterAll: fn => hooks.afterAll.push(fn),
    beforeEach: fn => hooks.beforeEach.push(fn)
  }, { adminToken: 'tok' })
  t.same(Object.values(hooks).map(h => h.length), [1, 1, 1])
  await hooks.beforeAll[0]()
  t.equal((await fetch(`${hq.url}/__mock/domains`)).status, 401, 'the options reach the server')
  await hooks.beforeEach[0]()
  await hooks.afterAll[0]()
  await t.rejects(fetch(`${hq.url}/__mock/health`))
  t.throws(() => useMockServer({}), { name: 'TypeError', message: /needs the runner's hooks/ })
  t.throws(() => useMockServer({ before: () => {}, after: () => {} }), { message: /pass the runner's beforeEach too/ })
  const noReset = useMockServer({ before: () => {}, after: () => {} }, { resetBeforeEach: false })
  t.equal(await Promise.resolve(noReset), noReset, 'awaiting the handle before the start does not throw')
})
