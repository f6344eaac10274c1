import t from 'tap'
import { runFuzz } from './fuzz-model.js'

// The seeded fuzzer of fuzz-model.ts, bounded for `npm test`: a fixed seed (or
// FUZZ_SEED) gives the same batches on every run; the time limit keeps a slow
// machine within a minute. `npm run fuzz -- --minutes 10` runs it for longer.

const DEFAULT_SEED = 20261201
const seed = process.env.FUZZ_SEED !== undefined && process.env.FUZZ_SEED !== '' ? Number(process.env.FUZZ_SEED) : DEFAULT_SEED

t.test(`generated requests keep every invariant (FUZZ_SEED=${seed})`, async t => {
  t.ok(Number.isInteger(seed), 'FUZZ_SEED is an integer')
  const run = await runFuzz({ seed, numRuns: 600, timeLimitMs: 45_000 })
  t.comment(`fuzz: seed ${run.seed}, ${run.batches} batches, ${run.requests} requests in ${(run.ms / 1000).toFixed(1)} s`)
  t.equal(run.failure, null, run.failure ?? `seed ${seed}: no invariant broken`)
  t.ok(run.requests > 100, `${run.requests} requests sent`)
})
