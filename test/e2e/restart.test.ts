import t from 'tap'
import type * as Tap from 'tap'
import { mkdtemp, readFile, rm, writeFile, readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startProcess, runToExit } from '../helpers/process.js'
import { ADMIN, JDOE, DOCS_SAMPLE_PUT, SEED } from '../helpers/app.js'

async function tempDir (t: Tap.Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cchq-mock-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

t.test('a PUT survives a graceful restart of the real server process', async t => {
  const dir = await tempDir(t)
  const seedBefore = await readFile(SEED)
  const first = await startProcess(['--data', dir])
  t.teardown(() => { first.child.kill('SIGKILL') })
  t.match(first.output(), /listening on http:\/\/127\.0\.0\.1:\d+/)
  t.match(first.output(), new RegExp(`data: +${dir}`))
  t.match(first.output(), /seed: +.*seed\/default\.json/)
  t.match(first.output(), /ApiKey admin@example\.org:<api key>/)
  t.notMatch(first.output(), /demo-api-key/, 'no key is printed')

  const url = `${first.url}/a/demo/api/v0.5/user/${JDOE}/`
  const put = await fetch(url, { method: 'PUT', headers: { authorization: ADMIN, 'content-type': 'application/json' }, body: JSON.stringify(DOCS_SAMPLE_PUT) })
  t.equal(put.status, 200)
  const answer = await put.text()

  first.child.kill('SIGTERM')
  t.equal(await first.exited, 0, 'SIGTERM closes it cleanly')
  t.strictSame((await readdir(dir)).sort(), ['domains', 'global.json'], 'the lock is released')

  const second = await startProcess(['--data', dir])
  t.teardown(() => { second.child.kill('SIGKILL') })
  const get = await fetch(`${second.url}/a/demo/api/v0.5/user/${JDOE}/`, { headers: { authorization: ADMIN } })
  t.equal(get.status, 200)
  t.equal(await get.text(), answer.replace(/"resource_uri": "[^"]+"/, `"resource_uri": "/a/demo/api/v0.5/user/${JDOE}/"`))
  second.child.kill('SIGTERM')
  await second.exited
  t.ok((await readFile(SEED)).equals(seedBefore), 'the seed file is never written')
})

t.test('a bad data file stops the server, names the file and is left untouched', async t => {
  const dir = await tempDir(t)
  const ok = await startProcess(['--data', dir])
  ok.child.kill('SIGTERM')
  await ok.exited
  const file = join(dir, 'domains', 'demo.json')
  const broken = '{"name": "demo", "users": [ truncated'
  await writeFile(file, broken)
  const res = await runToExit(['--data', dir])
  t.equal(res.code, 1)
  t.match(res.output, `cannot start: ${file}: not valid JSON`)
  t.equal(await readFile(file, 'utf8'), broken)

  await rm(file)
  const valid = JSON.parse(await readFile(join(dir, 'domains', 'other.json'), 'utf8'))
  valid.users[0].first_name = 42
  const invalid = JSON.stringify(valid)
  await writeFile(join(dir, 'domains', 'other.json'), invalid)
  const res2 = await runToExit(['--data', dir])
  t.equal(res2.code, 1)
  t.match(res2.output, /other\.json: \/users\/0\/first_name: Expected string/)
  t.equal(await readFile(join(dir, 'domains', 'other.json'), 'utf8'), invalid)
})

t.test('a bad seed stops the server with the file and the problem', async t => {
  const dir = await tempDir(t)
  const seed = join(dir, 'seed.json')
  await writeFile(seed, JSON.stringify({ web_users: [], domains: { Bad_Name: {} } }))
  const res = await runToExit(['--in-memory', '--seed', seed])
  t.equal(res.code, 1)
  t.match(res.output, `cannot start: ${seed}:`)
  const missing = await runToExit(['--in-memory', '--seed', join(dir, 'nope.json')])
  t.equal(missing.code, 1)
  t.match(missing.output, /cannot read the seed file \(ENOENT\)/)
})

t.test('--help and a bad flag', async t => {
  const help = await runToExit(['--help'])
  t.equal(help.code, 0)
  t.match(help.output, /--in-memory/)
  const bad = await runToExit(['--bogus'])
  t.equal(bad.code, 2)
  t.match(bad.output, /Run with --help/)
})

t.test('a seed changed since the data directory was made is validated again; an unchanged one still resets', async t => {
  const dir = await tempDir(t)
  const seed = join(dir, 'seed.json')
  const data = join(dir, 'data')
  const original = await readFile(SEED, 'utf8')
  await writeFile(seed, original)
  const first = await startProcess(['--data', data, '--seed', seed])
  first.child.kill('SIGTERM')
  await first.exited

  await writeFile(seed, original.replace('"jdoe@demo.commcarehq.org"', '42'))
  const spoiled = await runToExit(['--data', data, '--seed', seed])
  t.equal(spoiled.code, 1, 'the changed seed is checked again and refused')
  t.match(spoiled.output, `cannot start: ${seed}:`)

  await writeFile(seed, original)
  const again = await startProcess(['--data', data, '--seed', seed])
  t.teardown(() => { again.child.kill('SIGKILL') })
  const url = `${again.url}/a/demo/api/v0.5/user/${JDOE}/`
  const put = await fetch(url, { method: 'PUT', headers: { authorization: ADMIN, 'content-type': 'application/json' }, body: '{"first_name": "Changed"}' })
  t.equal(put.status, 200)
  const reset = await fetch(`${again.url}/__mock/reset`, { method: 'POST' })
  t.equal(reset.status, 200)
  const get = await fetch(url, { headers: { authorization: ADMIN } })
  t.equal((await get.json() as { first_name: string }).first_name, 'Jane', 'reset restores the seed read after a restart')
  again.child.kill('SIGTERM')
  await again.exited
})
