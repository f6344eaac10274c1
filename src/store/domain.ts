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
  }

  /** Call after a user's `retired` flag changed. */
  usersChanged (): void {
    this.sorted = null
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
