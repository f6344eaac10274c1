import { HqError, collectedErrors, notFoundCanned, badRequest, serverError } from './errors.js'
import { ADMIN_ROLE_NAME, HQ_PERMISSIONS, LOCATIONS_PRIVILEGE, PROFILES_PRIVILEGE, hasPrivilege, memberActive, memberPermissions, toggleMatches } from './roles.js'
import { jsonType, pyStr, type UrlStyle } from './users.js'
import type { DomainState } from '../store/domain.js'
import type { Member, WebUser } from '../store/schema.js'

// Web users of a domain (BEHAVIOR.md §11, [R2 §G.1–§G.5]) and the validation
// they share with invitations ([R2 §G.6]), as plain functions over a domain's
// state. A web user is an account (the seed's `web_users`) with a membership
// in the domain (`members`), where its role, locations, profile and user data live.

/** The keys of a web user, sorted; `tableau_groups` only on detail and PATCH answers. */
export const WEB_USER_KEYS = [
  'assigned_location_ids', 'default_phone_number', 'email', 'eulas', 'first_name', 'id', 'is_active_in_domain',
  'is_admin', 'last_name', 'permissions', 'phone_numbers', 'primary_location_id', 'profile', 'resource_uri', 'role',
  'tableau_groups', 'tableau_role', 'user_data', 'username'
] as const

/** The list-valued members of HqPermissions (empty unless a role restricts reports or registries). */
export const PERMISSION_LISTS = ['view_report_list', 'view_tableau_list', 'manage_data_registry_list', 'view_data_registry_contents_list'] as const

/** HQ's `TableauUser.Roles`. */
export const TABLEAU_ROLES = ['Explorer', 'ExplorerCanPublish', 'SiteAdministratorExplorer', 'Viewer', 'Unlicensed'] as const

export const TABLEAU_TOGGLE = 'TABLEAU_USER_SYNCING'
export const TABLEAU_PERMISSION = 'edit_user_tableau_config'

/** The keys a PATCH may send (an invitation also `email`). */
export const EDITABLE_KEYS = ['role', 'primary_location_id', 'assigned_location_ids', 'profile', 'user_data', 'tableau_role', 'tableau_groups'] as const

export const MISSING_WEB_USER_MESSAGE =
  "The object 'WebUser(username=None)' has an empty attribute 'get_id' and doesn't allow a default or null value."

export interface WebMember {
  member: Member
  user: WebUser
}

/** Who is asking: what they may assign and whether they may touch Tableau settings. */
export interface Caller {
  isAdmin: boolean
  permissions: Set<string>
}

export function webUserUri (domain: string, id: string, style: UrlStyle): string {
  return style === 'v1' ? `/a/${domain}/api/web-user/v1/${id}/` : `/a/${domain}/api/v0.5/web-user/${id}/`
}

/** The caller's rights in the domain (an unauthenticated mock acts as an admin). */
export function callerOf (domain: DomainState, username: string | null): Caller {
  const member = username === null ? undefined : domain.isMember(username)
  if (member === undefined) return { isAdmin: username === null, permissions: username === null ? new Set(HQ_PERMISSIONS) : new Set() }
  return { isAdmin: member.is_admin === true, permissions: memberPermissions(domain, member) }
}

function byUsername (a: WebMember, b: WebMember): number {
  return a.user.username < b.user.username ? -1 : a.user.username > b.user.username ? 1 : 0
}

/** Every membership whose account exists, in username order. */
export function webMembers (domain: DomainState, webUser: (username: string) => WebUser | undefined): WebMember[] {
  const out: WebMember[] = []
  for (const member of domain.doc.members) {
    const user = webUser(member.username)
    if (user !== undefined) out.push({ member, user })
  }
  return out.sort(byUsername)
}

/** Members active in the domain whose account is active too (HQ's `WebUser.by_domain`). */
export function activeWebMembers (domain: DomainState, webUser: (username: string) => WebUser | undefined): WebMember[] {
  return webMembers(domain, webUser).filter(m => memberActive(m.member) && m.user.is_active !== false)
}

/** A member of the domain (active or not) by the account's id. */
export function findWebMember (domain: DomainState, id: string, webUser: (username: string) => WebUser | undefined): WebMember | undefined {
  return webMembers(domain, webUser).find(m => m.user.id === id)
}

export function missingWebUserForGet (id: string, domain: string): HqError {
  return badRequest(MISSING_WEB_USER_MESSAGE, `no web user '${id}' is a member of domain '${domain}': HQ answers 400 with an ApiFieldError, not 404`)
}

export function missingWebUserForAction (id: string, domain: string, action: string): HqError {
  return notFoundCanned(`no web user '${id}' is a member of domain '${domain}': HQ's ${action} answers 404 with the canned error_message body`)
}

