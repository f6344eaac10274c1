import t from 'tap'
import fc from 'fast-check'
import type { AddressInfo } from 'node:net'
import { buildApp } from '../../src/app.js'
import { Store } from '../../src/store/store.js'
import { ADMIN, JDOE, SEED } from '../helpers/app.js'

// One request never holds up the server: the worst inputs found so far, and
// generated families of them, are each answered within a second while
// /__mock/health, polled all along, keeps answering within a second too.

const BOUND_MS = 1000

t.test('the worst inputs are each answered within 1 s and health stays responsive', async t => {
  const store = await Store.open({ seedPath: SEED, dataDir: null })
  const app = await buildApp({ store })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`

  // First, a full journal of long paths for the filters to walk.
  const longPath = `/a/demo/api/v0.5/user/${'a'.repeat(1000)}/`
  await Promise.all(Array.from({ length: 300 }, (_, i) => fetch(`${base}${longPath}?n=${i}`, { headers: { authorization: ADMIN } }).then(r => r.arrayBuffer())))

  // Health, polled the whole time on its own connection.
  const health: number[] = []
  const polling = { on: true }
  const poller = (async () => {
    while (polling.on) {
      const start = performance.now()
      const res = await fetch(`${base}/__mock/health`, { signal: AbortSignal.timeout(10_000) })
      await res.arrayBuffer()
      health.push(res.status === 200 ? performance.now() - start : Infinity)
      await new Promise(resolve => setTimeout(resolve, 20))
    }
  })()

  async function timed (name: string, url: string, init: RequestInit = {}, expect?: number): Promise<void> {
    const start = performance.now()
    const res = await fetch(base + url, { ...init, signal: AbortSignal.timeout(30_000) })
    await res.arrayBuffer()
    const ms = performance.now() - start
    t.ok(ms < BOUND_MS, `${name}: ${res.status} in ${ms.toFixed(1)} ms`)
    if (expect !== undefined) t.equal(res.status, expect, `${name}: ${expect}`)
  }
  const json = (method: string, body: string, headers: Record<string, string> = {}): RequestInit =>
    ({ method, body, headers: { 'content-type': 'application/json', ...headers } })

  // Globs: journal filters and fault rules.
  await timed('journal filter of 499 stars', `/__mock/requests?path=${encodeURIComponent('*'.repeat(499) + 'x')}`, {}, 200)
  await timed('journal count of alternating stars', `/__mock/requests/count?path=${encodeURIComponent('*a'.repeat(240) + 'x')}`, {}, 200)
  await timed('journal delete of 499 stars', `/__mock/requests?path=${encodeURIComponent('*'.repeat(499) + 'x')}`, { method: 'DELETE' }, 204)
  await timed('fault rule of 499 stars', '/__mock/faults', json('POST', JSON.stringify({ path: '*'.repeat(499) + 'x', status: 503 })), 201)
  await timed('a request past that rule', longPath, { headers: { authorization: ADMIN } }, 400)
  const globs = fc.sample(fc.string({ unit: fc.constantFrom('*', '*', '*', 'a', '/', 'x'), minLength: 20, maxLength: 500 }), { seed: 14, numRuns: 30 })
  for (const [i, glob] of globs.entries()) {
    await timed(`generated journal filter #${i}`, `/__mock/requests/count?path=${encodeURIComponent(glob)}`, {}, 200)
    await timed(`generated fault rule #${i}`, '/__mock/faults', json('POST', JSON.stringify({ path: glob, delay_ms: 0 })), 201)
  }
  await timed('a request past 32 star rules', longPath, { headers: { authorization: ADMIN } })
  await timed('clearing the rules', '/__mock/faults', { method: 'DELETE' }, 204)

  // Digest headers near Node's 16 KiB limit: one at a time, 50 at once, and a generated family.
  const user = `/a/demo/api/v0.5/user/${JDOE}/`
  for (const [name, header] of [
    ['15 KB of name characters', 'Digest ' + 'a'.repeat(15_000)],
    ['15 KB of unclosed quotes', 'Digest ' + 'username="'.repeat(1500)],
    ['15 KB of pairs', 'Digest ' + 'a=b, '.repeat(3000)],
    ['15 KB of escapes', 'Digest username="' + '\\"'.repeat(7000)]
  ] as const) await timed(`Digest: ${name}`, user, { headers: { authorization: header } }, 401)
  const start = performance.now()
  const many = await Promise.all(Array.from({ length: 50 }, () =>
    fetch(base + user, { headers: { authorization: 'Digest ' + 'a'.repeat(15_000) } }).then(async r => { await r.arrayBuffer(); return r.status })))
  const ms = performance.now() - start
  t.same([...new Set(many)], [401], '50 Digest headers of 15 KB at once: all 401')
  t.ok(ms < BOUND_MS, `and all answered within ${ms.toFixed(0)} ms`)
  const digests = fc.sample(fc.string({ unit: fc.constantFrom('a', '=', '"', '\\', ',', ' ', 'username'), minLength: 2000, maxLength: 3000 }), { seed: 14, numRuns: 20 })
  for (const [i, d] of digests.entries()) await timed(`generated Digest header #${i}`, user, { headers: { authorization: 'Digest ' + d.slice(0, 15_000) } }, 401)

  // Bodies: deep nesting, on either API, and a chunked megabyte.
  const deep = (n: number): string => '{"format": 1, "domains": ' + '{"a": '.repeat(n) + '1' + '}'.repeat(n) + '}'
  await timed('PUT /__mock/state nested 100,000 deep', '/__mock/state', json('PUT', deep(100_000)), 400)
  await timed('POST /__mock/faults nested 100,000 deep', '/__mock/faults', json('POST', '{"status": 500, "body": ' + '['.repeat(100_000) + ']'.repeat(100_000) + '}'), 400)
  await timed('PUT user nested 100,000 deep', user, json('PUT', '{"user_data": ' + '{"a": '.repeat(100_000) + '1' + '}'.repeat(100_000) + '}', { authorization: ADMIN }), 500)
  const chunks = [Buffer.from('{"first_name": "'), ...Array.from({ length: 64 }, () => Buffer.alloc(16 * 1024, 'c')), Buffer.from('"}')]
  await timed('a chunked PUT of 1 MiB', user, {
    method: 'PUT',
    headers: { authorization: ADMIN, 'content-type': 'application/json' },
    body: new ReadableStream({ start (c) { for (const b of chunks) c.enqueue(b); c.close() } }),
    duplex: 'half'
  } as RequestInit, 200)
  await timed('a long X-Mock-Fault header', user, { headers: { authorization: ADMIN, 'x-mock-fault': 'status=5;'.repeat(1500) } }, 400)
  await timed('the journal of all that', '/__mock/requests?limit=1000', {}, 200)

  polling.on = false
  await poller
  t.ok(health.length >= 5, `health polled ${health.length} times`)
  const worst = Math.max(...health)
  t.ok(worst < BOUND_MS, `health always answered within ${worst.toFixed(1)} ms`)
})
