// `npm run bench`: the mock (built, as a separate process, on a data directory
// with fsync on) against a bare Fastify server that answers a constant, with
// the same client settings, in one run. `--quick` runs a second or two per
// scenario on small domains and only checks that everything works (exit 0 or 1).
//
//   npm run bench                          full run (about 10 minutes), tables + JSON
//   npm run bench -- --quick               smoke run for CI
//   npm run bench -- --duration 20         seconds per rate scenario
//   npm run bench -- --only sizes,large    a subset: main, wrk, sizes, small, large
//   npm run bench -- --skip-scaling        main and wrk only
//   npm run bench -- --server-dir DIR      the mock from another checkout's built dist/
//   npm run bench -- --bulk-limit 300      stop the bulk job after this many seconds
//   npm run bench -- --profile DIR         CPU profiles of the mock processes (--cpu-prof)

import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { cpus, freemem, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { readAllUsers } from './client.js'
import { bulkUpdate, DiskSampler, fileSizes, type FileSize } from './large.js'
import { CONNECTIONS, runLoad, type LoadResult, type Scenario } from './load.js'
import { detailPath, getDetail, getList, mixed, post, put, PostCounter, PutLedger } from './scenarios.js'
import { BENCH_AUTH, userIds, writeSeed } from './seed.js'
import { memoryOf, startCeiling, startMock, stop, useServerDir, type Server } from './servers.js'
import { haveWrk, runWrk, writeWrkScript, WRK_CONNECTIONS, WRK_THREADS } from './wrk.js'

export const SCENARIOS = ['main', 'wrk', 'sizes', 'small', 'large'] as const
type ScenarioName = typeof SCENARIOS[number]

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    duration: { type: 'string' },
    'skip-scaling': { type: 'boolean', default: false },
    only: { type: 'string' },
    'server-dir': { type: 'string' },
    'bulk-limit': { type: 'string' },
    profile: { type: 'string' }
  }
})

const QUICK = flags.quick === true
const SECONDS = flags.duration !== undefined ? Number(flags.duration) : QUICK ? 1 : 10
const SCALING_SECONDS = QUICK ? 1 : SECONDS
const WARMUP = QUICK ? 0 : 2
const STARTS = QUICK ? 1 : 5
/** Restarts of the large domain's data directory as SIGKILL left it (each on a copy but the last). */
const RESTARTS = QUICK ? 1 : 3
const ROUNDS = QUICK ? 1 : 3
const USERS = QUICK ? 2_000 : 10_000
const SIZES = QUICK ? [500, 2_000] : [1_000, 10_000, 100_000]
const SMALL = 100
const OTHER = QUICK ? 2_000 : 100_000
const LARGE = QUICK ? 2_000 : 100_000
const BULK_CLIENTS = 8
const BULK_LIMIT = flags['bulk-limit'] !== undefined ? Number(flags['bulk-limit']) : QUICK ? 30 : 180
const PAGE = 1000
const NODE_ARGS = flags.profile !== undefined ? ['--cpu-prof', '--cpu-prof-dir', flags.profile] : []
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url))

function selection (): Set<ScenarioName> {
  if (flags.only !== undefined) {
    const names = flags.only.split(',').map(n => n.trim()).filter(n => n !== '')
    const unknown = names.filter(n => !(SCENARIOS as readonly string[]).includes(n))
    if (unknown.length > 0 || names.length === 0) {
      process.stderr.write(`--only takes a comma-separated list of ${SCENARIOS.join(', ')}; not: ${unknown.join(', ') || '(empty)'}\n`)
      process.exit(2)
    }
    return new Set(names as ScenarioName[])
  }
  if (flags['skip-scaling'] === true) return new Set(['main', 'wrk'])
  return new Set(SCENARIOS)
}

const ONLY = selection()
const SERVER = flags['server-dir'] !== undefined ? useServerDir(flags['server-dir']) : null

const problems: string[] = []
const running = new Set<Server>()

function log (line: string): void {
  process.stderr.write(line + '\n')
}

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

async function launch (start: () => Promise<Server>): Promise<Server> {
  const s = await start()
  running.add(s)
  s.child.once('exit', () => running.delete(s))
  return s
}

async function halt (s: Server, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
  await stop(s, signal)
  running.delete(s)
}

/** Runs a scenario (after an unrecorded warm-up) and records what went wrong. */
async function measure (url: string, scenario: Scenario, seconds: number, label: string): Promise<LoadResult> {
  if (WARMUP > 0) await runLoad(url, scenario, WARMUP)
  return check(label, await runLoad(url, scenario, seconds))
}

