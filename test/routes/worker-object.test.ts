import t from 'tap'
import type * as Tap from 'tap'
import { build, ADMIN, AMINA, BRIAN, CAROL, JDOE, MARY } from '../helpers/app.js'
import { seedDomain, seedUser } from '../helpers/seed.js'

// The mobile-worker object of BEHAVIOR.md §3 ([R2 §A.1]): 15 sorted keys, with
// `language` and `role`, and nothing write-only.

const H = { authorization: ADMIN }
const JSON_H = { ...H, 'content-type': 'application/json' }
const KEYS = ['default_phone_number', 'email', 'eulas', 'first_name', 'groups', 'id', 'language', 'last_name', 'locations',
  'phone_numbers', 'primary_location', 'resource_uri', 'role', 'user_data', 'username']

t.test('GET detail: exactly the 15 keys, sorted, with language and role', async t => {
  const app = await build(t)
  for (const url of [`/a/demo/api/v0.5/user/${JDOE}/`, `/a/demo/api/user/v1/${JDOE}/`]) {
    const res = await app.inject({ url, headers: H })
    t.equal(res.statusCode, 200)
    const body = res.json()
    t.strictSame(Object.keys(body), KEYS)
    t.equal(body.language, 'sw')
    t.equal(body.role, 'Mobile Worker')
    t.match(res.body, /"id": "3c5a623af057e23a32ae4000cf291339", "language": "sw", "last_name": "Doe", /, 'language sits between id and last_name')
    t.match(res.body, /"resource_uri": "[^"]+", "role": "Mobile Worker", "user_data": /, 'role sits between resource_uri and user_data')
    for (const hidden of ['password', 'connect_username', 'require_account_confirmation', 'send_confirmation_email_now', 'is_active', 'last_modified']) {
      t.notOk(hidden in body, `${hidden} is never returned`)
    }
  }
})

t.test('no role assigned: the domain default; never set language: null', async t => {
  const app = await build(t)
  const brian = (await app.inject({ url: `/a/demo/api/v0.5/user/${BRIAN}/`, headers: H })).json()
  t.equal(brian.role, 'Mobile Worker Default')
  t.equal(brian.language, null)
  t.match((await app.inject({ url: `/a/demo/api/v0.5/user/${BRIAN}/`, headers: H })).body, /"language": null, /)
  const carol = (await app.inject({ url: `/a/demo/api/v0.5/user/${CAROL}/`, headers: H })).json()
  t.equal(carol.role, 'Mobile Worker Default', 'a deactivated worker too')
  const peter = (await app.inject({ url: '/a/other/api/v0.5/user/3d82f6c95a916b44eb241b942294630d/', headers: H })).json()
  t.equal(peter.role, 'Mobile Worker', 'domain other names its own default mobile-worker role')
  const mary = (await app.inject({ url: `/a/other/api/v0.5/user/${MARY}/`, headers: H })).json()
  t.equal(mary.language, 'en')
})

t.test('list items and the PUT answer carry the same 15 keys', async t => {
  const app = await build(t)
  const list = (await app.inject({ url: '/a/demo/api/v0.5/user/', headers: H })).json()
  for (const u of list.objects) t.strictSame(Object.keys(u), KEYS, u.username)
  t.strictSame(list.objects.map((u: { role: string }) => u.role), ['Mobile Worker', 'Mobile Worker Default', 'Mobile Worker Default', 'Mobile Worker'])
  const put = await app.inject({ method: 'PUT', url: `/a/demo/api/v0.5/user/${AMINA}/`, headers: JSON_H, payload: { role: 'Field Supervisor', language: 'fr', password: 'Secret-123' } })
  t.equal(put.statusCode, 200)
  t.strictSame(Object.keys(put.json()), KEYS)
  t.equal(put.json().role, 'Field Supervisor')
  t.equal(put.json().language, 'fr')
  t.notOk(put.body.includes('Secret-123'), 'the password is not echoed')
  const listed = (await app.inject({ url: '/a/demo/api/v0.5/user/', headers: H })).json().objects.find((u: { id: string }) => u.id === AMINA)
  t.equal(listed.role, 'Field Supervisor', 'the cached list shows the change')
  t.equal(listed.language, 'fr')
})

