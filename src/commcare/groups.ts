import { HqError, badRequest, serverError } from './errors.js'
import { jsonType, type UrlStyle } from './users.js'
import { newId } from './create.js'
import type { DomainState } from '../store/domain.js'
import type { Group } from '../store/schema.js'

// Groups (BEHAVIOR.md §9): rendering, create, PUT and DELETE, with each
// group's `users` and each user's `groups` kept in step.

export interface ApiGroup {
  case_sharing: boolean
  domain: string
  id: string
  metadata: Record<string, unknown>
  name: string
  reporting: boolean
  resource_uri: string
  users: string[]
}

export function groupUri (domain: string, id: string, style: UrlStyle): string {
  return style === 'v1' ? `/a/${domain}/api/group/v1/${id}/` : `/a/${domain}/api/v0.5/group/${id}/`
}

export function renderGroup (domain: DomainState, group: Group, style: UrlStyle): ApiGroup {
  return {
    case_sharing: group.case_sharing,
    domain: domain.name,
    id: group.id,
    metadata: group.metadata,
    name: group.name,
    reporting: group.reporting,
    resource_uri: groupUri(domain.name, group.id, style),
    // HQ lists active members only.
    users: group.users.filter(id => {
      const u = domain.liveUser(id)
      return u !== undefined && u.is_active
    })
  }
}

/** The list order: HQ sorts on `name.exact` (plain code-point order). */
export function sortedGroups (domain: DomainState): Group[] {
  return [...domain.doc.groups].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
}

function createError (message: string): HqError {
  // post_list catches the AssertionError and answers with an `error_message` key.
  return new HqError(400, { kind: 'error_message', message }, message)
}

function requireBool (key: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw serverError(`'${key}' is ${jsonType(v)}, not a boolean: HQ's Group model rejects it and answers 500`)
  return v
}

function requireObject (key: string, v: unknown): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw serverError(`'${key}' is ${jsonType(v)}, not an object: HQ's Group model rejects it and answers 500`)
  }
  return v as Record<string, unknown>
}

function requireName (v: unknown): string {
  if (typeof v !== 'string') throw serverError(`'name' is ${jsonType(v)}, not a string: HQ's Group model rejects it and answers 500`)
  return v
}

/**
 * Member ids for a create: HQ loads each user (`CommCareUser.get`), so an id
 * that is not a mobile worker of this domain fails with a 500.
 */
function memberIdsForCreate (domain: DomainState, v: unknown): string[] {
  if (!Array.isArray(v)) throw serverError(`'users' is ${jsonType(v)}, not a list of user ids: HQ fails and answers 500`)
  const ids: string[] = []
  for (const id of v) {
    if (typeof id !== 'string' || domain.liveUser(id) === undefined) {
      throw serverError(`user id ${JSON.stringify(id)} is not a mobile worker of domain '${domain.name}': HQ's CommCareUser.get fails and answers 500`)
    }
    if (!ids.includes(id)) ids.push(id)
  }
  return ids
}

/** Member ids for a PUT: HQ stores any id, but only live users of the domain can ever show up. */
function memberIdsForUpdate (domain: DomainState, v: unknown): { ids: string[], dropped: string[] } {
  if (!Array.isArray(v)) throw serverError(`'users' is ${jsonType(v)}, not a list of user ids: HQ fails and answers 500`)
  const ids: string[] = []
  const dropped: string[] = []
  for (const id of v) {
    if (typeof id !== 'string') throw serverError(`user id ${JSON.stringify(id)} is not a string: HQ fails and answers 500`)
    if (domain.liveUser(id) === undefined) dropped.push(id)
    else if (!ids.includes(id)) ids.push(id)
  }
  return { ids, dropped }
}

/** Replaces a group's members; each user's `groups` follows. */
export function setGroupUsers (domain: DomainState, group: Group, userIds: string[]): void {
  const next = new Set(userIds)
  for (const uid of group.users) {
    if (next.has(uid)) continue
    const u = domain.usersById.get(uid)
    if (u !== undefined) u.groups = u.groups.filter(g => g !== group.id)
  }
  for (const uid of userIds) {
    const u = domain.usersById.get(uid)
    if (u !== undefined && !u.groups.includes(group.id)) u.groups.push(group.id)
  }
  group.users = [...next]
}

export interface GroupCreatePlan {
  group: Group
  apply: () => void
}

/** POST: validates, then `apply()` adds the group and its memberships. */
export function planGroupCreate (domain: DomainState, body: Record<string, unknown>): GroupCreatePlan {
  const name = body.name === undefined || body.name === null ? '' : requireName(body.name)
  if (name === '') throw createError('Name is required')
  if (domain.groupsByName.has(name)) throw createError(`A group with name ${name} already exists`)
  const group: Group = {
    id: newId(),
    name,
    case_sharing: body.case_sharing === undefined ? false : requireBool('case_sharing', body.case_sharing),
    reporting: body.reporting === undefined ? true : requireBool('reporting', body.reporting),
    metadata: body.metadata === undefined ? {} : { ...requireObject('metadata', body.metadata) },
    users: []
  }
  const members = body.users === undefined ? [] : memberIdsForCreate(domain, body.users)
  return {
    group,
    apply: () => {
      domain.addGroup(group)
      setGroupUsers(domain, group, members)
    }
  }
}

/**
 * PUT: the keys sent replace the group's values; `users` replaces the
 * membership. Validated whole, then applied (the mock's PUT is all or nothing).
 * Returns the ids of `users` that were dropped because no such live user exists.
 */
export function updateGroup (domain: DomainState, group: Group, body: Record<string, unknown>): string[] {
  let name: string | undefined
  let caseSharing: boolean | undefined
  let reporting: boolean | undefined
  let metadata: Record<string, unknown> | undefined
  let members: { ids: string[], dropped: string[] } | undefined
  for (const [key, value] of Object.entries(body)) {
    switch (key) {
      case 'name': {
        const n = value === null ? '' : requireName(value)
        if (n === group.name) break
        if (n.trim() === '') throw badRequest('Name must not be blank')
        if (domain.groupsByName.has(n)) throw badRequest(`A group with name ${n} already exists`)
        name = n
        break
      }
      case 'case_sharing':
        caseSharing = requireBool(key, value)
        break
      case 'reporting':
        reporting = requireBool(key, value)
        break
      case 'metadata':
        metadata = { ...requireObject(key, value) }
        break
      case 'users':
        members = memberIdsForUpdate(domain, value)
        break
      case 'domain':
        // HQ asserts the group still belongs to the URL's domain after the update.
        if (value !== domain.name) throw serverError(`'domain' ${JSON.stringify(value)} differs from '${domain.name}': HQ's assertion fails and answers 500`)
        break
      default:
        // Read-only keys of a GET echoed back (id, resource_uri) and anything
        // else are accepted without effect.
        break
    }
  }
  if (name !== undefined) domain.renameGroup(group, name)
  if (caseSharing !== undefined) group.case_sharing = caseSharing
  if (reporting !== undefined) group.reporting = reporting
  if (metadata !== undefined) group.metadata = metadata
  if (members !== undefined) setGroupUsers(domain, group, members.ids)
  return members?.dropped ?? []
}

/** DELETE: the group goes, and with it every user's membership. */
export function deleteGroup (domain: DomainState, group: Group): void {
  for (const uid of group.users) {
    const u = domain.usersById.get(uid)
    if (u !== undefined) u.groups = u.groups.filter(g => g !== group.id)
  }
  domain.removeGroup(group)
}
