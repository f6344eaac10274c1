import type { DomainDoc, StoredUser } from './schema.js'

/** Users per piece of a serialized document: pieces of a few hundred KB, each returned to the system once written. */
const USERS_PER_PIECE = 1000

/**
 * Serializes a domain document for its snapshot, byte for byte what
 * `JSON.stringify(doc)` gives, in pieces (no one string the size of the
 * domain), and keeps the marks of what changed since the last change record:
 * the users a write names as touched, or "anything" (`changedAll`, the
 * default of every write that does not say).
 */
export class DomainSerializer {
  private changed = new Set<StoredUser>()
  private all = true

  /** These existing users may have changed in place since the last record. */
  changedUsers (users: Iterable<StoredUser>): void {
    if (this.all) return
    for (const u of users) this.changed.add(u)
  }

  /** Anything may have changed: the next record holds the whole document. */
  changedAll (): void {
    this.all = true
    this.changed.clear()
  }

  /** The marks since the last call, cleared: `null` when anything may have changed, else the users marked. */
  takeChanges (): Set<StoredUser> | null {
    const all = this.all
    const changed = this.changed
    this.all = false
    this.changed = new Set()
    return all ? null : changed
  }

  /** The document's JSON bytes, in pieces; the marks are left as they are. */
  serialize (doc: DomainDoc): Buffer[] {
    const parts: Buffer[] = []
    let text = '{'
    for (const key of Object.keys(doc)) {
      const value = (doc as unknown as Record<string, unknown>)[key]
      const sep = text === '{' && parts.length === 0 ? '' : ','
      if (key === 'users' && Array.isArray(value)) {
        text += sep + '"users":['
        const users = value as StoredUser[]
        for (let i = 0; i < users.length; i += USERS_PER_PIECE) {
          const chunk: string[] = []
          for (let j = i; j < Math.min(users.length, i + USERS_PER_PIECE); j++) chunk.push(JSON.stringify(users[j]))
          parts.push(Buffer.from(text + (i > 0 ? ',' : '') + chunk.join(',')))
          text = ''
        }
        text += ']'
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