/** The role a member reports: "Admin" for an admin, the role's name, or "" without one. */
export function webUserRoleName (domain: DomainState, member: Member): string {
  if (member.is_admin === true) return ADMIN_ROLE_NAME
  const role = member.role ?? null
  if (role === null) return ''
  return domain.doc.roles.some(r => r.name === role) ? role : ''
}

/** The role's `HqPermissions` object: every boolean and the lists; `{}` without a role. */
export function permissionObject (domain: DomainState, member: Member): Record<string, boolean | string[]> {
  let granted: Set<string>
  if (member.is_admin === true) granted = new Set(HQ_PERMISSIONS)
  else {
    const role = member.role === undefined || member.role === null ? undefined : domain.doc.roles.find(r => r.name === member.role)
    if (role === undefined) return {}
    granted = new Set(role.permissions ?? [])
  }
  const out: Record<string, boolean | string[]> = {}
  for (const p of HQ_PERMISSIONS) out[p] = granted.has(p)
  for (const l of PERMISSION_LISTS) out[l] = []
  return out
}

function profileNamed (domain: DomainState, name: string | null | undefined) {
  return name === null || name === undefined ? undefined : domain.doc.profiles.find(p => p.name === name)
}

/** `user_data` as HQ shows it for a web user: defined fields, stored keys, profile fields, project and profile. */
export function composeWebUserData (domain: DomainState, member: Member): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null)
  for (const slug of domain.doc.custom_user_fields) out[slug] = ''
  for (const [k, v] of Object.entries(member.user_data ?? {})) out[k] = v
  const profile = profileNamed(domain, member.profile)
  if (profile !== undefined) for (const [k, v] of Object.entries(profile.fields)) out[k] = v
  out.commcare_profile = profile?.id ?? ''
  out.commcare_project = domain.name
  return out
}

/** The web-user object of [R2 §G.2]; `detail` adds `tableau_groups`. */
export function renderWebUser (domain: DomainState, { member, user }: WebMember, style: UrlStyle, detail: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    assigned_location_ids: [...(member.assigned_location_ids ?? [])],
    default_phone_number: null,
    email: user.email,
    eulas: '[]',
    first_name: user.first_name,
    id: user.id,
    is_active_in_domain: memberActive(member),
    is_admin: member.is_admin === true,
    last_name: user.last_name,
    permissions: permissionObject(domain, member),
    phone_numbers: [],
    primary_location_id: member.primary_location_id ?? '',
    profile: member.profile ?? '',
    resource_uri: webUserUri(domain.name, user.id, style),
    role: webUserRoleName(domain, member)
  }
  if (detail) out.tableau_groups = [...(member.tableau_groups ?? [])]
  out.tableau_role = member.tableau_role ?? null
  out.user_data = composeWebUserData(domain, member)
  out.username = user.username
  return out
}

// ---- validation shared by PATCH and invitations ([R2 §G.4], [R2 §G.6]) --------

/** What a web-user PATCH or an invitation asks for, read from the body. */
export interface WebUserSpec {
  /** The invitation's e-mail (POST only). */
  email?: unknown
  role?: unknown
  primaryLocation: string | null
  assignedLocations: string[] | null
  /** The profile sent, else the current one. */
  profile: unknown
  userData: Record<string, unknown>
  tableauRole: unknown
  tableauGroups: unknown
  /** The body's keys in request order. */
  parameters: string[]
}

/** The role names a caller may assign: every role of the domain, and "Admin" for an admin. */
export function assignableRoles (domain: DomainState, caller: Caller): string[] {
  const names = domain.doc.roles.map(r => r.name)
  return caller.isAdmin ? [ADMIN_ROLE_NAME, ...names] : names
}

function readLocations (body: Record<string, unknown>): { primary: string | null, assigned: string[] | null } {
  const primary = body.primary_location_id ?? null
  const assigned = body.assigned_location_ids ?? null
  if (primary !== null && typeof primary !== 'string') {
    throw serverError(`'primary_location_id' is ${jsonType(primary)}, not a location id: HQ fails and answers 500`)
  }
  if (assigned !== null && (!Array.isArray(assigned) || assigned.some(id => typeof id !== 'string'))) {
    throw serverError(`'assigned_location_ids' is ${jsonType(assigned)}, not a list of location ids: HQ fails and answers 500`)
  }
  return { primary, assigned: assigned as string[] | null }
}

