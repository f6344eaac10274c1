import t from 'tap'
import { build, ADMIN } from '../helpers/app.js'
import { startProcess } from '../helpers/process.js'

// HQ's check_lockout (BEHAVIOR.md §2, last row of the table): after too many
// wrong passwords a web user's Basic and Digest attempts get 401
// {"error": "maximum password attempts exceeded"}. Off by default.

const URL_ = '/a/demo/api/v0.5/user/'
const basic = (u: string, p: string) => 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64')
const LOCKED = { error: 'maximum password attempts exceeded' }

t.test('off by default: wrong passwords never lock anyone out', async t => {
  const app = await build(t)
  for (let i = 0; i < 20; i++) await app.inject({ method: 'GET', url: URL_, headers: { authorization: basic('admin@example.org', 'wrong') } })
  const ok = await app.inject({ method: 'GET', url: URL_, headers: { authorization: basic('admin@example.org', 'password') } })
  t.equal(ok.statusCode, 200)
})

t.test('passwordAttempts: 3', async t => {
  const app = await build(t, { passwordAttempts: 3 })
  const get = (authorization: string, url = URL_) => app.inject({ method: 'GET', url, headers: { authorization } })
  for (let i = 1; i <= 3; i++) {
    const res = await get(basic('admin@example.org', `wrong-${i}`))
    t.equal(res.statusCode, 401, `wrong password #${i}`)
    t.equal(res.body, '', `wrong password #${i}: the usual empty 401`)
  }
  const locked = await get(basic('admin@example.org', 'password'))
  t.equal(locked.statusCode, 401, 'the right password, after 3 wrong ones')
  t.strictSame(locked.json(), LOCKED)
  t.equal(locked.headers['content-type'], 'application/json')
  t.equal(locked.headers['www-authenticate'], undefined, 'no challenge')
  t.match(locked.headers['x-mock-reason'], /locked out after 3 wrong passwords/)
  t.notOk(String(locked.headers['x-mock-reason']).includes('password@'), 'no password in the reason')
  t.strictSame((await get(basic('ADMIN@example.org', 'password'))).json(), LOCKED, 'the username in any case')
  t.strictSame((await get(basic('admin@example.org', 'demo-api-key'))).json(), LOCKED, 'an API key as the Basic password too')
  t.equal((await get(ADMIN)).statusCode, 200, 'the ApiKey header is not locked out (HQ checks Basic and Digest usernames)')
  t.equal((await get(basic('viewer@example.org', 'password'))).statusCode, 403, 'other users are unaffected')
  const identity = await get(basic('admin@example.org', 'password'), '/api/v0.5/identity/')
  t.equal(identity.statusCode, 401, 'identity: the lockout 401 becomes the bare one')
  t.equal(identity.body, '')
  const domains = await get(basic('admin@example.org', 'password'), '/api/user_domains/v1/')
  t.equal(domains.body, 'Username or API Key is incorrect, expired or deactivated', "user_domains: HQ's text")
  const reset = await app.inject({ method: 'POST', url: '/__mock/reset' })
  t.equal(reset.statusCode, 200)
  t.equal((await get(basic('admin@example.org', 'password'))).statusCode, 200, 'a reset clears the count')
})

t.test('a successful request clears the count; Digest counts too', async t => {
  const app = await build(t, { passwordAttempts: 2 })
  const get = (authorization: string) => app.inject({ method: 'GET', url: URL_, headers: { authorization } })
  t.equal((await get(basic('admin@example.org', 'wrong'))).statusCode, 401)
  t.equal((await get(basic('admin@example.org', 'password'))).statusCode, 200, 'one wrong password: not yet')
  t.equal((await get(basic('admin@example.org', 'wrong'))).statusCode, 401)
  t.equal((await get(basic('admin@example.org', 'password'))).statusCode, 200, 'the success before cleared the count')
  const challenge = await app.inject({ method: 'GET', url: URL_ })
  const nonce = /nonce="([^"]+)"/.exec(String(challenge.headers['www-authenticate']))![1]
  const digest = `Digest username="admin@example.org", realm="commcarehq", nonce="${nonce}", uri="${URL_}", response="00000000000000000000000000000000", qop=auth, nc=00000001, cnonce="abc"`
  t.equal((await get(digest)).statusCode, 401, 'a wrong Digest response')
  t.equal((await get(digest)).statusCode, 401)
  t.strictSame((await get(basic('admin@example.org', 'password'))).json(), LOCKED, 'two wrong Digest responses lock Basic out too')
  t.strictSame((await get(digest)).json(), LOCKED, 'and Digest')
  const unknown = await get(basic('ghost@example.org', 'x'))
  t.equal(unknown.body, '', 'an unknown user is never locked out')
})

t.test('--password-attempts on the real process', async t => {
  const server = await startProcess(['--in-memory', '--password-attempts', '1'])
  t.teardown(async () => { server.child.kill('SIGTERM'); await server.exited })
  const get = (pw: string) => fetch(server.url + URL_, { headers: { authorization: basic('admin@example.org', pw) } })
  t.equal((await get('wrong')).status, 401)
  const locked = await get('password')
  t.equal(locked.status, 401)
  t.same(await locked.json(), LOCKED)
})
