// node --test node-test.test.mjs
import assert from 'node:assert/strict'
import { after, before, beforeEach, test } from 'node:test'
import { useMockServer } from 'commcare-hq-mock/test'

const JDOE = '3c5a623af057e23a32ae4000cf291339'
const ADMIN = { authorization: 'ApiKey admin@example.org:demo-api-key' }

// Starts before the first test, resets before each, closes after the last.
const hq = useMockServer({ before, after, beforeEach })

test('a PUT changes the worker and is in the journal', async () => {
  const res = await fetch(`${hq.url}/a/demo/api/v0.5/user/${JDOE}/`, {
    method: 'PUT',
    headers: { ...ADMIN, 'content-type': 'application/json' },
    body: JSON.stringify({ first_name: 'Changed' })
  })
  assert.equal(res.status, 200)
  assert.equal((await res.json()).first_name, 'Changed')
  const [put] = hq.requests({ method: 'PUT' })
  assert.deepEqual(put.request.body, { first_name: 'Changed' })
})

test('the next test starts from the seed again', async () => {
  const res = await fetch(`${hq.url}/a/demo/api/v0.5/user/${JDOE}/`, { headers: ADMIN })
  assert.equal((await res.json()).first_name, 'Jane')
  assert.deepEqual(hq.requests({ method: 'PUT' }), [])
})