/** Reads a body into the spec HQ validates; shapes HQ cannot handle at all are its 500s. */
export function readSpec (body: Record<string, unknown>, currentProfile: string | null): WebUserSpec {
  const userData = body.user_data ?? {}
  if (typeof userData !== 'object' || userData === null || Array.isArray(userData)) {
    throw serverError(`'user_data' is ${jsonType(userData)}, not an object: HQ fails and answers 500`)
  }
  const { primary, assigned } = readLocations(body)
  return {
    email: body.email,
    role: body.role,
    primaryLocation: primary,
    assignedLocations: assigned,
    profile: Object.hasOwn(body, 'profile') ? body.profile : currentProfile,
    userData: userData as Record<string, unknown>,
    tableauRole: body.tableau_role ?? null,
    tableauGroups: body.tableau_groups ?? null,
    parameters: Object.keys(body)
  }
}

/** Where an invitation's e-mail collides with the domain's people (POST only). */
export interface EmailContext {
  /** Lower-cased usernames of the domain's web users (active accounts) and of its pending invitations. */
  taken: Set<string>
  /** Whether a web user of this username exists with an inactive account. */
  deactivated: (email: string) => boolean
}

// Django's EmailValidator, approximately: at most 320 characters, a local part, '@', a dotted domain.
const EMAIL = /^[^\s@"(),:;<>[\\\]]+@([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/

/**
 * HQ's `WebUserResourceValidator.is_valid`: every message, in its order.
 * `emails` is given for an invitation (POST), absent for a PATCH.
 */
export function validateWebUserSpec (domain: DomainState, caller: Caller, spec: WebUserSpec, emails?: EmailContext): string[] {
  const isPost = emails !== undefined
  const errors: string[] = []
  // Parameters and the privileges they need.
  const allowed: string[] = [...EDITABLE_KEYS, ...(isPost ? ['email'] : [])]
  const invalid = spec.parameters.filter(p => !allowed.includes(p))
  if (invalid.length > 0) errors.push(`Invalid parameter(s): ${invalid.join(', ')}`)
  if (spec.parameters.includes('tableau_role') || spec.parameters.includes('tableau_groups')) {
    if (!canEditTableau(domain, caller)) errors.push('You do not have permission to edit Tableau Configuration.')
  }
  if (spec.parameters.includes('profile') && !hasPrivilege(domain, PROFILES_PRIVILEGE)) {
    errors.push('This domain does not have user profile privileges.')
  }
  if ((spec.parameters.includes('primary_location_id') || spec.parameters.includes('assigned_location_ids')) &&
    !hasPrivilege(domain, LOCATIONS_PRIVILEGE)) {
    errors.push('This domain does not have locations privileges.')
  }
  // Required fields.
  if (isPost) {
    if (!truthyValue(spec.email) || !truthyValue(spec.role)) errors.push("'email' and 'role' are required for each user")
  } else if (spec.role === '') {
    errors.push("'role' is required for each user")
  }
  // Role.
  if (truthyValue(spec.role) && !(typeof spec.role === 'string' && assignableRoles(domain, caller).includes(spec.role))) {
    errors.push(`Role '${pyStr(spec.role)}' does not exist or you do not have permission to access it`)
  }
  // Profile.
  if (truthyValue(spec.profile) && profileNamed(domain, typeof spec.profile === 'string' ? spec.profile : null) === undefined) {
    errors.push(`Profile '${pyStr(spec.profile)}' does not exist`)
  }
  // user_data against the profile.
  const profile = profileNamed(domain, typeof spec.profile === 'string' ? spec.profile : null)
  const fixed = new Set([...Object.keys(profile?.fields ?? {}), 'commcare_profile'])
  for (const key of Object.keys(spec.userData)) if (fixed.has(key)) errors.push(`'${key}' cannot be set directly`)
  // E-mail (invitations).
  if (emails !== undefined && typeof spec.email === 'string' && spec.email !== '') {
    const lower = spec.email.toLowerCase()
    if (emails.taken.has(lower)) errors.push('A user with this email address is already in this project or has a pending invitation.')
    else if (emails.deactivated(lower)) errors.push('A user with this email address is deactivated. ')
    else if (spec.email.length > 320 || !EMAIL.test(spec.email)) errors.push('User has an invalid email address for their email')
  }
  // Locations.
  const { primaryLocation: primary, assignedLocations: assigned } = spec
  if ((primary === null) !== (assigned === null)) {
    errors.push('Both primary_location and locations must be provided together.')
  } else if (primary !== null && assigned !== null) {
    if (primary !== '' && !assigned.includes(primary)) errors.push("Primary location must be one of the user's locations")
    else if (primary === '' && assigned.length > 0) errors.push("Primary location can't be empty if the user has any locations set")
  }
  // Tableau.
  if (spec.tableauGroups !== null) {
    const groups = Array.isArray(spec.tableauGroups) ? spec.tableauGroups.map(pyStr) : [pyStr(spec.tableauGroups)]
    const allowedGroups: string[] = []
    const bad = groups.filter(g => !allowedGroups.includes(g))
    if (bad.length > 0) errors.push(`These groups, ${bad.join(', ')}, are not valid for this domain. Please choose from the following: ${allowedGroups.join(', ')}`)
  }
  if (spec.tableauRole !== null && !(TABLEAU_ROLES as readonly unknown[]).includes(spec.tableauRole)) {
    errors.push(`Invalid tableau role: '${pyStr(spec.tableauRole)}'. Please choose one of the following: ${TABLEAU_ROLES.join(', ')}`)
  }
  return errors
}

function truthyValue (v: unknown): boolean {
  return !(v === null || v === undefined || v === false || v === 0 || v === '' || (Array.isArray(v) && v.length === 0))
}

/** HQ: the `edit_user_tableau_config` permission and the domain's TABLEAU_USER_SYNCING toggle. */
export function canEditTableau (domain: DomainState, caller: Caller): boolean {
  const permitted = caller.isAdmin || caller.permissions.has(TABLEAU_PERMISSION)
  return permitted && domain.doc.toggles.some(t => toggleMatches(t, TABLEAU_TOGGLE))
}

/** Location ids of the list that are not live locations of the domain, unique, in request order. */
export function unknownLocations (domain: DomainState, ids: string[]): string[] {
  return [...new Set(ids.filter(id => {
    const l = domain.locationsById.get(id)
    return l === undefined || l.is_archived === true
  }))]
}

// ---- PATCH ----------------------------------------------------------------

export interface WebUserChanges {
  role?: string
  locations?: { primary: string | null, assigned: string[] }
  profile?: string | null
  userData?: Record<string, unknown>
  tableauRole?: string | null
  tableauGroups?: string[]
}

/**
 * A PATCH: validation first (every message, `{"errors": [...]}`), then the
 * updates, whose failures HQ collects into the mobile-worker style 400. Nothing
 * is applied unless everything passes.
 */
export function planWebUserPatch (domain: DomainState, caller: Caller, target: WebMember, body: Record<string, unknown>): WebUserChanges {
  const spec = readSpec(body, target.member.profile ?? null)
  const errors = validateWebUserSpec(domain, caller, spec)
  if (errors.length > 0) {
    throw new HqError(400, { kind: 'errors', messages: errors },
      `the web-user update failed validation (${errors.length} message${errors.length === 1 ? '' : 's'}); nothing was changed`)
  }
  const changes: WebUserChanges = {}
  const failures: string[] = []
  if (typeof body.role === 'string') changes.role = body.role
  if (spec.primaryLocation !== null && spec.assignedLocations !== null) {
    const missing = unknownLocations(domain, spec.assignedLocations)
    if (missing.length > 0) failures.push(`Could not find location ids: ${missing.join(', ')}.`)
    else {
      changes.locations = spec.primaryLocation === '' ? { primary: null, assigned: [] } : { primary: spec.primaryLocation, assigned: [...new Set(spec.assignedLocations)] }
    }
  }
  if (Object.hasOwn(body, 'profile')) changes.profile = truthyValue(body.profile) ? body.profile as string : null
  if (Object.hasOwn(body, 'user_data')) {
    // A null prototype: a '__proto__' key stays a plain key.
    const merged: Record<string, unknown> = Object.create(null)
    for (const [k, v] of Object.entries(target.member.user_data ?? {})) merged[k] = v
    for (const [k, v] of Object.entries(spec.userData)) {
      if (k === 'commcare_project') {
        if (pyStr(v) !== domain.name && truthyValue(v)) failures.push("'commcare_project' cannot be set directly")
        continue
      }
      merged[k] = v
    }
    changes.userData = merged
  }
  if (Object.hasOwn(body, 'tableau_role')) changes.tableauRole = spec.tableauRole as string | null
  if (Object.hasOwn(body, 'tableau_groups')) changes.tableauGroups = spec.tableauGroups === null ? [] : (spec.tableauGroups as unknown[]).map(pyStr)
  if (failures.length > 0) throw collectedErrors(failures)
  return changes
}

/** Puts a validated PATCH into the membership. */
export function applyWebUserChanges (member: Member, changes: WebUserChanges): void {
  if (changes.role !== undefined) setMemberRole(member, changes.role)
  if (changes.locations !== undefined) {
    member.primary_location_id = changes.locations.primary
    member.assigned_location_ids = changes.locations.assigned
  }
  if (changes.profile !== undefined) member.profile = changes.profile
  if (changes.userData !== undefined) member.user_data = changes.userData
  if (changes.tableauRole !== undefined) member.tableau_role = changes.tableauRole
  if (changes.tableauGroups !== undefined) member.tableau_groups = changes.tableauGroups
}

/** "Admin" makes the member a domain admin; any other name is the member's role. */
export function setMemberRole (member: Member, role: string): void {
  if (role === ADMIN_ROLE_NAME) {
    member.is_admin = true
    member.role = null
  } else {
    member.is_admin = false
    member.role = role
  }
}
