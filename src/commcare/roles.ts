import type { DomainState } from '../store/domain.js'
import type { Member, Role } from '../store/schema.js'

// Roles, permissions, privileges and feature flags of a domain (BEHAVIOR.md
// §2, §3, §9.7). Plain functions over the domain's document.

/** HQ's name for the role it creates on demand for mobile workers with none. */
export const HQ_DEFAULT_MOBILE_ROLE = 'Mobile Worker Default'

/** The role name HQ reports for a domain admin. */
export const ADMIN_ROLE_NAME = 'Admin'

/** The boolean `HqPermissions` properties (an admin has every one). */
export const HQ_PERMISSIONS = [
  'edit_web_users', 'view_web_users', 'view_roles', 'edit_commcare_users', 'view_commcare_users',
  'edit_groups', 'view_groups', 'edit_users_in_groups', 'edit_locations', 'view_locations',
  'edit_users_in_locations', 'view_data_dict', 'edit_data_dict', 'edit_motech', 'edit_data', 'edit_apps',
  'view_apps', 'edit_shared_exports', 'access_all_locations', 'access_api', 'access_web_apps',
  'edit_messaging', 'access_release_management', 'edit_linked_configurations', 'edit_reports',
  'download_reports', 'view_reports', 'edit_ucrs', 'view_tableau', 'edit_billing', 'report_an_issue',
  'access_mobile_endpoints', 'view_file_dropzone', 'edit_file_dropzone', 'login_as_all_users',
  'limited_login_as', 'access_default_login_as_user', 'manage_data_registry',
  'view_data_registry_contents', 'manage_attendance_tracking', 'manage_domain_alerts'
] as const

/** Plan privileges the mock knows, with HQ's default for a domain whose seed does not say. */
export const PRIVILEGE_DEFAULTS: Record<string, boolean> = {
  // Generally available since August 2025 on every plan with API access [R2 §B.4].
  TWO_STAGE_MOBILE_WORKER_ACCOUNT_CREATION: true,
  // Every plan with API access has locations.
  LOCATIONS: true,
  // User profiles (web-user and invitation `profile`): on unless the seed says otherwise.
  APP_USER_PROFILES: true
}

export const TWO_STAGE_PRIVILEGE = 'TWO_STAGE_MOBILE_WORKER_ACCOUNT_CREATION'
export const LOCATIONS_PRIVILEGE = 'LOCATIONS'
export const PROFILES_PRIVILEGE = 'APP_USER_PROFILES'

/**
 * Feature-flag slugs HQ knows, for `user_domains?feature_flag=` when the seed
 * declares none. A small selection of HQ's toggles, `superset-analytics` (what
 * CommCare Analytics asks for) among them.
 */
export const DEFAULT_FEATURE_FLAGS = [
  'superset-analytics',
  'commcare_connect',
  'two_stage_user_provisioning',
  'location_field_user_provisioning',
  'tableau_user_syncing',
  'api_throttle_whitelist'
]

/** Whether the domain has a plan privilege (seed `privileges`, else HQ's default). */
export function hasPrivilege (domain: DomainState, name: string): boolean {
  const set = domain.doc.privileges?.[name]
  return set ?? PRIVILEGE_DEFAULTS[name] ?? false
}

/** A domain toggle named either by its slug or by HQ's constant (`commcare_connect` / `COMMCARE_CONNECT`). */
export function toggleMatches (entry: string, slug: string): boolean {
  return entry === slug || entry.toLowerCase().replace(/-/g, '_') === slug.toLowerCase().replace(/-/g, '_')
}

/** Roles of the domain with this exact name (HQ's `by_domain_and_name`). */
export function rolesNamed (domain: DomainState, name: string): Role[] {
  return domain.doc.roles.filter(r => r.name === name)
}

/** The name a mobile worker without an assigned role reports. */
export function defaultMobileRoleName (domain: DomainState): string {
  return domain.doc.default_mobile_worker_role ?? HQ_DEFAULT_MOBILE_ROLE
}

/**
 * The `role` key of a worker: its role's name; the domain's default when none
 * is assigned; null when the assigned role no longer exists.
 */
export function workerRoleName (domain: DomainState, role: string | null): string | null {
  if (role === null || role === '') return defaultMobileRoleName(domain)
  return domain.doc.roles.some(r => r.name === role) ? role : null
}

/** A role's permissions (an unknown name grants none). */
export function rolePermissions (domain: DomainState, roleName: string | null | undefined): Set<string> {
  const out = new Set<string>()
  if (roleName === null || roleName === undefined) return out
  const role = domain.doc.roles.find(r => r.name === roleName)
  for (const p of role?.permissions ?? []) out.add(p)
  return out
}

/** What a member may do: an admin everything; else the role's permissions plus direct grants. */
export function memberPermissions (domain: DomainState, member: Member): Set<string> {
  if (member.is_admin === true) return new Set(HQ_PERMISSIONS)
  const out = rolePermissions(domain, member.role)
  for (const p of member.permissions ?? []) out.add(p)
  return out
}

/** The membership is active unless the seed (or a deactivation) says otherwise. */
export function memberActive (member: Member): boolean {
  return member.is_active !== false
}
