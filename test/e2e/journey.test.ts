import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startProcess, type ServerProcess } from '../helpers/process.js'
import { ADMIN, GROUP_SOUTH } from '../helpers/app.js'

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
  })
}
