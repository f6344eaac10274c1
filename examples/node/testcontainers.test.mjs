// node --test testcontainers.test.mjs, after: docker build -t commcare-hq-mock <checkout of commcare-hq-mock>
import assert from 'node:assert/strict'
import { after, before, beforeEach, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { GenericContainer, Wait } from 'testcontainers'

const IMAGE = process.env.HQ_MOCK_IMAGE ?? 'commcare-hq-mock'
const ADMIN_TOKEN = 'ci-admin-token'
// An engine without a bridge network (dockerd --bridge=none) runs the container
// on the host's network: set HQ_MOCK_HOST_PORT to a free port for it.
const HOST_PORT = process.env.HQ_MOCK_HOST_PORT
const admin = { 'x-mock-admin-token': ADMIN_TOKEN }

let hq
let baseUrl

before(async () => {
  const started = Date.now()
  let container = new GenericContainer(IMAGE)
    .withEnvironment({ MOCK_ADMIN_TOKEN: ADMIN_TOKEN, MOCK_SEED: '/seed.json', ...(HOST_PORT ? { PORT: HOST_PORT } : {}) })
    // Your own seed; this one is the package's, found through its "exports".
    .withCopyFilesToContainer([{ source: fileURLToPath(import.meta.resolve('commcare-hq-mock/seed/default.json')), target: '/seed.json', mode: 0o644 }])
    // The server prints this line once it is listening: ready, no polling.
    .withWaitStrategy(Wait.forLogMessage(/ listening on http/))
    .withStartupTimeout(60_000)
  container = HOST_PORT ? container.withNetworkMode('host') : container.withExposedPorts(8000)
  hq = await container.start()
  baseUrl = HOST_PORT ? `http://127.0.0.1:${HOST_PORT}` : `http://${hq.getHost()}:${hq.getMappedPort(8000)}`
  console.log(`commcare-hq-mock ready at ${baseUrl} after ${Date.now() - started} ms`)
})

beforeEach(async () => {
  // Back to the seed before each test.
  const res = await fetch(`${baseUrl}/__mock/reset`, { method: 'POST', headers: admin })
  assert.equal(res.status, 200)
})

after(async () => { await hq?.stop() })

test('the mock answers the CommCare API', async () => {
  const res = await fetch(`${baseUrl}/a/demo/api/v0.5/user/3c5a623af057e23a32ae4000cf291339/`, {
    headers: { authorization: 'ApiKey admin@example.org:demo-api-key' }
  })
  assert.equal(res.status, 200)
  assert.equal((await res.json()).username, 'jdoe@demo.commcarehq.org')
})

test('the test-control API needs the admin token', async () => {
  assert.equal((await fetch(`${baseUrl}/__mock/domains`)).status, 401)
  const domains = await fetch(`${baseUrl}/__mock/domains`, { headers: admin })
  assert.deepEqual((await domains.json()).domains.map(d => d.name), ['demo', 'other'])
})
