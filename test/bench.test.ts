import t from 'tap'
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

// The benchmark's quick mode: every scenario against the real server process,
// a second each, no figures judged; it fails on any error answer or on an
// acknowledged PUT missing from the data file after a SIGKILL.

const ROOT = fileURLToPath(new URL('..', import.meta.url))

t.test('npm run bench -- --quick works end to end', async t => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr.on('data', (d: Buffer) => { err += d.toString() })
  const code = await new Promise<number | null>(resolve => child.on('exit', resolve))
  t.equal(code, 0, `exit code 0\n${out}\n${err}`)
  t.match(out, /^OK: every scenario answered without errors/m)
  for (const row of ['GET (constant)', 'GET detail', 'GET list (limit=100)', 'PUT (one field)', 'mixed 80/20 GET/PUT']) {
    t.match(out, new RegExp(`^\\| ${row.replace(/[()]/g, '\\$&')} \\| .* \\| [\\d,]+ \\|$`, 'm'), `a table row for ${row}`)
  }
  const json = /^JSON: (\S+)$/m.exec(out)
  t.ok(json, 'names its JSON file')
  if (json === null) return
  const result = JSON.parse(await readFile(new URL(`../${json[1]}`, import.meta.url), 'utf8'))
  t.equal(result.quick, true)
  t.ok(result.mock.durability.put.checked > 0, 'PUTs were checked against the file')
  t.equal(result.mock.durability.put.lost, 0, 'none was lost')
  t.same(result.problems, [])
})
