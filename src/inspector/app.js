/* global CSS, Node */
// The inspector's script: plain DOM, no dependencies. Every call goes to the
// documented /__mock/* API with the admin token, so a script can do the same.

const TOKEN_KEY = 'commcare-hq-mock.admin-token'
const POLL_MS = 1000
const MAX_ROWS = 500

const $ = (selector, root = document) => root.querySelector(selector)

const STATUS_TEXT = new Map([
  [200, 'OK'], [201, 'Created'], [202, 'Accepted'], [204, 'No Content'], [301, 'Moved Permanently'],
  [302, 'Found'], [304, 'Not Modified'], [400, 'Bad Request'], [401, 'Unauthorized'], [403, 'Forbidden'],
  [404, 'Not Found'], [405, 'Method Not Allowed'], [406, 'Not Acceptable'], [409, 'Conflict'],
  [413, 'Payload Too Large'], [415, 'Unsupported Media Type'], [429, 'Too Many Requests'],
  [500, 'Internal Server Error'], [502, 'Bad Gateway'], [503, 'Service Unavailable'], [504, 'Gateway Timeout']
])

// ---------------------------------------------------------------------------
// Admin token: from ?token=… once (then dropped from the address bar), kept
// for this tab in sessionStorage, sent as X-Mock-Admin-Token.

function takeTokenFromUrl () {
  const url = new URL(window.location.href)
  const token = url.searchParams.get('token')
  if (token === null) return
  if (token !== '') sessionStorage.setItem(TOKEN_KEY, token)
  url.searchParams.delete('token')
  window.history.replaceState(null, '', url.pathname + url.search + url.hash)
}

function adminToken () {
  return sessionStorage.getItem(TOKEN_KEY)
}

class ApiError extends Error {
  constructor (status, message) {
    super(message)
    this.status = status
  }
}

async function api (method, path, body) {
  const headers = { accept: 'application/json' }
  const token = adminToken()
  if (token !== null) headers['x-mock-admin-token'] = token
  if (body !== undefined) headers['content-type'] = 'application/json'
  let res
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' })
  } catch {
    throw new ApiError(0, 'The mock server cannot be reached.')
  }
  const text = await res.text()
  let data = null
  if (text !== '') {
    try { data = JSON.parse(text) } catch { data = text }
  }
  if (res.status === 401) {
    showTokenForm(token !== null)
    throw new ApiError(401, token === null ? 'This server needs its admin token.' : 'The admin token was refused.')
  }
  if (!res.ok) {
    const message = (data !== null && typeof data === 'object' && typeof data.error === 'string')
      ? data.error
      : res.headers.get('x-mock-reason') ?? `HTTP ${res.status}`
    throw new ApiError(res.status, `${method} ${path}: ${res.status} ${message}`)
  }
  return data
}

function showTokenForm (wasRefused) {
  const form = $('#token-form')
  if (!form.hidden) return
  form.hidden = false
  $('#token-forget').hidden = true
  if (wasRefused) sessionStorage.removeItem(TOKEN_KEY)
  $('#token-input').focus()
}

function updateTokenControls () {
  $('#token-forget').hidden = adminToken() === null
}

function showAlert (message) {
  const alert = $('#alert')
  if (message !== null && alert.textContent === message && !alert.hidden) return
  if (message === null) {
    alert.hidden = true
    alert.textContent = ''
  } else {
    alert.textContent = message
    alert.hidden = false
  }
}

// ---------------------------------------------------------------------------
// Small helpers.

function el (tag, attrs = {}, ...children) {
  const node = document.createElement(tag)
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue
    if (key === 'class') node.className = value
    else if (key === 'text') node.textContent = value
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value)
    else node.setAttribute(key, value === true ? '' : String(value))
  }
  for (const child of children) {
    if (child === null || child === undefined) continue
    node.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
  return node
}

function listOf (data, ...keys) {
  if (Array.isArray(data)) return data
  if (data !== null && typeof data === 'object') {
    for (const key of keys) if (Array.isArray(data[key])) return data[key]
  }
  return []
}

/** Text with line-break chances after '/', '?', '&' and before '@', so paths and usernames wrap at their parts. */
function breakable (text) {
  const fragment = document.createDocumentFragment()
  for (const part of String(text).split(/(?<=[/?&])|(?=@)/)) {
    if (fragment.childNodes.length > 0) fragment.append(document.createElement('wbr'))
    fragment.append(part)
  }
  return fragment
}

function statusText (status) {
  if (status === null || status === undefined) return 'no answer'
  if (status === 0) return 'no answer (connection reset)'
  const phrase = STATUS_TEXT.get(status)
  return phrase === undefined ? String(status) : `${status} ${phrase}`
}

function statusNode (status) {
  const cls = typeof status === 'number' ? `status s${Math.floor(status / 100)}` : 'status'
  return el('span', { class: cls, text: statusText(status) })
}

