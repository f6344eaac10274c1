import { HqError, badRequest, collectedErrors, serverError } from './errors.js'
import { hashPassword } from './passwords.js'
import { isStrongPassword, WEAK_PASSWORD_MESSAGE } from './password-strength.js'
import { rolesNamed, workerRoleName } from './roles.js'
import { confirmationOnUpdate, parseFlag, type WorkerEmail } from './confirmation.js'
import { dumps } from './json.js'
import type { DomainState } from '../store/domain.js'
import type { StoredUser } from '../store/schema.js'

// The mobile-worker rules of BEHAVIOR.md §3 and §4, as plain functions over a
// domain's state. Nothing here knows about HTTP.

/** Which URL family a request came in on; answers link back in the same one. */
export type UrlStyle = 'v0.5' | 'v1'

export type UserDataMode = 'replace' | 'merge'

/** A worker as HQ renders it: exactly these 15 keys, in this (sorted) order (BEHAVIOR.md §3, [R2 §A.1]). */
export interface ApiUser {
  default_phone_number: string | null
  email: string
  eulas: string
  first_name: string
  groups: string[]
  id: string
  /** The stored language code; null when never set. */
  language: string | null
  last_name: string
  locations: string[]
  phone_numbers: string[]
  primary_location: string | null
  resource_uri: string
  /** The role's name; the domain's default mobile-worker role when none is assigned; null when it no longer exists. */
  role: string | null
  user_data: Record<string, unknown>
  username: string
}

export const SYSTEM_LOCATION_KEYS = ['commcare_location_id', 'commcare_location_ids', 'commcare_primary_case_sharing_id'] as const

export function userUri (domain: string, id: string, style: UrlStyle): string {
  return style === 'v1' ? `/a/${domain}/api/user/v1/${id}/` : `/a/${domain}/api/v0.5/user/${id}/`
}

/** The system keys HQ adds to `user_data`, with their current values. */
function systemUserData (domain: DomainState, user: StoredUser, profileId: number | null): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null)
  out.commcare_profile = profileId ?? ''
  out.commcare_project = domain.name
  if (user.locations.length > 0 && user.primary_location !== null) {
    out.commcare_location_id = user.primary_location
    out.commcare_location_ids = user.locations.join(' ')
    out.commcare_primary_case_sharing_id = user.primary_location
  }
  return out
}

/** `user_data` as HQ shows it: defined fields, stored keys, profile fields, system keys. */
export function composeUserData (domain: DomainState, user: StoredUser): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null)
  for (const slug of domain.doc.custom_user_fields) out[slug] = ''
  for (const [k, v] of Object.entries(user.user_data)) out[k] = v
  const profile = user.profile_id === null ? undefined : domain.profilesById.get(String(user.profile_id))
  if (profile !== undefined) for (const [k, v] of Object.entries(profile.fields)) out[k] = v
  return Object.assign(out, systemUserData(domain, user, profile === undefined ? null : profile.id))
}

export function renderUser (domain: DomainState, user: StoredUser, style: UrlStyle): ApiUser {
  return {
    default_phone_number: user.phone_numbers[0] ?? null,
    email: user.email,
    eulas: '[]',
    first_name: user.first_name,
    groups: user.groups.filter(g => domain.groupsById.has(g)),
    id: user.id,
    language: user.language ?? null,
    last_name: user.last_name,
    locations: [...user.locations],
    phone_numbers: [...user.phone_numbers],
    primary_location: user.primary_location,
    resource_uri: userUri(domain.name, user.id, style),
    role: workerRoleName(domain, user.role),
    user_data: composeUserData(domain, user),
    username: user.username
  }
}

/** A user's answer as HQ's JSON text, from the domain's cache when nothing changed since. */
export function userJson (domain: DomainState, user: StoredUser, style: UrlStyle): string {
  return domain.cachedUserJson(user, style, renderUserJson)
}

function renderUserJson (domain: DomainState, user: StoredUser, style: UrlStyle): string {
  return dumps(renderUser(domain, user, style))
}

/** What a PUT (or the update step of a POST) will change, validated but not applied. */
export interface UserChanges {
  first_name?: string
  last_name?: string
  email?: string
  language?: string
  password?: string
  phone_numbers?: string[]
  groups?: string[]
  user_data?: Record<string, unknown>
  profile_id?: number | null
  role?: string
  locations?: string[]
  primary_location?: string | null
}

