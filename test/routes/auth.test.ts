import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { build, ADMIN } from '../helpers/app.js'
import { startProcess } from '../helpers/process.js'

const run = promisify(execFile)
const md5 = (s: string) => createHash('md5').update(s).digest('hex')
const URL_ = '/a/demo/api/v0.5/user/'

/** What requests.auth.HTTPDigestAuth sends, computed from a challenge's nonce. */
function digest (o: { method: string, uri: string, nonce: string, username?: string, password?: string, realm?: string, qop?: string | null, nc?: string }): string {
  const username = o.username ?? 'admin@example.org'
  const realm = o.realm ?? 'commcarehq'
  const cnonce = randomBytes(8).toString('hex')
  const nc = o.nc ?? '00000001'
  const qop = o.qop === undefined ? 'auth' : o.qop
  const ha1 = md5(`${username}:${realm}:${o.password ?? 'password'}`)
  const ha2 = md5(`${o.method}:${o.uri}`)
  const response = md5(`${ha1}:${o.nonce}:${nc}:${cnonce}:${qop}:${ha2}`)
  return `Digest username="${username}", realm="${realm}", nonce="${o.nonce}", uri="${o.uri}", response="${response}", algorithm="MD5"` +
    (qop === null ? '' : `, qop=${qop}, nc=${nc}, cnonce="${cnonce}"`)
}

function challengeNonce (header: string | string[] | undefined): string {
  const m = /nonce="([^"]+)"/.exec(String(header))
  if (m === null) throw new Error(`no nonce in ${String(header)}`)
  return m[1]
}

t.test('a request without credentials gets a Digest challenge on domain resources, none on identity and user_domains', async t => {
  const app = await build(t)
  for (const url of [URL_, '/a/demo/api/group/v1/']) {
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 401, url)
    t.equal(res.body, '')
    t.match(res.headers['www-authenticate'], /^Digest realm="commcarehq", nonce="[^"]+", algorithm="MD5", qop="auth"$/)
  }
  for (const url of ['/api/v0.5/identity/', '/api/identity/v1/', '/api/v0.5/user_domains/', '/api/user_domains/v1/']) {
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 401, url)
    t.equal(res.headers['www-authenticate'], undefined, `${url}: no challenge (HQ's LoginAuthentication)`)
  }
})

t.test('Digest (RFC 7616, MD5, qop=auth) through app.inject', async t => {
  const app = await build(t)
  const first = await app.inject({ method: 'GET', url: URL_ })
  const nonce = challengeNonce(first.headers['www-authenticate'])
  const cases: Array<{ name: string, method?: 'GET' | 'POST', url?: string, header: () => string, status: number, stale?: boolean }> = [
    { name: 'valid', header: () => digest({ method: 'GET', uri: URL_, nonce }), status: 200 },
    { name: 'valid, query in the uri', url: URL_ + '?limit=1', header: () => digest({ method: 'GET', uri: URL_ + '?limit=1', nonce }), status: 200 },
    { name: 'valid on identity', url: '/api/identity/v1/', header: () => digest({ method: 'GET', uri: '/api/identity/v1/', nonce }), status: 200 },
    { name: 'wrong password', header: () => digest({ method: 'GET', uri: URL_, nonce, password: 'nope' }), status: 401 },
    { name: 'unknown user', header: () => digest({ method: 'GET', uri: URL_, nonce, username: 'ghost@example.org' }), status: 401 },
    { name: 'wrong realm', header: () => digest({ method: 'GET', uri: URL_, nonce, realm: 'other' }), status: 401 },
    { name: 'signed for another uri', header: () => digest({ method: 'GET', uri: '/a/other/api/v0.5/user/', nonce }), status: 401 },
    { name: 'signed for another method', method: 'POST', header: () => digest({ method: 'GET', uri: URL_, nonce }), status: 401 },
    { name: 'forged nonce', header: () => digest({ method: 'GET', uri: URL_, nonce: 'abc.def' }), status: 401 },
    { name: 'no qop (RFC 2069)', header: () => digest({ method: 'GET', uri: URL_, nonce, qop: null }), status: 401 },
    { name: 'expired nonce → stale', header: () => digest({ method: 'GET', uri: URL_, nonce: app.ctx.auth.nonce(Date.now() - 60 * 60 * 1000) }), status: 401, stale: true },
    { name: 'expired nonce, wrong password → not stale', header: () => digest({ method: 'GET', uri: URL_, nonce: app.ctx.auth.nonce(Date.now() - 60 * 60 * 1000), password: 'x' }), status: 401, stale: false },
    { name: 'member without edit rights', header: () => digest({ method: 'GET', uri: URL_, nonce, username: 'viewer@example.org' }), status: 403 },
    { name: 'not a member', header: () => digest({ method: 'GET', uri: URL_, nonce, username: 'otheradmin@example.org' }), status: 403 },
    { name: 'membership deactivated', header: () => digest({ method: 'GET', uri: URL_, nonce, username: 'former@example.org' }), status: 403 },
    { name: 'account inactive', header: () => digest({ method: 'GET', uri: URL_, nonce, username: 'locked@example.org' }), status: 401 },
    { name: 'an API key is not a Digest password', header: () => digest({ method: 'GET', uri: URL_, nonce, password: 'demo-api-key' }), status: 401 }
  ]
  for (const c of cases) {
    const res = await app.inject({ method: c.method ?? 'GET', url: c.url ?? URL_, headers: { authorization: c.header() }, ...(c.method === 'POST' ? { payload: {} } : {}) })
    t.equal(res.statusCode, c.status, c.name)
    if (c.status === 401) {
      t.equal(res.body, '', c.name)
      t.match(res.headers['www-authenticate'], /^Digest /, `${c.name}: a fresh challenge`)
      t.ok(res.headers['x-mock-reason'], c.name)
    }
    if (c.stale === true) t.match(res.headers['www-authenticate'], /stale=true/, c.name)
    if (c.stale === false) t.notMatch(res.headers['www-authenticate'], /stale/, c.name)
  }
})

