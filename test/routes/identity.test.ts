import t from 'tap'
import { build, ADMIN, OTHER_ADMIN, OTHER_ONLY, VIEWER } from '../helpers/app.js'

const ADA = { email: 'admin@example.org', first_name: 'Ada', id: 'b9391447a4d82190bc0f053878294952', last_name: 'Admin', username: 'admin@example.org' }
const basic = (u: string, p: string) => 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64')

for (const url of ['/api/v0.5/identity/', '/api/identity/v1/']) {
  t.test(`identity ${url}`, async t => {
    const app = await build(t)
    const cases: Array<{ name: string, headers: Record<string, string>, status: number, body?: unknown }> = [
      { name: 'api key', headers: { authorization: ADMIN }, status: 200, body: ADA },
      { name: 'domain-scoped key', headers: { authorization: OTHER_ONLY }, status: 200, body: ADA },
      { name: 'basic', headers: { authorization: basic('viewer@example.org', 'password') }, status: 200, body: { email: 'viewer@example.org', first_name: 'Vic', id: 'b6850d9e9999b6e164e6fff5115ddc12', last_name: 'Viewer', username: 'viewer@example.org' } },
      { name: 'bearer', headers: { authorization: 'Bearer demo-bearer-token' }, status: 200, body: ADA },
      { name: 'no credentials', headers: {}, status: 401 },
      { name: 'wrong key', headers: { authorization: 'ApiKey admin@example.org:nope' }, status: 401 },
      { name: 'mobile worker', headers: { authorization: basic('jdoe@demo.commcarehq.org', 'jdoe-password') }, status: 403 }
    ]
    for (const c of cases) {
      const res = await app.inject({ method: 'GET', url, headers: c.headers })
      t.equal(res.statusCode, c.status, c.name)
      if (c.body !== undefined) {
        t.strictSame(res.json(), c.body, c.name)
        t.equal(res.body, '{' + Object.entries(c.body as object).map(([k, v]) => `"${k}": "${v}"`).join(', ') + '}', `${c.name}: HQ's JSON format`)
      } else t.equal(res.body, '', c.name)
    }
    const post = await app.inject({ method: 'POST', url })
    t.equal(post.statusCode, 405)
    t.equal(post.headers.allow, 'GET')
  })
}

for (const url of ['/api/v0.5/user_domains/', '/api/user_domains/v1/']) {
  t.test(`user_domains ${url}`, async t => {
    const app = await build(t)
    const both = { meta: { total_count: 2 }, objects: [{ domain_name: 'demo', project_name: 'Demo Project' }, { domain_name: 'other', project_name: 'Other Project' }] }
    const cases: Array<{ name: string, auth: string | undefined, status: number, body?: unknown }> = [
      { name: 'member of both', auth: ADMIN, status: 200, body: both },
      { name: 'key scoped to other', auth: OTHER_ONLY, status: 200, body: { meta: { total_count: 1 }, objects: [{ domain_name: 'other', project_name: 'Other Project' }] } },
      { name: 'member of other only', auth: OTHER_ADMIN, status: 200, body: { meta: { total_count: 1 }, objects: [{ domain_name: 'other', project_name: 'Other Project' }] } },
      { name: 'viewer (member without edit rights still lists the domain)', auth: VIEWER, status: 200, body: { meta: { total_count: 1 }, objects: [{ domain_name: 'demo', project_name: 'Demo Project' }] } },
      { name: 'no credentials', auth: undefined, status: 401 }
    ]
    for (const c of cases) {
      const res = await app.inject({ method: 'GET', url: url + '?limit=1', headers: c.auth === undefined ? {} : { authorization: c.auth } })
      t.equal(res.statusCode, c.status, c.name)
      if (c.body !== undefined) t.strictSame(res.json(), c.body, `${c.name} (unpaginated even with limit=1)`)
    }
    const res = await app.inject({ method: 'GET', url, headers: { authorization: ADMIN } })
    t.match(res.body, /^\{"meta": \{"total_count": 2\}, "objects": \[\{"domain_name": "demo", "project_name": "Demo Project"\}/)
  })
}

t.test('auth switched off: the first web user, every domain', async t => {
  const app = await build(t, { auth: false })
  t.strictSame((await app.inject({ method: 'GET', url: '/api/v0.5/identity/' })).json(), ADA)
  t.equal((await app.inject({ method: 'GET', url: '/api/user_domains/v1/' })).json().meta.total_count, 2)
})