const GONE = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1'
const PLAIN = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2'

async function rolesApp (t: Tap.Test) {
  const app = await build(t)
  const seed = seedDomain({
    project_name: 'Roles',
    members: [{ username: 'admin@example.org', is_admin: true }],
    roles: [
      { id: 'r1', name: 'Twin' },
      { id: 'r2', name: 'Twin' },
      { id: 'r3', name: 'Solo' }
    ],
    users: [
      seedUser({ id: GONE, username: 'gone@roles.commcarehq.org', first_name: 'G', last_name: 'One', role: 'Deleted Role' }),
      seedUser({ id: PLAIN, username: 'plain@roles.commcarehq.org', first_name: 'P', last_name: 'Two', language: null })
    ]
  })
  const made = await app.inject({ method: 'POST', url: '/__mock/domains', payload: { name: 'roles', seed } })
  t.equal(made.statusCode, 201, made.body)
  return app
}

t.test('roles: unknown, ambiguous and deleted (a domain of its own)', async t => {
  const app = await rolesApp(t)
  const url = (id: string) => `/a/roles/api/v0.5/user/${id}/`
  const plain = (await app.inject({ url: url(PLAIN), headers: H })).json()
  t.equal(plain.role, 'Mobile Worker Default', "HQ's own default when the domain names none")
  t.equal(plain.language, null)
  t.equal((await app.inject({ url: url(GONE), headers: H })).json().role, null, 'an assigned role that no longer exists is null')

  const before = (await app.inject({ url: url(PLAIN), headers: H })).body
  const twin = await app.inject({ method: 'PUT', url: url(PLAIN), headers: JSON_H, payload: { role: 'Twin' } })
  t.equal(twin.statusCode, 400)
  t.strictSame(twin.json(), { error: "The request resulted in the following errors: There are multiple roles with the name 'Twin' in the domain 'roles'" })
  t.ok(twin.headers['x-mock-reason'])
  t.equal((await app.inject({ url: url(PLAIN), headers: H })).body, before, 'nothing changed')

  const both = await app.inject({ method: 'PUT', url: url(PLAIN), headers: JSON_H, payload: { role: 'Nobody', first_name: 5 } })
  t.equal(both.statusCode, 500, 'a 500 of a later key still wins over a collected role error')

  const solo = await app.inject({ method: 'PUT', url: url(GONE), headers: JSON_H, payload: { role: 'Solo' } })
  t.equal(solo.statusCode, 200)
  t.equal(solo.json().role, 'Solo')

  // POST: a bad or ambiguous role is ignored; the worker gets the default role.
  for (const [name, role] of [['made.twin', 'Twin'], ['made.nobody', 'Nobody']]) {
    const created = await app.inject({ method: 'POST', url: '/a/roles/api/v0.5/user/', headers: JSON_H, payload: { username: name, password: 'pw', role } })
    t.equal(created.statusCode, 201)
    t.match(created.headers['x-mock-reason'], role === 'Twin' ? /There are multiple roles with the name 'Twin' in the domain 'roles'/ : /The role 'Nobody' does not exist/)
    const got = (await app.inject({ url: created.headers.location as string, headers: H })).json()
    t.equal(got.role, 'Mobile Worker Default', `${role}: the default role`)
  }
  const good = await app.inject({ method: 'POST', url: '/a/roles/api/v0.5/user/', headers: JSON_H, payload: { username: 'made.solo', password: 'pw', role: 'Solo' } })
  t.equal(good.statusCode, 201)
  t.equal(good.headers['x-mock-reason'], undefined)
  t.equal((await app.inject({ url: good.headers.location as string, headers: H })).json().role, 'Solo')
})
