import t from 'tap'
import { join } from 'node:path'
import { startProcess } from '../helpers/process.js'
import { readDomainOnDisk } from '../../src/store/domain-writer.js'
import { JDOE, GROUP_SOUTH, LOC_NAIROBI, LOC_WESTLANDS } from '../helpers/app.js'
import { getJson, putJson, stop, tempDir } from './support.js'

// No lost updates: concurrent PUTs to one user, each changing a different
// field, all land, in memory and on disk.

const FIELDS: Array<[string, Record<string, unknown>]> = [
  ['first_name', { first_name: 'Concurrent' }],
  ['last_name', { last_name: 'Writer' }],
  ['email', { email: 'Concurrent@Example.org' }],
  ['language', { language: 'fr' }],
  ['phone_numbers', { phone_numbers: ['+254711111111', '254722222222'] }],
  ['user_data', { user_data: { chw_id: 'C-1', note: 'all at once' } }],
  ['groups', { groups: [GROUP_SOUTH] }],
  ['locations', { locations: [LOC_NAIROBI, LOC_WESTLANDS], primary_location: LOC_WESTLANDS }],
  ['role', { role: 'Field Supervisor' }],
  ['password', { password: 'a-new-password' }]
]

t.test('concurrent PUTs to one user changing different fields all land', async t => {
  const dir = await tempDir(t)
  const data = join(dir, 'data')
  const server = await startProcess(['--data', data])
  t.teardown(() => stop(server))
  const path = `/a/demo/api/v0.5/user/${JDOE}/`

  // Every field is sent 5 times, interleaved, all at once.
  const requests = Array.from({ length: 5 }, () => FIELDS).flat()
  const answers = await Promise.all(requests.map(async ([, body]) => (await putJson(server.url, path, body)).status))
  t.same(answers, requests.map(() => 200), `${requests.length} concurrent PUTs all answered 200`)

  const { body: user } = await getJson(server.url, path)
  t.equal(user.first_name, 'Concurrent')
  t.equal(user.last_name, 'Writer')
  t.equal(user.email, 'concurrent@example.org')
  t.same(user.phone_numbers, ['254711111111', '254722222222'])
  t.equal(user.default_phone_number, '254711111111')
  t.equal(user.user_data.chw_id, 'C-1')
  t.equal(user.user_data.note, 'all at once')
  t.same(user.groups, [GROUP_SOUTH])
  t.same(user.locations, [LOC_NAIROBI, LOC_WESTLANDS])
  t.equal(user.primary_location, LOC_WESTLANDS)
  t.equal(user.user_data.commcare_location_id, LOC_WESTLANDS)

  // The same, from the disk (language, role and password are not returned by the API).
  // What a restart would load: the snapshot with the change log replayed.
  const demo: any = await readDomainOnDisk(data, 'demo')
  const stored = demo.users.find((u: any) => u.id === JDOE)
  t.equal(stored.language, 'fr')
  t.equal(stored.role, 'Field Supervisor')
  t.match(stored.password_hash, /^pbkdf2_sha256\$/)
  t.equal(stored.first_name, 'Concurrent')
  t.same(stored.groups, [GROUP_SOUTH])
  const south = demo.groups.find((g: any) => g.id === GROUP_SOUTH)
  t.ok(south.users.includes(JDOE), 'the group lists the user too')
  t.notOk(demo.groups.some((g: any) => g.id !== GROUP_SOUTH && g.users.includes(JDOE)), 'and no other group does')

  // Jane can log in with the new password: the password PUT landed as well.
  const basic = 'Basic ' + Buffer.from('jdoe@demo.commcarehq.org:a-new-password').toString('base64')
  const res = await fetch(server.url + '/a/demo/api/v0.5/user/', { headers: { authorization: basic } })
  t.equal(res.status, 403, 'the new password authenticates the mobile worker (who, as in HQ, gets 403)')
})

t.test('concurrent PUTs to many users of one domain each keep their own change', async t => {
  const dir = await tempDir(t)
  const server = await startProcess(['--data', join(dir, 'data')])
  t.teardown(() => stop(server))
  const list = await getJson(server.url, '/a/demo/api/v0.5/user/?limit=100')
  const ids: string[] = list.body.objects.map((u: any) => u.id)
  const rounds = 10
  const writes = ids.flatMap(id => Array.from({ length: rounds }, (_, i) => ({ id, i })))
  const statuses = await Promise.all(writes.map(async ({ id, i }) =>
    (await putJson(server.url, `/a/demo/api/v0.5/user/${id}/`, { user_data: { [`k${i}`]: id } }, 15_000)).status))
  t.ok(statuses.every(s => s === 200), `${writes.length} concurrent PUTs answered 200`)
  // user_data replaces, so each user ends with exactly one of its own keys.
  for (const id of ids) {
    const { body } = await getJson(server.url, `/a/demo/api/v0.5/user/${id}/`)
    const own = Object.keys(body.user_data).filter(k => /^k\d+$/.test(k))
    t.equal(own.length, 1, `${id} holds one of its writes`)
    t.equal(body.user_data[own[0]], id, `${id} holds its own value, not another user's`)
  }
})