function combine (rounds: LoadResult[]): LoadResult {
  const requests = rounds.reduce((n, r) => n + r.requests, 0)
  const seconds = rounds.reduce((n, r) => n + r.seconds, 0)
  return {
    scenario: rounds[0].scenario,
    requests,
    seconds,
    rps: requests / seconds,
    p50: median(rounds.map(r => r.p50)),
    p99: Math.max(...rounds.map(r => r.p99)),
    non2xx: rounds.reduce((n, r) => n + r.non2xx, 0),
    errors: rounds.reduce((n, r) => n + r.errors, 0),
    timeouts: rounds.reduce((n, r) => n + r.timeouts, 0)
  }
}

/**
 * The ceiling and the mock take turns in short rounds, so a neighbour's load
 * on this shared machine falls on both about equally.
 */
async function interleaved (run: (url: string, seconds: number) => Promise<LoadResult>, ceilingUrl: string, mockUrl: string): Promise<[LoadResult, LoadResult]> {
  if (WARMUP > 0) {
    await run(ceilingUrl, WARMUP)
    await run(mockUrl, WARMUP)
  }
  const a: LoadResult[] = []
  const b: LoadResult[] = []
  for (let i = 0; i < ROUNDS; i++) {
    a.push(await run(ceilingUrl, SECONDS / ROUNDS))
    b.push(await run(mockUrl, SECONDS / ROUNDS))
  }
  return [check('ceiling', combine(a)), check('mock', combine(b))]
}

function check (label: string, r: LoadResult): LoadResult {
  log(`  ${label} ${r.scenario}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms` +
    (r.non2xx + r.errors + r.timeouts > 0 ? `, non-2xx ${r.non2xx}, errors ${r.errors}, timeouts ${r.timeouts}` : ''))
  if (r.requests === 0) problems.push(`${label} ${r.scenario}: no request completed`)
  if (r.non2xx > 0 || r.errors > 0 || r.timeouts > 0) {
    problems.push(`${label} ${r.scenario}: ${r.non2xx} non-2xx answers, ${r.errors} errors, ${r.timeouts} timeouts`)
  }
  return r
}

async function coldStarts (start: () => Promise<Server>): Promise<{ samples: number[], server: Server }> {
  const samples: number[] = []
  for (let i = 0; ; i++) {
    const s = await launch(start)
    samples.push(s.startMs)
    if (i === STARTS - 1) return { samples, server: s }
    await halt(s)
  }
}

interface Durability { checked: number, lost: number }

/**
 * Reads every worker back through the API of a running server (after a
 * restart) and compares it with what was acknowledged: the data directory may
 * hold a snapshot and a log, so its files alone do not tell.
 */
async function checkLedger (url: string, domain: string, ledger: PutLedger, label: string): Promise<Durability & { readMs: number }> {
  const read = await readAllUsers(url, domain, PAGE)
  const lost = ledger.lost(read.users)
  if (lost.length > 0) problems.push(`${label}: ${lost.length} acknowledged PUTs missing after the restart, e.g. ${lost.slice(0, 3).join('; ')}`)
  if (ledger.failed > 0) problems.push(`${label}: ${ledger.failed} PUTs failed`)
  if (ledger.wrongAnswers > 0) problems.push(`${label}: ${ledger.wrongAnswers} PUT answers did not show the new value`)
  if (ledger.acked.size === 0) problems.push(`${label}: no PUT was acknowledged`)
  log(`  ${label}: ${ledger.acked.size} users' last acknowledged values checked, ${lost.length} missing`)
  return { checked: ledger.acked.size, lost: lost.length, readMs: read.ms }
}

async function postAllowed (url: string, domain: string): Promise<boolean> {
  const res = await fetch(`${url}/a/${domain}/api/v0.5/user/`, { method: 'OPTIONS', headers: { authorization: BENCH_AUTH } })
  await res.arrayBuffer()
  return (res.headers.get('allow') ?? '').split(/,\s*/).includes('POST')
}

const totalBytes = (files: FileSize[]): number => files.reduce((n, f) => n + f.bytes, 0)
const snapshotBytes = (files: FileSize[], domain: string): number => files.find(f => f.file === join('domains', `${domain}.json`))?.bytes ?? NaN

/** A fresh server on a generated seed, in its own directory under `tmp`. */
async function fresh (tmp: string, tag: string, domains: Record<string, number>): Promise<{ dir: string, seed: string, data: string, server: Server }> {
  const dir = join(tmp, tag)
  await mkdir(dir)
  const seed = join(dir, 'seed.json')
  await writeSeed(seed, domains)
  const data = join(dir, 'data')
  const server = await launch(() => startMock(seed, data, NODE_ARGS))
  return { dir, seed, data, server }
}

