import { readFile, mkdir, readdir, unlink } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { randomUUID, webcrypto } from 'node:crypto'
import { promisify } from 'node:util'
import { deflateRaw, deflateRawSync, inflateRawSync } from 'node:zlib'
import { VERSION } from '../version.js'
import { Low } from 'lowdb'
import { AtomicJsonFile, removeStaleTemps } from './atomic-file.js'
import { GroupCommit } from './group-commit.js'
import { DomainWriter, recoverDomain } from './domain-writer.js'
import { listLogs, removeFiles } from './change-log.js'
import { DomainState, type DomainIndex } from './domain.js'
import { acquireLock, type Lock } from './lock.js'
import { DiskError, StartupError } from './errors.js'
import { checkDomainDoc, globalDocProblems, seedProblems } from './validate.js'
import { completeDomain, completeSeed } from './seed-defaults.js'
import { hashPassword } from '../commcare/passwords.js'
export { DiskError, StartupError } from './errors.js'
import type { DomainDoc, GlobalDoc, Seed, SeedDomainInput, SeedInput, StoredUser, WebUser } from './schema.js'

export interface StoreOptions {
  /** Seed file; read and validated at start, never written. */
  seedPath: string
  /** Data directory; `null` keeps everything in memory. */
  dataDir: string | null
  /** fsync each flush (default true). */
  fsync?: boolean
  /** Notes for the operator about the data directory (a log cut off after a crash, …); default: standard error. */
  warn?: (message: string) => void
  /** Lay the seed down again even when the data directory holds data (`--fresh`). */
  fresh?: boolean
}

export interface StateExport {
  format: 1
  web_users: WebUser[]
  domains: Record<string, DomainDoc>
}

interface Domain {
  state: DomainState
  writer: DomainWriter | null
  commit: GroupCommit | null
}

async function readSeedBytes (path: string): Promise<Buffer> {
  try {
    return await readFile(path)
  } catch (err) {
    throw new StartupError(path, [`cannot read the seed file (${(err as NodeJS.ErrnoException).code ?? String(err)})`])
  }
}

function parseSeed (path: string, bytes: Buffer): Seed {
  let seed: unknown
  try {
    seed = JSON.parse(bytes.toString('utf8'))
  } catch (err) {
    throw new StartupError(path, [`not valid JSON (${(err as Error).message})`])
  }
  const problems = seedProblems(seed)
  if (problems.length > 0) throw new StartupError(path, problems)
  return completeSeed(seed as SeedInput)
}

/**
 * Identifies a seed's bytes (`content`) and the bytes as validated by this
 * version of the mock (`sha256`). Hashed on a worker thread of Node's pool, so
 * the data files load meanwhile.
 */
async function seedFingerprint (bytes: Buffer): Promise<{ sha256: string, content: string }> {
  const content = Buffer.from(await webcrypto.subtle.digest('SHA-256', bytes)).toString('hex')
  const digest = await webcrypto.subtle.digest('SHA-256', Buffer.from(`${VERSION}\0${content}`))
  return { sha256: Buffer.from(digest).toString('hex'), content }
}

/** Reads and validates a seed file; the result has every default filled in. */
export async function readSeed (path: string): Promise<Seed> {
  return parseSeed(path, await readSeedBytes(path))
}

/**
 * Turns a seed domain into a stored document: the defaults filled in
 * (`webUsernames` become admins when it names no members), passwords hashed.
 */
export function domainFromSeed (name: string, seed: SeedDomainInput, webUsernames: readonly string[] = []): DomainDoc {
  return storedDomain(name, structuredClone(seed), webUsernames)
}

/** `domainFromSeed` of a seed domain nothing else holds (it is changed in place). */
function storedDomain (name: string, seed: SeedDomainInput, webUsernames: readonly string[] = []): DomainDoc {
  const { users, ...rest } = completeDomain(name, seed, webUsernames)
  return {
    name,
    ...rest,
    users: users.map(({ password, password_hash: hash, retired, language, ...u }): StoredUser => ({
      ...u,
      language: language ?? null,
      password_hash: password !== undefined ? hashPassword(password) : hash ?? null,
      retired: retired ?? false
    }))
  }
}

