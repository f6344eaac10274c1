import { existsSync } from 'node:fs'
import { mkdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { buildApp } from '../../src/app.js'
import { Store } from '../../src/store/store.js'
import { ADMIN, JDOE, SEED, build } from '../helpers/app.js'
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

const INVITATION = '0b6f4f4e-2c1d-4e8a-9b7c-5d3e2f1a0c9b'

interface SeedSecrets { web_users: Array<{ password: string, api_keys: Array<{ key: string }>, tokens: Array<{ token: string }> }>, domains: Record<string, { users: Array<{ password?: string }> }> }

/** Every password, API key and bearer token of the bundled seed. */
async function seedSecrets (): Promise<string[]> {
  const seed = JSON.parse(await readFile(SEED, 'utf8')) as SeedSecrets
  const out = new Set<string>()
  for (const w of seed.web_users) {
    out.add(w.password)
    for (const k of w.api_keys) out.add(k.key)
    for (const k of w.tokens) out.add(k.token)
  }
  for (const d of Object.values(seed.domains)) for (const u of d.users) if (u.password !== undefined) out.add(u.password)
  return [...out]
}

/** Fails t for each secret found in the page's markup (attributes too), its text or its form values. */
async function assertNoSecrets (t: Test, page: Page, secrets: string[], where: string): Promise<void> {
  const { html, text, values } = await page.evaluate(() => ({
    html: document.documentElement.outerHTML,
    text: document.body.innerText,
    values: [...document.querySelectorAll('input, textarea, select')].map(e => (e as HTMLInputElement).value).join('\n')
  }))
  for (const secret of secrets) {
    if (/^[a-z]+$/.test(secret)) {
      // A plain word (the seed's web-user password is "password") is also one of the page's own words
      // ("password reset", type="password"); it must never appear as a value: a JSON string or a cell.
      const asValue = new RegExp(`": "${secret}"|>${secret}<|^${secret}$`, 'm')
      t.notMatch(html, asValue, `${where}: the password "${secret}" is not in the markup as a value`)
      t.notMatch(text, asValue, `${where}: nor in the text`)
      t.notMatch(values, asValue, `${where}: nor in a form field`)
    } else {
      t.notOk(html.includes(secret) || text.includes(secret) || values.includes(secret), `${where}: ${secret} is nowhere in the page`)
    }
  }
}

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

    // Outbox: e-mails the CommCare routes recorded show up, newest first, filter and clear from the page.
    await page.click('nav a[href="#outbox"]')
    await page.locator('#outbox-empty').waitFor({ state: 'visible' })
    t.match(await page.locator('#outbox-summary').textContent(), /0 e-mails, newest first/)
    const resetMail = await call(url, 'POST', `/a/demo/api/v0.5/user/${JDOE}/email_password_reset/`)
    t.equal(resetMail.status, 202, 'a password reset')
    const confirmMail = await call(url, 'POST', '/a/demo/api/v0.5/user/', {
      username: 'outbox.probe', email: 'outbox.probe@example.org', require_account_confirmation: true, send_confirmation_email_now: true
    })
    t.equal(confirmMail.status, 201, 'a worker with a confirmation e-mail')
    const newId: string = confirmMail.json().id
    await page.waitForFunction(() => document.querySelectorAll('#outbox-table tbody tr').length === 2, undefined, { timeout: 5000 })
    const mailRows = page.locator('#outbox-table tbody tr')
    t.match(await mailRows.nth(0).textContent(), new RegExp(`account confirmation.*demo.*outbox\\.probe@example\\.org.*user ${newId}`), 'newest first, with type, domain, to and user id')
    t.match(await mailRows.nth(1).textContent(), new RegExp(`password reset.*demo.*jane\\.doe@example\\.org.*user ${JDOE}`))
    t.match(await mailRows.nth(0).locator('time').getAttribute('datetime'), /^\d{4}-\d\d-\d\dT/, 'the time')
    await page.selectOption('#outbox-filters select[name=type]', 'password_reset')
    await page.waitForFunction(() => document.querySelectorAll('#outbox-table tbody tr').length === 1)
    t.match(await mailRows.first().textContent(), /password reset/)
    t.equal(await page.locator('#outbox-clear').textContent(), 'Clear these e-mails', 'the button says it clears what is shown')
    await shot(page, 'outbox')
    await page.click('#outbox-clear')
    await page.locator('#outbox-empty').waitFor({ state: 'visible' })
    t.match(await page.locator('#outbox-summary').textContent(), /Removed 1 e-mail\./)
    t.match((await admin(url, 'GET', '/__mock/outbox')).json().emails, [{ type: 'account_confirmation', user_id: newId }], 'only the shown e-mail was removed')
    t.equal((await admin(url, 'GET', '/__mock/outbox')).json().total, 1)
    await page.selectOption('#outbox-filters select[name=type]', '')
    await mailRows.first().waitFor()
    t.equal(await page.locator('#outbox-clear').textContent(), 'Clear outbox')
    await page.click('#outbox-clear')
    await page.locator('#outbox-empty').waitFor({ state: 'visible' })
    t.equal((await admin(url, 'GET', '/__mock/outbox')).json().total, 0, 'cleared from the page')
    // Refreshed like the journal: an e-mail sent while the view is open appears without a reload.
    t.equal((await call(url, 'POST', `/a/demo/api/v0.5/user/${JDOE}/email_password_reset/`)).status, 202)
    await mailRows.first().waitFor({ timeout: 5000 })
    t.match(await mailRows.first().textContent(), /password reset/)
    // The journal shows the X-Mock-Email header of the answer.
    await page.click('nav a[href="#requests"]')
    const mailRow = page.locator('#requests-table tbody tr', { hasText: 'email_password_reset' }).first()
    await mailRow.waitFor()
    await mailRow.locator('button').click()
    t.match(await page.locator('#detail-res-headers').textContent(), /x-mock-email\s*password_reset → jane\.doe@example\.org/, 'X-Mock-Email in the response headers')

    // Reset everything (after a confirmation): the created domain and the journal go too.
    await page.click('nav a[href="#steer"]')
    page.once('dialog', dialog => { dialog.accept().catch(() => {}) })
    await page.click('#reset-all')
    await page.locator('#steer-status', { hasText: 'Everything is back to the seed' }).waitFor()
    await page.locator('#reset-domain option[value="ci-job-7"]').waitFor({ state: 'detached' })
    await page.click('nav a[href="#requests"]')
    await page.locator('#requests-empty').waitFor({ state: 'visible' })
    t.equal(await page.locator('#requests-table tbody tr').count(), 0, 'the page shows the cleared journal')
    await page.click('nav a[href="#outbox"]')
    await page.locator('#outbox-empty').waitFor({ state: 'visible' })
    t.equal(await page.locator('#outbox-table tbody tr').count(), 0, 'and the emptied outbox')

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

  t.test('at 1280 px: web users, invitations and the workers\' role, language and confirmation', async t => {
    const url = await startServer(t)
    const secrets = await seedSecrets()
    t.ok(secrets.includes('demo-api-key') && secrets.includes('reader-role-key') && secrets.includes('jdoe-password') && secrets.includes('demo-bearer-token'), 'the seed\'s secrets are collected')
    // A two-stage worker: created unconfirmed, as HQ's account confirmation does.
    const created = await call(url, 'POST', '/a/demo/api/v0.5/user/', { username: 'two.stage', email: 'two.stage@example.org', require_account_confirmation: true })
    t.equal(created.status, 201, 'a worker that must confirm its account')
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    t.teardown(() => context.close())
    const page = await context.newPage()
    const pageErrors: string[] = []
    page.on('pageerror', err => pageErrors.push(err.message))
    await page.goto(`${url}/__mock/?token=${TOKEN}#state`)

    // Mobile workers: role (the domain's default when none), language, and unconfirmed as a status.
    const worker = (name: string) => page.locator('#workers-table tbody tr', { hasText: name })
    await worker('two.stage').waitFor()
    const cells = async (name: string) => (await worker(name).locator('td').allInnerTexts()).map(c => c.trim())
    t.same(await page.locator('#workers-table thead th').allInnerTexts(), ['Username', 'Name', 'Groups', 'Locations', 'Role', 'Language', 'Status'])
    t.same((await cells('jdoe@')).slice(4), ['Mobile Worker', 'sw', 'active'], 'jdoe: own role, language sw')
    t.same((await cells('brian.otieno')).slice(4), ['Mobile Worker Default (default)', '—', 'active'], 'brian: no role, so the domain default; no language')
    t.same((await cells('carol.wanjiru')).slice(4), ['Mobile Worker Default (default)', 'en', 'deactivated'])
    t.same((await cells('two.stage')).slice(4), ['Mobile Worker Default (default)', '—', 'unconfirmed'], 'an unconfirmed account says so')
    t.match(await page.locator('#state-summary').textContent(), /6 mobile workers \(4 active\), 4 web users, 1 pending invitation/)

    // Web users: the domain's members with their accounts; keys by their flags only.
    const webUsers = page.locator('#web-users-table tbody tr')
    t.equal(await webUsers.count(), 4, 'demo has four members')
    const rows = []
    for (let i = 0; i < 4; i++) rows.push((await webUsers.nth(i).locator('td').allInnerTexts()).map(c => c.trim().replace(/\s*\n\s*/g, ' | ')))
    t.same(rows, [
      ['admin@example.org', 'Ada Admin', 'Admin', 'active', '6 keys | 1 inactive, 1 expired, 1 with IP allowlist, 2 for one domain, 1 with a role'],
      ['former@example.org', 'Fran Former', 'Project Manager', 'deactivated', '1 key'],
      ['locked@example.org', 'Lee Locked', 'Project Manager', 'account inactive', '1 key'],
      ['viewer@example.org', 'Vic Viewer', 'API Reader', 'active', '1 key']
    ], 'username, name, role, membership / account status, keys')
    t.ok(await webUsers.nth(1).locator('.state-deactivated').isVisible(), 'deactivated is marked as a problem')

    // One web user's detail: each key's flags, and the membership as stored.
    await page.locator('#web-users-table tbody tr', { hasText: 'admin@example.org' }).locator('button').focus()
    await page.keyboard.press('Enter')
    await page.locator('#web-user-detail').waitFor({ state: 'visible' })
    t.equal(await page.evaluate(() => document.activeElement?.id), 'web-user-title', 'focus moves to the detail')
    t.same((await page.locator('#web-user-keys li').allInnerTexts()).map(s => s.trim()), [
      'Key 1: every domain · active',
      'Key 2: domain other only · active',
      'Key 3: every domain · inactive',
      'Key 4: every domain · active · expired 2025-01-01T00:00:00Z',
      'Key 5: every domain · active · IP allowlist 203.0.113.7',
      'Key 6: domain demo only · active · role API Reader'
    ], 'every key by its flags')
    const adminSummary = await page.locator('#web-user-summary').innerText()
    t.match(adminSummary, /Name\s+Ada Admin/)
    t.match(adminSummary, /Role\s+Admin/)
    t.match(adminSummary, /Bearer tokens\s+every domain/, 'a token by its scope only')
    t.match(adminSummary, /Toggles\s+tableau_user_syncing/)
    t.same(JSON.parse(await page.locator('#web-user-json').textContent() ?? '{}'), {
      username: 'admin@example.org', is_admin: true, permissions: ['edit_commcare_users', 'access_api', 'view_commcare_users']
    }, 'the membership as stored')
    await assertNoSecrets(t, page, secrets, 'with the admin\'s keys open')
    await shot(page, 'web-users')
    await page.keyboard.press('Escape')
    await page.locator('#web-user-detail').waitFor({ state: 'hidden' })
    await page.locator('#web-users-table tbody tr', { hasText: 'viewer@example.org' }).locator('button').click()
    await page.locator('#web-user-title', { hasText: 'viewer@example.org' }).waitFor()
    t.match(await page.locator('#web-user-summary').innerText(), /Primary location\s+Kibera \(c1b029932ed442a6a846a4ea10e46a78\)/, 'locations by name')
    t.match(JSON.parse(await page.locator('#web-user-json').textContent() ?? '{}'), { role: 'API Reader', user_data: { chw_id: 'SUP-0001' } })
    await page.locator('#web-users-table tbody tr', { hasText: 'locked@example.org' }).locator('button').click()
    await page.locator('#web-user-title', { hasText: 'locked@example.org' }).waitFor()
    t.match(await page.locator('#web-user-summary').innerText(), /Membership\s+active\s+Account\s+inactive \(refused on every domain\)/)
    await page.locator('#web-users-table tbody tr', { hasText: 'former@example.org' }).locator('button').click()
    await page.locator('#web-user-title', { hasText: 'former@example.org' }).waitFor()
    t.match(await page.locator('#web-user-summary').innerText(), /Membership\s+deactivated in demo\s+Account\s+active/)
    // Opening a worker closes the web user's detail, and back.
    await worker('jdoe@').locator('button').click()
    await page.locator('#worker-detail').waitFor({ state: 'visible' })
    t.ok(await page.locator('#web-user-detail').isHidden(), 'one detail at a time')
    t.equal(JSON.parse(await page.locator('#worker-json').textContent() ?? '{}').language, 'sw')
    await page.click('#worker-close')

    // Invitations: the seed's pending one, accepted from the page.
    const invitation = page.locator('#invitations-table tbody tr')
    t.equal(await invitation.count(), 1)
    t.match(await invitation.innerText(), /invitee@example\.org[\s\S]*Project Manager[\s\S]*by admin@example\.org[\s\S]*2026-01-12[\s\S]*pending/)
    t.same((await admin(url, 'GET', '/__mock/invitations?status=pending')).json().total, 1, 'pending before')
    await shot(page, 'invitations')
    await invitation.getByRole('button', { name: 'Accept the invitation of invitee@example.org' }).click()
    await page.locator('#invitations-status', { hasText: 'Accepted: invitee@example.org is now a member of demo as Project Manager (a new account, with no password or API key).' }).waitFor()
    t.equal(await page.evaluate(() => document.activeElement?.id), 'invitations-status', 'focus goes to what happened')
    const invitee = page.locator('#web-users-table tbody tr', { hasText: 'invitee@example.org' })
    await invitee.waitFor()
    t.same((await invitee.locator('td').allInnerTexts()).map(c => c.trim()), ['invitee@example.org', '—', 'Project Manager', 'active', 'none'], 'the invitee is a web user now')
    t.match(await invitation.innerText(), /accepted \d{4}-\d\d-\d\d/, 'the invitation says accepted')
    t.equal(await invitation.locator('button').count(), 0, 'no Accept button on an accepted invitation')
    t.match((await admin(url, 'GET', '/__mock/invitations')).json().invitations, [{ id: INVITATION, status: 'accepted' }], 'accepted on the server')
    await invitee.locator('button').click()
    t.match(JSON.parse(await page.locator('#web-user-json').textContent() ?? '{}'), {
      username: 'invitee@example.org', role: 'Project Manager', is_admin: false, is_active: true, primary_location_id: '26fc44e2792b4f2fa8ef86178f0a958e'
    }, 'the membership the invitation made')
    t.match(await page.locator('#state-summary').textContent(), /5 web users, 0 pending invitations/)
    await assertNoSecrets(t, page, secrets, 'after accepting')
    await shot(page, 'invitation-accepted')

    // Accepting twice (another client was first) is refused with the server's reason, shown in place.
    await admin(url, 'POST', '/__mock/domains/demo/reset')
    await page.click('#state-refresh')
    await page.locator('#invitations-table tbody tr button').waitFor()
    t.equal((await admin(url, 'POST', `/__mock/invitations/${INVITATION}/accept`)).status, 200, 'accepted elsewhere meanwhile')
    await page.click('#invitations-table tbody tr button')
    await page.locator('#invitations-status.bad', { hasText: '409' }).waitFor()
    t.match(await page.locator('#invitations-status').textContent(), /already accepted/)
    await page.locator('#invitations-table tbody tr', { hasText: 'accepted' }).waitFor()
    t.equal(await page.locator('#invitations-table tbody tr button').count(), 0, 'the list then shows it accepted')

    // Search narrows both tables.
    await page.fill('#user-search', 'locked')
    await page.waitForFunction(() => document.querySelectorAll('#web-users-table tbody tr').length === 1 && document.querySelectorAll('#workers-table tbody tr').length === 0)
    await page.fill('#user-search', '')
    // Another domain: its own members, its default role, no invitations.
    await page.selectOption('#state-domain', 'other')
    await page.locator('#invitations-empty').waitFor({ state: 'visible' })
    t.same((await page.locator('#web-users-table tbody tr').allInnerTexts()).map(r => r.split(/\t|\n/)[0].trim()), ['admin@example.org', 'otheradmin@example.org'])
    t.match(await page.locator('#web-users-table tbody tr', { hasText: 'otheradmin' }).innerText(), /—/, 'no role, not an admin: a dash')
    t.match(await page.locator('#workers-table tbody tr', { hasText: 'peter.phiri' }).innerText(), /Mobile Worker \(default\)/, "other's default mobile-worker role")
    await assertNoSecrets(t, page, secrets, 'domain other')
    t.same(pageErrors, [], 'no script errors')
  })

  t.test('at 400 px: token from the URL, every view fits the window', async t => {
    const url = await startServer(t)
    await call(url, 'PUT', `/a/demo/api/v0.5/user/${JDOE}/`, { first_name: 'Narrow', phone_numbers: ['+254700000001'] })
    await call(url, 'GET', '/a/other/api/v0.5/user/no-such-user/')
    await call(url, 'POST', `/a/demo/api/v0.5/user/${JDOE}/email_password_reset/`)
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
    t.match(await page.locator('#workers-table tbody tr', { hasText: 'Narrow' }).innerText(), /language sw/, 'the language folds under the username')
    await shot(page, 'narrow-state')
    await page.locator('#web-users-table').scrollIntoViewIfNeeded()
    t.ok(await page.locator('#web-users-table tbody tr', { hasText: 'admin@example.org' }).isVisible(), 'web users listed')
    await page.locator('#web-users-table tbody tr', { hasText: 'admin@example.org' }).locator('button').click()
    await page.locator('#web-user-detail').waitFor({ state: 'visible' })
    t.ok(await fits(), 'a web user\'s detail fits')
    await shot(page, 'narrow-web-user')
    await page.locator('#invitations-table tbody tr button').click()
    await page.locator('#web-users-table tbody tr', { hasText: 'invitee@example.org' }).waitFor()
    t.ok(await fits(), 'web users and invitations fit')
    await page.locator('#invitations-table').scrollIntoViewIfNeeded()
    await shot(page, 'narrow-invitations')
    await page.click('nav a[href="#outbox"]')
    await page.locator('#outbox-table tbody tr', { hasText: 'password reset' }).waitFor()
    t.ok(await fits(), 'outbox fits')
    await shot(page, 'narrow-outbox')
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
  t.equal((await fetch(`${server.url}/__mock/web-users`)).status, 401, 'so do the web users')
})

// The web users the page lists: every account, without a secret.
t.test('GET /__mock/web-users lists the accounts by their flags, never a password, key or token', async t => {
  const app = await build(t, { adminToken: TOKEN })
  const refused = await app.inject({ url: '/__mock/web-users' })
  t.equal(refused.statusCode, 401)
  t.match(refused.headers['x-mock-reason'], /admin token/)
  t.same(refused.json(), { error: 'This endpoint needs the admin token (Authorization: Bearer <token> or X-Mock-Admin-Token: <token>).' })

  const res = await app.inject({ url: '/__mock/web-users', headers: { 'x-mock-admin-token': TOKEN } })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^application\/json/)
  const body = res.json()
  t.equal(body.total, 5)
  t.same(body.web_users.map((w: { username: string }) => w.username),
    ['admin@example.org', 'former@example.org', 'locked@example.org', 'otheradmin@example.org', 'viewer@example.org'], 'sorted by username')
  const key = (over: object) => ({ domain: null, active: true, role: null, expiration_date: null, expired: false, ip_allowlist: [], ...over })
  t.same(body.web_users[0], {
    id: 'b9391447a4d82190bc0f053878294952',
    username: 'admin@example.org',
    first_name: 'Ada',
    last_name: 'Admin',
    email: 'admin@example.org',
    is_active: true,
    toggles: ['tableau_user_syncing'],
    api_keys: [
      key({}),
      key({ domain: 'other' }),
      key({ active: false }),
      key({ expiration_date: '2025-01-01T00:00:00Z', expired: true }),
      key({ ip_allowlist: ['203.0.113.7'] }),
      key({ domain: 'demo', role: 'API Reader' })
    ],
    tokens: [{ domain: null }]
  }, 'the admin: every key by its flags, the token by its scope')
  t.same(body.web_users[2], {
    id: 'e2f1d0c9b8a7465f9e8d7c6b5a493827',
    username: 'locked@example.org',
    first_name: 'Lee',
    last_name: 'Locked',
    email: 'locked@example.org',
    is_active: false,
    toggles: [],
    api_keys: [key({})],
    tokens: []
  }, 'an inactive account')
  for (const secret of await seedSecrets()) t.notOk(res.body.includes(`"${secret}"`), `${secret} is not in the answer`)
  t.notMatch(res.body, /"(password|key|token)"/, 'no secret-bearing field at all')

  // An invitee without an account gets one; it shows with no key and no token.
  t.equal((await app.inject({ method: 'POST', url: `/__mock/invitations/${INVITATION}/accept`, headers: { 'x-mock-admin-token': TOKEN } })).statusCode, 200)
  const after = (await app.inject({ url: '/__mock/web-users', headers: { authorization: `Bearer ${TOKEN}` } })).json()
  t.equal(after.total, 6)
  t.match(after.web_users.find((w: { username: string }) => w.username === 'invitee@example.org'), {
    username: 'invitee@example.org', first_name: '', last_name: '', email: 'invitee@example.org', is_active: true, toggles: [], api_keys: [], tokens: []
  })
  t.notMatch(JSON.stringify(after), /"password"/)
})