/** Kills the server (SIGKILL), starts it again on the same directory and checks the ledger through it. */
async function killAndCheck (seed: string, data: string, s: Server, domain: string, ledger: PutLedger, label: string): Promise<{ durability: Durability, files: FileSize[], restartMs: number }> {
  await halt(s, 'SIGKILL')
  const files = await fileSizes(data)
  const again = await launch(() => startMock(seed, data, NODE_ARGS))
  const durability = await checkLedger(again.url, domain, ledger, label)
  await halt(again)
  return { durability, files, restartMs: again.startMs }
}

/** PUT throughput on `domain` of a server seeded with `domains`; then SIGKILL, restart and check. */
async function putOn (tmp: string, tag: string, domains: Record<string, number>, domain: string): Promise<Record<string, any>> {
  const { dir, seed, data, server } = await fresh(tmp, tag, domains)
  const ledger = new PutLedger('first_name', userIds(domain, domains[domain]))
  const r = await measure(server.url, put(domain, ledger), SCALING_SECONDS, tag)
  const after = await killAndCheck(seed, data, server, domain, ledger, `${tag} after SIGKILL`)
  await rm(dir, { recursive: true, force: true })
  return { ...r, firstStartMs: server.startMs, fileMb: snapshotBytes(after.files, domain) / 1e6, durability: after.durability }
}

/** PUT, then POST, on a domain of `users`: the same server, 50 connections each. */
async function putPostAt (tmp: string, users: number): Promise<Record<string, any>> {
  const tag = `size-${users}`
  const { dir, seed, data, server } = await fresh(tmp, tag, { bench: users })
  const ledger = new PutLedger('first_name', userIds('bench', users))
  const putRow = await measure(server.url, put('bench', ledger), SCALING_SECONDS, tag)
  let postRow: LoadResult | null = null
  if (await postAllowed(server.url, 'bench')) {
    const counter = new PostCounter(`s${users}x${Date.now().toString(36)}`)
    postRow = await measure(server.url, post('bench', counter), SCALING_SECONDS, tag)
    if (counter.failed > 0) problems.push(`${tag} POST: ${counter.failed} creates failed`)
  }
  const memory = await memoryOf(server.child.pid!)
  const after = await killAndCheck(seed, data, server, 'bench', ledger, `${tag} PUT after SIGKILL`)
  await rm(dir, { recursive: true, force: true })
  return {
    users,
    put: putRow,
    post: postRow,
    postRatio: postRow === null ? null : postRow.rps / putRow.rps,
    firstStartMs: server.startMs,
    memory,
    files: after.files,
    fileMb: snapshotBytes(after.files, 'bench') / 1e6,
    durability: after.durability
  }
}

/**
 * The large domain: a full paged read, a bulk job of 8 clients updating every
 * worker once with the data directory's size sampled, SIGKILL, the files left,
 * the restart to the first answered request, and every update read back.
 */
async function largeDomain (tmp: string): Promise<Record<string, any>> {
  const { dir, seed, data, server } = await fresh(tmp, 'large', { bench: LARGE })
  const ids = userIds('bench', LARGE)
  log(`  paged read of ${LARGE} workers at limit=${PAGE}`)
  const read = await readAllUsers(server.url, 'bench', PAGE)
  if (read.users.length !== LARGE) problems.push(`paged read: ${read.users.length} workers read, ${LARGE} expected`)
  log(`  ${read.users.length} workers in ${read.pages} pages, ${(read.ms / 1000).toFixed(2)} s`)
  const memoryAfterRead = await memoryOf(server.child.pid!)

  log(`  bulk job: ${BULK_CLIENTS} clients update all ${LARGE} workers once (stops after ${BULK_LIMIT} s)`)
  const ledger = new PutLedger('last_name', ids)
  const sampler = new DiskSampler(data)
  const bulk = await bulkUpdate(server.url, 'bench', ids, ledger, BULK_CLIENTS, BULK_LIMIT)
  await sampler.stop()
  log(`  ${bulk.updated} updated in ${bulk.seconds.toFixed(1)} s${bulk.finished ? '' : ` (stopped; the whole job at this rate: ${bulk.estimatedSeconds.toFixed(0)} s)`}, p99 ${bulk.p99} ms, ${bulk.failed} failed`)
  if (bulk.failed > 0) problems.push(`bulk job: ${bulk.failed} updates failed`)
  const memoryAfterBulk = await memoryOf(server.child.pid!)

  await halt(server, 'SIGKILL')
  const files = await fileSizes(data)
  log(`  after SIGKILL: ${files.map(f => `${f.file} ${(f.bytes / 1e6).toFixed(1)} MB`).join(', ')}`)
  const probe = detailPath('bench', ids[ids.length - 1])
  // A restart replays the log and then folds it into a new snapshot: the earlier restarts each get a
  // copy of the directory as it was at the SIGKILL, the last one the directory itself.
  const restarts: number[] = []
  for (let i = 1; i < RESTARTS; i++) {
    const copy = `${data}-restart-${i}`
    await cp(data, copy, { recursive: true })
    const s = await launch(() => startMock(seed, copy, NODE_ARGS, probe))
    restarts.push(s.startMs)
    await halt(s, 'SIGKILL')
    await rm(copy, { recursive: true, force: true })
  }
  const again = await launch(() => startMock(seed, data, NODE_ARGS, probe))
  restarts.push(again.startMs)
  log(`  restart to the first answered GET detail: ${restarts.map(ms => ms.toFixed(0)).join(', ')} ms`)
  const durability = await checkLedger(again.url, 'bench', ledger, 'bulk job after SIGKILL')
  const memoryAfterRestart = await memoryOf(again.child.pid!)
  await halt(again)
  await rm(dir, { recursive: true, force: true })
  const snapshot = snapshotBytes(files, 'bench')
  return {
    users: LARGE,
    pagedRead: { users: read.users.length, pages: read.pages, seconds: read.ms / 1000, limit: PAGE },
    bulk,
    disk: { maxBytes: sampler.max, samples: sampler.samples, snapshotBytes: snapshot, ratio: sampler.max / snapshot },
    files,
    restartMs: median(restarts),
    restartSamplesMs: restarts,
    firstStartMs: server.startMs,
    memory: { afterRead: memoryAfterRead, afterBulk: memoryAfterBulk, afterRestart: memoryAfterRestart },
    durability
  }
}

