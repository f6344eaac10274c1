import { randomUUID } from 'node:crypto'
import { HqError, serverError } from './errors.js'
import { ADMIN_ROLE_NAME } from './roles.js'
import { readSpec, unknownLocations, validateWebUserSpec, webMembers, type Caller, type EmailContext } from './web-users.js'
import type { DomainState } from '../store/domain.js'
import type { Invitation, WebUser } from '../store/schema.js'

// Invitations (BEHAVIOR.md §12, [R2 §G.6]): `POST …/invitation/v1/` validates
// like a web-user update (plus the e-mail checks), stores a pending
// invitation and has HQ send an e-mail. Acceptance is the mock's own
// (src/mock/invitations.ts): HQ's invitee clicks a link.

/** The invitation as HQ answers it: every declared field, sorted. */
export interface ApiInvitation {
  assigned_location_ids: string[]
  email: string
  id: string
  primary_location_id: string | null
  profile: string | null
  resource_uri: string
  role: string
  tableau_groups: string[]
  tableau_role: string | null
  user_data: Record<string, unknown>
}

export function renderInvitation (inv: Invitation): ApiInvitation {
  return {
    assigned_location_ids: [...inv.assigned_location_ids],
    email: inv.email,
    id: inv.id,
    primary_location_id: inv.primary_location_id,
    profile: inv.profile,
    resource_uri: '',
    role: inv.role,
    tableau_groups: [...inv.tableau_groups],
    tableau_role: inv.tableau_role,
    user_data: { ...inv.user_data }
  }
}

/** Pending invitations of the domain. */
export function pendingInvitations (domain: DomainState): Invitation[] {
  return (domain.doc.invitations ?? []).filter(i => i.status === 'pending')
}

/** Who the e-mail of a new invitation may not be: current web users, pending invitees, deactivated accounts. */
export function emailContext (domain: DomainState, webUser: (username: string) => WebUser | undefined): EmailContext {
  const taken = new Set<string>()
  for (const { user } of webMembers(domain, webUser)) if (user.is_active !== false) taken.add(user.username.toLowerCase())
  for (const inv of pendingInvitations(domain)) taken.add(inv.email.toLowerCase())
  return {
    taken,
    deactivated: email => webUser(email)?.is_active === false
  }
}

/**
 * Validates an invitation body and builds the invitation (not yet stored).
 * Validation failures → 400 `{"errors": [...]}`; location ids that do not
 * resolve → 400 `{"error": "Could not find location ids: …."}`.
 */
export function planInvitation (domain: DomainState, caller: Caller, invitedBy: string, body: Record<string, unknown>, emails: EmailContext): Invitation {
  const spec = readSpec(body, null)
  if (spec.email !== undefined && spec.email !== null && typeof spec.email !== 'string') {
    throw serverError('\'email\' is not a string: HQ fails while lower-casing it and answers 500')
  }
  const errors = validateWebUserSpec(domain, caller, spec, emails)
  if (errors.length > 0) {
    throw new HqError(400, { kind: 'errors', messages: errors },
      `the invitation failed validation (${errors.length} message${errors.length === 1 ? '' : 's'}); nothing was stored and no e-mail sent`)
  }
  let primary: string | null = null
  let assigned: string[] = []
  if (spec.assignedLocations !== null && spec.assignedLocations.length > 0) {
    const missing = unknownLocations(domain, spec.assignedLocations)
    if (missing.length > 0) {
      throw new HqError(400, { kind: 'error-raw', message: `Could not find location ids: ${missing.join(', ')}.` },
        `location ids ${missing.join(', ')} are not locations of domain '${domain.name}'; nothing was stored and no e-mail sent`)
    }
    primary = spec.primaryLocation
    assigned = [...new Set(spec.assignedLocations)]
  }
  const profile = typeof spec.profile === 'string' && spec.profile !== '' ? spec.profile : null
  return {
    id: randomUUID(),
    email: (spec.email as string).toLowerCase(),
    role: spec.role as string,
    primary_location_id: primary,
    assigned_location_ids: assigned,
    profile,
    user_data: { ...spec.userData },
    tableau_role: typeof spec.tableauRole === 'string' ? spec.tableauRole : null,
    tableau_groups: Array.isArray(spec.tableauGroups) ? spec.tableauGroups.map(String) : [],
    invited_by: invitedBy,
    invited_on: new Date().toISOString(),
    status: 'pending'
  }
}

export function addInvitation (domain: DomainState, invitation: Invitation): void {
  domain.doc.invitations ??= []
  domain.doc.invitations.push(invitation)
}

/** The role an invitation gives: an admin for "Admin", else that role. */
export function invitedAdmin (inv: Invitation): boolean {
  return inv.role === ADMIN_ROLE_NAME
}
