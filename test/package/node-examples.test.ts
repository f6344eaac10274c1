import { spawn } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

// docs/NODE.md's examples are the files of examples/node/, included verbatim
// (each after an `<!-- example: <file> -->` line); the files are run here, as
// their first line says, against the built package (resolved by its name).
// The Testcontainers recipe runs in test/docker/testcontainers.test.ts.

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const EXAMPLES = join(ROOT, 'examples/node')

function run (args: string[]): Promise<{ code: number | null, out: string, ms: number }> {
  const started = Date.now()
  return new Promise(resolve => {
    const child = spawn(args[0] === 'npx' ? 'npx' : process.execPath, args[0] === 'npx' ? args.slice(1) : args, { cwd: EXAMPLES, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    child.stderr.on('data', (d: Buffer) => { out += d.toString() })
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
    child.on('close', code => { clearTimeout(timer); resolve({ code, out, ms: Date.now() - started }) })
  })
}

t.test('docs/NODE.md includes every file of examples/node/ as it is', async t => {
  const page = await readFile(join(ROOT, 'docs/NODE.md'), 'utf8')
  const included = [...page.matchAll(/^<!-- example: (examples\/node\/[^ ]+) -->\n```js\n([\s\S]*?)```$/gm)].map(m => ({ file: m[1], code: m[2] }))
  const files = (await readdir(EXAMPLES)).filter(f => f.endsWith('.mjs')).sort()
  t.same(included.map(i => i.file).sort(), files.map(f => `examples/node/${f}`), 'each file once')
  for (const { file, code } of included) t.equal(code, await readFile(join(ROOT, file), 'utf8'), `${file} as it is`)
  t.equal((page.match(/^```js$/gm) ?? []).length, included.length, 'no JavaScript block on the page that is not a file here')
})

t.test('exports.mjs reads openapi.yaml, the seed and package.json through exports', async t => {
  const r = await run(['exports.mjs'])
  t.equal(r.code, 0, r.out)
  const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }
  t.equal(r.out, `openapi: 3.1.0\nseed domains: demo, other\ncommcare-hq-mock ${version}\n`)
})

t.test('no-close.test.mjs ends by itself', async t => {
  const r = await run(['no-close.test.mjs'])
  t.equal(r.code, 0, r.out)
  t.match(r.out, /^# pass 1$/m)
  t.ok(r.ms < 8000, `in ${r.ms} ms`)
})

t.test('node-test.test.mjs passes under node --test', async t => {
  const r = await run(['--test', '--test-reporter=tap', 'node-test.test.mjs'])
  t.equal(r.code, 0, r.out)
  t.match(r.out, /^# pass 2$/m)
  t.match(r.out, /^# fail 0$/m)
})

t.test('tap.test.mjs passes under tap', async t => {
  const r = await run(['npx', 'tap', '--disable-coverage', '--reporter=tap', 'tap.test.mjs'])
  t.equal(r.code, 0, r.out)
  t.match(r.out, /^ {4}ok 1 - a fault rule answers 429 once, then the real answer/m)
  t.match(r.out, /^ {4}ok 2 - reset before each test: no fault rule is left/m)
  t.match(r.out, /^ok 1 - examples\/node\/tap\.test\.mjs/m)
  t.notMatch(r.out, /not ok/)
})
