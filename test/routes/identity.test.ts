import t from 'tap'
import { build, ADMIN, OTHER_ADMIN, OTHER_ONLY, VIEWER } from '../helpers/app.js'
import { pythonRepr } from '../../src/commcare/user-domains.js'

// identity and user_domains (BEHAVIOR.md §2 last paragraph, §9.6, §9.7,
// [R2 §C.5, §D]): HQ's LoginAuthentication, so no challenge, a key of any
// domain scope, a mobile worker refused with 401; user_domains' 401 is text.

const ADA = { email: 'admin@example.org', first_name: 'Ada', id: 'b9391447a4d82190bc0f053878294952', last_name: 'Admin', username: 'admin@example.org' }
const FRAN = { email: 'former@example.org', first_name: 'Fran', id: '5d0c3e6b1f2a4b7c8d9e0f1a2b3c4d5e', last_name: 'Former', username: 'former@example.org' }
const basic = (u: string, p: string) => 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64')
const TEXT_401 = 'Username or API Key is incorrect, expired or deactivated'
const DEMO = { domain_name: 'demo', project_name: 'Demo Project' }
const OTHER = { domain_name: 'other', project_name: 'Other Project' }
const list = (...objects: unknown[]) => ({ meta: { total_count: objects.length }, objects })

const REFUSED: Array<{ name: string, headers: Record<string, string> }> = [
  { name: 'no credentials', headers: {} },
  { name: 'wrong key', headers: { authorization: 'ApiKey admin@example.org:nope' } },
  { name: 'inactive key', headers: { authorization: 'ApiKey admin@example.org:revoked-api-key' } },
  { name: 'expired key', headers: { authorization: 'ApiKey admin@example.org:expired-api-key' } },
  { name: 'key outside its IP allowlist', headers: { authorization: 'ApiKey admin@example.org:allowlisted-api-key', 'x-forwarded-for': '198.51.100.1' } },
  { name: 'inactive account', headers: { authorization: 'ApiKey locked@example.org:inactive-account-key' } },
  { name: 'wrong Basic password', headers: { authorization: basic('admin@example.org', 'nope') } },
  { name: 'expired key as the Basic password', headers: { authorization: basic('admin@example.org', 'expired-api-key') } },
  { name: 'mobile worker (401 here, not 403)', headers: { authorization: basic('jdoe@demo.commcarehq.org', 'jdoe-password') } },
  { name: 'wrong key in the query', headers: {}, ...{ query: '?username=admin@example.org&api_key=nope' } }
]

for (const url of ['/api/v0.5/identity/', '/api/identity/v1/']) {
  t.test(`identity ${url}`, async t => {
    const app = await build(t, { rateLimits: { demo: 1, other: 1 } })
    const cases: Array<{ name: string, headers: Record<string, string>, body: unknown }> = [
      { name: 'api key', headers: { authorization: ADMIN }, body: ADA },
      { name: 'domain-scoped key (any scope is accepted)', headers: { authorization: OTHER_ONLY }, body: ADA },
      { name: 'role-scoped key', headers: { authorization: 'ApiKey admin@example.org:reader-role-key' }, body: ADA },
      { name: 'basic', headers: { authorization: basic('viewer@example.org', 'password') }, body: { email: 'viewer@example.org', first_name: 'Vic', id: 'b6850d9e9999b6e164e6fff5115ddc12', last_name: 'Viewer', username: 'viewer@example.org' } },
      { name: 'API key as the Basic password', headers: { authorization: basic('admin@example.org', 'other-only-key') }, body: ADA },
      { name: 'bearer', headers: { authorization: 'Bearer demo-bearer-token' }, body: ADA },
      { name: 'allowlisted key from its address', headers: { authorization: 'ApiKey admin@example.org:allowlisted-api-key', 'x-forwarded-for': '203.0.113.7' }, body: ADA },
      { name: 'a member deactivated in demo still has an identity', headers: { authorization: 'ApiKey former@example.org:former-api-key' }, body: FRAN }
    ]
    for (const c of cases) {
      const res = await app.inject({ method: 'GET', url, headers: c.headers })
      t.equal(res.statusCode, 200, c.name)
      t.strictSame(res.json(), c.body, c.name)
      t.equal(res.body, '{' + Object.entries(c.body as object).map(([k, v]) => `"${k}": "${v}"`).join(', ') + '}', `${c.name}: HQ's JSON format`)
    }
    t.pass('never rate-limited: every request above passed with every domain limited to 1 per minute')
    for (const c of REFUSED) {
      const res = await app.inject({ method: 'GET', url: url + ((c as { query?: string }).query ?? ''), headers: c.headers })
      t.equal(res.statusCode, 401, c.name)
      t.equal(res.body, '', `${c.name}: empty body`)
      t.equal(res.headers['content-type'], undefined, `${c.name}: no content type`)
      t.equal(res.headers['www-authenticate'], undefined, `${c.name}: no challenge`)
      t.ok(res.headers['x-mock-reason'], `${c.name}: X-Mock-Reason`)
    }
    const post = await app.inject({ method: 'POST', url })
    t.equal(post.statusCode, 405)
    t.equal(post.headers.allow, 'GET')
  })
}

