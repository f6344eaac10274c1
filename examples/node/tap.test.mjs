// npx tap tap.test.mjs
import t from 'tap'
import { useMockServer } from 'commcare-hq-mock/test'

const JDOE = '3c5a623af057e23a32ae4000cf291339'
const ADMIN = { authorization: 'ApiKey admin@example.org:demo-api-key' }

const hq = useMockServer(t, { journalSize: 100 })

t.test('a fault rule answers 429 once, then the real answer', async t => {
  hq.addFault({ method: 'GET', status: 429, times: 1 })
  const url = `${hq.url}/a/demo/api/v0.5/user/${JDOE}/`
  t.equal((await fetch(url, { headers: ADMIN })).status, 429)
  t.equal((await fetch(url, { headers: ADMIN })).status, 200)
})

t.test('reset before each test: no fault rule is left', async t => {
  t.same(hq.faults(), [])
})
