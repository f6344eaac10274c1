import t from 'tap'
import type * as Tap from 'tap'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Store, domainFromSeed } from '../../src/store/store.js'
import { completeSeed, workerUsername } from '../../src/store/seed-defaults.js'
import type { SeedInput } from '../../src/store/schema.js'
import { seedProblems } from '../../src/store/validate.js'
import { build, ADMIN, OTHER_ONLY, VIEWER, SEED } from '../helpers/app.js'

// The defaults of a seed as written: a one-user domain is one line, ids are
// derived from the names (the same after a reset or a restart), a domain that
// names no members can be called by every web user of the seed, and a value a
// seed spells out is never changed.

const OLD_SEED = fileURLToPath(new URL('../fixtures/seed-0.1.json', import.meta.url))
/** The id the mock derives for `a` of domain `tiny`: fixed, so an upgrade keeps it. */
const TINY_A = '3ce0d3be55bd19251ce21dae2881c698'

const TINY_A_OBJECT = {
  default_phone_number: null,
  email: '',
  eulas: '[]',
  first_name: '',
  groups: [],
  id: TINY_A,
  language: null,
  last_name: '',
  locations: [],
  phone_numbers: [],
  primary_location: null,
  resource_uri: `/a/tiny/api/v0.5/user/${TINY_A}/`,
  role: 'Mobile Worker Default',
  user_data: { commcare_profile: '', commcare_project: 'tiny' },
  username: 'a@tiny.commcarehq.org'
}

const ONE_LINE = { name: 'tiny', seed: { users: [{ username: 'a' }] } }

t.test('POST /__mock/domains with a one-line seed: a complete HQ worker object', async t => {
  const app = await build(t)
  const created = await app.inject({ method: 'POST', url: '/__mock/domains', payload: ONE_LINE })
  t.equal(created.statusCode, 201)
  t.strictSame(created.json(), { name: 'tiny', project_name: 'tiny', users: 1, groups: 0, seeded: false }, 'project_name defaults to the domain name')
  const list = await app.inject({ url: '/a/tiny/api/v0.5/user/', headers: { authorization: ADMIN } })
  t.equal(list.statusCode, 200)
  t.strictSame(list.json(), { meta: { limit: 20, next: null, offset: 0, previous: null, total_count: 1 }, objects: [TINY_A_OBJECT] })
  const one = await app.inject({ url: `/a/tiny/api/v0.5/user/${TINY_A}/`, headers: { authorization: ADMIN } })
  t.equal(one.statusCode, 200)
  t.strictSame(one.json(), TINY_A_OBJECT)

  const put = await app.inject({ method: 'PUT', url: `/a/tiny/api/v0.5/user/${TINY_A}/`, headers: { authorization: ADMIN }, payload: { first_name: 'Asha' } })
  t.equal(put.statusCode, 200)
  const reset = await app.inject({ method: 'POST', url: '/__mock/domains/tiny/reset' })
  t.equal(reset.statusCode, 200)
  const after = await app.inject({ url: `/a/tiny/api/v0.5/user/${TINY_A}/`, headers: { authorization: ADMIN } })
  t.strictSame(after.json(), TINY_A_OBJECT, 'a reset gives the same worker, same id')

  t.equal((await app.inject({ method: 'DELETE', url: '/__mock/domains/tiny' })).statusCode, 204)
  t.equal((await app.inject({ method: 'POST', url: '/__mock/domains', payload: ONE_LINE })).statusCode, 201)
  const again = await app.inject({ url: '/a/tiny/api/v0.5/user/', headers: { authorization: ADMIN } })
  t.equal(again.json().objects[0].id, TINY_A, 'created again: the same id')
})

