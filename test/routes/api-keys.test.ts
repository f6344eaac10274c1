import t from 'tap'
import { build, ADMIN, BRIAN, CANNED_500, JDOE } from '../helpers/app.js'
import { Authenticator, clientIp, keyRefusal } from '../../src/commcare/auth.js'

// BEHAVIOR.md §2, [R2 §C.1–§C.4]: the key rules, in every form a key can come
// in: the ApiKey header, the query string, a form-encoded body, and the Basic
// password. Failures are 401 (Basic: with `WWW-Authenticate: Basic realm=""`),
// permission failures 403, all with an empty body.

const LIST = '/a/demo/api/v0.5/user/'
const UNKNOWN = 'ffffffffffffffffffffffffffffffff'
const basic = (u: string, p: string) => 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64')

type Form = 'header' | 'query' | 'form' | 'basic'
const FORMS: Form[] = ['header', 'query', 'form', 'basic']

interface KeyCase {
  name: string
  user: string
  key: string
  headers?: Record<string, string>
  /** On demo: 'ok' (the request passes authentication and permission), or the refusal. */
  demo: 'ok' | 401 | 403
  other: 'ok' | 401 | 403
}

const CASES: KeyCase[] = [
  { name: 'an unscoped active key', user: 'admin@example.org', key: 'demo-api-key', demo: 'ok', other: 'ok' },
  { name: 'a key scoped to other (another domain: 401, not 403)', user: 'admin@example.org', key: 'other-only-key', demo: 401, other: 'ok' },
  { name: 'an inactive key', user: 'admin@example.org', key: 'revoked-api-key', demo: 401, other: 401 },
  { name: 'an expired key', user: 'admin@example.org', key: 'expired-api-key', demo: 401, other: 401 },
  { name: 'an allowlisted key from the peer address (not on the list)', user: 'admin@example.org', key: 'allowlisted-api-key', demo: 401, other: 401 },
  { name: 'an allowlisted key, X-Forwarded-For on the list', user: 'admin@example.org', key: 'allowlisted-api-key', headers: { 'x-forwarded-for': '203.0.113.7' }, demo: 'ok', other: 'ok' },
  { name: 'an allowlisted key, the first X-Forwarded-For address counts', user: 'admin@example.org', key: 'allowlisted-api-key', headers: { 'x-forwarded-for': '203.0.113.7, 198.51.100.1' }, demo: 'ok', other: 'ok' },
  { name: 'an allowlisted key, a listed address that is not the first', user: 'admin@example.org', key: 'allowlisted-api-key', headers: { 'x-forwarded-for': '198.51.100.1, 203.0.113.7' }, demo: 401, other: 401 },
  { name: 'a role-scoped key whose role lacks edit_commcare_users', user: 'admin@example.org', key: 'reader-role-key', demo: 403, other: 401 },
  { name: "a key of an inactive web user's account", user: 'locked@example.org', key: 'inactive-account-key', demo: 401, other: 401 },
  { name: 'a key of a member deactivated in demo', user: 'former@example.org', key: 'former-api-key', demo: 403, other: 403 },
  { name: 'a key of a web user who is no member', user: 'otheradmin@example.org', key: 'other-api-key', demo: 403, other: 'ok' },
  { name: 'a member without edit_commcare_users', user: 'viewer@example.org', key: 'viewer-api-key', demo: 403, other: 403 },
  { name: 'a wrong key', user: 'admin@example.org', key: 'wrong-key', demo: 401, other: 401 },
  { name: "another user's key", user: 'viewer@example.org', key: 'demo-api-key', demo: 401, other: 401 },
  { name: 'an unknown user', user: 'ghost@example.org', key: 'demo-api-key', demo: 401, other: 401 }
]

/**
 * One request in one credential form. Header, query and Basic GET the list;
 * a form body can only come with a body method, so it POSTs `activate/` of an
 * unknown worker (a route that never reads the body): 404 once authorized.
 */