function formatTime (time) {
  const date = new Date(time)
  if (Number.isNaN(date.getTime())) return String(time ?? '')
  const pad = (n, w = 2) => String(n).padStart(w, '0')
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`
}

/** Bodies arrive as parsed JSON, as text, or not at all; show JSON indented. */
function prettyBody (body) {
  if (body === null || body === undefined || body === '') return '(no body)'
  if (typeof body === 'string') {
    try { return JSON.stringify(JSON.parse(body), null, 2) } catch { return body }
  }
  return JSON.stringify(body, null, 2)
}

function fillHeaders (table, headers) {
  const tbody = $('tbody', table)
  tbody.replaceChildren()
  const entries = Object.entries(headers ?? {})
  if (entries.length === 0) {
    tbody.append(el('tr', {}, el('td', { colspan: 2, class: 'empty', text: '(none recorded)' })))
    return
  }
  for (const [name, value] of entries) {
    tbody.append(el('tr', {}, el('th', { scope: 'row', text: name }), el('td', { text: Array.isArray(value) ? value.join(', ') : String(value) })))
  }
}

function queryString (query) {
  if (query === null || query === undefined || query === '') return ''
  if (typeof query === 'string') return query.startsWith('?') ? query : `?${query}`
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, String(v))
  }
  const text = params.toString()
  return text === '' ? '' : `?${text}`
}

function download (filename, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }))
  const link = el('a', { href: url, download: filename })
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

// ---------------------------------------------------------------------------
// Domains: one list feeds every domain <select> on the page.

let domainNames = []

async function loadDomains () {
  const data = await api('GET', '/__mock/domains')
  domainNames = listOf(data, 'domains', 'objects')
    .map(d => typeof d === 'string' ? d : d.name)
    .filter(name => typeof name === 'string')
    .sort()
  for (const select of document.querySelectorAll('select.domain-select')) {
    const current = select.value
    const options = []
    if (select.dataset.any !== undefined) options.push(el('option', { value: '', text: select.dataset.any }))
    for (const name of domainNames) options.push(el('option', { value: name, text: name }))
    select.replaceChildren(...options)
    if (current !== '' && domainNames.includes(current)) select.value = current
    else if (current === '' && select.dataset.any !== undefined) select.value = ''
  }
}

// ---------------------------------------------------------------------------
// Requests: the journal, newest first, kept live by polling.

const journal = {
  entries: [], // newest first
  byId: new Map(),
  selectedId: null,
  timer: null,
  inFlight: false,
  filterKey: null,
  polls: 0,
  seenWrites: new Set()
}

function requestFilters () {
  const form = $('#request-filters')
  const params = new URLSearchParams()
  for (const name of ['domain', 'method', 'path']) {
    const value = form.elements[name].value.trim()
    if (value !== '') params.set(name, value)
  }
  const status = form.elements.status.value.trim().toLowerCase()
  if (/^[1-5](\d\d|xx)$/.test(status)) params.set('status', status)
  return params
}

function entryId (entry) {
  return String(entry.id)
}

// Entry ids only grow (across clears too), so `since=<newest id shown>` asks
// for just the new entries; now and then a count notices a clear made elsewhere.
async function pollJournal () {
  if (journal.inFlight) return
  journal.inFlight = true
  try {
    const params = requestFilters()
    const key = params.toString()
    let fresh = key !== journal.filterKey
    if (!fresh && journal.entries.length > 0 && ++journal.polls % 5 === 0) {
      const counted = await api('GET', `/__mock/requests/count?${params}`)
      const count = typeof counted === 'number' ? counted : counted?.count
      if (typeof count === 'number' && count < journal.entries.length) fresh = true
    }
    params.set('limit', String(MAX_ROWS))
    if (!fresh && journal.entries.length > 0) params.set('since', entryId(journal.entries[0]))
    const data = await api('GET', `/__mock/requests?${params}`)
    // The filters may have changed while the request was under way.
    if (requestFilters().toString() !== key) return
    const entries = listOf(data, 'requests', 'entries', 'objects')
    if (fresh) {
      journal.filterKey = key
      resetRows(entries)
    } else {
      const newer = entries.filter(e => !journal.byId.has(entryId(e)))
      if (newer.length > 0) prependRows(newer)
    }
    updateRequestsSummary()
    showAlert(null)
    noteWrites(entries)
  } catch (err) {
    showAlert(err.message)
    // Without the token every poll would fail the same way; start() resumes once it is given.
    if (err.status === 401) stopPolling()
  } finally {
    journal.inFlight = false
  }
}

// A successful write in the journal means the state view may be out of date.
function noteWrites (entries) {
  let changed = false
  for (const e of entries) {
    const id = entryId(e)
    if (e.method !== 'GET' && e.status < 400 && !journal.seenWrites.has(id)) {
      journal.seenWrites.add(id)
      changed = true
    }
  }
  if (!changed || !state.loaded) return
  state.stale = true
  if (currentView === 'state') loadState()
}

function resetRows (entries) {
  journal.entries = []
  journal.byId.clear()
  $('#requests-table tbody').replaceChildren()
  prependRows(entries)
  // The open entry may be gone (cleared, filtered out, or reset away).
  if (journal.selectedId !== null && !journal.byId.has(journal.selectedId)) {
    journal.selectedId = null
    $('#request-detail').hidden = true
    $('#view-requests .split').classList.remove('open')
  }
}

function prependRows (entries) {
  const tbody = $('#requests-table tbody')
  // entries are newest first; insert them above the current first row in that order.
  const anchor = tbody.firstChild
  const fragment = document.createDocumentFragment()
  for (const entry of entries) {
    const id = entryId(entry)
    if (journal.byId.has(id)) continue
    journal.byId.set(id, entry)
    fragment.append(requestRow(entry))
  }
  tbody.insertBefore(fragment, anchor)
  journal.entries = [...entries.filter(e => journal.byId.get(entryId(e)) === e), ...journal.entries]
  while (journal.entries.length > MAX_ROWS) {
    const dropped = journal.entries.pop()
    journal.byId.delete(entryId(dropped))
    tbody.lastChild?.remove()
  }
}

function requestRow (entry) {
  const id = entryId(entry)
  const path = `${entry.path ?? ''}${queryString(entry.query)}`
  const open = el('button', {
    type: 'button',
    class: 'linklike',
    'aria-describedby': `req-${id}-status`,
    onclick: () => openRequest(id, true)
  }, breakable(path))
  const row = el('tr', { 'data-id': id },
    el('td', { class: 'mono opt' }, el('time', { datetime: entry.time, text: formatTime(entry.time) })),
    el('td', { class: 'method', text: entry.method }),
    // On a narrow window the time column folds into the path cell.
    el('td', {}, open, el('span', { class: 'narrow-only mono muted', 'aria-hidden': 'true', text: formatTime(entry.time) })),
    el('td', { class: 'opt', text: entry.domain ?? '—' }),
    el('td', { id: `req-${id}-status` }, statusNode(entry.status)),
    el('td', { class: 'opt num', text: typeof entry.duration_ms === 'number' ? entry.duration_ms.toFixed(1) : '' })
  )
  if (id === journal.selectedId) row.classList.add('selected')
  // A click anywhere on the row opens it too; keyboard users use the button.
  row.addEventListener('click', event => {
    if (event.target.closest('button') === null && window.getSelection()?.toString() === '') openRequest(id, false)
  })
  return row
}

function updateRequestsSummary () {
  const count = journal.entries.length
  $('#requests-empty').hidden = count > 0
  const live = $('#request-filters').elements.live.checked
  const filtered = journal.filterKey !== null && journal.filterKey !== ''
  $('#requests-summary').textContent =
    `${count} request${count === 1 ? '' : 's'} shown${filtered ? ' (filtered)' : ''}, newest first. ` +
    (live ? `Live; checked ${formatTime(Date.now())}.` : 'Paused.')
}

function openRequest (id, moveFocus) {
  const entry = journal.byId.get(id)
  if (entry === undefined) return
  journal.selectedId = id
  for (const row of document.querySelectorAll('#requests-table tbody tr')) {
    row.classList.toggle('selected', row.dataset.id === id)
  }
  const query = queryString(entry.query)
  $('#detail-title').replaceChildren(`${entry.method} `, breakable(`${entry.path}${query}`))
  const summary = $('#detail-summary')
  summary.replaceChildren()
  const add = (term, value) => summary.append(el('dt', { text: term }), el('dd', {}, value))
  add('Status', statusNode(entry.status))
  add('Time', `${formatTime(entry.time)} (${entry.time})`)
  add('Domain', entry.domain ?? '—')
  if (typeof entry.duration_ms === 'number') add('Duration', `${entry.duration_ms.toFixed(1)} ms`)
  add('Journal id', String(entry.id))
  if (entry.fault !== null && entry.fault !== undefined) {
    const f = entry.fault
    const what = f.reset_connection === true ? 'connection reset' : f.status !== undefined ? `answered ${statusText(f.status)}` : 'delayed'
    add('Fault', `${f.rule === 'header' ? 'X-Mock-Fault header' : `rule ${f.rule}`}: ${what}${f.delay_ms ? ` after ${f.delay_ms} ms` : ''}`)
  }
  const reason = entry.reason ?? entry.response?.headers?.['x-mock-reason'] ?? null
  const reasonBox = $('#detail-reason')
  if (reason !== null && reason !== '') {
    reasonBox.replaceChildren(el('strong', { text: 'X-Mock-Reason (why the mock answered this way):' }), reason)
    reasonBox.hidden = false
  } else {
    reasonBox.hidden = true
  }
  fillHeaders($('#detail-req-headers'), entry.request?.headers)
  fillHeaders($('#detail-res-headers'), entry.response?.headers)
  const truncated = part => part?.body_truncated === true ? '\n… (truncated by the journal)' : ''
  $('#detail-req-body').textContent = prettyBody(entry.request?.body) + truncated(entry.request)
  $('#detail-res-body').textContent = prettyBody(entry.response?.body) + truncated(entry.response)
  $('#request-detail').hidden = false
  $('#view-requests .split').classList.add('open')
  if (moveFocus) $('#detail-title').focus()
  else $('#detail-title').scrollIntoView({ block: 'nearest' })
}

function closeRequest () {
  const id = journal.selectedId
  journal.selectedId = null
  $('#request-detail').hidden = true
  $('#view-requests .split').classList.remove('open')
  const row = id === null ? null : $(`#requests-table tbody tr[data-id="${CSS.escape(id)}"]`)
  if (row !== null) {
    row.classList.remove('selected')
    $('button', row).focus()
  }
}

