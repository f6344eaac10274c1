import t from 'tap'
import { build, ADMIN, JDOE, BRIAN } from '../helpers/app.js'

// Two CI jobs on one server, each in its own domain copied from demo: resets,
// faults and journal clears in one never touch the other.

const JSON_HEADERS = { authorization: ADMIN, 'content-type': 'application/json' }
const user = (domain: string, id: string): string => `/a/${domain}/api/v0.5/user/${id}/`

t.test('two domains used concurrently: resets and faults in one do not affect the other', async t => {
  const app = await build(t)
  for (const name of ['job-a', 'job-b']) {
    t.equal((await app.inject({ method: 'POST', url: '/__mock/domains', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ name, from: 'demo' }) })).statusCode, 201)
  }
  const seeded = (await app.inject({ method: 'GET', url: user('job-a', JDOE), headers: { authorization: ADMIN } })).json()

  // Both jobs write at the same time.
  const writes = []
  for (let i = 0; i < 10; i++) {
    for (const d of ['job-a', 'job-b']) {
      writes.push(app.inject({ method: 'PUT', url: user(d, i % 2 === 0 ? JDOE : BRIAN), headers: JSON_HEADERS, payload: { first_name: `${d}-${i}` } }))
    }
  }
  t.ok((await Promise.all(writes)).every(r => r.statusCode === 200))

  // Job A adds a fault for its domain and resets while job B keeps working.
  await app.inject({ method: 'POST', url: '/__mock/faults', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ domain: 'job-a', status: 503 }) })
  const [faultA, okB, resetA] = await Promise.all([
    app.inject({ method: 'GET', url: user('job-a', JDOE), headers: { authorization: ADMIN } }),
    app.inject({ method: 'PUT', url: user('job-b', JDOE), headers: JSON_HEADERS, payload: { first_name: 'B-final' } }),
    app.inject({ method: 'POST', url: '/__mock/domains/job-a/reset' })
  ])
  t.equal(faultA.statusCode, 503, 'job A sees its fault')
  t.equal(okB.statusCode, 200, 'job B is not faulted')
  t.equal(resetA.statusCode, 200)

  const a = (await app.inject({ method: 'GET', url: user('job-a', JDOE), headers: { authorization: ADMIN } }))
  t.equal(a.statusCode, 200, 'the domain reset removed job A\'s own fault rule')
  t.same(a.json(), seeded, 'job A is back to what it was created with')
  t.equal((await app.inject({ method: 'GET', url: user('job-b', JDOE), headers: { authorization: ADMIN } })).json().first_name, 'B-final', 'job B keeps its changes')
  t.equal((await app.inject({ method: 'GET', url: user('job-b', BRIAN), headers: { authorization: ADMIN } })).json().first_name, 'job-b-9')

  const count = async (domain: string): Promise<number> => (await app.inject({ method: 'GET', url: `/__mock/requests/count?domain=${domain}` })).json().count
  t.equal(await count('job-a'), 1, 'job A\'s journal holds only what came after its reset')
  t.equal(await count('job-b'), 13, 'job B\'s journal is intact')
  t.equal((await app.inject({ method: 'DELETE', url: '/__mock/requests?domain=job-b' })).statusCode, 204)
  t.equal(await count('job-b'), 0)
  t.equal(await count('job-a'), 1)
})
