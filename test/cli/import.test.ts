import t from 'tap'
import { createServer } from 'node:http'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BENCH_AUTH, BENCH_KEY, BENCH_USER, generateSeed } from '../../bench/seed.js'
import { BUNDLED_SEED } from '../../src/paths.js'
import type { Seed } from '../../src/store/schema.js'
import { runCli, server, tempDir } from './cli-run.js'

// `commcare-hq-mock import` against a running mock (the target), then a second
// mock started on the written seed: both must list the same workers, groups,
// locations and location types.

/** A 5,000-worker domain whose caller is an admin, with a location tree and location types. */
function bigSeed (): Seed {
  const seed = generateSeed({ big: 5000 })
  const d = seed.domains.big
  d.members = [{ username: BENCH_USER, is_admin: true }]
  d.location_types = [
    { id: 7, code: 'region', name: 'Region', parent: null, administrative: true, shares_cases: false, view_descendants: true },
    { id: 9, code: 'county', name: 'County', parent: 'region', administrative: false, shares_cases: true, view_descendants: false }
  ]
  d.locations.forEach((l, i) => {
    if (i === 0) l.location_type = 'region'
    else l.parent = d.locations[0].id
    if (i % 3 === 1) {
      l.latitude = `-1.${i}5`
      l.longitude = `36.8${i}`
      l.external_id = `ext-${i}`
      l.location_data = { code: `c${i}` }
    }
  })
  return seed
}

async function all (base: string, path: string, auth: string, query = ''): Promise<unknown[]> {
  const out: unknown[] = []
  let url = `${base}${path}?limit=1000${query}`
  for (;;) {
    const res = await fetch(url, { headers: { authorization: auth } })
    if (res.status !== 200) throw new Error(`${url}: ${res.status}`)
    const page = await res.json() as { meta: { next: string | null }, objects: unknown[] }
    out.push(...page.objects)
    if (page.meta.next === null) return out
    url = `${base}${path}${page.meta.next}`
  }
}

/** A list's objects with the server's own origin (absolute URLs) taken out. */
async function listed (base: string, path: string, auth: string, query = ''): Promise<string> {
  return JSON.stringify(await all(base, path, auth, query)).split(base).join('<base>')
}

t.test('import of a 5,000-worker domain writes a seed a new server loads with the same lists', async t => {
  const dir = tempDir(t)
  const seedFile = join(dir, 'target-seed.json')
  writeFileSync(seedFile, JSON.stringify(bigSeed()))
  const target = await server(t, ['--seed', seedFile])

  const out = join(dir, 'imported.json')
  const run = await runCli(['import', '--url', target.url, '--domain', 'big', '--username', BENCH_USER, '--api-key', BENCH_KEY, '--out', out])
  t.equal(run.code, 0, 'exits 0', { output: run.stderr })
  t.equal(run.stdout, '')
  t.match(run.stderr, /active mobile workers: 1000 of 4900\n/)
  t.match(run.stderr, /active mobile workers: 4900 of 4900\n/)
  t.match(run.stderr, /deactivated mobile workers: 100 of 100\n/)
  t.match(run.stderr, new RegExp(`wrote ${out.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: 5000 mobile workers, 20 groups, 10 locations, 2 location types`))
  t.match(run.stderr, /web user: bench@example\.org with the placeholder API key 'mock-api-key'/)
  t.notMatch(run.stderr, /\n\s+at /, 'no stack trace')

  const text = readFileSync(out, 'utf8')
  t.notOk(text.includes(BENCH_KEY), 'the real API key is not in the seed')
  t.notOk(text.includes('bench-password'), 'the web user\'s password is not in the seed')
  const seed = JSON.parse(text) as Seed
  t.same(seed.web_users.map(w => [w.username, w.api_keys]), [[BENCH_USER, [{ key: 'mock-api-key', domain: null, active: true }]]])
  t.notOk(seed.domains.big.users.some(u => 'password' in u || 'password_hash' in u), 'workers get no password')
  t.same(seed.domains.big.custom_user_fields, ['chw_id'])
  t.same(seed.domains.big.profiles, [{ id: 1, name: 'Profile 1', fields: { program: 'maternal-health' } }])

  const copy = await server(t, ['--seed', out])
  const theirs = BENCH_AUTH
  const mine = `ApiKey ${BENCH_USER}:mock-api-key`
  for (const [path, query] of [
    ['/a/big/api/v0.5/user/', ''],
    ['/a/big/api/v0.5/user/', '&archived=true'],
    ['/a/big/api/user/v1/', ''],
    ['/a/big/api/v0.5/group/', ''],
    ['/a/big/api/v0.5/location/', ''],
    ['/a/big/api/location/v2/', ''],
    ['/a/big/api/v0.5/location_type/', '']
  ]) {
    const a = await listed(target.url, path, theirs, query)
    const b = await listed(copy.url, path, mine, query)
    t.ok(a.length > 100, `${path}${query} lists something`)
    t.equal(b, a, `${path}${query}: the same objects in the same order`)
  }
  const workers = await all(copy.url, '/a/big/api/v0.5/user/', mine)
  t.equal(workers.length, 4900)
})

