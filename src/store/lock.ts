import { readFile, stat, unlink, utimes, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { StartupError } from './errors.js'

export interface Lock {
  path: string
  release: () => Promise<void>
}

interface LockInfo {
  pid: number
  host: string
  instance: string
  started: string
}

/** The owner touches the lock file this often; a lock not touched for STALE_MS is abandoned. */
const HEARTBEAT_MS = 1000
const STALE_MS = 3500

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function mtime (path: string): Promise<number | null> {
  try {
    return (await stat(path)).mtimeMs
  } catch {
    return null
  }
}

/**
 * Decides whether the lock's owner still runs. On the same host a dead pid
 * settles it at once. Where the pid cannot tell — another host, or a container
 * where every server is pid 1 and shares the host's name — the owner's heartbeat
 * does: a live owner touches the file every second.
 */
async function ownerIsLive (path: string, owner: LockInfo | null): Promise<boolean> {
  if (owner === null) return false
  const sameHost = owner.host === hostname()
  if (sameHost && owner.pid !== process.pid && !alive(owner.pid)) return false
  const seen = await mtime(path)
  if (seen === null || Date.now() - seen > STALE_MS) return false
  if (sameHost && owner.pid !== process.pid) return true
  await sleep(HEARTBEAT_MS * 2.5)
  const later = await mtime(path)
  return later !== null && later !== seen
}

/**
 * One server process per data directory: a second one would overwrite the
 * first's writes. The lock file names its owner and is touched every second
 * while the owner runs; a lock whose owner is gone (killed, or an earlier
 * container on the same volume) is stale and taken over.
 */
export async function acquireLock (dir: string): Promise<Lock> {
  const path = join(dir, '.lock')
  const mine: LockInfo = { pid: process.pid, host: hostname(), instance: randomBytes(8).toString('hex'), started: new Date().toISOString() }
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(path, JSON.stringify(mine), { flag: 'wx' })
      return held(path, mine)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new StartupError(dir, [`cannot create the lock file ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`])
      }
    }
    let owner: LockInfo | null = null
    try {
      owner = JSON.parse(await readFile(path, 'utf8')) as LockInfo
    } catch {
      owner = null // unreadable or half written: no live owner wrote it
    }
    if (await ownerIsLive(path, owner)) {
      throw new StartupError(dir, [`the data directory is in use by another commcare-hq-mock process (pid ${owner!.pid} on ${owner!.host}, since ${owner!.started}); stop it or use another --data directory`])
    }
    await unlink(path).catch(() => {})
  }
  throw new StartupError(dir, ['the data directory is being taken by another process at the same time'])
}

function held (path: string, mine: LockInfo): Lock {
  const beat = setInterval(() => {
    const now = new Date()
    utimes(path, now, now).catch(() => {})
  }, HEARTBEAT_MS)
  beat.unref()
  return {
    path,
    release: async () => {
      clearInterval(beat)
      // Only remove the lock if it is still ours.
      const content = await readFile(path, 'utf8').catch(() => '')
      if (content.includes(mine.instance)) await unlink(path).catch(() => {})
    }
  }
}
