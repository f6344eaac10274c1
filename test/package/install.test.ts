import { spawn } from 'node:child_process'
import { copyFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

// `npm ci` of this project, as CI and a fresh clone run it, prints no
// warning: no EBADENGINE (cookie@2 wants Node 22; light-my-request is held at
// 6.6, whose cookie@1 runs on Node 18+) and no install script left unreviewed
// ("allowScripts" in package.json).

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

t.setTimeout(600_000)

t.test('npm ci prints no warning', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'hq-mock-ci-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await copyFile(join(ROOT, 'package.json'), join(dir, 'package.json'))
  await copyFile(join(ROOT, 'package-lock.json'), join(dir, 'package-lock.json'))
  const { code, out } = await new Promise<{ code: number | null, out: string }>(resolve => {
    const child = spawn('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    child.stderr.on('data', (d: Buffer) => { out += d.toString() })
    child.on('close', code => resolve({ code, out }))
  })
  t.equal(code, 0, out.slice(-3000))
  t.notMatch(out, /EBADENGINE|npm warn|npm WARN/, 'no warning')
  t.match(out, /^added \d+ packages/m)
  t.comment(`node ${process.version}: ${out.trim().split('\n').pop() ?? ''}`)
})
