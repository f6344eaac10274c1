import type { DomainDoc, StoredUser } from './schema.js'

const COMMA = Buffer.from(',')

/**
 * Serializes a domain document for its file, byte for byte what
 * `JSON.stringify(doc)` gives, but keeps each user's bytes between writes:
 * a flush re-serializes only the users marked as changed (and users it has
 * not seen, such as new ones or all of them after the document was replaced),
 * so a write of a large domain costs a copy, not a full serialization.
 *
 * Marks are conservative: `changedAll()` (the default of every write that
 * does not say which users it touched) makes the next flush serialize every
 * user again.
 */
export class DomainSerializer {
  private bytes = new WeakMap<StoredUser, Buffer>()
  private changed = new Set<StoredUser>()
  private all = true

  /** These existing users may have changed in place since the last flush. */
  changedUsers (users: Iterable<StoredUser>): void {
    if (this.all) return
    for (const u of users) this.changed.add(u)
  }

  /** Anything may have changed: serialize every user on the next flush. */
  changedAll (): void {
    this.all = true
    this.changed.clear()
  }

  /** The file's bytes, in pieces (most of them kept between calls: never modify them). */
  serialize (doc: DomainDoc): Buffer[] {
    const fresh = this.all
    const changed = this.changed
    this.all = false
    this.changed = new Set()
    if (fresh) this.bytes = new WeakMap()
    const parts: Buffer[] = []
    let text = '{'
    for (const key of Object.keys(doc)) {
      const value = (doc as unknown as Record<string, unknown>)[key]
      const sep = text === '{' && parts.length === 0 ? '' : ','
      if (key === 'users' && Array.isArray(value)) {
        parts.push(Buffer.from(text + sep + '"users":['))
        const users = value as StoredUser[]
        for (let i = 0; i < users.length; i++) {
          const u = users[i]
          let b = changed.has(u) ? undefined : this.bytes.get(u)
          if (b === undefined) {
            b = Buffer.from(JSON.stringify(u))
            this.bytes.set(u, b)
          }
          if (i > 0) parts.push(COMMA)
          parts.push(b)
        }
        text = ']'
        continue
      }
      const json = JSON.stringify(value)
      if (json === undefined) continue
      text += sep + JSON.stringify(key) + ':' + json
    }
    parts.push(Buffer.from(text + '}'))
    return parts
  }
}
