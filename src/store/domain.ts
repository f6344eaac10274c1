import type { DomainDoc, Group, Invitation, Location, LocationField, LocationType, Member, Role, StoredUser, Profile } from './schema.js'

/** What the lookups need of a domain: a stored document or a seed's domain. */
export interface IndexableDomain<U extends { id: string, username: string }> {
  users: U[]
  groups: Group[]
  locations: Location[]
  profiles: Profile[]
  roles?: Role[]
  members?: Member[]
  location_types?: LocationType[]
  invitations?: Invitation[]
  custom_location_fields?: LocationField[]
}

/** The lookups over one domain (where ids repeat, the last one wins). */
export interface DomainIndex<U extends { id: string, username: string } = StoredUser> {
  usersById: Map<string, U>
  /** By lower-cased username. */
  usersByUsername: Map<string, U>
  groupsById: Map<string, Group>
  groupsByName: Map<string, Group>
  locationsById: Map<string, Location>
  /** By the profile's id as a string. */
  profilesById: Map<string, Profile>
}

export function indexDomain<U extends { id: string, username: string }> (domain: IndexableDomain<U>): DomainIndex<U> {
  const index: DomainIndex<U> = {
    usersById: new Map(),
    usersByUsername: new Map(),
    groupsById: new Map(),
    groupsByName: new Map(),
    locationsById: new Map(),
    profilesById: new Map()
  }
  for (const u of domain.users) {
    index.usersById.set(u.id, u)
    index.usersByUsername.set(u.username.toLowerCase(), u)
  }
  for (const g of domain.groups) {
    index.groupsById.set(g.id, g)
    index.groupsByName.set(g.name, g)
  }
  for (const l of domain.locations) index.locationsById.set(l.id, l)
  for (const p of domain.profiles) index.profilesById.set(String(p.id), p)
  return index
}

/** Answers kept per domain (the oldest goes first). */
const RENDERED_MAX = 20_000

/**
 * A string built piece by piece (as answers are) is a tree of its pieces,
 * several times its length in memory, until V8 flattens it; reading a
 * character flattens it in place, so a kept answer costs about its length.
 */
function flat (json: string): string {
  json.charCodeAt(0)
  return json
}

/** Answers by URL style and user, in two generations of at most RENDERED_MAX / 2 answers each. */
class UserAnswers {
  private now = new Map<string, Map<StoredUser, string>>()
  private before = new Map<string, Map<StoredUser, string>>()
  private size = 0

  get<S extends string> (domain: DomainState, user: StoredUser, style: S, make: (domain: DomainState, user: StoredUser, style: S) => string): string {
    let answers = this.now.get(style)
    let json = answers?.get(user)
    if (json !== undefined) return json
    json = this.before.get(style)?.get(user) ?? flat(make(domain, user, style))
    if (this.size >= RENDERED_MAX / 2) {
      this.before = this.now
      this.now = new Map()
      this.size = 0
      answers = undefined
    }
    if (answers === undefined) {
      answers = new Map()
      this.now.set(style, answers)
    }
    answers.set(user, json)
    this.size++
    return json
  }
}

/**
 * One domain's document with the lookups the API needs. The document is the
 * persisted truth; the maps and the sorted list are derived from it and rebuilt
 * whenever the document is replaced (load, reset, rollback).
 */
export class DomainState implements DomainIndex {
  doc: DomainDoc
  usersById!: Map<string, StoredUser>
  usersByUsername!: Map<string, StoredUser>
  groupsById!: Map<string, Group>
  groupsByName!: Map<string, Group>
  locationsById!: Map<string, Location>
  profilesById!: Map<string, Profile>
  private sorted: StoredUser[] | null = null
  /** Serialized answers of single users, by URL style and the user itself, valid until the domain next changes. */
  private renderedUsers = new UserAnswers()
  /** The list's two views (active, deactivated), valid until the domain next changes. */
  private listed: [StoredUser[], StoredUser[]] | null = null

  /** `index`, when given, must be `indexDomain(doc)` (as validation made it). */
  constructor (doc: DomainDoc, index?: DomainIndex) {
    this.doc = doc
    this.reindex(index)
  }

  get name (): string {
    return this.doc.name
  }

  replace (doc: DomainDoc): void {
    this.doc = doc
    this.reindex()
  }

  private reindex (index = indexDomain(this.doc)): void {
    this.usersById = index.usersById
    this.usersByUsername = index.usersByUsername
    this.groupsById = index.groupsById
    this.groupsByName = index.groupsByName
    this.locationsById = index.locationsById
    this.profilesById = index.profilesById
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
   * A user's serialized answer in one URL style from the cache, made on a miss
   * and looked up by the user object (a read builds no key string). Any change
   * to the domain drops every entry (`changed()`), so what is served is never
   * stale: an answer also depends on groups, profiles and custom fields.
   * Bounded: a read of every worker of a large domain must not keep them all.
   * Two generations: when this one is full the older one goes, so the answers
   * asked for lately stay.
   */
  cachedUserJson<S extends string> (user: StoredUser, style: S, make: (domain: DomainState, user: StoredUser, style: S) => string): string {
    return this.renderedUsers.get(this, user, style, make)
  }

  /** Call after any change to the document. */
  changed (): void {
    this.renderedUsers = new UserAnswers()
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

  /** A new location, last in the list (its integer id is its 1-based position). */
  addLocation (location: Location): void {
    this.doc.locations.push(location)
    this.locationsById.set(location.id, location)
  }

  /** The membership of a web user (active or not). */
  isMember (username: string): Member | undefined {
    return this.doc.members.find(m => m.username.toLowerCase() === username.toLowerCase())
  }

  hasToggle (toggle: string): boolean {
    return this.doc.toggles.includes(toggle)
  }
}