export interface UpdateContext {
  domain: DomainState
  userDataMode: UserDataMode
  /** The domain that owns a group id, when it is not this one. */
  groupDomain: (id: string) => string | undefined
}

export interface UpdatePlan {
  changes: UserChanges
  /** Field errors HQ collects instead of raising (answered together by PUT, dropped by POST). */
  errors: string[]
}

/** Python's truthiness, which HQ's rules lean on. */
export function truthy (v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false
  if (Array.isArray(v)) return v.length > 0
  if (typeof v === 'object') return Object.keys(v).length > 0
  return true
}

/** Python's `str()` of a JSON value, for values HQ turns into text. */
export function pyStr (v: unknown): string {
  if (v === null) return 'None'
  if (v === true) return 'True'
  if (v === false) return 'False'
  if (typeof v === 'string') return v
  if (typeof v === 'number') return String(v)
  return JSON.stringify(v)
}

export function jsonType (v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'object') return 'an object'
  return `a ${typeof v}`
}

/** HQ's `strip_plus`: exactly one leading `+` goes. */
export function stripPlus (n: string): string {
  return n.startsWith('+') ? n.slice(1) : n
}

function unique<T> (items: T[]): T[] {
  return [...new Set(items)]
}

/** What Python's `for x in value` walks: list items, string characters, dict keys. */
function pythonIterable (key: string, v: unknown): unknown[] {
  if (Array.isArray(v)) return v
  if (typeof v === 'string') return [...v]
  if (typeof v === 'object' && v !== null) return Object.keys(v)
  throw serverError(`'${key}' is ${jsonType(v)}, which HQ cannot iterate over; it fails and answers 500`)
}

function requireString (key: string, v: unknown): string {
  if (typeof v !== 'string') throw serverError(`'${key}' is ${jsonType(v)}, not a string: HQ fails while assigning it and answers 500`)
  return v
}

/**
 * Validates the field keys of a PUT body against BEHAVIOR.md §4, in the order
 * HQ walks them. Errors HQ raises outright (its 500s, the groups 400) are
 * thrown; errors it collects are returned with the planned changes.
 */
export function planUserUpdate (ctx: UpdateContext, user: StoredUser, body: Record<string, unknown>): UpdatePlan {
  const { domain } = ctx
  const changes: UserChanges = {}
  const errors: string[] = []
  let phones = user.phone_numbers
  let sawLocationKey = false

  for (const key of Object.keys(body)) {
    const value = body[key]
    switch (key) {
      case 'first_name':
      case 'last_name':
      case 'language':
        changes[key] = requireString(key, value)
        break
      case 'email':
        changes.email = requireString(key, value).toLowerCase()
        break
      case 'password':
        changes.password = requireString(key, value)
        if (domain.doc.strong_mobile_passwords === true && !isStrongPassword(changes.password)) errors.push(WEAK_PASSWORD_MESSAGE)
        break
      case 'phone_numbers':
        phones = unique(pythonIterable(key, value).map(p => stripPlus(pyStr(p))))
        changes.phone_numbers = phones
        break
      case 'default_phone_number':
        if (typeof value !== 'string') {
          errors.push("'default_phone_number' must be a string")
        } else {
          const n = stripPlus(value)
          phones = [n, ...phones.filter(p => p !== n)]
          changes.phone_numbers = phones
        }
        break
      case 'groups':
        changes.groups = planGroups(ctx, user, value)
        break
      case 'user_data':
        planUserData(ctx, user, value, changes, errors)
        break
      case 'role':
        planRole(ctx, value, changes, errors)
        break
      case 'primary_location':
      case 'locations':
        sawLocationKey = true
        break
      default:
        errors.push(`Attempted to update unknown or non-editable field '${key}'`)
    }
  }
  if (sawLocationKey) planLocations(ctx, user, body, changes, errors)
  return { changes, errors }
}