t.test('Bearer tokens from the seed', async t => {
  const app = await build(t)
  const cases = [
    { name: 'seeded token', auth: 'Bearer demo-bearer-token', status: 200 },
    { name: 'scheme in lower case', auth: 'bearer demo-bearer-token', status: 200 },
    { name: 'wrong token', auth: 'Bearer wrong-token', status: 401 },
    { name: 'empty token', auth: 'Bearer ', status: 401 },
    { name: 'API key sent as a Bearer token', auth: 'Bearer demo-api-key', status: 401 }
  ]
  for (const c of cases) {
    const res = await app.inject({ method: 'GET', url: URL_, headers: { authorization: c.auth } })
    t.equal(res.statusCode, c.status, c.name)
    if (c.status === 401) t.equal(res.body, '', c.name)
  }
  const other = await app.inject({ method: 'GET', url: '/a/other/api/v0.5/user/', headers: { authorization: 'Bearer demo-bearer-token' } })
  t.equal(other.statusCode, 200, 'an unscoped token works in every domain its user may edit')
  const ok = await app.inject({ method: 'GET', url: URL_, headers: { authorization: ADMIN } })
  t.equal(ok.statusCode, 200)
})

t.test('curl --digest and a Bearer token against the real server process', async t => {
  const server = await startProcess(['--in-memory'])
  t.teardown(async () => { server.child.kill('SIGTERM'); await server.exited })
  const url = server.url + URL_
  const curl = async (...args: string[]) => {
    const { stdout } = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', ...args, url])
    return stdout
  }
  t.equal(await curl('--digest', '-u', 'admin@example.org:password'), '200', "curl's own Digest client")
  t.equal(await curl('--digest', '-u', 'admin@example.org:wrong'), '401')
  t.equal(await curl('-H', 'Authorization: Bearer demo-bearer-token'), '200')
  t.equal(await curl('-H', 'Authorization: Bearer wrong'), '401')
  t.equal(await curl('-u', 'admin@example.org:demo-api-key'), '200', 'curl -u with the API key as the Basic password')
  t.equal(await curl('-u', 'admin@example.org:other-only-key'), '401', 'a key of another domain as the Basic password')
  const identity = server.url + '/api/v0.5/identity/'
  const digestIdentity = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--digest', '-u', 'admin@example.org:password', identity])
  t.equal(digestIdentity.stdout, '401', 'identity sends no Digest challenge, so curl --digest has nothing to answer (as on HQ)')
  const body = await run('curl', ['-s', '-u', 'admin@example.org:password', identity])
  t.strictSame(JSON.parse(body.stdout), { email: 'admin@example.org', first_name: 'Ada', id: 'b9391447a4d82190bc0f053878294952', last_name: 'Admin', username: 'admin@example.org' })
  const bare = await fetch(url)
  t.equal(bare.status, 401)
  t.match(bare.headers.get('www-authenticate'), /^Digest realm="commcarehq", nonce="[^"]+", algorithm="MD5", qop="auth"$/)
  t.equal(await bare.text(), '')
})
