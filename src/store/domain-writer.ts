import { readFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { crc32 } from 'node:zlib'
import { Low } from 'lowdb'
import { VERSION } from '../version.js'
import { AtomicJsonFile } from './atomic-file.js'
import { ChangeLog, LogBrokenError, listLogs, logLine, parseLog, removeFiles, snapshotId, type LogContent } from './change-log.js'
import { DomainSerializer, userLines } from './domain-file.js'
import { DomainDocSchema, type DomainDoc, type Group, type StoredUser } from './schema.js'

// How one domain reaches the disk. The snapshot is the domain's lowdb JSON
// document (`domains/<name>.json`); between snapshots every group commit
// appends what it changed to the domain's change log
// (`domains/<name>.<generation>.log`, see change-log.ts) and fsyncs it, so an
// acknowledged write costs what it changed, not what the domain holds. When the
// log outgrows its bound, a compaction writes a new snapshot in the background
// and retires the older logs.
//
// A change record names what changed, each part whole:
//   "u": users, upserted by id (a new id is appended, in order);
//   "g": groups, upserted by id; "G": the whole group list;
//   "k": other top-level keys, replaced; "d": top-level keys removed;
//   "full": the whole document (after a reset, an import, a replace).
// Replaying a log on the snapshot it follows gives the state as acknowledged.
//
// What a change may do to the document in place, and how it is found:
// - users: only those the write names (`touched`) change in place; new users
//   are appended to `users`; anything else marks the whole document;
// - groups: a group's `users` list is replaced or appended to, other group
//   fields may change; `groups` itself may be replaced (a group deleted);
// - every other key is compared with what was last written (they are small).

/** The log's bound: a compaction starts once the log holds more than this. */
export function logBound (snapshotBytes: number): number {
  return Math.max(MIN_LOG_BYTES, Math.floor(snapshotBytes / 2))
}
const MIN_LOG_BYTES = 256 * 1024
/** After a failed compaction, the log grows by this share of the bound before the next try. */
const RETRY_SHARE = 0.5

interface GroupMark {
  users: string[]
  length: number
  rest: string
}

/**
 * The record of a snapshot known to be valid (`.<name>.checked` beside it):
 * one this version wrote (`lines`: in the form its serializer writes, one
 * user a line), or one a start of this version checked whole. It names the
 * snapshot by its id (`snapshotId`, as a log's header does), so a snapshot
 * replaced or edited since is not covered by it and is checked again.
 */
interface CheckedRecord {
  checked: 1
  /** This version and its domain schema (`checkedBy`): a record of another version covers nothing. */
  by: string
  snapshot: string
  lines: boolean
}

let checks: string | null = null
/** Which version of the checks a record stands for. */
function checkedBy (): string {
  checks ??= `${VERSION} ${crc32(JSON.stringify(DomainDocSchema)).toString(16).padStart(8, '0')}`
  return checks
}

/** Where the record of a domain's checked snapshot is kept. */
export function checkedPath (snapshotPath: string): string {
  return join(dirname(snapshotPath), `.${basename(snapshotPath, '.json')}.checked`)
}

async function readChecked (snapshotPath: string): Promise<CheckedRecord | null> {
  try {
    const r = JSON.parse(await readFile(checkedPath(snapshotPath), 'utf8')) as Partial<CheckedRecord> | null
    if (r === null || typeof r !== 'object' || r.checked !== 1 || r.by !== checkedBy() || typeof r.snapshot !== 'string' || typeof r.lines !== 'boolean') return null
    return r as CheckedRecord
  } catch {
    // Missing, cut short by a crash, unreadable: the snapshot is checked.
    return null
  }
}

/**
 * Records a snapshot as valid. Not fsynced: a record lost or cut short by a
 * crash only means the next start checks the snapshot again. Best effort for
 * the same reason (a full disk must not fail the write that led here).
 */
async function writeChecked (snapshotPath: string, id: string, lines: boolean): Promise<void> {
  const record: CheckedRecord = { checked: 1, by: checkedBy(), snapshot: id, lines }
  await new AtomicJsonFile<CheckedRecord>(checkedPath(snapshotPath), { fsync: false }).write(record).catch(() => {})
}

/** What start-up found on disk for one domain. */
export interface Recovered {
  doc: unknown
  snapshot: { id: string, bytes: number }
  /**
   * The snapshot is one this version wrote or checked (its record names it),
   * and the logs replayed on it are this server's records: the document needs
   * no check.
   */
  trusted: boolean
  /** The logs replayed, in order (the last one is appended to). */
  replayed: LogContent[]
  /** Logs that follow another snapshot (older than it): not replayed. */
  stale: string[]
  /** Plain-language notes for the operator (a log cut off, a stale log). */
  notes: string[]
}

/** A group's fields but its member list (GroupSchema allows no others), to find a change. */
function groupRest (g: Group): string {
  return JSON.stringify([g.id, g.name, g.case_sharing, g.reporting, g.metadata])
}

/**
 * Reads a domain's snapshot and replays its logs. The snapshot's JSON is
 * parsed as it is (validation is the caller's, unless `trusted`); a log line
 * that is cut short or fails its checksum ends that log's replay.
 */
export async function recoverDomain (snapshotPath: string, logs: Array<{ generation: number, path: string }>): Promise<Recovered | null> {
  // The logs are read while the snapshot is (a failed read throws where it is awaited).
  const logReads = logs.map(l => readFile(l.path))
  for (const r of logReads) r.catch(() => {})
  let bytes: Buffer | null
  try {
    bytes = await readFile(snapshotPath)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
  const id = snapshotId([bytes])
  const size = bytes.length
  let text: string | null = bytes.toString('utf8')
  // The text is all that is needed now: the bytes go back to the system.
  bytes = null
  const record = await readChecked(snapshotPath)
  const trusted = record?.snapshot === id
  const contents: LogContent[] = []
  for (const [i, l] of logs.entries()) contents.push(parseLog(l.path, l.generation, await logReads[i]))
  // Replay from the last log that follows this snapshot; the ones before it
  // are older than the snapshot. A log whose header could not be read follows
  // nothing (it is replayed only after a match, as a continuation).
  let from = -1
  for (let i = contents.length - 1; i >= 0; i--) {
    if (contents[i].header?.base === id) { from = i; break }
  }
  const notes: string[] = []
  const stale = (from === -1 ? contents : contents.slice(0, from)).map(c => c.path)
  if (from === -1 && contents.length > 0) {
    notes.push(`${contents.map(c => c.path).join(', ')}: not replayed, ${contents.length === 1 ? 'it follows' : 'they follow'} another version of ${snapshotPath} (the file was replaced since)`)
  }
  const replayed = from === -1 ? [] : contents.slice(from)
  const records: unknown[] = []
  for (const c of replayed) {
    if (c.problem !== null) {
      notes.push(`${c.path}: ${c.problem}; the log is cut off there (${c.totalBytes - c.validBytes} bytes after ${c.records.length} whole change records are dropped: a write the server had not acknowledged, or damage on the disk)`)
    }
    for (const r of c.records) records.push(r)
  }
  // A snapshot this version wrote has one user a line: the users the logs
  // replace are not parsed at all.
  let state = trusted && record.lines ? replayOnLines(text, records) : null
  if (state === null) {
    const doc = JSON.parse(text) as Record<string, unknown>
    text = null
    state = replay(doc, records)
  }
  return { doc: state, snapshot: { id, bytes: size }, trusted, replayed, stale, notes }
}

/**
 * Replays `records` on a snapshot written one user a line, parsing only the
 * users they leave as they are; null when the text is not in that form, or
 * the records replace more than users (then the caller parses it whole).
 */
function replayOnLines (text: string, records: unknown[]): Record<string, unknown> | null {
  for (const r of records as Array<Record<string, unknown>>) {
    if (r === null || typeof r !== 'object' || r.full !== undefined) return null
    if (typeof r.k === 'object' && r.k !== null && Object.hasOwn(r.k, 'users')) return null
    if (Array.isArray(r.d) && r.d.includes('users')) return null
  }
  const lines = userLines(text)
  if (lines === null) return null
  const { head, starts, ends, ids } = lines
  const n = ids.length
  const at = new Map<string, number>()
  for (let i = 0; i < n; i++) {
    const id = ids[i]
    if (id !== null) at.set(id, i)
  }
  const replaced = new Uint8Array(n)
  for (const r of records as Array<Record<string, unknown>>) {
    if (!Array.isArray(r.u)) continue
    for (const u of r.u as Array<{ id?: unknown }>) {
      const i = typeof u?.id === 'string' ? at.get(u.id) : undefined
      if (i !== undefined) replaced[i] = 1
    }
  }
  const kept: string[] = []
  for (let i = 0; i < n; i++) if (replaced[i] === 0) kept.push(text.slice(starts[i], ends[i]))
  let parsed: unknown
  try {
    parsed = JSON.parse(`[${kept.join(',')}]`)
  } catch {
    return null
  }
  kept.length = 0
  if (!Array.isArray(parsed) || parsed.length !== n - countOnes(replaced)) return null
  const users: unknown[] = new Array(n)
  for (let i = 0, j = 0; i < n; i++) {
    if (replaced[i] === 1) {
      users[i] = null
      continue
    }
    const u = parsed[j++] as { id?: unknown } | null
    if (typeof u !== 'object' || u === null || typeof u.id !== 'string') return null
    if (ids[i] === null) at.set(u.id, i)
    else if (u.id !== ids[i]) return null
    users[i] = u
  }
  // A repeated id: positions would not say where each user is.
  if (at.size !== n) return null
  head.users = users
  const doc = replay(head, records, at)
  for (const u of doc.users as unknown[]) if (u === null) return null
  return doc
}

function countOnes (flags: Uint8Array): number {
  let n = 0
  for (const f of flags) n += f
  return n
}

/**
 * Applies change records to a parsed domain document (in place where it can).
 * `userAt`, when given, is where each user of `start` is, by id.
 */
export function replay (start: Record<string, unknown>, records: unknown[], userAt: Map<string, number> | null = null): Record<string, unknown> {
  let doc = start
  let groupAt: Map<string, number> | null = null
  for (const r of records as Array<Record<string, unknown>>) {
    if (r.full !== undefined) {
      doc = r.full as Record<string, unknown>
      userAt = groupAt = null
      continue
    }
    if (r.G !== undefined) {
      doc.groups = r.G
      groupAt = null
    }
    if (Array.isArray(r.g)) {
      const groups = doc.groups as Array<{ id: string }>
      groupAt ??= positions(groups)
      for (const g of r.g as Array<{ id: string }>) upsert(groups, groupAt, g)
    }
    if (Array.isArray(r.u)) {
      const users = doc.users as Array<{ id: string }>
      userAt ??= positions(users)
      for (const u of r.u as Array<{ id: string }>) upsert(users, userAt, u)
    }
    if (r.k !== undefined) Object.assign(doc, r.k)
    if (Array.isArray(r.d)) for (const key of r.d as string[]) Reflect.deleteProperty(doc, key)
  }
  return doc
}

function positions (list: Array<{ id: string }>): Map<string, number> {
  const at = new Map<string, number>()
  for (let i = 0; i < list.length; i++) at.set(list[i].id, i)
  return at
}

function upsert<T extends { id: string }> (list: T[], at: Map<string, number>, item: T): void {
  const i = at.get(item.id)
  if (i === undefined) {
    at.set(item.id, list.length)
    list.push(item)
  } else {
    list[i] = item
  }
}

export interface WriterOptions {
  dir: string
  name: string
  fsync: boolean
  warn: (message: string) => void
}

export class DomainWriter {
  readonly serializer = new DomainSerializer()
  readonly snapshotPath: string
  private readonly db: Low<DomainDoc>
  private readonly adapter: AtomicJsonFile<DomainDoc>
  /** The log appended to now. */
  private log: ChangeLog | null = null
  /** Older logs still on disk (a compaction has not yet retired them). */
  private older: string[] = []
  private generation = 0
  /** The next log continues a log that broke (instead of following the snapshot). */
  private continues = false
  /** The snapshot on disk (what a new log follows). */
  private snapshot: { id: string, bytes: number } | null = null
  private compaction: Promise<void> | null = null
  private compactAt = 0
  /** What the last record left written, to find what changed since. */
  private doc: DomainDoc | null = null
  private users: StoredUser[] | null = null
  private userCount = 0
  private groups: Group[] | null = null
  private groupCount = 0
  private groupMarks = new WeakMap<Group, GroupMark>()
  private rest = new Map<string, string>()
  private lastPieces: Buffer[] = []

  constructor (private readonly options: WriterOptions) {
    this.snapshotPath = join(options.dir, `${options.name}.json`)
    this.adapter = new AtomicJsonFile<DomainDoc>(this.snapshotPath, {
      fsync: options.fsync,
      serialize: d => {
        this.lastPieces = this.serializer.serialize(d, true)
        return this.lastPieces
      }
    })
    this.db = new Low<DomainDoc>(this.adapter, null as unknown as DomainDoc)
  }

  /** Writes `doc` as the first snapshot of a new domain; `stale` names logs of an earlier domain of that name. */
  async create (doc: DomainDoc, stale: string[] = []): Promise<void> {
    await removeFiles(stale)
    this.db.data = doc
    const written = this.db.write()
    // Serialized synchronously by the call: these are the bytes on their way.
    const pieces = this.lastPieces
    this.lastPieces = []
    this.serializer.takeChanges()
    this.remember(doc)
    await written
    this.snapshot = { id: snapshotId(pieces), bytes: byteLength(pieces) }
    this.compactAt = logBound(this.snapshot.bytes)
    await writeChecked(this.snapshotPath, this.snapshot.id, true)
  }

  /** A start checked the snapshot (`id`) as it is: later starts need not. */
  async checked (id: string): Promise<void> {
    await writeChecked(this.snapshotPath, id, false)
  }

  /** Takes over what start-up recovered (`doc` is the document the domain's state now holds). */
  async resume (doc: DomainDoc, found: Recovered, generations: number[]): Promise<void> {
    this.snapshot = found.snapshot
    this.serializer.takeChanges()
    this.remember(doc)
    await removeFiles(found.stale)
    this.generation = Math.max(0, ...generations)
    const last = found.replayed.at(-1)
    if (last !== undefined) {
      this.log = await ChangeLog.resume(last, this.options.fsync)
      this.older = found.replayed.slice(0, -1).map(c => c.path)
    }
    this.compactAt = logBound(this.snapshot.bytes)
    // Several logs, or one longer than its bound: folded into a snapshot at the
    // first write (not here: the start would wait for it), or at a clean stop.
    const logBytes = found.replayed.reduce((n, c) => n + c.validBytes, 0)
    if (this.older.length > 0 || logBytes > this.compactAt) this.compactAt = 0
  }

  /** The state on disk now: the snapshot with its logs replayed. */
  async readDurable (): Promise<DomainDoc | null> {
    const logs = (await listLogs(this.options.dir)).get(this.options.name) ?? []
    const found = await recoverDomain(this.snapshotPath, logs)
    return found === null ? null : found.doc as DomainDoc
  }

  /**
   * Makes every change since the last flush durable: one appended record,
   * fsynced. The group commit calls it, never two at once.
   */
  async flush (doc: DomainDoc): Promise<void> {
    const line = this.record(doc)
    if (line === null) return
    if (this.log === null) {
      const base = this.continues ? 'continued' : this.snapshot!.id
      this.log = await ChangeLog.create(this.options.dir, this.options.name, ++this.generation, base, this.options.fsync)
      this.continues = false
    }
    try {
      await this.log.append(line)
    } catch (err) {
      if (err instanceof LogBrokenError) {
        // The half-written line could not be cut off: the next record goes to a
        // new log that continues this one, and holds the whole document.
        this.older.push(this.log.path)
        await this.log.close()
        this.log = null
        this.continues = true
      }
      // Memory goes back to the disk's state (the group commit's rollback, which
      // calls `rebase`); should that fail, the next record holds the whole document.
      this.doc = null
      throw err
    }
    if (this.log.size > this.compactAt && this.compaction === null) await this.startCompaction(doc)
  }

  /** Memory was replaced by the state on disk (`readDurable`): later records are changes to it. */
  rebase (doc: DomainDoc): void {
    this.serializer.takeChanges()
    this.remember(doc)
  }

  /** The record of what changed since the last one, or null when nothing did. */
  private record (doc: DomainDoc): Buffer[] | null {
    const marked = this.serializer.takeChanges()
    if (marked === null || doc !== this.doc || doc.users !== this.users || doc.users.length < this.userCount) {
      const line = logLine([Buffer.from('{"full":'), ...this.serializer.serialize(doc), Buffer.from('}')])
      this.remember(doc)
      return line
    }
    const parts: string[] = []
    // Users: the marked ones and the new ones, once each.
    const users: string[] = []
    for (const u of marked) users.push(JSON.stringify(u))
    for (let i = this.userCount; i < doc.users.length; i++) {
      const u = doc.users[i]
      if (!marked.has(u)) users.push(JSON.stringify(u))
    }
    this.userCount = doc.users.length
    if (users.length > 0) parts.push(`"u":[${users.join(',')}]`)
    // Groups: the list replaced or shortened, else each group that changed.
    if (doc.groups !== this.groups || doc.groups.length < this.groupCount) {
      parts.push(`"G":${JSON.stringify(doc.groups)}`)
      this.markGroups(doc.groups)
    } else {
      const changed: Group[] = []
      for (const g of doc.groups) {
        const mark = this.groupMarks.get(g)
        const rest = groupRest(g)
        if (mark === undefined || mark.users !== g.users || mark.length !== g.users.length || mark.rest !== rest) {
          changed.push(g)
          this.groupMarks.set(g, { users: g.users, length: g.users.length, rest })
        }
      }
      this.groupCount = doc.groups.length
      if (changed.length > 0) parts.push(`"g":${JSON.stringify(changed)}`)
    }
    // Every other key: compared with what was last written.
    const keys: string[] = []
    const seen = new Set<string>()
    for (const [key, value] of Object.entries(doc)) {
      if (key === 'users' || key === 'groups') continue
      const json = JSON.stringify(value)
      if (json === undefined) continue
      seen.add(key)
      if (this.rest.get(key) !== json) {
        keys.push(`${JSON.stringify(key)}:${json}`)
        this.rest.set(key, json)
      }
    }
    const gone = [...this.rest.keys()].filter(k => !seen.has(k))
    for (const k of gone) this.rest.delete(k)
    if (keys.length > 0) parts.push(`"k":{${keys.join(',')}}`)
    if (gone.length > 0) parts.push(`"d":${JSON.stringify(gone)}`)
    if (parts.length === 0) return null
    return logLine(`{${parts.join(',')}}`)
  }

  /** Notes `doc` as written whole: later records hold what changes after this. */
  private remember (doc: DomainDoc): void {
    this.doc = doc
    this.users = doc.users
    this.userCount = doc.users.length
    this.markGroups(doc.groups)
    this.rest = new Map()
    for (const [key, value] of Object.entries(doc)) {
      if (key === 'users' || key === 'groups') continue
      const json = JSON.stringify(value)
      if (json !== undefined) this.rest.set(key, json)
    }
  }

  private markGroups (groups: Group[]): void {
    this.groups = groups
    this.groupCount = groups.length
    this.groupMarks = new WeakMap()
    for (const g of groups) this.groupMarks.set(g, { users: g.users, length: g.users.length, rest: groupRest(g) })
  }

  /**
   * Starts a compaction between two records: the document as of now is
   * serialized, a new log that follows it is opened (later records go there;
   * resolves then), and the snapshot is written in the background. Once it is
   * in place the older logs are removed. Until then a crash finds the old
   * snapshot and every log, which replay to the same state; after it, the new
   * snapshot and the new log.
   */
  private async startCompaction (doc: DomainDoc): Promise<void> {
    // Changes made since the last record stay marked: the next record holds them too.
    // (Serialized at once, not piece by piece across turns: users change in place.)
    const pieces = this.serializer.serialize(doc, true)
    const id = snapshotId(pieces)
    const bytes = byteLength(pieces)
    let log: ChangeLog
    try {
      log = await ChangeLog.create(this.options.dir, this.options.name, this.generation + 1, id, this.options.fsync)
    } catch (err) {
      this.compactionFailed(err as Error)
      return
    }
    this.generation++
    if (this.log !== null) {
      this.older.push(this.log.path)
      await this.log.close()
    }
    this.log = log
    this.continues = false
    this.compaction = (async () => {
      try {
        await this.adapter.writePieces(pieces)
        this.snapshot = { id, bytes }
        this.compactAt = logBound(bytes)
        await writeChecked(this.snapshotPath, id, true)
        const retired = this.older
        this.older = []
        await removeFiles(retired)
      } catch (err) {
        this.compactionFailed(err as Error)
      } finally {
        this.compaction = null
      }
    })()
  }

  private compactionFailed (err: Error): void {
    this.options.warn(`domain ${this.options.name}: compaction failed (${(err as NodeJS.ErrnoException).code ?? err.message}); the log keeps every change, and the compaction is tried again later`)
    this.compactAt = (this.log?.size ?? 0) + Math.floor(logBound(this.snapshot?.bytes ?? 0) * RETRY_SHARE)
  }

  /** Resolves when no compaction is running. */
  async idle (): Promise<void> {
    while (this.compaction !== null) await this.compaction
  }

  /** On a clean stop: the snapshot takes in the log, and the logs go. */
  async close (doc: DomainDoc | null): Promise<void> {
    await this.idle()
    if (doc !== null && this.log !== null && (this.log.records > 0 || this.older.length > 0)) {
      await this.startCompaction(doc)
      await this.idle()
    }
    if (this.log !== null && this.log.records === 0 && this.older.length === 0) {
      await this.log.close()
      await removeFiles([this.log.path])
      this.log = null
    }
    await this.log?.close()
  }

  /** Removes the domain's files: the snapshot first (a crash then leaves only logs, which start-up discards). */
  async remove (): Promise<void> {
    await this.idle()
    await this.log?.close()
    await removeFiles([this.snapshotPath])
    await removeFiles([...this.older, ...(this.log === null ? [] : [this.log.path]), checkedPath(this.snapshotPath)])
    this.log = null
    this.older = []
  }
}

function byteLength (pieces: Buffer[]): number {
  let n = 0
  for (const p of pieces) n += p.length
  return n
}

/**
 * A domain's state as its data directory holds it: the snapshot with its change
 * logs replayed (what a restart would load), or null when there is no such
 * domain. Reads only; safe beside a running server.
 */
export async function readDomainOnDisk (dataDir: string, name: string): Promise<DomainDoc | null> {
  const dir = join(dataDir, 'domains')
  // A compaction may replace the snapshot and remove a log between the reads:
  // then the files read do not fit together, and they are read again.
  for (let attempt = 1; ; attempt++) {
    const logs = (await listLogs(dir)).get(name) ?? []
    try {
      const found = await recoverDomain(join(dir, `${name}.json`), logs)
      if (found === null) return null
      if (attempt < 20 && logs.length > 0 && found.replayed.length === 0) continue
      return found.doc as unknown as DomainDoc
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 20) throw err
    }
  }
}