/** A copy of a domain under a new name: usernames move to the new domain, ids stay. */
export function copyDomainDoc (source: DomainDoc, name: string): DomainDoc {
  const doc = structuredClone(source)
  doc.name = name
  const from = `@${source.name}.commcarehq.org`
  for (const u of doc.users) {
    if (u.username.toLowerCase().endsWith(from)) u.username = u.username.slice(0, -from.length) + `@${name}.commcarehq.org`
  }
  // Invitation ids name one invitation across all domains (the test-control API accepts by id).
  for (const inv of doc.invitations ?? []) inv.id = randomUUID()
  return doc
}

const deflateRawAsync = promisify(deflateRaw)
/** Fast compression: the seed is kept small, not small at any cost. */
const PACK = { level: 1 }
const SEED_PACK_DELAY_MS = 300

export class Store {
  readonly seedPath: string
  readonly dataDir: string | null
  // The seed is kept as the file's bytes (compressed once the start is done)
  // until a seed domain is first needed, then as each domain's converted
  // document in compressed JSON: one object to the garbage collector, and a
  // tenth of the seed's size in memory, however many users.
  private seedBytes: Buffer | null = null
  private seedPacked: Buffer | null = null
  private seedDomains = new Map<string, Buffer | null>()
  /** Documents just converted from a seed parsed for a start that lays them all down, each taken once. */
  private freshDocs = new Map<string, DomainDoc>()
  private seedWebUsersCache: WebUser[] | null = null
  private seedFeatureFlagsCache: string[] | undefined = undefined
  private readonly domainMap = new Map<string, Domain>()
  private globalDb: Low<GlobalDoc> | null = null
  private global!: GlobalDoc
  private webUsersByName = new Map<string, WebUser>()
  private lock: Lock | null = null
  private readonly fsync: boolean
  private readonly warn: (message: string) => void
  private readonly fresh: boolean
  /**
   * Set when the data directory was laid down from other seed bytes than the
   * seed given now: it keeps serving its stored data (`--fresh` starts over).
   */
  seedMismatch = false
  /** SHA-256 of the given seed's bytes (with a data directory). */
  private seedContent: string | null = null

  private constructor (options: StoreOptions) {
    this.seedPath = resolve(options.seedPath)
    this.dataDir = options.dataDir === null ? null : resolve(options.dataDir)
    this.fsync = options.fsync ?? true
    this.warn = options.warn ?? (message => { process.stderr.write(`commcare-hq-mock: ${message}\n`) })
    this.fresh = options.fresh ?? false
  }

  static async open (options: StoreOptions): Promise<Store> {
    const store = new Store(options)
    await store.load()
    return store
  }

  get inMemory (): boolean {
    return this.dataDir === null
  }

  /**
   * A fresh copy of a seed domain as a stored document. Converted (passwords
   * hashed) on first use only: a restart on existing data never needs it.
   */
  private seedDoc (name: string): DomainDoc | undefined {
    if (!this.seedDomains.has(name)) return undefined
    this.convertSeed()
    const fresh = this.freshDocs.get(name)
    if (fresh !== undefined) {
      this.freshDocs.delete(name)
      return fresh
    }
    return JSON.parse(inflateRawSync(this.seedDomains.get(name)!).toString('utf8')) as DomainDoc
  }

  /** The seed's web users (a fresh copy). */
  private seedWebUsers (): WebUser[] {
    this.convertSeed()
    return structuredClone(this.seedWebUsersCache!)
  }

  /**
   * Converts the seed (passwords hashed), keeping each domain compressed for
   * resets. `parsed`: the seed a start just parsed and validated, whose domains
   * it lays down right away; they are kept for it (`freshDocs`), so the seed
   * file is not parsed again nor its domains decompressed.
   */
  private convertSeed (parsed?: Seed): void {
    let seed = parsed
    if (seed === undefined) {
      const bytes = this.seedBytes ?? (this.seedPacked === null ? null : inflateRawSync(this.seedPacked))
      if (bytes === null) return
      seed = completeSeed(JSON.parse(bytes.toString('utf8')) as SeedInput)
    }
    // Parsed for this conversion alone, so converted in place. A document laid
    // down is parsed back from its text: objects JSON.parse makes take less
    // memory than the ones the conversion built.
    for (const [n, d] of Object.entries(seed.domains)) {
      const text = JSON.stringify(storedDomain(n, d))
      this.seedDomains.set(n, deflateRawSync(text, PACK))
      if (parsed !== undefined) this.freshDocs.set(n, JSON.parse(text) as DomainDoc)
    }
    this.seedWebUsersCache = seed.web_users
    this.seedFeatureFlagsCache = seed.feature_flags
    this.seedBytes = null
    this.seedPacked = null
  }

