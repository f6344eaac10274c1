import t, { type Test } from 'tap'
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp } from '../../src/app.js'
import { Store, StartupError } from '../../src/store/store.js'
import { snapshotId } from '../../src/store/change-log.js'
import { checkedPath, readDomainOnDisk } from '../../src/store/domain-writer.js'
import { DomainSerializer, userLines } from '../../src/store/domain-file.js'
import { ADMIN, AMINA, BRIAN, JDOE, SEED } from '../helpers/app.js'
import type { DomainDoc } from '../../src/store/schema.js'

// A snapshot this version wrote (or checked) is recorded by its id beside it
// (`.<name>.checked`), and a start does not check it again; anything else —
// a file edited by hand, a record of another file or version — is checked.
// A snapshot is written one user a line, and a start on a recorded one parses
// only the users its log leaves as they are.

const H = { authorization: ADMIN, 'content-type': 'application/json' }

async function dataDir (t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hq-mock-checked-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

async function open (dir: string, notes: string[] = []): Promise<Store> {
  return await Store.open({ seedPath: SEED, dataDir: dir, fsync: false, warn: m => notes.push(m) })
}

/** The files as a SIGKILL would leave them (no clean stop's compaction), lock aside. */
async function copyTree (from: string, to: string): Promise<void> {
  await cp(from, to, { recursive: true, filter: src => !src.endsWith('.lock') })
}

const snapshotOf = (dir: string): string => join(dir, 'domains', 'demo.json')

async function record (dir: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(checkedPath(snapshotOf(dir)), 'utf8')) as Record<string, unknown>
}

async function startError (dir: string): Promise<StartupError> {
  try {
    const store = await open(dir)
    await store.close()
  } catch (err) {
    if (err instanceof StartupError) return err
    throw err
  }
  throw new Error('the start did not fail')
}

t.test('a snapshot is written one user a line, and recorded by its id', async t => {
  const dir = await dataDir(t)
  const store = await open(dir)
  const memory = JSON.stringify(store.domain('demo')!.doc)
  await store.close()
  const bytes = await readFile(snapshotOf(dir))
  const text = bytes.toString('utf8')
  t.same(JSON.parse(text), JSON.parse(memory), 'the file is the document')
  const lines = text.split('\n')
  const users = (JSON.parse(memory) as DomainDoc).users
  t.equal(lines.length, users.length + 2, 'the head, one line per user, the tail')
  t.match(lines[0], /"users":\[$/)
  t.match(lines.at(-1), /^\]/)
  t.same(lines.slice(1, -1).map(l => JSON.parse(l.replace(/,$/, '')).id), users.map(u => u.id))
  t.same(await record(dir), { checked: 1, by: (await record(dir)).by, snapshot: snapshotId([bytes]), lines: true })
})

t.test('userLines finds each user of a lines snapshot, and nothing in other JSON', async t => {
  const store = await Store.open({ seedPath: SEED, dataDir: null })
  const doc = store.domain('demo')!.doc
  const text = Buffer.concat(new DomainSerializer().serialize(doc, true)).toString()
  const found = userLines(text)!
  t.ok(found !== null)
  t.same(found.ids, doc.users.map(u => u.id))
  t.same(found.starts.map((s, i) => JSON.parse(text.slice(s, found.ends[i]))), doc.users)
  t.same({ ...found.head, users: doc.users }, doc, 'the head holds everything else, keys in their order')
  t.same(Object.keys(found.head), Object.keys(doc))
  t.equal(userLines(JSON.stringify(doc)), null, 'a document on one line')
  t.equal(userLines(JSON.stringify(doc, null, 2)), null, 'a pretty-printed document')
  const none = Buffer.concat(new DomainSerializer().serialize({ ...doc, users: [] }, true)).toString()
  t.equal(none, JSON.stringify({ ...doc, users: [] }), 'no users: no newline')
  // A user whose id is not its first key is found too (its id is read when it is parsed).
  const { id, ...rest } = doc.users[0]
  const moved = { ...doc, users: [{ ...rest, id }, ...doc.users.slice(1)] }
  const odd = userLines(Buffer.concat(new DomainSerializer().serialize(moved, true)).toString())!
  t.equal(odd.ids[0], null)
  t.equal(odd.ids[1], doc.users[1].id)
})

