import t from 'tap'
import { randomBytes, scryptSync } from 'node:crypto'
import { build, ADMIN, JDOE } from '../helpers/app.js'
import { hashPassword, preparePassword, verifyPassword, verifyPasswordAsync, withPreparedPassword } from '../../src/commcare/passwords.js'

// Passwords are hashed on the thread pool before the store's change runs; the
// change then checks the request again against the domain as it is by then.

const LIST = '/a/demo/api/v0.5/user/'
const basic = (username: string, pw: string): string => 'Basic ' + Buffer.from(`${username}:${pw}`).toString('base64')

t.test('two creates of one username at the same time: one 201, the other 400 (checked again after hashing)', async t => {
  const app = await build(t)
  const send = async () => await app.inject({ method: 'POST', url: LIST, headers: { authorization: ADMIN }, payload: { username: 'twin', password: 'pw-twin' } })
  const answers = await Promise.all([send(), send(), send()])
  t.same(answers.map(a => a.statusCode).sort(), [201, 400, 400])
  for (const a of answers.filter(a => a.statusCode === 400)) {
    t.same(a.json(), { error: "Username 'twin@demo.commcarehq.org' is already taken or reserved." })
    t.equal(a.headers['x-mock-reason'], 'a mobile worker with this username exists')
  }
  const list = await app.inject({ method: 'GET', url: `${LIST}?limit=1000`, headers: { authorization: ADMIN } })
  t.equal(list.json().objects.filter((u: { username: string }) => u.username === 'twin@demo.commcarehq.org').length, 1, 'one worker made')
})

t.test('a created worker keeps a salted scrypt hash, never the password', async t => {
  const app = await build(t)
  const ids: string[] = []
  for (const username of ['salted1', 'salted2']) {
    const res = await app.inject({ method: 'POST', url: LIST, headers: { authorization: ADMIN }, payload: { username, password: 'same-password' } })
    t.equal(res.statusCode, 201)
    ids.push(res.json().id)
  }
  const hashes = ids.map(id => app.ctx.store.domain('demo')!.usersById.get(id)!.password_hash!)
  for (const h of hashes) {
    t.match(h, /^scrypt\$256\$[0-9a-f]{32}\$[0-9a-f]{64}$/)
    t.notOk(h.includes('same-password'))
    t.ok(verifyPassword('same-password', h))
  }
  t.not(hashes[0], hashes[1], 'each hash has its own salt')
  t.equal((await app.inject({ method: 'GET', url: LIST, headers: { authorization: basic('salted1@demo.commcarehq.org', 'same-password') } })).statusCode, 403)
})

t.test('a PUT with a password: the new one works for Basic, the old one no longer', async t => {
  const app = await build(t)
  const res = await app.inject({ method: 'PUT', url: `${LIST}${JDOE}/`, headers: { authorization: ADMIN }, payload: { password: 'fresh-password', first_name: 'Jo' } })
  t.equal(res.statusCode, 200)
  t.equal(res.json().first_name, 'Jo')
  t.equal((await app.inject({ method: 'GET', url: LIST, headers: { authorization: basic('jdoe@demo.commcarehq.org', 'fresh-password') } })).statusCode, 403)
  const old = await app.inject({ method: 'GET', url: LIST, headers: { authorization: basic('jdoe@demo.commcarehq.org', 'jdoe-password') } })
  t.equal(old.statusCode, 401)
  t.equal(old.headers['www-authenticate'], 'Basic realm=""')
  t.equal(old.headers['x-mock-reason'], 'unknown user or wrong password')
})

t.test('a PUT of an unknown worker with a password is the same 500 as without one', async t => {
  const app = await build(t)
  for (const payload of [{ password: 'x' }, { first_name: 'x' }]) {
    const res = await app.inject({ method: 'PUT', url: `${LIST}${'0'.repeat(32)}/`, headers: { authorization: ADMIN }, payload })
    t.equal(res.statusCode, 500)
    t.match(res.headers['x-mock-reason'], /^no mobile worker '0{32}' in domain 'demo'/)
  }
})

t.test('a prepared hash is taken once, and only for its own password', async t => {
  const prepared = await preparePassword('prepared-pw')
  t.ok(await verifyPasswordAsync('prepared-pw', prepared.hash))
  const [first, second, other] = withPreparedPassword(prepared, () => [hashPassword('prepared-pw'), hashPassword('prepared-pw'), hashPassword('other')])
  t.equal(first, prepared.hash, 'the first hash of that password is the prepared one')
  t.not(second, prepared.hash, 'a second one is hashed anew')
  t.ok(verifyPassword('prepared-pw', second))
  t.ok(verifyPassword('other', other))
  t.not(hashPassword('prepared-pw'), prepared.hash, 'outside the change nothing is prepared')
  t.equal(await verifyPasswordAsync('wrong', prepared.hash), false)
  t.equal(await verifyPasswordAsync('x', null), false)
  t.equal(await verifyPasswordAsync('x', 'md5$abc'), false)
  t.ok(verifyPassword('legacy', hashWithCost('legacy', 1024)), 'a hash of an earlier cost still verifies (its cost is stored with it)')
})

function hashWithCost (password: string, cost: number): string {
  // The format hashPassword writes, at another cost, as older data directories hold it.
  const salt = randomBytes(16)
  return `scrypt$${cost}$${salt.toString('hex')}$${scryptSync(password, salt, 32, { N: cost, r: 8, p: 1 }).toString('hex')}`
}
