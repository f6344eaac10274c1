import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runLoad } from './load.js'
import { getDetail, getList, put, PutLedger } from './scenarios.js'
import { userIds, writeSeed } from './seed.js'
import { startMock, stop } from './servers.js'
const which = process.argv[2]
const n = Number(process.argv[3] ?? 10000)
const tmp = await mkdtemp(join(tmpdir(), 'prof-'))
await writeSeed(join(tmp, 'seed.json'), { bench: n })
const ids = userIds('bench', n)
const first = await startMock(join(tmp, 'seed.json'), join(tmp, 'data'))
await stop(first)
const s = await startMock(join(tmp, 'seed.json'), join(tmp, 'data'), ['--cpu-prof', '--cpu-prof-dir', '/tmp/prof/' + which])
console.log('start', s.startMs)
const sc = which === 'get' ? getDetail('bench', ids) : which === 'list' ? getList('bench', n * 0.98) : put('bench', new PutLedger('first_name', ids))
const r = await runLoad(s.url, sc, 8)
console.log(r)
await stop(s)