t.test('a start after a crash on a recorded snapshot loads what memory held', async t => {
  const dir = await dataDir(t)
  const store = await open(dir)
  const app = await buildApp({ store })
  t.teardown(async () => { await app.close(); await store.close() })
  for (const [id, name] of [[JDOE, 'One'], [AMINA, 'Two'], [JDOE, 'Three']]) {
    const res = await app.inject({ method: 'PUT', url: `/a/demo/api/v0.5/user/${id}/`, headers: H, payload: { first_name: name } })
    t.equal(res.statusCode, 200)
  }
  const created = await app.inject({ method: 'POST', url: '/a/demo/api/v0.5/user/', headers: H, payload: { username: 'lines-new', password: 'Passw0rd!x' } })
  t.equal(created.statusCode, 201)
  t.equal((await app.inject({ method: 'DELETE', url: `/a/demo/api/v0.5/user/${BRIAN}/`, headers: H })).statusCode, 204)
  const memory = JSON.stringify(store.domain('demo')!.doc)
  t.equal(JSON.stringify(await readDomainOnDisk(dir, 'demo')), memory, 'read from the disk')
  const copy = await dataDir(t)
  await copyTree(dir, copy)
  const again = await open(copy)
  t.equal(JSON.stringify(again.domain('demo')!.doc), memory, 'a start on the files as they are')
  await again.close()
})

t.test('a snapshot edited by hand is checked, although the one before was recorded', async t => {
  const dir = await dataDir(t)
  await (await open(dir)).close()
  t.equal((await record(dir)).lines, true)
  const doc = JSON.parse(await readFile(snapshotOf(dir), 'utf8')) as DomainDoc
  doc.users[0].groups.push('no-such-group')
  await writeFile(snapshotOf(dir), JSON.stringify(doc))
  const err = await startError(dir)
  t.match(err.problems.join('\n'), /unknown group 'no-such-group'/)
  // Edited in place, the file keeping its lines: still another file.
  await rm(dir, { recursive: true, force: true })
  await (await open(dir)).close()
  const text = await readFile(snapshotOf(dir), 'utf8')
  const bad = text.replace(`"id":"${JDOE}","username":`, `"id":"${JDOE}","username":7,"x":`)
  t.not(bad, text)
  await writeFile(snapshotOf(dir), bad)
  t.match((await startError(dir)).problems.join('\n'), /users\/\d+\/username/)
})

t.test('a stale record, or one of another version, does not spare the check', async t => {
  const dir = await dataDir(t)
  await (await open(dir)).close()
  const good = await record(dir)
  const doc = JSON.parse(await readFile(snapshotOf(dir), 'utf8')) as DomainDoc
  doc.users[0].locations.push('no-such-location')
  await writeFile(snapshotOf(dir), JSON.stringify(doc))
  // The record names the file as it was.
  t.match((await startError(dir)).problems.join('\n'), /unknown location 'no-such-location'/)
  // A record naming the file as it is, but of another version.
  const id = snapshotId([await readFile(snapshotOf(dir))])
  await writeFile(checkedPath(snapshotOf(dir)), JSON.stringify({ ...good, snapshot: id, by: 'another version' }))
  t.match((await startError(dir)).problems.join('\n'), /unknown location/)
  // Not a record at all.
  for (const junk of ['', '{"checked":1', 'null', JSON.stringify({ ...good, snapshot: id, lines: 'yes' })]) {
    await writeFile(checkedPath(snapshotOf(dir)), junk)
    t.match((await startError(dir)).problems.join('\n'), /unknown location/, `record ${JSON.stringify(junk).slice(0, 30)}`)
  }
  // What the record does: naming the file as it is, this version's, it spares the check.
  await writeFile(checkedPath(snapshotOf(dir)), JSON.stringify({ ...good, snapshot: id, lines: false }))
  const store = await open(dir)
  t.same(store.domain('demo')!.doc.users[0].locations.at(-1), 'no-such-location', 'loaded as recorded')
  await store.close()
})

