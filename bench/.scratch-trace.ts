import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runLoad } from './load.js'
import { put, PutLedger } from './scenarios.js'
import { userIds, writeSeed } from './seed.js'
import { startMock, stop } from './servers.js'
const n = Number(process.argv[2] ?? 10000)
const tmp = await mkdtemp(join(tmpdir(), 'prof-'))
await writeSeed(join(tmp, 'seed.json'), { bench: n })
const first = await startMock(join(tmp, 'seed.json'), join(tmp, 'data')); await stop(first)
process.env.BENCH_TRACE = '1'
const s = await startMock(join(tmp, 'seed.json'), join(tmp, 'data'))
const r = await runLoad(s.url, put('bench', new PutLedger('first_name', userIds('bench', n))), 5)
console.log(r.rps.toFixed(0), r.p50, r.p99)
await stop(s)
const lines = s.output().split('\n').filter(l => l.startsWith('FLUSH'))
const cols: Record<string, number[]> = {}
for (const l of lines) { const p = l.split(' ').slice(1); for (let i = 0; i < p.length; i += 2) (cols[p[i]] ??= []).push(Number(p[i + 1])) }
for (const [k, v] of Object.entries(cols)) { v.sort((a, b) => a - b); console.log(k.padEnd(14), 'n', v.length, 'median', v[v.length >> 1], 'p90', v[Math.floor(v.length * 0.9)], 'sum', v.reduce((a, b) => a + b, 0).toFixed(0)) }
