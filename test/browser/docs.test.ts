import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
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

if (!existsSync(CHROMIUM)) {
  if (REQUIRED) t.fail(`Chromium is not at ${CHROMIUM} and MOCK_REQUIRE_BROWSER=1: install it (apt-get install chromium)`)
  else t.test('docs page in Chromium', { skip: `no Chromium at ${CHROMIUM} (apt-get install chromium; MOCK_REQUIRE_BROWSER=1 makes this a failure)` }, () => {})
} else {
  t.test('the docs page renders the operations, the PUT of a mobile worker among them', async t => {
    const { chromium } = await import('playwright-core')
    const server = await startProcess(['--in-memory', '--admin-token', TOKEN])
    t.teardown(() => { server.child.kill('SIGTERM') })
    const profile = await mkdtemp(join(tmpdir(), 'docs-chromium-'))
    t.teardown(() => rm(profile, { recursive: true, force: true }))
    // A persistent context is how a fresh --user-data-dir is given to Chromium here.
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1280, height: 900 },
      // The server has an admin token; the browser sends it on every request, the spec fetch included.
      extraHTTPHeaders: { 'X-Mock-Admin-Token': TOKEN }
    })
    t.teardown(() => context.close())
    const page = await context.newPage()
    const elsewhere: string[] = []
    page.on('request', r => { if (!r.url().startsWith(server.url) && !r.url().startsWith('data:')) elsewhere.push(r.url()) })
    const errors: string[] = []
    page.on('pageerror', e => errors.push(e.message))

    const res = await page.goto(`${server.url}/__mock/docs`, { waitUntil: 'load' })
    t.equal(res?.status(), 200)
    const put = page.locator('.opblock-put', { has: page.locator(`.opblock-summary-path[data-path="${PUT_PATH}"]`) })
    await put.first().waitFor({ state: 'visible', timeout: 30_000 })
    t.match(await put.first().locator('.opblock-summary-description').innerText(), 'Update mobile worker')
    // Swagger UI renders a long document's operations as they scroll into view: ask it what it
    // holds, then scroll to the end, where the test-control API comes last.
    const tagged = await page.evaluate(() => {
      const ui = (window as unknown as { ui: { specSelectors: { taggedOperations: () => { toJS: () => Record<string, { operations: unknown[] }> } } } }).ui
      return Object.fromEntries(Object.entries(ui.specSelectors.taggedOperations().toJS()).map(([tag, v]) => [tag, v.operations.length]))
    })
    const operations = Object.values(tagged).reduce((a, b) => a + b, 0)
    t.ok(operations > 140, `every operation is listed (${operations})`)
    // Only the operations near the viewport are in the page: read down it as a person would.
    const seen = new Set<string>()
    for (let i = 0, last = -1; i < 200; i++) {
      for (const text of await page.locator('.opblock-tag').allInnerTexts()) seen.add(text.split('\n')[0])
      const y = await page.evaluate(() => window.scrollY)
      if (y === last) break
      last = y
      await page.mouse.wheel(0, 600)
      await page.waitForTimeout(150)
    }
    t.ok(seen.has('Test control'), `the /__mock/ API has its section (seen: ${[...seen].join(', ')})`)
    t.ok(seen.has('Locations') && seen.has('Web users'), 'and every resource its own')
    await page.evaluate(() => window.scrollTo(0, 0))

    // Open the PUT: its description and the docs' sample input show.
    await put.first().locator('.opblock-summary').click()
    const body = put.first().locator('.opblock-body')
    await body.waitFor({ state: 'visible' })
    await body.getByText('All field errors are collected into one 400', { exact: false }).first().waitFor()
    await body.getByText('50253311399', { exact: false }).first().waitFor()
    t.pass('the PUT opens with its description and the sample input')

    await put.first().scrollIntoViewIfNeeded()
    await mkdir(ARTIFACTS, { recursive: true })
    const shot = join(ARTIFACTS, 'docs.png')
    await page.screenshot({ path: shot, fullPage: false })
    t.comment(`screenshot: ${shot}`)
    console.log(`docs page screenshot: ${shot}`)

    t.same(elsewhere, [], 'no request left the mock (no CDN, no online validator)')
    t.same(errors, [], 'no script errors')

    // Without the token the same browser gets nothing.
    const open = await context.browser()?.newContext()
    if (open !== undefined) {
      const p = await open.newPage()
      const denied = await p.goto(`${server.url}/__mock/docs`)
      t.equal(denied?.status(), 401, 'without the admin token the page is refused')
      await open.close()
    }
  })
}
