import { existsSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { parse } from 'yaml'
import { SPEC_FILE } from '../helpers/openapi.js'
import { startProcess } from '../helpers/process.js'

// The docs page in a real headless Chromium, served by the real server
// process: the operations render from the served spec, with no request
// leaving this server.

const CHROMIUM = process.env.MOCK_CHROMIUM ?? '/usr/bin/chromium'
const REQUIRED = process.env.MOCK_REQUIRE_BROWSER === '1'
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url))
const TOKEN = 'docs-admin-token'
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic']
const PUT_PATH = '/a/{domain}/api/v0.5/user/{id}/'
const METHODS = new Set(['get', 'put', 'post', 'patch', 'delete', 'head', 'options'])

if (!existsSync(CHROMIUM)) {
  if (REQUIRED) t.fail(`Chromium is not at ${CHROMIUM} and MOCK_REQUIRE_BROWSER=1: install it (apt-get install chromium)`)
  else t.test('docs page in Chromium', { skip: `no Chromium at ${CHROMIUM} (apt-get install chromium; MOCK_REQUIRE_BROWSER=1 makes this a failure)` }, () => {})
} else {
  t.test('the docs page renders every operation, the PUT of a mobile worker among them', async t => {
    const { chromium } = await import('playwright-core')
    const server = await startProcess(['--in-memory', '--admin-token', TOKEN])
    t.teardown(async () => { server.child.kill('SIGTERM'); await server.exited })
    const spec = parse(readFileSync(SPEC_FILE, 'utf8')) as { paths: Record<string, Record<string, unknown>> }
    const operations = Object.values(spec.paths).reduce((n, item) => n + Object.keys(item).filter(k => METHODS.has(k)).length, 0)
    const profile = await mkdtemp(join(tmpdir(), 'docs-chromium-'))
    t.teardown(() => rm(profile, { recursive: true, force: true }))
    // A persistent context is how a fresh --user-data-dir is given to Chromium here.
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1280, height: 900 }
    })
    t.teardown(() => context.close())
    const page = await context.newPage()
    const elsewhere: string[] = []
    page.on('request', r => { if (!r.url().startsWith(server.url) && !r.url().startsWith('data:')) elsewhere.push(r.url()) })
    const errors: string[] = []
    page.on('pageerror', e => errors.push(e.message))
    page.on('console', m => { if (m.type() === 'error') errors.push(m.text()) })

    // A browser sends no header: the token comes once in the address, then lives in a cookie.
    const res = await page.goto(`${server.url}/__mock/docs?token=${TOKEN}`, { waitUntil: 'load' })
    t.equal(res?.status(), 200)
    t.equal(page.url(), `${server.url}/__mock/docs`, 'the token is gone from the address')
    t.equal(await page.evaluate(() => document.cookie), '', 'the cookie is HttpOnly: scripts cannot read it')
    const [cookie] = await context.cookies(server.url + '/__mock/')
    t.match(cookie, { name: 'mock_admin_token', path: '/__mock/', httpOnly: true, sameSite: 'Strict' })
    t.equal(await page.locator('link[rel=stylesheet]').evaluate(l => (l as HTMLLinkElement).sheet?.cssRules.length ?? 0) > 10, true, 'the style sheet loaded (with the cookie)')

    t.equal(await page.locator('details.op').count(), operations, `every operation is on the page (${operations})`)
    const tags = await page.locator('section.tag > h2').allInnerTexts()
    t.same(tags, ['Mobile workers', 'Groups', 'Web users', 'Bulk user search', 'Locations', 'Identity', 'Test control'], 'one section per tag, the /__mock/ API last')

    const put = page.locator(`details.op[data-method="PUT"][data-path="${PUT_PATH}"]`)
    t.equal(await put.count(), 1)
    t.match(await put.locator('summary').innerText(), 'Update mobile worker')
    const body = put.locator('.op-body')
    t.equal(await body.isVisible(), false, 'closed until clicked')
    await put.locator('summary').click()
    await body.waitFor({ state: 'visible' })
    await body.getByText('All field errors are collected into one 400', { exact: false }).first().waitFor()
    await body.getByText('50253311399', { exact: false }).first().waitFor()
    t.pass('the PUT opens with its description and the sample input')

    await put.scrollIntoViewIfNeeded()
    await mkdir(ARTIFACTS, { recursive: true })
    const shot = join(ARTIFACTS, 'docs.png')
    await page.screenshot({ path: shot, fullPage: false })
    t.comment(`screenshot: ${shot}`)
    console.log(`docs page screenshot: ${shot}`)

    t.same(elsewhere, [], 'no request left the mock (no CDN, no font, no telemetry)')
    t.same(errors, [], 'no script or loading errors')

    // The /__mock/ API from the same browser, with the cookie only.
    const domains = await page.goto(`${server.url}/__mock/domains`)
    t.equal(domains?.status(), 200, 'the cookie opens the test-control API too')

    // Without the token the same browser gets nothing.
    const open = await context.browser()?.newContext()
    if (open !== undefined) {
      const p = await open.newPage()
      const denied = await p.goto(`${server.url}/__mock/docs`)
      t.equal(denied?.status(), 401, 'without the admin token the page is refused')
      const wrong = await p.goto(`${server.url}/__mock/docs?token=wrong`)
      t.equal(wrong?.status(), 401, 'a wrong token is refused')
      await open.close()
    }
  })
}
