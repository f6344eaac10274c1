import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeSeed } from './seed.js'
import { startMock, startCeiling, stop } from './servers.js'
const e = await mkdtemp(join(tmpdir(), 'prof-'))
await writeSeed(join(e, 'seed.json'), { bench: 3 })
for (let i = 0; i < 4; i++) { const c = await startCeiling(); await stop(c); const s = await startMock(join(e, 'seed.json'), join(e, 'data'), i === 3 ? ['--cpu-prof', '--cpu-prof-dir', '/tmp/prof/tiny'] : []); await stop(s); console.log('ceiling', c.startMs.toFixed(0), 'mock tiny', s.startMs.toFixed(0)) }