t.test('a domain that names no members: every web user of the seed is its admin', async t => {
  const app = await build(t)
  t.equal((await app.inject({ method: 'POST', url: '/__mock/domains', payload: ONE_LINE })).statusCode, 201)
  const viewer = await app.inject({ url: '/a/tiny/api/v0.5/user/', headers: { authorization: VIEWER } })
  t.equal(viewer.statusCode, 200, 'viewer@example.org, a mere viewer of demo, is an admin here')
  const webUsers = await app.inject({ url: '/a/tiny/api/v0.5/web-user/', headers: { authorization: ADMIN } })
  t.equal(webUsers.statusCode, 200)
  const listed = webUsers.json().objects as Array<{ username: string, is_admin: boolean }>
  t.ok(listed.length > 0)
  t.ok(listed.every(w => w.is_admin), 'each listed as an admin')
  t.ok(listed.some(w => w.username === 'viewer@example.org'))
  const scoped = await app.inject({ url: '/a/tiny/api/v0.5/user/', headers: { authorization: OTHER_ONLY } })
  t.equal(scoped.statusCode, 401, 'a key scoped to another domain is still refused')
  t.equal(scoped.headers['x-mock-reason'], "the API key is scoped to domain 'other', not 'tiny': HQ answers 401")
  const locked = await app.inject({ url: '/a/tiny/api/v0.5/user/', headers: { authorization: 'ApiKey locked@example.org:inactive-account-key' } })
  t.equal(locked.statusCode, 401, 'an inactive account is still refused')

  // `"members": []` spelled out: no member at all, so every web user is refused.
  const none = await app.inject({ method: 'POST', url: '/__mock/domains', payload: { name: 'closed', seed: { members: [], users: [{ username: 'a' }] } } })
  t.equal(none.statusCode, 201)
  const refused = await app.inject({ url: '/a/closed/api/v0.5/user/', headers: { authorization: ADMIN } })
  t.equal(refused.statusCode, 403)
  t.equal(refused.headers['x-mock-reason'], "'admin@example.org' is not a member of domain 'closed'")
})

t.test('a seed file with the defaults: one web user with one key, one domain with one worker', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'hq-mock-defaults-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const seedPath = join(dir, 'seed.json')
  await writeFile(seedPath, JSON.stringify({
    web_users: [{ username: 'me@example.org', password: 'secret', api_keys: [{ key: 'my-key' }] }],
    domains: { tiny: { users: [{ username: 'a' }] } }
  }))
  for (const dataDir of [null, join(dir, 'data'), join(dir, 'data')]) {
    const store = await Store.open({ seedPath, dataDir })
    const app = await build(t, { store })
    const res = await app.inject({ url: '/a/tiny/api/v0.5/user/', headers: { authorization: 'ApiKey me@example.org:my-key' } })
    t.equal(res.statusCode, 200, `served ${dataDir === null ? 'in memory' : 'from a data directory'}`)
    t.strictSame(res.json().objects, [TINY_A_OBJECT], 'the same worker and id from the seed file as from POST, after a restart too')
    const identity = await app.inject({ url: '/api/v0.5/identity/', headers: { authorization: 'ApiKey me@example.org:my-key' } })
    t.equal(identity.statusCode, 200)
    t.match(identity.json(), { username: 'me@example.org', first_name: '', last_name: '', email: 'me@example.org' })
    await app.close()
    await store.close()
  }
})

t.test('an empty seed is valid: no web users, no domains', async t => {
  t.strictSame(seedProblems({}), [])
  t.same(completeSeed({}), { web_users: [], domains: {} })
  t.equal(Object.getPrototypeOf(completeSeed({}).domains), null, 'domains is a table without Object.prototype')
  t.strictSame(seedProblems({ domains: { constructor: { users: [{ username: 'a' }] }, tostring: {} } }), [], 'a domain may be named constructor')
  t.equal(completeSeed({ domains: { constructor: { users: [{ username: 'a' }] } } }).domains['constructor' as string].users[0].username, 'a@constructor.commcarehq.org')
})

