import t from 'tap'
import fc from 'fast-check'
import { buildApp } from '../../src/app.js'
import { Store } from '../../src/store/store.js'
import { emailHeader } from '../../src/mock/outbox.js'
import { ADMIN, AMINA, BRIAN, CAROL, DAVID, GROUP_NORTH, GROUP_OTHER, GROUP_SOUTH, GROUP_SUPERVISORS, JDOE, LOC_KIBERA, LOC_NAIROBI, LOC_WESTLANDS, MARY, SEED } from '../helpers/app.js'

// Property-based: random sequences of valid and invalid writes on random users
// of domain demo. After every step the invariants of BEHAVIOR.md hold.

const SEEDED = [JDOE, AMINA, BRIAN, CAROL, DAVID]
const GROUPS = [GROUP_NORTH, GROUP_SOUTH, GROUP_SUPERVISORS]
const LOCATIONS = [LOC_NAIROBI, LOC_KIBERA, LOC_WESTLANDS]
const BASE = '/a/demo/api/v0.5/user/'
const ROLES = ['Mobile Worker', 'Field Supervisor', 'Mobile Worker Default', 'API Reader', 'Project Manager']
const WORKER_KEYS = ['default_phone_number', 'email', 'eulas', 'first_name', 'groups', 'id', 'language', 'last_name', 'locations',
  'phone_numbers', 'primary_location', 'resource_uri', 'role', 'user_data', 'username']

/** A request, and whether a 500 is one of the documented HQ 500s for it. */
interface Step {
  method: 'PUT' | 'POST' | 'DELETE'
  /** Index into the known ids (seeded + created), or -1 for an unknown id. */
  target: number
  action?: 'activate' | 'deactivate' | 'email_password_reset'
  body?: Record<string, unknown>
  may500: boolean
}

const text = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('', 'Ünïcødé', '👩🏽‍⚕️', 'a\u0000b', '__proto__'))
const phone = fc.oneof(fc.stringMatching(/^\+?[0-9]{6,12}$/), fc.constant('+'))

// Each field is [valid-or-invalid value, whether it is a documented 500 trigger].
const field = fc.oneof(
  fc.record({ k: fc.constant('first_name'), v: text, bad: fc.constant(false) }),
  fc.record({ k: fc.constant('last_name'), v: fc.oneof(text, fc.integer()), bad: fc.constant(false) }).map(f => ({ ...f, bad: typeof f.v !== 'string' })),
  fc.record({ k: fc.constant('email'), v: fc.oneof(text, fc.constant(null)), bad: fc.constant(false) }).map(f => ({ ...f, bad: f.v === null })),
  fc.record({ k: fc.constant('language'), v: fc.oneof(text, fc.constant(null)), bad: fc.constant(false) }).map(f => ({ ...f, bad: f.v === null })),
  fc.record({ k: fc.constant('phone_numbers'), v: fc.array(phone, { maxLength: 4 }), bad: fc.constant(false) }),
  fc.record({ k: fc.constant('default_phone_number'), v: fc.oneof(phone, fc.integer()), bad: fc.constant(false) }),
  // A group of another domain, or of none, is HQ's groups 400 (no longer a 500).
  fc.record({ k: fc.constant('groups'), v: fc.subarray([...GROUPS, GROUP_OTHER, 'no-such-group']), bad: fc.constant(false) }),
  fc.record({
    k: fc.constant('user_data'),
    v: fc.oneof(
      fc.dictionary(fc.constantFrom('chw_id', 'note', '__proto__', 'constructor', 'commcare_project', 'commcare_profile', 'commcare_location_id'), fc.oneof(text, fc.constantFrom('demo', '1', '99'))),
      fc.constant('not an object')
    ),
    bad: fc.constant(false)
  }).map(f => ({ ...f, bad: typeof f.v === 'string' })),
  fc.record({ k: fc.constant('locations'), v: fc.subarray([...LOCATIONS, 'nowhere']), bad: fc.constant(false) }),
  fc.record({ k: fc.constant('primary_location'), v: fc.constantFrom(...LOCATIONS, '', 'nowhere'), bad: fc.constant(false) }),
  fc.record({ k: fc.constant('role'), v: fc.constantFrom<unknown>(...ROLES, 'Boss', 'mobile worker', '', null), bad: fc.constant(false) }),
  fc.record({ k: fc.constant('send_confirmation_email_now'), v: fc.constantFrom<unknown>(true, false, 'yes', 'N', null, 'maybe', 1), bad: fc.constant(false) })
    .map(f => ({ ...f, bad: f.v === 'maybe' || f.v === 1 })),
  fc.record({ k: fc.constant('password'), v: fc.constantFrom('pw', 'Str0ng-enough'), bad: fc.constant(false) }),
  // Not editable by PUT (a collected error); on POST a flag that must parse.
  fc.record({ k: fc.constant('require_account_confirmation'), v: fc.constantFrom<unknown>(true, 'no', 'sometimes'), bad: fc.constant(false) })
    .map(f => ({ ...f, bad: f.v === 'sometimes' })),
  fc.record({ k: fc.constantFrom('username', 'id', 'is_active', '__proto__'), v: text, bad: fc.constant(false) })
)

