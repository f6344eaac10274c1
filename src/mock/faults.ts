import { Type, type Static } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { MockApiError } from '../http/errors.js'
import { pathMatcher } from './match.js'

// Fault injection: rules that answer matching CommCare requests with a chosen
// status, delay them, or cut the connection. Each rule draws from its own
// seeded generator, so a run with the same rules and requests repeats exactly.
// Delays compose with the first answering rule (see decide), so a catch-all
// delay never hides a later, more specific rule.

export const MAX_DELAY_MS = 120_000

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/
const HeaderName = Type.String({ pattern: HEADER_NAME.source, maxLength: 100 })
/** Headers that frame the answer: a rule that set them could leave a client waiting for bytes that never come. */
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'trailer', 'te'])

export const FaultRuleInputSchema = Type.Object({
  id: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' })),
  method: Type.Optional(Type.String({ pattern: '^[A-Za-z]{1,10}$' })),
  path: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  domain: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' })),
  status: Type.Optional(Type.Integer({ minimum: 200, maximum: 599 })),
  body: Type.Optional(Type.Unknown()),
  headers: Type.Optional(Type.Record(HeaderName, Type.String({ maxLength: 1000, pattern: '^[\\x20-\\x7e]*$' }))),
  delay_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_DELAY_MS })),
  delay_range_ms: Type.Optional(Type.Tuple([
    Type.Integer({ minimum: 0, maximum: MAX_DELAY_MS }),
    Type.Integer({ minimum: 0, maximum: MAX_DELAY_MS })
  ])),
  reset_connection: Type.Optional(Type.Boolean()),
  times: Type.Optional(Type.Integer({ minimum: 1 })),
  probability: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 4294967295 }))
}, { additionalProperties: false })
export type FaultRuleInput = Static<typeof FaultRuleInputSchema>

/** A rule as listed: its input plus what it has done so far. */
export interface FaultRule extends FaultRuleInput {
  id: string
  /** How many requests it answered (or delayed). */
  hits: number
  /** Applications left when `times` was given, else null. */
  remaining: number | null
  /** The generator's seed (the given one, or 0). */
  seed: number
  created: string
}

/** What to do with one request. */
export interface FaultDecision {
  /** Rule id, or `header` for `X-Mock-Fault`. */
  source: string
  status?: number
  body?: unknown
  headers?: Record<string, string>
  delayMs: number
  reset: boolean
  /** For `X-Mock-Reason`. */
  reason: string
}

