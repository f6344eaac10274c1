import { readdir, stat } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { Client } from './client.js'
import type { PutLedger } from './scenarios.js'
import { detailPath } from './scenarios.js'

// The scenarios on a large domain that are timed as jobs: a bulk update of
// every worker, and what the data directory holds while and after it runs.

export interface FileSize {
  file: string
  bytes: number
}

/** Every file under `dir` with its size (a file removed while listing is skipped). */
export async function fileSizes (dir: string): Promise<FileSize[]> {
  const out: FileSize[] = []
  async function walk (d: string): Promise<void> {
    let entries
    try {
      entries = await readdir(d, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries) {
      const path = join(d, e.name)
      if (e.isDirectory()) await walk(path)
      else {
        try {
          out.push({ file: relative(dir, path), bytes: (await stat(path)).size })
        } catch {}
      }
    }
  }
  await walk(dir)
  return out.sort((a, b) => a.file < b.file ? -1 : 1)
}

/** Samples the total size of a directory until stopped; keeps the largest. */
export class DiskSampler {
  max = 0
  samples = 0
  private running = true
  private readonly done: Promise<void>

  constructor (private readonly dir: string, everyMs = 100) {
    this.done = this.loop(everyMs)
  }

  private async loop (everyMs: number): Promise<void> {
    while (this.running) {
      const total = (await fileSizes(this.dir)).reduce((n, f) => n + f.bytes, 0)
      this.samples++
      if (total > this.max) this.max = total
      await new Promise(resolve => setTimeout(resolve, everyMs))
    }
  }

  async stop (): Promise<void> {
    this.running = false
    await this.done
  }
}

export interface BulkResult {
  users: number
  clients: number
  updated: number
  failed: number
  /** Wall time of the job, or of the part done when it was stopped at its limit. */
  seconds: number
  finished: boolean
  /** Total time the whole job would take at the rate measured (the measured time when it finished). */
  estimatedSeconds: number
  p99: number
}

/**
 * `clients` connections update every user in `ids` once (one field each, in
 * id order shared between the clients), as a batch job would. Stops early
 * after `limitSeconds`, reporting how far it got.
 */
export async function bulkUpdate (url: string, domain: string, ids: string[], ledger: PutLedger, clients: number, limitSeconds: number): Promise<BulkResult> {
  const client = new Client(url, clients)
  const started = performance.now()
  const deadline = started + limitSeconds * 1000
  const latencies: number[] = []
  let nextIndex = 0
  let failed = 0
  async function worker (): Promise<void> {
    while (nextIndex < ids.length && performance.now() < deadline) {
      const id = ids[nextIndex++]
      const value = ledger.nextFor(id)
      const t = performance.now()
      try {
        const res = await client.send('PUT', detailPath(domain, id), `{"${ledger.field}": "${value}"}`)
        latencies.push(performance.now() - t)
        ledger.answered(id, value, res.status, res.body)
        if (res.status !== 200) failed++
      } catch {
        ledger.answered(id, value, 0, '')
        failed++
      }
    }
  }
  try {
    await Promise.all(Array.from({ length: clients }, worker))
  } finally {
    client.close()
  }
  const seconds = (performance.now() - started) / 1000
  const updated = latencies.length
  latencies.sort((a, b) => a - b)
  const finished = nextIndex >= ids.length
  return {
    users: ids.length,
    clients,
    updated,
    failed,
    seconds,
    finished,
    estimatedSeconds: finished ? seconds : updated === 0 ? Infinity : seconds * ids.length / updated,
    p99: latencies.length === 0 ? NaN : Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))])
  }
}
