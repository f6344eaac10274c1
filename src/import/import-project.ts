import { createHash, randomBytes } from 'node:crypto'
import { HqClient, HqClientError } from '../client/hq-client.js'
import type { Group, Location, LocationType, Member, Profile, Role, Seed, SeedDomain, SeedUser } from '../store/schema.js'

// Builds a seed from what a project space's API answers: mobile workers
// (active and deactivated), groups, locations, location types, and what the
// worker objects reveal of custom user fields, profiles and roles. Secrets are
// never read (the API has none to give) and never invented silently.

const SYSTEM_KEYS = new Set(['commcare_project', 'commcare_profile', 'commcare_location_id', 'commcare_location_ids', 'commcare_primary_case_sharing_id'])
const PAGE = '1000'

export interface ImportOptions {
  domain: string
  /** The API key the seed's web user gets (the real one is never written). */
  placeholderKey: string
  /** Give every worker a generated password (returned once in `passwords`). */
  workerPasswords: boolean
  anonymize: boolean
  log?: (line: string) => void
}

export interface ImportResult {
  seed: Seed
  counts: { workers: number, groups: number, locations: number, location_types: number, roles: number, profiles: number, custom_user_fields: number }
  /** username → generated password, when asked for. */
  passwords: Array<[string, string]>
  /** Things the API could not tell, each said once. */
  notes: string[]
}

type Obj = Record<string, unknown>

const str = (v: unknown, fallback = ''): string => typeof v === 'string' ? v : fallback
const strOrNull = (v: unknown): string | null => typeof v === 'string' ? v : null

/** The last path segment of a (relative or absolute) resource URI. */
function lastSegment (uri: string): string {
  const segments = new URL(uri, 'http://x').pathname.split('/').filter(s => s !== '')
  return segments.at(-1) ?? ''
}

function hexId (...parts: string[]): string {
  return createHash('md5').update(parts.join(':')).digest('hex')
}

/** A list that may not exist on the target (older HQ, or a privilege or permission the caller lacks): null and a note. */
async function optionalList (client: HqClient, path: string, what: string, notes: string[], onPage?: (done: number, total: number | null) => void): Promise<{ objects: Obj[] | null, status: number }> {
  try {
    return { objects: await client.listAll<Obj>(path, { limit: PAGE }, onPage), status: 200 }
  } catch (err) {
    if (err instanceof HqClientError && (err.kind === 'http' || err.kind === 'forbidden')) {
      notes.push(`${what}: ${path} answered ${err.status ?? 'an error'}; none imported`)
      return { objects: null, status: err.status ?? 0 }
    }
    throw err
  }
}