const fmt = (n: number, digits = 0): string => Number.isFinite(n)
  ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
  : 'n/a'

async function main (): Promise<void> {
  const tmp = await mkdtemp(join(tmpdir(), 'cchq-bench-'))
  const result: Record<string, any> = {
    time: new Date().toISOString(),
    quick: QUICK,
    scenarios: [...ONLY],
    server: SERVER ?? 'dist/cli.js',
    machine: {
      nproc: cpus().length,
      cpu: cpus()[0]?.model,
      memoryMb: Math.round(totalmem() / 2 ** 20),
      freeMemoryMb: Math.round(freemem() / 2 ** 20),
      node: process.version
    },
    settings: { connections: CONNECTIONS, pipelining: 1, seconds: SECONDS, warmupSeconds: WARMUP, getDetailRounds: ROUNDS, users: USERS, fsync: true, bulkClients: BULK_CLIENTS, bulkLimitSeconds: BULK_LIMIT }
  }
  try {
    if (ONLY.has('main') || ONLY.has('wrk')) await mainScenarios(tmp, result)
    if (ONLY.has('sizes')) {
      log('sizes: PUT and POST by domain size')
      result.sizes = []
      for (const n of SIZES) result.sizes.push(await putPostAt(tmp, n))
    }
    if (ONLY.has('small')) {
      log(`small: PUT on a ${SMALL}-user domain, alone and beside a ${OTHER}-user domain`)
      const alone = await putOn(tmp, 'small-alone', { small: SMALL }, 'small')
      const beside = await putOn(tmp, 'small-beside', { small: SMALL, big: OTHER }, 'small')
      result.small = { users: SMALL, other: OTHER, alone, beside, ratio: (beside.rps as number) / (alone.rps as number) }
    }
    if (ONLY.has('large')) {
      log(`large: a ${LARGE}-user domain`)
      result.large = await largeDomain(tmp)
    }

    result.targets = targets(result)
    result.problems = problems
    const name = `bench-${QUICK ? 'quick-' : ''}${result.time.replace(/[:.]/g, '-')}.json`
    await mkdir(RESULTS, { recursive: true })
    await writeFile(join(RESULTS, name), JSON.stringify(result, null, 2) + '\n')
    process.stdout.write(report(result) + `\nJSON: bench/results/${name}\n`)
  } finally {
    for (const s of [...running]) await stop(s, 'SIGKILL')
    await rm(tmp, { recursive: true, force: true })
  }
  if (problems.length > 0) {
    process.stdout.write(`\nFAILED:\n${problems.map(p => `- ${p}`).join('\n')}\n`)
    process.exitCode = 1
  } else {
    process.stdout.write('\nOK: every scenario answered without errors and every acknowledged PUT was read back after the restart\n')
  }
}

/**
 * The ceiling must answer what the mock answers for a GET detail of the
 * benchmark's first worker: the same body and the same header names, so the
 * two put the same bytes on the wire.
 */
