import t from 'tap'
import { build, ADMIN, AMINA, BRIAN, CANNED_500, DAVID, JDOE, VIEWER } from '../helpers/app.js'

// Bulk user search (BEHAVIOR.md §13, [R2 §F]) on both URL styles.

const H = { authorization: ADMIN }
const ADMIN_ID = 'b9391447a4d82190bc0f053878294952'
const VIEWER_ID = 'b6850d9e9999b6e164e6fff5115ddc12'
const KEYS = ['email', 'first_name', 'id', 'last_name', 'phone_numbers', 'resource_uri', 'username']
// Active workers and active web-user members of demo, by username.
const ALL = [
  'admin@example.org', 'amina.hassan@demo.commcarehq.org', 'brian.otieno@demo.commcarehq.org',
  'david.kamau@demo.commcarehq.org', 'jdoe@demo.commcarehq.org', 'viewer@example.org'
]
const STYLES = [
  { name: 'v0.5', list: '/a/demo/api/v0.5/bulk-user/' },
  { name: 'v1', list: '/a/demo/api/bulk-user/v1/' }
]

for (const s of STYLES) {
  const get = async (app: Awaited<ReturnType<typeof build>>, query = '', headers: Record<string, string> = H) =>
    app.inject({ url: s.list + query, headers })
  const usernames = (body: { objects: Array<{ username: string }> }): string[] => body.objects.map(u => u.username)

  t.test(`${s.name}: active mobile workers and web users, 7 sorted keys`, async t => {
    const app = await build(t)
    const res = await get(app)
    t.equal(res.statusCode, 200)
    t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
    t.equal(res.headers['x-mock-warning'], undefined)
    const body = res.json()
    t.strictSame(body.meta, { limit: 20, next: null, offset: 0, previous: null, total_count: 6 })
    t.strictSame(usernames(body), ALL, 'carol (deactivated), former (deactivated in demo) and locked (inactive account) are left out')
    const jdoe = body.objects.find((u: { id: string }) => u.id === JDOE)
    t.strictSame(Object.keys(jdoe), KEYS)
    t.strictSame(jdoe, {
      email: 'jane.doe@example.org', first_name: 'Jane', id: JDOE, last_name: 'Doe', phone_numbers: ['254700000001'], resource_uri: '', username: 'jdoe@demo.commcarehq.org'
    })
    t.strictSame(body.objects.find((u: { id: string }) => u.id === ADMIN_ID), {
      email: 'admin@example.org', first_name: 'Ada', id: ADMIN_ID, last_name: 'Admin', phone_numbers: [], resource_uri: '', username: 'admin@example.org'
    })
    t.match(res.body, /^\{"meta": \{"limit": 20, "next": null, "offset": 0, "previous": null, "total_count": 6\}, "objects": \[\{"email": /)
  })

  t.test(`${s.name}: q=username:"<full username>" with fields → exactly that worker`, async t => {
    const app = await build(t)
    const res = await get(app, '?q=username:"jdoe@demo.commcarehq.org"&fields=id&fields=username')
    t.equal(res.statusCode, 200)
    t.strictSame(res.json(), { meta: { limit: 20, next: null, offset: 0, previous: null, total_count: 1 }, objects: [{ id: JDOE, username: 'jdoe@demo.commcarehq.org' }] })
    const encoded = await get(app, '?q=' + encodeURIComponent('username:"jdoe@demo.commcarehq.org"') + '&fields=username')
    t.strictSame(encoded.json().objects, [{ username: 'jdoe@demo.commcarehq.org' }])
  })

  t.test(`${s.name}: fields keeps those keys, in sorted order; another name → 400`, async t => {
    const app = await build(t)
    const res = await get(app, '?fields=username&fields=email&limit=1')
    t.strictSame(res.json().objects, [{ email: 'admin@example.org', username: 'admin@example.org' }])
    for (const bad of ['password', 'is_active', '__proto__', '']) {
      const r = await get(app, `?fields=id&fields=${encodeURIComponent(bad)}`)
      t.equal(r.statusCode, 400, bad)
      t.strictSame(r.json(), { error: `${bad} is not a valid field` })
      t.ok(r.headers['x-mock-reason'])
    }
    const markup = await get(app, '?fields=%3Cb%3E')
    t.strictSame(markup.json(), { error: '&lt;b&gt; is not a valid field' }, 'tastypie escapes the message')
  })

  t.test(`${s.name}: the q subset`, async t => {
    const app = await build(t)
    const cases: Array<[string, string[]]> = [
      ['username:jdoe', ['jdoe@demo.commcarehq.org']],
      ['username:demo', ALL.filter(u => u.endsWith('commcarehq.org'))],
      ['first_name:a*', ['admin@example.org', 'amina.hassan@demo.commcarehq.org']],
      ['first_name:AMINA OR last_name:kamau', ['amina.hassan@demo.commcarehq.org', 'david.kamau@demo.commcarehq.org']],
      ['username:demo AND NOT (jane OR brian)', ['amina.hassan@demo.commcarehq.org', 'david.kamau@demo.commcarehq.org']],
      ['example', ['admin@example.org', 'brian.otieno@demo.commcarehq.org', 'jdoe@demo.commcarehq.org', 'viewer@example.org']],
      ['email:"jane.doe@example.org"', ['jdoe@demo.commcarehq.org']],
      ['phone_numbers:254700000003', ['amina.hassan@demo.commcarehq.org']],
      [`id:${VIEWER_ID}`, ['viewer@example.org']],
      ['carol', []],
      ['v?ewer', ['viewer@example.org']],
      ['', ALL]
    ]
    for (const [q, want] of cases) {
      const res = await get(app, `?q=${encodeURIComponent(q)}&fields=username&limit=100`)
      t.equal(res.statusCode, 200, q)
      t.strictSame(usernames(res.json()), want, q)
    }
  })

  t.test(`${s.name}: a field named like an Object.prototype member matches nothing`, async t => {
    const app = await build(t)
    for (const q of ['constructor:x', 'toString:x', '__proto__:x', 'hasOwnProperty:*']) {
      const res = await get(app, `?q=${encodeURIComponent(q)}`)
      t.equal(res.statusCode, 200, q)
      t.strictSame(usernames(res.json()), [], q)
    }
  })

  t.test(`${s.name}: an unparsable q → 500 canned`, async t => {
    const app = await build(t)
    for (const q of ['(jdoe', 'username:', 'AND', '"open', 'a:b:c', '[a TO b]']) {
      const res = await get(app, `?q=${encodeURIComponent(q)}`)
      t.equal(res.statusCode, 500, q)
      t.strictSame(res.json(), CANNED_500)
      t.match(res.headers['x-mock-reason'], /Elasticsearch/)
    }
  })

  t.test(`${s.name}: HQ's double offset and page-capped total_count, explained in X-Mock-Warning`, async t => {
    const app = await build(t)
    const first = await get(app, '?limit=2&fields=username')
    t.strictSame(first.json(), { meta: { limit: 2, next: null, offset: 0, previous: null, total_count: 2 }, objects: [{ username: ALL[0] }, { username: ALL[1] }] },
      'total_count is the length of the page, so next is null')
    t.match(first.headers['x-mock-warning'], /total_count is the length of the Elasticsearch page \(2\), not the 6 users that match/)

    const second = await get(app, '?limit=2&offset=2&fields=username')
    t.equal(second.statusCode, 200)
    t.strictSame(second.json(), { meta: { limit: 2, next: null, offset: 2, previous: '?fields=username&limit=2&offset=0', total_count: 2 }, objects: [] },
      'Elasticsearch returns users 3–4, tastypie skips 2 of them again: empty')
    t.match(second.headers['x-mock-warning'], /HQ applies offset=2 twice .* so this page is empty/)

    const noLimit = await get(app, '?offset=2&fields=username')
    t.strictSame(noLimit.json().meta, { limit: 20, next: null, offset: 2, previous: null, total_count: 4 }, 'without limit the first step returns the rest')
    t.strictSame(usernames(noLimit.json()), [ALL[4], ALL[5]], 'then tastypie skips 2 more')
    t.match(noLimit.headers['x-mock-warning'], /only 2 of the page's 4 users are shown/)

    const bad = await get(app, '?limit=x')
    t.equal(bad.statusCode, 400)
    t.strictSame(bad.json(), { error: "Invalid limit 'x' provided. Please provide a positive integer." })
    const negative = await get(app, '?offset=-1')
    t.equal(negative.statusCode, 400)
  })

  t.test(`${s.name}: detail → 500; GET only; edit_commcare_users and access_api`, async t => {
    const app = await build(t)
    for (const id of [JDOE, 'nope']) {
      const res = await app.inject({ url: `${s.list}${id}/`, headers: H })
      t.equal(res.statusCode, 500)
      t.strictSame(res.json(), CANNED_500)
      t.ok(res.headers['x-mock-reason'])
    }
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
      const res = await app.inject({ method, url: s.list, headers: H })
      t.equal(res.statusCode, 405, method)
      t.equal(res.headers.allow, 'GET')
    }
    t.equal((await get(app, '', { authorization: VIEWER })).statusCode, 403, 'the viewer lacks edit_commcare_users')
    t.equal((await app.inject({ url: s.list })).statusCode, 401)
    t.equal((await app.inject({ url: s.list.replace('demo', 'nope'), headers: H })).statusCode, 404)
  })

  t.test(`${s.name}: rate-limited like the user list`, async t => {
    const app = await build(t, { rateLimits: { demo: 2 } })
    t.equal((await get(app)).statusCode, 200)
    t.equal((await get(app)).statusCode, 200)
    const limited = await get(app)
    t.equal(limited.statusCode, 429)
    t.equal(limited.body, '')
  })
}

t.test('the search follows writes: a deactivated worker and a deactivated member leave it', async t => {
  const app = await build(t)
  await app.inject({ method: 'POST', url: `/a/demo/api/v0.5/user/${BRIAN}/deactivate/`, headers: H })
  await app.inject({ method: 'POST', url: `/a/demo/api/web-user/v1/${VIEWER_ID}/deactivate/`, headers: H })
  const res = await app.inject({ url: '/a/demo/api/bulk-user/v1/?fields=id', headers: H })
  t.strictSame(res.json().objects.map((u: { id: string }) => u.id), [ADMIN_ID, AMINA, DAVID, JDOE])
  const other = await app.inject({ url: '/a/other/api/bulk-user/v1/?fields=username', headers: H })
  t.strictSame(other.json().objects.map((u: { username: string }) => u.username), ['admin@example.org', 'mary.banda@other.commcarehq.org', 'otheradmin@example.org', 'peter.phiri@other.commcarehq.org'])
})
