import type { SeedDomain, SeedUser } from '../../src/store/schema.js'

// Small seed fragments for tests that make a domain of their own: only what a
// test cares about is spelled out, the rest is empty.

/** A seed domain: no toggles, profiles, roles, locations, groups or users unless given. */
export function seedDomain (fields: Pick<SeedDomain, 'project_name' | 'members'> & Partial<SeedDomain>): SeedDomain {
  return {
    toggles: [],
    rate_limit_per_minute: null,
    custom_user_fields: [],
    profiles: [],
    roles: [],
    locations: [],
    groups: [],
    users: [],
    ...fields
  }
}

/** An active mobile worker in no group or location, with no profile, role or user data unless given. */
export function seedUser (fields: Pick<SeedUser, 'id' | 'username' | 'first_name' | 'last_name'> & Partial<SeedUser>): SeedUser {
  return {
    email: '',
    language: 'en',
    phone_numbers: [],
    groups: [],
    locations: [],
    primary_location: null,
    user_data: {},
    profile_id: null,
    role: null,
    is_active: true,
    ...fields
  }
}
