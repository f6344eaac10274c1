import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeSeed } from './seed.js'
import { startMock, startCeiling, stop } from './servers.js'
const n = Number(process.argv[2] ?? 10000)
const tmp = await mkdtemp(join(tmpdir(), 'prof-'))
await writeSeed(join(tmp, 'seed.json'), { bench: n })
const first = await startMock(join(tmp, 'seed.json'), join(tmp, 'data'))
await stop(first)
for (let i = 0; i < 3; i++) {
  const c = await startCeiling(); await stop(c)
  const s = await startMock(join(tmp, 'seed.json'), join(tmp, 'data'), i === 2 ? ['--cpu-prof', '--cpu-prof-dir', '/tmp/prof/start'] : [])
  await stop(s)
  console.log('ceiling', c.startMs.toFixed(0), 'mock', s.startMs.toFixed(0))
}
const e = await mkdtemp(join(tmpdir(), 'prof-'))
await writeSeed(join(e, 'seed.json'), { bench: 3 })
for (let i = 0; i < 2; i++) { const s = await startMock(join(e, 'seed.json'), join(e, 'data')); await stop(s); console.log('mock tiny', s.startMs.toFixed(0)) }
