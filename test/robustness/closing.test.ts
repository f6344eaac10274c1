import t from 'tap'
import { connect, type AddressInfo } from 'node:net'
import { buildApp } from '../../src/app.js'
import { Store } from '../../src/store/store.js'
import { ADMIN, SEED } from '../helpers/app.js'

// A graceful stop lets in-flight requests finish; a request that still comes
// in on a kept-alive connection gets the mock's own 503 with a reason, never
// Fastify's generic body.

const REASON = 'the server is shutting down and serves no more requests; retry once it is back'

/** Sends `first`, then (after `gapMs`) `second` on the same connection; resolves with all bytes read. */
function twoOnOneConnection (port: number, first: string, second: string, onFirstSent: () => void, gapMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let out = ''
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no close in 10 s; read so far: ${out}`)) }, 10_000)
    socket.on('data', d => { out += d.toString('latin1') })
    socket.on('error', reject)
    socket.on('close', () => { clearTimeout(timer); resolve(out) })
    socket.write(first, () => {
      onFirstSent()
      setTimeout(() => socket.write(second), gapMs)
    })
  })
}

const request = (path: string, extra = ''): string =>
  `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${ADMIN}\r\nConnection: keep-alive\r\n${extra}\r\n`

for (const [name, second, body] of [
  ['a CommCare request', request('/a/demo/api/v0.5/user/'), ''],
  ['a test-control request', request('/__mock/health'), JSON.stringify({ error: REASON })]
] as const) {
  t.test(`${name} on a kept-alive connection during a graceful stop gets the mock's 503`, async t => {
    const store = await Store.open({ seedPath: SEED, dataDir: null })
    const app = await buildApp({ store })
    await app.listen({ host: '127.0.0.1', port: 0 })
    const port = (app.server.address() as AddressInfo).port
    let closed: Promise<void> | undefined
    // The first request is slow (400 ms), so the connection is busy when the stop begins.
    const answer = await twoOnOneConnection(port, request('/a/demo/api/v0.5/user/', 'X-Mock-Fault: delay=400\r\n'), second, () => {
      setTimeout(() => { closed = app.close() }, 100)
    }, 200)
    await closed
    const responses = answer.split(/(?=HTTP\/1\.1 )/)
    t.equal(responses.length, 2, 'two answers')
    t.match(responses[0], /^HTTP\/1\.1 200 /, 'the in-flight request finishes')
    const [head, rest] = responses[1].split('\r\n\r\n')
    t.match(head, /^HTTP\/1\.1 503 /)
    t.match(head, new RegExp(`\r\nx-mock-reason: ${REASON.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\r\n`, 'i'))
    t.match(head, /\r\nconnection: close/i)
    t.notMatch(answer, /"error":"Service Unavailable"/, "not Fastify's own body")
    t.equal(rest, body)
  })
}