function request (form: Form, domain: string, c: KeyCase) {
  const query = `username=${encodeURIComponent(c.user)}&api_key=${encodeURIComponent(c.key)}`
  const base = `/a/${domain}/api/v0.5/user/`
  switch (form) {
    case 'header': return { method: 'GET' as const, url: base, headers: { ...c.headers, authorization: `ApiKey ${c.user}:${c.key}` }, ok: 200 }
    case 'query': return { method: 'GET' as const, url: `${base}?${query}`, headers: { ...c.headers }, ok: 200 }
    case 'basic': return { method: 'GET' as const, url: base, headers: { ...c.headers, authorization: basic(c.user, c.key) }, ok: 200 }
    case 'form': return { method: 'POST' as const, url: `${base}${UNKNOWN}/activate/`, headers: { ...c.headers, 'content-type': 'application/x-www-form-urlencoded' }, payload: query, ok: 404 }
  }
}

t.test('every key rule in every credential form, on demo and on other', async t => {
  const app = await build(t)
  const before = JSON.stringify(app.ctx.store.exportState())
  for (const c of CASES) {
    for (const form of FORMS) {
      for (const domain of ['demo', 'other'] as const) {
        const r = request(form, domain, c)
        const res = await app.inject(r)
        const expected = c[domain] === 'ok' ? r.ok : c[domain]
        const name = `${c.name} · ${form} · ${domain}`
        t.equal(res.statusCode, expected, `${name}: ${expected}`)
        if (expected === 401 || expected === 403) {
          t.equal(res.body, '', `${name}: empty body`)
          t.ok(res.headers['x-mock-reason'], `${name}: X-Mock-Reason`)
          t.notOk(String(res.headers['x-mock-reason']).includes(c.key), `${name}: the key is not in the reason`)
        }
        if (expected === 401) {
          t.equal(res.headers['www-authenticate'], form === 'basic' ? 'Basic realm=""' : undefined, `${name}: ${form === 'basic' ? 'the Basic challenge' : 'no challenge'}`)
        }
      }
    }
  }
  t.ok(JSON.stringify(app.ctx.store.exportState()) === before, 'nothing changed')
})

t.test('a role-scoped key grants exactly its role, even to an admin', async t => {
  const app = await build(t)
  const admin = app.ctx.store.webUser('admin@example.org')!
  admin.api_keys.push(
    { key: 'manager-role-key', domain: 'demo', active: true, role: 'Project Manager' },
    { key: 'unscoped-role-key', domain: null, active: true, role: 'Project Manager' }
  )
  const get = (key: string, url = LIST) => app.inject({ method: 'GET', url, headers: { authorization: `ApiKey admin@example.org:${key}` } })
  t.equal((await get('manager-role-key')).statusCode, 200, "a role with edit_commcare_users and access_api: the users' list")
  t.equal((await get('manager-role-key', '/a/demo/api/v0.5/group/')).statusCode, 200, 'and groups')
  t.equal((await get('reader-role-key', '/a/demo/api/v0.5/user/')).statusCode, 403, "API Reader lacks edit_commcare_users: 403 although the key's user is an admin")
  t.equal((await get('reader-role-key', '/a/demo/api/location/v2/')).statusCode, 403, 'API Reader lacks edit_locations too')
  const noDomain = await get('unscoped-role-key')
  t.equal(noDomain.statusCode, 403, "a role key without a domain: HQ's role check matches no domain")
  t.match(noDomain.headers['x-mock-reason'], /belongs to no domain/)
  t.equal((await get('reader-role-key', '/api/v0.5/identity/')).statusCode, 200, 'identity needs no permission')
})

