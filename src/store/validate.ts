import { TypeCompiler } from '@sinclair/typebox/compiler'
import type { TSchema } from '@sinclair/typebox'
import { indexDomain, type DomainIndex, type IndexableDomain } from './domain.js'
import { DOMAIN_NAME_PATTERN, DomainDocSchema, GlobalDocSchema, SeedDomainDocumentSchema, SeedSchema, type DomainDoc, type GlobalDoc, type SeedDomainInput, type SeedInput, type SeedUser, type StoredUser } from './schema.js'
import { completeDomain, completeSeed } from './seed-defaults.js'

const ID = /^[A-Za-z0-9_.-]{1,64}$/

/** At most this many problems are listed; the rest are counted ("… and 12 more"). */
export const MAX_PROBLEMS = 200

/** How many problems a list from capProblems stands for (its "… and N more" counted). */
export function problemCount (problems: string[]): number {
  const more = /^… and (\d+) more$/.exec(problems.at(-1) ?? '')
  return more === null ? problems.length : problems.length - 1 + Number(more[1])
}

/** Every problem up to MAX_PROBLEMS, then one line counting the rest. */
export function capProblems (problems: string[]): string[] {
  if (problems.length <= MAX_PROBLEMS) return problems
  return [...problems.slice(0, MAX_PROBLEMS), `… and ${problems.length - MAX_PROBLEMS} more`]
}

/** A checker compiled on first use: a start on existing data never needs the seed's. */
function compile<T extends TSchema> (schema: T) {
  let check: ReturnType<typeof TypeCompiler.Compile<T>> | undefined
  return (value: unknown): string[] => {
    check ??= TypeCompiler.Compile(schema)
    if (check.Check(value)) return []
    // One problem per place: a missing key is "Expected required property",
    // not that and then "Expected string" for the same path.
    const out: string[] = []
    const seen = new Set<string>()
    for (const e of check.Errors(value)) {
      if (seen.has(e.path)) continue
      seen.add(e.path)
      out.push(`${e.path === '' ? '(top level)' : e.path}: ${e.message}`)
      if (out.length > MAX_PROBLEMS) break
    }
    return out
  }
}

const seedErrors = compile(SeedSchema)
const domainErrors = compile(DomainDocSchema)
const globalErrors = compile(GlobalDocSchema)
const seedDomainErrors = compile(SeedDomainDocumentSchema)

/**
 * Cross-references inside one domain: ids, memberships, locations, profiles.
 * Checked with the domain's lookups (`indexDomain`, which a stored domain then
 * keeps): a repeated id or name shows as a map smaller than its list, and only
 * then are the repeats looked for.
 */
export function domainReferenceErrors<U extends SeedUser | StoredUser> (domain: IndexableDomain<U>, where = '', index = indexDomain(domain)): string[] {
  const out: string[] = []
  const { users, groups } = domain
  const groupRepeats = index.groupsById.size !== groups.length || index.groupsByName.size !== groups.length
  const groupIds = new Set<string>()
  const groupNames = new Set<string>()
  const members = new Map<string, Set<string>>()
  for (const g of groups) {
    if (!ID.test(g.id)) out.push(`${where}groups: id '${g.id}' is not a usable id (letters, digits, '_', '.', '-')`)
    if (groupRepeats) {
      if (groupIds.has(g.id)) out.push(`${where}groups: id '${g.id}' appears twice`)
      if (groupNames.has(g.name)) out.push(`${where}groups: name '${g.name}' appears twice`)
      groupIds.add(g.id)
      groupNames.add(g.name)
    }
    members.set(g.id, new Set(g.users))
  }
  for (const l of domain.locations) {
    if (l.parent !== null && !index.locationsById.has(l.parent)) out.push(`${where}locations: '${l.id}' has an unknown parent '${l.parent}'`)
  }
  out.push(...roleAndTypeErrors(domain, where))
  out.push(...locationFieldErrors(domain, where))
  const userRepeats = index.usersById.size !== users.length || index.usersByUsername.size !== users.length
  const userIds = new Set<string>()
  const usernames = new Set<string>()
  for (const u of users) {
    if (!ID.test(u.id)) out.push(`${where}users: id '${u.id}' is not a usable id (letters, digits, '_', '.', '-')`)
    if (userRepeats) {
      if (userIds.has(u.id)) out.push(`${where}users: id '${u.id}' appears twice`)
      userIds.add(u.id)
      const lower = u.username.toLowerCase()
      if (usernames.has(lower)) out.push(`${where}users: username '${u.username}' appears twice`)
      usernames.add(lower)
    }
    for (const gid of u.groups) {
      const listed = members.get(gid)
      if (listed === undefined) out.push(`${where}users: '${u.id}' is in unknown group '${gid}'`)
      else if (!listed.has(u.id)) out.push(`${where}users: '${u.id}' lists group '${gid}' but the group does not list the user`)
    }
    for (const lid of u.locations) {
      if (!index.locationsById.has(lid)) out.push(`${where}users: '${u.id}' has unknown location '${lid}'`)
    }
    if (u.primary_location !== null && !u.locations.includes(u.primary_location)) {
      out.push(`${where}users: '${u.id}' has a primary_location that is not in its locations`)
    }
    if (u.primary_location === null && u.locations.length > 0) {
      out.push(`${where}users: '${u.id}' has locations but no primary_location`)
    }
    if (u.profile_id !== null && !index.profilesById.has(String(u.profile_id))) out.push(`${where}users: '${u.id}' has unknown profile ${u.profile_id}`)
  }
  for (const g of groups) {
    for (const uid of g.users) {
      const user = index.usersById.get(uid)
      if (user === undefined) out.push(`${where}groups: '${g.id}' lists unknown user '${uid}'`)
      else if (!user.groups.includes(g.id)) out.push(`${where}groups: '${g.id}' lists user '${uid}' but the user does not list the group`)
    }
  }
  return out
}