t.test('the defaults, one by one', async t => {
  const seed = completeSeed({
    web_users: [{ username: 'Me@Example.org', password: 'p', api_keys: [{ key: 'k' }, { key: 'scoped', domain: 'tiny', active: false }], tokens: [{ token: 't' }] }],
    domains: {
      tiny: {
        roles: [{ name: 'Field' }],
        groups: [{ id: 'g', name: 'Team', users: ['u1'] }],
        users: [
          { username: 'b', id: 'u1', groups: ['g'], locations: ['l1', 'l2'] },
          { username: 'c@elsewhere.org', language: 'fr' }
        ]
      }
    }
  })
  const [me] = seed.web_users
  t.match(me, { id: /^[0-9a-f]{32}$/, first_name: '', last_name: '', email: 'Me@Example.org', tokens: [{ token: 't', domain: null }] })
  t.strictSame(me.api_keys, [{ key: 'k', domain: null, active: true }, { key: 'scoped', domain: 'tiny', active: false }])
  const tiny = seed.domains.tiny
  t.match(tiny, { project_name: 'tiny', toggles: [], rate_limit_per_minute: null, custom_user_fields: [], profiles: [], locations: [] })
  t.strictSame(tiny.members, [{ username: 'Me@Example.org', is_admin: true }])
  t.match(tiny.roles[0], { name: 'Field', id: /^[0-9a-f]{32}$/ })
  t.strictSame(tiny.groups, [{ id: 'g', name: 'Team', users: ['u1'], case_sharing: false, reporting: true, metadata: {} }])
  const [b, c] = tiny.users
  t.equal(b.username, 'b', 'a worker with an id keeps its username as written')
  t.equal(b.primary_location, 'l1', 'the first location is the primary one')
  t.equal(c.username, 'c@elsewhere.org', 'a username with @ is kept')
  t.equal(c.language, 'fr')
  t.equal(workerUsername('other', 'x'), 'x@other.commcarehq.org')
  t.equal(completeSeed({ domains: { tiny: { users: [{ id: 'u9', username: 'bare' }] } } }).domains.tiny.users[0].username, 'bare',
    'a worker with an id (every worker of a 0.2 seed had one) keeps a bare username as written')
  t.equal(completeSeed({ domains: { tiny: { users: [{ username: 'b' }] } } }).domains.tiny.users[0].id,
    completeSeed({ domains: { tiny: { users: [{ username: 'B' }] } } }).domains.tiny.users[0].id, 'ids do not depend on the case of the username')
  t.not(completeSeed({ domains: { tiny: { users: [{ username: 'b' }] } } }).domains.tiny.users[0].id,
    completeSeed({ domains: { other: { users: [{ username: 'b' }] } } }).domains.other.users[0].id, 'nor collide across domains')

  const doc = domainFromSeed('tiny', { users: [{ username: 'p', password: 'pw' }] })
  t.equal(doc.users[0].retired, false)
  t.match(doc.users[0].password_hash, /\S/, 'a password is hashed')
  t.equal(domainFromSeed('tiny', { users: [{ username: 'q' }] }).users[0].password_hash, null, 'no password: no login as the worker')
})

/** Every key `given` spells out has the same value in `got`. */
function keepsGiven (t: Tap.Test, given: Record<string, unknown>, got: Record<string, unknown>, where: string): void {
  for (const [k, v] of Object.entries(given)) t.strictSame(got[k], v, `${where}.${k}`)
}

for (const file of [SEED, OLD_SEED]) {
  t.test(`a default never changes what ${file.split('/').slice(-2).join('/')} spells out`, async t => {
    const given = JSON.parse(await readFile(file, 'utf8')) as SeedInput & { $schema?: string }
    const { $schema, ...rest } = given
    const complete = completeSeed(structuredClone(given))
    t.strictSame(Object.keys(complete).sort(), Object.keys(rest).sort(), 'the same top-level keys ($schema dropped)')
    given.web_users!.forEach((w, i) => keepsGiven(t, w, complete.web_users[i], `web_users/${i}`))
    for (const [name, d] of Object.entries(given.domains!)) {
      const { users, ...fields } = d
      const { users: completeUsers, ...completeFields } = complete.domains[name]
      t.strictSame(completeFields, fields, `domains/${name}: every domain key as written`)
      users!.forEach((u, i) => {
        t.strictSame(Object.keys(completeUsers[i]).filter(k => !(k in u)), [], `domains/${name}/users/${i}: nothing added`)
        keepsGiven(t, u, completeUsers[i], `domains/${name}/users/${i}`)
      })
    }
  })
}
