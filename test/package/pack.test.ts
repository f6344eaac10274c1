import { spawn } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import t from 'tap'

// The npm package as an integrator gets it: `npm pack` of this tree, installed
// into a scratch project from the tarball, then used from there: the fixture
// in a test that never closes it, the command, files through "exports".

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const EXAMPLES = join(ROOT, 'examples/node')

interface Run { code: number | null, out: string, ms: number }

function run (cmd: string, args: string[], cwd: string, timeoutMs = 240_000): Promise<Run> {
  const started = performance.now()
  return new Promise(resolve => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    child.stderr.on('data', (d: Buffer) => { out += d.toString() })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('close', code => {
      clearTimeout(timer)
      resolve({ code, out, ms: performance.now() - started })
    })
  })
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

interface PackResult { filename: string, size: number, unpackedSize: number, entryCount: number, files: Array<{ path: string, size: number }> }

t.setTimeout(600_000)
const dir = await mkdtemp(join(tmpdir(), 'hq-mock-pack-'))
t.teardown(() => rm(dir, { recursive: true, force: true }))

// dist/ as `npm run build` leaves it (built only when stale); the packing
// itself skips prepack, which the fresh-tree test below runs.
const built = await run(process.execPath, ['scripts/build-if-stale.mjs'], ROOT, 300_000)
if (built.code !== 0) throw new Error(`build failed:\n${built.out}`)

const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT)
if (packed.code !== 0) throw new Error(`npm pack failed:\n${packed.out}`)
const pack = (JSON.parse(packed.out.slice(packed.out.indexOf('['))) as PackResult[])[0]
const tarball = join(dir, pack.filename)

// Installed before the first test: tap ends a file whose queue is empty.
const app = join(dir, 'app')
await mkdir(app)
await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'scratch-app', private: true, type: 'module' }))
const installed = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], app, 300_000)