t.test('the password still works as the Basic password, and an API key too', async t => {
  const app = await build(t)
  const cases: Array<[string, string, string, number]> = [
    ['password on demo', 'admin@example.org', 'password', 200],
    ['unscoped key on demo', 'admin@example.org', 'demo-api-key', 200],
    ['other-scoped key on other', 'admin@example.org', 'other-only-key', 200],
    ['password of an inactive account', 'locked@example.org', 'password', 401],
    ['password of a member deactivated here', 'former@example.org', 'password', 403],
    ['a bearer token is no password', 'admin@example.org', 'demo-bearer-token', 401]
  ]
  for (const [name, user, pw, status] of cases) {
    const url = name.includes('on other') ? '/a/other/api/v0.5/user/' : LIST
    const res = await app.inject({ method: 'GET', url, headers: { authorization: basic(user, pw) } })
    t.equal(res.statusCode, status, name)
    if (status === 401) t.equal(res.headers['www-authenticate'], 'Basic realm=""', `${name}: Basic challenge`)
  }
})

t.test('credentials in a form-encoded body (HQ allow_creds_in_data)', async t => {
  const app = await build(t)
  const form = { 'content-type': 'application/x-www-form-urlencoded' }
  const creds = 'username=admin%40example.org&api_key=demo-api-key'
  const demo = () => app.ctx.store.domain('demo')!

  const last = await app.inject({ method: 'POST', url: `${LIST}${UNKNOWN}/activate/`, headers: form, payload: `${creds}&username=nobody` })
  t.equal(last.statusCode, 401, 'a repeated field: the last value counts (Django QueryDict.get)')
  const deactivate = await app.inject({ method: 'POST', url: `/a/demo/api/v0.5/user/${BRIAN}/deactivate/`, headers: form, payload: creds })
  t.equal(deactivate.statusCode, 202, "a route that never reads the body succeeds (HQ's test_credentials_in_POST)")
  t.equal(deactivate.body, '{}')
  t.equal(demo().usersById.get(BRIAN)!.is_active, false, 'and did its work')

  const users = demo().doc.users.length
  const create = await app.inject({ method: 'POST', url: LIST, headers: form, payload: `password=pw&${creds}` })
  t.equal(create.statusCode, 415, 'a route that reads a JSON body: authenticated, then 415')
  t.strictSame(create.json(), CANNED_500)
  t.equal(demo().doc.users.length, users, 'nothing created')
  const before = JSON.stringify(app.ctx.store.exportState())
  const put = await app.inject({ method: 'PUT', url: `/a/demo/api/v0.5/user/${JDOE}/`, headers: form, payload: `${creds}&first_name=Form` })
  t.equal(put.statusCode, 415)
  t.strictSame(put.json(), CANNED_500)
  const del = await app.inject({ method: 'DELETE', url: `${LIST}${UNKNOWN}/`, headers: form, payload: creds })
  t.equal(del.statusCode, 404, 'DELETE (any method) reads its credentials from the form')
  const mixed = await app.inject({ method: 'POST', url: `${LIST}${UNKNOWN}/activate/?username=admin%40example.org`, headers: form, payload: 'api_key=demo-api-key' })
  t.equal(mixed.statusCode, 404, 'username in the query, api_key in the form')
  const charset = await app.inject({ method: 'POST', url: `${LIST}${UNKNOWN}/activate/`, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, payload: creds })
  t.equal(charset.statusCode, 404, 'a charset parameter is fine')

  const wrong = await app.inject({ method: 'POST', url: `/a/demo/api/v0.5/user/${JDOE}/deactivate/`, headers: form, payload: 'username=admin%40example.org&api_key=wrong' })
  t.equal(wrong.statusCode, 401, 'a wrong key in the form: 401')
  t.equal(wrong.body, '')
  t.equal(wrong.headers['www-authenticate'], undefined, 'no challenge, as for the ApiKey header')
  const half = await app.inject({ method: 'POST', url: `/a/demo/api/v0.5/user/${JDOE}/deactivate/`, headers: form, payload: 'username=admin%40example.org' })
  t.equal(half.statusCode, 401, 'a username alone is no credentials')
  t.match(half.headers['www-authenticate'], /^Digest /)
  const other = await app.inject({ method: 'POST', url: `/a/demo/api/v0.5/user/${JDOE}/deactivate/`, headers: form, payload: 'username=admin%40example.org&api_key=other-only-key' })
  t.equal(other.statusCode, 401, 'the key rules apply: a key of another domain')
  const header = await app.inject({ method: 'POST', url: LIST, headers: { ...form, authorization: ADMIN }, payload: 'username=x&password=y' })
  t.equal(header.statusCode, 415, 'credentials in the header and a form body: still 415')
  const json = await app.inject({ method: 'POST', url: `/a/demo/api/v0.5/user/${JDOE}/deactivate/`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ username: 'admin@example.org', api_key: 'demo-api-key' }) })
  t.equal(json.statusCode, 401, 'a JSON body is no place for credentials (HQ reads request.POST)')
  t.ok(JSON.stringify(app.ctx.store.exportState()) === before, 'the refused requests changed nothing')
})