function startPolling () {
  stopPolling()
  if (!$('#request-filters').elements.live.checked) return
  journal.timer = setInterval(() => {
    if (!document.hidden) pollJournal()
  }, POLL_MS)
}

function stopPolling () {
  if (journal.timer !== null) clearInterval(journal.timer)
  journal.timer = null
}

// ---------------------------------------------------------------------------
// State: the export, one domain at a time.

// The export holds the domains (members and invitations included); the
// accounts behind the members come from GET /__mock/web-users, without secrets.
const state = {
  loaded: false,
  stale: false,
  doc: null,
  accounts: new Map(), // username → account summary
  invitations: [],
  selectedUser: null,
  selectedMember: null,
  loading: null
}

async function loadState () {
  if (state.loading !== null) return state.loading
  state.loading = (async () => {
    try {
      await loadDomains()
      const [exported, accounts, invitations] = await Promise.all([
        api('GET', '/__mock/state'),
        api('GET', '/__mock/web-users'),
        api('GET', '/__mock/invitations')
      ])
      state.doc = exported
      state.accounts = new Map(listOf(accounts, 'web_users').map(a => [a.username, a]))
      state.invitations = listOf(invitations, 'invitations')
      loadHealth()
      state.loaded = true
      state.stale = false
      renderState()
      showAlert(null)
    } catch (err) {
      showAlert(err.message)
    } finally {
      state.loading = null
    }
  })()
  return state.loading
}

function domainDoc (name) {
  const domains = state.doc?.domains
  if (domains === undefined || domains === null) return undefined
  if (Array.isArray(domains)) return domains.find(d => d.name === name)
  return domains[name]
}

/** A load after any under way: one already started may have read the state before a change. */
async function reloadState () {
  if (state.loading !== null) await state.loading
  return loadState()
}

function userStatus (user) {
  if (user.retired === true) return 'retired'
  // Two-stage account creation: inactive until the worker confirms the account.
  if (user.is_account_confirmed === false) return 'unconfirmed'
  if (user.is_active === false) return 'deactivated'
  return 'active'
}

/** The role a worker reports: its own, else the domain's default mobile-worker role. */
function workerRole (user, doc) {
  if (user.role === null || user.role === undefined || user.role === '') {
    return el('span', {}, doc.default_mobile_worker_role ?? 'Mobile Worker Default', el('span', { class: 'muted', text: ' (default)' }))
  }
  if ((doc.roles ?? []).some(r => r.name === user.role)) return user.role
  return el('span', {}, '—', el('span', { class: 'muted', text: ` (role “${user.role}” no longer exists)` }))
}