export async function importProject (client: HqClient, options: ImportOptions): Promise<ImportResult> {
  const log = options.log ?? (() => {})
  const d = options.domain
  const notes: string[] = []
  const progress = (what: string) => (done: number, total: number | null): void => log(`${what}: ${done}${total === null ? '' : ` of ${total}`}`)

  const identity = await client.getJson('/api/v0.5/identity/') as Obj
  const domains = await client.send({ method: 'GET', path: '/api/v0.5/user_domains/' })
  const listed = ((domains.json as { objects?: Obj[] } | undefined)?.objects ?? []).find(o => o.domain_name === d)
  const projectName = str(listed?.project_name, d)

  let active: Obj[]
  try {
    active = await client.listAll<Obj>(`/a/${d}/api/v0.5/user/`, { limit: PAGE }, progress('active mobile workers'))
  } catch (err) {
    if (err instanceof HqClientError && err.status === 404) throw new HqClientError('http', `${client.baseUrl} has no project space '${d}' (404 for its worker list)`, 404)
    throw err
  }
  const archived = await client.listAll<Obj>(`/a/${d}/api/v0.5/user/`, { archived: 'true', limit: PAGE }, progress('deactivated mobile workers'))
  const groupsIn = await client.listAll<Obj>(`/a/${d}/api/v0.5/group/`, { limit: PAGE }, progress('groups'))
  const locList = await optionalList(client, `/a/${d}/api/v0.5/location/`, 'locations', notes, progress('locations'))
  const locV05 = locList.objects
  const locV2 = locV05 === null ? null : (await optionalList(client, `/a/${d}/api/location/v2/`, 'locations (v2)', notes)).objects
  const typesIn = locV05 === null ? null : (await optionalList(client, `/a/${d}/api/v0.5/location_type/`, 'location types', notes)).objects
  const webList = await optionalList(client, `/a/${d}/api/v0.5/web-user/`, 'web users (for roles)', notes)
  const webUsers = webList.objects
  // A project without the LOCATIONS privilege answers 403 before authentication;
  // a caller without the permission gets 401 for no credentials.
  let noLocationsPrivilege = false
  if (locList.status === 403) {
    noLocationsPrivilege = (await client.send({ method: 'GET', path: `/a/${d}/api/v0.5/location/`, auth: 'none' })).status === 403
  }

  // ---- location types and locations ------------------------------------------
  const types: LocationType[] = []
  const typeCodeByPk = new Map<string, string>()
  for (const t of typesIn ?? []) typeCodeByPk.set(String(t.id), str(t.code))
  for (const t of typesIn ?? []) {
    const parent = typeof t.parent === 'string' && t.parent !== '' ? typeCodeByPk.get(lastSegment(t.parent)) ?? null : null
    types.push({
      id: Number(t.id),
      code: str(t.code),
      name: str(t.name, str(t.code)),
      parent,
      administrative: t.administrative === true,
      shares_cases: t.shares_cases === true,
      view_descendants: t.view_descendants === true
    })
  }
  const v2ById = new Map((locV2 ?? []).map(l => [str(l.location_id), l]))
  const pkToLocationId = new Map((locV05 ?? []).map(l => [String(l.id), str(l.location_id)]))
  const sorted = [...(locV05 ?? [])].sort((a, b) => Number(a.id) - Number(b.id))
  const locations: Location[] = sorted.map(l => {
    const id = str(l.location_id)
    const v2 = v2ById.get(id)
    let typeCode = str(v2?.location_type_code)
    if (typeCode === '') {
      const t = str(l.location_type)
      typeCode = t.includes('/') ? typeCodeByPk.get(lastSegment(t)) ?? lastSegment(t) : t
    }
    let parent: string | null = null
    if (v2 !== undefined) parent = str(v2.parent_location_id) === '' ? null : str(v2.parent_location_id)
    else if (typeof l.parent === 'string' && l.parent !== '') {
      const seg = lastSegment(l.parent)
      parent = pkToLocationId.get(seg) ?? seg
    }
    return {
      id,
      name: str(l.name),
      site_code: str(l.site_code),
      location_type: typeCode,
      parent,
      latitude: strOrNull(l.latitude),
      longitude: strOrNull(l.longitude),
      external_id: strOrNull(l.external_id),
      location_data: (typeof l.location_data === 'object' && l.location_data !== null ? l.location_data : {}) as Record<string, unknown>,
      created_at: str(l.created_at),
      last_modified: str(l.last_modified)
    }
  })
  if (typesIn === null && locations.length > 0) {
    // No location-type resource: the types the locations name, with the names v2 gives.
    const seen = new Map<string, string>()
    for (const l of locations) if (!seen.has(l.location_type)) seen.set(l.location_type, str(v2ById.get(l.id)?.location_type_name, l.location_type))
    let n = 0
    for (const [code, name] of seen) types.push({ id: ++n, code, name, parent: null, administrative: false, shares_cases: false, view_descendants: false })
    notes.push('location types: derived from the locations (no location-type resource): parents and flags unknown')
  }
  if (locV05 === null) {
    // The workers still name their locations: keep the assignments on stand-ins.
    const named = new Set<string>()
    for (const w of [...active, ...archived]) if (Array.isArray(w.locations)) for (const l of w.locations) if (typeof l === 'string') named.add(l)
    for (const id of named) {
      locations.push({ id, name: id, site_code: id, location_type: 'imported', parent: null, latitude: null, longitude: null, external_id: null, location_data: {}, created_at: '', last_modified: '' })
    }
    if (named.size > 0) {
      types.push({ id: 1, code: 'imported', name: 'Imported', parent: null, administrative: false, shares_cases: false, view_descendants: false })
      notes.push(`locations: the ${named.size} locations workers are assigned to are stand-ins (named by their id), as the location resource could not be read`)
    }
  }
  const locationIds = new Set(locations.map(l => l.id))

  // ---- groups ------------------------------------------------------------------
  const groups: Group[] = groupsIn.map(g => ({
    id: str(g.id),
    name: str(g.name),
    case_sharing: g.case_sharing === true,
    reporting: g.reporting === true,
    metadata: (typeof g.metadata === 'object' && g.metadata !== null ? g.metadata : {}) as Record<string, unknown>,
    users: Array.isArray(g.users) ? g.users.filter((u): u is string => typeof u === 'string') : []
  }))
  const groupsById = new Map(groups.map(g => [g.id, g]))

  // ---- custom user fields and profiles, from the workers' user_data ---------------
  const all = [...active.map(w => ({ w, isActive: true })), ...archived.map(w => ({ w, isActive: false }))]
  const userData = (w: Obj): Obj => (typeof w.user_data === 'object' && w.user_data !== null ? w.user_data : {}) as Obj
  const customFields: string[] = []
  if (all.length > 0) {
    for (const k of Object.keys(userData(all[0].w))) {
      if (!SYSTEM_KEYS.has(k) && all.every(({ w }) => k in userData(w))) customFields.push(k)
    }
  }
  const profileOf = (w: Obj): number | null => {
    const p = userData(w).commcare_profile
    const n = typeof p === 'number' ? p : typeof p === 'string' && /^\d+$/.test(p) ? Number(p) : NaN
    return Number.isInteger(n) && n > 0 ? n : null
  }
  // A profile's fields: the keys every worker of the profile has with one same
  // non-empty value that no worker outside the profile shares.
  const profiles: Profile[] = []
  const byProfile = new Map<number, Obj[]>()
  for (const { w } of all) {
    const p = profileOf(w)
    if (p !== null) byProfile.set(p, [...(byProfile.get(p) ?? []), w])
  }
  for (const [id, members] of [...byProfile].sort((a, b) => a[0] - b[0])) {
    const fields: Record<string, string> = {}
    for (const [k, v] of Object.entries(userData(members[0]))) {
      if (SYSTEM_KEYS.has(k) || typeof v !== 'string' || v === '') continue
      if (!members.every(m => userData(m)[k] === v)) continue
      if (all.some(({ w }) => profileOf(w) !== id && userData(w)[k] === v)) continue
      fields[k] = v
    }
    profiles.push({ id, name: `Profile ${id}`, fields })
  }
  if (profiles.length > 0) notes.push('profiles: names are not in the API (named "Profile <id>"); fields inferred from the workers that use them')

  // ---- roles ---------------------------------------------------------------------
  const roleNames = new Map<string, Set<string>>()
  for (const wu of webUsers ?? []) {
    const role = str(wu.role)
    if (role === '' || role === 'Admin') continue
    const perms = new Set<string>()
    if (typeof wu.permissions === 'object' && wu.permissions !== null) {
      for (const [p, on] of Object.entries(wu.permissions)) if (on === true) perms.add(p)
    }
    roleNames.set(role, perms)
  }
  for (const { w } of all) {
    const r = str(w.role)
    if (r !== '' && !roleNames.has(r)) roleNames.set(r, new Set())
  }
  const roles: Role[] = [...roleNames].map(([name, perms]) => ({ id: hexId(d, 'role', name), name, permissions: [...perms].sort() }))

  // ---- workers -------------------------------------------------------------------
  const profileFields = new Map(profiles.map(p => [p.id, p.fields]))
  const passwords: Array<[string, string]> = []
  const users: SeedUser[] = all.map(({ w, isActive }) => {
    const id = str(w.id)
    const profileId = profileOf(w)
    const own: Record<string, unknown> = {}
    const fromProfile = profileId === null ? {} : profileFields.get(profileId) ?? {}
    for (const [k, v] of Object.entries(userData(w))) {
      if (SYSTEM_KEYS.has(k) || k in fromProfile) continue
      if (customFields.includes(k) && v === '') continue
      own[k] = v
    }
    const locs = Array.isArray(w.locations) ? w.locations.filter((l): l is string => typeof l === 'string' && locationIds.has(l)) : []
    const primary = typeof w.primary_location === 'string' && locs.includes(w.primary_location) ? w.primary_location : (locs[0] ?? null)
    const user: SeedUser = {
      id,
      username: str(w.username),
      first_name: str(w.first_name),
      last_name: str(w.last_name),
      email: str(w.email),
      language: strOrNull(w.language),
      phone_numbers: Array.isArray(w.phone_numbers) ? w.phone_numbers.filter((p): p is string => typeof p === 'string') : [],
      groups: Array.isArray(w.groups) ? w.groups.filter((g): g is string => typeof g === 'string' && groupsById.has(g)) : [],
      locations: locs,
      primary_location: primary,
      user_data: own,
      profile_id: profileId,
      role: str(w.role) === '' ? null : str(w.role),
      is_active: isActive
    }
    return user
  })
  // Groups list only active members; a deactivated worker's own `groups` completes them.
  for (const u of users) {
    for (const gid of u.groups) {
      const g = groupsById.get(gid)!
      if (!g.users.includes(u.id)) g.users.push(u.id)
    }
  }
  const usersById = new Map(users.map(u => [u.id, u]))
  for (const g of groups) {
    g.users = g.users.filter(uid => {
      const u = usersById.get(uid)
      return u !== undefined && u.groups.includes(g.id)
    })
  }

  // ---- the importing user ----------------------------------------------------------
  const me = (webUsers ?? []).find(wu => str(wu.username).toLowerCase() === client.username.toLowerCase())
  const member: Member = { username: client.username }
  if (me !== undefined && (str(me.role) === 'Admin' || me.is_admin === true)) member.is_admin = true
  else if (me !== undefined && str(me.role) !== '') member.role = str(me.role)
  else {
    // The caller's role is not readable: grant what the target let it read.
    const permissions = ['access_api', 'edit_commcare_users', 'view_commcare_users']
    if (locV05 !== null) permissions.push('edit_locations')
    if (webUsers !== null) permissions.push('edit_web_users')
    const name = 'Imported API access'
    roles.push({ id: hexId(d, 'role', name), name, permissions: permissions.sort() })
    member.role = name
    notes.push(`${client.username}: role not readable; given the role '${name}' with the permissions the target showed (${permissions.join(', ')})`)
  }

  const domain: SeedDomain = {
    project_name: projectName,
    toggles: [],
    rate_limit_per_minute: null,
    members: [member],
    custom_user_fields: customFields,
    profiles,
    roles,
    locations,
    groups,
    users,
    // The role a worker without one reports is not readable: HQ's own default stays.
    default_mobile_worker_role: null,
    location_types: types
  }
  if (noLocationsPrivilege) domain.privileges = { LOCATIONS: false }
  const seed: Seed = {
    web_users: [{
      id: str(identity.id, hexId('web', client.username)),
      username: client.username,
      // Not the real password (never read): a random one nobody knows; use the API key.
      password: randomBytes(18).toString('base64url'),
      first_name: str(identity.first_name),
      last_name: str(identity.last_name),
      email: str(identity.email),
      api_keys: [{ key: options.placeholderKey, domain: null, active: true }],
      tokens: []
    }],
    domains: { [d]: domain }
  }
  if (options.anonymize) anonymize(seed, d)
  if (options.workerPasswords) {
    for (const u of seed.domains[d].users) {
      u.password = randomBytes(9).toString('base64url')
      passwords.push([u.username, u.password])
    }
  }
  return {
    seed,
    counts: { workers: users.length, groups: groups.length, locations: locations.length, location_types: types.length, roles: roles.length, profiles: profiles.length, custom_user_fields: customFields.length },
    passwords,
    notes
  }
}

