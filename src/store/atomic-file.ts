import { open, readdir, rename, unlink, readFile, type FileHandle } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { Adapter } from 'lowdb'

let sequence = 0

/**
 * A lowdb adapter that writes by atomic replace: the whole text goes to a
 * temporary file beside the target, is flushed to the disk (fsync), and is then
 * renamed over the target. A reader (or a restart after a crash) sees either the
 * old file or the new one, never a torn mix.
 */
export class AtomicJsonFile<T> implements Adapter<T> {
  readonly path: string
  private readonly fsync: boolean
  private readonly serialize: (data: T) => string | Buffer[]

  constructor (path: string, options: { fsync?: boolean, serialize?: (data: T) => string | Buffer[] } = {}) {
    this.path = path
    this.fsync = options.fsync ?? true
    this.serialize = options.serialize ?? (data => JSON.stringify(data))
  }

  async read (): Promise<T | null> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw err
    }
    return JSON.parse(text) as T
  }

  async write (data: T): Promise<void> {
    // Serialize first, synchronously: the file gets the state as of this call,
    // whatever changes arrive while the bytes are on their way to the disk.
    const text = this.serialize(data)
    await this.writePieces(typeof text === 'string' ? [Buffer.from(text)] : text)
  }

  /** Replaces the file with these bytes (already serialized), atomically. */
  async writePieces (pieces: Buffer[]): Promise<void> {
    const tmp = join(dirname(this.path), `.${basename(this.path)}.${process.pid}.${++sequence}.tmp`)
    try {
      const fh = await open(tmp, 'w')
      try {
        await writeAll(fh, pieces)
        if (this.fsync) await fh.sync()
      } finally {
        await fh.close()
      }
      await rename(tmp, this.path)
    } catch (err) {
      await unlink(tmp).catch(() => {})
      throw err
    }
    if (this.fsync) await syncDirectory(dirname(this.path))
  }
}

/** Writes the pieces in one call where the system takes them all (writeFile would make one per 512 KiB). */
export async function writeAll (fh: FileHandle, pieces: Buffer[], position = 0): Promise<void> {
  let total = 0
  for (const p of pieces) total += p.length
  const done = (await fh.writev(pieces, position)).bytesWritten
  if (done === total) return
  const rest = Buffer.concat(pieces).subarray(done)
  for (let at = 0; at < rest.length;) at += (await fh.write(rest, at, rest.length - at, position + done + at)).bytesWritten
}

/** Makes a rename in `dir` durable. Some file systems refuse; that is not an error. */
export async function syncDirectory (dir: string): Promise<void> {
  let fh
  try {
    fh = await open(dir, 'r')
    await fh.sync()
  } catch {
    // EISDIR/EINVAL/EPERM on platforms that cannot fsync a directory
  } finally {
    await fh?.close().catch(() => {})
  }
}

const TEMP_FILE = /^\..+\.\d+\.\d+\.tmp$/

/**
 * Removes temporary files a killed process left half written. Only the holder
 * of the data directory's lock may call this: no other writer can be running.
 */
export async function removeStaleTemps (dir: string): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (TEMP_FILE.test(name)) await unlink(join(dir, name)).catch(() => {})
  }
}