function fullName (user) {
  return [user.first_name, user.last_name].filter(s => typeof s === 'string' && s !== '').join(' ')
}

function renderState () {
  const select = $('#state-domain')
  if (select.value === '' && domainNames.length > 0) select.value = domainNames.includes('demo') ? 'demo' : domainNames[0]
  const name = select.value
  const doc = domainDoc(name)
  const workersBody = $('#workers-table tbody')
  const groupsBody = $('#groups-table tbody')
  if (doc === undefined) {
    workersBody.replaceChildren()
    groupsBody.replaceChildren()
    $('#web-users-table tbody').replaceChildren()
    $('#invitations-table tbody').replaceChildren()
    $('#state-summary').textContent = name === '' ? 'No domains.' : `Domain ${name} is not in the export.`
    return
  }
  const users = doc.users ?? []
  const groups = doc.groups ?? []
  const members = doc.members ?? []
  const invitations = state.invitations.filter(i => i.domain === name)
  const locations = new Map((doc.locations ?? []).map(l => [l.id, l.name]))
  const groupNames = new Map(groups.map(g => [g.id, g.name]))
  const usernames = new Map(users.map(u => [u.id, u.username]))
  const q = $('#user-search').value.trim().toLowerCase()
  const shown = users
    .filter(u => q === '' || String(u.username).toLowerCase().includes(q))
    .sort((a, b) => String(a.username).localeCompare(String(b.username)))

  // Keep keyboard focus on the same worker when the table is rebuilt.
  const focusedId = workersBody.contains(document.activeElement) ? document.activeElement.closest('tr')?.dataset.id : undefined
  workersBody.replaceChildren(...shown.map(user => {
    const status = userStatus(user)
    const name = fullName(user)
    const groupList = (user.groups ?? []).map(id => groupNames.get(id) ?? id).join(', ')
    const language = typeof user.language === 'string' ? user.language : ''
    const row = el('tr', { 'data-id': user.id, class: user.id === state.selectedUser ? 'selected' : undefined },
      el('td', {},
        el('button', { type: 'button', class: 'linklike', onclick: () => openUser(user.id, true) }, breakable(user.username)),
        // On a narrow window the name, groups and language columns fold into the username cell.
        name === '' ? null : el('span', { class: 'narrow-only', 'aria-hidden': 'true', text: name }),
        groupList === '' ? null : el('span', { class: 'narrow-only muted', 'aria-hidden': 'true', text: `groups ${groupList}` }),
        language === '' ? null : el('span', { class: 'narrow-only muted', 'aria-hidden': 'true', text: `language ${language}` })),
      el('td', { class: 'opt', text: name || '—' }),
      el('td', { class: 'opt', text: groupList || '—' }),
      el('td', { class: 'opt', text: (user.locations ?? []).map(id => locations.get(id) ?? id).join(', ') || '—' }),
      el('td', {}, workerRole(user, doc)),
      el('td', { class: 'opt mono', text: language || '—' }),
      el('td', { class: `state-${status}`, text: status })
    )
    row.addEventListener('click', event => {
      if (event.target.closest('button') === null) openUser(user.id, false)
    })
    return row
  }))
  $('#workers-empty').hidden = shown.length > 0
  if (focusedId !== undefined) $(`tr[data-id="${CSS.escape(focusedId)}"] button`, workersBody)?.focus()

  groupsBody.replaceChildren(...groups.map(group => el('tr', {},
    el('th', { scope: 'row' }, group.name, el('br'), el('span', { class: 'muted mono id', text: group.id })),
    el('td', {}, ...memberList((group.users ?? []).map(id => usernames.get(id) ?? id))),
    el('td', { class: 'opt', text: group.case_sharing ? 'yes' : 'no' }),
    el('td', { class: 'opt', text: group.reporting ? 'yes' : 'no' })
  )))
  $('#groups-empty').hidden = groups.length > 0

  const shownMembers = members
    .filter(m => q === '' || String(m.username).toLowerCase().includes(q))
    .sort((a, b) => String(a.username).localeCompare(String(b.username)))
  renderWebUsers(shownMembers)
  renderInvitations(invitations)

  const active = users.filter(u => userStatus(u) === 'active').length
  const pending = invitations.filter(i => i.status === 'pending').length
  const matches = q === '' ? '' : `; ${shown.length} mobile worker${shown.length === 1 ? '' : 's'} and ${shownMembers.length} web user${shownMembers.length === 1 ? '' : 's'} match “${q}”`
  $('#state-summary').textContent =
    `Domain ${name}${doc.project_name ? ` (${doc.project_name})` : ''}: ${users.length} mobile worker${users.length === 1 ? '' : 's'} ` +
    `(${active} active), ${members.length} web user${members.length === 1 ? '' : 's'}, ` +
    `${pending} pending invitation${pending === 1 ? '' : 's'}, ${groups.length} group${groups.length === 1 ? '' : 's'}, ` +
    `${locations.size} location${locations.size === 1 ? '' : 's'}${matches}. Loaded ${formatTime(Date.now())}.`

  if (state.selectedUser !== null) {
    const user = users.find(u => u.id === state.selectedUser)
    if (user === undefined) closeUser(false)
    else showUser(user)
  }
  if (state.selectedMember !== null) {
    const member = members.find(m => m.username === state.selectedMember)
    if (member === undefined) closeMember(false)
    else showMember(member, doc)
  }
}

// ---------------------------------------------------------------------------
// Web users: the domain's members, each with its account (no secrets).

/** Fields that hold an account's secrets are never put on the page, should one turn up in a membership. */
const SECRET_KEYS = new Set(['password', 'password_hash', 'api_keys', 'tokens'])

function withoutSecrets (value) {
  if (Array.isArray(value)) return value.map(withoutSecrets)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(Object.entries(value).filter(([k]) => !SECRET_KEYS.has(k)).map(([k, v]) => [k, withoutSecrets(v)]))
}

function memberRole (member) {
  if (member.is_admin === true) return 'Admin'
  if (typeof member.role === 'string' && member.role !== '') return member.role
  return '—'
}