  /** Keeps the seed file's bytes for a later conversion; compressed on the thread pool meanwhile. */
  private keepSeedBytes (bytes: Buffer): void {
    this.seedBytes = bytes
    this.seedPacked = null
    // A moment later, once the start has done its own work (both CPUs may be
    // busy until it answers), and before the collection the command makes a
    // second after it starts serving, which then frees the uncompressed bytes.
    setTimeout(() => {
      if (this.seedBytes !== bytes) return
      deflateRawAsync(bytes, PACK).then(packed => {
        if (this.seedBytes !== bytes) return
        this.seedPacked = packed
        this.seedBytes = null
      }, () => {})
    }, SEED_PACK_DELAY_MS).unref()
  }

  /** The seed's feature-flag slugs, or undefined when it names none (the built-in list applies). */
  private seedFeatureFlags (): string[] | undefined {
    this.convertSeed()
    return this.seedFeatureFlagsCache === undefined ? undefined : [...this.seedFeatureFlagsCache]
  }

  /** The global document laid down from the seed. */
  private seedGlobal (): GlobalDoc {
    const flags = this.seedFeatureFlags()
    return { format: 1, web_users: this.seedWebUsers(), ...(flags === undefined ? {} : { feature_flags: flags }) }
  }

  /** Takes a parsed, validated seed (its bytes are kept for later conversion). */
  private useSeed (bytes: Buffer, seed: Seed): void {
    this.keepSeedBytes(bytes)
    this.seedDomains = new Map(Object.keys(seed.domains).map(n => [n, null]))
    this.seedWebUsersCache = null
  }

  /** Takes a parsed, validated seed whose domains are laid down now: converted at once, from `seed` itself. */
  private layDownSeed (seed: Seed): void {
    this.seedBytes = null
    this.seedPacked = null
    this.seedDomains = new Map(Object.keys(seed.domains).map(n => [n, null]))
    this.freshDocs.clear()
    this.convertSeed(seed)
  }

  private get domainsDir (): string {
    return join(this.dataDir as string, 'domains')
  }

  /** Where the state lives, for messages. */
  describeData (): string {
    return this.dataDir === null ? '(in memory)' : this.dataDir
  }

  private async load (): Promise<void> {
    const bytes = await readSeedBytes(this.seedPath)
    if (this.dataDir === null) {
      this.layDownSeed(parseSeed(this.seedPath, bytes))
      this.setGlobal(this.seedGlobal())
      for (const name of this.seedDomains.keys()) this.attach(this.seedDoc(name)!, false)
      return
    }
    await mkdir(this.domainsDir, { recursive: true })
    this.lock = await acquireLock(this.dataDir)
    try {
      await removeStaleTemps(this.dataDir)
      await removeStaleTemps(this.domainsDir)
      await this.loadFiles(bytes)
    } catch (err) {
      await this.lock.release()
      this.lock = null
      throw err
    }
  }

