import { parseArgs } from 'node:util'
import { runFuzz } from '../test/robustness/fuzz-model.js'

// A longer run of the fuzzer in test/robustness/fuzz-model.ts:
//   npm run fuzz -- --minutes 10 [--seed 123]
// A run without --seed (or FUZZ_SEED) draws one and prints it; a failure
// prints the seed to run again, and `FUZZ_SEED=<seed> npx tap test/robustness/fuzz.test.ts`
// repeats the first batches of that run.

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '2' }, seed: { type: 'string' } } })
const minutes = Number(values.minutes)
if (!Number.isFinite(minutes) || minutes <= 0) {
  process.stderr.write(`--minutes must be a positive number, not '${values.minutes}'\n`)
  process.exit(2)
}
const given = values.seed ?? process.env.FUZZ_SEED
const seed = given !== undefined && given !== '' ? Number(given) : Math.floor(Math.random() * 2 ** 31)
process.stdout.write(`fuzz: seed ${seed}, ${minutes} min\n`)
const run = await runFuzz({ seed, numRuns: Number.MAX_SAFE_INTEGER, timeLimitMs: minutes * 60_000 })
process.stdout.write(`fuzz: seed ${run.seed}, ${run.batches} batches, ${run.requests} requests in ${(run.ms / 1000).toFixed(1)} s\n`)
if (run.failure !== null) {
  process.stdout.write(`fuzz: FAILED: ${run.failure}\n`)
  process.exit(1)
}
process.stdout.write('fuzz: no invariant broken\n')