/** Status words: the membership in this domain, and the account everywhere. */
function memberStatus (member, account) {
  const words = []
  if (member.is_active === false) words.push('deactivated')
  if (account === undefined) words.push('no account')
  else if (account.is_active === false) words.push('account inactive')
  return words.length === 0 ? ['active'] : words
}

function plural (n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`
}

/** What a member's keys are, by their flags only: "6 keys: 1 inactive, 1 expired, …". */
function keyFlags (keys) {
  const flags = []
  const count = test => keys.filter(test).length
  const inactive = count(k => k.active === false)
  const expired = count(k => k.expired === true)
  const allowlisted = count(k => (k.ip_allowlist ?? []).length > 0)
  const scoped = count(k => k.domain !== null && k.domain !== undefined)
  const roled = count(k => typeof k.role === 'string')
  if (inactive > 0) flags.push(`${inactive} inactive`)
  if (expired > 0) flags.push(`${expired} expired`)
  if (allowlisted > 0) flags.push(`${allowlisted} with IP allowlist`)
  if (scoped > 0) flags.push(`${scoped} for one domain`)
  if (roled > 0) flags.push(`${roled} with a role`)
  return flags
}

function keysCell (account) {
  if (account === undefined) return '—'
  const keys = account.api_keys ?? []
  if (keys.length === 0) return 'none'
  const flags = keyFlags(keys)
  return el('span', {}, plural(keys.length, 'key'), flags.length === 0 ? null : el('span', { class: 'flags muted opt', text: flags.join(', ') }))
}

function keyText (key) {
  const parts = [key.domain === null || key.domain === undefined ? 'every domain' : `domain ${key.domain} only`]
  parts.push(key.active === false ? 'inactive' : 'active')
  if (typeof key.role === 'string') parts.push(`role ${key.role}`)
  if (typeof key.expiration_date === 'string') parts.push(`${key.expired === true ? 'expired' : 'expires'} ${key.expiration_date}`)
  if ((key.ip_allowlist ?? []).length > 0) parts.push(`IP allowlist ${key.ip_allowlist.join(', ')}`)
  return parts.join(' · ')
}

function renderWebUsers (members) {
  const tbody = $('#web-users-table tbody')
  const focused = tbody.contains(document.activeElement) ? document.activeElement.closest('tr')?.dataset.username : undefined
  tbody.replaceChildren(...members.map(member => {
    const account = state.accounts.get(member.username)
    const name = account === undefined ? '' : fullName(account)
    const row = el('tr', { 'data-username': member.username, class: member.username === state.selectedMember ? 'selected' : undefined },
      el('td', {},
        el('button', { type: 'button', class: 'linklike', onclick: () => openMember(member.username, true) }, breakable(member.username)),
        name === '' ? null : el('span', { class: 'narrow-only', 'aria-hidden': 'true', text: name })),
      el('td', { class: 'opt', text: name || '—' }),
      el('td', { text: memberRole(member) }),
      el('td', {}, ...memberStatus(member, account).map(word =>
        el('span', { class: `word state-${word === 'active' ? 'active' : 'deactivated'}`, text: word }))),
      el('td', {}, keysCell(account))
    )
    row.addEventListener('click', event => {
      if (event.target.closest('button') === null) openMember(member.username, false)
    })
    return row
  }))
  $('#web-users-empty').hidden = members.length > 0
  if (focused !== undefined) $(`tr[data-username="${CSS.escape(focused)}"] button`, tbody)?.focus()
}

function showMember (member, doc) {
  const account = state.accounts.get(member.username)
  const locations = new Map((doc.locations ?? []).map(l => [l.id, l.name]))
  const location = id => locations.has(id)
    ? el('span', {}, `${locations.get(id)} `, el('span', { class: 'muted mono id', text: `(${id})` }))
    : el('span', { class: 'mono id', text: id })
  const locationList = ids => ids.length === 0 ? '—' : el('span', {}, ...ids.flatMap((id, i) => i === 0 ? [location(id)] : ['; ', location(id)]))
  $('#web-user-title').textContent = member.username
  const summary = $('#web-user-summary')
  summary.replaceChildren()
  const add = (term, value) => summary.append(el('dt', { text: term }), el('dd', {}, value))
  add('Name', account === undefined ? '—' : fullName(account) || '—')
  add('E-mail', account?.email || '—')
  add('Role', memberRole(member))
  add('Membership', member.is_active === false ? `deactivated in ${doc.name ?? $('#state-domain').value}` : 'active')
  add('Account', account === undefined ? 'no account' : account.is_active === false ? 'inactive (refused on every domain)' : 'active')
  add('Primary location', typeof member.primary_location_id === 'string' ? location(member.primary_location_id) : '—')
  add('Locations', locationList(member.assigned_location_ids ?? []))
  if (account !== undefined) {
    add('Account id', el('span', { class: 'mono id', text: account.id }))
    add('Bearer tokens', (account.tokens ?? []).length === 0
      ? 'none'
      : (account.tokens ?? []).map(t => t.domain === null ? 'every domain' : `domain ${t.domain} only`).join('; '))
    if ((account.toggles ?? []).length > 0) add('Toggles', account.toggles.join(', '))
  }
  const keys = account?.api_keys ?? []
  $('#web-user-keys').replaceChildren(...(keys.length === 0
    ? [el('li', { class: 'empty', text: account === undefined ? 'No account.' : 'No API keys.' })]
    : keys.map((key, i) => el('li', {}, el('strong', { text: `Key ${i + 1}: ` }), keyText(key)))))
  $('#web-user-json').textContent = JSON.stringify(withoutSecrets(member), null, 2)
  $('#worker-detail').hidden = true
  $('#web-user-detail').hidden = false
  $('#view-state .split').classList.add('open')
}

function openMember (username, moveFocus) {
  const doc = domainDoc($('#state-domain').value)
  const member = doc?.members?.find(m => m.username === username)
  if (member === undefined) return
  if (state.selectedUser !== null) closeUser(false)
  state.selectedMember = username
  for (const row of document.querySelectorAll('#web-users-table tbody tr')) {
    row.classList.toggle('selected', row.dataset.username === username)
  }
  showMember(member, doc)
  if (moveFocus) $('#web-user-title').focus()
  else $('#web-user-title').scrollIntoView({ block: 'nearest' })
}

function closeMember (restoreFocus) {
  const username = state.selectedMember
  state.selectedMember = null
  $('#web-user-detail').hidden = true
  if (state.selectedUser === null) $('#view-state .split').classList.remove('open')
  const row = username === null ? null : $(`#web-users-table tbody tr[data-username="${CSS.escape(username)}"]`)
  if (row !== null) {
    row.classList.remove('selected')
    if (restoreFocus) $('button', row).focus()
  }
}