const FIRST = ['Amina', 'Baraka', 'Chiara', 'Dawit', 'Esi', 'Farah', 'Gift', 'Hana', 'Ivo', 'Jamila', 'Kofi', 'Lina', 'Musa', 'Nia', 'Omar', 'Priya', 'Rafael', 'Sana', 'Tomas', 'Uma', 'Vera', 'Wanjiru', 'Yusuf', 'Zola']
const LAST = ['Abebe', 'Banda', 'Costa', 'Diallo', 'Eze', 'Fofana', 'Garcia', 'Haile', 'Ibrahim', 'Juma', 'Kamau', 'Lopez', 'Mensah', 'Njoroge', 'Okafor', 'Perez', 'Quispe', 'Rossi', 'Sow', 'Tembo', 'Usman', 'Varga', 'Wekesa', 'Zulu']

/**
 * Replaces people's names, e-mail addresses, phone numbers and usernames with
 * made-up ones. The same input always gets the same replacement, so a phone
 * number two workers share is still shared.
 */
export function anonymize (seed: Seed, domain: string): void {
  const salt = randomBytes(16).toString('hex')
  const h = (kind: string, v: string): number => createHash('sha256').update(`${salt}:${kind}:${v.toLowerCase()}`).digest().readUInt32BE(0)
  const memo = new Map<string, string>()
  const once = (kind: string, v: string, make: (n: number, i: number) => string): string => {
    if (v === '') return v
    const key = `${kind}:${v.toLowerCase()}`
    let out = memo.get(key)
    if (out === undefined) {
      out = make(h(kind, v), memo.size + 1)
      memo.set(key, out)
    }
    return out
  }
  const first = (v: string): string => once('first', v, n => FIRST[n % FIRST.length])
  const last = (v: string): string => once('last', v, n => LAST[n % LAST.length])
  const email = (v: string): string => once('email', v, (_, i) => `person${i}@example.org`)
  const phone = (v: string): string => once('phone', v, n => `1555${String(n % 10_000_000).padStart(7, '0')}`)
  const d = seed.domains[domain]
  for (const u of d.users) {
    u.first_name = first(u.first_name)
    u.last_name = last(u.last_name)
    u.email = email(u.email)
    u.phone_numbers = u.phone_numbers.map(phone)
    u.username = once('username', u.username, (_, i) => `worker${i}@${domain}.commcarehq.org`)
  }
  for (const w of seed.web_users) {
    w.first_name = first(w.first_name)
    w.last_name = last(w.last_name)
    w.email = email(w.email)
  }
}
