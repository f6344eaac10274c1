import { DEFAULT_FEATURE_FLAGS, memberActive, memberPermissions, toggleMatches } from './roles.js'
import type { Identity } from './auth.js'
import type { DomainState } from '../store/domain.js'

// user_domains (BEHAVIOR.md §9.7, [R2 §D]): the domains of the caller, as
// HQ's UserDomainsResource.get_object_list picks them.

export interface UserDomainsSource {
  domains: () => DomainState[]
  domain: (name: string) => DomainState | undefined
  featureFlags: () => string[] | undefined
  seedDomainNames: () => string[]
}

export interface UserDomainsFilters {
  /** `feature_flag=<slug>`; empty or absent: no filter. */
  featureFlag?: string
  /** `can_view_reports=<anything non-empty>` (a string truthiness test, so `false` filters too). */
  canViewReports?: string
}

export interface UserDomainItem {
  domain_name: string
  project_name: string
}

export type UserDomainsResult =
  | { kind: 'ok', objects: UserDomainItem[] }
  | { kind: 'bad-flag', slug: string }

/**
 * The candidate domains are the caller's active memberships in membership
 * order (the mock's: the seed's domain order, then domains created later by
 * name), or exactly the one domain a scoped key or token
 * names. Each filter given then applies to every candidate (HQ applies them to
 * a scoped key's domain too). A deactivated membership is not listed: its
 * domain answers 403 to the same credentials. With authentication off the
 * caller is a member of every domain.
 */
export function userDomains (source: UserDomainsSource, identity: Extract<Identity, { kind: 'web' }>, filters: UserDomainsFilters): UserDomainsResult {
  const flag = filters.featureFlag ?? ''
  if (flag !== '' && !(source.featureFlags() ?? DEFAULT_FEATURE_FLAGS).includes(flag)) return { kind: 'bad-flag', slug: flag }
  const all = identity.via === 'none'
  const username = identity.user.username
  let candidates: DomainState[]
  if (identity.scope !== null) {
    const scoped = source.domain(identity.scope)
    candidates = scoped === undefined ? [] : [scoped]
  } else {
    const order = new Map(source.seedDomainNames().map((n, i) => [n, i]))
    const rank = (d: DomainState): number => order.get(d.name) ?? Number.MAX_SAFE_INTEGER
    candidates = source.domains()
      .filter(d => {
        const member = d.isMember(username)
        return all || (member !== undefined && memberActive(member))
      })
      .sort((a, b) => rank(a) - rank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }
  const userToggles = identity.user.toggles ?? []
  const objects: UserDomainItem[] = []
  for (const d of candidates) {
    if (flag !== '' && !d.doc.toggles.some(t => toggleMatches(t, flag)) && !userToggles.some(t => toggleMatches(t, flag))) continue
    if ((filters.canViewReports ?? '') !== '' && !all && !canViewReports(d, username)) continue
    objects.push({ domain_name: d.name, project_name: d.doc.project_name === '' ? d.name : d.doc.project_name })
  }
  return { kind: 'ok', objects }
}

/** HQ's `couch_user.can_view_reports(domain)`: an admin, or a role with `view_reports`. */
function canViewReports (domain: DomainState, username: string): boolean {
  const member = domain.isMember(username)
  return member !== undefined && memberPermissions(domain, member).has('view_reports')
}

/** Python's `repr` of a str: single quotes, or double quotes when it holds a `'` and no `"`. */
export function pythonRepr (s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'"
  let out = ''
  for (const ch of s) {
    const code = ch.codePointAt(0)!
    if (ch === '\\') out += '\\\\'
    else if (ch === quote) out += '\\' + ch
    else if (ch === '\n') out += '\\n'
    else if (ch === '\r') out += '\\r'
    else if (ch === '\t') out += '\\t'
    else if (code < 0x20 || code === 0x7f) out += '\\x' + code.toString(16).padStart(2, '0')
    else out += ch
  }
  return quote + out + quote
}