// ---------------------------------------------------------------------------
// Invitations of the domain; Accept does what the invitee's click on HQ's link does.

function invitationsStatus (message, ok = true) {
  const line = $('#invitations-status')
  line.textContent = message
  line.classList.toggle('bad', !ok)
}

function renderInvitations (invitations) {
  const tbody = $('#invitations-table tbody')
  tbody.replaceChildren(...invitations.map(inv => {
    const pending = inv.status === 'pending'
    return el('tr', { 'data-id': inv.id },
      el('td', {}, breakable(inv.email), el('br'), el('span', { class: 'muted mono id', text: inv.id })),
      el('td', { text: inv.role }),
      el('td', { class: 'opt' }, `by ${inv.invited_by}`, el('br'), el('time', { datetime: inv.invited_on, class: 'muted', text: String(inv.invited_on).slice(0, 10) })),
      el('td', { class: pending ? 'state-pending' : 'state-active' },
        pending ? 'pending' : 'accepted',
        pending || typeof inv.accepted_on !== 'string' ? null : el('span', { class: 'muted', text: ` ${inv.accepted_on.slice(0, 10)}` })),
      el('td', {}, pending
        ? el('button', { type: 'button', 'aria-label': `Accept the invitation of ${inv.email}`, text: 'Accept', onclick: event => acceptInvitation(inv, event.currentTarget) })
        : null)
    )
  }))
  $('#invitations-empty').hidden = invitations.length > 0
}

async function acceptInvitation (inv, button) {
  button.disabled = true
  try {
    const result = await api('POST', `/__mock/invitations/${encodeURIComponent(inv.id)}/accept`)
    const who = result?.web_user?.username ?? inv.email
    // Reload first: the row and its button are rebuilt, so focus goes to the message after.
    await reloadState()
    invitationsStatus(`Accepted: ${who} is now a member of ${inv.domain} as ${inv.role}` +
      `${result?.web_user?.created === true ? ' (a new account, with no password or API key)' : ''}.`)
    $('#invitations-status').focus()
  } catch (err) {
    button.disabled = false
    invitationsStatus(err.message, false)
    // Accepted (or reset away) elsewhere: show the invitations as they are now.
    if (err.status === 404 || err.status === 409) await reloadState()
  }
}

function memberList (names) {
  if (names.length === 0) return ['—']
  return names.flatMap((name, i) => i === 0 ? [breakable(name)] : [', ', breakable(name)])
}

function showUser (user) {
  const { password_hash: _hash, password: _password, ...shown } = user
  $('#worker-title').textContent = user.username
  $('#worker-json').textContent = JSON.stringify(shown, null, 2)
  $('#web-user-detail').hidden = true
  $('#worker-detail').hidden = false
  $('#view-state .split').classList.add('open')
}

function openUser (id, moveFocus) {
  const doc = domainDoc($('#state-domain').value)
  const user = doc?.users?.find(u => u.id === id)
  if (user === undefined) return
  if (state.selectedMember !== null) closeMember(false)
  state.selectedUser = id
  for (const row of document.querySelectorAll('#workers-table tbody tr')) {
    row.classList.toggle('selected', row.dataset.id === id)
  }
  showUser(user)
  if (moveFocus) $('#worker-title').focus()
  else $('#worker-title').scrollIntoView({ block: 'nearest' })
}

function closeUser (restoreFocus) {
  const id = state.selectedUser
  state.selectedUser = null
  $('#worker-detail').hidden = true
  if (state.selectedMember === null) $('#view-state .split').classList.remove('open')
  const row = id === null ? null : $(`#workers-table tbody tr[data-id="${CSS.escape(id)}"]`)
  if (row !== null) {
    row.classList.remove('selected')
    if (restoreFocus) $('button', row).focus()
  }
}

// ---------------------------------------------------------------------------
// Outbox: the e-mails HQ would have sent, newest first, polled while shown.

const EMAIL_TYPE_TEXT = new Map([
  ['account_confirmation', 'account confirmation'],
  ['password_reset', 'password reset'],
  ['invitation', 'invitation']
])

const outbox = { emails: [], key: null, inFlight: false, timer: null, note: '' }

function outboxFilters () {
  const form = $('#outbox-filters')
  const params = new URLSearchParams()
  for (const name of ['domain', 'type', 'to']) {
    const value = form.elements[name].value.trim()
    if (value !== '') params.set(name, value)
  }
  return params
}

async function loadOutbox () {
  if (outbox.inFlight) return
  outbox.inFlight = true
  try {
    const params = outboxFilters()
    const query = params.toString()
    const data = await api('GET', `/__mock/outbox${query === '' ? '' : `?${query}`}`)
    // The filters may have changed while the request was under way.
    if (outboxFilters().toString() !== query) return
    const emails = listOf(data, 'emails')
    const key = `${query}|${emails.map(e => e.id).join(',')}`
    if (key !== outbox.key) {
      outbox.key = key
      outbox.emails = emails
      renderOutbox()
    }
    updateOutboxSummary(query !== '')
    showAlert(null)
  } catch (err) {
    showAlert(err.message)
    if (err.status === 401) stopOutboxPolling()
  } finally {
    outbox.inFlight = false
  }
}

