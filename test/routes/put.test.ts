import t from 'tap'
import type * as Tap from 'tap'
import {
  build, ADMIN, JDOE, AMINA, BRIAN, MARY, CANNED_500, DOCS_SAMPLE_PUT,
  GROUP_NORTH, GROUP_SOUTH, GROUP_SUPERVISORS, GROUP_OTHER, LOC_NAIROBI, LOC_KIBERA, LOC_WESTLANDS
} from '../helpers/app.js'
import { Store } from '../../src/store/store.js'
import { SEED } from '../helpers/app.js'

const STYLES = [
  { name: 'v0.5', user: (id: string) => `/a/demo/api/v0.5/user/${id}/`, group: (id: string) => `/a/demo/api/v0.5/group/${id}/` },
  { name: 'v1', user: (id: string) => `/a/demo/api/user/v1/${id}/`, group: (id: string) => `/a/demo/api/group/v1/${id}/` }
]

const JSON_HEADERS = { authorization: ADMIN, 'content-type': 'application/json' }
const NOWHERE_GROUP = '0123456789abcdef0123456789abcdef'
/** Location bodies that remove every location ([R2 §B.2]). */
const CLEARING = [
  { locations: [] },
  { primary_location: '' },
  { primary_location: '', locations: [] },
  { primary_location: null, locations: [] },
  { primary_location: '', locations: null }
]
const ERR = (...messages: string[]) => ({ error: 'The request resulted in the following errors: ' + messages.join(', ') })

