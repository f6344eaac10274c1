// node no-close.test.mjs: ends by itself although close() is never called.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startMockServer } from 'commcare-hq-mock'

test('a test that forgets close()', async () => {
  const server = await startMockServer()
  const res = await fetch(`${server.url}/__mock/health`)
  assert.equal(res.status, 200)
})
