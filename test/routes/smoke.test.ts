import t from 'tap'
import { build, ADMIN, JDOE } from '../helpers/app.js'

t.test('GET detail answers the seeded user', async t => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: `/a/demo/api/v0.5/user/${JDOE}/`, headers: { authorization: ADMIN } })
  t.equal(res.statusCode, 200)
  t.equal(res.json().username, 'jdoe@demo.commcarehq.org')
})
