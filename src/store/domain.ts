import type { DomainDoc, Group, Location, StoredUser, Profile } from './schema.js'

/**
 * One domain's document with the lookups the API needs. The document is the
 * persisted truth; the maps and the sorted list are derived from it and rebuilt
 * whenever the document is replaced (load, reset, rollback).
 */
export class DomainState {
  doc: DomainDoc
  usersById = new Map<string, StoredUser>()
  usersByUsername = new Map<string, StoredUser>()
  groupsById = new Map<string, Group>()
  groupsByName = new Map<string, Group>()
  locationsById = new Map<string, Location>()
  profilesById = new Map<string, Profile>()
  private sorted: StoredUser[] | null = null
  /** Serialized answers (per user and URL style), valid until the domain next changes. */
  private readonly rendered = new Map<string, string>()
  /** The list's two views (active, deactivated), valid until the domain next changes. */
  private listed: [StoredUser[], StoredUser[]] | null = null

  constructor (doc: DomainDoc) {
    this.doc = doc
    this.reindex()
  }

  get name (): string {
    return this.doc.name
  }

  replace (doc: DomainDoc): void {
    this.doc = doc
    this.reindex()
  }

  reindex (): void {
    this.usersById.clear()
    this.usersByUsername.clear()
    this.groupsById.clear()
    this.groupsByName.clear()
    this.locationsById.clear()
    this.profilesById.clear()
    for (const u of this.doc.users) {
      this.usersById.set(u.id, u)
      this.usersByUsername.set(u.username.toLowerCase(), u)
    }
    for (const g of this.doc.groups) {
      this.groupsById.set(g.id, g)
      this.groupsByName.set(g.name, g)
    }
    for (const l of this.doc.locations) this.locationsById.set(l.id, l)
    for (const p of this.doc.profiles) this.profilesById.set(String(p.id), p)
    this.sorted = null
    this.changed()
  }

  /** Non-retired users in username order that are active (or, with `deactivated`, not). */
  listedUsers (deactivated: boolean): StoredUser[] {
    if (this.listed === null) {
      const active: StoredUser[] = []
      const inactive: StoredUser[] = []
      for (const u of this.sortedUsers()) (u.is_active ? active : inactive).push(u)
      this.listed = [active, inactive]
    }
    return this.listed[deactivated ? 1 : 0]
  }

  /**
   * A serialized answer from the cache, made on a miss. Any change to the
   * domain drops every entry (`changed()`), so what is served is never stale:
   * a user's answer also depends on groups, profiles and custom fields.
   */
  cachedJson (key: string, make: () => string): string {
    let json = this.rendered.get(key)
    if (json === undefined) {
      json = make()
      this.rendered.set(key, json)
    }
    return json
  }

  /** Call after any change to the document. */
  changed (): void {
    this.rendered.clear()
    this.listed = null
  }

  /** A user that exists and is not retired. */
  liveUser (id: string): StoredUser | undefined {
    const u = this.usersById.get(id)
    return u !== undefined && !u.retired ? u : undefined
  }

  /** Non-retired users sorted by username (HQ sorts on `username.exact`). */
  sortedUsers (): StoredUser[] {
    if (this.sorted === null) {
      this.sorted = this.doc.users.filter(u => !u.retired)
      this.sorted.sort((a, b) => a.username < b.username ? -1 : a.username > b.username ? 1 : 0)
    }
    return this.sorted
  }

  addUser (user: StoredUser): void {
    this.doc.users.push(user)
    this.usersById.set(user.id, user)
    this.usersByUsername.set(user.username.toLowerCase(), user)
    this.sorted = null
    this.listed = null
  }

  /** Call after a user's `retired` or `is_active` flag changed. */
  usersChanged (): void {
    this.sorted = null
    this.listed = null
  }

  addGroup (group: Group): void {
    this.doc.groups.push(group)
    this.groupsById.set(group.id, group)
    this.groupsByName.set(group.name, group)
  }

  removeGroup (group: Group): void {
    this.doc.groups = this.doc.groups.filter(g => g !== group)
    this.groupsById.delete(group.id)
    if (this.groupsByName.get(group.name) === group) this.groupsByName.delete(group.name)
  }

  renameGroup (group: Group, name: string): void {
    if (this.groupsByName.get(group.name) === group) this.groupsByName.delete(group.name)
    group.name = name
    this.groupsByName.set(name, group)
  }

  isMember (username: string): { permissions: string[] } | undefined {
    return this.doc.members.find(m => m.username.toLowerCase() === username.toLowerCase())
  }

  hasToggle (toggle: string): boolean {
    return this.doc.toggles.includes(toggle)
  }
}
