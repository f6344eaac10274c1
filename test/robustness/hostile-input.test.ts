import t from 'tap'
import { connect } from 'node:net'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { AddressInfo } from 'node:net'
import { buildApp } from '../../src/app.js'
import { Store } from '../../src/store/store.js'
import { ADMIN, CANNED_500, SEED } from '../helpers/app.js'
import { CASES, type HostileCase } from './hostile-cases.js'

// Table-driven hostile input (docs/BAD-INPUT.md "What bad input gets"): every case gets its
// documented answer, the store is unchanged unless the case is a valid write,
// /__mock/health answers after each, and Object.prototype stays clean.

const README = fileURLToPath(new URL('../../docs/BAD-INPUT.md', import.meta.url))

function rawRequest (port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let out = ''
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('no answer in 5 s')) }, 5_000)
    socket.on('data', d => { out += d.toString('latin1') })
    socket.on('error', reject)
    socket.on('close', () => { clearTimeout(timer); resolve(out) })
    socket.end(Buffer.from(text, 'latin1'))
  })
}

function payloadOf (c: HostileCase): string | Buffer | undefined {
  if (c.body === undefined) return undefined
  if (typeof c.body === 'string' || Buffer.isBuffer(c.body)) return c.body
  return JSON.stringify(c.body)
}

t.test('hostile input gets its documented answer and changes nothing it should not', async t => {
  t.ok(CASES.length >= 40, `${CASES.length} hostile cases`)
  const protoBefore = Object.getOwnPropertyNames(Object.prototype).sort()
  const store = await Store.open({ seedPath: SEED, dataDir: null })
  const app = await buildApp({ store })
  t.teardown(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = (app.server.address() as AddressInfo).port
  const readme = await readFile(README, 'utf8')
  const section = readme.split('<!-- section:bad-input -->')[1]?.split('<!-- /section:bad-input -->')[0] ?? ''

  for (const c of CASES) {
    const before = JSON.stringify(store.exportState())
    let status: number
    let body = ''
    let headers: Record<string, unknown> = {}
    if (c.raw !== undefined) {
      const answer = await rawRequest(port, c.raw)
      status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)
      t.notMatch(answer, /\r\ninjected:/i, `${c.name}: nothing injected into the answer`)
    } else {
      const res = await app.inject({
        method: c.method,
        url: c.url,
        headers: { authorization: ADMIN, ...c.headers },
        payload: payloadOf(c)
      })
      status = res.statusCode
      body = res.body
      headers = res.headers
      if (status >= 400) t.ok(typeof headers['x-mock-reason'] === 'string' && headers['x-mock-reason'] !== '', `${c.name}: X-Mock-Reason says why`)
      t.notOk(Object.keys(headers).some(h => h.toLowerCase().includes('injected')), `${c.name}: no injected header`)
      t.notMatch(String(headers['x-mock-reason'] ?? ''), /unexpected error in the mock/, `${c.name}: not an unexpected failure`)
    }
    t.equal(status, c.status, `${c.name}: ${c.status}`)
    const kind = c.body_is
    if (kind === 'empty') t.equal(body, '', `${c.name}: empty body`)
    else if (kind === 'canned') t.same(JSON.parse(body), CANNED_500, `${c.name}: canned body`)
    else if (kind === 'list') t.ok(Array.isArray(JSON.parse(body).objects), `${c.name}: a list`)
    else if (kind === 'user') {
      const user = JSON.parse(body)
      const again = await app.inject({ method: 'GET', url: c.url.split('?')[0], headers: { authorization: ADMIN } })
      t.same(again.json(), user, `${c.name}: the answer is what a GET shows`)
    } else if (kind !== undefined) t.match(JSON.parse(body).error, kind.error, `${c.name}: error message`)

    const after = JSON.stringify(store.exportState())
    if (c.changes === true) {
      t.not(after, before, `${c.name}: the write landed`)
      await store.resetAll()
    } else {
      t.ok(after === before, `${c.name}: the store is unchanged`)
    }
    const health = await app.inject({ method: 'GET', url: '/__mock/health' })
    t.equal(health.statusCode, 200, `${c.name}: /__mock/health answers`)

    const row = section.split('\n').find(l => l.startsWith(`| ${c.name} |`))
    t.ok(row !== undefined && row.includes(String(c.status)), `${c.name}: documented in the README with ${c.status}`)
  }

  t.same(Object.getOwnPropertyNames(Object.prototype).sort(), protoBefore, 'Object.prototype has no new properties')
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'and nothing is polluted')
})
