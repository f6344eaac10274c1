import { createHash } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import type { Seed, SeedDomain, SeedUser } from '../src/store/schema.js'

// Generated seeds for the benchmark: one web user who may call every domain,
// and domains of any size with groups and locations. Users get no password, so
// the server starts without hashing thousands of them.

export const BENCH_USER = 'bench@example.org'
export const BENCH_KEY = 'bench-api-key'
export const BENCH_AUTH = `ApiKey ${BENCH_USER}:${BENCH_KEY}`

const GROUPS = 20
const LOCATIONS = 10

function hexId (...parts: Array<string | number>): string {
  return createHash('md5').update(parts.join(':')).digest('hex')
}

/** The ids of a generated domain's users, in seed order. */
export function userIds (domain: string, users: number): string[] {
  const ids: string[] = []
  for (let i = 0; i < users; i++) ids.push(hexId(domain, 'user', i))
  return ids
}

export function generateDomain (name: string, users: number): SeedDomain {
  const groupIds = Array.from({ length: GROUPS }, (_, i) => hexId(name, 'group', i))
  const locationIds = Array.from({ length: LOCATIONS }, (_, i) => hexId(name, 'location', i))
  const groups = groupIds.map((id, i) => ({
    id,
    name: `Team ${i + 1}`,
    case_sharing: i % 2 === 0,
    reporting: true,
    metadata: { region: `region-${i % 4}` },
    users: [] as string[]
  }))
  const list: SeedUser[] = []
  const ids = userIds(name, users)
  for (let i = 0; i < users; i++) {
    const id = ids[i]
    const group = groups[i % GROUPS]
    group.users.push(id)
    const location = locationIds[i % LOCATIONS]
    list.push({
      id,
      username: `worker${String(i).padStart(6, '0')}@${name}.commcarehq.org`,
      first_name: `First${i}`,
      last_name: `Last${i}`,
      email: `worker${i}@example.org`,
      language: 'en',
      phone_numbers: [`2547${String(i).padStart(8, '0')}`],
      groups: [group.id],
      locations: [location],
      primary_location: location,
      user_data: { chw_id: `CHW-${i}` },
      profile_id: i % 3 === 0 ? 1 : null,
      role: 'Mobile Worker',
      is_active: i % 50 !== 49
    })
  }
  return {
    project_name: `Benchmark ${name}`,
    toggles: [],
    rate_limit_per_minute: null,
    members: [{ username: BENCH_USER, permissions: ['edit_commcare_users', 'access_api', 'view_commcare_users'] }],
    custom_user_fields: ['chw_id'],
    profiles: [{ id: 1, name: 'Community Health Worker', fields: { program: 'maternal-health' } }],
    roles: [{ id: hexId(name, 'role'), name: 'Mobile Worker' }],
    locations: locationIds.map((id, i) => ({
      id,
      name: `Location ${i + 1}`,
      site_code: `loc-${i + 1}`,
      location_type: 'county',
      parent: null,
      latitude: null,
      longitude: null,
      external_id: null,
      location_data: {},
      created_at: '2024-01-15T09:00:00.000000',
      last_modified: '2024-01-15T09:00:00.000000'
    })),
    groups,
    users: list
  }
}

/** A seed with one domain per entry of `domains` (name → number of users). */
export function generateSeed (domains: Record<string, number>): Seed {
  return {
    web_users: [{
      id: hexId('web', BENCH_USER),
      username: BENCH_USER,
      password: 'bench-password',
      first_name: 'Bench',
      last_name: 'Mark',
      email: BENCH_USER,
      api_keys: [{ key: BENCH_KEY, domain: null, active: true }],
      tokens: []
    }],
    domains: Object.fromEntries(Object.entries(domains).map(([name, n]) => [name, generateDomain(name, n)]))
  }
}

export async function writeSeed (path: string, domains: Record<string, number>): Promise<void> {
  await writeFile(path, JSON.stringify(generateSeed(domains)))
}
