import t from 'tap'
import { build, ADMIN, JDOE } from '../helpers/app.js'

// What the mock's own pages ask for — the docs page, the inspector, their
// assets, the browser's favicon, the /__mock/ API the inspector polls — never
// lands in the journal, nor meets a fault rule; HQ requests, known or not, do.

type App = Awaited<ReturnType<typeof build>>

/** Every src/href of a page that points back at this server. */
async function openPage (app: App, url: string): Promise<string[]> {
  const page = await app.inject({ url })
  const refs = [...page.body.matchAll(/(?:src|href)="(\/[^"]*)"/g)].map(m => m[1])
  for (const ref of refs) {
    const asset = await app.inject({ url: ref })
    if (asset.statusCode !== 200) throw new Error(`${ref} answered ${asset.statusCode}`)
  }
  return refs
}

const journal = async (app: App): Promise<Array<{ method: string, path: string, status: number }>> =>
  (await app.inject({ url: '/__mock/requests' })).json().requests

t.test('the docs page, the inspector, their assets and the favicon are not journaled', async t => {
  const app = await build(t)
  const docs = await openPage(app, '/__mock/docs')
  t.ok(docs.length >= 3, `the docs page loads its assets (${docs.join(', ')})`)
  const inspector = await openPage(app, '/__mock/')
  t.ok(inspector.includes('/__mock/inspector/app.js') && inspector.includes('/__mock/inspector/style.css'), 'the inspector loads its files')
  for (const url of ['/__mock/openapi.json', '/__mock/openapi.yaml', '/__mock/state', '/__mock/web-users', '/__mock/requests?limit=5']) {
    t.equal((await app.inject({ url })).statusCode, 200, url)
  }
  const favicon = await app.inject({ url: '/favicon.ico' })
  t.equal(favicon.statusCode, 404, 'the favicon is still not there')
  t.equal(typeof favicon.headers['x-mock-reason'], 'string')
  t.same(await journal(app), [], 'none of it is in the journal')
  t.equal((await app.inject({ url: '/__mock/requests/count' })).json().count, 0)
})

t.test('HQ requests stay journaled, a path HQ does not have included', async t => {
  const app = await build(t)
  await app.inject({ url: '/favicon.ico' })
  await app.inject({ url: `/a/demo/api/v0.5/user/${JDOE}/`, headers: { authorization: ADMIN } })
  await app.inject({ url: '/a/demo/api/v0.5/nothing/', headers: { authorization: ADMIN } })
  await app.inject({ url: '/robots.txt' })
  await app.inject({ url: '/favicon.ico.bak' })
  const entries = await journal(app)
  t.same(entries.map(e => `${e.method} ${e.path} ${e.status}`), [
    'GET /favicon.ico.bak 404',
    'GET /robots.txt 404',
    'GET /a/demo/api/v0.5/nothing/ 404',
    `GET /a/demo/api/v0.5/user/${JDOE}/ 200`
  ])
})

t.test('a catch-all fault rule leaves the favicon and the mock\'s pages alone', async t => {
  const app = await build(t)
  const added = await app.inject({ method: 'POST', url: '/__mock/faults', headers: { 'content-type': 'application/json' }, payload: { status: 503 } })
  t.equal(added.statusCode, 201)
  t.equal((await app.inject({ url: '/favicon.ico' })).statusCode, 404)
  t.equal((await app.inject({ url: '/__mock/' })).statusCode, 200)
  t.equal((await app.inject({ url: '/__mock/docs' })).statusCode, 200)
  t.equal((await app.inject({ url: '/robots.txt' })).statusCode, 503, 'any other path meets the rule')
  t.same((await journal(app)).map(e => `${e.path} ${e.status}`), ['/robots.txt 503'])
})
