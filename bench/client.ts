import { Agent, request } from 'node:http'
import { BENCH_AUTH } from './seed.js'

// A small keep-alive HTTP client for the scenarios that count a job's total
// time rather than a rate: a few connections, each sending its next request as
// soon as the previous answer is in.

export interface Answer {
  status: number
  body: string
}

export class Client {
  private readonly agent: Agent
  private readonly host: string
  private readonly port: number

  constructor (url: string, connections: number) {
    const u = new URL(url)
    this.host = u.hostname
    this.port = Number(u.port)
    this.agent = new Agent({ keepAlive: true, maxSockets: connections })
  }

  send (method: string, path: string, body?: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { authorization: BENCH_AUTH }
      if (body !== undefined) {
        headers['content-type'] = 'application/json'
        headers['content-length'] = String(Buffer.byteLength(body))
      }
      const req = request({ host: this.host, port: this.port, method, path, headers, agent: this.agent }, res => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
        res.on('error', reject)
      })
      req.on('error', reject)
      req.end(body)
    })
  }

  close (): void {
    this.agent.destroy()
  }
}

export interface ListedUser {
  id: string
  first_name: string
  last_name: string
}

export interface PagedRead {
  users: ListedUser[]
  pages: number
  ms: number
}

/**
 * Every worker of a domain, active and deactivated, page by page at `limit`,
 * following `meta.next` as a client would.
 */
export async function readAllUsers (url: string, domain: string, limit = 1000): Promise<PagedRead> {
  const client = new Client(url, 1)
  const started = performance.now()
  const users: ListedUser[] = []
  let pages = 0
  try {
    for (const archived of ['false', 'true']) {
      const base = `/a/${domain}/api/v0.5/user/`
      let next: string | null = `?archived=${archived}&limit=${limit}`
      while (next !== null) {
        const res = await client.send('GET', base + next)
        if (res.status !== 200) throw new Error(`GET ${base}${next}: ${res.status} ${res.body.slice(0, 200)}`)
        const page = JSON.parse(res.body) as { meta: { next: string | null }, objects: ListedUser[] }
        pages++
        for (const u of page.objects) users.push({ id: u.id, first_name: u.first_name, last_name: u.last_name })
        next = page.meta.next
      }
    }
  } finally {
    client.close()
  }
  return { users, pages, ms: performance.now() - started }
}