  private async loadFiles (seedBytes: Buffer): Promise<void> {
    const globalPath = join(this.dataDir as string, 'global.json')
    const globalAdapter = new AtomicJsonFile<GlobalDoc>(globalPath, { fsync: this.fsync })
    const fingerprint = seedFingerprint(seedBytes)
    // Awaited below; a start that fails first must not leave it unhandled.
    fingerprint.catch(() => {})
    // --fresh lays the seed down as on a first start, whatever the directory holds.
    const existing = this.fresh ? null : await readDataFile(globalAdapter, globalDocProblems)
    if (existing === null) {
      // First start on this directory: lay the seed down. global.json is written
      // last, so a start interrupted half way simply starts over.
      this.layDownSeed(parseSeed(this.seedPath, seedBytes))
      for (const name of await this.domainFileNames()) await unlink(this.domainPath(name))
      const logs = await listLogs(this.domainsDir)
      for (const list of logs.values()) await removeFiles(list.map(l => l.path))
      for (const name of this.seedDomains.keys()) {
        const doc = this.seedDoc(name)!
        await this.attach(doc, true).writer!.create(doc)
      }
      const { sha256, content } = await fingerprint
      const seed = { sha256, domains: [...this.seedDomains.keys()], laid_from: content }
      this.globalDb = new Low(globalAdapter, { ...this.seedGlobal(), seed })
      await this.globalDb.write()
      this.setGlobal(this.globalDb.data)
      return
    }
    this.globalDb = new Low(globalAdapter, existing)
    this.setGlobal(existing)
    await this.loadDomains()
    // A seed this directory already validated, byte for byte, is not parsed
    // again until it is needed (a reset): restarts on big seeds stay fast.
    const { sha256: seedHash, content } = await fingerprint
    // The seed the directory was laid down from: a directory of 0.2 or before
    // never recorded it and takes the seed of this start as its own.
    const laidFrom = existing.seed?.laid_from ?? content
    this.seedContent = content
    this.seedMismatch = laidFrom !== content
    if (existing.seed?.sha256 === seedHash && existing.seed.laid_from !== undefined) {
      this.keepSeedBytes(seedBytes)
      this.seedDomains = new Map(existing.seed.domains.map(n => [n, null]))
    } else {
      this.useSeed(seedBytes, parseSeed(this.seedPath, seedBytes))
      existing.seed = { sha256: seedHash, domains: [...this.seedDomains.keys()], laid_from: laidFrom }
      await this.globalDb.write()
    }
  }

  /**
   * Each domain's snapshot with its change logs replayed, validated. Logs of a
   * domain without a snapshot (a deletion that did not finish) are removed.
   */
  private async loadDomains (): Promise<void> {
    const logs = await listLogs(this.domainsDir)
    for (const name of await this.domainFileNames()) {
      const path = this.domainPath(name)
      const own = logs.get(name) ?? []
      logs.delete(name)
      let found
      try {
        found = await recoverDomain(path, own)
      } catch (err) {
        const problem = err instanceof SyntaxError ? `not valid JSON (${err.message})` : `cannot read the data file (${(err as NodeJS.ErrnoException).code ?? String(err)})`
        throw new StartupError(path, [problem])
      }
      if (found === null) continue
      for (const note of found.notes) this.warn(note)
      // A snapshot this version wrote or checked, with this server's records
      // replayed, is valid as it is; anything else is checked. Validation
      // builds the domain's lookups; its state takes them over.
      let index: DomainIndex | undefined
      const recorded = found.trusted && (found.doc as DomainDoc).name === name
      if (!recorded) {
        const checked = checkDomainDoc(found.doc, name)
        if (checked.problems.length > 0) {
          const where = found.replayed.length > 0 ? `${path} (with ${found.replayed.map(c => c.path).join(', ')} replayed)` : path
          throw new StartupError(where, checked.problems)
        }
        index = checked.index
      }
      const doc = found.doc as DomainDoc
      const writer = this.attach(doc, true, index).writer!
      await writer.resume(doc, found, own.map(l => l.generation))
      // Checked as it is on disk: the next start need not check it again.
      if (!found.trusted && found.replayed.every(c => c.records.length === 0)) await writer.checked(found.snapshot.id)
    }
    for (const [name, list] of logs) {
      this.warn(`${list.map(l => l.path).join(', ')}: removed, domain ${name} has no data file (it was being deleted)`)
      await removeFiles(list.map(l => l.path))
    }
  }

  private async domainFileNames (): Promise<string[]> {
    const names = await readdir(this.domainsDir)
    return names.filter(n => n.endsWith('.json') && !n.startsWith('.')).map(n => n.slice(0, -5))
  }

  private domainPath (name: string): string {
    return join(this.domainsDir, `${name}.json`)
  }

