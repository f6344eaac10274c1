import t, { type Test } from 'tap'
import fc from 'fast-check'
import { appendFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp } from '../../src/app.js'
import { Store } from '../../src/store/store.js'
import { logLine, parseLog } from '../../src/store/change-log.js'
import { readDomainOnDisk } from '../../src/store/domain-writer.js'
import { ADMIN, AMINA, BRIAN, GROUP_NORTH, GROUP_SOUTH, JDOE, LOC_NAIROBI, LOC_WESTLANDS, SEED } from '../helpers/app.js'

// The change log: its line format, replay equal to memory after any sequence
// of writes, compaction, and recovery from what a crash or damage leaves.

async function dataDir (t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hq-mock-log-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

async function logs (dir: string, domain = 'demo'): Promise<string[]> {
  return (await readdir(join(dir, 'domains'))).filter(n => n.startsWith(`${domain}.`) && n.endsWith('.log')).sort()
}

const H = { authorization: ADMIN, 'content-type': 'application/json' }

async function open (dir: string, notes: string[] = []): Promise<{ store: Store, app: Awaited<ReturnType<typeof buildApp>> }> {
  const store = await Store.open({ seedPath: SEED, dataDir: dir, fsync: false, warn: m => notes.push(m) })
  const app = await buildApp({ store })
  return { store, app }
}

t.test('a log line: checksum, space, JSON, newline; a cut or damaged line ends the log', async t => {
  const line = (json: string): Buffer => Buffer.concat(logLine(json))
  const header = line('{"log":1,"domain":"demo","base":"abc-1"}')
  const one = line('{"u":[{"id":"x"}]}')
  const two = line('{"k":{"toggles":[]}}')
  t.ok(Buffer.concat(logLine([Buffer.from('{"u":'), Buffer.from('[{"id":"x"}]}')])).equals(one), 'a line from pieces is the same line')
  t.match(one.toString(), /^[0-9a-f]{8} \{"u":\[\{"id":"x"\}\]\}\n$/)
  const whole = parseLog('p', 1, Buffer.concat([header, one, two]))
  t.same(whole.header, { log: 1, domain: 'demo', base: 'abc-1' })
  t.same(whole.records, [{ u: [{ id: 'x' }] }, { k: { toggles: [] } }])
  t.equal(whole.problem, null)
  t.equal(whole.validBytes, whole.totalBytes)

  const cut = parseLog('p', 1, Buffer.concat([header, one, two.subarray(0, 7)]))
  t.same(cut.records, [{ u: [{ id: 'x' }] }], 'a line cut short is dropped')
  t.match(cut.problem, /line 3 is cut short/)
  t.equal(cut.validBytes, header.length + one.length)

  for (let at = 0; at < two.length - 1; at++) {
    const flipped = Buffer.from(two)
    flipped[at] ^= 0x04
    const read = parseLog('p', 1, Buffer.concat([header, one, flipped]))
    t.same(read.records, [{ u: [{ id: 'x' }] }], `a bit flipped at byte ${at} of the last line drops that line only`)
  }
  const noHeader = parseLog('p', 1, Buffer.concat([one, two]))
  t.equal(noHeader.header, null)
  t.match(noHeader.problem, /not a change-log header/)
})

t.test('a line whose checksum matches but whose JSON does not parse alone ends the log there', async t => {
  const line = (json: string): Buffer => Buffer.concat(logLine(json))
  const header = line('{"log":1,"domain":"demo","base":"abc-1"}')
  const one = line('{"u":[{"id":"x","first_name":"é 😀"}]}')
  const three = line('{"k":{"toggles":[]}}')
  for (const bad of ['{"u":[', '{"a":1},{"b":2}', '', 'nul']) {
    const read = parseLog('p', 1, Buffer.concat([header, one, line(bad), three]))
    t.same(read.records, [{ u: [{ id: 'x', first_name: 'é 😀' }] }], `${JSON.stringify(bad)}: the records before it`)
    t.match(read.problem, bad === '' ? /line 3 does not match its checksum/ : /line 3 is not JSON although its checksum matches/)
    t.equal(read.validBytes, header.length + one.length, 'whole lines up to it')
  }
  const first = parseLog('p', 1, Buffer.concat([header, line('[1'), line('2]')]))
  t.same(first.records, [])
  t.match(first.problem, /line 2 is not JSON/)
  t.equal(first.validBytes, header.length)
  const many = Array.from({ length: 50 }, (_, i) => line(JSON.stringify({ u: [{ id: `u${i}`, n: 'ü'.repeat(i) }] })))
  const all = parseLog('p', 1, Buffer.concat([header, ...many]))
  t.equal(all.records.length, 50)
  t.same(all.records[49], { u: [{ id: 'u49', n: 'ü'.repeat(49) }] })
  t.equal(all.validBytes, all.totalBytes)
  const headerOnly = parseLog('p', 1, header)
  t.same([headerOnly.records, headerOnly.problem, headerOnly.validBytes], [[], null, header.length])
})

t.test('a PUT appends what it changed, not the domain', async t => {
  const dir = await dataDir(t)
  const { store, app } = await open(dir)
  t.teardown(async () => { await app.close(); await store.close() })
  const snapshot = join(dir, 'domains', 'demo.json')
  const before = await readFile(snapshot)
  const res = await app.inject({ method: 'PUT', url: `/a/demo/api/v0.5/user/${JDOE}/`, headers: H, payload: { first_name: 'Logged' } })
  t.equal(res.statusCode, 200)
  t.ok((await readFile(snapshot)).equals(before), 'the snapshot is not rewritten')
  const [name] = await logs(dir)
  const log = parseLog(name, 1, await readFile(join(dir, 'domains', name)))
  t.equal(log.records.length, 1)
  const record = log.records[0] as { u: Array<{ id: string, first_name: string }> }
  t.same(Object.keys(record), ['u'], 'one user, nothing else')
  t.same(record.u.map(u => [u.id, u.first_name]), [[JDOE, 'Logged']])
  t.ok((await stat(join(dir, 'domains', name))).size < before.length / 4, 'the log is a fraction of the domain')
})

// Writes of every kind in random order: after each run the disk (snapshot +
// log) equals memory, and so does a restart.
const write = fc.oneof(
  fc.record({ kind: fc.constant('put' as const), user: fc.constantFrom(JDOE, AMINA, BRIAN), first_name: fc.string({ maxLength: 8 }), groups: fc.subarray([GROUP_NORTH, GROUP_SOUTH]), user_data: fc.dictionary(fc.constantFrom('a', 'b', 'chw_id'), fc.string({ maxLength: 5 }), { maxKeys: 2 }) }),
  fc.record({ kind: fc.constant('locations' as const), user: fc.constantFrom(JDOE, AMINA), locations: fc.subarray([LOC_NAIROBI, LOC_WESTLANDS]) }),
  fc.record({ kind: fc.constant('create' as const), n: fc.nat(1_000_000), group: fc.boolean() }),
  fc.record({ kind: fc.constant('retire' as const), user: fc.constantFrom(AMINA, BRIAN) }),
  fc.record({ kind: fc.constant('active' as const), user: fc.constantFrom(JDOE, AMINA), on: fc.boolean() }),
  fc.record({ kind: fc.constant('group' as const), n: fc.nat(1_000_000) }),
  fc.record({ kind: fc.constant('ungroup' as const) }),
  fc.record({ kind: fc.constant('rename' as const), name: fc.string({ minLength: 1, maxLength: 6 }) }),
  fc.record({ kind: fc.constant('reset' as const) }),
  fc.record({ kind: fc.constant('member' as const), on: fc.boolean() })
)

type Write = typeof write extends fc.Arbitrary<infer W> ? W : never

async function apply (app: Awaited<ReturnType<typeof buildApp>>, w: Write): Promise<number> {
  const api = '/a/demo/api/v0.5'
  const inject = async (method: 'PUT' | 'POST' | 'DELETE' | 'PATCH', url: string, payload?: unknown): Promise<number> =>
    (await app.inject({ method, url, headers: H, ...(payload === undefined ? {} : { payload: payload as object }) })).statusCode
  switch (w.kind) {
    case 'put': return await inject('PUT', `${api}/user/${w.user}/`, { first_name: w.first_name, groups: w.groups, user_data: w.user_data })
    case 'locations': return await inject('PUT', `${api}/user/${w.user}/`, { locations: w.locations, primary_location: w.locations[0] ?? '' })
    case 'create': return await inject('POST', `${api}/user/`, { username: `gen${w.n}`, password: 'Passw0rd!x', groups: w.group ? [GROUP_NORTH] : [] })
    case 'retire': return await inject('DELETE', `${api}/user/${w.user}/`)
    case 'active': return await inject('POST', `${api}/user/${w.user}/${w.on ? 'activate' : 'deactivate'}/`)
    case 'group': return await inject('POST', `${api}/group/`, { name: `Team ${w.n}`, case_sharing: false, reporting: true, metadata: {}, users: [JDOE] })
    case 'ungroup': return await inject('DELETE', `${api}/group/${GROUP_SOUTH}/`)
    case 'rename': return await inject('PUT', `${api}/group/${GROUP_NORTH}/`, { name: `North ${w.name}` })
    case 'reset': return (await app.inject({ method: 'POST', url: '/__mock/domains/demo/reset' })).statusCode
    case 'member': return await inject('POST', `/a/demo/api/web-user/v1/${'b9391447a4d82190bc0f053878294952'}/${w.on ? 'activate' : 'deactivate'}/`)
  }
}

t.test('any sequence of writes: the disk equals memory, and a restart loads it', async t => {
  const dir = await dataDir(t)
  let { store, app } = await open(dir)
  t.teardown(async () => { await app.close(); await store.close() })
  const statuses = new Map<string, number>()
  const count = (w: Write, status: number): void => {
    if (status < 300) statuses.set(w.kind, (statuses.get(w.kind) ?? 0) + 1)
  }
  await fc.assert(fc.asyncProperty(fc.array(write, { minLength: 1, maxLength: 12 }), fc.boolean(), async (writes, concurrent) => {
    if (concurrent) await Promise.all(writes.map(async w => count(w, await apply(app, w))))
    else for (const w of writes) count(w, await apply(app, w))
    const memory = JSON.stringify(store.domain('demo')!.doc)
    if (JSON.stringify(await readDomainOnDisk(dir, 'demo')) !== memory) return false
    return true
  }), { numRuns: 60, seed: 20261201 })
  // Every kind of write succeeded now and then (a run of refusals would prove nothing).
  t.same([...statuses.keys()].sort(), ['active', 'create', 'group', 'locations', 'member', 'put', 'rename', 'reset', 'retire', 'ungroup'], `successful writes by kind: ${JSON.stringify(Object.fromEntries(statuses))}`)
  // A restart (without the clean stop's compaction: the files as they are) loads the same.
  const memory = JSON.stringify(store.domain('demo')!.doc)
  const copy = await dataDir(t)
  await copyTree(dir, copy)
  const again = await Store.open({ seedPath: SEED, dataDir: copy, fsync: false, warn: () => {} })
  t.equal(JSON.stringify(again.domain('demo')!.doc), memory, 'a start on the files as they are loads memory')
  await again.close()
  await app.close()
  await store.close()
  ;({ store, app } = await open(dir))
  t.equal(JSON.stringify(store.domain('demo')!.doc), memory, 'after a clean stop too')
  t.same(await logs(dir), [], 'a clean stop leaves no log: the snapshot holds everything')
})

async function copyTree (from: string, to: string): Promise<void> {
  const { cp } = await import('node:fs/promises')
  await cp(from, to, { recursive: true, filter: src => !src.endsWith('.lock') && !src.includes('lock') })
}

t.test('the log is compacted into the snapshot once it outgrows its bound', async t => {
  const dir = await dataDir(t)
  const notes: string[] = []
  const { store, app } = await open(dir, notes)
  t.teardown(async () => { await app.close(); await store.close() })
  const big = 'x'.repeat(20_000)
  let maxLogs = 0
  for (let i = 0; i < 40; i++) {
    const res = await app.inject({ method: 'PUT', url: `/a/demo/api/v0.5/user/${JDOE}/`, headers: H, payload: { user_data: { big, i } } })
    t.equal(res.statusCode, 200)
    maxLogs = Math.max(maxLogs, (await logs(dir)).length)
  }
  // Let a compaction in flight finish.
  for (let i = 0; i < 100 && (await logs(dir)).length > 1; i++) await new Promise(resolve => setTimeout(resolve, 20))
  t.ok(maxLogs <= 2, `at most two logs at once (seen ${maxLogs})`)
  const remaining = await logs(dir)
  t.equal(remaining.length, 1, 'one log left')
  t.ok(Number(remaining[0].split('.')[1]) > 1, `a later generation (${remaining[0]})`)
  const snapshot = JSON.parse(await readFile(join(dir, 'domains', 'demo.json'), 'utf8'))
  t.ok(snapshot.users.find((u: { id: string }) => u.id === JDOE).user_data.i >= 10, 'the snapshot took in the log')
  t.ok((await stat(join(dir, 'domains', remaining[0]))).size < 300 * 1024, 'the log stays under its bound')
  t.equal((await readDomainOnDisk(dir, 'demo'))!.users.find(u => u.id === JDOE)!.user_data.i, 39)
  t.same(notes, [])
})

t.test('start-up cuts a torn or damaged tail off with a note and keeps what came before', async t => {
  for (const damage of ['cut', 'flip', 'garbage'] as const) {
    const dir = await dataDir(t)
    let { store, app } = await open(dir)
    for (const name of ['One', 'Two', 'Three']) {
      t.equal((await app.inject({ method: 'PUT', url: `/a/demo/api/v0.5/user/${JDOE}/`, headers: H, payload: { first_name: name } })).statusCode, 200)
    }
    // As a crash leaves it: no clean stop (the files are copied while open).
    const crashed = await dataDir(t)
    await copyTree(dir, crashed)
    await app.close()
    await store.close()
    const [name] = await logs(crashed)
    const path = join(crashed, 'domains', name)
    const bytes = await readFile(path)
    const lastStart = bytes.lastIndexOf(0x0a, bytes.length - 2) + 1
    if (damage === 'cut') await writeFile(path, bytes.subarray(0, bytes.length - 5))
    if (damage === 'flip') {
      bytes[lastStart + 20] ^= 0x01
      await writeFile(path, bytes)
    }
    if (damage === 'garbage') await appendFile(path, '0000 half a line')
    const notes: string[] = []
    ;({ store, app } = await open(crashed, notes))
    const expected = damage === 'garbage' ? 'Three' : 'Two'
    t.equal(store.domain('demo')!.usersById.get(JDOE)!.first_name, expected, `${damage}: the writes before the damage are kept`)
    t.equal(notes.length, 1, `${damage}: one note`)
    t.match(notes[0], /demo\.\d+\.log: line \d+ (is cut short \(\d+ bytes without an end\)|does not match its checksum); the log is cut off there/)
    t.equal((await stat(path)).size, damage === 'garbage' ? bytes.length : lastStart, `${damage}: the file is cut back to its whole lines`)
    t.equal((await app.inject({ method: 'PUT', url: `/a/demo/api/v0.5/user/${JDOE}/`, headers: H, payload: { first_name: 'Four' } })).statusCode, 200)
    t.equal((await readDomainOnDisk(crashed, 'demo'))!.users.find(u => u.id === JDOE)!.first_name, 'Four', `${damage}: writes go on after the cut`)
    await app.close()
    await store.close()
  }
})

t.test('a log that follows another snapshot is not replayed; logs without a snapshot are removed', async t => {
  const dir = await dataDir(t)
  let { store, app } = await open(dir)
  t.equal((await app.inject({ method: 'PUT', url: `/a/demo/api/v0.5/user/${JDOE}/`, headers: H, payload: { first_name: 'Stale' } })).statusCode, 200)
  const crashed = await dataDir(t)
  await copyTree(dir, crashed)
  await app.close()
  await store.close()
  // The snapshot is replaced by hand (as a user editing the stopped server's file).
  const snapshotPath = join(crashed, 'domains', 'demo.json')
  const snapshot = JSON.parse(await readFile(snapshotPath, 'utf8'))
  snapshot.project_name = 'Edited by hand'
  await writeFile(snapshotPath, JSON.stringify(snapshot))
  const [log] = await logs(crashed)
  await writeFile(join(crashed, 'domains', 'gone.1.log'), await readFile(join(crashed, 'domains', log)))
  const notes: string[] = []
  ;({ store, app } = await open(crashed, notes))
  t.teardown(async () => { await app.close(); await store.close() })
  t.equal(store.domain('demo')!.doc.project_name, 'Edited by hand')
  t.not(store.domain('demo')!.usersById.get(JDOE)!.first_name, 'Stale', 'the stale log is not replayed')
  t.match(notes.join('\n'), /demo\.1\.log: not replayed, it follows another version of .*demo\.json/)
  t.match(notes.join('\n'), /gone\.1\.log: removed, domain gone has no data file/)
  t.same(await logs(crashed), [], 'both are removed')
  t.same(await logs(crashed, 'gone'), [])
})

t.test('docs/STORAGE.md: its example reads a running server\'s domain as a restart would load it', async t => {
  const { execFile } = await import('node:child_process')
  const { fileURLToPath } = await import('node:url')
  const root = fileURLToPath(new URL('../..', import.meta.url))
  const page = await readFile(join(root, 'docs', 'STORAGE.md'), 'utf8')
  const example = /<!-- example: storage -->\n```js\n([\s\S]*?)```/.exec(page)
  t.ok(example, 'the page has the example')
  const dir = await dataDir(t)
  const { store, app } = await open(dir)
  t.teardown(async () => { await app.close(); await store.close() })
  t.equal((await app.inject({ method: 'POST', url: '/a/demo/api/v0.5/user/', headers: H, payload: { username: 'from-docs', password: 'Passw0rd!x' } })).statusCode, 201)
  // Run as a module inside the package, so 'commcare-hq-mock' resolves to this build.
  const script = join(root, 'test-artifacts', `storage-example-${process.pid}.mjs`)
  const { mkdir } = await import('node:fs/promises')
  await mkdir(join(root, 'test-artifacts'), { recursive: true })
  await writeFile(script, example![1])
  t.teardown(() => rm(script, { force: true }))
  const out = await new Promise<string>((resolve, reject) => execFile(process.execPath, [script], { env: { ...process.env, MOCK_DATA_DIR: dir } }, (err, stdout, stderr) => err !== null ? reject(new Error(stderr)) : resolve(stdout)))
  t.equal(out, `${store.domain('demo')!.doc.users.length} workers in demo, as a restart would load them\n`)
})