function renderOutbox () {
  const tbody = $('#outbox-table tbody')
  tbody.replaceChildren(...outbox.emails.map(email => {
    const about = email.invitation_id !== undefined
      ? el('span', {}, el('span', { class: 'muted', text: 'invitation ' }), el('span', { class: 'mono id', text: email.invitation_id }))
      : email.user_id !== undefined
        ? el('span', {}, el('span', { class: 'muted', text: 'user ' }), el('span', { class: 'mono id', text: email.user_id }))
        : '—'
    return el('tr', { 'data-id': email.id },
      el('td', { class: 'mono opt' }, el('time', { datetime: email.time, text: formatTime(email.time) })),
      el('td', { class: `email-${email.type}`, text: EMAIL_TYPE_TEXT.get(email.type) ?? String(email.type) }),
      el('td', { class: 'opt', text: email.domain ?? '—' }),
      el('td', {}, breakable(email.to ?? '')),
      el('td', {}, about)
    )
  }))
  $('#outbox-empty').hidden = outbox.emails.length > 0
}

function updateOutboxSummary (filtered) {
  const count = outbox.emails.length
  const live = $('#outbox-filters').elements.live.checked
  $('#outbox-clear').textContent = filtered ? 'Clear these e-mails' : 'Clear outbox'
  $('#outbox-summary').textContent = `${outbox.note}${count} e-mail${count === 1 ? '' : 's'}${filtered ? ' (filtered)' : ''}, newest first. ` +
    (live ? `Live; checked ${formatTime(Date.now())}.` : 'Paused.')
}

function startOutboxPolling () {
  stopOutboxPolling()
  if (!$('#outbox-filters').elements.live.checked) return
  outbox.timer = setInterval(() => {
    if (!document.hidden && currentView === 'outbox') loadOutbox()
  }, POLL_MS)
}

function stopOutboxPolling () {
  if (outbox.timer !== null) clearInterval(outbox.timer)
  outbox.timer = null
}

async function clearOutbox () {
  const params = outboxFilters()
  const query = params.toString()
  try {
    const data = await api('DELETE', `/__mock/outbox${query === '' ? '' : `?${query}`}`)
    const removed = typeof data?.removed === 'number' ? data.removed : 0
    outbox.note = `Removed ${removed} e-mail${removed === 1 ? '' : 's'}. `
    outbox.key = null
    await loadOutbox()
  } catch (err) {
    showAlert(err.message)
  }
}

// ---------------------------------------------------------------------------
// Steer: resets, new domains, faults, export.

function steerStatus (message, ok = true) {
  const line = $('#steer-status')
  line.textContent = message
  line.classList.toggle('bad', !ok)
}

async function steer (action, success, { resets = false } = {}) {
  try {
    await action()
    steerStatus(success)
    state.stale = true
    loadHealth()
    if (resets) {
      // A reset also drops journal entries and fault rules: show it now, not at the next count.
      journal.filterKey = null
      pollJournal()
      outbox.key = null
      await loadFaults()
    }
    await loadDomains()
  } catch (err) {
    steerStatus(err.message, false)
  }
}

function faultSummary (rule) {
  const parts = [
    rule.method ? rule.method : 'any method',
    rule.domain ? `domain ${rule.domain}` : 'any domain',
    rule.path ? `path ${rule.path}` : 'any path'
  ]
  return parts.join(', ')
}

function faultAnswer (rule) {
  const parts = []
  if (rule.status !== undefined && rule.status !== null) parts.push(statusText(rule.status))
  if (rule.reset_connection === true) parts.push('connection reset')
  if (rule.delay_ms) parts.push(`after ${rule.delay_ms} ms`)
  if (Array.isArray(rule.delay_range_ms)) parts.push(`after ${rule.delay_range_ms.join('–')} ms`)
  if (rule.probability !== undefined && rule.probability !== null && rule.probability < 1) parts.push(`with probability ${rule.probability}`)
  const remaining = rule.remaining ?? rule.times
  if (remaining === undefined || remaining === null) parts.push('until removed')
  else if (remaining === 0) parts.push('used up')
  else parts.push(`${remaining} more time${remaining === 1 ? '' : 's'}`)
  if (typeof rule.hits === 'number') parts.push(`fired ${rule.hits} time${rule.hits === 1 ? '' : 's'}`)
  return parts.join('; ')
}

async function loadFaults () {
  const data = await api('GET', '/__mock/faults')
  const rules = listOf(data, 'faults', 'rules', 'objects')
  const tbody = $('#faults-table tbody')
  tbody.replaceChildren(...rules.map(rule => el('tr', { 'data-id': rule.id },
    el('td', { class: 'mono', text: String(rule.id ?? '') }),
    el('td', { text: faultSummary(rule) }),
    el('td', { text: faultAnswer(rule) }),
    el('td', {}, el('button', {
      type: 'button',
      'aria-label': `Remove fault ${rule.id}`,
      text: 'Remove',
      onclick: () => steer(async () => {
        await api('DELETE', `/__mock/faults/${encodeURIComponent(rule.id)}`)
        await loadFaults()
      }, `Removed fault ${rule.id}.`)
    }))
  )))
  $('#faults-empty').hidden = rules.length > 0
  $('#faults-table').hidden = rules.length === 0
}

function faultFromForm (form) {
  const rule = {}
  const f = form.elements
  if (f.method.value !== '') rule.method = f.method.value
  if (f.domain.value !== '') rule.domain = f.domain.value
  if (f.path.value.trim() !== '') rule.path = f.path.value.trim()
  rule.status = Number(f.status.value)
  if (f.times.value !== '') rule.times = Number(f.times.value)
  if (f.delay_ms.value !== '') rule.delay_ms = Number(f.delay_ms.value)
  const body = f.body.value.trim()
  if (body !== '') {
    try { rule.body = JSON.parse(body) } catch { rule.body = body }
  }
  return rule
}

async function refreshSteer () {
  try {
    await loadDomains()
    await loadFaults()
    showAlert(null)
  } catch (err) {
    showAlert(err.message)
  }
}

// ---------------------------------------------------------------------------
// Views and wiring.

let currentView = 'requests'

