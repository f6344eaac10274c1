import t from 'tap'
import { readdir, stat, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { buildApp } from '../../src/app.js'
import { Store } from '../../src/store/store.js'
import { readDomainOnDisk } from '../../src/store/domain-writer.js'
import { ADMIN, AMINA, BRIAN, JDOE, SEED } from '../helpers/app.js'
import { startProcess } from '../helpers/process.js'
import { fillUp, getJson, mountable, putJson, seedWithUsers, sleep, stop, tempDir, tinyTmpfs } from './support.js'

// The change log under a crash: SIGKILL at random points while clients append
// and while compactions run (writes are large, so the log outgrows its bound
// every few dozen writes), for several seeds. After each kill every
// acknowledged write is on disk, nothing that was never sent is, and the
// server starts on what the kill left.

const WRITERS = 24
const SEEDS = (process.env.LOG_CRASH_SEEDS ?? '11,23,37,41,59').split(',').map(Number)

/** A small deterministic generator (mulberry32), so a failing seed can be run again. */
function random (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

async function logFiles (data: string): Promise<string[]> {
  return (await readdir(join(data, 'domains'))).filter(n => n.endsWith('.log')).sort()
}

t.test('SIGKILL during appends and compactions loses no acknowledged write', async t => {
  const dir = await tempDir(t)
  const { path: seed, ids } = await seedWithUsers(dir, WRITERS)
  const data = join(dir, 'data')
  let server = await startProcess(['--data', data, '--seed', seed])
  t.teardown(() => stop(server))
  const padding = 'p'.repeat(6_000)
  const lastOnDisk = new Map<string, number>()
  let compactions = 0
  for (const [round, seedValue] of SEEDS.entries()) {
    const next = random(seedValue)
    const killAfter = Math.floor(50 + next() * 1_200)
    const acked = new Map<string, number>()
    const started = new Map<string, number>()
    const run = { stopped: false, acks: 0 }
    const generations = new Set<string>()
    const current = server
    const writer = async (id: string): Promise<void> => {
      let seq = (round + 1) * 100_000
      while (!run.stopped) {
        seq++
        started.set(id, seq)
        try {
          const res = await putJson(current.url, `/a/demo/api/v0.5/user/${id}/`, { user_data: { seq, padding: padding.slice(0, Math.floor(next() * padding.length)) } }, 5_000)
          await res.arrayBuffer()
          if (res.status === 200) {
            acked.set(id, seq)
            run.acks++
          } else t.fail(`unexpected ${res.status}`)
        } catch {
          return
        }
      }
    }
    const watch = (async () => {
      while (!run.stopped) {
        for (const f of await logFiles(data).catch(() => [])) generations.add(f)
        await sleep(10)
      }
    })()
    const load = Promise.all(ids.map(writer))
    for (let waited = 0; run.acks === 0 && waited < 15_000; waited += 5) await sleep(5)
    await sleep(killAfter)
    server.child.kill('SIGKILL')
    await server.exited
    run.stopped = true
    await load
    await watch
    compactions += Math.max(0, generations.size - 1)

    const demo = await readDomainOnDisk(data, 'demo')
    const onDisk = new Map<string, number>(demo!.users.map(u => [u.id, (u.user_data.seq as number | undefined) ?? 0]))
    t.same(ids.filter(id => (onDisk.get(id) ?? -1) < (acked.get(id) ?? 0)), [], `seed ${seedValue}, kill after ${killAfter} ms, ${run.acks} acks: nobody behind their last acknowledged write`)
    t.same(ids.filter(id => (onDisk.get(id) ?? 0) > (started.get(id) ?? lastOnDisk.get(id) ?? 0)), [], 'nobody holds a write that was never sent')
    for (const [id, seq] of onDisk) lastOnDisk.set(id, seq)

    server = await startProcess(['--data', data, '--seed', seed])
    const behind: string[] = []
    for (const id of ids) {
      const { status, body } = await getJson(server.url, `/a/demo/api/v0.5/user/${id}/`)
      if (status !== 200 || (body.user_data.seq ?? 0) !== onDisk.get(id)) behind.push(id)
    }
    t.same(behind, [], 'the restarted server serves exactly what the disk holds')
    t.ok((await logFiles(data)).length <= 2, `at most two logs after the restart (${(await logFiles(data)).join(', ')})`)
  }
  t.ok(compactions > 0, `compactions ran during the load (${compactions} new log generations seen)`)
  await stop(server)
})

const skip = mountable()

t.test('a full disk during a compaction: writes go on in the log, the compaction is tried again', { skip: skip ?? false }, async t => {
  const mnt = await tinyTmpfs(t, '3m')
  const data = join(mnt, 'data')
  const notes: string[] = []
  let store = await Store.open({ seedPath: SEED, dataDir: data, warn: m => notes.push(m) })
  let app = await buildApp({ store })
  t.teardown(async () => { await app.close(); await store.close() })
  const put = async (id: string, body: unknown): Promise<number> => (await app.inject({ method: 'PUT', url: `/a/demo/api/v0.5/user/${id}/`, headers: { authorization: ADMIN, 'content-type': 'application/json' }, payload: JSON.stringify(body) })).statusCode

  // A snapshot of about 300 KB.
  t.equal(await put(JDOE, { user_data: { big: 'j'.repeat(150_000) } }), 200)
  t.equal(await put(AMINA, { user_data: { big: 'a'.repeat(150_000) } }), 200)
  for (let i = 0; i < 50 && (await logFiles(data)).length !== 1; i++) await sleep(20)
  const snapshot = (await stat(join(data, 'domains', 'demo.json'))).size
  t.ok(snapshot > 290_000, `the snapshot took in the first writes (${snapshot} bytes)`)

  // Room for the log to pass its bound (256 KiB), not for a new snapshot besides.
  const reserve = join(mnt, 'reserve')
  await writeFile(reserve, Buffer.alloc(256 * 1024 + Math.floor(snapshot / 2)))
  const filler = join(mnt, 'filler')
  await fillUp(filler)
  await unlink(reserve)

  let seq = 0
  let acked = 0
  const answers: number[] = []
  while (notes.length === 0 && seq < 60) {
    const status = await put(BRIAN, { user_data: { seq: ++seq, pad: 'b'.repeat(10_000) } })
    answers.push(status)
    if (status === 200) acked = seq
  }
  t.match(notes.join('\n'), /domain demo: compaction failed \(ENOSPC\); the log keeps every change/, 'the failed compaction is noted')
  // The compaction's half-written file takes the last free bytes for a moment:
  // the write in flight then may fail (500, rolled back); every one before succeeded.
  t.same(answers.slice(0, -1), answers.slice(0, -1).map(() => 200), `the ${answers.length - 1} writes before it succeeded`)
  t.ok(acked >= answers.length - 1)
  t.equal((await readDomainOnDisk(data, 'demo'))!.users.find(u => u.id === BRIAN)!.user_data.seq, acked, 'the acknowledged ones are on disk, a refused one is not')
  t.equal(store.domain('demo')!.usersById.get(BRIAN)!.user_data.seq, acked, 'and memory agrees')
  t.equal(await put(BRIAN, { user_data: { seq: ++seq, pad: 'b'.repeat(1_000) } }), 200, 'the failed compaction freed its space: writes go on in the log')

  // Space is back: the next compaction succeeds and retires the older logs.
  await unlink(filler)
  notes.length = 0
  for (let i = 0; i < 40 && (await logFiles(data)).length !== 1; i++) {
    const status = await put(BRIAN, { user_data: { seq: ++seq, pad: 'b'.repeat(10_000) } })
    t.equal(status, 200)
    await sleep(10)
  }
  t.equal((await logFiles(data)).length, 1, 'one log again')
  t.same(notes, [], 'no further failure')
  await app.close()
  await store.close()
  store = await Store.open({ seedPath: SEED, dataDir: data, warn: m => notes.push(m) })
  app = await buildApp({ store })
  t.equal(store.domain('demo')!.usersById.get(BRIAN)!.user_data.seq, seq, 'a restart has every acknowledged write')
  t.same(notes, [])
})