async function sameBytes (ceilingUrl: string, mockUrl: string, id: string): Promise<void> {
  const answer = async (url: string): Promise<{ body: string, headers: string[] }> => {
    const res = await fetch(`${url}${detailPath('bench', id)}`, { headers: { authorization: BENCH_AUTH } })
    return { body: await res.text(), headers: [...res.headers.keys()].sort() }
  }
  const [c, m] = [await answer(ceilingUrl), await answer(mockUrl)]
  if (c.body !== m.body || c.headers.join() !== m.headers.join()) {
    problems.push(`the ceiling does not answer the mock's bytes for GET detail (body ${c.body.length} against ${m.body.length} characters; headers ${c.headers.join(', ')} against ${m.headers.join(', ')}): bench/ceiling.mjs needs the mock's answer`)
  }
}

/** GET detail against the ceiling (autocannon and wrk), list, PUT, mixed and POST on a 10,000-user domain, cold starts. */
async function mainScenarios (tmp: string, result: Record<string, any>): Promise<void> {
  const seed = join(tmp, 'seed.json')
  await writeSeed(seed, { bench: USERS })
  const ids = userIds('bench', USERS)
  const active = Math.floor(USERS * 49 / 50)

  log(`ceiling: bare Fastify, ${STARTS} cold start(s)`)
  const ceilingStarts = await coldStarts(startCeiling)

  log(`mock: ${USERS} users, first start lays the seed down, then ${STARTS} cold start(s) on the data file`)
  const data = join(tmp, 'data')
  const first = await launch(() => startMock(seed, data, NODE_ARGS))
  await halt(first)
  const mockStarts = await coldStarts(() => startMock(seed, data, NODE_ARGS))
  let mock = mockStarts.server
  result.ceiling = { coldStartMs: median(ceilingStarts.samples), coldStartSamplesMs: ceilingStarts.samples }
  result.mock = { scenarios: [], firstStartMs: first.startMs, coldStartMs: median(mockStarts.samples), coldStartSamplesMs: mockStarts.samples, postNote: null }

  await sameBytes(ceilingStarts.server.url, mock.url, ids[0])
  if (ONLY.has('main')) {
    log(`GET detail (autocannon), ceiling and mock in ${ROUNDS} alternating round(s)`)
    const scenario = getDetail('bench', ids)
    const [ceiling, detail] = await interleaved(async (url, seconds) => await runLoad(url, scenario, seconds), ceilingStarts.server.url, mock.url)
    Object.assign(result.ceiling, ceiling)
    result.mock.scenarios.push(detail)
  }
  if (ONLY.has('wrk')) {
    if (haveWrk()) {
      log(`GET detail (wrk, ${WRK_THREADS} threads, ${WRK_CONNECTIONS} connections), ceiling and mock in ${ROUNDS} alternating round(s)`)
      const script = join(tmp, 'detail.lua')
      await writeWrkScript(script, 'bench', ids)
      const [ceiling, detail] = await interleaved(async (url, seconds) => await runWrk(url, script, seconds), ceilingStarts.server.url, mock.url)
      result.wrk = { ceiling, mock: detail, ratio: detail.rps / ceiling.rps }
    } else {
      result.wrk = { note: 'wrk is not installed (Debian: apt-get install -y wrk): the wrk figures were not measured' }
      log(`  ${result.wrk.note as string}`)
    }
  }
  result.ceiling.memory = await memoryOf(ceilingStarts.server.child.pid!)
  await halt(ceilingStarts.server)
  if (!ONLY.has('main')) {
    await halt(mock)
    return
  }

  const rows: LoadResult[] = result.mock.scenarios
  rows.push(await measure(mock.url, getList('bench', active), SECONDS, 'mock'))
  const putLedger = new PutLedger('first_name', ids)
  rows.push(await measure(mock.url, put('bench', putLedger), SECONDS, 'mock'))
  result.mock.memoryAfterPut = await memoryOf(mock.child.pid!)
  // Pull the plug: what was acknowledged must survive it.
  await halt(mock, 'SIGKILL')
  mock = await launch(() => startMock(seed, data, NODE_ARGS))
  const putDurability = await checkLedger(mock.url, 'bench', putLedger, 'PUT after SIGKILL')

  const mixedLedger = new PutLedger('last_name', ids)
  rows.push(await measure(mock.url, mixed('bench', ids, mixedLedger), SECONDS, 'mock'))
  // The memory target is at USERS workers; the POST scenario then adds as many as it manages to create.
  result.mock.memory = await memoryOf(mock.child.pid!)
  if (await postAllowed(mock.url, 'bench')) {
    const counter = new PostCounter(`w${Date.now().toString(36)}`)
    rows.push(await measure(mock.url, post('bench', counter), SECONDS, 'mock'))
    if (counter.failed > 0) problems.push(`POST: ${counter.failed} creates failed`)
    result.mock.memoryAfterPost = { ...await memoryOf(mock.child.pid!), users: USERS + counter.created }
  } else {
    result.mock.postNote = 'POST create skipped: the server does not allow POST on the user list (OPTIONS Allow has no POST)'
    log(`  ${result.mock.postNote as string}`)
  }
  await halt(mock)
  mock = await launch(() => startMock(seed, data, NODE_ARGS))
  const mixedDurability = await checkLedger(mock.url, 'bench', mixedLedger, 'mixed after SIGTERM')
  await halt(mock)
  for (const r of rows) (r as LoadResult & { ratio: number }).ratio = r.rps / result.ceiling.rps
  result.mock.durability = { put: putDurability, mixed: mixedDurability }
}

