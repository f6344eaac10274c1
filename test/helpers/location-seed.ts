import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Test } from 'tap'
import type { Location, Seed } from '../../src/store/schema.js'
import { Store } from '../../src/store/store.js'
import { SEED } from './app.js'
import { seedDomain } from './seed.js'

// The bundled seed plus what the location tests need: an archived location in
// demo, a domain in the 0.1 format (no `location_types`: they are derived)
// and a domain without the LOCATIONS privilege.

export const LOCATION_EDITOR = 'ApiKey locations@example.org:locations-key'
export const NO_API_ACCESS = 'ApiKey noapi@example.org:noapi-key'
export const LOC_ARCHIVED = 'a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0'
export const LEGACY = {
  region: '11111111111111111111111111111111',
  district: '22222222222222222222222222222222',
  facility: '33333333333333333333333333333333',
  clinic: '44444444444444444444444444444444'
}

function location (fields: Pick<Location, 'id' | 'name' | 'location_type' | 'parent'> & Partial<Location>): Location {
  return {
    site_code: fields.name.toLowerCase().replace(/\W+/g, '_'),
    latitude: null,
    longitude: null,
    external_id: null,
    location_data: {},
    created_at: '2024-05-01T10:00:00.000000',
    last_modified: '2024-05-01T10:00:00.000000',
    ...fields
  }
}

export function locationSeed (): Seed {
  const seed = JSON.parse(readFileSync(SEED, 'utf8')) as Seed
  seed.domains.demo.locations.push(location({
    id: LOC_ARCHIVED, name: 'Old Town', location_type: 'ward', parent: seed.domains.demo.locations[0].id, is_archived: true
  }))
  // A member whose role grants edit_locations and access_api, and one whose role lacks access_api.
  for (const [username, key, role] of [['locations@example.org', 'locations-key', 'Project Manager'], ['noapi@example.org', 'noapi-key', 'Location Editor']]) {
    seed.web_users.push({ id: username, username, password: 'not-used-1', first_name: '', last_name: '', email: username, api_keys: [{ key, domain: null, active: true }], tokens: [] })
    seed.domains.demo.members.push({ username, role })
  }
  seed.domains.demo.roles.push({ id: 'e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0', name: 'Location Editor', permissions: ['edit_locations', 'view_locations'] })
  const admin = [{ username: 'admin@example.org', is_admin: true }]
  seed.domains.legacy = seedDomain({
    project_name: 'Legacy',
    members: admin,
    locations: [
      location({ id: LEGACY.region, name: 'Coast', location_type: 'region', parent: null, latitude: '-4.05', longitude: '39.6667', created_at: '2023-01-01T00:00:00.250000' }),
      location({ id: LEGACY.district, name: 'Mombasa', location_type: 'sub_county', parent: LEGACY.region }),
      location({ id: LEGACY.facility, name: 'Likoni Clinic', location_type: 'health_facility', parent: LEGACY.district, is_archived: true }),
      location({ id: LEGACY.clinic, name: 'Old Port Clinic', location_type: 'health_facility', parent: LEGACY.district, last_modified: '2025-06-30T23:59:59.999999' })
    ]
  })
  seed.domains.noloc = seedDomain({ project_name: 'No locations', members: admin, privileges: { LOCATIONS: false } })
  return seed
}

/** A store on `locationSeed()` (or another seed), written to the test's own directory. */
export async function locationStore (t: Test, seed: Seed = locationSeed()): Promise<Store> {
  const dir = t.testdir({})
  const seedPath = join(dir, 'seed.json')
  writeFileSync(seedPath, JSON.stringify(seed))
  return await Store.open({ seedPath, dataDir: null })
}

// HQ's own test tree (corehq/apps/locations/tests/test_api_resources.py,
// LocationV0_6Test), plus a second top-level type and a required field.
export const TREE = {
  colorado: 'c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0',
  denver: 'd0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0',
  southPark: 'e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1',
  kansas: 'f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0',
  wichita: 'f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1',
  archivedCity: 'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1'
}

/** `locationSeed()` plus the domain `tree`: types state and region at the top, city and county under state. */
export function locationWriteSeed (): Seed {
  const seed = locationSeed()
  const type = (id: number, code: string, name: string, parent: string | null) => ({ id, code, name, parent, administrative: false, shares_cases: false, view_descendants: false })
  seed.domains.tree = seedDomain({
    project_name: 'Tree',
    members: [{ username: 'admin@example.org', is_admin: true }],
    location_types: [type(11, 'state', 'State', null), type(12, 'city', 'City', 'state'), type(13, 'county', 'County', 'state'), type(14, 'region', 'Region', null)],
    custom_location_fields: [
      { slug: 'population', label: 'Population', is_required: true },
      { slug: 'tier', label: 'Tier', choices: ['1', '2', '3'], regex: '^\\d$' }
    ],
    locations: [
      location({ id: TREE.colorado, name: 'Colorado', location_type: 'state', parent: null }),
      location({ id: TREE.denver, name: 'Denver', location_type: 'city', parent: TREE.colorado, latitude: '11.1234567891', longitude: '10.1234567891', location_data: { population: '715,522' } }),
      location({ id: TREE.southPark, name: 'south park', location_type: 'county', parent: null }),
      location({ id: TREE.kansas, name: 'Kansas', location_type: 'state', parent: null }),
      location({ id: TREE.wichita, name: 'Wichita', location_type: 'city', parent: TREE.kansas, site_code: 'wichita7' }),
      location({ id: TREE.archivedCity, name: 'Leadville', location_type: 'city', parent: TREE.colorado, site_code: 'leadville', is_archived: true })
    ]
  })
  return seed
}
