// `npm start` runs this first: `npm run build` only when dist/ is missing or
// older than what it is built from (src/, tsconfig*.json, scripts/build.mjs,
// package.json). A current dist/ starts at once instead of after a rebuild.
// `--check` only says whether a build is needed (exit 1 when it is).
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const ROOT = new URL('..', import.meta.url).pathname
const INPUTS = ['src', 'tsconfig.json', 'tsconfig.build.json', 'scripts/build.mjs', 'package.json']
// What the build leaves; the oldest of them must be newer than every input.
const OUTPUTS = ['dist/index.js', 'dist/cli.js', 'dist/command.cjs']

function newest (path) {
  const s = statSync(path)
  if (!s.isDirectory()) return s.mtimeMs
  let max = s.mtimeMs
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)))
  return max
}

function oldestOutput () {
  let min = Infinity
  for (const file of OUTPUTS) {
    try {
      min = Math.min(min, statSync(join(ROOT, file)).mtimeMs)
    } catch {
      return -Infinity
    }
  }
  return min
}

const input = Math.max(...INPUTS.map(p => { try { return newest(join(ROOT, p)) } catch { return 0 } }))
const output = oldestOutput()
const stale = output < input

if (process.argv.includes('--check')) {
  console.log(stale ? 'dist/ is stale' : 'dist/ is current')
  process.exit(stale ? 1 : 0)
}
if (stale) {
  console.error(output === -Infinity ? 'dist/ is missing: building' : 'dist/ is older than its sources: building')
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' })
  process.exit(r.status ?? 1)
}
