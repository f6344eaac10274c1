import { existsSync } from 'node:fs'
import { mkdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { buildApp } from '../../src/app.js'
import { Store } from '../../src/store/store.js'
import { ADMIN, JDOE, SEED } from '../helpers/app.js'
import { CLI, startProcess } from '../helpers/process.js'

// The inspector page in a real headless Chromium against a real listening
// server: what a developer sees and does, step by step, with screenshots.

const CHROMIUM = process.env.MOCK_CHROMIUM ?? '/usr/bin/chromium'
const REQUIRED = process.env.MOCK_REQUIRE_BROWSER === '1'
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url))
const TOKEN = 'inspector-admin-token'
const SECRET_PASSWORD = 'Sup3r-Secret-Passw0rd'
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic']

const screenshots: string[] = []
const latencies: number[] = []

async function shot (page: Page, name: string): Promise<void> {
  const path = `${ARTIFACTS}inspector-${name}.png`
  await page.screenshot({ path, fullPage: true })
  screenshots.push(path)
}

async function startServer (t: Test) {
  const store = await Store.open({ seedPath: SEED, dataDir: null })
  const app = await buildApp({ store, adminToken: TOKEN })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return `http://127.0.0.1:${address.port}`
}

async function call (url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: ADMIN, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const text = await res.text()
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) }
}

async function admin (url: string, method: string, path: string, body?: unknown) {
  return call(url, method, path, body, { authorization: `Bearer ${TOKEN}` })
}

/** Records, in the page, when each journal row first appears (wall clock, as the test's). */
async function watchRows (page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { rowSeen: Array<{ text: string, at: number }> }
    w.rowSeen = []
    const tbody = document.querySelector('#requests-table tbody')!
    new MutationObserver(records => {
      const at = Date.now()
      for (const r of records) {
        for (const n of r.addedNodes) if (n instanceof HTMLElement) w.rowSeen.push({ text: n.textContent ?? '', at })
      }
    }).observe(tbody, { childList: true })
  })
}

/**
 * Makes a PUT and returns how long the page took to list it after its answer
 * arrived. A random pause first, so the samples fall anywhere in the page's poll cycle.
 */
async function putAndTime (page: Page, url: string, marker: string, body: unknown): Promise<{ status: number, ms: number }> {
  await new Promise(resolve => setTimeout(resolve, Math.random() * 1000))
  const res = await call(url, 'PUT', `/a/demo/api/v0.5/user/${JDOE}/?trace=${marker}`, body)
  const done = Date.now()
  const handle = await page.waitForFunction(m => {
    const w = window as unknown as { rowSeen: Array<{ text: string, at: number }> }
    return w.rowSeen.find(r => r.text.includes(`trace=${m}`))?.at
  }, marker, { timeout: 10_000 })
  const at = await handle.jsonValue() as number
  return { status: res.status, ms: Math.max(0, at - done) }
}

let chromium: typeof import('playwright-core').chromium | undefined
if (existsSync(CHROMIUM)) {
  chromium = (await import('playwright-core')).chromium
}