  private setGlobal (doc: GlobalDoc): void {
    this.global = doc
    this.webUsersByName = new Map(doc.web_users.map(w => [w.username.toLowerCase(), w]))
  }

  private attach (doc: DomainDoc, persistent: boolean, index?: DomainIndex): Domain {
    const state = new DomainState(doc, index)
    let writer: DomainWriter | null = null
    let commit: GroupCommit | null = null
    if (persistent) {
      const w = writer = new DomainWriter({ dir: this.domainsDir, name: doc.name, fsync: this.fsync, warn: m => this.warn(m) })
      commit = new GroupCommit(
        async () => await w.flush(state.doc),
        async () => {
          // No compaction may move the files while they are read.
          await w.idle()
          const onDisk = await w.readDurable()
          return () => {
            if (onDisk === null) return
            state.replace(onDisk)
            w.rebase(onDisk)
          }
        }
      )
    }
    const domain = { state, writer, commit }
    this.domainMap.set(doc.name, domain)
    return domain
  }

  // ---- reads ---------------------------------------------------------------

  domain (name: string): DomainState | undefined {
    return this.domainMap.get(name)?.state
  }

  domainNames (): string[] {
    return [...this.domainMap.keys()].sort()
  }

  domains (): DomainState[] {
    return [...this.domainMap.values()].map(d => d.state)
  }

  seedDomainNames (): string[] {
    return [...this.seedDomains.keys()]
  }

  webUser (username: string): WebUser | undefined {
    return this.webUsersByName.get(username.toLowerCase())
  }

  webUsers (): WebUser[] {
    return this.global.web_users
  }

  /** Feature-flag slugs the seed declares, or undefined for the built-in list. */
  featureFlags (): string[] | undefined {
    return this.global.feature_flags
  }

  userCount (): number {
    let n = 0
    for (const d of this.domainMap.values()) n += d.state.sortedUsers().length
    return n
  }

  /** Which other domain holds a group with this id (for HQ's "not in the current domain"). */
  groupDomain (id: string): string | undefined {
    for (const [name, d] of this.domainMap) if (d.state.groupsById.has(id)) return name
    return undefined
  }

  // ---- writes --------------------------------------------------------------

  /**
   * Runs `change` (synchronous: it validates, then mutates memory) and resolves
   * once the change is on disk. A failed write rejects with DiskError after the
   * domain's memory was rolled back to the file's content.
   *
   * `touched` may name the only users already in the domain that `change` can
   * modify in place (new users, groups and the rest of the document need no
   * mention); the flush then serializes just those users again. Without it
   * every user is serialized again, which is always correct.
   */
  async mutate<T> (state: DomainState, change: () => T, touched?: Iterable<StoredUser>): Promise<T> {
    let result: T
    try {
      result = change()
    } finally {
      // Even a change that failed half way leaves memory and file to agree at the next flush.
      state.changed()
      this.changed(state, touched)
    }
    await this.commit(state)
    return result
  }

  async persist (state: DomainState): Promise<void> {
    state.changed()
    this.changed(state)
    await this.commit(state)
  }

  private changed (state: DomainState, touched?: Iterable<StoredUser>): void {
    const serializer = this.domainMap.get(state.name)?.writer?.serializer
    if (serializer === undefined) return
    if (touched === undefined) serializer.changedAll()
    else serializer.changedUsers(touched)
  }

  private async commit (state: DomainState): Promise<void> {
    const d = this.domainMap.get(state.name)
    if (d?.commit == null) return
    try {
      await d.commit.commit()
    } catch (err) {
      throw new DiskError(err as Error)
    }
  }

  /**
   * Adds a web user account (the invitee of an accepted invitation). Resolves
   * once it is on disk; a failed write takes it out again.
   */
  async addWebUser (user: WebUser): Promise<void> {
    this.global.web_users.push(user)
    this.webUsersByName.set(user.username.toLowerCase(), user)
    if (this.globalDb === null) return
    try {
      await this.globalDb.write()
    } catch (err) {
      this.global.web_users = this.global.web_users.filter(w => w !== user)
      this.webUsersByName.delete(user.username.toLowerCase())
      throw new DiskError(err as Error)
    }
  }

