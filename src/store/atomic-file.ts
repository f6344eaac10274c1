import { open, rename, unlink, readFile } from 'node:fs/promises'
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

  constructor (path: string, options: { fsync?: boolean } = {}) {
    this.path = path
    this.fsync = options.fsync ?? true
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
    const text = JSON.stringify(data)
    const tmp = join(dirname(this.path), `.${basename(this.path)}.${process.pid}.${++sequence}.tmp`)
    try {
      const fh = await open(tmp, 'w')
      try {
        await fh.writeFile(text, 'utf8')
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
