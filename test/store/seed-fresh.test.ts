import t from 'tap'
import type * as Tap from 'tap'
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startProcess, type ServerProcess } from '../helpers/process.js'

// A data directory laid down from another seed than the one given is noticed
// at start (one line; the stored data keeps being served) and --fresh (or
// MOCK_FRESH=1) lays the given seed down again. An upgrade of the mock alone,
// or a directory from before the seed's hash was recorded, does not warn.

const KEY = 'ApiKey me@example.org:my-key'
const web = [{ username: 'me@example.org', password: 'secret', api_keys: [{ key: 'my-key' }] }]
const SEED_A = JSON.stringify({ web_users: web, domains: { tiny: { users: [{ username: 'asha' }] } } })
const SEED_B = JSON.stringify({ web_users: web, domains: { tiny: { users: [{ username: 'bala' }] }, extra: {} } })

function warning (dir: string, seed: string): string {
  return `commcare-hq-mock: warning: the data directory ${dir} was laid down from another seed than ${seed}; ` +
    'it keeps serving its stored data. To start over from this seed, start with --fresh (or MOCK_FRESH=1).\n'
}

async function tempDir (t: Tap.Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hq-mock-fresh-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** Starts the server, asks for tiny's workers and the domain list, stops it. */
async function serve (t: Tap.Test, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ output: string, names: string[], domains: string[] }> {
  const server: ServerProcess = await startProcess(args, env)
  t.teardown(() => { server.child.kill('SIGKILL') })
  const res = await fetch(`${server.url}/a/tiny/api/v0.5/user/`, { headers: { authorization: KEY } })
  t.equal(res.status, 200)
  const names = ((await res.json()) as { objects: Array<{ first_name: string, username: string }> }).objects.map(u => `${u.username} ${u.first_name}`.trim())
  const domains = ((await (await fetch(`${server.url}/__mock/domains`)).json()) as { domains: Array<{ name: string }> }).domains.map(d => d.name)
  server.child.kill('SIGTERM')
  t.equal(await server.exited, 0)
  return { output: server.output(), names, domains }
}

t.test('seed A laid down, started on seed B: a warning and A\'s data; --fresh: B\'s', async t => {
  const dir = await tempDir(t)
  const data = join(dir, 'data')
  const a = join(dir, 'a.json')
  const b = join(dir, 'b.json')
  await writeFile(a, SEED_A)
  await writeFile(b, SEED_B)

  const first = await serve(t, ['--data', data, '--seed', a])
  t.notMatch(first.output, /warning/)
  t.strictSame(first.names, ['asha@tiny.commcarehq.org'])
  const global = JSON.parse(await readFile(join(data, 'global.json'), 'utf8'))
  t.equal(global.seed.laid_from, createHash('sha256').update(SEED_A).digest('hex'), 'the hash of the seed\'s bytes is kept beside the fingerprint')

  for (const round of ['first', 'second']) {
    const other = await serve(t, ['--data', data, '--seed', b])
    t.ok(other.output.startsWith(warning(data, b)), `the ${round} start on B says so, before the banner`)
    t.equal(other.output.split('\n').filter(l => l.includes('warning')).length, 1, 'in one line')
    t.strictSame(other.names, ['asha@tiny.commcarehq.org'], 'and serves A\'s stored data')
    t.strictSame(other.domains, ['tiny'])
  }

  const fresh = await serve(t, ['--data', data, '--seed', b, '--fresh'])
  t.notMatch(fresh.output, /warning/)
  t.strictSame(fresh.names, ['bala@tiny.commcarehq.org'], '--fresh lays B down')
  t.strictSame(fresh.domains, ['extra', 'tiny'])
  const after = await serve(t, ['--data', data, '--seed', b])
  t.notMatch(after.output, /warning/, 'and B is now the directory\'s seed')
  t.strictSame(after.names, ['bala@tiny.commcarehq.org'])

  // A reset on seed A lays A down: the directory is A's from then on.
  const onA = await startProcess(['--data', data, '--seed', a])
  t.teardown(() => { onA.child.kill('SIGKILL') })
  t.ok(onA.output().includes('warning'), 'a start on A warns again (the directory is B\'s)')
  t.equal((await fetch(`${onA.url}/__mock/reset`, { method: 'POST' })).status, 200)
  onA.child.kill('SIGTERM')
  t.equal(await onA.exited, 0)
  const afterReset = await serve(t, ['--data', data, '--seed', a])
  t.notMatch(afterReset.output, /warning/, 'after a reset on A, a start on A does not warn')
  t.strictSame(afterReset.names, ['asha@tiny.commcarehq.org'])

  const back = await serve(t, ['--data', data, '--seed', a], { MOCK_FRESH: '1' })
  t.notMatch(back.output, /warning/)
  t.strictSame(back.names, ['asha@tiny.commcarehq.org'], 'MOCK_FRESH=1 does the same')
  t.strictSame(back.domains, ['tiny'], 'the domains of B are gone')
})

t.test('an upgrade alone, or a directory that never recorded its seed, does not warn', async t => {
  const dir = await tempDir(t)
  const data = join(dir, 'data')
  const a = join(dir, 'a.json')
  const b = join(dir, 'b.json')
  await writeFile(a, SEED_A)
  await writeFile(b, SEED_B)
  await serve(t, ['--data', data, '--seed', a])
  const globalPath = join(data, 'global.json')
  const global = JSON.parse(await readFile(globalPath, 'utf8'))

  // Another version of the mock fingerprints the same bytes differently.
  await writeFile(globalPath, JSON.stringify({ ...global, seed: { ...global.seed, sha256: '0'.repeat(64) } }))
  const upgraded = await serve(t, ['--data', data, '--seed', a])
  t.notMatch(upgraded.output, /warning/)
  t.strictSame(upgraded.names, ['asha@tiny.commcarehq.org'])

  // A directory of 0.2: a fingerprint, no hash of the seed's bytes. It takes the seed it is started with.
  const { laid_from: _, ...old } = global.seed
  await writeFile(globalPath, JSON.stringify({ ...global, seed: { ...old, sha256: '0'.repeat(64) } }))
  const legacy = await serve(t, ['--data', data, '--seed', b])
  t.notMatch(legacy.output, /warning/, 'no warning: nothing says which seed laid it down')
  t.strictSame(legacy.names, ['asha@tiny.commcarehq.org'], 'and its data stays')
  t.equal(JSON.parse(await readFile(globalPath, 'utf8')).seed.laid_from, createHash('sha256').update(SEED_B).digest('hex'))
})
