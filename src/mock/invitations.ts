import { randomBytes } from 'node:crypto'
import { MockApiError } from '../http/errors.js'
import { invitedAdmin } from '../commcare/invitations.js'
import { onDisk } from './control.js'
import type { Store } from '../store/store.js'
import type { Invitation, Member, WebUser } from '../store/schema.js'

// Invitations under the test-control API: list them, and accept one as the
// invitee would by following HQ's e-mail. HQ has no such API.

export type InvitationStatus = Invitation['status']

export interface InvitationFilter {
  domain?: string
  /** The invitee's address, compared case-insensitively. */
  email?: string
  status?: InvitationStatus
}

/** An invitation as the test-control API shows it: the stored record and its domain. */
export type MockInvitation = Invitation & { domain: string }

export interface AcceptedInvitation {
  invitation: MockInvitation
  web_user: {
    id: string
    username: string
    /** True when the invitee had no account and one was made. */
    created: boolean
  }
}

export function isInvitationStatus (value: unknown): value is InvitationStatus {
  return value === 'pending' || value === 'accepted'
}

/** Invitations of every domain (or one), oldest first. */
export function listInvitations (store: Store, filter: InvitationFilter = {}): MockInvitation[] {
  const email = filter.email?.toLowerCase()
  const out: MockInvitation[] = []
  for (const name of store.domainNames()) {
    if (filter.domain !== undefined && filter.domain !== name) continue
    for (const inv of store.domain(name)!.doc.invitations ?? []) {
      if (email !== undefined && inv.email.toLowerCase() !== email) continue
      if (filter.status !== undefined && inv.status !== filter.status) continue
      out.push({ ...structuredClone(inv), domain: name })
    }
  }
  return out
}

function find (store: Store, id: string): { domain: string, invitation: Invitation } | undefined {
  for (const name of store.domainNames()) {
    const invitation = store.domain(name)!.doc.invitations?.find(i => i.id === id)
    if (invitation !== undefined) return { domain: name, invitation }
  }
  return undefined
}

/**
 * What the invitee's click on HQ's link does: the invitee becomes a member of
 * the domain with the invited role, locations, profile, user data and Tableau
 * settings. A web-user account is made when none has the invited address as
 * its username (or, failing that, as its e-mail); it has no usable password
 * and no API key (the seed gives those), so it cannot call the API itself.
 */
export async function acceptInvitation (store: Store, id: string): Promise<AcceptedInvitation> {
  const found = find(store, id)
  if (found === undefined) throw new MockApiError(404, `there is no invitation '${id}'`)
  const { invitation } = found
  if (invitation.status !== 'pending') throw new MockApiError(409, `invitation '${id}' was already accepted`)
  const state = store.domain(found.domain)!
  const email = invitation.email.toLowerCase()
  let user = store.webUser(email) ?? store.webUsers().find(w => w.email.toLowerCase() === email)
  let created = false
  if (user === undefined) {
    const account: WebUser = {
      id: randomBytes(16).toString('hex'),
      username: invitation.email,
      // Random and never shown: the account has no password anyone knows.
      password: randomBytes(32).toString('hex'),
      first_name: '',
      last_name: '',
      email: invitation.email,
      api_keys: [],
      tokens: []
    }
    await onDisk(() => store.addWebUser(account))
    user = account
    created = true
  }
  const username = user.username
  await onDisk(() => store.mutate(state, () => {
    const member: Member = state.isMember(username) ?? { username }
    if (!state.doc.members.includes(member)) state.doc.members.push(member)
    if (invitedAdmin(invitation)) {
      member.is_admin = true
      member.role = null
    } else {
      member.is_admin = false
      member.role = invitation.role
    }
    member.is_active = true
    member.primary_location_id = invitation.primary_location_id
    member.assigned_location_ids = [...invitation.assigned_location_ids]
    member.profile = invitation.profile
    member.user_data = { ...invitation.user_data }
    member.tableau_role = invitation.tableau_role
    member.tableau_groups = [...invitation.tableau_groups]
    invitation.status = 'accepted'
    invitation.accepted_on = new Date().toISOString()
  }, []))
  return {
    invitation: { ...structuredClone(invitation), domain: found.domain },
    web_user: { id: user.id, username, created }
  }
}
