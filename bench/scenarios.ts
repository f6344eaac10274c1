import type { Scenario } from './load.js'

// The request mixes. Ids are picked at random per request; PUTs never target a
// user whose previous PUT is still unanswered, so for every user the last
// acknowledged value is the one the data file must hold afterwards.

function pick<T> (items: T[]): T {
  return items[Math.floor(Math.random() * items.length)]
}

export function detailPath (domain: string, id: string): string {
  return `/a/${domain}/api/v0.5/user/${id}/`
}

export function getDetail (domain: string, ids: string[]): Scenario {
  return {
    name: 'GET detail',
    setup: req => { req.path = detailPath(domain, pick(ids)) }
  }
}

export function getList (domain: string, activeUsers: number): Scenario {
  const pages = Math.max(1, Math.floor(activeUsers / 100))
  return {
    name: 'GET list (limit=100)',
    setup: req => { req.path = `/a/${domain}/api/v0.5/user/?limit=100&offset=${Math.floor(Math.random() * pages) * 100}` }
  }
}

/** Tracks every PUT of one field so the data file can be checked against what was acknowledged. */
export class PutLedger {
  private seq = 0
  readonly acked = new Map<string, string>()
  /** Sent and not answered: the value may or may not have landed. */
  readonly inFlight = new Map<string, string>()
  wrongAnswers = 0
  failed = 0

  constructor (readonly field: 'first_name' | 'last_name', private readonly ids: string[]) {}

  /** A user with no PUT in flight, and the value to send it. */
  next (): { id: string, value: string } {
    let id = pick(this.ids)
    for (let i = 0; i < 20 && this.inFlight.has(id); i++) id = pick(this.ids)
    return { id, value: this.nextFor(id) }
  }

  /** The value to send `id` (which has no PUT in flight). */
  nextFor (id: string): string {
    const value = `${this.field === 'first_name' ? 'F' : 'L'}${++this.seq}`
    this.inFlight.set(id, value)
    return value
  }

  answered (id: string, value: string, status: number, body: string): void {
    this.inFlight.delete(id)
    if (status !== 200) {
      this.failed++
      return
    }
    if (!body.includes(`"${this.field}": "${value}"`)) this.wrongAnswers++
    this.acked.set(id, value)
  }

  /** Users whose value in `users` is neither the last acknowledged one nor one still in flight. */
  lost (users: Array<{ id: string, first_name: string, last_name: string }>): string[] {
    const byId = new Map(users.map(u => [u.id, u]))
    const out: string[] = []
    for (const [id, value] of this.acked) {
      const onDisk = byId.get(id)?.[this.field]
      if (onDisk !== value && onDisk !== this.inFlight.get(id)) out.push(`${id}: acknowledged ${value}, file has ${String(onDisk)}`)
    }
    return out
  }
}

function putRequest (ledger: PutLedger, domain: string): Scenario['setup'] {
  return (req, ctx) => {
    const { id, value } = ledger.next()
    ctx.id = id
    ctx.value = value
    req.method = 'PUT'
    req.path = detailPath(domain, id)
    req.body = `{"${ledger.field}": "${value}"}`
  }
}

export function put (domain: string, ledger: PutLedger): Scenario {
  return {
    name: 'PUT (one field)',
    setup: putRequest(ledger, domain),
    check: (o, ctx) => ledger.answered(ctx.id as string, ctx.value as string, o.status, o.body)
  }
}

/** 80 % GET detail, 20 % PUT, chosen per request. */
export function mixed (domain: string, ids: string[], ledger: PutLedger): Scenario {
  const write = putRequest(ledger, domain)
  return {
    name: 'mixed 80/20 GET/PUT',
    setup: (req, ctx) => {
      if (Math.random() < 0.2) write(req, ctx)
      else {
        ctx.id = undefined
        req.path = detailPath(domain, pick(ids))
      }
    },
    check: (o, ctx) => {
      if (ctx.id !== undefined) ledger.answered(ctx.id as string, ctx.value as string, o.status, o.body)
    }
  }
}

export class PostCounter {
  private seq = 0
  created = 0
  failed = 0
  constructor (readonly tag: string) {}
  next (): string { return `${this.tag}-${++this.seq}` }
}

export function post (domain: string, counter: PostCounter): Scenario {
  return {
    name: 'POST create',
    setup: req => {
      const name = counter.next()
      req.method = 'POST'
      req.path = `/a/${domain}/api/v0.5/user/`
      req.body = JSON.stringify({ username: name, password: `pw-${name}`, first_name: 'New', last_name: 'Worker' })
    },
    check: o => {
      if (o.status === 201) counter.created++
      else counter.failed++
    }
  }
}
