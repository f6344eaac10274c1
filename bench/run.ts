// `npm run bench`: the mock (built, as a separate process, on a data directory
// with fsync on) against a bare Fastify server that answers a constant, with
// the same autocannon settings, in one run. `--quick` runs a second or two per
// scenario and only checks that everything works (exit 0 or 1).
//
//   npm run bench                      full run (about 4 minutes), table + JSON
//   npm run bench -- --quick           smoke run for CI
//   npm run bench -- --duration 20     seconds per scenario
//   npm run bench -- --skip-scaling    main scenarios only
//   npm run bench -- --profile DIR     CPU profiles of the mock processes (--cpu-prof)

import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { cpus, freemem, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { CONNECTIONS, runLoad, type LoadResult, type Scenario } from './load.js'
import { getDetail, getList, mixed, post, put, PostCounter, PutLedger } from './scenarios.js'
import { userIds, writeSeed, BENCH_AUTH } from './seed.js'
import { memoryOf, startCeiling, startMock, stop, type Server } from './servers.js'

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    duration: { type: 'string' },
    'skip-scaling': { type: 'boolean', default: false },
    profile: { type: 'string' }
  }
})

const QUICK = flags.quick === true
const SECONDS = flags.duration !== undefined ? Number(flags.duration) : QUICK ? 1 : 10
const SCALING_SECONDS = QUICK ? 1 : SECONDS
const WARMUP = QUICK ? 0 : 2
const STARTS = QUICK ? 1 : 5
const ROUNDS = QUICK ? 1 : 3
const USERS = 10_000
const SIZES = QUICK ? [1_000] : [1_000, 10_000, 100_000]
const SMALL = 100
const OTHER = QUICK ? 1_000 : 100_000
const NODE_ARGS = flags.profile !== undefined ? ['--cpu-prof', '--cpu-prof-dir', flags.profile] : []
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url))

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
 * The ceiling and the mock's GET detail take turns in short rounds, so a
 * neighbour's load on this shared machine falls on both about equally.
 */
async function interleaved (ceilingUrl: string, mockUrl: string, scenario: Scenario): Promise<[LoadResult, LoadResult]> {
  if (WARMUP > 0) {
    await runLoad(ceilingUrl, scenario, WARMUP)
    await runLoad(mockUrl, scenario, WARMUP)
  }
  const a: LoadResult[] = []
  const b: LoadResult[] = []
  for (let i = 0; i < ROUNDS; i++) {
    a.push(await runLoad(ceilingUrl, scenario, SECONDS / ROUNDS))
    b.push(await runLoad(mockUrl, scenario, SECONDS / ROUNDS))
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

interface DomainFile {
  users: Array<{ id: string, first_name: string, last_name: string }>
}

async function checkLedger (dataDir: string, domain: string, ledger: PutLedger, label: string): Promise<{ checked: number, lost: number }> {
  const doc = JSON.parse(await readFile(join(dataDir, 'domains', `${domain}.json`), 'utf8')) as DomainFile
  const lost = ledger.lost(doc.users)
  if (lost.length > 0) problems.push(`${label}: ${lost.length} acknowledged PUTs missing from the data file, e.g. ${lost.slice(0, 3).join('; ')}`)
  if (ledger.failed > 0) problems.push(`${label}: ${ledger.failed} PUTs failed`)
  if (ledger.wrongAnswers > 0) problems.push(`${label}: ${ledger.wrongAnswers} PUT answers did not show the new value`)
  if (ledger.acked.size === 0) problems.push(`${label}: no PUT was acknowledged`)
  return { checked: ledger.acked.size, lost: lost.length }
}

async function postAllowed (url: string, domain: string): Promise<boolean> {
  const res = await fetch(`${url}/a/${domain}/api/v0.5/user/`, { method: 'OPTIONS', headers: { authorization: BENCH_AUTH } })
  await res.arrayBuffer()
  return (res.headers.get('allow') ?? '').split(/,\s*/).includes('POST')
}

/** PUT throughput on `domain` of a server seeded with `domains`; the server is killed (SIGKILL) and its file checked. */
async function putOn (tmp: string, tag: string, domains: Record<string, number>, domain: string): Promise<Record<string, unknown>> {
  const dir = join(tmp, tag)
  await mkdir(dir)
  const seed = join(dir, 'seed.json')
  await writeSeed(seed, domains)
  const data = join(dir, 'data')
  const s = await launch(() => startMock(seed, data, NODE_ARGS))
  const ledger = new PutLedger('first_name', userIds(domain, domains[domain]))
  const r = await measure(s.url, put(domain, ledger), SCALING_SECONDS, tag)
  await halt(s, 'SIGKILL')
  const durability = await checkLedger(data, domain, ledger, tag)
  const bytes = (await stat(join(data, 'domains', `${domain}.json`))).size
  await rm(dir, { recursive: true, force: true })
  return { ...r, firstStartMs: s.startMs, fileMb: bytes / 1e6, durability }
}

const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })

