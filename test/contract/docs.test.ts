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
  const refs = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map(m => m[1])
  t.same(refs.sort(), ['/__mock/docs/init.js', '/__mock/docs/swagger-ui-bundle.js', '/__mock/docs/swagger-ui.css'])
  t.notMatch(page.body, /https?:\/\//, 'no remote URL in the page')
  for (const ref of refs) {
    const asset = await app.inject({ url: ref })
    t.equal(asset.statusCode, 200, ref)
    t.ok(asset.rawPayload.length > 0, `${ref} has content`)
  }
  const init = await app.inject({ url: '/__mock/docs/init.js' })
  t.match(init.body, "url: '/__mock/openapi.json'")
  t.match(init.body, 'validatorUrl: null', 'no online validator badge')
  const missing = await app.inject({ url: '/__mock/docs/package.json' })
  t.equal(missing.statusCode, 404)
  t.equal(missing.body, '')
})

t.test('with an admin token, the spec and the docs need it', async t => {
  const app = await build(t, { adminToken: 'docs-token' })
  for (const url of ['/__mock/openapi.yaml', '/__mock/openapi.json', '/__mock/docs', '/__mock/docs/init.js']) {
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
  t.ok(pkg.dependencies['swagger-ui-dist'] !== undefined, 'the docs page assets are a runtime dependency')
  t.ok(pkg.dependencies.yaml !== undefined, 'the YAML parser for /__mock/openapi.json is a runtime dependency')
})