if (chromium === undefined) {
  if (REQUIRED) t.fail(`MOCK_REQUIRE_BROWSER=1 but there is no Chromium at ${CHROMIUM} (apt-get install chromium)`)
  else t.test('the inspector in Chromium', { skip: `no Chromium at ${CHROMIUM} (apt-get install chromium; MOCK_REQUIRE_BROWSER=1 makes this a failure)` }, async () => {})
} else {
  const launcher = chromium
  let browser: Browser
  t.before(async () => {
    await mkdir(ARTIFACTS, { recursive: true })
    browser = await launcher.launch({ executablePath: CHROMIUM, args: ARGS })
  })
  t.teardown(async () => {
    await browser?.close()
    if (screenshots.length > 0) t.comment(`screenshots:\n${screenshots.map(p => `  ${p}`).join('\n')}`)
  })

  t.test('at 1280 px: requests, state and steer against a live server', async t => {
    const url = await startServer(t)
    const context: BrowserContext = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true })
    t.teardown(() => context.close())
    const page = await context.newPage()
    const pageErrors: string[] = []
    page.on('pageerror', err => pageErrors.push(err.message))

    // Without the token the shell loads, every data call gets 401, and the page asks for the token.
    await page.goto(`${url}/__mock/`)
    await page.locator('#token-form').waitFor({ state: 'visible' })
    t.match(await page.locator('#alert').textContent(), /admin token/, 'says the token is needed')
    t.equal(await page.evaluate(() => document.activeElement?.id), 'token-input', 'focus goes to the token field')
    await page.fill('#token-input', TOKEN)
    await page.press('#token-input', 'Enter')
    await page.locator('#token-form').waitFor({ state: 'hidden' })
    await page.locator('#request-filters select[name=domain] option[value=demo]').waitFor({ state: 'attached' })
    t.equal(await page.evaluate(() => sessionStorage.getItem('commcare-hq-mock.admin-token')), TOKEN, 'token kept for the tab')
    await page.locator('#requests-empty').waitFor({ state: 'visible' })
    t.match(await page.locator('#requests-summary').textContent(), /0 requests shown/, 'an empty journal says so')
    await watchRows(page)

    // A PUT from the "client" shows up in the list, with its body, secrets redacted.
    const first = await putAndTime(page, url, 'first', { first_name: 'Ingrid', last_name: 'Probe', password: SECRET_PASSWORD })
    t.equal(first.status, 200, 'the PUT succeeded')
    latencies.push(first.ms)
    for (let i = 0; i < 7; i++) {
      const r = await putAndTime(page, url, `probe${i}`, { first_name: 'Ingrid', last_name: `Probe${i}` })
      latencies.push(r.ms)
    }
    const row = page.locator('#requests-table tbody tr', { hasText: 'trace=first' })
    t.match(await row.textContent(), /PUT/)
    t.match(await row.textContent(), /200 OK/, 'status written as text')
    t.equal(await page.locator('#requests-table tbody tr').first().locator('button').textContent(),
      `/a/demo/api/v0.5/user/${JDOE}/?trace=probe6`, 'newest first')

    // Open it with the keyboard: Enter on the row's button; focus moves to the detail.
    await row.locator('button').focus()
    await page.keyboard.press('Enter')
    await page.locator('#request-detail').waitFor({ state: 'visible' })
    t.equal(await page.evaluate(() => document.activeElement?.id), 'detail-title', 'focus moves to the detail')
    const requestBody = await page.locator('#detail-req-body').textContent() ?? ''
    t.match(requestBody, /"first_name": "Ingrid"/, 'request body pretty-printed')
    t.notMatch(requestBody, SECRET_PASSWORD, 'password redacted')
    t.match(await page.locator('#detail-res-body').textContent(), /"username": "jdoe@demo.commcarehq.org"/, 'response body shown')
    const detailText = await page.locator('#request-detail').textContent() ?? ''
    t.notMatch(detailText, 'demo-api-key', 'API key redacted')
    t.match(detailText, /authorization/i, 'request headers listed')
    t.ok(await row.evaluate(r => r.classList.contains('selected')), 'the open row is marked')
    await shot(page, 'requests')
    await page.keyboard.press('Escape')
    await page.locator('#request-detail').waitFor({ state: 'hidden' })
    t.equal(await page.evaluate(() => document.activeElement?.closest('tr')?.textContent?.includes('trace=first')), true, 'Escape returns focus to the row')

    // An error shows its X-Mock-Reason; Space opens a row too.
    const missing = await call(url, 'GET', '/a/demo/api/v0.5/user/no-such-user/')
    t.equal(missing.status, 400, 'HQ answers 400 for an unknown id')
    const reason = missing.headers.get('x-mock-reason') ?? ''
    t.not(reason, '', 'the mock gave a reason')
    const errorRow = page.locator('#requests-table tbody tr', { hasText: 'no-such-user' })
    await errorRow.waitFor()
    t.match(await errorRow.textContent(), /400 Bad Request/)
    await errorRow.locator('button').focus()
    await page.keyboard.press('Space')
    await page.locator('#detail-reason').waitFor({ state: 'visible' })
    t.match(await page.locator('#detail-reason').textContent(), reason, 'X-Mock-Reason shown')

    // Filters go to the journal API: status 4xx leaves only the 400.
    await page.fill('#request-filters input[name=status]', '4xx')
    await page.waitForFunction(() => document.querySelectorAll('#requests-table tbody tr').length === 1)
    t.match(await page.locator('#requests-table tbody tr').textContent(), /no-such-user/)
    await shot(page, 'requests-error')
    await page.fill('#request-filters input[name=status]', '')
    await page.selectOption('#request-filters select[name=method]', 'PUT')
    await page.waitForFunction(() => document.querySelectorAll('#requests-table tbody tr').length === 8)
    await page.selectOption('#request-filters select[name=method]', '')

    // State: the domain's mobile workers, with the PUT applied; one worker's object; groups; search.
    await page.click('nav a[href="#state"]')
    const jdoeRow = page.locator('#workers-table tbody tr', { hasText: 'jdoe@demo.commcarehq.org' })
    await jdoeRow.waitFor()
    t.match(await jdoeRow.textContent(), /Ingrid Probe6/, 'the PUT shows in the state')
    t.match(await jdoeRow.textContent(), /Supervisors/, 'group names')
    t.match(await jdoeRow.textContent(), /Kibera/, 'location names')
    t.match(await jdoeRow.textContent(), /active/)
    t.match(await page.locator('#workers-table tbody tr', { hasText: 'carol.wanjiru' }).textContent(), /deactivated/, 'status as text')
    t.equal(await page.locator('#workers-table tbody tr').count(), 5)
    t.match(await page.locator('#groups-table tbody tr', { hasText: 'Field Team North' }).textContent(), /amina\.hassan/, 'groups list members')
    await page.fill('#user-search', 'amina')
    await page.waitForFunction(() => document.querySelectorAll('#workers-table tbody tr').length === 1)
    await page.fill('#user-search', '')
    await jdoeRow.locator('button').click()
    await page.locator('#worker-detail').waitFor({ state: 'visible' })
    const workerJson = JSON.parse(await page.locator('#worker-json').textContent() ?? '{}')
    t.equal(workerJson.id, JDOE)
    t.equal(workerJson.first_name, 'Ingrid')
    t.equal(workerJson.password_hash, undefined, 'no password hash on the page')
    await shot(page, 'state')

    // Steer: reset the domain from the page and see the state change back.
    await page.click('nav a[href="#steer"]')
    await page.selectOption('#reset-domain', 'demo')
    await page.click('#reset-domain-form button[type=submit]')
    await page.locator('#steer-status', { hasText: 'Domain demo is back to the seed' }).waitFor()
    t.equal((await call(url, 'GET', `/a/demo/api/v0.5/user/${JDOE}/`)).json().first_name, 'Jane', 'the server is reset')
    await page.click('nav a[href="#state"]')
    await page.locator('#workers-table tbody tr', { hasText: 'Jane Doe' }).waitFor()
    t.match(await page.locator('#worker-json').textContent(), /"first_name": "Jane"/, 'the open worker follows')

    // A new domain as a copy of another.
    await page.click('nav a[href="#steer"]')
    await page.fill('#create-name', 'ci-job-7')
    await page.selectOption('#create-from', 'demo')
    await page.click('#create-domain-form button[type=submit]')
    await page.locator('#steer-status', { hasText: 'Domain ci-job-7 created' }).waitFor()
    t.equal((await call(url, 'GET', `/a/ci-job-7/api/v0.5/user/${JDOE}/`)).status, 200, 'the copy answers the CommCare API')
    await page.locator('#reset-domain option[value="ci-job-7"]').waitFor({ state: 'attached' })

    // A 503 fault from the page: the next PUT fails, the one after succeeds.
    await page.selectOption('#fault-method', 'PUT')
    await page.selectOption('#fault-domain', 'demo')
    await page.fill('#fault-status', '503')
    await page.fill('#fault-times', '1')
    await page.click('#fault-form button[type=submit]')
    await page.locator('#faults-table tbody tr', { hasText: '503 Service Unavailable' }).waitFor()
    const rules = (await admin(url, 'GET', '/__mock/faults')).json().faults
    t.match(rules, [{ method: 'PUT', domain: 'demo', status: 503, times: 1 }], 'the rule the form made')
    const failed = await call(url, 'PUT', `/a/demo/api/v0.5/user/${JDOE}/?trace=fault`, { first_name: 'Faulty' })
    t.equal(failed.status, 503, 'the next request fails')
    t.equal((await call(url, 'PUT', `/a/demo/api/v0.5/user/${JDOE}/`, { first_name: 'Jane' })).status, 200, 'only once')
    await page.click('#fault-form button[type=submit]') // a second, identical rule
    await page.locator('#faults-table tbody tr').nth(1).waitFor()
    await shot(page, 'steer')
    await page.click('#faults-clear')
    await page.locator('#faults-empty').waitFor({ state: 'visible' })
    t.same((await admin(url, 'GET', '/__mock/faults')).json().faults, [], 'faults cleared from the page')

    // Export: a JSON download of the whole state.
    const downloading = page.waitForEvent('download')
    await page.click('#export-state')
    const file = await (await downloading).path()
    const exported = JSON.parse(await readFile(file, 'utf8'))
    t.same(Object.keys(exported.domains).sort(), ['ci-job-7', 'demo', 'other'], 'export holds every domain')

    // The failed request in the journal, with the fault named.
    await page.click('nav a[href="#requests"]')
    const faultRow = page.locator('#requests-table tbody tr', { hasText: 'trace=fault' })
    await faultRow.waitFor()
    t.match(await faultRow.textContent(), /503 Service Unavailable/)
    await faultRow.locator('button').click()
    t.match(await page.locator('#detail-summary').textContent(), /Fault.*fault-1.*503/, 'the fault rule is named')
    t.match(await page.locator('#detail-reason').textContent(), /fault rule 'fault-1'/)

    // Reset everything (after a confirmation): the created domain and the journal go too.
    await page.click('nav a[href="#steer"]')
    page.once('dialog', dialog => { dialog.accept().catch(() => {}) })
    await page.click('#reset-all')
    await page.locator('#steer-status', { hasText: 'Everything is back to the seed' }).waitFor()
    await page.locator('#reset-domain option[value="ci-job-7"]').waitFor({ state: 'detached' })
    await page.click('nav a[href="#requests"]')
    await page.locator('#requests-empty').waitFor({ state: 'visible' })
    t.equal(await page.locator('#requests-table tbody tr').count(), 0, 'the page shows the cleared journal')

    // Keyboard focus is visible.
    await page.locator('nav a[href="#state"]').focus()
    await page.keyboard.press('Shift+Tab')
    await page.keyboard.press('Tab')
    t.not(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle), 'none', 'focus ring')

    t.same(pageErrors, [], 'no script errors')
    const sorted = [...latencies].sort((a, b) => a - b)
    t.comment(`new request shown after: ${latencies.join(', ')} ms (median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted.at(-1)} ms; polling every 1000 ms)`)
    t.ok(sorted.at(-1)! < 5000, 'a new request shows within a few polls')
  })

  t.test('at 400 px: token from the URL, every view fits the window', async t => {
    const url = await startServer(t)
    await call(url, 'PUT', `/a/demo/api/v0.5/user/${JDOE}/`, { first_name: 'Narrow', phone_numbers: ['+254700000001'] })
    await call(url, 'GET', '/a/other/api/v0.5/user/no-such-user/')
    const context = await browser.newContext({ viewport: { width: 400, height: 860 } })
    t.teardown(() => context.close())
    const page = await context.newPage()
    await page.goto(`${url}/__mock/?token=${TOKEN}#requests`)
    t.equal(new URL(page.url()).search, '', 'token dropped from the address bar')
    await page.locator('#requests-table tbody tr').nth(1).waitFor()
    const fits = async () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)
    t.ok(await fits(), 'requests fit')
    await shot(page, 'narrow-requests')
    await page.locator('#requests-table tbody tr', { hasText: 'PUT' }).locator('button').click()
    await page.locator('#request-detail').waitFor({ state: 'visible' })
    t.ok(await fits(), 'request detail fits')
    await shot(page, 'narrow-detail')
    await page.click('nav a[href="#state"]')
    await page.locator('#workers-table tbody tr', { hasText: 'Narrow' }).waitFor()
    t.ok(await fits(), 'state fits')
    await shot(page, 'narrow-state')
    await page.click('nav a[href="#steer"]')
    await page.locator('#fault-form').waitFor()
    t.ok(await fits(), 'steer fits')
    await shot(page, 'narrow-steer')
  })
}

// The built package serves the page and its files (the build copies them into dist/).
t.test('the built server serves the page without the token and its data only with it', { skip: existsSync(CLI) ? false : 'not built (npm run build)' }, async t => {
  const server = await startProcess(['--in-memory', '--admin-token', TOKEN])
  t.teardown(() => { server.child.kill() })
  const page = await fetch(`${server.url}/__mock/`)
  t.equal(page.status, 200)
  t.match(page.headers.get('content-type'), /^text\/html/)
  t.match(page.headers.get('content-security-policy'), /script-src 'self'/)
  t.match(await page.text(), /<main id="main"/)
  for (const [file, type] of [['app.js', /javascript/], ['style.css', /text\/css/]] as const) {
    const res = await fetch(`${server.url}/__mock/inspector/${file}`)
    t.equal(res.status, 200, file)
    t.match(res.headers.get('content-type'), type)
  }
  t.equal((await fetch(`${server.url}/__mock/requests`)).status, 401, 'data needs the token')
})