t.test('the tarball holds what runs and nothing large without reason', async t => {
  const paths = pack.files.map(f => f.path)
  for (const file of ['package.json', 'README.md', 'openapi.yaml', 'seed/default.json', 'dist/index.js', 'dist/index.d.ts',
    'dist/test.js', 'dist/test.d.ts', 'dist/cli.js', 'dist/command.cjs', 'dist/inspector/index.html']) {
    t.ok(paths.includes(file), `has ${file}`)
  }
  t.same(paths.filter(p => p.endsWith('.map')), [], 'no source maps (src/ is not shipped; they would point nowhere)')
  t.notOk(paths.includes('dist/command.cjs.cache'), 'no V8 code cache: it fits one Node version only')
  t.same(paths.filter(p => /^(src|test|bench|scripts|docs|examples|node_modules|\.tap|test-artifacts)\//.test(p)), [], 'no sources, tests or tooling')
  const big = pack.files.filter(f => f.size > 300_000).map(f => f.path).filter(p => p !== 'dist/command.cjs' && p !== 'openapi.yaml')
  t.same(big, [], 'no file over 300 kB but the bundled command and openapi.yaml')
  t.ok(pack.size < 1_000_000, `tarball under 1 MB (${(pack.size / 1e6).toFixed(2)} MB)`)
  t.comment(`tarball: ${(pack.size / 1e6).toFixed(2)} MB packed, ${(pack.unpackedSize / 1e6).toFixed(2)} MB unpacked, ${pack.entryCount} files`)
})

t.test('the tarball installs into a scratch project without a warning', async t => {
  t.equal(installed.code, 0, 'npm install succeeds')
  t.notMatch(installed.out, /EBADENGINE|npm warn/i, 'no warning')
  const pkg = JSON.parse(await readFile(join(app, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
  t.match(pkg.dependencies['commcare-hq-mock'], /^file:/)
  const ls = await run('npm', ['ls', '--all', '--parseable'], app)
  const count = ls.out.trim().split('\n').length - 1
  t.notOk(ls.out.includes('@scarf'), 'no analytics package')
  t.ok(count < 120, `fewer than 120 packages (${count})`)
  t.comment(`scratch install: ${seconds(installed.ms)}, ${count} packages`)
})

t.test('a test that never calls close() ends by itself', async t => {
  await copyFile(join(EXAMPLES, 'no-close.test.mjs'), join(app, 'no-close.test.mjs'))
  const r = await run(process.execPath, ['no-close.test.mjs'], app, 30_000)
  t.equal(r.code, 0, r.out)
  t.match(r.out, /^# pass 1$/m)
  t.ok(r.ms < 8000, `exits within 8 s (${seconds(r.ms)}, Node's start and the import included)`)
  t.comment(`no-close test process: ${seconds(r.ms)}`)
})

t.test('the runner helper from commcare-hq-mock/test', async t => {
  await copyFile(join(EXAMPLES, 'node-test.test.mjs'), join(app, 'node-test.test.mjs'))
  const r = await run(process.execPath, ['--test', 'node-test.test.mjs'], app, 60_000)
  t.equal(r.code, 0, r.out)
  t.match(r.out, /^# pass 2$/m)
})

t.test('npx commcare-hq-mock --help, and npx <tarball> --help', async t => {
  const local = await run('npx', ['commcare-hq-mock', '--help'], app)
  t.equal(local.code, 0, local.out)
  t.match(local.out, /^Usage: commcare-hq-mock \[options\]/m)
  const fromTarball = await run('npx', ['--yes', '--prefer-offline', `./${pack.filename}`, '--help'], dir)
  t.equal(fromTarball.code, 0, fromTarball.out)
  t.match(fromTarball.out, /^Usage: commcare-hq-mock \[options\]/m)
})

t.test('openapi.yaml, the seed and package.json through "exports"', async t => {
  await copyFile(join(EXAMPLES, 'exports.mjs'), join(app, 'exports.mjs'))
  const r = await run(process.execPath, ['exports.mjs'], app)
  t.equal(r.code, 0, r.out)
  const version = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version
  t.equal(r.out, `openapi: 3.1.0\nseed domains: demo, other\ncommcare-hq-mock ${version}\n`)
  const cjs = await run(process.execPath, ['-e', "console.log(require.resolve('commcare-hq-mock/openapi.yaml'))"], app)
  t.equal(cjs.out.trim(), join(app, 'node_modules/commcare-hq-mock/openapi.yaml'), 'require.resolve finds it too')
  // Every file under seed/ (the JSON Schemas beside the seed too) through "./seed/*".
  const { readdir } = await import('node:fs/promises')
  for (const name of (await readdir(join(ROOT, 'seed'))).filter(f => f.endsWith('.json'))) {
    const found = await run(process.execPath, ['-e', `console.log(require.resolve('commcare-hq-mock/seed/${name}'))`], app)
    t.equal(found.out.trim(), join(app, 'node_modules/commcare-hq-mock/seed', name), `seed/${name} is exported`)
  }
  const hidden = await run(process.execPath, ['-e', "import('commcare-hq-mock/dist/app.js').catch(e => { console.log(e.code); process.exit(3) })"], app)
  t.equal(hidden.out.trim(), 'ERR_PACKAGE_PATH_NOT_EXPORTED', 'internal files are not exported')
})

t.test('npm pack on a fresh tree builds dist/ first (prepack)', async t => {
  // A clone has no dist/; node_modules is linked, as `npm ci` would have made it.
  const fresh = join(dir, 'fresh')
  await mkdir(fresh)
  const { cp, symlink } = await import('node:fs/promises')
  for (const entry of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'openapi.yaml', 'seed', 'src', 'scripts']) {
    await cp(join(ROOT, entry), join(fresh, entry), { recursive: true })
  }
  await symlink(join(ROOT, 'node_modules'), join(fresh, 'node_modules'))
  const r = await run('npm', ['pack', '--dry-run', '--json'], fresh, 300_000)
  t.equal(r.code, 0, r.out.slice(-3000))
  const files = (JSON.parse(r.out.slice(r.out.indexOf('\n[') + 1)) as PackResult[])[0].files.map(f => f.path)
  t.ok(files.includes('dist/index.js') && files.includes('dist/command.cjs') && files.includes('dist/test.js'), 'the packed list has the built dist/')
  t.comment(`fresh-tree npm pack (with its build): ${seconds(r.ms)}`)
})