async function main (): Promise<void> {
  const tmp = await mkdtemp(join(tmpdir(), 'cchq-bench-'))
  const result: Record<string, any> = {
    time: new Date().toISOString(),
    quick: QUICK,
    machine: {
      nproc: cpus().length,
      cpu: cpus()[0]?.model,
      memoryMb: Math.round(totalmem() / 2 ** 20),
      freeMemoryMb: Math.round(freemem() / 2 ** 20),
      node: process.version
    },
    settings: { connections: CONNECTIONS, pipelining: 1, seconds: SECONDS, warmupSeconds: WARMUP, getDetailRounds: ROUNDS, users: USERS, fsync: true }
  }
  try {
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

    log(`GET detail, ceiling and mock in ${ROUNDS} alternating round(s)`)
    const [ceiling, detail] = await interleaved(ceilingStarts.server.url, mock.url, getDetail('bench', ids))
    const ceilingMemory = await memoryOf(ceilingStarts.server.child.pid!)
    await halt(ceilingStarts.server)
    const rows: LoadResult[] = [detail]
    rows.push(await measure(mock.url, getList('bench', active), SECONDS, 'mock'))
    const putLedger = new PutLedger('first_name', ids)
    const putRow = await measure(mock.url, put('bench', putLedger), SECONDS, 'mock')
    rows.push(putRow)
    const memoryAfterPut = await memoryOf(mock.child.pid!)
    // Pull the plug: what was acknowledged must already be in the file.
    await halt(mock, 'SIGKILL')
    const putDurability = await checkLedger(data, 'bench', putLedger, 'PUT after SIGKILL')
    log(`  PUT durability: ${putDurability.checked} users' last acknowledged values checked after SIGKILL, ${putDurability.lost} missing`)

    mock = await launch(() => startMock(seed, data, NODE_ARGS))
    const mixedLedger = new PutLedger('last_name', ids)
    rows.push(await measure(mock.url, mixed('bench', ids, mixedLedger), SECONDS, 'mock'))
    let postNote: string | null = null
    if (await postAllowed(mock.url, 'bench')) {
      const counter = new PostCounter(`w${Date.now().toString(36)}`)
      rows.push(await measure(mock.url, post('bench', counter), SECONDS, 'mock'))
      if (counter.failed > 0) problems.push(`POST: ${counter.failed} creates failed`)
    } else {
      postNote = 'POST create skipped: the server does not allow POST on the user list (OPTIONS Allow has no POST)'
      log(`  ${postNote}`)
    }
    const memory = await memoryOf(mock.child.pid!)
    await halt(mock)
    const mixedDurability = await checkLedger(data, 'bench', mixedLedger, 'mixed after SIGTERM')

    result.ceiling = { ...ceiling, coldStartMs: median(ceilingStarts.samples), coldStartSamplesMs: ceilingStarts.samples, memory: ceilingMemory }
    result.mock = {
      scenarios: rows.map(r => ({ ...r, ratio: r.rps / ceiling.rps })),
      postNote,
      firstStartMs: first.startMs,
      coldStartMs: median(mockStarts.samples),
      coldStartSamplesMs: mockStarts.samples,
      memoryAfterPut,
      memory,
      durability: { put: putDurability, mixed: mixedDurability }
    }

    if (flags['skip-scaling'] !== true) {
      log('scaling: PUT by domain size')
      const sizes = []
      for (const n of SIZES) sizes.push({ users: n, ...await putOn(tmp, `size-${n}`, { bench: n }, 'bench') })
      log(`scaling: PUT on a ${SMALL}-user domain, alone and beside a ${OTHER}-user domain`)
      const alone = await putOn(tmp, 'small-alone', { small: SMALL }, 'small')
      const beside = await putOn(tmp, 'small-beside', { small: SMALL, big: OTHER }, 'small')
      result.scaling = { sizes, small: { users: SMALL, other: OTHER, alone, beside, ratio: (beside.rps as number) / (alone.rps as number) } }
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
    process.stdout.write('\nOK: every scenario answered without errors and every acknowledged PUT was in the data file\n')
  }
}

interface Target { target: string, measured: string, holds: boolean }

function targets (r: Record<string, any>): Target[] {
  const row = (name: string): (LoadResult & { ratio: number }) | undefined => r.mock.scenarios.find((s: LoadResult) => s.scenario === name)
  const out: Target[] = []
  const get = row('GET detail')!
  const putRow = row('PUT (one field)')!
  out.push({ target: 'GET detail ≥ 0.6 × ceiling', measured: `${get.ratio.toFixed(2)} ×`, holds: get.ratio >= 0.6 })
  out.push({ target: 'PUT ≥ 0.04 × ceiling (10,000 users)', measured: `${putRow.ratio.toFixed(3)} ×`, holds: putRow.ratio >= 0.04 })
  out.push({ target: 'PUT p99 ≤ 100 ms (10,000 users)', measured: `${putRow.p99} ms`, holds: putRow.p99 <= 100 })
  const d = r.mock.durability
  out.push({ target: 'every acknowledged PUT on disk', measured: `${d.put.checked - d.put.lost}/${d.put.checked} after SIGKILL, ${d.mixed.checked - d.mixed.lost}/${d.mixed.checked} after SIGTERM`, holds: d.put.lost === 0 && d.mixed.lost === 0 && d.put.checked > 0 })
  if (r.scaling !== undefined) {
    const ratio = r.scaling.small.ratio as number
    out.push({ target: `small-domain PUT beside a ${fmt(r.scaling.small.other)}-user domain ≥ 0.8 × alone`, measured: `${ratio.toFixed(2)} ×`, holds: ratio >= 0.8 })
  }
  const startRatio = r.mock.coldStartMs / r.ceiling.coldStartMs
  out.push({ target: `cold start (${fmt(USERS)}-user data file) ≤ 2 × ceiling`, measured: `${startRatio.toFixed(2)} ×`, holds: startRatio <= 2 })
  const rss = r.mock.memory?.rssMb as number | undefined
  out.push({ target: `RSS ≤ 200 MB at ${fmt(USERS)} users after the benchmark`, measured: rss === undefined ? 'n/a' : `${rss.toFixed(0)} MB`, holds: rss !== undefined && rss <= 200 })
  return out
}

function report (r: Record<string, any>): string {
  const m = r.machine
  const lines: string[] = []
  lines.push(`\n${r.quick === true ? 'QUICK RUN (figures are not meaningful)\n' : ''}machine: ${m.nproc} CPUs (${m.cpu}), ${fmt(m.memoryMb)} MB, Node ${m.node}; ` +
    `${r.settings.connections} connections, ${r.settings.seconds} s per scenario after ${r.settings.warmupSeconds} s warm-up, fsync on`)
  lines.push('')
  lines.push('| scenario | server | req/s | × ceiling | p50 ms | p99 ms | requests |')
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: |')
  const c = r.ceiling
  lines.push(`| GET (constant) | bare Fastify (ceiling) | ${fmt(c.rps)} | 1.00 | ${c.p50} | ${c.p99} | ${fmt(c.requests)} |`)
  for (const s of r.mock.scenarios) {
    lines.push(`| ${s.scenario} | mock, ${fmt(r.settings.users)} users | ${fmt(s.rps)} | ${s.ratio.toFixed(s.ratio < 0.1 ? 3 : 2)} | ${s.p50} | ${s.p99} | ${fmt(s.requests)} |`)
  }
  if (r.mock.postNote !== null) lines.push(`\n${r.mock.postNote}`)
  lines.push('')
  lines.push('| start and memory | bare Fastify | mock |')
  lines.push('| --- | ---: | ---: |')
  lines.push(`| cold start, spawn → first healthy answer (median of ${c.coldStartSamplesMs.length}) | ${fmt(c.coldStartMs)} ms | ${fmt(r.mock.coldStartMs)} ms |`)
  lines.push(`| first start (lays the seed down) | | ${fmt(r.mock.firstStartMs)} ms |`)
  lines.push(`| RSS after the benchmark (peak) | ${fmt(c.memory?.rssMb ?? NaN)} MB (${fmt(c.memory?.peakMb ?? NaN)}) | ${fmt(r.mock.memory?.rssMb ?? NaN)} MB (${fmt(r.mock.memory?.peakMb ?? NaN)}) |`)
  if (r.scaling !== undefined) {
    lines.push('')
    lines.push('| PUT scaling | req/s | × ceiling | p50 ms | p99 ms | domain file |')
    lines.push('| --- | ---: | ---: | ---: | ---: | ---: |')
    for (const s of r.scaling.sizes) {
      lines.push(`| ${fmt(s.users)} users | ${fmt(s.rps)} | ${(s.rps / c.rps).toFixed(3)} | ${s.p50} | ${s.p99} | ${s.fileMb.toFixed(1)} MB |`)
    }
    const sm = r.scaling.small
    lines.push(`| ${sm.users} users, alone | ${fmt(sm.alone.rps)} | ${(sm.alone.rps / c.rps).toFixed(3)} | ${sm.alone.p50} | ${sm.alone.p99} | ${sm.alone.fileMb.toFixed(2)} MB |`)
    lines.push(`| ${sm.users} users, beside a ${fmt(sm.other)}-user domain | ${fmt(sm.beside.rps)} | ${(sm.beside.rps / c.rps).toFixed(3)} | ${sm.beside.p50} | ${sm.beside.p99} | ${sm.beside.fileMb.toFixed(2)} MB |`)
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