/** Roles named by members exist; location types form a tree their locations use. */
function roleAndTypeErrors (domain: IndexableDomain<{ id: string, username: string }>, where: string): string[] {
  const out: string[] = []
  const roles = new Set((domain.roles ?? []).map(r => r.name))
  for (const m of domain.members ?? []) {
    if (m.role !== undefined && m.role !== null && !roles.has(m.role)) out.push(`${where}members: '${m.username}' has unknown role '${m.role}'`)
  }
  out.push(...webUserLocationErrors(domain, where))
  const types = domain.location_types
  if (types === undefined) return out
  const codes = new Set<string>()
  const ids = new Set<number>()
  for (const t of types) {
    if (codes.has(t.code)) out.push(`${where}location_types: code '${t.code}' appears twice`)
    if (ids.has(t.id)) out.push(`${where}location_types: id ${t.id} appears twice`)
    codes.add(t.code)
    ids.add(t.id)
  }
  for (const t of types) {
    if (t.parent !== null && !codes.has(t.parent)) out.push(`${where}location_types: '${t.code}' has an unknown parent type '${t.parent}'`)
  }
  for (const l of domain.locations) {
    if (!codes.has(l.location_type)) out.push(`${where}locations: '${l.id}' has location_type '${l.location_type}', which location_types does not define`)
  }
  return out
}

/**
 * A custom field's regex as the mock runs it: a JavaScript RegExp, with the
 * `u` flag where the pattern allows it (Python's patterns are Unicode-aware);
 * null when it compiles neither way.
 */
export function compileFieldRegex (pattern: string): RegExp | null {
  for (const flags of ['u', '']) {
    try {
      return new RegExp(pattern, flags)
    } catch {}
  }
  return null
}

/** Custom location fields: slugs once each, a regex the mock can run. */
function locationFieldErrors (domain: IndexableDomain<{ id: string, username: string }>, where: string): string[] {
  const out: string[] = []
  const slugs = new Set<string>()
  for (const f of domain.custom_location_fields ?? []) {
    if (slugs.has(f.slug)) out.push(`${where}custom_location_fields: slug '${f.slug}' appears twice`)
    slugs.add(f.slug)
    if (typeof f.regex === 'string' && compileFieldRegex(f.regex) === null) out.push(`${where}custom_location_fields: '${f.slug}' has a regex that does not compile`)
  }
  return out
}

/** Members' and invitations' locations, profiles and roles name things of the domain. */
function webUserLocationErrors (domain: IndexableDomain<{ id: string, username: string }>, where: string): string[] {
  const out: string[] = []
  const locations = new Set(domain.locations.map(l => l.id))
  const profiles = new Set(domain.profiles.map(p => p.name))
  const roles = new Set((domain.roles ?? []).map(r => r.name))
  const places = (what: string, primary: string | null | undefined, assigned: string[] | undefined): void => {
    for (const id of assigned ?? []) if (!locations.has(id)) out.push(`${where}${what} has unknown location '${id}'`)
    if (primary !== undefined && primary !== null && !(assigned ?? []).includes(primary)) {
      out.push(`${where}${what} has a primary_location_id that is not in its assigned_location_ids`)
    }
    if ((primary === undefined || primary === null) && (assigned ?? []).length > 0) {
      out.push(`${where}${what} has assigned_location_ids but no primary_location_id`)
    }
  }
  for (const m of domain.members ?? []) {
    const what = `members: '${m.username}'`
    places(what, m.primary_location_id, m.assigned_location_ids)
    if (m.profile !== undefined && m.profile !== null && !profiles.has(m.profile)) out.push(`${where}${what} has unknown profile '${m.profile}'`)
  }
  const ids = new Set<string>()
  for (const inv of domain.invitations ?? []) {
    const what = `invitations: '${inv.id}'`
    if (ids.has(inv.id)) out.push(`${where}invitations: id '${inv.id}' appears twice`)
    ids.add(inv.id)
    if (inv.role !== 'Admin' && !roles.has(inv.role)) out.push(`${where}${what} has unknown role '${inv.role}'`)
    places(what, inv.primary_location_id, inv.assigned_location_ids)
    if (inv.profile !== null && !profiles.has(inv.profile)) out.push(`${where}${what} has unknown profile '${inv.profile}'`)
  }
  return out
}