for (const style of STYLES) {
  t.test(`${style.name}: the docs' sample input, verbatim`, async t => {
    const app = await build(t)
    const put = await app.inject({ method: 'PUT', url: style.user(JDOE), headers: JSON_HEADERS, payload: DOCS_SAMPLE_PUT })
    t.equal(put.statusCode, 200)
    t.equal(put.headers['content-type'], 'application/json; charset=utf-8')
    const body = put.json()
    t.strictSame(Object.keys(body), ['default_phone_number', 'email', 'eulas', 'first_name', 'groups', 'id', 'language', 'last_name',
      'locations', 'phone_numbers', 'primary_location', 'resource_uri', 'role', 'user_data', 'username'])
    t.strictSame(body.phone_numbers, ['50253311399', '50253314588'])
    t.equal(body.default_phone_number, '50253311399')
    t.strictSame(body.groups, [GROUP_NORTH, GROUP_SOUTH])
    t.equal(body.email, 'jdoe@example.org')
    t.equal(body.first_name, 'John')
    t.equal(body.resource_uri, style.user(JDOE))
    t.strictSame(body.user_data, {
      chw_id: '13/43/DFA',
      commcare_location_id: LOC_KIBERA,
      commcare_location_ids: LOC_KIBERA,
      commcare_primary_case_sharing_id: LOC_KIBERA,
      commcare_profile: '',
      commcare_project: 'demo'
    }, 'old custom data (favourite_colour) is gone, system keys are there')
    t.equal(body.language, 'en', 'the language sent is returned')
    t.equal(body.role, 'Mobile Worker', 'the role is unchanged')
    t.notOk('password' in body)
    // Python's json.dumps spacing and key order
    t.match(put.body, /^\{"default_phone_number": "50253311399", "email": "jdoe@example.org", "eulas": "\[\]", /)

    const get = await app.inject({ method: 'GET', url: style.user(JDOE), headers: { authorization: ADMIN } })
    t.equal(get.statusCode, 200)
    t.strictSame(get.json(), body)
    for (const gid of [GROUP_NORTH, GROUP_SOUTH]) {
      const group = app.ctx.store.domain('demo')!.groupsById.get(gid)!
      t.ok(group.users.includes(JDOE), `group ${gid} lists the user`)
    }
    const old = app.ctx.store.domain('demo')!.groupsById.get(GROUP_SUPERVISORS)!
    t.notOk(old.users.includes(JDOE), 'the replaced group no longer lists the user')
  })
}

interface Case {
  name: string
  body: unknown
  status: number
  error?: unknown
  /** Checks on the answer of a 200. */
  check?: (t: Tap.Test, user: Record<string, any>) => void
}

const cases: Case[] = [
  {
    name: 'non-editable keys and a non-string default_phone_number are answered together',
    body: { username: 'x', default_phone_number: 1234567890 },
    status: 400,
    error: ERR("Attempted to update unknown or non-editable field 'username'", "'default_phone_number' must be a string")
  },
  {
    name: 'a GET body sent straight back fails, as in HQ',
    body: { id: JDOE, eulas: '[]', resource_uri: 'x', first_name: 'A' },
    status: 400,
    error: ERR(...['id', 'eulas', 'resource_uri'].map(k => `Attempted to update unknown or non-editable field '${k}'`))
  },
  {
    name: 'is_active cannot be set by PUT',
    body: { is_active: false },
    status: 400,
    error: ERR("Attempted to update unknown or non-editable field 'is_active'")
  },
  {
    name: 'scalars not sent stay as they are',
    body: { first_name: 'Only' },
    status: 200,
    check: (t, u) => {
      t.equal(u.first_name, 'Only')
      t.equal(u.last_name, 'Doe')
      t.equal(u.email, 'jane.doe@example.org')
      t.strictSame(u.phone_numbers, ['254700000001'])
      t.strictSame(u.groups, [GROUP_SUPERVISORS])
    }
  },
  { name: 'email is lowercased, no format check', body: { email: 'Not An Email' }, status: 200, check: (t, u) => t.equal(u.email, 'not an email') },
  { name: 'first_name of the wrong JSON type is a 500', body: { first_name: 5 }, status: 500, error: CANNED_500 },
  { name: 'email null is a 500', body: { email: null }, status: 500, error: CANNED_500 },
  { name: 'password must be a string (500 otherwise)', body: { password: 1234 }, status: 500, error: CANNED_500 },
  {
    name: 'phone_numbers lose one leading + and duplicates',
    body: { phone_numbers: ['++1', '+2', '2', '3'] },
    status: 200,
    check: (t, u) => {
      t.strictSame(u.phone_numbers, ['+1', '2', '3'])
      t.equal(u.default_phone_number, '+1')
    }
  },
  { name: 'an empty phone list leaves default null', body: { phone_numbers: [] }, status: 200, check: (t, u) => t.equal(u.default_phone_number, null) },
  { name: 'phone_numbers that is not a list or string is a 500', body: { phone_numbers: 5 }, status: 500, error: CANNED_500 },
  {
    name: 'default_phone_number moves an existing number to the front',
    body: { phone_numbers: ['1', '2'], default_phone_number: '+2' },
    status: 200,
    check: (t, u) => t.strictSame(u.phone_numbers, ['2', '1'])
  },
  {
    name: 'default_phone_number inserts a new number at the front',
    body: { default_phone_number: '999' },
    status: 200,
    check: (t, u) => t.strictSame(u.phone_numbers, ['999', '254700000001'])
  },
  {
    name: 'groups replace the memberships',
    body: { groups: [GROUP_SOUTH] },
    status: 200,
    check: (t, u) => t.strictSame(u.groups, [GROUP_SOUTH])
  },
  { name: 'groups [] removes every membership', body: { groups: [] }, status: 200, check: (t, u) => t.strictSame(u.groups, []) },
  {
    name: 'a group of another domain is a 400 with a list repr',
    body: { groups: [GROUP_OTHER] },
    status: 400,
    error: { error: `['Unable to save groups. The following group_ids are not in the current domain: ${GROUP_OTHER}']` }
  },
  {
    name: 'a group that exists nowhere is the same 400',
    body: { groups: [NOWHERE_GROUP] },
    status: 400,
    error: { error: `['Unable to save groups. The following group_ids are not in the current domain: ${NOWHERE_GROUP}']` }
  },
  {
    name: 'the groups 400 lists the outside ids in request order, once each, and skips current memberships',
    body: { groups: [NOWHERE_GROUP, GROUP_SUPERVISORS, GROUP_OTHER, GROUP_NORTH, NOWHERE_GROUP] },
    status: 400,
    error: { error: `['Unable to save groups. The following group_ids are not in the current domain: ${NOWHERE_GROUP}, ${GROUP_OTHER}']` }
  },
  {
    name: 'the groups 400 replaces the errors collected before it',
    body: { foo: 1, role: 'Nope', groups: [NOWHERE_GROUP], first_name: 5 },
    status: 400,
    error: { error: `['Unable to save groups. The following group_ids are not in the current domain: ${NOWHERE_GROUP}']` }
  },
  { name: 'groups that is not a list is a 500', body: { groups: GROUP_NORTH }, status: 500, error: CANNED_500 },
  {
    name: 'user_data replaces the stored keys',
    body: { user_data: { new_key: 'v' } },
    status: 200,
    check: (t, u) => {
      t.equal(u.user_data.new_key, 'v')
      t.notOk('favourite_colour' in u.user_data)
      t.equal(u.user_data.chw_id, '', 'a defined custom field shows "" when unset')
    }
  },
  {
    name: 'system keys may be sent with their current value',
    body: { user_data: { commcare_project: 'demo', commcare_location_id: LOC_KIBERA, chw_id: 'A' } },
    status: 200,
    check: (t, u) => t.equal(u.user_data.chw_id, 'A')
  },
  {
    name: 'a system key with another value is refused',
    body: { user_data: { commcare_project: 'elsewhere', commcare_location_ids: 'x y' } },
    status: 400,
    error: ERR("'commcare_project' cannot be set directly", "'commcare_location_ids' cannot be set directly")
  },
  {
    name: 'an empty system key is skipped',
    body: { user_data: { commcare_project: '' } },
    status: 200
  },
  {
    name: 'commcare_profile assigns a profile whose fields show',
    body: { user_data: { commcare_profile: 1 } },
    status: 200,
    check: (t, u) => {
      t.equal(u.user_data.commcare_profile, 1)
      t.equal(u.user_data.program, 'maternal-health')
    }
  },
  { name: 'an unknown profile is refused', body: { user_data: { commcare_profile: 99 } }, status: 400, error: ERR('User data profile not found') },
  {
    name: 'a profile field cannot be overridden',
    body: { user_data: { commcare_profile: '1', program: 'other' } },
    status: 400,
    error: ERR("'program' cannot be set directly")
  },
  { name: 'user_data that is not an object is a 500', body: { user_data: ['a'] }, status: 500, error: CANNED_500 },
  {
    name: 'locations replace, primary must be in them',
    body: { primary_location: LOC_WESTLANDS, locations: [LOC_NAIROBI, LOC_WESTLANDS] },
    status: 200,
    check: (t, u) => {
      t.strictSame(u.locations, [LOC_NAIROBI, LOC_WESTLANDS])
      t.equal(u.primary_location, LOC_WESTLANDS)
      t.equal(u.user_data.commcare_location_ids, `${LOC_NAIROBI} ${LOC_WESTLANDS}`)
      t.equal(u.user_data.commcare_location_id, LOC_WESTLANDS)
    }
  },
  {
    name: 'empty primary and locations remove every location',
    body: { primary_location: '', locations: [] },
    status: 200,
    check: (t, u) => {
      t.strictSame(u.locations, [])
      t.equal(u.primary_location, null)
      t.notOk('commcare_location_id' in u.user_data)
      t.notOk('commcare_location_ids' in u.user_data)
      t.notOk('commcare_primary_case_sharing_id' in u.user_data)
    }
  },
  ...CLEARING.map((body): Case => ({
    name: `${JSON.stringify(body)} removes every location`,
    body,
    status: 200,
    check: (t, u) => {
      t.strictSame(u.locations, [])
      t.equal(u.primary_location, null)
      t.notOk('commcare_location_ids' in u.user_data)
    }
  })),
  ...[{}, { primary_location: null }, { locations: null }, { primary_location: null, locations: null }].map((body): Case => ({
    name: `${JSON.stringify(body)} leaves the locations alone`,
    body,
    status: 200,
    check: (t, u) => {
      t.strictSame(u.locations, [LOC_KIBERA])
      t.equal(u.primary_location, LOC_KIBERA)
    }
  })),
  ...[
    { primary_location: LOC_NAIROBI },
    { locations: [LOC_NAIROBI] },
    { primary_location: '', locations: [LOC_NAIROBI] },
    { primary_location: LOC_NAIROBI, locations: [] },
    { primary_location: LOC_NAIROBI, locations: null }
  ].map((body): Case => ({
    name: `${JSON.stringify(body)}: both are needed`,
    body,
    status: 400,
    error: ERR('Both primary_location and locations must be provided together.')
  })),
  {
    name: 'primary not in the list',
    body: { primary_location: LOC_NAIROBI, locations: [LOC_KIBERA] },
    status: 400,
    error: ERR('Primary location must be included in the list of locations.')
  },
  {
    name: 'unknown location ids',
    body: { primary_location: 'nowhere', locations: ['nowhere', LOC_KIBERA, 'gone'] },
    status: 400,
    error: ERR('Could not find location ids: nowhere, gone.')
  },
  { name: 'a known role, by its name', body: { role: 'Field Supervisor' }, status: 200, check: (t, u) => t.equal(u.role, 'Field Supervisor') },
  { name: 'an unknown role', body: { role: 'Chief' }, status: 400, error: ERR("The role 'Chief' does not exist") },
  { name: 'a role name matches exactly (case counts)', body: { role: 'field supervisor' }, status: 400, error: ERR("The role 'field supervisor' does not exist") },
  { name: 'a role that is not a string does not exist', body: { role: null }, status: 400, error: ERR("The role 'None' does not exist") },
  {
    name: 'send_confirmation_email_now on a confirmed worker',
    body: { send_confirmation_email_now: true },
    status: 400,
    error: { error: "The confirmation email can not be sent because this user's account is already confirmed." }
  },
  { name: 'send_confirmation_email_now false is accepted', body: { send_confirmation_email_now: 'no' }, status: 200 },
  { name: 'send_confirmation_email_now that is not a boolean is a 500', body: { send_confirmation_email_now: 'maybe', foo: 1 }, status: 500, error: CANNED_500 },
  {
    name: 'require_account_confirmation cannot be set by PUT',
    body: { require_account_confirmation: true },
    status: 400,
    error: ERR("Attempted to update unknown or non-editable field 'require_account_confirmation'")
  },
  { name: 'language is stored and returned', body: { language: 'fr' }, status: 200, check: (t, u) => t.equal(u.language, 'fr') },
  { name: 'language "" is kept as ""', body: { language: '' }, status: 200, check: (t, u) => t.equal(u.language, '') },
  { name: 'language null is a 500', body: { language: null }, status: 500, error: CANNED_500 },
  { name: 'a weak password is fine where strong_mobile_passwords is off', body: { password: 'abc' }, status: 200 },
  {
    name: 'password is accepted and never returned',
    body: { password: 'new-secret' },
    status: 200,
    check: (t, u) => t.notOk(JSON.stringify(u).includes('new-secret'))
  },
  {
    name: 'errors are collected in key order with the locations last',
    body: { locations: [LOC_NAIROBI], role: 'Nope', foo: 1 },
    status: 400,
    error: ERR("The role 'Nope' does not exist", "Attempted to update unknown or non-editable field 'foo'", 'Both primary_location and locations must be provided together.')
  },
  {
    name: 'HTML in a message is escaped as tastypie does',
    body: { '<b>&': 1 },
    status: 400,
    error: ERR("Attempted to update unknown or non-editable field '&lt;b&gt;&amp;'")
  },
  { name: 'an empty object changes nothing and answers 200', body: {}, status: 200 }
]

t.test('PUT rules (BEHAVIOR §4), both URL styles', async t => {
  for (const style of STYLES) {
    for (const c of cases) {
      await t.test(`${style.name}: ${c.name}`, async t => {
        const app = await build(t)
        const before = await app.inject({ method: 'GET', url: style.user(JDOE), headers: { authorization: ADMIN } })
        const res = await app.inject({ method: 'PUT', url: style.user(JDOE), headers: JSON_HEADERS, payload: JSON.stringify(c.body) })
        t.equal(res.statusCode, c.status, res.body)
        if (c.status !== 200) {
          t.ok(res.headers['x-mock-reason'], 'X-Mock-Reason explains the answer')
          t.equal(res.headers['content-type'], 'application/json')
          const after = await app.inject({ method: 'GET', url: style.user(JDOE), headers: { authorization: ADMIN } })
          t.equal(after.body, before.body, 'a refused PUT changes nothing')
        } else {
          const get = await app.inject({ method: 'GET', url: style.user(JDOE), headers: { authorization: ADMIN } })
          t.equal(res.body, get.body, 'the answer equals the following GET')
        }
        if (c.error !== undefined) t.strictSame(res.json(), c.error)
        if (c.check !== undefined) c.check(t, res.json())
      })
    }
  }
})

t.test('merge mode keeps user_data keys that are not sent (HQ code behaviour)', async t => {
  const app = await build(t, { userDataMode: 'merge' })
  const res = await app.inject({ method: 'PUT', url: `/a/demo/api/v0.5/user/${JDOE}/`, headers: JSON_HEADERS, payload: { user_data: { chw_id: 'X' } } })
  t.equal(res.statusCode, 200)
  t.equal(res.json().user_data.favourite_colour, 'blue')
  t.equal(res.json().user_data.chw_id, 'X')
  const conflict = await app.inject({
    method: 'PUT',
    url: `/a/demo/api/v0.5/user/${JDOE}/`,
    headers: JSON_HEADERS,
    payload: { user_data: { program: 'mine' } }
  })
  t.equal(conflict.statusCode, 200)
  const res2 = await app.inject({ method: 'PUT', url: `/a/demo/api/v0.5/user/${JDOE}/`, headers: JSON_HEADERS, payload: { user_data: { commcare_profile: 1 } } })
  t.equal(res2.statusCode, 400)
  t.strictSame(res2.json(), ERR('Profile conflicts with existing data'))
})

t.test('PUT of a missing, foreign or retired id is a 500, as in HQ', async t => {
  const store = await Store.open({ seedPath: SEED, dataDir: null })
  store.domain('demo')!.usersById.get(AMINA)!.retired = true
  const app = await build(t, { store })
  for (const id of ['0000000000000000000000000000000f', MARY, AMINA]) {
    const res = await app.inject({ method: 'PUT', url: `/a/demo/api/v0.5/user/${id}/`, headers: JSON_HEADERS, payload: { first_name: 'x' } })
    t.equal(res.statusCode, 500, id)
    t.strictSame(res.json(), CANNED_500)
    t.match(res.headers['x-mock-reason'], /500/)
  }
})

t.test('membership stays in step when a group is dropped', async t => {
  const app = await build(t)
  const url = `/a/demo/api/v0.5/user/${AMINA}/`
  const res = await app.inject({ method: 'PUT', url, headers: JSON_HEADERS, payload: { groups: [GROUP_SOUTH, GROUP_SOUTH] } })
  t.equal(res.statusCode, 200)
  t.strictSame(res.json().groups, [GROUP_SOUTH], 'duplicates collapse')
  const d = app.ctx.store.domain('demo')!
  t.notOk(d.groupsById.get(GROUP_NORTH)!.users.includes(AMINA))
  t.strictSame(d.groupsById.get(GROUP_SOUTH)!.users, [AMINA])
})

t.test('__proto__ and constructor keys neither pollute nor crash', async t => {
  const app = await build(t)
  const url = `/a/demo/api/v0.5/user/${JDOE}/`
  const top = await app.inject({ method: 'PUT', url, headers: JSON_HEADERS, payload: '{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 1}}}' })
  t.equal(top.statusCode, 400)
  t.strictSame(top.json(), ERR("Attempted to update unknown or non-editable field '__proto__'", "Attempted to update unknown or non-editable field 'constructor'"))
  const nested = await app.inject({ method: 'PUT', url, headers: JSON_HEADERS, payload: '{"user_data": {"__proto__": {"polluted": 1}, "constructor": "c", "prototype": "p"}}' })
  t.equal(nested.statusCode, 200)
  t.strictSame(Object.getOwnPropertyDescriptor(nested.json().user_data, '__proto__')?.value, { polluted: 1 })
  t.equal(nested.json().user_data.constructor, 'c')
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is untouched')
  const get = await app.inject({ method: 'GET', url, headers: { authorization: ADMIN } })
  t.equal(get.body, nested.body)
})

t.test('strong_mobile_passwords (domain other): a weak password is a collected error', async t => {
  const app = await build(t)
  const url = `/a/other/api/v0.5/user/${MARY}/`
  const cases: Array<[string, number]> = [
    ['abc', 400], // too short
    ['abcdefgh', 400], // one kind
    ['abcdefg1', 400], // two kinds
    ['Abcdef1', 400], // three kinds, 7 characters
    ['Abcdefg1', 200], // lower, upper, digit
    ['abcdef1!', 200], // lower, digit, symbol
    ['ÉCOLE-été', 200] // upper, lower, symbol; letters beyond ASCII count
  ]
  for (const [password, status] of cases) {
    const before = await app.inject({ url, headers: { authorization: ADMIN } })
    const res = await app.inject({ method: 'PUT', url, headers: JSON_HEADERS, payload: { first_name: 'Mary', password } })
    t.equal(res.statusCode, status, password)
    if (status === 400) {
      t.strictSame(res.json(), ERR('Password is not strong enough.'), password)
      t.notOk(String(res.headers['x-mock-reason']).includes(password), 'the reason does not repeat the password')
      t.equal((await app.inject({ url, headers: { authorization: ADMIN } })).body, before.body, 'nothing changed')
    }
  }
  const together = await app.inject({ method: 'PUT', url, headers: JSON_HEADERS, payload: { foo: 1, password: 'weak', role: 'Nope' } })
  t.strictSame(together.json(), ERR("Attempted to update unknown or non-editable field 'foo'", 'Password is not strong enough.', "The role 'Nope' does not exist"), 'collected in key order')
  const basic = (pw: string) => 'Basic ' + Buffer.from(`mary.banda@other.commcarehq.org:${pw}`).toString('base64')
  t.equal((await app.inject({ url: '/a/other/api/v0.5/user/', headers: { authorization: basic('ÉCOLE-été') } })).statusCode, 403, 'the last strong password is the one stored')
  t.equal((await app.inject({ url: '/a/other/api/v0.5/user/', headers: { authorization: basic('abcdef1!') } })).statusCode, 401)
})

t.test('the same locations in another order keep the stored order; the primary still moves', async t => {
  const app = await build(t)
  const url = `/a/demo/api/v0.5/user/${BRIAN}/`
  const res = await app.inject({ method: 'PUT', url, headers: JSON_HEADERS, payload: { primary_location: LOC_NAIROBI, locations: [LOC_WESTLANDS, LOC_NAIROBI] } })
  t.equal(res.statusCode, 200)
  t.strictSame(res.json().locations, [LOC_NAIROBI, LOC_WESTLANDS])
  t.equal(res.json().primary_location, LOC_NAIROBI)
  t.equal(res.json().user_data.commcare_location_id, LOC_NAIROBI)
  const changed = await app.inject({ method: 'PUT', url, headers: JSON_HEADERS, payload: { primary_location: LOC_KIBERA, locations: [LOC_KIBERA, LOC_NAIROBI] } })
  t.strictSame(changed.json().locations, [LOC_KIBERA, LOC_NAIROBI], 'another set replaces, in the order sent')
})

t.test('{"locations": []} alone clears a worker that has locations (what commcare-nova sends)', async t => {
  const app = await build(t)
  for (const style of STYLES) {
    const url = style.user(BRIAN)
    await app.inject({ method: 'PUT', url, headers: JSON_HEADERS, payload: { primary_location: LOC_NAIROBI, locations: [LOC_NAIROBI] } })
    const res = await app.inject({ method: 'PUT', url, headers: JSON_HEADERS, payload: { locations: [] } })
    t.equal(res.statusCode, 200)
    t.strictSame(res.json().locations, [])
    t.equal(res.json().primary_location, null)
    t.strictSame(Object.keys(res.json().user_data), ['commcare_profile', 'commcare_project', 'chw_id'].sort())
  }
})