for (const url of ['/api/v0.5/user_domains/', '/api/user_domains/v1/']) {
  t.test(`user_domains ${url}: who lists what`, async t => {
    const app = await build(t, { rateLimits: { demo: 1, other: 1 } })
    const cases: Array<{ name: string, auth: string, body: unknown }> = [
      { name: 'member of both, in membership order', auth: ADMIN, body: list(DEMO, OTHER) },
      { name: 'key scoped to other: exactly its domain', auth: OTHER_ONLY, body: list(OTHER) },
      { name: 'role key scoped to demo', auth: 'ApiKey admin@example.org:reader-role-key', body: list(DEMO) },
      { name: 'key scoped to other as the Basic password', auth: basic('admin@example.org', 'other-only-key'), body: list(OTHER) },
      { name: 'member of other only', auth: OTHER_ADMIN, body: list(OTHER) },
      { name: 'viewer (a member without edit rights still lists the domain)', auth: VIEWER, body: list(DEMO) },
      { name: 'a member deactivated in demo does not list it', auth: 'ApiKey former@example.org:former-api-key', body: list() },
      { name: 'Basic password', auth: basic('admin@example.org', 'password'), body: list(DEMO, OTHER) }
    ]
    for (const c of cases) {
      const res = await app.inject({ method: 'GET', url: url + '?limit=1&offset=1', headers: { authorization: c.auth } })
      t.equal(res.statusCode, 200, c.name)
      t.strictSame(res.json(), c.body, `${c.name} (unpaginated: limit and offset ignored)`)
    }
    t.pass('never rate-limited: every request above passed with every domain limited to 1 per minute')
    const res = await app.inject({ method: 'GET', url, headers: { authorization: ADMIN } })
    t.equal(res.body, '{"meta": {"total_count": 2}, "objects": [{"domain_name": "demo", "project_name": "Demo Project"}, {"domain_name": "other", "project_name": "Other Project"}]}')
    t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
  })

  t.test(`user_domains ${url}: every 401 is HQ's plain text, without a challenge`, async t => {
    const app = await build(t)
    for (const c of REFUSED) {
      const res = await app.inject({ method: 'GET', url: url + ((c as { query?: string }).query ?? ''), headers: c.headers })
      t.equal(res.statusCode, 401, c.name)
      t.equal(res.body, TEXT_401, `${c.name}: the text body`)
      t.equal(res.headers['content-type'], 'text/plain', `${c.name}: text/plain`)
      t.equal(res.headers['www-authenticate'], undefined, `${c.name}: no challenge`)
      t.ok(res.headers['x-mock-reason'], `${c.name}: X-Mock-Reason`)
    }
  })
}