function planGroups (ctx: UpdateContext, user: StoredUser, value: unknown): string[] {
  if (!Array.isArray(value)) {
    throw serverError(`'groups' is ${jsonType(value)}, not a list of group ids: HQ fails and answers 500`)
  }
  const ids = unique(value.map(v => {
    if (typeof v !== 'string') throw serverError(`group id ${pyStr(v)} is not a string: HQ's Group.get fails and answers 500`)
    return v
  }))
  // HQ checks only the ids that are not memberships already (desired − current).
  const outside = ids.filter(id => !user.groups.includes(id) && !ctx.domain.groupsById.has(id))
  if (outside.length > 0) throw groupsNotInDomain(ctx, outside)
  return ids
}

export const GROUPS_NOT_IN_DOMAIN = 'Unable to save groups. The following group_ids are not in the current domain: '

/** HQ's ValidationError for group ids that are not this domain's, answered as a Python list repr. */
function groupsNotInDomain (ctx: UpdateContext, ids: string[]): HqError {
  const foreign = ids.filter(id => ctx.groupDomain(id) !== undefined)
  const why = foreign.length === ids.length
    ? 'they are groups of another domain'
    : foreign.length === 0 ? 'no group has these ids' : `${foreign.join(', ')} belong to another domain, the others exist nowhere`
  return new HqError(400, { kind: 'error', message: `['${GROUPS_NOT_IN_DOMAIN}${ids.join(', ')}']` },
    `group ids not in domain '${ctx.domain.name}': ${ids.join(', ')} (${why}); HQ raises a ValidationError, answered as a list repr, and nothing was changed`)
}

/** `role`: a role of the domain by exact name ([R2 §B.3]). */
function planRole (ctx: UpdateContext, value: unknown, changes: UserChanges, errors: string[]): void {
  const name = pyStr(value)
  const matches = typeof value === 'string' ? rolesNamed(ctx.domain, value) : []
  if (matches.length === 0) errors.push(`The role '${name}' does not exist`)
  else if (matches.length > 1) errors.push(`There are multiple roles with the name '${name}' in the domain '${ctx.domain.name}'`)
  else changes.role = matches[0].name
}

function planUserData (ctx: UpdateContext, user: StoredUser, value: unknown, changes: UserChanges, errors: string[]): void {
  const { domain } = ctx
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw serverError(`'user_data' is ${jsonType(value)}, not an object: HQ fails and answers 500`)
  }
  const sent = value as Record<string, unknown>
  let profileId = changes.profile_id !== undefined ? changes.profile_id : user.profile_id
  const profileChanged = Object.hasOwn(sent, 'commcare_profile')
  if (profileChanged) {
    const p = sent.commcare_profile
    if (!truthy(p)) profileId = null
    else {
      const profile = domain.profilesById.get(pyStr(p))
      if (profile === undefined) errors.push('User data profile not found')
      else profileId = profile.id
    }
  }
  const profile = profileId === null ? undefined : domain.profilesById.get(String(profileId))
  const system = systemUserData(domain, user, profileId)
  const fixed: Record<string, unknown> = Object.create(null)
  Object.assign(fixed, profile?.fields ?? {}, system)

  const base = ctx.userDataMode === 'merge' ? (changes.user_data ?? user.user_data) : {}
  const stored: Record<string, unknown> = Object.create(null)
  for (const [k, v] of Object.entries(base)) stored[k] = v
  for (const [k, v] of Object.entries(sent)) {
    if (k === 'commcare_profile') continue
    if (Object.hasOwn(fixed, k)) {
      if (truthy(v) && pyStr(v) !== pyStr(fixed[k])) errors.push(`'${k}' cannot be set directly`)
      continue
    }
    stored[k] = v
  }
  if (ctx.userDataMode === 'merge' && profileChanged && profile !== undefined) {
    if (Object.keys(profile.fields).some(k => truthy(stored[k]))) errors.push('Profile conflicts with existing data')
  }
  changes.user_data = stored
  changes.profile_id = profileId
}

/**
 * HQ's location updater ([R2 §B.2]): both keys absent or null change nothing;
 * both falsy (one of them sent alone as `""` or `[]` included) remove every
 * location; otherwise both are needed, the primary in the list.
 */
