import t from 'tap'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { DriftReport } from '../../src/verify/verify.js'
import type { Transcript } from '../../src/verify/transcript.js'
import { BUNDLED_SEED } from '../../src/paths.js'
import { CLI } from '../helpers/process.js'
import { recordFrom, runCli, server, tempDir, TARGET, verifyAgainst } from './cli-run.js'

// `record` against one mock (the target) and `verify` against another: two
// servers started alike show no drift, and the target is left as it was.
// (Targets started differently: verify-drift.test.ts.)

type State = { domains: Record<string, { users: Array<{ username: string, retired: boolean }> }> }

async function state (url: string): Promise<State> {
  return await (await fetch(`${url}/__mock/state`)).json() as State
}

/** The state without the throwaway workers a write run leaves retired (HQ keeps retired users). */
function withoutThrowaways (s: State): State {
  const copy = structuredClone(s)
  for (const d of Object.values(copy.domains)) d.users = d.users.filter(u => !u.username.startsWith('hq-mock-verify-'))
  return copy
}

// Started once for the whole file: two alike.
const [a, b] = await Promise.all([server(t, []), server(t, [])])
const mock = b
const shared = tempDir(t)

t.test('record with --allow-writes, then verify against an identically seeded server: no drift, exit 0', async t => {
  const dir = shared
  const before = await state(a.url)
  const transcript = await recordFrom(t, a.url, dir, 'same')

  // The target is as it was: nothing changed but the one throwaway worker, retired.
  const after = await state(a.url)
  t.same(withoutThrowaways(after), before)
  t.equal(JSON.stringify(withoutThrowaways(after)), JSON.stringify(before), 'byte for byte')
  const throwaways = Object.values(after.domains).flatMap(d => d.users).filter(u => u.username.startsWith('hq-mock-verify-'))
  t.equal(throwaways.length, 1)
  t.equal(throwaways[0].retired, true)
  t.match(throwaways[0].username, /^hq-mock-verify-[0-9a-f]{10}@demo\.commcarehq\.org$/)

  // The transcript holds no credential.
  const text = readFileSync(join(dir, 'same.json'), 'utf8')
  t.notOk(text.includes('demo-api-key'), 'no API key')
  t.notOk(/Hq-Mock-[0-9a-f]{12}-9!/.test(text), 'no throwaway password')
  t.notOk(/"authorization"/i.test(text), 'no Authorization header')
  t.equal(transcript.writes, true)
  t.ok(transcript.exchanges.length > 90)
  t.ok(transcript.exchanges.every(e => e.rule.startsWith('§')), 'every probe names its rule')

  const { code, stdout, report } = await verifyAgainst(t, join(dir, 'same.json'), b.url, dir, 'same')
  t.equal(code, 0, 'exits 0', { output: stdout })
  t.equal(report.drift_count, 0)
  t.equal(report.compared, transcript.exchanges.length)
  t.match(stdout, /^workers: list, first page +§7 +200 +200 +ok$/m)
  t.match(stdout, /\nNo drift: \d+ answers compared, 0 skipped\.\nReport: /)
})

t.test('verify --seed starts its own mock; a live run records first', async t => {
  const dir = tempDir(t)
  const report = join(dir, 'live-report.json')
  const run = await runCli(['verify', '--url', a.url, ...TARGET, '--seed', BUNDLED_SEED, '--report', report, '--out', join(dir, 'live.json')])
  t.equal(run.code, 0, 'exits 0', { output: run.stdout + run.stderr })
  t.match(run.stderr, /verify: started a mock on .* at http:\/\/127\.0\.0\.1:\d+\n/)
  const r = JSON.parse(readFileSync(report, 'utf8')) as DriftReport
  t.equal(r.drift_count, 0)
  t.equal(r.transcript.writes, false)
  t.ok((JSON.parse(readFileSync(join(dir, 'live.json'), 'utf8')) as Transcript).exchanges.length > 50)
})

