import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startProcess, type ServerProcess } from '../helpers/process.js'
import { ADMIN, GROUP_SOUTH, JDOE } from '../helpers/app.js'

// A client's whole user-management flow against the real server process.

const GET_MISSING = { error: "The object 'CommCareUser(username=None)' has an empty attribute 'get_id' and doesn't allow a default or null value." }

async function call (server: ServerProcess, method: string, path: string, body?: unknown) {
  const res = await fetch(server.url + path, {
    method,
    headers: { authorization: ADMIN, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const text = await res.text()
  return { status: res.status, headers: res.headers, text, json: text === '' ? undefined : JSON.parse(text) }
}

/** fetch hands header bytes over one character each (latin1); X-Mock-Email is UTF-8. */
const utf8 = (value: string | null) => value === null ? null : Buffer.from(value, 'latin1').toString('utf8')

const usernames = (list: { objects: Array<{ username: string }> }) => list.objects.map(u => u.username)

// Each URL style once, one of them on a real data directory.
const RUNS = [
  { mode: 'in-memory', style: { user: '/a/demo/api/v0.5/user/', group: '/a/demo/api/v0.5/group/' } },
  { mode: 'data dir', style: { user: '/a/demo/api/user/v1/', group: '/a/demo/api/group/v1/' } }
] as const

for (const { mode, style } of RUNS) {
  t.test(`journey (${mode}, ${style.user})`, async t => {
    let args = ['--in-memory']
    if (mode === 'data dir') {
      const dir = await mkdtemp(join(tmpdir(), 'cchq-journey-'))
      t.teardown(() => rm(dir, { recursive: true, force: true }))
      args = ['--data', dir, '--no-fsync']
    }
    const server = await startProcess(args)
    t.teardown(() => { server.child.kill('SIGKILL') })

    const created = await call(server, 'POST', style.user, { username: 'newworker', password: 'pass-1234', first_name: 'New' })
    t.equal(created.status, 201, 'create → 201')
    const id = created.json.id as string
    t.match(id, /^[0-9a-f]{32}$/)
    t.equal(created.text, `{"id": "${id}"}`)
    t.equal(created.headers.get('location'), `${style.user}${id}/`)

    const list = await call(server, 'GET', style.user)
    t.strictSame(usernames(list.json), [
      'amina.hassan@demo.commcarehq.org', 'brian.otieno@demo.commcarehq.org', 'david.kamau@demo.commcarehq.org',
      'jdoe@demo.commcarehq.org', 'newworker@demo.commcarehq.org'
    ], 'it appears in the list in username order')

    const put = await call(server, 'PUT', `${style.user}${id}/`, { groups: [GROUP_SOUTH] })
    t.equal(put.status, 200)
    t.strictSame(put.json.groups, [GROUP_SOUTH])
    const group = await call(server, 'GET', `${style.group}${GROUP_SOUTH}/`)
    t.strictSame(group.json.users, [id], "the group's users has it")

    t.equal((await call(server, 'POST', `${style.user}${id}/deactivate/`)).status, 202)
    t.notOk(usernames((await call(server, 'GET', style.user)).json).includes('newworker@demo.commcarehq.org'), 'gone from the default list')
    t.ok(usernames((await call(server, 'GET', style.user + '?archived=true')).json).includes('newworker@demo.commcarehq.org'), 'present with archived=true')

    const activated = await call(server, 'POST', `${style.user}${id}/activate/`)
    t.equal(activated.status, 202)
    t.equal(activated.text, '{}')
    t.ok(usernames((await call(server, 'GET', style.user)).json).includes('newworker@demo.commcarehq.org'), 'back after activate')

    const del = await call(server, 'DELETE', `${style.user}${id}/`)
    t.equal(del.status, 204)
    t.equal(del.text, '')
    const detail = await call(server, 'GET', `${style.user}${id}/`)
    t.equal(detail.status, 400, "detail GET is HQ's 400")
    t.strictSame(detail.json, GET_MISSING)
    t.strictSame((await call(server, 'GET', `${style.group}${GROUP_SOUTH}/`)).json.users, [], 'the membership went with it')

    const again = await call(server, 'POST', style.user, { username: 'newworker', password: 'pass-1234' })
    t.equal(again.status, 400)
    t.strictSame(again.json, { error: "Username 'newworker@demo.commcarehq.org' is already taken or reserved." })
    t.ok(again.headers.get('x-mock-reason'))

    // Two-stage confirmation: created unconfirmed, the confirmation e-mail in the outbox.
    const pending = await call(server, 'POST', style.user, {
      username: 'pending', email: 'pending@example.org', require_account_confirmation: true, send_confirmation_email_now: true
    })
    t.equal(pending.status, 201)
    const pendingId = pending.json.id as string
    t.equal(utf8(pending.headers.get('x-mock-email')), 'account_confirmation → pending@example.org', 'the header carries UTF-8 on the wire')
    t.notOk(usernames((await call(server, 'GET', style.user)).json).includes('pending@demo.commcarehq.org'), 'not in the default list')
    t.ok(usernames((await call(server, 'GET', style.user + '?archived=true')).json).includes('pending@demo.commcarehq.org'), 'listed with archived=true')
    const confirmations = await call(server, 'GET', '/__mock/outbox?type=account_confirmation')
    t.equal(confirmations.status, 200)
    t.match(confirmations.json.emails, [{ type: 'account_confirmation', domain: 'demo', to: 'pending@example.org', user_id: pendingId }])
    t.equal(confirmations.json.emails.length, 1)
    const inactive = await call(server, 'POST', `${style.user}${pendingId}/email_password_reset/`)
    t.equal(inactive.status, 400)
    t.strictSame(inactive.json, { error: 'This user is inactive and cannot reset their password.' })

    // A password-reset e-mail for an active worker with an address.
    const reset = await call(server, 'POST', `${style.user}${JDOE}/email_password_reset/`)
    t.equal(reset.status, 202)
    t.equal(reset.text, '{}')
    t.equal(utf8(reset.headers.get('x-mock-email')), 'password_reset → jane.doe@example.org')
    const resets = await call(server, 'GET', '/__mock/outbox?type=password_reset')
    t.match(resets.json.emails, [{ type: 'password_reset', domain: 'demo', to: 'jane.doe@example.org', user_id: JDOE }])

    // Locations cleared with `locations` alone; a group id that exists nowhere is HQ's 400.
    const cleared = await call(server, 'PUT', `${style.user}${JDOE}/`, { locations: [] })
    t.equal(cleared.status, 200)
    t.strictSame(cleared.json.locations, [])
    const nowhere = await call(server, 'PUT', `${style.user}${JDOE}/`, { groups: ['0123456789abcdef0123456789abcdef'] })
    t.equal(nowhere.status, 400)
    t.strictSame(nowhere.json, { error: "['Unable to save groups. The following group_ids are not in the current domain: 0123456789abcdef0123456789abcdef']" })
  })
}
