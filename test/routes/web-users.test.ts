import t from 'tap'
import { build, ADMIN, CANNED_500, LOC_KIBERA, LOC_NAIROBI, LOC_WESTLANDS, OTHER_ADMIN, VIEWER } from '../helpers/app.js'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { Ajv } from 'ajv'
import { HQ_PERMISSIONS } from '../../src/commcare/roles.js'
import { ROOT } from '../helpers/openapi.js'

// Web users (BEHAVIOR.md §11, [R2 §G.1–§G.5]) on both URL styles.

const ADMIN_ID = 'b9391447a4d82190bc0f053878294952'
const VIEWER_ID = 'b6850d9e9999b6e164e6fff5115ddc12'
const FORMER_ID = '5d0c3e6b1f2a4b7c8d9e0f1a2b3c4d5e' // membership in demo deactivated
const LOCKED_ID = 'e2f1d0c9b8a7465f9e8d7c6b5a493827' // account inactive
const OTHER_ADMIN_ID = '8f7947e750d80c477a2e9a945664e1f9' // not a member of demo
const H = { authorization: ADMIN }
const MANAGER = 'ApiKey former@example.org:former-api-key'

const LIST_KEYS = [
  'assigned_location_ids', 'default_phone_number', 'email', 'eulas', 'first_name', 'id', 'is_active_in_domain',
  'is_admin', 'last_name', 'permissions', 'phone_numbers', 'primary_location_id', 'profile', 'resource_uri', 'role',
  'tableau_role', 'user_data', 'username'
]
const DETAIL_KEYS = [...LIST_KEYS.slice(0, 15), 'tableau_groups', ...LIST_KEYS.slice(15)]
const LISTS = ['view_report_list', 'view_tableau_list', 'manage_data_registry_list', 'view_data_registry_contents_list']
const MISSING = { error: "The object 'WebUser(username=None)' has an empty attribute 'get_id' and doesn't allow a default or null value." }

const STYLES = [
  { name: 'v0.5', list: '/a/demo/api/v0.5/web-user/', detail: (id: string) => `/a/demo/api/v0.5/web-user/${id}/` },
  { name: 'v1', list: '/a/demo/api/web-user/v1/', detail: (id: string) => `/a/demo/api/web-user/v1/${id}/` }
]

/** The permission object of a role granting exactly these. */
function permissions (granted: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const p of HQ_PERMISSIONS) out[p] = granted.includes(p)
  for (const l of LISTS) out[l] = []
  return out
}

const PROJECT_MANAGER = ['edit_commcare_users', 'view_commcare_users', 'edit_web_users', 'view_web_users', 'edit_groups', 'view_groups', 'edit_locations', 'view_locations', 'view_reports', 'access_api']