function planLocations (ctx: UpdateContext, user: StoredUser, body: Record<string, unknown>, changes: UserChanges, errors: string[]): void {
  const primary = body.primary_location ?? null
  const locations = body.locations ?? null
  if (primary === null && locations === null) return
  if (!truthy(primary) && !truthy(locations)) {
    changes.locations = []
    changes.primary_location = null
    return
  }
  if (!truthy(primary) || !truthy(locations)) {
    errors.push('Both primary_location and locations must be provided together.')
    return
  }
  const ids = pythonIterable('locations', locations).map(pyStr)
  if (typeof primary !== 'string' || !ids.includes(primary)) {
    errors.push('Primary location must be included in the list of locations.')
    return
  }
  const missing = unique(ids.filter(id => !ctx.domain.locationsById.has(id)))
  if (missing.length > 0) {
    errors.push(`Could not find location ids: ${missing.join(', ')}.`)
    return
  }
  // HQ re-assigns only when the set differs, so the same ids in another order keep the stored order.
  const same = new Set(ids).size === new Set(user.locations).size && ids.every(id => user.locations.includes(id))
  changes.locations = same ? [...user.locations] : unique(ids)
  changes.primary_location = primary
}

/** Applies validated changes to a user and keeps group membership in step. */
export function applyUserChanges (domain: DomainState, user: StoredUser, changes: UserChanges): void {
  if (changes.first_name !== undefined) user.first_name = changes.first_name
  if (changes.last_name !== undefined) user.last_name = changes.last_name
  if (changes.email !== undefined) user.email = changes.email
  if (changes.language !== undefined) user.language = changes.language
  if (changes.password !== undefined) user.password_hash = hashPassword(changes.password)
  if (changes.phone_numbers !== undefined) user.phone_numbers = changes.phone_numbers
  if (changes.user_data !== undefined) user.user_data = changes.user_data
  if (changes.profile_id !== undefined) user.profile_id = changes.profile_id
  if (changes.role !== undefined) user.role = changes.role
  if (changes.locations !== undefined) user.locations = changes.locations
  if (changes.primary_location !== undefined) user.primary_location = changes.primary_location
  if (changes.groups !== undefined) setUserGroups(domain, user, changes.groups)
}

/** Replaces a user's memberships; each group's `users` follows. */
export function setUserGroups (domain: DomainState, user: StoredUser, groupIds: string[]): void {
  const next = new Set(groupIds)
  for (const gid of user.groups) {
    if (next.has(gid)) continue
    const g = domain.groupsById.get(gid)
    if (g !== undefined) g.users = g.users.filter(id => id !== user.id)
  }
  for (const gid of groupIds) {
    if (user.groups.includes(gid)) continue
    const g = domain.groupsById.get(gid)
    if (g !== undefined && !g.users.includes(user.id)) g.users.push(user.id)
  }
  user.groups = [...next]
}

/**
 * PUT: validate everything, then apply all or nothing. HQ pops
 * `send_confirmation_email_now` first (a value it cannot parse is a 500) and
 * acts on it only after the field updates succeed. Answers the confirmation
 * e-mail that is due, if any.
 */
export function updateUser (ctx: UpdateContext, user: StoredUser, body: Record<string, unknown>): WorkerEmail | null {
  const sendNow = parseFlag('send_confirmation_email_now', body.send_confirmation_email_now)
  // A null prototype: a '__proto__' key in the body stays a plain key here.
  const fields: Record<string, unknown> = Object.create(null)
  for (const key of Object.keys(body)) if (key !== 'send_confirmation_email_now') fields[key] = body[key]
  const plan = planUserUpdate(ctx, user, fields)
  if (plan.errors.length > 0) throw collectedErrors(plan.errors)
  const email = confirmationOnUpdate(ctx.domain, user, sendNow, plan.changes.email ?? user.email)
  applyUserChanges(ctx.domain, user, plan.changes)
  return email
}

export const GET_MISSING_USER_MESSAGE =
  "The object 'CommCareUser(username=None)' has an empty attribute 'get_id' and doesn't allow a default or null value."

/** GET detail of an unknown, foreign or retired id: HQ's ApiFieldError 400. */
export function missingUserForGet (id: string): HqError {
  return badRequest(GET_MISSING_USER_MESSAGE, `no mobile worker '${id}' in this domain (or it was retired): HQ answers 400 with an ApiFieldError, not 404`)
}
