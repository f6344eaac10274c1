import { open, readFile, readdir, unlink, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import { syncDirectory, writeAll } from './atomic-file.js'

// A domain's change log: the changes acknowledged since its snapshot (the
// domain's `.json` file), one line per group commit:
//
//   <crc32 of the JSON, 8 hex digits> <JSON>\n
//
// The first line is a header naming the snapshot the log follows (the crc32
// and byte length of that file's content). A log that follows another
// snapshot than the one on disk is older than the snapshot (a rewrite finished
// after it) and is not replayed. Lines are checked one by one: a line cut short
// (a crash during the append) or whose checksum does not match ends the log,
// and everything before it is kept.

/** Identifies a snapshot's content: `<crc32 hex>-<byte length>`. */
export function snapshotId (pieces: Buffer[]): string {
  let crc = 0
  let length = 0
  for (const p of pieces) {
    crc = crc32(p, crc)
    length += p.length
  }
  return `${hex8(crc)}-${length}`
}

function hex8 (n: number): string {
  return n.toString(16).padStart(8, '0')
}

const NEWLINE = Buffer.from('\n')

/** One log line, in pieces, for a JSON text (which never holds a raw newline) or its bytes in pieces. */
export function logLine (json: string | Buffer[]): Buffer[] {
  const body = typeof json === 'string' ? [Buffer.from(json)] : json
  let crc = 0
  for (const p of body) crc = crc32(p, crc)
  return [Buffer.from(`${hex8(crc)} `, 'latin1'), ...body, NEWLINE]
}

export interface LogHeader {
  log: 1
  domain: string
  /** The snapshot this log follows (see `snapshotId`). */
  base: string
}

/** What a log file holds, read and checked line by line. */
export interface LogContent {
  path: string
  generation: number
  header: LogHeader | null
  /** The parsed change records after the header, in order. */
  records: unknown[]
  /** Bytes of whole, checked lines (the header included). */
  validBytes: number
  totalBytes: number
  /** Why reading stopped before the end, if it did. */
  problem: string | null
}

const HEX8 = /^[0-9a-f]{8}$/

/**
 * Reads a log: the lines are checked one by one (cut short, checksum), then
 * the records of the whole lines are parsed in one go; should that fail, line
 * by line, to find the first that is not JSON.
 */
export function parseLog (path: string, generation: number, bytes: Buffer): LogContent {
  const out: LogContent = { path, generation, header: null, records: [], validBytes: 0, totalBytes: bytes.length, problem: null }
  let at = 0
  let line = 0
  // Where the record lines start (after the header), and where each ends.
  let recordsFrom = -1
  const ends: number[] = []
  while (at < bytes.length) {
    const end = bytes.indexOf(0x0a, at)
    if (end === -1) {
      out.problem = `line ${line + 1} is cut short (${bytes.length - at} bytes without an end)`
      break
    }
    const tag = bytes.toString('latin1', at, at + 8)
    if (end - at < 10 || bytes[at + 8] !== 0x20 || !HEX8.test(tag) || crc32(bytes.subarray(at + 9, end)) !== parseInt(tag, 16)) {
      out.problem = `line ${line + 1} does not match its checksum`
      break
    }
    if (line === 0) {
      let h: Partial<LogHeader> | null
      try {
        h = JSON.parse(bytes.toString('utf8', at + 9, end)) as Partial<LogHeader> | null
      } catch {
        out.problem = 'line 1 is not JSON although its checksum matches'
        break
      }
      if (h === null || typeof h !== 'object' || h.log !== 1 || typeof h.base !== 'string') {
        out.problem = 'the first line is not a change-log header'
        break
      }
      out.header = h as LogHeader
      recordsFrom = end + 1
    } else {
      ends.push(end + 1)
    }
    line++
    at = end + 1
    out.validBytes = at
  }
  if (recordsFrom === -1 || out.validBytes <= recordsFrom) return out
  // The checked lines as one JSON list: in a copy of them, each line's tag
  // becomes '[' or blanks and its newline ',' or ']' (no JSON holds a raw newline).
  const list = Buffer.from(bytes.subarray(recordsFrom, out.validBytes))
  for (let i = 0, from = 0; i < ends.length; i++) {
    list.fill(0x20, from, from + 9)
    if (i === 0) list[0] = 0x5b
    from = ends[i] - recordsFrom
    list[from - 1] = i === ends.length - 1 ? 0x5d : 0x2c
  }
  try {
    const records = JSON.parse(list.toString('utf8')) as unknown[]
    // Each line one JSON value: as many values as lines (else a line is not JSON alone).
    if (records.length === ends.length) {
      out.records = records
      return out
    }
  } catch {}
  for (let i = 0, from = recordsFrom; i < ends.length; i++) {
    try {
      out.records.push(JSON.parse(bytes.toString('utf8', from + 9, ends[i] - 1)))
    } catch {
      out.problem = `line ${i + 2} is not JSON although its checksum matches`
      out.validBytes = from
      break
    }
    from = ends[i]
  }
  return out
}

const LOG_NAME = /^([a-z0-9][a-z0-9-]{0,62})\.(\d{1,15})\.log$/

/** The log files in a directory, by domain, each domain's in generation order. */
export async function listLogs (dir: string): Promise<Map<string, Array<{ generation: number, path: string }>>> {
  const found = new Map<string, Array<{ generation: number, path: string }>>()
  for (const name of await readdir(dir)) {
    const m = LOG_NAME.exec(name)
    if (m === null) continue
    const list = found.get(m[1]) ?? []
    list.push({ generation: Number(m[2]), path: join(dir, name) })
    found.set(m[1], list)
  }
  for (const list of found.values()) list.sort((a, b) => a.generation - b.generation)
  return found
}

export function logPath (dir: string, domain: string, generation: number): string {
  return join(dir, `${domain}.${generation}.log`)
}

export async function readLog (path: string, generation: number): Promise<LogContent> {
  return parseLog(path, generation, await readFile(path))
}

/** Removes files, ignoring those already gone. */
export async function removeFiles (paths: string[]): Promise<void> {
  for (const p of paths) {
    await unlink(p).catch(err => {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    })
  }
}

/** The open log a domain appends to. */
export class ChangeLog {
  private constructor (
    readonly path: string,
    readonly generation: number,
    private readonly fh: FileHandle,
    private readonly fsync: boolean,
    /** Bytes in the file (whole lines only). */
    public size: number,
    /** Change records in the file. */
    public records: number
  ) {}

  /** A new log (any file of that name is replaced) whose header names the snapshot it follows. */
  static async create (dir: string, domain: string, generation: number, base: string, fsync: boolean): Promise<ChangeLog> {
    const path = logPath(dir, domain, generation)
    const fh = await open(path, 'w')
    try {
      await writeAll(fh, logLine(JSON.stringify({ log: 1, domain, base } satisfies LogHeader)), 0)
      if (fsync) await fh.sync()
    } catch (err) {
      await fh.close().catch(() => {})
      await unlink(path).catch(() => {})
      throw err
    }
    if (fsync) await syncDirectory(dir)
    return new ChangeLog(path, generation, fh, fsync, (await fh.stat()).size, 0)
  }

  /** Continues an existing log whose whole lines end at `size` (anything after is cut off). */
  static async resume (content: LogContent, fsync: boolean): Promise<ChangeLog> {
    const fh = await open(content.path, 'r+')
    try {
      if (content.totalBytes !== content.validBytes) {
        await fh.truncate(content.validBytes)
        if (fsync) await fh.sync()
      }
    } catch (err) {
      await fh.close().catch(() => {})
      throw err
    }
    return new ChangeLog(content.path, content.generation, fh, fsync, content.validBytes, content.records.length)
  }

  /**
   * Appends one line and makes it durable. On failure the file is cut back to
   * where it was, so a half-written line never sits before a later one; if even
   * that fails, the error says so and the log must not be appended to again.
   */
  async append (line: Buffer[]): Promise<void> {
    const before = this.size
    let length = 0
    for (const p of line) length += p.length
    try {
      await writeAll(this.fh, line, before)
      if (this.fsync) await this.fh.datasync()
    } catch (err) {
      try {
        await this.fh.truncate(before)
      } catch {
        throw new LogBrokenError(err as Error)
      }
      throw err
    }
    this.size = before + length
    this.records++
  }

  async close (): Promise<void> {
    await this.fh.close().catch(() => {})
  }
}

/** An append failed and the log could not be cut back: it must be replaced by a new snapshot. */
export class LogBrokenError extends Error {
  constructor (readonly cause: Error) {
    super(cause.message)
    this.name = 'LogBrokenError'
    Object.assign(this, { code: (cause as NodeJS.ErrnoException).code })
  }
}
