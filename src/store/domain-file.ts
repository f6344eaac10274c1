import type { DomainDoc, StoredUser } from './schema.js'

/** Users per piece of a serialized document: pieces of a few hundred KB, each returned to the system once written. */
const USERS_PER_PIECE = 1000

/**
 * Serializes a domain document in pieces (no one string the size of the
 * domain), and keeps the marks of what changed since the last change record:
 * the users a write names as touched, or "anything" (`changedAll`, the
 * default of every write that does not say).
 *
 * The bytes are what `JSON.stringify(doc)` gives, except that a snapshot
 * (`lines`) puts each user on a line of its own: a newline before each user
 * and before the list's `]` (JSON allows it; no other newline is in the text,
 * JSON.stringify escapes those in strings). A start can then find each user
 * without parsing it (`userLines`).
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

  /**
   * The document's JSON bytes, in pieces; the marks are left as they are.
   * `lines`: one user a line, as a snapshot is written.
   */
  serialize (doc: DomainDoc, lines = false): Buffer[] {
    const parts: Buffer[] = []
    const between = lines ? ',\n' : ','
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
          parts.push(Buffer.from(text + (i > 0 ? between : lines ? '\n' : '') + chunk.join(between)))
          text = ''
        }
        text += lines && users.length > 0 ? '\n]' : ']'
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

/** The users of a snapshot written with `lines`, found without parsing them. */
export interface UserLines {
  /** The document without its users (`users` is an empty list, in its place among the keys). */
  head: Record<string, unknown>
  /** Where each user's JSON starts and ends in the text. */
  starts: number[]
  ends: number[]
  /** Each user's id as its line begins with it, or null when the line does not begin with `{"id":"…"`. */
  ids: Array<string | null>
}

const ID_START = '{"id":"'

/** An id as JSON has it without escapes: letters, digits, '_', '.', '-' (no RegExp: its last match would keep the text alive). */
function plainId (text: string, from: number, to: number): boolean {
  if (to <= from) return false
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i)
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2e || c === 0x2d)) return false
  }
  return true
}

/**
 * Splits the text of a snapshot written with `lines` into its users; null when
 * the text is not in that form. Only for text this serializer wrote (a
 * snapshot recorded as such): other JSON can have its newlines where a user
 * does not start or end.
 */
export function userLines (text: string): UserLines | null {
  const first = text.indexOf('\n')
  const last = text.lastIndexOf('\n')
  if (first === -1 || last === first || !text.startsWith('"users":[', first - 9) || text.charCodeAt(last + 1) !== 0x5d) return null
  let head: unknown
  try {
    head = JSON.parse(text.slice(0, first) + text.slice(last + 1))
  } catch {
    return null
  }
  const h = head as Record<string, unknown>
  if (typeof head !== 'object' || head === null || !Array.isArray(h.users) || h.users.length !== 0) return null
  const starts: number[] = []
  const ends: number[] = []
  const ids: Array<string | null> = []
  for (let at = first + 1; at <= last;) {
    const nl = text.indexOf('\n', at)
    const end = nl === last ? nl : nl - 1
    if (end <= at || text.charCodeAt(at) !== 0x7b || text.charCodeAt(end - 1) !== 0x7d || (nl !== last && text.charCodeAt(end) !== 0x2c)) return null
    starts.push(at)
    ends.push(end)
    let id: string | null = null
    if (text.startsWith(ID_START, at)) {
      const close = text.indexOf('"', at + ID_START.length)
      if (close > 0 && close < end && plainId(text, at + ID_START.length, close)) id = text.slice(at + ID_START.length, close)
    }
    ids.push(id)
    at = nl + 1
  }
  return { head: h, starts, ends, ids }
}
