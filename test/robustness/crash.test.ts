import t from 'tap'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startProcess } from '../helpers/process.js'
import { readDomainOnDisk } from '../../src/store/domain-writer.js'
import { getJson, putJson, seedWithUsers, sleep, stop, tempDir } from './support.js'

// Crash safety: an acknowledged write survives SIGKILL. 50 clients each write
// their own user with an increasing sequence number; the server is killed after
// a chosen time under load and restarted on the same directory.

const WRITERS = 50
const KILL_AFTER_MS = [50, 200, 500, 1200]

t.test('a SIGKILL under load loses no acknowledged write', async t => {
  const dir = await tempDir(t)
  const { path: seed, ids } = await seedWithUsers(dir, WRITERS)
  const data = join(dir, 'data')
  let first = await startProcess(['--data', data, '--seed', seed])
  t.teardown(() => stop(first))

  const lastOnDisk = new Map<string, number>()
  for (const [round, killAfter] of KILL_AFTER_MS.entries()) {
    const server = first
    const acked = new Map<string, number>()
    const started = new Map<string, number>()
    const run = { stopped: false, acks: 0 }
    let sent = 0
    const writer = async (id: string): Promise<void> => {
      // Each round counts from a higher base, so "never sent" stays checkable.
      let seq = (round + 1) * 100_000
      while (!run.stopped && seq < (round + 1) * 100_000 + 10_000) {
        seq++
        started.set(id, seq)
        sent++
        try {
          const res = await putJson(server.url, `/a/demo/api/v0.5/user/${id}/`, { user_data: { seq } }, 5_000)
          await res.arrayBuffer()
          if (res.status === 200) {
            acked.set(id, seq)
            run.acks++
          } else t.fail(`unexpected ${res.status} for ${id}`)
        } catch {
          return // the server is gone
        }
      }
    }
    const load = Promise.all(ids.map(writer))
    // The clock starts at the first acknowledgement: connection set-up and the
    // first flush take a while on a slow machine.
    for (let waited = 0; run.acks === 0 && waited < 15_000; waited += 5) await sleep(5)
    await sleep(killAfter)
    server.child.kill('SIGKILL')
    t.equal(await server.exited, 'SIGKILL', `killed after ${killAfter} ms`)
    run.stopped = true
    await load
    t.ok(run.acks > 0, `${sent} PUTs sent, ${run.acks} acknowledged before the kill ${killAfter} ms after the first one`)

    // The files parse and hold at least every acknowledged sequence number.
    const global = JSON.parse(await readFile(join(data, 'global.json'), 'utf8'))
    t.equal(global.format, 1, 'global.json parses')
    const files = (await readdir(join(data, 'domains'))).filter(f => f.endsWith('.json') && !f.startsWith('.'))
    t.same(files.sort(), ['demo.json', 'other.json'], 'the domain files are all there')
    // What a restart loads: the snapshot with its change log replayed.
    const demo: any = await readDomainOnDisk(data, 'demo')
    const onDisk = new Map<string, number>(demo.users.map((u: any) => [u.id, u.user_data.seq ?? 0]))
    const behind = ids.filter(id => (onDisk.get(id) ?? -1) < (acked.get(id) ?? 0))
    t.same(behind, [], 'no user is behind its last acknowledged sequence on disk')
    const ahead = ids.filter(id => (onDisk.get(id) ?? 0) > (started.get(id) ?? lastOnDisk.get(id) ?? 0))
    t.same(ahead, [], 'no user holds a sequence that was never sent')
    for (const [id, seq] of onDisk) lastOnDisk.set(id, seq)

    // A restart on the same directory (stale lock included) serves the same state.
    first = await startProcess(['--data', data, '--seed', seed])
    const mismatched: string[] = []
    for (const id of ids) {
      const { status, body } = await getJson(first.url, `/a/demo/api/v0.5/user/${id}/`)
      if (status !== 200 || (body.user_data.seq ?? 0) < (acked.get(id) ?? 0)) mismatched.push(id)
    }
    t.same(mismatched, [], `after the restart every user shows at least its acknowledged sequence (kill at ${killAfter} ms)`)
    const leftovers = (await readdir(join(data, 'domains'))).filter(f => f.endsWith('.tmp'))
    t.same(leftovers, [], 'temporary files of the killed process are cleaned up on start')
  }
  await stop(first)
})