t.test('user_domains filters: feature_flag and can_view_reports', async t => {
  const app = await build(t)
  const get = (query: string, auth = ADMIN) => app.inject({ method: 'GET', url: `/api/user_domains/v1/?${query}`, headers: { authorization: auth } })
  const cases: Array<{ name: string, query: string, auth?: string, status?: number, body: unknown }> = [
    { name: 'a toggle on for demo only', query: 'feature_flag=superset-analytics', body: list(DEMO) },
    { name: "a domain toggle under HQ's constant name (COMMCARE_CONNECT)", query: 'feature_flag=commcare_connect', body: list(DEMO) },
    { name: "a toggle on for the caller (the web user's toggles): every domain", query: 'feature_flag=tableau_user_syncing', body: list(DEMO, OTHER) },
    { name: 'a known toggle on nowhere', query: 'feature_flag=two_stage_user_provisioning', body: list() },
    { name: 'an empty feature_flag is no filter', query: 'feature_flag=', body: list(DEMO, OTHER) },
    { name: 'the caller views reports in demo only (admin there)', query: 'can_view_reports=1', body: list(DEMO) },
    { name: "can_view_reports=false filters too (HQ's string test)", query: 'can_view_reports=false', body: list(DEMO) },
    { name: 'an empty can_view_reports is no filter', query: 'can_view_reports=', body: list(DEMO, OTHER) },
    { name: 'a viewer without view_reports', query: 'can_view_reports=yes', auth: VIEWER, body: list() },
    { name: 'both filters together', query: 'feature_flag=tableau_user_syncing&can_view_reports=1', body: list(DEMO) },
    { name: "a scoped key's domain is still filtered: toggle off there", query: 'feature_flag=superset-analytics', auth: OTHER_ONLY, body: list() },
    { name: "a scoped key's domain, toggle on for the caller", query: 'feature_flag=tableau_user_syncing', auth: OTHER_ONLY, body: list(OTHER) },
    { name: "a scoped key's domain, can_view_reports", query: 'can_view_reports=1', auth: OTHER_ONLY, body: list() },
    { name: 'an unknown slug', query: 'feature_flag=no-such-flag', status: 400, body: { error: "'no-such-flag' is not a valid feature flag" } },
    { name: 'a slug in the wrong case is unknown', query: 'feature_flag=SUPERSET-ANALYTICS', status: 400, body: { error: "'SUPERSET-ANALYTICS' is not a valid feature flag" } },
    { name: "Python repr quoting of a slug with a '", query: "feature_flag=it's", status: 400, body: { error: '"it\'s" is not a valid feature flag' } },
    { name: 'markup is HTML-escaped', query: 'feature_flag=%3Cb%3E%26', status: 400, body: { error: "'&lt;b&gt;&amp;' is not a valid feature flag" } },
    { name: 'the unknown slug is checked before the scope', query: 'feature_flag=nope', auth: OTHER_ONLY, status: 400, body: { error: "'nope' is not a valid feature flag" } }
  ]
  for (const c of cases) {
    const res = await get(c.query, c.auth)
    t.equal(res.statusCode, c.status ?? 200, c.name)
    t.strictSame(res.json(), c.body, c.name)
    if (c.status === 400) t.ok(res.headers['x-mock-reason'], `${c.name}: X-Mock-Reason`)
  }
  app.ctx.store.featureFlags()!.push('custom-flag')
  t.strictSame((await get('feature_flag=custom-flag')).json(), list(), "the seed's feature_flags are the known slugs")
})

t.test("user_domains: a domain created later comes after the seed's domains", async t => {
  const app = await build(t)
  const created = await app.inject({ method: 'POST', url: '/__mock/domains', payload: { name: 'aaa', from: 'demo' } })
  t.equal(created.statusCode, 201)
  const res = await app.inject({ method: 'GET', url: '/api/user_domains/v1/', headers: { authorization: ADMIN } })
  t.strictSame(res.json().objects.map((o: { domain_name: string }) => o.domain_name), ['demo', 'other', 'aaa'])
})

t.test("Python's repr", async t => {
  t.equal(pythonRepr('abc'), "'abc'")
  t.equal(pythonRepr("it's"), '"it\'s"')
  t.equal(pythonRepr('say "hi" it\'s'), "'say \"hi\" it\\'s'")
  t.equal(pythonRepr('a\\b\n\t\u0001'), "'a\\\\b\\n\\t\\x01'")
})

t.test('auth switched off: the first web user, every domain', async t => {
  const app = await build(t, { auth: false })
  t.strictSame((await app.inject({ method: 'GET', url: '/api/v0.5/identity/' })).json(), ADA)
  t.strictSame((await app.inject({ method: 'GET', url: '/api/user_domains/v1/' })).json(), list(DEMO, OTHER))
  t.strictSame((await app.inject({ method: 'GET', url: '/api/user_domains/v1/?can_view_reports=1' })).json(), list(DEMO, OTHER), 'an admin of every domain')
})
