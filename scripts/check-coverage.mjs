// `npm test` runs this after tap: the coverage of src/ must not fall below the
// floor the whole suite was measured at. tap knows only "100 % or no check"
// (see .taprc for why 100 % is not the bar here). The summary tap leaves has
// one entry per file; the bundled command's source map also names the
// dependencies it holds, so only the files under src/ are added up here.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

// The whole suite (`npm test`, 10 min on 2 CPUs) measured lines 90.9 %,
// statements 90.9 %, functions 72.76 %, branches 95.19 %; the floor is that,
// rounded down, less one point for the run-to-run spread of process coverage.
// Functions read lower than lines since the tests load src/ through tsx
// (.taprc): a function run in a test process and the same function in the
// bundled command the tests start map to different places, so a function can
// count twice, once covered and once not, where its lines count once.
const FLOOR = { lines: 89, statements: 89, functions: 71, branches: 94 }

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const file = new URL('../.tap/report/coverage-summary.json', import.meta.url)
let summary
try {
  summary = JSON.parse(readFileSync(file, 'utf8'))
} catch (err) {
  console.error(`coverage: no summary at ${fileURLToPath(file)} (${err.code ?? err.message}); run tap with coverage first`)
  process.exit(1)
}
const sums = Object.fromEntries(Object.keys(FLOOR).map(k => [k, { covered: 0, total: 0 }]))
let files = 0
for (const [path, entry] of Object.entries(summary)) {
  if (!path.startsWith(`${ROOT}src/`)) continue
  files++
  for (const k of Object.keys(FLOOR)) {
    sums[k].covered += entry[k].covered
    sums[k].total += entry[k].total
  }
}
const short = []
const parts = Object.entries(FLOOR).map(([kind, floor]) => {
  const { covered, total } = sums[kind]
  const pct = total === 0 ? 0 : Math.floor(10000 * covered / total) / 100
  if (pct < floor) short.push(`${kind} ${pct}% < ${floor}%`)
  return `${kind} ${pct}% (floor ${floor}%)`
})
console.log(`coverage of src/ (${files} files): ${parts.join(', ')}`)
if (short.length > 0) {
  console.error(`coverage below its floor: ${short.join(', ')}`)
  process.exit(1)
}