interface Target { target: string, measured: string, holds: boolean }

function targets (r: Record<string, any>): Target[] {
  const out: Target[] = []
  const add = (target: string, measured: string, holds: boolean): void => { out.push({ target, measured, holds }) }
  const row = (name: string): (LoadResult & { ratio: number }) | undefined => r.mock?.scenarios.find((s: LoadResult) => s.scenario === name)
  const get = row('GET detail')
  const putRow = row('PUT (one field)')
  if (get !== undefined) add('GET detail ≥ 0.6 × ceiling (autocannon)', `${get.ratio.toFixed(2)} ×`, get.ratio >= 0.6)
  if (r.wrk?.ratio !== undefined) add('GET detail ≥ 0.6 × ceiling (wrk)', `${(r.wrk.ratio as number).toFixed(2)} ×`, r.wrk.ratio >= 0.6)
  else if (r.wrk !== undefined) add('GET detail ≥ 0.6 × ceiling (wrk)', 'not measured', false)
  if (putRow !== undefined) {
    add(`PUT ≥ 0.04 × ceiling (${fmt(USERS)} users)`, `${putRow.ratio.toFixed(3)} ×`, putRow.ratio >= 0.04)
    add(`PUT p99 ≤ 100 ms (${fmt(USERS)} users)`, `${putRow.p99} ms`, putRow.p99 <= 100)
  }
  const d = r.mock?.durability
  if (d !== undefined) {
    add('every acknowledged PUT read back after a restart', `${d.put.checked - d.put.lost}/${d.put.checked} after SIGKILL, ${d.mixed.checked - d.mixed.lost}/${d.mixed.checked} after SIGTERM`, d.put.lost === 0 && d.mixed.lost === 0 && d.put.checked > 0)
  }
  const sizes = r.sizes as Array<Record<string, any>> | undefined
  if (sizes !== undefined && sizes.length > 0) {
    const small = sizes[0]
    const large = sizes[sizes.length - 1]
    const ratio = large.put.rps / small.put.rps
    add(`PUT at ${fmt(large.users)} users ≥ 0.7 × PUT at ${fmt(small.users)}, p99 ≤ 50 ms`, `${ratio.toFixed(2)} ×, p99 ${large.put.p99} ms`, ratio >= 0.7 && large.put.p99 <= 50)
    const mid = sizes.find(s => s.users === 10_000) ?? sizes[Math.min(1, sizes.length - 1)]
    if (r.ceiling?.rps !== undefined) {
      const x = mid.put.rps / r.ceiling.rps
      add(`PUT at ${fmt(mid.users)} users ≥ 0.2 × the GET ceiling`, `${x.toFixed(3)} ×`, x >= 0.2)
    }
    for (const s of sizes) {
      if (s.postRatio === null) add(`POST ≥ 0.5 × PUT at ${fmt(s.users)} users`, 'POST not allowed', false)
      else add(`POST ≥ 0.5 × PUT at ${fmt(s.users)} users`, `${(s.postRatio as number).toFixed(2)} ×`, s.postRatio >= 0.5)
    }
    const lost = sizes.reduce((n, s) => n + s.durability.lost, 0)
    const checked = sizes.reduce((n, s) => n + s.durability.checked, 0)
    add('every acknowledged PUT by size read back after SIGKILL', `${checked - lost}/${checked}`, lost === 0 && checked > 0)
  }
  const l = r.large
  if (l !== undefined) {
    const bulkFigure = l.bulk.finished ? `${l.bulk.seconds.toFixed(1)} s` : `stopped after ${l.bulk.seconds.toFixed(0)} s at ${fmt(l.bulk.updated)} of ${fmt(l.users)} (≈ ${fmt(l.bulk.estimatedSeconds)} s in all)`
    add(`bulk job (${BULK_CLIENTS} clients, every worker of ${fmt(l.users)} once) ≤ 30 s`, bulkFigure, l.bulk.finished && l.bulk.seconds <= 30)
    add(`full paged read of ${fmt(l.users)} workers (limit=${PAGE}) ≤ 5 s`, `${l.pagedRead.seconds.toFixed(2)} s`, l.pagedRead.seconds <= 5)
    add(`start-up on the ${fmt(l.users)}-user directory after the bulk job ≤ 2 s`, `${fmt(l.restartMs)} ms`, l.restartMs <= 2000)
    const rss = l.memory.afterBulk?.rssMb as number | undefined
    add(`RSS at ${fmt(l.users)} users ≤ 300 MB (after the bulk job)`, rss === undefined ? 'n/a' : `${rss.toFixed(0)} MB`, rss !== undefined && rss <= 300)
    add('disk use during the bulk job ≤ 3 × snapshot', `${(l.disk.ratio as number).toFixed(2)} ×`, l.disk.ratio <= 3)
    add('every acknowledged bulk update read back after SIGKILL', `${l.durability.checked - l.durability.lost}/${l.durability.checked}`, l.durability.lost === 0 && l.durability.checked > 0)
  }
  if (r.small !== undefined) {
    const ratio = r.small.ratio as number
    add(`small-domain PUT beside a ${fmt(r.small.other)}-user domain ≥ 0.8 × alone`, `${ratio.toFixed(2)} ×`, ratio >= 0.8)
  }
  if (r.mock !== undefined && r.ceiling !== undefined) {
    const startRatio = r.mock.coldStartMs / r.ceiling.coldStartMs
    add(`cold start (${fmt(USERS)}-user data file) ≤ 2 × ceiling`, `${startRatio.toFixed(2)} ×`, startRatio <= 2)
  }
  if (r.mock?.memory !== undefined) {
    const rss = r.mock.memory?.rssMb as number | undefined
    add(`RSS ≤ 200 MB at ${fmt(USERS)} users after GET, list, PUT and mixed load`, rss === undefined ? 'n/a' : `${rss.toFixed(0)} MB`, rss !== undefined && rss <= 200)
  }
  return out
}

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(bytes < 1e6 ? 2 : 1)} MB`

function report (r: Record<string, any>): string {
  const m = r.machine
  const lines: string[] = []
  lines.push(`\n${r.quick === true ? 'QUICK RUN (figures are not meaningful)\n' : ''}machine: ${m.nproc} CPUs (${m.cpu}), ${fmt(m.memoryMb)} MB, Node ${m.node}; ` +
    `server ${r.server as string}; ${r.settings.connections} connections, ${r.settings.seconds} s per scenario after ${r.settings.warmupSeconds} s warm-up, fsync on`)
  const c = r.ceiling
  if (r.mock !== undefined && r.mock.scenarios.length > 0) {
    lines.push('')
    lines.push('| scenario | server | req/s | × ceiling | p50 ms | p99 ms | requests |')
    lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: |')
    lines.push(`| GET (constant) | bare Fastify (ceiling) | ${fmt(c.rps)} | 1.00 | ${c.p50} | ${c.p99} | ${fmt(c.requests)} |`)
    for (const s of r.mock.scenarios) {
      lines.push(`| ${s.scenario as string} | mock, ${fmt(r.settings.users)} users | ${fmt(s.rps)} | ${s.ratio.toFixed(s.ratio < 0.1 ? 3 : 2)} | ${s.p50} | ${s.p99} | ${fmt(s.requests)} |`)
    }
    if (r.mock.postNote !== null) lines.push(`\n${r.mock.postNote as string}`)
  }
  if (r.wrk !== undefined) {
    lines.push('')
    if (r.wrk.note !== undefined) lines.push(r.wrk.note)
    else {
      lines.push(`| GET detail, wrk (${WRK_THREADS} threads, ${WRK_CONNECTIONS} connections) | req/s | × ceiling | p50 ms | p99 ms | requests |`)
      lines.push('| --- | ---: | ---: | ---: | ---: | ---: |')
      for (const [label, x] of [['bare Fastify (ceiling)', r.wrk.ceiling], [`mock, ${fmt(r.settings.users)} users`, r.wrk.mock]] as const) {
        lines.push(`| ${label} | ${fmt(x.rps)} | ${(x.rps / r.wrk.ceiling.rps).toFixed(2)} | ${x.p50} | ${x.p99} | ${fmt(x.requests)} |`)
      }
      const ac = r.mock?.scenarios.find((s: LoadResult) => s.scenario === 'GET detail')
      if (ac !== undefined) lines.push(`| (autocannon, same run: ceiling ${fmt(c.rps)}, mock ${fmt(ac.rps)}) | | ${ac.ratio.toFixed(2)} | | | |`)
    }
  }
  if (r.mock !== undefined) {
    lines.push('')
    lines.push('| start and memory | bare Fastify | mock |')
    lines.push('| --- | ---: | ---: |')
    lines.push(`| cold start, spawn → first healthy answer (median of ${c.coldStartSamplesMs.length as number}) | ${fmt(c.coldStartMs)} ms | ${fmt(r.mock.coldStartMs)} ms |`)
    lines.push(`| first start (lays the seed down) | | ${fmt(r.mock.firstStartMs)} ms |`)
    if (r.mock.memory !== undefined) {
      lines.push(`| RSS after the load (peak); the mock at ${fmt(USERS)} users, after GET, list, PUT and mixed | ${fmt(c.memory?.rssMb ?? NaN)} MB (${fmt(c.memory?.peakMb ?? NaN)}) | ${fmt(r.mock.memory?.rssMb ?? NaN)} MB (${fmt(r.mock.memory?.peakMb ?? NaN)}) |`)
    }
    const after = r.mock.memoryAfterPost
    if (after?.rssMb !== undefined) {
      lines.push(`| RSS after the POST scenario too (${fmt(after.users)} users) (peak) | | ${fmt(after.rssMb)} MB (${fmt(after.peakMb ?? NaN)}) |`)
    }
  }
  if (r.sizes !== undefined) {
    lines.push('')
    lines.push('| by domain size | PUT req/s | PUT p50 ms | PUT p99 ms | POST req/s | POST p99 ms | POST × PUT | domain file |')
    lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
    for (const s of r.sizes) {
      const p = s.post as LoadResult | null
      lines.push(`| ${fmt(s.users)} users | ${fmt(s.put.rps)} | ${s.put.p50} | ${s.put.p99} | ${p === null ? 'n/a' : fmt(p.rps)} | ${p === null ? 'n/a' : p.p99} | ${s.postRatio === null ? 'n/a' : (s.postRatio as number).toFixed(2)} | ${s.fileMb.toFixed(1)} MB |`)
    }
  }
  if (r.small !== undefined) {
    const sm = r.small
    lines.push('')
    lines.push('| small domain | PUT req/s | p50 ms | p99 ms | domain file |')
    lines.push('| --- | ---: | ---: | ---: | ---: |')
    lines.push(`| ${sm.users as number} users, alone | ${fmt(sm.alone.rps)} | ${sm.alone.p50} | ${sm.alone.p99} | ${sm.alone.fileMb.toFixed(2)} MB |`)
    lines.push(`| ${sm.users as number} users, beside a ${fmt(sm.other)}-user domain | ${fmt(sm.beside.rps)} | ${sm.beside.p50} | ${sm.beside.p99} | ${sm.beside.fileMb.toFixed(2)} MB |`)
  }
  if (r.large !== undefined) {
    const l = r.large
    lines.push('')
    lines.push(`| large domain (${fmt(l.users)} users) | figure |`)
    lines.push('| --- | ---: |')
    lines.push(`| full paged read, limit=${l.pagedRead.limit as number} (${fmt(l.pagedRead.pages)} pages) | ${l.pagedRead.seconds.toFixed(2)} s |`)
    const b = l.bulk
    lines.push(`| bulk job, ${b.clients as number} clients, every worker once | ${b.finished === true ? `${b.seconds.toFixed(1)} s` : `stopped after ${b.seconds.toFixed(0)} s: ${fmt(b.updated)} done, ≈ ${fmt(b.estimatedSeconds)} s in all`} (${fmt(b.updated / b.seconds)} updates/s, p99 ${b.p99} ms) |`)
    lines.push(`| disk use during the bulk job, max (× snapshot) | ${mb(l.disk.maxBytes)} (${(l.disk.ratio as number).toFixed(2)} × ${mb(l.disk.snapshotBytes)}) |`)
    lines.push(`| start-up after SIGKILL, spawn → first answered GET detail (median of ${(l.restartSamplesMs as number[]).length}: ${(l.restartSamplesMs as number[]).map(ms => fmt(ms)).join(', ')}) | ${fmt(l.restartMs)} ms |`)
    lines.push(`| RSS after the paged read / the bulk job / the restart | ${fmt(l.memory.afterRead?.rssMb ?? NaN)} / ${fmt(l.memory.afterBulk?.rssMb ?? NaN)} / ${fmt(l.memory.afterRestart?.rssMb ?? NaN)} MB |`)
    lines.push(`| files at the SIGKILL | ${(l.files as FileSize[]).map(f => `${f.file} ${mb(f.bytes)}`).join(', ')} (total ${mb(totalBytes(l.files))}) |`)
  }
  lines.push('')
  lines.push('| target | measured | holds |')
  lines.push('| --- | ---: | :---: |')
  for (const t of r.targets as Target[]) lines.push(`| ${t.target} | ${t.measured} | ${t.holds ? 'yes' : 'NO'} |`)
  return lines.join('\n')
}

main().catch(err => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`)
  process.exitCode = 1
})