function showView () {
  const name = (window.location.hash.replace('#', '') || 'requests')
  currentView = ['requests', 'state', 'outbox', 'steer'].includes(name) ? name : 'requests'
  for (const view of document.querySelectorAll('main > .view')) view.hidden = view.id !== `view-${currentView}`
  for (const link of document.querySelectorAll('nav a[data-view]')) {
    if (link.dataset.view === currentView) link.setAttribute('aria-current', 'page')
    else link.removeAttribute('aria-current')
  }
  document.title = `${currentView[0].toUpperCase()}${currentView.slice(1)} · commcare-hq-mock inspector`
  if (currentView === 'state' && (!state.loaded || state.stale)) loadState()
  if (currentView === 'steer') refreshSteer()
  if (currentView === 'outbox') {
    outbox.note = ''
    loadOutbox()
  }
}

async function loadHealth () {
  try {
    const health = await api('GET', '/__mock/health')
    $('#server-info').textContent = `version ${health.version} · ${health.domains} domains · ${health.users} mobile workers · ${window.location.host}`
  } catch (err) {
    $('#server-info').textContent = window.location.host
  }
}

async function start () {
  try {
    await loadDomains()
    showAlert(null)
  } catch (err) {
    showAlert(err.message)
  }
  loadHealth()
  showView()
  await pollJournal()
  startPolling()
  startOutboxPolling()
}

function wire () {
  window.addEventListener('hashchange', () => {
    showView()
    $('#main').focus({ preventScroll: true })
  })

  $('#token-form').addEventListener('submit', event => {
    event.preventDefault()
    sessionStorage.setItem(TOKEN_KEY, $('#token-input').value)
    $('#token-input').value = ''
    $('#token-form').hidden = true
    updateTokenControls()
    journal.filterKey = null
    start()
  })
  $('#token-forget').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY)
    updateTokenControls()
    window.location.reload()
  })

  const filters = $('#request-filters')
  filters.addEventListener('submit', event => event.preventDefault())
  filters.addEventListener('input', event => {
    if (event.target.name === 'live') return
    // Debounce typing; a select answers at once.
    clearTimeout(journal.filterTimer)
    journal.filterTimer = setTimeout(() => { pollJournal() }, event.target.tagName === 'SELECT' ? 0 : 250)
  })
  filters.elements.live.addEventListener('change', () => {
    startPolling()
    updateRequestsSummary()
  })
  $('#journal-clear').addEventListener('click', async () => {
    try {
      await api('DELETE', '/__mock/requests')
      resetRows([])
      updateRequestsSummary()
    } catch (err) {
      showAlert(err.message)
    }
  })
  $('#detail-close').addEventListener('click', closeRequest)
  $('#request-detail').addEventListener('keydown', event => { if (event.key === 'Escape') closeRequest() })

  const outboxForm = $('#outbox-filters')
  outboxForm.addEventListener('submit', event => event.preventDefault())
  outboxForm.addEventListener('input', event => {
    if (event.target.name === 'live') return
    outbox.note = ''
    clearTimeout(outbox.filterTimer)
    outbox.filterTimer = setTimeout(() => { loadOutbox() }, event.target.tagName === 'SELECT' ? 0 : 250)
  })
  outboxForm.elements.live.addEventListener('change', () => {
    startOutboxPolling()
    updateOutboxSummary(outboxFilters().toString() !== '')
  })
  $('#outbox-clear').addEventListener('click', () => { clearOutbox() })

  $('#state-controls').addEventListener('submit', event => event.preventDefault())
  $('#state-domain').addEventListener('change', () => {
    closeUser(false)
    closeMember(false)
    invitationsStatus('')
    renderState()
  })
  $('#user-search').addEventListener('input', () => renderState())
  $('#state-refresh').addEventListener('click', () => { loadState() })
  $('#worker-close').addEventListener('click', () => closeUser(true))
  $('#worker-detail').addEventListener('keydown', event => { if (event.key === 'Escape') closeUser(true) })
  $('#web-user-close').addEventListener('click', () => closeMember(true))
  $('#web-user-detail').addEventListener('keydown', event => { if (event.key === 'Escape') closeMember(true) })

  $('#reset-domain-form').addEventListener('submit', event => {
    event.preventDefault()
    const name = $('#reset-domain').value
    steer(() => api('POST', `/__mock/domains/${encodeURIComponent(name)}/reset`),
      `Domain ${name} is back to the seed; its journal entries, fault rules and e-mails are cleared.`, { resets: true })
  })
  $('#reset-all').addEventListener('click', () => {
    if (!window.confirm('Reset everything to the seed? Domains created since start are removed, and the journal, all fault rules and the outbox are cleared.')) return
    steer(() => api('POST', '/__mock/reset'), 'Everything is back to the seed; the journal, fault rules and outbox are cleared.', { resets: true })
  })
  $('#create-domain-form').addEventListener('submit', event => {
    event.preventDefault()
    const name = $('#create-name').value.trim()
    const from = $('#create-from').value
    steer(async () => {
      await api('POST', '/__mock/domains', { name, from })
      $('#create-name').value = ''
    }, `Domain ${name} created as a copy of ${from}.`)
  })
  $('#fault-form').addEventListener('submit', event => {
    event.preventDefault()
    const rule = faultFromForm(event.target)
    steer(async () => {
      const created = await api('POST', '/__mock/faults', rule)
      await loadFaults()
      return created
    }, `Fault added: ${faultSummary(rule)} → ${statusText(rule.status)}.`)
  })
  $('#faults-clear').addEventListener('click', () => {
    steer(async () => {
      await api('DELETE', '/__mock/faults')
      await loadFaults()
    }, 'All fault rules cleared.')
  })
  $('#export-state').addEventListener('click', () => {
    steer(async () => {
      const exported = await api('GET', '/__mock/state')
      const stamp = new Date().toISOString().replace(/[:.]/g, '-')
      download(`commcare-hq-mock-state-${stamp}.json`, JSON.stringify(exported, null, 2) + '\n')
    }, 'State exported.')
  })
}

takeTokenFromUrl()
updateTokenControls()
wire()
start()