t.test('import --anonymize replaces names, e-mails, phone numbers and usernames consistently', async t => {
  const dir = tempDir(t)
  const target = await server(t, [])
  const out = join(dir, 'anon.json')
  const run = await runCli(['import', '--url', target.url, '--domain', 'demo', '--username', 'admin@example.org', '--api-key-env', 'HQ_KEY', '--out', out, '--anonymize', '--worker-passwords'], { env: { HQ_KEY: 'demo-api-key' } })
  t.equal(run.code, 0, 'exits 0', { output: run.stderr })
  const original = (JSON.parse(readFileSync(BUNDLED_SEED, 'utf8')) as Seed).domains.demo.users
  const seed = JSON.parse(readFileSync(out, 'utf8')) as Seed
  const users = seed.domains.demo.users
  t.equal(users.length, original.filter(u => u.retired !== true).length)
  const before = new Map(original.map(u => [u.id, u]))
  for (const u of users) {
    const o = before.get(u.id)!
    t.ok(o !== undefined, 'ids are kept')
    if (o.first_name !== '') t.not(u.first_name, o.first_name, 'first name replaced')
    if (o.email !== '') t.match(u.email, /^person\d+@example\.org$/)
    t.match(u.username, /^worker\d+@demo\.commcarehq\.org$/)
    for (const p of u.phone_numbers) t.match(p, /^1555\d{7}$/)
    t.equal(u.phone_numbers.length, o.phone_numbers.length)
    t.equal(typeof u.password, 'string', 'a generated password')
  }
  // The same input always maps to the same replacement.
  const names = new Map<string, string>()
  for (const u of users) {
    const o = before.get(u.id)!
    if (names.has(o.last_name)) t.equal(u.last_name, names.get(o.last_name))
    names.set(o.last_name, u.last_name)
  }
  for (const u of users) {
    t.ok(run.stderr.includes(`  ${u.username} ${u.password!}\n`), 'each generated password is listed once on stderr')
    t.equal(run.stderr.split(u.password!).length, 2)
  }
  t.notOk(readFileSync(out, 'utf8').includes('demo-api-key'))
  // The anonymized seed loads, and the worker logs in with the listed password.
  const copy = await server(t, ['--seed', out])
  const res = await fetch(`${copy.url}/a/demo/api/v0.5/user/`, { headers: { authorization: 'ApiKey admin@example.org:mock-api-key' } })
  t.equal(res.status, 200)
  t.equal(((await res.json()) as { objects: unknown[] }).objects.length, users.filter(u => u.is_active).length)
})