t.test('the form body with its key is journaled without the key', async t => {
  const app = await build(t)
  await app.inject({ method: 'POST', url: `/a/demo/api/v0.5/user/${UNKNOWN}/activate/`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'username=admin%40example.org&api_key=demo-api-key' })
  const journal = await app.inject({ method: 'GET', url: '/__mock/requests' })
  t.equal(journal.statusCode, 200)
  t.notOk(journal.body.includes('demo-api-key'), 'the key is not in the journal')
  t.match(journal.body, /admin@example\.org/, 'the username is')
})

t.test('the key rules as plain functions: expiry boundary, IPs', async t => {
  const key = { key: 'k', domain: null, active: true, expiration_date: '2020-03-10T00:00:00Z' }
  const at = (iso: string) => keyRefusal(key, { domain: 'demo', clientIp: '127.0.0.1', now: Date.parse(iso) })
  t.equal(at('2020-03-09T12:00:00Z'), null, 'the day before: valid')
  t.equal(at('2020-03-10T00:00:00Z'), null, 'at the expiration instant: still valid (expired when now > expiration)')
  t.match(at('2020-03-10T00:00:00.001Z'), /expired/, 'a millisecond later: expired')
  t.match(keyRefusal({ ...key, expiration_date: '2020-03-10' }, { domain: null, clientIp: '', now: Date.parse('2020-03-11T00:00:00Z') }), /expired/, 'a date without a time')
  t.equal(keyRefusal({ key: 'k', domain: null, active: true, ip_allowlist: [] }, { domain: null, clientIp: '10.0.0.1' }), null, 'an empty allowlist allows all')
  t.equal(keyRefusal({ key: 'k', domain: 'demo', active: true }, { domain: null, clientIp: '' }), null, 'a scoped key where no domain is in the URL')
  t.equal(clientIp(undefined, '::ffff:127.0.0.1'), '127.0.0.1', 'an IPv4-mapped peer')
  t.equal(clientIp(' 203.0.113.7 , 10.0.0.1', '127.0.0.1'), '203.0.113.7', 'the first X-Forwarded-For address')
  t.equal(clientIp('', '127.0.0.1'), '127.0.0.1', 'an empty X-Forwarded-For: the peer')
  t.equal(clientIp(['198.51.100.1', '203.0.113.7'], '127.0.0.1'), '198.51.100.1', 'repeated headers: the first')
  t.equal(clientIp('2001:DB8::1', '127.0.0.1'), '2001:db8::1', 'IPv6 compared in lower case')
  const auth = new Authenticator({ webUser: () => undefined, webUsers: () => [], domains: () => [] })
  let status = 0
  try {
    auth.authenticate({ method: 'GET', url: '/', authorization: undefined, query: {}, domain: null, clientIp: '' })
  } catch (err) {
    status = (err as { status: number }).status
  }
  t.equal(status, 401, 'no credentials: 401')
})
