import t from 'tap'
import { randomBytes, scryptSync } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { build, ADMIN, JDOE, SEED } from '../helpers/app.js'
import { Store } from '../../src/store/store.js'
import { hashPassword, PBKDF2_ITERATIONS, verifyPassword, verifyPasswordAsync } from '../../src/commcare/passwords.js'

// Passwords are kept as salted PBKDF2-SHA256 hashes in Django's format; hashes
// of earlier versions (scrypt) and of other iteration counts still verify.

const LIST = '/a/demo/api/v0.5/user/'
const basic = (username: string, pw: string): string => 'Basic ' + Buffer.from(`${username}:${pw}`).toString('base64')

t.test('two creates of one username at the same time: one 201, the others 400', async t => {
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

t.test("a created worker keeps a salted hash in Django's format, never the password", async t => {
  const app = await build(t)
  const ids: string[] = []
  for (const username of ['salted1', 'salted2']) {
    const res = await app.inject({ method: 'POST', url: LIST, headers: { authorization: ADMIN }, payload: { username, password: 'same-password' } })
    t.equal(res.statusCode, 201)
    ids.push(res.json().id)
  }
  const hashes = ids.map(id => app.ctx.store.domain('demo')!.usersById.get(id)!.password_hash!)
  for (const h of hashes) {
    t.match(h, new RegExp(`^pbkdf2_sha256\\$${PBKDF2_ITERATIONS}\\$[0-9a-f]{32}\\$[A-Za-z0-9+/]{43}=$`))
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

t.test('hashes of other counts, of Django and of earlier versions verify; malformed ones never do', async t => {
  const mine = hashPassword('a-password')
  t.ok(verifyPassword('a-password', mine))
  t.ok(await verifyPasswordAsync('a-password', mine))
  t.not(hashPassword('a-password'), mine, 'a new salt each time')
  t.equal(verifyPassword('wrong', mine), false)
  t.equal(await verifyPasswordAsync('wrong', mine), false)
  // Made by Python: base64(hashlib.pbkdf2_hmac('sha256', b'Django-made-1', b'hqSaltFromDjango2026ab', 1000)), as Django stores it.
  const django = 'pbkdf2_sha256$1000$hqSaltFromDjango2026ab$Pfy/xRVnwzzmiVVCr06zwI3WV7K/Ff5QhY7HHwx7Jnc='
  t.ok(verifyPassword('Django-made-1', django), 'a hash Django made verifies')
  t.ok(await verifyPasswordAsync('Django-made-1', django))
  t.equal(verifyPassword('Django-made-2', django), false)
  const legacy = hashWithCost('legacy', 256)
  t.ok(verifyPassword('legacy', legacy), 'the scrypt hashes 0.2 wrote still verify')
  t.ok(await verifyPasswordAsync('legacy', legacy))
  t.ok(verifyPassword('legacy', hashWithCost('legacy', 1024)), 'at any cost (it is stored with the hash)')
  t.equal(await verifyPasswordAsync('wrong', legacy), false)
  for (const bad of [null, '', 'md5$abc', 'pbkdf2_sha256$0$salt$Pfy/xRVnwzzmiVVCr06zwI3WV7K/Ff5QhY7HHwx7Jnc=',
    'pbkdf2_sha256$99999999999$salt$Pfy/xRVnwzzmiVVCr06zwI3WV7K/Ff5QhY7HHwx7Jnc=', 'pbkdf2_sha256$100$$abc=',
    'pbkdf2_sha256$100$salt$', 'pbkdf2_sha256$1e3$salt$abc=', 'pbkdf2_sha256$100$salt$abc=', 'scrypt$255$00$00', `scrypt$${1 << 17}$00$${'00'.repeat(32)}`, 'scrypt$256$zz$00', 'scrypt$256$00$00', 'scrypt$256$00', `${mine}$x`]) {
    t.equal(verifyPassword('x', bad), false, `never verifies: ${String(bad)}`)
    t.equal(await verifyPasswordAsync('x', bad), false)
  }
})

t.test("a seed's password_hash may be Django's or 0.2's: the worker's password then works for Basic", async t => {
  const seed = JSON.parse(await readFile(SEED, 'utf8'))
  const users = seed.domains.demo.users as Array<Record<string, unknown>>
  const jdoe = users.find(u => u.id === JDOE)!
  delete jdoe.password
  jdoe.password_hash = 'pbkdf2_sha256$1000$hqSaltFromDjango2026ab$Pfy/xRVnwzzmiVVCr06zwI3WV7K/Ff5QhY7HHwx7Jnc='
  const amina = users.find(u => u.username === 'amina.hassan@demo.commcarehq.org')!
  delete amina.password
  amina.password_hash = hashWithCost('amina-legacy', 256)
  const dir = t.testdir({ 'seed.json': JSON.stringify(seed) })
  const app = await build(t, { store: await Store.open({ seedPath: join(dir, 'seed.json'), dataDir: null }) })
  const as = async (username: string, pw: string): Promise<number> =>
    (await app.inject({ method: 'GET', url: LIST, headers: { authorization: basic(username, pw) } })).statusCode
  t.equal(await as('jdoe@demo.commcarehq.org', 'Django-made-1'), 403, 'right password: a mobile worker, refused the web API')
  t.equal(await as('jdoe@demo.commcarehq.org', 'jdoe-password'), 401)
  t.equal(await as('amina.hassan@demo.commcarehq.org', 'amina-legacy'), 403)
  t.equal(await as('amina.hassan@demo.commcarehq.org', 'Django-made-1'), 401)
})

function hashWithCost (password: string, cost: number): string {
  // The format 0.2 wrote (scrypt, r=8, p=1), as older data directories hold it.
  const salt = randomBytes(16)
  return `scrypt$${cost}$${salt.toString('hex')}$${scryptSync(password, salt, 32, { N: cost, r: 8, p: 1 }).toString('hex')}`
}
