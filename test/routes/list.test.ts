import t from 'tap'
import type * as Tap from 'tap'
import { build, ADMIN, JDOE, CAROL, GROUP_NORTH, GROUP_OTHER, AMINA } from '../helpers/app.js'

const H = { authorization: ADMIN }

async function list (t: Tap.Test, query: string, url = '/a/demo/api/v0.5/user/') {
  const app = await build(t)
  return app.inject({ method: 'GET', url: url + query, headers: H })
}

t.test('the list envelope, sorted by username, active users only', async t => {
  for (const url of ['/a/demo/api/v0.5/user/', '/a/demo/api/user/v1/']) {
    const res = await list(t, '', url)
    t.equal(res.statusCode, 200)
    const body = res.json()
    t.strictSame(body.meta, { limit: 20, next: null, offset: 0, previous: null, total_count: 4 })
    t.strictSame(body.objects.map((u: { username: string }) => u.username), [
      'amina.hassan@demo.commcarehq.org', 'brian.otieno@demo.commcarehq.org',
      'david.kamau@demo.commcarehq.org', 'jdoe@demo.commcarehq.org'
    ])
    t.notOk(body.objects.some((u: { id: string }) => u.id === CAROL), 'the deactivated worker is not listed')
    t.ok(body.objects.every((u: { resource_uri: string }) => u.resource_uri.startsWith(url)), 'resource_uri in the URL style of the request')
    t.match(res.body, /^\{"meta": \{"limit": 20, "next": null, "offset": 0, "previous": null, "total_count": 4\}, "objects": \[/)
  }
})

t.test('archived lists only deactivated workers', async t => {
  for (const v of ['true', 'TRUE', '1', 'yes', 'On']) {
    const res = await list(t, `?archived=${v}`)
    t.strictSame(res.json().objects.map((u: { id: string }) => u.id), [CAROL], v)
  }
  for (const v of ['false', '0', 'nope', '']) {
    const res = await list(t, `?archived=${v}`)
    t.equal(res.json().meta.total_count, 4, `archived=${v} counts as false`)
  }
})

t.test('paging links are query-only and keep other parameters', async t => {
  const first = await list(t, '?limit=1&archived=false&extras=true')
  t.strictSame(first.json().meta, { limit: 1, next: '?archived=false&extras=true&limit=1&offset=1', offset: 0, previous: null, total_count: 4 })
  const middle = await list(t, '?offset=2&limit=1')
  t.strictSame(middle.json().meta, { limit: 1, next: '?limit=1&offset=3', offset: 2, previous: '?limit=1&offset=1', total_count: 4 })
  t.equal(middle.json().objects[0].id, '85c8eceec2668fe9b26cb2a6ce6e64fd')
  const lastPage = await list(t, '?offset=3&limit=1')
  t.equal(lastPage.json().meta.next, null)
  const past = await list(t, '?offset=50')
  t.strictSame(past.json().objects, [])
  t.equal(past.json().meta.previous, '?limit=20&offset=30')
  const secret = await list(t, '?limit=1&username=admin@example.org&api_key=demo-api-key', '/a/demo/api/v0.5/user/')
  t.equal(secret.statusCode, 200)
  t.equal(secret.json().meta.next, '?limit=1&offset=1', 'credentials sent as query parameters are not copied into links')
  const spaced = await list(t, '?limit=1&q=a+b%21')
  t.equal(spaced.json().meta.next, '?q=a+b%21&limit=1&offset=1')
})

t.test('limit and offset rules', async t => {
  const cases: Array<[string, number, unknown]> = [
    ['?limit=0', 200, { limit: 1000 }],
    ['?limit=1001', 200, { limit: 1000 }],
    ['?limit=1000', 200, { limit: 1000 }],
    ['?limit=+3', 200, { limit: 3 }],
    ['?limit=2&limit=3', 200, { limit: 3 }],
    ['?limit=abc', 400, { error: "Invalid limit 'abc' provided. Please provide a positive integer." }],
    ['?limit=1.5', 400, { error: "Invalid limit '1.5' provided. Please provide a positive integer." }],
    ['?limit=-1', 400, { error: "Invalid limit '-1' provided. Please provide a positive integer &gt;= 0." }],
    ['?offset=x', 400, { error: "Invalid offset 'x' provided. Please provide an integer." }],
    ['?offset=-5', 400, { error: "Invalid offset '-5' provided. Please provide a positive integer &gt;= 0." }],
    ['?limit=%3Cb%3E', 400, { error: "Invalid limit '&lt;b&gt;' provided. Please provide a positive integer." }]
  ]
  for (const [query, status, expected] of cases) {
    const res = await list(t, query)
    t.equal(res.statusCode, status, query)
    if (status === 200) t.match(res.json().meta, expected, query)
    else {
      t.strictSame(res.json(), expected, query)
      t.ok(res.headers['x-mock-reason'])
    }
  }
})

t.test('group filter', async t => {
  const res = await list(t, `?group=${GROUP_NORTH}`)
  t.strictSame(res.json().objects.map((u: { id: string }) => u.id), [AMINA])
  const foreign = await list(t, `?group=${GROUP_OTHER}`)
  t.equal(foreign.statusCode, 400)
  t.strictSame(foreign.json(), { error: `Project demo has no group with id=${GROUP_OTHER}` })
  const missing = await list(t, '?group=ffffffffffffffffffffffffffffffff')
  t.equal(missing.statusCode, 500)
  t.strictSame(missing.json(), { error_message: 'Sorry, this request could not be processed. Please try again later.' })
})

t.test('unknown query parameters are ignored (no username filter)', async t => {
  const res = await list(t, '?username=jdoe@demo.commcarehq.org&format=json')
  t.equal(res.statusCode, 200)
  t.equal(res.json().meta.total_count, 4)
})

t.test('detail GET of a missing, foreign or unknown id is HQ\'s 400', async t => {
  const app = await build(t)
  for (const id of ['nope', '4fd24c3f7a5bbcdd605f3955bc7fee92']) {
    const res = await app.inject({ method: 'GET', url: `/a/demo/api/v0.5/user/${id}/`, headers: H })
    t.equal(res.statusCode, 400)
    t.strictSame(res.json(), { error: "The object 'CommCareUser(username=None)' has an empty attribute 'get_id' and doesn't allow a default or null value." })
  }
  const ok = await app.inject({ method: 'GET', url: `/a/demo/api/user/v1/${JDOE}/`, headers: H })
  t.equal(ok.statusCode, 200)
  const deactivated = await app.inject({ method: 'GET', url: `/a/demo/api/v0.5/user/${CAROL}/`, headers: H })
  t.equal(deactivated.statusCode, 200, 'a deactivated worker still has a detail')
})

t.test('an offset past 2^53 is printed exactly, as Python does', async t => {
  const res = await list(t, '?offset=100000000000000000000000&limit=5')
  t.equal(res.statusCode, 200)
  t.match(res.body, /"offset": 100000000000000000000000,/)
  t.match(res.body, /"previous": "\?limit=5&offset=99999999999999999999995"/)
  t.match(res.body, /"next": null/)
  t.strictSame(res.json().objects, [])
})