t.test('verify usage and failures are one clear line', async t => {
  const dir = tempDir(t)
  const none = await runCli(['verify', '--mock', 'http://127.0.0.1:1'])
  t.equal(none.code, 2)
  t.match(none.stderr, /^commcare-hq-mock verify: give either --transcript <file> or a live target/)
  const missing = await runCli(['verify', '--transcript', join(dir, 'nope.json'), '--seed', BUNDLED_SEED])
  t.equal(missing.code, 3)
  t.match(missing.stderr, /^commcare-hq-mock verify: cannot read the transcript .*nope\.json: no such file\n$/)
  const wrongKey = await runCli(['verify', '--transcript', join(shared, 'same.json'), '--mock', mock.url, '--mock-api-key', 'nope'])
  t.equal(wrongKey.code, 3)
  t.match(wrongKey.stderr, /the mock at http:\/\/127\.0\.0\.1:\d+ refused 'admin@example\.org' with that API key \(401\); give --mock-username and --mock-api-key\n$/)
})

t.test('the throwaway worker is deleted even when the run fails or is interrupted', async t => {
  const dir = tempDir(t)
  const target = await server(t, [])
  const before = await state(target.url)
  const throwaways = async (): Promise<Array<{ username: string, retired: boolean }>> =>
    Object.values((await state(target.url)).domains).flatMap(d => d.users).filter(u => u.username.startsWith('hq-mock-verify-'))
  const fault = async (rule: object): Promise<void> => {
    await fetch(`${target.url}/__mock/faults`, { method: 'DELETE' })
    const res = await fetch(`${target.url}/__mock/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rule) })
    t.equal(res.status, 201)
  }

  // The connection drops on the first PUT: the run stops with one line and retires its worker.
  await fault({ method: 'PUT', path: '/a/demo/api/v0.5/user/*/', reset_connection: true })
  const broken = await runCli(['record', '--url', target.url, ...TARGET, '--allow-writes', '--out', join(dir, 'broken.json')])
  t.equal(broken.code, 3)
  t.match(broken.stderr, /record: deleting the throwaway worker hq-mock-verify-[0-9a-f]{10} \([0-9a-f]{32}\)\ncommcare-hq-mock record: cannot reach http:\/\/127\.0\.0\.1:\d+ \(PUT \/a\/demo\/api\/v0\.5\/user\/[0-9a-f]{32}\/\): the connection was closed before an answer came\n$/)
  t.same((await throwaways()).map(u => u.retired), [true])

  // Ctrl-C during the slow PUTs: the same.
  await fault({ method: 'PUT', path: '/a/demo/api/v0.5/user/*/', delay_ms: 700 })
  const child = spawn(process.execPath, [CLI, 'record', '--url', target.url, ...TARGET, '--allow-writes', '--out', join(dir, 'stopped.json')], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString()
    if (stderr.includes('60 probes answered')) setTimeout(() => child.kill('SIGINT'), 1000)
  })
  const code = await new Promise<number | null>(resolve => child.on('exit', c => resolve(c)))
  t.equal(code, 3)
  t.match(stderr, /record: interrupted: stopping and cleaning up\n(.|\n)*record: deleting the throwaway worker (.|\n)*commcare-hq-mock record: interrupted before the probes were done\n$/)
  t.same((await throwaways()).map(u => u.retired), [true, true])
  await fetch(`${target.url}/__mock/faults`, { method: 'DELETE' })
  t.same(withoutThrowaways(await state(target.url)), before)
})

t.test('record with a password (Basic) instead of a key; verify with the key', async t => {
  const dir = tempDir(t)
  const out = join(dir, 'basic.json')
  const run = await runCli(['record', '--url', a.url, '--domain', 'demo', '--username', 'admin@example.org', '--password-env', 'HQ_PASSWORD', '--out', out], { env: { HQ_PASSWORD: 'password' } })
  t.equal(run.code, 0, 'exits 0', { output: run.stderr })
  const transcript = JSON.parse(readFileSync(out, 'utf8')) as Transcript
  t.notOk(transcript.exchanges.some(e => e.request.auth === 'query-key'), 'no query-string key probe without a key')
  t.notOk(readFileSync(out, 'utf8').includes(Buffer.from('admin@example.org:password').toString('base64')))
  const { code, report } = await verifyAgainst(t, out, b.url, dir, 'basic')
  t.equal(code, 0)
  t.equal(report.drift_count, 0)
})