t.test('import failures are one clear line, never a stack trace', async t => {
  const dir = tempDir(t)
  const target = await server(t, [])
  const base = ['import', '--domain', 'demo', '--username', 'admin@example.org', '--out', join(dir, 's.json')]

  const wrong = await runCli([...base, '--url', target.url, '--api-key', 'not-the-key'])
  t.equal(wrong.code, 3)
  t.match(wrong.stderr, /^import: reading project space 'demo' from http:\/\/127\.0\.0\.1:\d+ as admin@example\.org\ncommcare-hq-mock import: http:\/\/127\.0\.0\.1:\d+ refused the credentials of 'admin@example\.org' \(401\): check --username and the API key or password/)
  t.notOk(wrong.stderr.includes('not-the-key'), 'the key is not echoed')

  const closed = createServer()
  await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve))
  const closedPort = (closed.address() as { port: number }).port
  await new Promise(resolve => closed.close(resolve))
  const refused = await runCli([...base, '--url', `http://127.0.0.1:${closedPort}`, '--api-key', 'k'])
  t.equal(refused.code, 3)
  t.match(refused.stderr, `commcare-hq-mock import: cannot reach http://127.0.0.1:${closedPort} (GET /api/v0.5/identity/): connection refused (is the server running, and is the port right?)\n`)

  // A server that accepts the connection and never answers.
  const silent = createServer(() => {})
  await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { silent.closeAllConnections(); silent.close() })
  const port = (silent.address() as { port: number }).port
  const slow = await runCli([...base, '--url', `http://127.0.0.1:${port}`, '--api-key', 'k', '--timeout', '1'])
  t.equal(slow.code, 3)
  t.match(slow.stderr, /did not answer GET \/api\/v0\.5\/identity\/ within 1 s \(timeout; raise it with --timeout\)/)

  const nowhere = await runCli(['import', '--url', target.url, '--domain', 'no-such-project', '--username', 'admin@example.org', '--api-key', 'demo-api-key', '--out', join(dir, 's.json')])
  t.equal(nowhere.code, 3)
  t.match(nowhere.stderr, `commcare-hq-mock import: ${target.url} has no project space 'no-such-project' (404 for its worker list)\n`)

  const usage = await runCli(['import', '--url', target.url, '--domain', 'demo', '--username', 'u'])
  t.equal(usage.code, 2)
  t.match(usage.stderr, /^commcare-hq-mock import: give exactly one of --api-key, --api-key-env and --password-env\n/)
  for (const r of [wrong, refused, slow, nowhere, usage]) t.notMatch(r.stderr, /\n\s+at /)
})

t.test('a caller who may not read locations or web users: stand-in locations, a role with what was readable, no drift', async t => {
  const dir = tempDir(t)
  const seedFile = join(dir, 'limited.json')
  writeFileSync(seedFile, JSON.stringify(generateSeed({ small: 30 })))
  const target = await server(t, ['--seed', seedFile])
  const out = join(dir, 'imported.json')
  const run = await runCli(['import', '--url', target.url, '--domain', 'small', '--username', BENCH_USER, '--api-key', BENCH_KEY, '--out', out])
  t.equal(run.code, 0, 'exits 0', { output: run.stderr })
  t.match(run.stderr, 'import: note: locations: /a/small/api/v0.5/location/ answered 403; none imported\n')
  t.match(run.stderr, 'import: note: locations: the 10 locations workers are assigned to are stand-ins (named by their id), as the location resource could not be read\n')
  t.match(run.stderr, "import: note: bench@example.org: role not readable; given the role 'Imported API access' with the permissions the target showed (access_api, edit_commcare_users, view_commcare_users)\n")
  const seed = JSON.parse(readFileSync(out, 'utf8')) as Seed
  t.same(seed.domains.small.members, [{ username: BENCH_USER, role: 'Imported API access' }])
  t.equal(seed.domains.small.privileges, undefined, 'a 401 without credentials: the project has the LOCATIONS privilege')

  const transcript = join(dir, 't.json')
  t.equal((await runCli(['record', '--url', target.url, '--domain', 'small', '--username', BENCH_USER, '--api-key', BENCH_KEY, '--out', transcript])).code, 0)
  const verify = await runCli(['verify', '--transcript', transcript, '--seed', out, '--report', join(dir, 'r.json')])
  t.equal(verify.code, 0, 'no drift', { output: verify.stdout })
  t.match(verify.stdout, /^locations v0\.5: list +§9\.2 +403 +403 +ok$/m)
})
