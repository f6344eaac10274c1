import { createHash } from 'node:crypto'
import type { ApiKey, Group, Member, Role, Seed, SeedDomain, SeedDomainInput, SeedInput, SeedUser, SeedUserInput, SeedWebUserInput, WebUser } from './schema.js'

// The defaults of a seed as written (schema.ts: SeedSchema, SeedDomainSchema):
// every key left out gets the value HQ gives a thing that never set it, and a
// key that is given keeps its value. Ids left out are derived from the names,
// so a reset or a restart gives the same ones. docs/SEED.md lists them all.

/** A 32-hex-digit id (HQ's UUID style) derived from its kind and names: the same input, the same id. */
export function derivedId (kind: string, ...names: string[]): string {
  return createHash('sha256').update(['commcare-hq-mock', kind, ...names].join('\0')).digest('hex').slice(0, 32)
}

/** HQ's mobile-worker username: a bare name becomes `<name>@<domain>.commcarehq.org`. */
export function workerUsername (domain: string, username: string): string {
  return username.includes('@') ? username : `${username}@${domain}.commcarehq.org`
}

export function completeWorker (domain: string, u: SeedUserInput): SeedUser {
  // Only a short entry (no id: a seed of 0.2 or before always gave one) gets
  // HQ's full name, so an older seed's bare username keeps meaning what it did.
  const username = u.id === undefined ? workerUsername(domain, u.username) : u.username
  const locations = u.locations ?? []
  return {
    ...u,
    id: u.id ?? derivedId('user', domain, username.toLowerCase()),
    username,
    first_name: u.first_name ?? '',
    last_name: u.last_name ?? '',
    email: u.email ?? '',
    phone_numbers: u.phone_numbers ?? [],
    groups: u.groups ?? [],
    locations,
    primary_location: u.primary_location !== undefined ? u.primary_location : locations[0] ?? null,
    user_data: u.user_data ?? {},
    profile_id: u.profile_id ?? null,
    role: u.role ?? null,
    is_active: u.is_active ?? true
  }
}

export function completeWebUser (w: SeedWebUserInput): WebUser {
  return {
    ...w,
    id: w.id ?? derivedId('web-user', w.username.toLowerCase()),
    first_name: w.first_name ?? '',
    last_name: w.last_name ?? '',
    email: w.email ?? w.username,
    api_keys: (w.api_keys ?? []).map((k): ApiKey => ({ ...k, domain: k.domain ?? null, active: k.active ?? true })),
    tokens: (w.tokens ?? []).map(t => ({ ...t, domain: t.domain ?? null }))
  }
}

/**
 * A domain with its defaults. `webUsernames`: the web users that become
 * admins of a domain that names no `members` (a domain without members could
 * not be called at all).
 */
export function completeDomain (name: string, d: SeedDomainInput & { $schema?: string }, webUsernames: readonly string[] = []): SeedDomain {
  const { $schema: _, ...rest } = d
  const members: Member[] = rest.members ?? webUsernames.map(username => ({ username, is_admin: true }))
  return {
    ...rest,
    project_name: rest.project_name ?? name,
    toggles: rest.toggles ?? [],
    rate_limit_per_minute: rest.rate_limit_per_minute ?? null,
    members,
    custom_user_fields: rest.custom_user_fields ?? [],
    profiles: rest.profiles ?? [],
    roles: (rest.roles ?? []).map((r): Role => ({ ...r, id: r.id ?? derivedId('role', name, r.name) })),
    locations: rest.locations ?? [],
    groups: (rest.groups ?? []).map((g): Group => ({
      ...g,
      case_sharing: g.case_sharing ?? false,
      reporting: g.reporting ?? true,
      metadata: g.metadata ?? {},
      users: g.users ?? []
    })),
    users: (rest.users ?? []).map(u => completeWorker(name, u))
  }
}

/** A whole seed with its defaults (validated by the caller). */
export function completeSeed (seed: SeedInput): Seed {
  const webUsers = (seed.web_users ?? []).map(completeWebUser)
  const usernames = webUsers.map(w => w.username)
  // Domain names come from the seed: a table without Object.prototype ('constructor' is a valid name).
  const domains: Record<string, SeedDomain> = Object.create(null)
  for (const [name, d] of Object.entries(seed.domains ?? {})) domains[name] = completeDomain(name, d, usernames)
  return {
    ...(seed.feature_flags === undefined ? {} : { feature_flags: seed.feature_flags }),
    web_users: webUsers,
    domains
  }
}
