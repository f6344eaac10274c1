import t from 'tap'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadCached } from '../src/code-cache.js'

// The command runs from one bundled file with V8's code cache beside it
// (src/code-cache.ts); here the cache's life: written, taken, refused.

const ROOT = fileURLToPath(new URL('..', import.meta.url))

function keyOf (source: string): Buffer {
  return createHash('sha256').update(`${process.version} ${process.arch}\0`).update(source).digest()
}

t.test('a cache is written once, then taken; other source of the same length is not fooled', async t => {
  const dir = t.testdir()
  const file = join(dir, 'mod.cjs')
  const source = 'module.exports = { answer: () => 6 * 7, file: __filename, dir: __dirname, req: typeof require }\n'
  writeFileSync(file, source)

  const first = loadCached(file)
  t.equal(first.cacheUsed, false, 'nothing to take at first')
  const exported = first.exports as { answer: () => number, file: string, dir: string, req: string }
  t.equal(exported.answer(), 42)
  t.same([exported.file, exported.dir, exported.req], [file, dir, 'function'], 'CommonJS wrapper arguments')
  first.saveCache()
  const cache = readFileSync(`${file}.cache`)
  t.same(cache.subarray(0, 32), keyOf(source), 'the cache starts with the hash of Node and the source')
  t.ok(cache.length > 32, 'and holds V8 data')

  const second = loadCached(file)
  t.equal(second.cacheUsed, true, 'the next load takes it')
  t.equal((second.exports as { answer: () => number }).answer(), 42)
  second.saveCache()
  t.same(readFileSync(`${file}.cache`), cache, 'a cache that was taken is not rewritten')

  // Same length: V8's own check would pass; the hash does not.
  writeFileSync(file, source.replace('6 * 7', '5 * 8'))
  const changed = loadCached(file)
  t.equal(changed.cacheUsed, false, 'a changed source ignores the old cache')
  t.equal((changed.exports as { answer: () => number }).answer(), 40, 'and runs the new code')
  changed.saveCache()
  t.equal(loadCached(file).cacheUsed, true, 'and replaces it')
})

t.test('a damaged cache is refused, an unwritable one is no error', async t => {
  const dir = t.testdir()
  const file = join(dir, 'mod.cjs')
  const source = 'module.exports = 7\n'
  writeFileSync(file, source)
  writeFileSync(`${file}.cache`, Buffer.concat([keyOf(source), Buffer.from('not V8 data at all')]))
  const damaged = loadCached(file)
  t.equal(damaged.cacheUsed, false)
  t.equal(damaged.exports, 7)

  const blocked = join(dir, 'blocked.cjs')
  writeFileSync(blocked, source)
  mkdirSync(`${blocked}.cache`)
  const loaded = loadCached(blocked)
  t.doesNotThrow(() => loaded.saveCache())
  t.same(readdirSync(dir).filter(n => n.endsWith('.tmp')), [], 'no temporary file left behind')
})

t.test('the build leaves a cache that fits the bundled command', async t => {
  const bundle = join(ROOT, 'dist', 'command.cjs')
  const cache = readFileSync(`${bundle}.cache`)
  t.same(cache.subarray(0, 32), keyOf(readFileSync(bundle, 'utf8')))
})

t.test('from source, without a bundle, the command runs main.ts', async t => {
  const out = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli.ts'), '--version'], { encoding: 'utf8', timeout: 60_000 })
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
  t.equal(out.status, 0, out.stderr)
  t.equal(out.stdout, `${pkg.version}\n`)
})
