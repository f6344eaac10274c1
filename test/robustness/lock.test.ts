import t from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { runToExit, startProcess } from '../helpers/process.js'
import { JDOE } from '../helpers/app.js'
import { getJson, putJson, stop, tempDir } from './support.js'

// One writer per data directory.

t.test('a second process on a data directory in use refuses; the first keeps serving', async t => {
  const dir = await tempDir(t)
  const data = join(dir, 'data')
  const first = await startProcess(['--data', data])
  t.teardown(() => stop(first))

  const second = await runToExit(['--data', data])
  t.not(second.code, 0, 'the second process exits with a failure code')
  t.match(second.output, /in use by another commcare-hq-mock process \(pid \d+/, 'and says the directory is in use, by whom')
  t.match(second.output, data, 'naming the directory')
  t.notMatch(second.output, /listening on/, 'it never listened')

  const health = await getJson(first.url, '/__mock/health')
  t.equal(health.status, 200, 'the first still answers')
  const put = await putJson(first.url, `/a/demo/api/v0.5/user/${JDOE}/`, { first_name: 'Still here' })
  t.equal(put.status, 200, 'and still writes')
  t.ok(existsSync(join(data, '.lock')), 'its lock is untouched')
  await stop(first)
  t.notOk(existsSync(join(data, '.lock')), 'a graceful stop releases the lock')
})

t.test('a stale lock from a killed process does not block a restart', async t => {
  const dir = await tempDir(t)
  const data = join(dir, 'data')
  const first = await startProcess(['--data', data])
  t.teardown(() => stop(first))
  t.equal((await putJson(first.url, `/a/demo/api/v0.5/user/${JDOE}/`, { first_name: 'Before the kill' })).status, 200)
  first.child.kill('SIGKILL')
  await first.exited
  t.ok(existsSync(join(data, '.lock')), 'the killed process left its lock behind')

  const again = await startProcess(['--data', data])
  t.teardown(() => stop(again))
  const { status, body } = await getJson(again.url, `/a/demo/api/v0.5/user/${JDOE}/`)
  t.equal(status, 200, 'the restart serves')
  t.equal(body.first_name, 'Before the kill', 'with the state written before the kill')
  const third = await runToExit(['--data', data])
  t.not(third.code, 0, 'and the new lock holds against yet another process')
})
