import t from 'tap'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BUNDLED_SEED } from '../../src/paths.js'
import type { DriftReport } from '../../src/verify/verify.js'
import { runCli, tempDir } from './cli-run.js'

// The project's regression fixtures: every transcript in test/transcripts/ is
// replayed against the mock on the seed it was recorded from (`<name>.seed.json`
// beside it, else the bundled seed). A change in what the mock answers shows
// here as drift; `npm run transcripts` records the bundled-seed ones again.

const DIR = fileURLToPath(new URL('../transcripts/', import.meta.url))
const transcripts = readdirSync(DIR).filter(f => f.endsWith('.json') && !f.endsWith('.seed.json')).sort()

t.ok(transcripts.length >= 3, 'the transcripts are there')

for (const file of transcripts) {
  t.test(file, async t => {
    const dir = tempDir(t)
    const own = join(DIR, file.replace(/\.json$/, '.seed.json'))
    const report = join(dir, 'report.json')
    const run = await runCli(['verify', '--transcript', join(DIR, file), '--seed', existsSync(own) ? own : BUNDLED_SEED, '--report', report])
    const r = JSON.parse(readFileSync(report, 'utf8')) as DriftReport
    const drift = r.results.filter(x => x.drifts.length > 0).map(x => `${x.name}: ${x.drifts.map(d => `${d.aspect} at ${d.where} (${d.rule})`).join('; ')}`)
    t.same(drift, [], 'no drift (if the change is intended, run `npm run transcripts`)')
    t.equal(run.code, 0, 'exits 0', { output: run.stdout })
    t.equal(r.skipped.length, 0)
    t.ok(r.compared > 40)
  })
}
