import t from 'tap'
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

// The benchmark's quick mode: every scenario against the real server process,
// a second each on small domains, no figures judged; it fails on any error
// answer or on an acknowledged PUT missing after a SIGKILL and a restart.

const ROOT = fileURLToPath(new URL('..', import.meta.url))

t.test('npm run bench -- --quick works end to end', async t => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr.on('data', (d: Buffer) => { err += d.toString() })
  const code = await new Promise<number | null>(resolve => child.on('exit', resolve))
  t.equal(code, 0, `exit code 0\n${out}\n${err}`)
  t.match(out, /^OK: every scenario answered without errors/m)
  for (const row of ['GET (constant)', 'GET detail', 'GET list (limit=100)', 'PUT (one field)', 'mixed 80/20 GET/PUT', 'POST create']) {
    t.match(out, new RegExp(`^\\| ${row.replace(/[()]/g, '\\$&')} \\| .* \\| [\\d,]+ \\|$`, 'm'), `a table row for ${row}`)
  }
  for (const users of ['500', '2,000']) {
    t.match(out, new RegExp(`^\\| ${users} users \\| [\\d,]+ \\| [\\d.]+ \\| [\\d.]+ \\| [\\d,]+ \\| [\\d.]+ \\| [\\d.]+ \\| [\\d.]+ MB \\|$`, 'm'), `PUT and POST at ${users} users`)
  }
  t.match(out, /^\| full paged read, limit=1000 \(\d+ pages\) \| [\d.]+ s \|$/m, 'the paged read')
  t.match(out, /^\| bulk job, 8 clients, every worker once \| [\d.]+ s \(/m, 'the bulk job finished')
  t.match(out, /^\| start-up after SIGKILL, spawn → first answered GET detail \(median of 1: [\d,]+\) \| [\d,]+ ms \|$/m, 'the restart')
  t.match(out, /^\| RSS after the load \(peak\); the mock at 2,000 users, after GET, list, PUT and mixed \| [\d,]+ MB \([\d,]+\) \| [\d,]+ MB \([\d,]+\) \|$/m, 'RSS at the seed\'s size')
  t.match(out, /^\| RSS after the POST scenario too \([\d,]+ users\) \(peak\) \| \| [\d,]+ MB \([\d,]+\) \|$/m, 'RSS after the creates, with the number of workers')
  t.match(out, /^\| files at the SIGKILL \| .*domains\/bench\.json [\d.]+ MB/m, 'the files after SIGKILL')
  t.match(out, /^\| disk use during the bulk job, max \(× snapshot\) \| [\d.]+ MB \([\d.]+ × [\d.]+ MB\) \|$/m, 'the disk use')
  for (const target of ['bulk job', 'full paged read', 'start-up on the', 'RSS at 2,000 users ≤ 300 MB', 'disk use during the bulk job ≤ 3 × snapshot', 'POST ≥ 0.5 × PUT at 2,000 users', 'GET detail ≥ 0.6 × ceiling (wrk)', 'RSS ≤ 200 MB at 2,000 users after GET, list, PUT and mixed load']) {
    t.match(out, new RegExp(`^\\| ${target.replace(/[()×.]/g, '\\$&')}.* \\| (yes|NO) \\|$`, 'm'), `a target row: ${target}`)
  }
  const json = /^JSON: (\S+)$/m.exec(out)
  t.ok(json, 'names its JSON file')
  if (json === null) return
  const result = JSON.parse(await readFile(new URL(`../${json[1]}`, import.meta.url), 'utf8'))
  t.equal(result.quick, true)
  t.ok(result.mock.durability.put.checked > 0, 'PUTs were read back after SIGKILL and a restart')
  t.equal(result.mock.durability.put.lost, 0, 'none was lost')
  t.equal(result.large.bulk.finished, true, 'the quick bulk job updates every worker')
  t.equal(result.large.durability.checked, result.large.users, 'every bulk update was read back')
  t.equal(result.large.durability.lost, 0)
  t.equal(result.large.pagedRead.users, result.large.users)
  t.same(result.sizes.map((s: { users: number }) => s.users), [500, 2000])
  t.same(result.problems, [])
})

t.test('--only runs a subset, --server-dir the mock of another checkout', async t => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--only', 'large', '--server-dir', ROOT], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr.resume()
  const code = await new Promise<number | null>(resolve => child.on('exit', resolve))
  t.equal(code, 0, out)
  t.match(out, /^\| large domain \(2,000 users\) \| figure \|$/m)
  t.notMatch(out, /GET \(constant\)|by domain size|small domain/, 'no other scenario ran')
  t.match(out, new RegExp(`server ${join(ROOT, 'dist', 'cli.js').replace(/[.]/g, '\\.')};`))
  const json = /^JSON: (\S+)$/m.exec(out)
  if (json === null) return t.fail('names its JSON file')
  const result = JSON.parse(await readFile(new URL(`../${json[1]}`, import.meta.url), 'utf8'))
  t.same(result.scenarios, ['large'])
  t.same(result.targets.map((x: { target: string }) => x.target), [
    'bulk job (8 clients, every worker of 2,000 once) ≤ 30 s',
    'full paged read of 2,000 workers (limit=1000) ≤ 5 s',
    'start-up on the 2,000-user directory after the bulk job ≤ 2 s',
    'RSS at 2,000 users ≤ 300 MB (after the bulk job)',
    'disk use during the bulk job ≤ 3 × snapshot',
    'every acknowledged bulk update read back after SIGKILL'
  ])
})

t.test('--only with an unknown scenario: exit 2 and the names it takes', async t => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--only', 'main,nope'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  child.stderr.on('data', (d: Buffer) => { err += d.toString() })
  t.equal(await new Promise<number | null>(resolve => child.on('exit', resolve)), 2)
  t.match(err, /--only takes a comma-separated list of main, wrk, sizes, small, large; not: nope/)
})