// Bodies that should succeed, so the sequences also build up state.
const validBody = fc.record({
  first_name: text,
  email: text,
  phone_numbers: fc.array(phone, { maxLength: 3 }),
  groups: fc.subarray(GROUPS),
  user_data: fc.dictionary(fc.constantFrom('chw_id', 'note', '__proto__'), text),
  language: fc.oneof(fc.constantFrom('en', 'sw', 'fra'), text),
  role: fc.constantFrom(...ROLES),
  locations: fc.constantFrom<[string[] | undefined, string | undefined]>(
    [[LOC_KIBERA], LOC_KIBERA], [[LOC_NAIROBI, LOC_WESTLANDS], LOC_WESTLANDS], [[], ''], [[], undefined], [undefined, ''])
}, { requiredKeys: [] }).map(r => {
  const b: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(r)) {
    if (k === 'locations') {
      // Locations sent together, or cleared by one key sent alone.
      const [locations, primary] = v as [string[] | undefined, string | undefined]
      if (locations !== undefined) b.locations = locations
      if (primary !== undefined) b.primary_location = primary
    } else Object.defineProperty(b, k, { value: v, enumerable: true, writable: true, configurable: true })
  }
  return { b, bad: false }
})

const anyBody = fc.array(field, { maxLength: 5 }).map(fields => {
  const b: Record<string, unknown> = {}
  let bad = false
  for (const f of fields) {
    Object.defineProperty(b, f.k, { value: f.v, enumerable: true, writable: true, configurable: true })
    bad ||= f.bad
  }
  return { b, bad }
})

const body = fc.oneof({ weight: 3, arbitrary: validBody }, { weight: 2, arbitrary: anyBody })

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ target: fc.integer({ min: -1, max: 8 }), body }).map(({ target, body }) => ({ method: 'PUT' as const, target, body: body.b, may500: body.bad || target === -1 })),
  fc.record({
    name: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('new.one', 'new two', 'new.three') }, fc.constantFrom('jdoe', 'admin', 'bad!name', 'x@elsewhere.org')),
    password: fc.option(fc.constant('pw-123'), { nil: undefined, freq: 4 }),
    // Group ids outside the domain make HQ retire the worker it has just made.
    groups: fc.option(fc.subarray([...GROUPS, GROUP_OTHER, 'no-such-group'], { minLength: 1 }), { nil: undefined }),
    // Two-stage confirmation: the flags as HQ's string_to_boolean reads them, and an address to confirm.
    confirm: fc.option(fc.record({
      require_account_confirmation: fc.constantFrom<unknown>(true, 'yes', false, null),
      send_confirmation_email_now: fc.constantFrom<unknown>(true, 'T', false, 'maybe'),
      email: fc.constantFrom('new@example.org', '')
    }, { requiredKeys: [] }), { nil: undefined }),
    body
  }).map(({ name, password, groups, confirm, body }) => ({
    method: 'POST' as const,
    target: 0,
    body: { ...body.b, ...confirm, username: name, ...(password === undefined ? {} : { password }), ...(groups === undefined ? {} : { groups }) },
    may500: body.bad || confirm?.send_confirmation_email_now === 'maybe'
  })),
  fc.integer({ min: -1, max: 8 }).map(target => ({ method: 'DELETE' as const, target, may500: false })),
  fc.record({ target: fc.integer({ min: -1, max: 8 }), action: fc.constantFrom('activate' as const, 'deactivate' as const, 'email_password_reset' as const) })
    .map(({ target, action }) => ({ method: 'POST' as const, target, action, may500: false }))
)

