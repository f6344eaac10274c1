import t from 'tap'
import type * as Tap from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startProcess } from '../helpers/process.js'
import { ADMIN, LOC_KIBERA, LOC_NAIROBI, LOC_WESTLANDS } from '../helpers/app.js'

// Location writes on the real server process: every write it acknowledged
// (POST, PUT, PATCH) is there after a SIGKILL right behind the last answer, and
// a refused batch left nothing behind.

async function tempDir (t: Tap.Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cchq-mock-loc-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

const H = { authorization: ADMIN, 'content-type': 'application/json' }

t.test('acknowledged location writes survive a SIGKILL of the server process', async t => {
  const dir = await tempDir(t)
  const first = await startProcess(['--data', dir])
  t.teardown(() => { first.child.kill('SIGKILL') })
  const list = `${first.url}/a/demo/api/location/v2/`
  const send = async (method: string, url: string, body: unknown) => await fetch(url, { method, headers: H, body: JSON.stringify(body) })

  const refused = await send('PATCH', list, { objects: [{ name: 'Karen', location_type_code: 'ward', parent_location_id: LOC_NAIROBI }, { location_id: 'nope' }] })
  t.equal(refused.status, 400)
  // Several writes in flight at once, all acknowledged before the kill.
  const answers = await Promise.all([
    send('POST', list, { name: 'Kilimani', location_type_code: 'ward', parent_location_id: LOC_NAIROBI }),
    send('PUT', `${list}${LOC_WESTLANDS}/`, { latitude: '-1.2676', name: 'Westlands East' }),
    send('PATCH', list, { objects: [{ name: 'Lavington', location_type_code: 'ward', parent_location_id: LOC_NAIROBI }, { location_id: LOC_KIBERA, site_code: 'kibera_central' }] })
  ])
  t.strictSame(answers.map(r => r.status), [201, 200, 202])
  const [created, updated, ids] = await Promise.all(answers.map(async r => await r.json()))
  first.child.kill('SIGKILL')
  t.equal(await first.exited, 'SIGKILL')

  const second = await startProcess(['--data', dir])
  t.teardown(() => { second.child.kill('SIGKILL') })
  const get = async (id: string) => await (await fetch(`${second.url}/a/demo/api/location/v2/${id}/`, { headers: H })).json()
  t.strictSame(await get(created.location_id), created, 'the POST')
  t.strictSame(await get(LOC_WESTLANDS), updated, 'the PUT')
  t.equal((await get(ids[0])).name, 'Lavington', 'the PATCH create')
  t.equal((await get(LOC_KIBERA)).site_code, 'kibera_central', 'the PATCH update')
  const karen = await (await fetch(`${second.url}/a/demo/api/location/v2/?name=Karen`, { headers: H })).json()
  t.equal(karen.meta.total_count, 0, 'the refused batch left nothing')
  second.child.kill('SIGTERM')
  await second.exited
})