function webUserErrors (webUsers: GlobalDoc['web_users'], domains: string[] | null): string[] {
  const out: string[] = []
  const names = new Set<string>()
  const keys = new Set<string>()
  for (const w of webUsers) {
    const lower = w.username.toLowerCase()
    if (names.has(lower)) out.push(`web_users: username '${w.username}' appears twice`)
    names.add(lower)
    for (const k of w.api_keys) {
      if (keys.has(k.key)) out.push(`web_users: an API key of '${w.username}' is used twice`)
      keys.add(k.key)
      if (domains !== null && k.domain !== null && !domains.includes(k.domain)) {
        out.push(`web_users: an API key of '${w.username}' is scoped to unknown domain '${k.domain}'`)
      }
      if (k.expiration_date !== undefined && k.expiration_date !== null && Number.isNaN(Date.parse(k.expiration_date))) {
        out.push(`web_users: an API key of '${w.username}' has an expiration_date that is not an ISO date ('${k.expiration_date}')`)
      }
    }
  }
  return out
}

/**
 * Every problem of a seed file as written (capped at MAX_PROBLEMS). The
 * references of the web users and of each domain are checked even when
 * another part has a shape problem, so one run lists them all.
 */
export function seedProblems (seed: unknown): string[] {
  const shape = seedErrors(seed)
  const broken = (prefix: string): boolean => shape.some(p => p.startsWith(prefix + '/') || p.startsWith(prefix + ':'))
  if (shape.length > 0 && (typeof seed !== 'object' || seed === null || Array.isArray(seed))) return capProblems(shape)
  const input = seed as SeedInput
  // A domain name the pattern refuses shows as an unexpected key of `domains`.
  const out = shape.map(p => /^\/domains\/[^/]+: Unexpected property$/.test(p)
    ? p.replace(/: Unexpected property$/, `: not a valid domain name (${DOMAIN_NAME_PATTERN.source})`)
    : p)
  const webUsersOk = !broken('/web_users') && (input.web_users === undefined || Array.isArray(input.web_users))
  const domainsOk = input.domains === undefined || (typeof input.domains === 'object' && input.domains !== null && !Array.isArray(input.domains) && !broken('/domains'))
  const fine = completeSeed({
    web_users: webUsersOk ? input.web_users : [],
    domains: domainsOk ? input.domains : {}
  })
  if (webUsersOk) out.push(...webUserErrors(fine.web_users, domainsOk ? Object.keys(fine.domains) : null))
  if (typeof input.domains === 'object' && input.domains !== null && !Array.isArray(input.domains)) {
    for (const [name, d] of Object.entries(input.domains)) {
      if (broken(`/domains/${name}`) || typeof d !== 'object' || d === null) continue
      const complete = Object.hasOwn(fine.domains, name) ? fine.domains[name] : completeDomain(name, d, fine.web_users.map(w => w.username))
      out.push(...domainReferenceErrors(complete, `domains/${name}/`))
    }
  }
  return capProblems(out)
}

/**
 * One domain in the seed's shape (as posted to create a domain on the fly,
 * named `name`, with `webUsernames` the admins when it names no members).
 * `where` prefixes each problem: `seed` gives `seed/users/0/id: …` and
 * `seed/users: …`.
 */
export function seedDomainProblems (domain: unknown, where = '', name = 'domain', webUsernames: readonly string[] = []): string[] {
  const shape = seedDomainErrors(domain)
  if (shape.length > 0) return capProblems(shape).map(p => where + p)
  return capProblems(domainReferenceErrors(completeDomain(name, domain as SeedDomainInput, webUsernames), where === '' ? '' : `${where}/`))
}

/** A stored domain's problems; when it has none, its lookups too (for its DomainState). */
export function checkDomainDoc (doc: unknown, expectedName?: string): { problems: string[], index?: DomainIndex } {
  const shape = domainErrors(doc)
  if (shape.length > 0) return { problems: capProblems(shape) }
  const d = doc as DomainDoc
  if (expectedName !== undefined && d.name !== expectedName) return { problems: [`name: '${d.name}' does not match the file name '${expectedName}'`] }
  const index = indexDomain(d)
  const problems = capProblems(domainReferenceErrors(d, '', index))
  return problems.length > 0 ? { problems } : { problems, index }
}

export function domainDocProblems (doc: unknown, expectedName?: string): string[] {
  return checkDomainDoc(doc, expectedName).problems
}

export function globalDocProblems (doc: unknown): string[] {
  const shape = globalErrors(doc)
  if (shape.length > 0) return capProblems(shape)
  return webUserErrors((doc as GlobalDoc).web_users, null)
}