t.test('a snapshot a start checked is recorded; a recorded one not in lines is parsed whole', async t => {
  const dir = await dataDir(t)
  await (await open(dir)).close()
  const doc = JSON.parse(await readFile(snapshotOf(dir), 'utf8')) as DomainDoc
  doc.users[0].first_name = 'Edited by hand'
  await writeFile(snapshotOf(dir), JSON.stringify(doc, null, 1))
  const first = await open(dir)
  t.equal(first.domain('demo')!.doc.users[0].first_name, 'Edited by hand')
  await first.close()
  const bytes = await readFile(snapshotOf(dir))
  t.same(await record(dir), { checked: 1, by: (await record(dir)).by, snapshot: snapshotId([bytes]), lines: false }, 'checked as it is, not written here')
  // A start on it, with a log to replay: the users are not where a lines
  // snapshot has them, and the file is parsed whole.
  const store = await open(dir)
  const app = await buildApp({ store })
  t.teardown(async () => { await app.close(); await store.close() })
  t.equal((await app.inject({ method: 'PUT', url: `/a/demo/api/v0.5/user/${AMINA}/`, headers: H, payload: { last_name: 'Logged' } })).statusCode, 200)
  const memory = JSON.stringify(store.domain('demo')!.doc)
  const copy = await dataDir(t)
  await copyTree(dir, copy)
  // Even a record claiming lines for it (which this version never writes) only costs the fast path.
  await writeFile(checkedPath(snapshotOf(copy)), JSON.stringify({ ...(await record(copy)), lines: true }))
  const again = await open(copy)
  t.equal(JSON.stringify(again.domain('demo')!.doc), memory)
  await again.close()
})

t.test('a log that replaces the whole document, or removes users, replays as before', async t => {
  const dir = await dataDir(t)
  const store = await open(dir)
  const app = await buildApp({ store })
  t.teardown(async () => { await app.close(); await store.close() })
  t.equal((await app.inject({ method: 'PUT', url: `/a/demo/api/v0.5/user/${JDOE}/`, headers: H, payload: { first_name: 'Before reset' } })).statusCode, 200)
  t.equal((await app.inject({ method: 'POST', url: '/__mock/domains/demo/reset' })).statusCode, 200)
  t.equal((await app.inject({ method: 'PUT', url: `/a/demo/api/v0.5/user/${AMINA}/`, headers: H, payload: { first_name: 'After reset' } })).statusCode, 200)
  const memory = JSON.stringify(store.domain('demo')!.doc)
  t.equal(JSON.stringify(await readDomainOnDisk(dir, 'demo')), memory)
  const copy = await dataDir(t)
  await copyTree(dir, copy)
  const again = await open(copy)
  t.equal(JSON.stringify(again.domain('demo')!.doc), memory)
  await again.close()
})

t.test('a deleted domain takes its record with it', async t => {
  const dir = await dataDir(t)
  const store = await open(dir)
  const app = await buildApp({ store })
  t.teardown(async () => { await app.close(); await store.close() })
  const made = await app.inject({ method: 'POST', url: '/__mock/domains', headers: { 'content-type': 'application/json' }, payload: { name: 'gone', from: 'demo' } })
  t.equal(made.statusCode, 201)
  const path = checkedPath(join(dir, 'domains', 'gone.json'))
  t.ok((await readFile(path, 'utf8')).includes('"lines":true'))
  t.equal((await app.inject({ method: 'DELETE', url: '/__mock/domains/gone' })).statusCode, 204)
  await t.rejects(readFile(path), { code: 'ENOENT' })
})
