import { open, readFile, unlink, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { StartupError } from './errors.js'

export interface Lock {
  path: string
  release: () => Promise<void>
}

interface LockInfo {
  pid: number
  host: string
  started: string
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * One server process per data directory: a second one would overwrite the
 * first's writes. The lock file names the owner; a lock left by a process that
 * no longer runs (killed, or from an earlier container on the same volume) is stale
 * and taken over.
 */
export async function acquireLock (dir: string): Promise<Lock> {
  const path = join(dir, '.lock')
  const mine: LockInfo = { pid: process.pid, host: hostname(), started: new Date().toISOString() }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx')
      await fh.writeFile(JSON.stringify(mine))
      await fh.close()
      return { path, release: () => unlink(path).catch(() => {}) }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new StartupError(dir, [`cannot create the lock file ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`])
      }
    }
    let owner: LockInfo | null = null
    try {
      owner = JSON.parse(await readFile(path, 'utf8')) as LockInfo
    } catch {
      owner = null // unreadable or half written: treat as stale
    }
    if (owner !== null && owner.host === mine.host && owner.pid !== process.pid && alive(owner.pid)) {
      throw new StartupError(dir, [`the data directory is in use by another commcare-hq-mock process (pid ${owner.pid}, since ${owner.started}); stop it or use another --data directory`])
    }
    await unlink(path).catch(() => {})
  }
  // Lost a race with another starting process.
  await writeFile(path, JSON.stringify(mine), { flag: 'wx' }).catch(() => {
    throw new StartupError(dir, ['the data directory is being taken by another process'])
  })
  return { path, release: () => unlink(path).catch(() => {}) }
}