for (const s of STYLES) {
  t.test(`${s.name}: the list holds active members with active accounts, sorted, with the §11 keys`, async t => {
    const app = await build(t)
    const res = await app.inject({ url: s.list, headers: H })
    t.equal(res.statusCode, 200)
    t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
    const body = res.json()
    t.strictSame(body.meta, { limit: 20, next: null, offset: 0, previous: null, total_count: 2 })
    t.strictSame(body.objects.map((u: { username: string }) => u.username), ['admin@example.org', 'viewer@example.org'],
      'former (deactivated in demo) and locked (account inactive) are not listed')
    const [admin, viewer] = body.objects
    t.strictSame(Object.keys(admin), LIST_KEYS, 'sorted keys, no tableau_groups in the list')
    t.strictSame(admin, {
      assigned_location_ids: [],
      default_phone_number: null,
      email: 'admin@example.org',
      eulas: '[]',
      first_name: 'Ada',
      id: ADMIN_ID,
      is_active_in_domain: true,
      is_admin: true,
      last_name: 'Admin',
      permissions: permissions([...HQ_PERMISSIONS]),
      phone_numbers: [],
      primary_location_id: '',
      profile: '',
      resource_uri: s.detail(ADMIN_ID),
      role: 'Admin',
      tableau_role: null,
      user_data: { chw_id: '', commcare_profile: '', commcare_project: 'demo' },
      username: 'admin@example.org'
    })
    t.strictSame(viewer.permissions, permissions(['view_commcare_users', 'view_locations', 'access_api']), "the role's map, not the member's direct grants")
    t.equal(viewer.role, 'API Reader')
    t.strictSame(viewer.assigned_location_ids, [LOC_KIBERA])
    t.equal(viewer.primary_location_id, LOC_KIBERA)
    t.strictSame(viewer.user_data, { chw_id: 'SUP-0001', commcare_profile: '', commcare_project: 'demo' })
    t.match(res.body, /^\{"meta": \{"limit": 20, /, "HQ's JSON format")
  })

  t.test(`${s.name}: paging like the user list; web_username is an exact filter`, async t => {
    const app = await build(t)
    const page = (await app.inject({ url: s.list + '?limit=1&offset=1', headers: H })).json()
    t.strictSame(page.meta, { limit: 1, next: null, offset: 1, previous: '?limit=1&offset=0', total_count: 2 })
    t.strictSame(page.objects.map((u: { id: string }) => u.id), [VIEWER_ID])
    const first = (await app.inject({ url: s.list + '?limit=1', headers: H })).json()
    t.equal(first.meta.next, '?limit=1&offset=1')

    const one = await app.inject({ url: s.list + '?web_username=admin@example.org', headers: H })
    t.equal(one.statusCode, 200)
    const body = one.json()
    t.equal(body.meta.total_count, 1)
    t.equal(body.objects.length, 1)
    t.strictSame(Object.keys(body.objects[0]), LIST_KEYS)
    t.equal(body.objects[0].id, ADMIN_ID)
    for (const name of ['former@example.org', 'otheradmin@example.org', 'nobody@example.org', 'admin']) {
      const none = (await app.inject({ url: s.list + `?web_username=${name}`, headers: H })).json()
      t.strictSame(none.objects, [], `${name}: not an active member, no object`)
      t.equal(none.meta.total_count, 0)
    }
    const linked = (await app.inject({ url: s.list + '?web_username=viewer@example.org&limit=1', headers: H })).json()
    t.equal(linked.meta.next, null)
    const bad = await app.inject({ url: s.list + '?limit=x', headers: H })
    t.equal(bad.statusCode, 400)
    t.strictSame(bad.json(), { error: "Invalid limit 'x' provided. Please provide a positive integer." })
  })

  t.test(`${s.name}: detail has tableau_groups; members deactivated in the domain are found; others are the 400`, async t => {
    const app = await build(t)
    const res = await app.inject({ url: s.detail(VIEWER_ID), headers: H })
    t.equal(res.statusCode, 200)
    t.strictSame(Object.keys(res.json()), DETAIL_KEYS)
    t.strictSame(res.json().tableau_groups, [])
    const former = (await app.inject({ url: s.detail(FORMER_ID), headers: H })).json()
    t.equal(former.is_active_in_domain, false)
    t.equal(former.role, 'Project Manager')
    t.strictSame(former.permissions, permissions(PROJECT_MANAGER))
    t.equal((await app.inject({ url: s.detail(LOCKED_ID), headers: H })).statusCode, 200, 'an inactive account is still a member')
    for (const id of [OTHER_ADMIN_ID, 'nope', '3c5a623af057e23a32ae4000cf291339']) {
      const missing = await app.inject({ url: s.detail(id), headers: H })
      t.equal(missing.statusCode, 400, id)
      t.strictSame(missing.json(), MISSING, id)
      t.equal(missing.headers['content-type'], 'application/json')
      t.ok(missing.headers['x-mock-reason'])
    }
  })

  t.test(`${s.name}: PUT, POST and DELETE on the detail → 405 Allow: GET, PATCH; list allows GET only`, async t => {
    const app = await build(t)
    for (const method of ['PUT', 'POST', 'DELETE'] as const) {
      const res = await app.inject({ method, url: s.detail(VIEWER_ID), headers: H, payload: {} })
      t.equal(res.statusCode, 405, method)
      t.equal(res.headers.allow, 'GET, PATCH', method)
      t.equal(res.body, 'GET, PATCH')
    }
    const post = await app.inject({ method: 'POST', url: s.list, headers: H, payload: {} })
    t.equal(post.statusCode, 405)
    t.equal(post.headers.allow, 'GET')
    const enable = await app.inject({ method: 'POST', url: s.detail(VIEWER_ID) + 'enable/', headers: H })
    t.equal(enable.statusCode, 404, 'there is no enable/ route')
  })

  t.test(`${s.name}: PATCH validation answers every message as {"errors": [...]} and changes nothing`, async t => {
    const app = await build(t)
    const before = (await app.inject({ url: s.detail(VIEWER_ID), headers: H })).body
    const cases: Array<{ body: Record<string, unknown>, errors: string[] }> = [
      { body: { email: 'x' }, errors: ['Invalid parameter(s): email'] },
      { body: { email: 'x', first_name: 'y', role: 'API Reader' }, errors: ['Invalid parameter(s): email, first_name'] },
      { body: { role: '' }, errors: ["'role' is required for each user"] },
      { body: { role: 'Nope' }, errors: ["Role 'Nope' does not exist or you do not have permission to access it"] },
      { body: { profile: 'Nope' }, errors: ["Profile 'Nope' does not exist"] },
      { body: { user_data: { commcare_profile: '1', program: 'x', chw_id: 'ok' }, profile: 'Community Health Worker' }, errors: ["'commcare_profile' cannot be set directly", "'program' cannot be set directly"] },
      { body: { primary_location_id: LOC_KIBERA }, errors: ['Both primary_location and locations must be provided together.'] },
      { body: { assigned_location_ids: [LOC_KIBERA] }, errors: ['Both primary_location and locations must be provided together.'] },
      { body: { primary_location_id: LOC_NAIROBI, assigned_location_ids: [LOC_KIBERA] }, errors: ["Primary location must be one of the user's locations"] },
      { body: { primary_location_id: '', assigned_location_ids: [LOC_KIBERA] }, errors: ["Primary location can't be empty if the user has any locations set"] },
      { body: { tableau_role: 'Explorer' }, errors: ['You do not have permission to edit Tableau Configuration.'] },
      { body: { tableau_role: 'Boss', tableau_groups: ['g1'] }, errors: ['You do not have permission to edit Tableau Configuration.', 'These groups, g1, are not valid for this domain. Please choose from the following: ', "Invalid tableau role: 'Boss'. Please choose one of the following: Explorer, ExplorerCanPublish, SiteAdministratorExplorer, Viewer, Unlicensed"] },
      { body: { email: 'x', role: 'Nope', primary_location_id: LOC_KIBERA }, errors: ['Invalid parameter(s): email', "Role 'Nope' does not exist or you do not have permission to access it", 'Both primary_location and locations must be provided together.'] }
    ]
    for (const c of cases) {
      const res = await app.inject({ method: 'PATCH', url: s.detail(VIEWER_ID), headers: H, payload: c.body })
      t.equal(res.statusCode, 400, JSON.stringify(c.body))
      t.equal(res.headers['content-type'], 'application/json')
      t.strictSame(res.json(), { errors: c.errors }, JSON.stringify(c.body))
      t.ok(res.headers['x-mock-reason'])
    }
    t.equal((await app.inject({ url: s.detail(VIEWER_ID), headers: H })).body, before, 'nothing was applied')
  })

  t.test(`${s.name}: PATCH of the docs' shape → 202 with the full object; role, locations, profile, user_data merge`, async t => {
    const app = await build(t)
    const res = await app.inject({
      method: 'PATCH',
      url: s.detail(VIEWER_ID),
      headers: H,
      payload: {
        role: 'Project Manager',
        primary_location_id: LOC_WESTLANDS,
        assigned_location_ids: [LOC_NAIROBI, LOC_WESTLANDS],
        profile: 'Community Health Worker',
        user_data: { team: 'north', chw_id: '' }
      }
    })
    t.equal(res.statusCode, 202)
    t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
    const body = res.json()
    t.strictSame(Object.keys(body), DETAIL_KEYS)
    t.equal(body.role, 'Project Manager')
    t.strictSame(body.permissions, permissions(PROJECT_MANAGER))
    t.equal(body.primary_location_id, LOC_WESTLANDS)
    t.strictSame(body.assigned_location_ids, [LOC_NAIROBI, LOC_WESTLANDS])
    t.equal(body.profile, 'Community Health Worker')
    t.strictSame(body.user_data, { chw_id: '', team: 'north', program: 'maternal-health', commcare_profile: 1, commcare_project: 'demo' }, '"" is stored as ""; profile fields shown')
    const got = await app.inject({ url: s.detail(VIEWER_ID), headers: H })
    t.strictSame(got.json(), body, 'a later GET shows the same')

    const merged = (await app.inject({ method: 'PATCH', url: s.detail(VIEWER_ID), headers: H, payload: { user_data: { other: 'x' } } })).json()
    t.strictSame(merged.user_data, { chw_id: '', team: 'north', other: 'x', program: 'maternal-health', commcare_profile: 1, commcare_project: 'demo' }, 'unsent keys are kept')
    const noop = (await app.inject({ method: 'PATCH', url: s.detail(VIEWER_ID), headers: H, payload: { user_data: {} } })).json()
    t.strictSame(noop.user_data, merged.user_data, '{} changes nothing')

    const cleared = (await app.inject({ method: 'PATCH', url: s.detail(VIEWER_ID), headers: H, payload: { primary_location_id: '', assigned_location_ids: [], profile: '' } })).json()
    t.equal(cleared.primary_location_id, '')
    t.strictSame(cleared.assigned_location_ids, [])
    t.equal(cleared.profile, '')
    t.equal(cleared.user_data.commcare_profile, '')

    const admin = (await app.inject({ method: 'PATCH', url: s.detail(VIEWER_ID), headers: H, payload: { role: 'Admin' } })).json()
    t.equal(admin.role, 'Admin')
    t.equal(admin.is_admin, true)
    const back = (await app.inject({ method: 'PATCH', url: s.detail(VIEWER_ID), headers: H, payload: { role: 'API Reader' } })).json()
    t.equal(back.is_admin, false)
    t.equal(back.role, 'API Reader')
    const empty = await app.inject({ method: 'PATCH', url: s.detail(VIEWER_ID), headers: H, payload: {} })
    t.equal(empty.statusCode, 202)
  })

  t.test(`${s.name}: PATCH update failures, bad bodies and unknown ids`, async t => {
    const app = await build(t)
    const before = (await app.inject({ url: s.detail(VIEWER_ID), headers: H })).body
    const unknown = await app.inject({ method: 'PATCH', url: s.detail(VIEWER_ID), headers: H, payload: { role: 'Project Manager', primary_location_id: 'nowhere', assigned_location_ids: ['nowhere', LOC_KIBERA] } })
    t.equal(unknown.statusCode, 400)
    t.strictSame(unknown.json(), { error: 'The request resulted in the following errors: Could not find location ids: nowhere.' })
    const project = await app.inject({ method: 'PATCH', url: s.detail(VIEWER_ID), headers: H, payload: { user_data: { commcare_project: 'other' } } })
    t.equal(project.statusCode, 400)
    t.strictSame(project.json(), { error: "The request resulted in the following errors: 'commcare_project' cannot be set directly" })
    t.equal((await app.inject({ url: s.detail(VIEWER_ID), headers: H })).body, before, 'the role was not applied either')

    const notJson = await app.inject({ method: 'PATCH', url: s.detail(VIEWER_ID), headers: { ...H, 'content-type': 'application/json' }, payload: '{' })
    t.equal(notJson.statusCode, 400)
    t.strictSame(notJson.json(), { error: 'Request is not valid JSON.' })
    const list = await app.inject({ method: 'PATCH', url: s.detail(VIEWER_ID), headers: { ...H, 'content-type': 'application/json' }, payload: '[]' })
    t.equal(list.statusCode, 400)
    const text = await app.inject({ method: 'PATCH', url: s.detail(VIEWER_ID), headers: { ...H, 'content-type': 'text/plain' }, payload: 'x' })
    t.equal(text.statusCode, 415)
    const badData = await app.inject({ method: 'PATCH', url: s.detail(VIEWER_ID), headers: H, payload: { user_data: 'x' } })
    t.equal(badData.statusCode, 500)
    t.strictSame(badData.json(), CANNED_500)
    const missing = await app.inject({ method: 'PATCH', url: s.detail(OTHER_ADMIN_ID), headers: H, payload: { role: 'API Reader' } })
    t.equal(missing.statusCode, 400)
    t.strictSame(missing.json(), MISSING)
    t.equal((await app.inject({ url: s.detail(VIEWER_ID), headers: H })).body, before, 'nothing changed')
  })

  t.test(`${s.name}: deactivate → 202 {} and the member gets 403 on the domain; activate → 200 again`, async t => {
    const app = await build(t)
    const own = await app.inject({ url: '/a/demo/api/v0.5/user/', headers: { authorization: VIEWER } })
    t.equal(own.statusCode, 403, "the viewer's role lacks edit_commcare_users")
    const mgrBefore = await app.inject({ url: s.list, headers: { authorization: MANAGER } })
    t.equal(mgrBefore.statusCode, 403, 'former is deactivated in demo')

    const on = await app.inject({ method: 'POST', url: s.detail(FORMER_ID) + 'activate/', headers: H })
    t.equal(on.statusCode, 202)
    t.equal(on.body, '{}')
    const mgr = await app.inject({ url: s.list, headers: { authorization: MANAGER } })
    t.equal(mgr.statusCode, 200, 'activated: the Project Manager may list web users')
    t.equal(mgr.json().meta.total_count, 3)
    t.equal((await app.inject({ url: s.detail(FORMER_ID), headers: H })).json().is_active_in_domain, true)

    const off = await app.inject({ method: 'POST', url: s.detail(FORMER_ID) + 'deactivate/', headers: H })
    t.equal(off.statusCode, 202)
    t.equal(off.body, '{}')
    const refused = await app.inject({ url: s.list, headers: { authorization: MANAGER } })
    t.equal(refused.statusCode, 403)
    t.equal(refused.body, '')
    t.match(refused.headers['x-mock-reason'], /deactivated/)
    t.equal((await app.inject({ url: '/a/demo/api/v0.5/user/', headers: { authorization: MANAGER } })).statusCode, 403, 'on every resource of the domain')
    t.equal((await app.inject({ url: s.detail(FORMER_ID), headers: H })).json().is_active_in_domain, false)
    t.equal((await app.inject({ url: s.list, headers: H })).json().meta.total_count, 2, 'it leaves the list')

    for (const action of ['activate', 'deactivate']) {
      for (const id of ['nope', OTHER_ADMIN_ID]) {
        const res = await app.inject({ method: 'POST', url: s.detail(id) + `${action}/`, headers: H })
        t.equal(res.statusCode, 404, `${action} ${id}`)
        t.strictSame(res.json(), CANNED_500)
      }
      const get = await app.inject({ url: s.detail(FORMER_ID) + `${action}/`, headers: H })
      t.equal(get.statusCode, 405)
      t.equal(get.headers.allow, 'POST')
    }
  })

  t.test(`${s.name}: needs edit_web_users and access_api`, async t => {
    const app = await build(t)
    for (const auth of [VIEWER, 'ApiKey admin@example.org:reader-role-key']) {
      const res = await app.inject({ url: s.list, headers: { authorization: auth } })
      t.equal(res.statusCode, 403, auth)
      t.equal(res.body, '')
      const patch = await app.inject({ method: 'PATCH', url: s.detail(VIEWER_ID), headers: { authorization: auth }, payload: { role: 'Admin' } })
      t.equal(patch.statusCode, 403)
    }
    t.equal((await app.inject({ url: s.list, headers: { authorization: OTHER_ADMIN } })).statusCode, 403, 'not a member of demo')
    t.equal((await app.inject({ url: s.list })).statusCode, 401)
    t.equal((await app.inject({ url: s.list.replace('demo', 'nope'), headers: H })).statusCode, 404)
  })

  t.test(`${s.name}: a member who is not an admin may not assign Admin`, async t => {
    const app = await build(t)
    await app.inject({ method: 'POST', url: s.detail(FORMER_ID) + 'activate/', headers: H })
    const res = await app.inject({ method: 'PATCH', url: s.detail(VIEWER_ID), headers: { authorization: MANAGER }, payload: { role: 'Admin' } })
    t.equal(res.statusCode, 400)
    t.strictSame(res.json(), { errors: ["Role 'Admin' does not exist or you do not have permission to access it"] })
    const ok = await app.inject({ method: 'PATCH', url: s.detail(VIEWER_ID), headers: { authorization: MANAGER }, payload: { role: 'Project Manager' } })
    t.equal(ok.statusCode, 202)
  })
}

t.test('Tableau keys with the toggle on and an admin caller', async t => {
  const app = await build(t)
  app.ctx.store.domain('demo')!.doc.toggles.push('TABLEAU_USER_SYNCING')
  const url = `/a/demo/api/web-user/v1/${VIEWER_ID}/`
  const res = await app.inject({ method: 'PATCH', url, headers: H, payload: { tableau_role: 'Viewer', tableau_groups: [] } })
  t.equal(res.statusCode, 202)
  t.equal(res.json().tableau_role, 'Viewer')
  t.strictSame(res.json().tableau_groups, [])
  const bad = await app.inject({ method: 'PATCH', url, headers: H, payload: { tableau_role: 'Boss' } })
  t.strictSame(bad.json(), { errors: ["Invalid tableau role: 'Boss'. Please choose one of the following: Explorer, ExplorerCanPublish, SiteAdministratorExplorer, Viewer, Unlicensed"] })
})

t.test('the privileges web-user keys need', async t => {
  const app = await build(t)
  app.ctx.store.domain('demo')!.doc.privileges = { LOCATIONS: false, APP_USER_PROFILES: false }
  const res = await app.inject({ method: 'PATCH', url: `/a/demo/api/web-user/v1/${VIEWER_ID}/`, headers: H, payload: { profile: '', primary_location_id: '', assigned_location_ids: [] } })
  t.equal(res.statusCode, 400)
  t.strictSame(res.json(), { errors: ['This domain does not have user profile privileges.', 'This domain does not have locations privileges.'] })
})

t.test('a PATCH survives a restart of a data directory', async t => {
  const { mkdtemp, rm } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const { Store } = await import('../../src/store/store.js')
  const { SEED } = await import('../helpers/app.js')
  const dir = await mkdtemp(join(tmpdir(), 'web-users-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const store = await Store.open({ seedPath: SEED, dataDir: dir, fsync: false })
  const app = await build(t, { store })
  t.equal((await app.inject({ method: 'PATCH', url: `/a/demo/api/web-user/v1/${VIEWER_ID}/`, headers: H, payload: { role: 'Project Manager' } })).statusCode, 202)
  t.equal((await app.inject({ method: 'POST', url: `/a/demo/api/web-user/v1/${ADMIN_ID}/deactivate/`, headers: H })).statusCode, 202)
  await app.close()
  await store.close()
  const again = await Store.open({ seedPath: SEED, dataDir: dir, fsync: false })
  const app2 = await build(t, { store: again })
  t.teardown(() => again.close())
  const refused = await app2.inject({ url: '/a/demo/api/web-user/v1/', headers: H })
  t.equal(refused.statusCode, 403, 'the deactivation was kept: the admin is refused on demo')
  const member = again.domain('demo')!.isMember('viewer@example.org')!
  t.equal(member.role, 'Project Manager')
  t.equal(again.domain('demo')!.isMember('admin@example.org')!.is_active, false)
})

t.test("a seed's memberships and invitations must name the domain's locations, profiles and roles", async t => {
  const { readFile } = await import('node:fs/promises')
  const { seedProblems } = await import('../../src/store/validate.js')
  const { SEED } = await import('../helpers/app.js')
  const seed = JSON.parse(await readFile(SEED, 'utf8'))
  t.strictSame(seedProblems(seed), [], 'the bundled seed is valid')
  const demo = seed.domains.demo
  const viewer = demo.members.find((m: { username: string }) => m.username === 'viewer@example.org')
  viewer.assigned_location_ids = ['nowhere']
  viewer.primary_location_id = 'elsewhere'
  viewer.profile = 'No Such Profile'
  const inv = demo.invitations[0]
  inv.role = 'No Such Role'
  inv.profile = 'Nope'
  inv.primary_location_id = null
  demo.invitations.push({ ...structuredClone(inv), role: 'Admin', profile: null, assigned_location_ids: [] })
  t.strictSame(seedProblems(seed), [
    "domains/demo/members: 'viewer@example.org' has unknown location 'nowhere'",
    "domains/demo/members: 'viewer@example.org' has a primary_location_id that is not in its assigned_location_ids",
    "domains/demo/members: 'viewer@example.org' has unknown profile 'No Such Profile'",
    "domains/demo/invitations: '0b6f4f4e-2c1d-4e8a-9b7c-5d3e2f1a0c9b' has unknown role 'No Such Role'",
    "domains/demo/invitations: '0b6f4f4e-2c1d-4e8a-9b7c-5d3e2f1a0c9b' has assigned_location_ids but no primary_location_id",
    "domains/demo/invitations: '0b6f4f4e-2c1d-4e8a-9b7c-5d3e2f1a0c9b' has unknown profile 'Nope'",
    "domains/demo/invitations: id '0b6f4f4e-2c1d-4e8a-9b7c-5d3e2f1a0c9b' appears twice"
  ])
  const old = JSON.parse(await readFile(SEED, 'utf8'))
  delete old.domains.demo.invitations
  for (const m of old.domains.demo.members) for (const k of ['primary_location_id', 'assigned_location_ids', 'user_data']) delete m[k]
  t.strictSame(seedProblems(old), [], 'every new key is optional')
})

const HQ_GENERATED = resolve(ROOT, '../shared/reference/commcare-hq-openapi/generated')

t.test("answers validate against HQ's generated web-user and bulk-user schemas, key for key", {
  skip: existsSync(HQ_GENERATED) ? false : `HQ's generated schemas are not at ${HQ_GENERATED}`
}, async t => {
  const dir = HQ_GENERATED
  const ajv = new Ajv({ allErrors: true, strict: false })
  const app = await build(t)
  const check = (file: string, path: string, method: string, status: string, body: unknown, what: string): void => {
    const doc = JSON.parse(readFileSync(join(dir, file), 'utf8'))
    const schema = doc.paths[path][method].responses[status].content['application/json'].schema
    const validate = ajv.compile({ ...schema, components: doc.components, $id: `${file}${path}${method}` })
    t.ok(validate(body), `${what} validates`, { errors: validate.errors })
    const declared = Object.keys(schema.properties?.objects?.items?.properties ?? schema.properties)
    const items = (body as { objects?: unknown[] }).objects ?? [body]
    for (const item of items) t.strictSame(Object.keys(item as object).filter(k => !declared.includes(k)), [], `${what}: every key is one HQ declares`)
    t.strictSame(declared.filter(k => !Object.keys(items[0] as object).includes(k)), [], `${what}: every key HQ declares is sent`)
  }
  const list = (await app.inject({ url: '/a/demo/api/web-user/v1/', headers: H })).json()
  check('web-user-v1.json', '/a/{domain}/api/web-user/v1/', 'get', '200', list, 'web-user list')
  const detail = (await app.inject({ url: `/a/demo/api/web-user/v1/${VIEWER_ID}/`, headers: H })).json()
  check('web-user-v1.json', '/a/{domain}/api/web-user/v1/{pk}/', 'get', '200', detail, 'web-user detail')
  const patch = (await app.inject({ method: 'PATCH', url: `/a/demo/api/web-user/v1/${VIEWER_ID}/`, headers: H, payload: { role: 'Project Manager' } })).json()
  check('web-user-v1.json', '/a/{domain}/api/web-user/v1/{pk}/', 'patch', '202', patch, 'web-user PATCH answer')
  const bulk = (await app.inject({ url: '/a/demo/api/bulk-user/v1/', headers: H })).json()
  check('bulk-user-v1.json', '/a/{domain}/api/bulk-user/v1/', 'get', '200', bulk, 'bulk-user list')
})