/** mulberry32: a small, fast 32-bit generator; plenty for drawing fault odds. */
export function seededRandom (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const checkInput = TypeCompiler.Compile(FaultRuleInputSchema)

interface Active {
  rule: FaultRule
  method?: string
  path?: (path: string) => boolean
  random: () => number
}

export class Faults {
  private rules: Active[] = []
  private counter = 0

  /** Validates and adds a rule; throws MockApiError(400/409). */
  add (input: unknown): FaultRule {
    if (!checkInput.Check(input)) {
      const first = checkInput.Errors(input).First()
      const where = first === undefined || first.path === '' ? '' : `${first.path.slice(1)}: `
      throw new MockApiError(400, `invalid fault rule: ${where}${first?.message ?? 'not an object'}`)
    }
    const r = input
    if (r.status === undefined && r.delay_ms === undefined && r.delay_range_ms === undefined && r.reset_connection !== true) {
      throw new MockApiError(400, 'invalid fault rule: give at least one of status, delay_ms, delay_range_ms or reset_connection')
    }
    if (r.status !== undefined && r.reset_connection === true) {
      throw new MockApiError(400, 'invalid fault rule: status and reset_connection exclude each other (a reset connection has no answer)')
    }
    if (r.delay_ms !== undefined && r.delay_range_ms !== undefined) {
      throw new MockApiError(400, 'invalid fault rule: give delay_ms or delay_range_ms, not both')
    }
    if (r.delay_range_ms !== undefined && r.delay_range_ms[0] > r.delay_range_ms[1]) {
      throw new MockApiError(400, 'invalid fault rule: delay_range_ms must be [min, max] with min <= max')
    }
    if ((r.body !== undefined || r.headers !== undefined) && r.status === undefined) {
      throw new MockApiError(400, 'invalid fault rule: body and headers need a status')
    }
    // The schema's pattern does not reach a record's keys: the names are checked here.
    for (const name of Object.keys(r.headers ?? {})) {
      if (!HEADER_NAME.test(name)) {
        throw new MockApiError(400, `invalid fault rule: headers: ${JSON.stringify(name.slice(0, 50))} is not a header name (at most 100 of A-Z a-z 0-9 !#$%&'*+.^_\`|~-)`)
      }
      if (FRAMING_HEADERS.has(name.toLowerCase())) throw new MockApiError(400, `invalid fault rule: headers: ${name} is set by the server, not by a rule`)
    }
    let id = r.id
    if (id === undefined) {
      do id = `fault-${++this.counter}`
      while (this.rules.some(a => a.rule.id === id))
    } else if (this.rules.some(a => a.rule.id === id)) {
      throw new MockApiError(409, `there is already a fault rule '${id}'`)
    }
    const seed = r.seed ?? 0
    const rule: FaultRule = {
      ...structuredClone(r),
      id,
      seed,
      hits: 0,
      remaining: r.times ?? null,
      created: new Date().toISOString()
    }
    if (rule.method !== undefined) rule.method = rule.method.toUpperCase()
    this.rules.push({
      rule,
      method: rule.method,
      path: rule.path === undefined ? undefined : pathMatcher(rule.path),
      random: seededRandom(seed)
    })
    return structuredClone(rule)
  }

  list (): FaultRule[] {
    return this.rules.map(a => structuredClone(a.rule))
  }

  get size (): number {
    return this.rules.length
  }

  remove (id: string): boolean {
    const before = this.rules.length
    this.rules = this.rules.filter(a => a.rule.id !== id)
    return this.rules.length < before
  }

  /** Removes the rules scoped to one domain. */
  removeDomain (domain: string): void {
    this.rules = this.rules.filter(a => a.rule.domain !== domain)
  }

  clear (): void {
    this.rules = []
  }

  /**
   * The order of docs/TEST-CONTROL.md: rules are looked at in the order they
   * were added. The first *answering* rule (status or reset_connection) that
   * matches and fires decides the answer; later answering rules are not looked
   * at. Every *delay-only* rule that matches and fires, wherever it stands,
   * adds its delay (all delays together at most MAX_DELAY_MS). A rule with a
   * probability draws once per request it is looked at; `times` counts only the
   * requests it fired on.
   */
  decide (method: string, path: string, domain: string | null): FaultDecision | null {
    let answer: Active | undefined
    let answerDelay = 0
    const delays: Array<{ id: string, ms: number }> = []
    for (const a of this.rules) {
      const r = a.rule
      const answering = r.status !== undefined || r.reset_connection === true
      if (answering && answer !== undefined) continue
      if (r.remaining === 0) continue
      if (a.method !== undefined && a.method !== method) continue
      if (r.domain !== undefined && r.domain !== domain) continue
      if (a.path !== undefined && !a.path(path)) continue
      if (r.probability !== undefined && r.probability < 1 && !(a.random() < r.probability)) continue
      if (r.remaining !== null) r.remaining--
      r.hits++
      const ms = r.delay_range_ms !== undefined
        ? r.delay_range_ms[0] + Math.floor(a.random() * (r.delay_range_ms[1] - r.delay_range_ms[0] + 1))
        : r.delay_ms ?? 0
      if (answering) {
        answer = a
        answerDelay = ms
      } else {
        delays.push({ id: r.id, ms })
      }
    }
    if (answer === undefined && delays.length === 0) return null
    const delayMs = Math.min(MAX_DELAY_MS, delays.reduce((sum, d) => sum + d.ms, answerDelay))
    if (answer === undefined) {
      const ids = delays.map(d => `'${d.id}'`).join(', ')
      return {
        source: delays[0].id,
        delayMs,
        reset: false,
        reason: `fault rule${delays.length > 1 ? 's' : ''} ${ids} delayed ${delayMs} ms`
      }
    }
    const r = answer.rule
    const what = r.reset_connection === true ? 'reset the connection' : `answered ${r.status!}`
    const count = r.times !== undefined ? ` (${r.times - (r.remaining ?? 0)} of ${r.times})` : ''
    const waited = delays.length === 0 ? '' : `, after waiting ${delayMs} ms (also for ${delays.map(d => `'${d.id}'`).join(', ')})`
    return {
      source: r.id,
      status: r.status,
      body: r.body,
      headers: r.headers,
      delayMs,
      reset: r.reset_connection === true,
      reason: `fault rule '${r.id}' ${what}${count}${waited}${r.status !== undefined ? '; the request never reached the CommCare logic' : ''}`
    }
  }
}

/**
 * `X-Mock-Fault: status=503`, `delay=300`, `reset`, combined with `;`
 * (`status=500; delay=200`). Throws MockApiError(400) on anything else.
 */
export function parseFaultHeader (value: string): FaultDecision {
  const d: FaultDecision = { source: 'header', delayMs: 0, reset: false, reason: '' }
  for (const part of value.split(';').map(p => p.trim()).filter(p => p !== '')) {
    const eq = part.indexOf('=')
    const key = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase()
    const arg = eq === -1 ? undefined : part.slice(eq + 1).trim()
    if (key === 'status' && arg !== undefined && /^\d{3}$/.test(arg) && Number(arg) >= 200 && Number(arg) <= 599) {
      d.status = Number(arg)
    } else if (key === 'delay' && arg !== undefined && /^\d{1,6}$/.test(arg) && Number(arg) <= MAX_DELAY_MS) {
      d.delayMs = Number(arg)
    } else if (key === 'reset' && arg === undefined) {
      d.reset = true
    } else {
      throw new MockApiError(400, `invalid X-Mock-Fault part '${part.slice(0, 50)}': use status=<200-599>, delay=<ms up to ${MAX_DELAY_MS}> or reset, joined by ';'`)
    }
  }
  if (d.status === undefined && d.delayMs === 0 && !d.reset) throw new MockApiError(400, 'X-Mock-Fault is empty: use status=<code>, delay=<ms> or reset')
  if (d.status !== undefined && d.reset) throw new MockApiError(400, 'X-Mock-Fault: status and reset exclude each other')
  const what = d.reset ? 'reset the connection' : d.status !== undefined ? `answered ${d.status}` : `delayed ${d.delayMs} ms`
  d.reason = `X-Mock-Fault header ${what}${d.status !== undefined ? '; the request never reached the CommCare logic' : ''}`
  return d
}
