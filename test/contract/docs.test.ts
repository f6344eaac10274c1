import { readFileSync } from 'node:fs'
import t from 'tap'
import { parse } from 'yaml'
import { build } from '../helpers/app.js'
import { ROOT, SPEC_FILE } from '../helpers/openapi.js'

// The spec and its docs page as the server serves them: the shipped file,
// the same document as JSON, a page whose every asset comes from this server,
// all behind the admin token when one is configured.

t.test('GET /__mock/openapi.yaml and .json serve the shipped openapi.yaml', async t => {
  const app = await build(t)
  const file = readFileSync(SPEC_FILE, 'utf8')
  const yaml = await app.inject({ url: '/__mock/openapi.yaml' })
  t.equal(yaml.statusCode, 200)
  t.match(yaml.headers['content-type'], /^application\/yaml/)
  t.equal(yaml.body, file)
  const json = await app.inject({ url: '/__mock/openapi.json' })
  t.equal(json.statusCode, 200)
  t.match(json.headers['content-type'], /^application\/json/)
  t.same(json.json(), parse(file))
})

t.test('GET /__mock/docs is a page whose scripts and styles all come from this server', async t => {
  const app = await build(t)
  const page = await app.inject({ url: '/__mock/docs' })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /^text\/html/)
  const refs = [...page.body.matchAll(/(?:src|href)="([^"#]+)"/g)].map(m => m[1])
  t.same(refs.sort(), ['/__mock/docs/docs.css', '/__mock/openapi.json', '/__mock/openapi.yaml', 'data:,'], 'an empty icon: no request for /favicon.ico')
  t.notMatch(page.body, /<script/, 'no script at all')
  t.match(page.headers['content-security-policy'], "default-src 'none'; style-src 'self'", 'the browser may load nothing but this server\'s style sheet')
  const css = await app.inject({ url: '/__mock/docs/docs.css' })
  t.equal(css.statusCode, 200)
  t.match(css.headers['content-type'], /^text\/css/)
  t.notMatch(css.body, /url\(|@import/, 'the style sheet loads no font or image')
  const spec = parse(readFileSync(SPEC_FILE, 'utf8')) as { paths: Record<string, Record<string, { operationId?: string }>> }
  const ids = Object.values(spec.paths).flatMap(item => Object.values(item).map(op => op.operationId).filter(id => id !== undefined))
  const rendered = [...page.body.matchAll(/<details class="op op-\w+" id="([^"]+)"/g)].map(m => m[1])
  t.same(rendered.sort(), ids.sort(), `every operation of openapi.yaml is on the page (${ids.length})`)
  t.match(page.body, '<summary><span class="method">PUT</span> <code class="path">/a/{domain}/api/v0.5/user/{id}/</code> <span class="summary">Update mobile worker (Edit Mobile Worker)</span></summary>')
  const missing = await app.inject({ url: '/__mock/docs/package.json' })
  t.equal(missing.statusCode, 404)
  t.equal(missing.body, '')
})

t.test('with an admin token, the spec and the docs need it', async t => {
  const app = await build(t, { adminToken: 'docs-token' })
  for (const url of ['/__mock/openapi.yaml', '/__mock/openapi.json', '/__mock/docs', '/__mock/docs/docs.css']) {
    const without = await app.inject({ url })
    t.equal(without.statusCode, 401, `${url} without the token`)
    const wrong = await app.inject({ url, headers: { 'x-mock-admin-token': 'nope' } })
    t.equal(wrong.statusCode, 401, `${url} with a wrong token`)
    const bearer = await app.inject({ url, headers: { authorization: 'Bearer docs-token' } })
    t.equal(bearer.statusCode, 200, `${url} with Authorization: Bearer`)
    const header = await app.inject({ url, headers: { 'x-mock-admin-token': 'docs-token' } })
    t.equal(header.statusCode, 200, `${url} with X-Mock-Admin-Token`)
  }
})

t.test('openapi.yaml ships in the npm package', async t => {
  const pkg = JSON.parse(readFileSync(ROOT + 'package.json', 'utf8')) as { files: string[], dependencies: Record<string, string> }
  t.ok(pkg.files.includes('openapi.yaml'), '"files" lists openapi.yaml')
  t.equal(pkg.dependencies['swagger-ui-dist'], undefined, 'the docs page needs no renderer package')
  t.ok(pkg.dependencies.yaml !== undefined, 'the YAML parser for /__mock/openapi.json is a runtime dependency')
})

t.test('/__mock/docs?token= keeps the token in a cookie that every /__mock/ route accepts', async t => {
  const token = 'docs-cookie-token'
  const app = await build(t, { adminToken: token })
  const login = await app.inject({ url: `/__mock/docs?token=${token}` })
  t.equal(login.statusCode, 303)
  t.equal(login.headers.location, '/__mock/docs', 'redirects to the URL without the token')
  t.equal(login.headers['set-cookie'], `mock_admin_token=${token}; Path=/__mock/; HttpOnly; SameSite=Strict`)
  t.equal(login.headers['x-mock-reason'], 'the token is kept in a cookie; the page is at the URL without it')
  t.equal(login.body, '')
  const other = await app.inject({ url: `/__mock/docs?a=1&token=${token}&b=2` })
  t.equal(other.headers.location, '/__mock/docs?a=1&b=2', 'other parameters stay')

  const cookie = { cookie: `theme=dark; mock_admin_token=${token}` }
  for (const url of ['/__mock/docs', '/__mock/docs/docs.css', '/__mock/openapi.json', '/__mock/domains']) {
    t.equal((await app.inject({ url, headers: cookie })).statusCode, 200, `${url} with the cookie`)
  }
  t.equal((await app.inject({ method: 'POST', url: '/__mock/reset', headers: cookie })).statusCode, 200, 'the test-control API takes it too')
  const wrongCookie = await app.inject({ url: '/__mock/docs', headers: { cookie: 'mock_admin_token=nope' } })
  t.equal(wrongCookie.statusCode, 401)

  const wrong = await app.inject({ url: '/__mock/docs?token=nope' })
  t.equal(wrong.statusCode, 401)
  t.equal(wrong.headers['set-cookie'], undefined, 'no cookie for a wrong token')
  t.equal(wrong.headers['x-mock-reason'], 'wrong admin token in the token query parameter')
  t.notMatch(JSON.stringify(wrong.headers) + wrong.body, 'nope', 'the offered token is not echoed')
  t.equal((await app.inject({ url: '/__mock/docs' })).statusCode, 401, 'no token, no cookie: refused')

  const open = await build(t)
  const plain = await open.inject({ url: '/__mock/docs?token=whatever' })
  t.equal(plain.statusCode, 303, 'without a configured token the parameter is only dropped')
  t.equal(plain.headers['set-cookie'], undefined)
  t.equal(plain.headers.location, '/__mock/docs')
})

t.test('the token in the query string never reaches the log', async t => {
  const token = 'docs-log-token'
  const lines: string[] = []
  const app = await build(t, { adminToken: token, logger: { level: 'info', stream: { write: (l: string) => { lines.push(l) } } } })
  t.equal((await app.inject({ url: `/__mock/docs?token=${token}` })).statusCode, 303)
  t.ok(lines.some(l => l.includes('/__mock/docs')), 'the request was logged')
  t.notMatch(lines.join(''), token, 'but not the token')
})