  /** Puts one domain back to its seeded content. False when the seed has no such domain. */
  async resetDomain (name: string): Promise<boolean> {
    const seeded = this.seedDoc(name)
    const d = this.domainMap.get(name)
    if (seeded === undefined) return false
    if (d === undefined) {
      await this.createDomain(seeded)
      return true
    }
    d.state.replace(seeded)
    await this.persist(d.state)
    return true
  }

  /** Everything back to the seed: seeded domains restored, others removed, web users restored. */
  async resetAll (): Promise<void> {
    const flags = this.seedFeatureFlags()
    if (flags === undefined) delete this.global.feature_flags
    else this.global.feature_flags = flags
    // The directory now holds the given seed's data: a restart need not warn.
    if (this.global.seed !== undefined && this.seedContent !== null) {
      this.global.seed.laid_from = this.seedContent
      this.seedMismatch = false
    }
    await this.importState({
      format: 1,
      web_users: this.seedWebUsers(),
      domains: Object.fromEntries([...this.seedDomains.keys()].map(n => [n, this.seedDoc(n)!]))
    })
  }

  /** Adds a domain (the caller checked the name is free and the doc is valid). */
  async createDomain (doc: DomainDoc): Promise<DomainState> {
    const d = this.attach(doc, this.dataDir !== null)
    if (d.writer !== null) {
      try {
        const stale = (await listLogs(this.domainsDir)).get(doc.name) ?? []
        await d.writer.create(doc, stale.map(l => l.path))
      } catch (err) {
        this.domainMap.delete(doc.name)
        throw new DiskError(err as Error)
      }
    }
    return d.state
  }

  async deleteDomain (name: string): Promise<boolean> {
    const d = this.domainMap.get(name)
    if (d === undefined) return false
    this.domainMap.delete(name)
    if (d.commit !== null) {
      await d.commit.idle()
      await d.writer!.remove().catch(err => { throw new DiskError(err as Error) })
    }
    return true
  }

  exportState (): StateExport {
    return {
      format: 1,
      web_users: structuredClone(this.global.web_users),
      domains: Object.fromEntries(this.domainNames().map(n => [n, structuredClone(this.domainMap.get(n)!.state.doc)]))
    }
  }

  /** Replaces the whole state (validated by the caller). */
  async importState (state: StateExport): Promise<void> {
    for (const name of [...this.domainMap.keys()]) {
      if (!Object.hasOwn(state.domains, name)) await this.deleteDomain(name)
    }
    const writes: Promise<unknown>[] = []
    for (const [name, doc] of Object.entries(state.domains)) {
      const d = this.domainMap.get(name)
      if (d === undefined) writes.push(this.createDomain(doc))
      else {
        d.state.replace(doc)
        writes.push(this.persist(d.state))
      }
    }
    this.global.web_users = state.web_users
    this.setGlobal(this.global)
    if (this.globalDb !== null) {
      writes.push(this.globalDb.write().catch(err => { throw new DiskError(err as Error) }))
    }
    const results = await Promise.allSettled(writes)
    const failed = results.find(r => r.status === 'rejected')
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason
  }

  /** Waits for pending writes and releases the data directory. */
  async close (): Promise<void> {
    for (const d of this.domainMap.values()) {
      await d.commit?.idle()
      // The snapshot takes in the log: a stopped server's data files are whole.
      await d.writer?.close(d.state.doc).catch(err => this.warn(`domain ${d.state.name}: the final compaction failed (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); the log keeps every change`))
    }
    await this.lock?.release()
    this.lock = null
  }
}

async function readDataFile<T> (adapter: AtomicJsonFile<T>, problemsOf: (doc: unknown) => string[]): Promise<T | null> {
  let doc: T | null
  try {
    doc = await adapter.read()
  } catch (err) {
    const problem = err instanceof SyntaxError ? `not valid JSON (${err.message})` : `cannot read the data file (${(err as NodeJS.ErrnoException).code ?? String(err)})`
    throw new StartupError(adapter.path, [problem])
  }
  if (doc === null) return null
  const problems = problemsOf(doc)
  if (problems.length > 0) throw new StartupError(adapter.path, problems)
  return doc
}