t.test('random write sequences keep the invariants', async t => {
  const store = await Store.open({ seedPath: SEED, dataDir: null })
  const app = await buildApp({ store })
  t.teardown(() => app.close())
  const headers = { authorization: ADMIN, 'content-type': 'application/json' }
  const snapshot = (): string => JSON.stringify(store.exportState())

  async function checkInvariants (where: string): Promise<void> {
    const demo = store.exportState().domains.demo
    const users = new Map(demo.users.map(u => [u.id, u]))
    for (const g of demo.groups) {
      for (const uid of g.users) {
        const u = users.get(uid)
        if (u === undefined || !u.groups.includes(g.id)) throw new Error(`${where}: group ${g.id} lists ${uid}, who does not list it`)
        if (u.retired) throw new Error(`${where}: group ${g.id} still lists retired ${uid}`)
      }
    }
    for (const u of demo.users) {
      for (const gid of u.groups) {
        const g = demo.groups.find(x => x.id === gid)
        if (g === undefined || !g.users.includes(u.id)) throw new Error(`${where}: ${u.id} lists group ${gid}, which does not list it`)
      }
    }
    for (const archived of ['false', 'true']) {
      const res = await app.inject({ method: 'GET', url: `${BASE}?limit=0&archived=${archived}`, headers })
      if (res.statusCode !== 200) throw new Error(`${where}: list answered ${res.statusCode}`)
      for (const u of res.json().objects) {
        if (JSON.stringify(Object.keys(u)) !== JSON.stringify(WORKER_KEYS)) throw new Error(`${where}: ${u.id} has keys ${Object.keys(u).join(', ')}`)
        if (!ROLES.includes(u.role)) throw new Error(`${where}: ${u.id} reports role ${JSON.stringify(u.role)}`)
        if (u.language !== null && typeof u.language !== 'string') throw new Error(`${where}: ${u.id} language ${JSON.stringify(u.language)}`)
        if (users.get(u.id)?.is_active !== (archived === 'false')) throw new Error(`${where}: ${u.id} listed with archived=${archived} but is_active is ${String(users.get(u.id)?.is_active)}`)
        if (u.default_phone_number !== (u.phone_numbers[0] ?? null)) throw new Error(`${where}: ${u.id} default_phone_number is not phone_numbers[0]`)
        if (u.user_data.commcare_project !== 'demo' || !('commcare_profile' in u.user_data)) throw new Error(`${where}: ${u.id} lacks system keys`)
        if (u.locations.length > 0 && u.user_data.commcare_location_id !== u.primary_location) throw new Error(`${where}: ${u.id} location keys out of step`)
        for (const gid of u.groups) if (!GROUPS.includes(gid)) throw new Error(`${where}: ${u.id} shows foreign group ${gid}`)
      }
    }
  }

  /**
   * A create whose update step failed after HQ made the worker: HQ retires it,
   * so the only change allowed is one retired record, in no group, keeping the
   * username ([R2 §B.1]).
   */
  let reserved = 0
  let emails = 0
  function onlyReserved (before: string, after: string, s: Step, reason: string): boolean {
    if (s.method !== 'POST' || s.action !== undefined || !/stays taken/.test(reason)) return false
    const state = JSON.parse(after)
    const users = state.domains.demo.users
    const added = users.pop()
    if (added?.retired !== true || added.groups.length !== 0 || !reason.includes(`'${added.username}'`)) return false
    reserved++
    return JSON.stringify(state) === before
  }

  /** An answer names an e-mail in X-Mock-Email exactly when it recorded one in the outbox. */
  function checkOutbox (where: string, res: { statusCode: number, headers: Record<string, unknown> }, mailed: number, userId: string): void {
    const header = res.headers['x-mock-email']
    const grown = app.ctx.outbox.size - mailed
    if (header === undefined) {
      if (grown !== 0) throw new Error(`${where}: ${grown} e-mail(s) recorded without X-Mock-Email`)
      return
    }
    if (res.statusCode >= 300) throw new Error(`${where}: X-Mock-Email on a failed answer`)
    if (grown !== 1) throw new Error(`${where}: X-Mock-Email but ${grown} e-mails recorded`)
    emails++
    const email = app.ctx.outbox.list().at(-1)!
    // The header is the entry's `<type> → <address>` (control characters in the address shown as '?').
    if (header !== emailHeader(email) || email.domain !== 'demo' || email.user_id !== userId) {
      throw new Error(`${where}: X-Mock-Email '${String(header)}' does not match the outbox entry ${JSON.stringify(email)}`)
    }
  }

  let runs = 0
  let steps = 0
  const statuses = new Map<number, number>()
  await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async seq => {
    runs++
    await store.resetAll()
    const ids = [...SEEDED, MARY]
    for (const [i, s] of seq.entries()) {
      steps++
      const id = s.target === -1 ? 'ffffffffffffffffffffffffffffffff' : ids[s.target % ids.length]
      const url = s.method === 'POST' && s.action === undefined ? BASE : `${BASE}${id}/${s.action === undefined ? '' : s.action + '/'}`
      const before = snapshot()
      const mailed = app.ctx.outbox.size
      const res = await app.inject({ method: s.method, url, headers, payload: s.body === undefined ? undefined : JSON.stringify(s.body) })
      const where = `step ${i} ${s.method} ${url} ${JSON.stringify(s.body) ?? ''} → ${res.statusCode}`
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1)
      const reason = String(res.headers['x-mock-reason'] ?? '')
      if (/unexpected error in the mock/.test(reason)) throw new Error(`${where}: ${reason}`)
      if (res.statusCode === 500 && !(s.may500 || (s.method === 'PUT' && (id === MARY || !store.domain('demo')!.liveUser(id))))) {
        // A PUT on a retired or foreign user is a documented 500 too.
        throw new Error(`${where}: an undocumented 500 (${reason})`)
      }
      if (res.statusCode >= 400 && snapshot() !== before && !onlyReserved(before, snapshot(), s, reason)) {
        throw new Error(`${where}: a failed request changed the state`)
      }
      if (s.action === 'email_password_reset' && snapshot() !== before) throw new Error(`${where}: a password reset changed the state`)
      checkOutbox(where, res, mailed, s.action === undefined && s.method === 'POST' ? res.json().id : id)
      if (s.method === 'PUT' && res.statusCode === 200) {
        const again = await app.inject({ method: 'GET', url, headers })
        if (again.body !== res.body) throw new Error(`${where}: the PUT answer differs from the following GET`)
      }
      if (s.method === 'POST' && s.action === undefined && res.statusCode === 201) {
        const created = res.json().id as string
        const again = await app.inject({ method: 'GET', url: `${BASE}${created}/`, headers })
        if (again.statusCode !== 200) throw new Error(`${where}: the created user cannot be read`)
        if (res.headers.location !== `${BASE}${created}/`) throw new Error(`${where}: wrong Location`)
        ids.push(created)
      }
      await checkInvariants(where)
    }
  }), { numRuns: 60, seed: Number(process.env.FC_SEED ?? Date.now() % 2 ** 31) })

  t.comment(`property test: ${runs} runs, ${steps} requests; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}; ${reserved} usernames reserved by a failed create, ${emails} e-mails`)
  t.ok(runs >= 60, `${runs} runs`)
  t.ok((statuses.get(200) ?? 0) > 0 && (statuses.get(400) ?? 0) > 0, 'both successes and refusals were exercised')
  t.ok((statuses.get(202) ?? 0) > 0 && (statuses.get(201) ?? 0) > 0, 'creates and 202 actions were exercised')
  t.ok(reserved > 0 && emails > 0, 'failed creates that keep the username, and e-mails, were exercised')
})
