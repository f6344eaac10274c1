import { MockApiError } from '../http/errors.js'
import { pathMatcher, statusMatcher } from './match.js'
import { emailHeaderText } from './outbox.js'
import { redactAuthorization, redactHeader, redactJsonText, redactValue } from './redact.js'

// The request journal: a ring buffer of the CommCare-API requests, newest
// last, that never holds more than its capacity. An entry holds the request's
// few headers and its query already redacted (never a credential), and keeps
// what the answer already made (its headers and payload as sent), picking and
// parsing those only when read, so recording stays cheap on the request path.

/** Request and response bodies longer than this (in characters) are kept truncated. */
export const JOURNAL_BODY_LIMIT = 16 * 1024

export const DEFAULT_JOURNAL_SIZE = 1000

const JSON_TYPE = /\bjson\b/i

/**
 * What an entry keeps of an answer's payload: the payload itself up to the
 * limit (turned into redacted JSON when read), else a copy of its first
 * JOURNAL_BODY_LIMIT characters, redacted *before* the cut: cut JSON cannot be
 * parsed, so it could not be redacted later.
 */
export function keptPayload (payload: string | Buffer | null, contentType: string | undefined): { kept: string | Buffer | null, truncated: boolean } {
  if (payload === null || payload.length <= JOURNAL_BODY_LIMIT) return { kept: payload, truncated: false }
  let text = typeof payload === 'string' ? payload : payload.toString('utf8')
  if (contentType !== undefined && JSON_TYPE.test(contentType)) text = redactJsonText(text)
  if (text.length <= JOURNAL_BODY_LIMIT) return { kept: Buffer.from(text, 'utf8'), truncated: false }
  // A copy: a slice of a string can keep the whole answer alive, once per entry.
  return { kept: Buffer.from(text.slice(0, JOURNAL_BODY_LIMIT), 'utf8'), truncated: true }
}

export interface AppliedFault {
  /** The rule's id, or `header` for an `X-Mock-Fault` request header. */
  rule: string
  status?: number
  delay_ms?: number
  reset_connection?: boolean
}

export interface JournalEntry {
  /** Increases by one per recorded request, across clears; usable as `since`. */
  id: number
  /** When the request arrived (ISO 8601). */
  time: string
  method: string
  path: string
  query: Record<string, unknown>
  /** The `{domain}` of `/a/{domain}/…`, or null. */
  domain: string | null
  /** The status answered; 0 when a fault reset the connection. */
  status: number
  duration_ms: number
  request: {
    headers: Record<string, string>
    /** The parsed JSON body; null when there was none or it was never read (e.g. a 401 before the body). */
    body: unknown
    body_truncated?: true
  }
  response: {
    status: number
    headers: Record<string, string>
    /** Parsed JSON when the answer was JSON, else text; null when empty. */
    body: unknown
    body_truncated?: true
  }
  /** The answer's `X-Mock-Reason`, if any. */
  reason: string | null
  fault: AppliedFault | null
}

export interface JournalFilter {
  method?: string
  /** A path pattern: with `*` a whole-path glob, else a substring. */
  path?: string
  domain?: string
  /** `429`, or a class such as `4xx`. */
  status?: number | string
  /** An ISO time (entries at or after it) or an entry id (entries after it). */
  since?: string | number
  /** Most entries to return (newest first). */
  limit?: number
}

/**
 * What the hooks hand over: the request's headers (requestHeadersOf) and its
 * query, their secrets redacted; the answer's headers as sent (the journal's
 * few are picked and redacted when read) and its body raw. The objects must
 * not change after recording: they are the ones of a finished request.
 */
export interface RawEntry extends Omit<JournalEntry, 'id' | 'time' | 'request' | 'response'> {
  request: {
    headers: Readonly<Record<string, string>>
    body: unknown
    body_truncated?: true
  }
  response: {
    status: number
    headers: Readonly<Record<string, unknown>>
    payload: string | Buffer | null
    contentType: string | undefined
    body_truncated?: true
  }
}

/** The request headers an entry shows. */
export const REQUEST_HEADERS = ['authorization', 'content-type', 'content-length', 'accept', 'user-agent', 'x-mock-fault']
/** The response headers an entry shows. */
export const RESPONSE_HEADERS = ['content-type', 'content-length', 'allow', 'www-authenticate', 'retry-after', 'location', 'x-mock-reason', 'x-mock-warning', 'x-mock-email']

/** The journal's copy of some headers, lower-case names, secrets redacted. */
export function pickHeaders (source: Readonly<Record<string, unknown>>, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = Object.create(null)
  for (const name of names) {
    const v = Object.hasOwn(source, name) ? source[name] : undefined
    if (v === undefined) continue
    const text = Array.isArray(v) ? v.join(', ') : String(v)
    // X-Mock-Email goes out as the UTF-8 bytes of its text (emailHeader); kept as that text.
    out[name] = name === 'x-mock-email' ? emailHeaderText(text) : redactHeader(name, text)
  }
  return out
}

const headerText = (v: unknown): string => typeof v === 'string' ? v : Array.isArray(v) ? v.join(', ') : String(v)

/**
 * The request headers an entry shows (REQUEST_HEADERS, in that order), the
 * Authorization's secret redacted: what pickHeaders(source, REQUEST_HEADERS)
 * gives, made for every journaled request, so without its general loop.
 */
export function requestHeadersOf (source: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {}
  const authorization = source.authorization
  if (authorization !== undefined) out.authorization = redactAuthorization(headerText(authorization))
  const type = source['content-type']
  if (type !== undefined) out['content-type'] = headerText(type)
  const length = source['content-length']
  if (length !== undefined) out['content-length'] = headerText(length)
  const accept = source.accept
  if (accept !== undefined) out.accept = headerText(accept)
  const agent = source['user-agent']
  if (agent !== undefined) out['user-agent'] = headerText(agent)
  const fault = source['x-mock-fault']
  if (fault !== undefined) out['x-mock-fault'] = headerText(fault)
  return out
}

/**
 * One entry as kept: a single flat object. Entries live for the next thousand
 * requests or so, long enough to be copied by the garbage collector; the
 * RawEntry's nested objects are not kept.
 */
class Stored {
  readonly method: string
  readonly path: string
  readonly query: Record<string, unknown>
  readonly domain: string | null
  readonly status: number
  readonly duration_ms: number
  readonly requestHeaders: Readonly<Record<string, string>>
  readonly requestBody: unknown
  readonly requestTruncated: boolean
  readonly responseStatus: number
  readonly responseHeaders: Readonly<Record<string, unknown>>
  readonly payload: string | Buffer | null
  readonly contentType: string | undefined
  readonly responseTruncated: boolean
  readonly reason: string | null
  readonly fault: AppliedFault | null

  constructor (readonly id: number, readonly timeMs: number, raw: RawEntry) {
    this.method = raw.method
    this.path = raw.path
    this.query = raw.query
    this.domain = raw.domain
    this.status = raw.status
    this.duration_ms = raw.duration_ms
    this.requestHeaders = raw.request.headers
    this.requestBody = raw.request.body
    this.requestTruncated = raw.request.body_truncated === true
    this.responseStatus = raw.response.status
    this.responseHeaders = raw.response.headers
    this.payload = raw.response.payload
    this.contentType = raw.response.contentType
    this.responseTruncated = raw.response.body_truncated === true
    this.reason = raw.reason
    this.fault = raw.fault
  }
}

export class Journal {
  private buffer: Array<Stored | undefined>
  private next = 0
  private length = 0
  private lastId = 0

  constructor (readonly capacity: number = DEFAULT_JOURNAL_SIZE) {
    this.buffer = new Array<Stored | undefined>(capacity)
  }

  get enabled (): boolean {
    return this.capacity > 0
  }

  get size (): number {
    return this.length
  }

  record (raw: RawEntry, timeMs: number): void {
    if (this.capacity === 0) return
    const entry = new Stored(++this.lastId, timeMs, raw)
    this.buffer[this.next] = entry
    this.next = (this.next + 1) % this.capacity
    if (this.length < this.capacity) this.length++
  }

  /** Newest first. */
  private * newestFirst (): Generator<Stored> {
    for (let i = 1; i <= this.length; i++) {
      yield this.buffer[(this.next - i + this.capacity) % this.capacity]!
    }
  }

  list (filter: JournalFilter = {}): JournalEntry[] {
    const match = compileFilter(filter)
    const limit = filter.limit ?? Infinity
    const out: JournalEntry[] = []
    for (const e of this.newestFirst()) {
      if (out.length >= limit) break
      if (match(e)) out.push(view(e))
    }
    return out
  }

  count (filter: JournalFilter = {}): number {
    const match = compileFilter(filter)
    let n = 0
    for (const e of this.newestFirst()) if (match(e)) n++
    return n
  }

  /** Removes the entries that match (all of them without a filter); returns how many. */
  remove (filter: JournalFilter = {}): number {
    const match = compileFilter({ ...filter, limit: undefined })
    const kept: Stored[] = []
    for (const e of this.newestFirst()) if (!match(e)) kept.push(e)
    const removed = this.length - kept.length
    this.buffer = new Array<Stored | undefined>(this.capacity)
    this.next = 0
    this.length = 0
    for (const e of kept.reverse()) {
      this.buffer[this.next++] = e
      this.length++
    }
    if (this.capacity > 0) this.next %= this.capacity
    return removed
  }

  clear (): void {
    this.remove()
  }
}

function compileFilter (filter: JournalFilter): (e: Stored) => boolean {
  const tests: Array<(e: Stored) => boolean> = []
  if (filter.method !== undefined && filter.method !== '') {
    const method = filter.method.toUpperCase()
    tests.push(e => e.method === method)
  }
  if (filter.path !== undefined && filter.path !== '') {
    const m = pathMatcher(filter.path)
    tests.push(e => m(e.path))
  }
  if (filter.domain !== undefined && filter.domain !== '') {
    const domain = filter.domain
    tests.push(e => e.domain === domain)
  }
  if (filter.status !== undefined && filter.status !== '') {
    const m = statusMatcher(filter.status)
    tests.push(e => m(e.status))
  }
  if (filter.since !== undefined && filter.since !== '') {
    const since = String(filter.since)
    if (/^\d+$/.test(since)) {
      const id = Number(since)
      tests.push(e => e.id > id)
    } else {
      const t = Date.parse(since)
      if (Number.isNaN(t)) throw new MockApiError(400, `since must be an ISO 8601 time or an entry id, not '${since}'`)
      tests.push(e => e.timeMs >= t)
    }
  }
  return e => tests.every(test => test(e))
}

function view (e: Stored): JournalEntry {
  // Built on every read: the response body is parsed only when someone asks.
  const request: JournalEntry['request'] = { headers: { ...e.requestHeaders }, body: e.requestBody }
  if (e.requestTruncated) request.body_truncated = true
  const out: JournalEntry = {
    id: e.id,
    time: new Date(e.timeMs).toISOString(),
    method: e.method,
    path: e.path,
    query: Object.assign(Object.create(null) as Record<string, unknown>, e.query),
    domain: e.domain,
    status: e.status,
    duration_ms: e.duration_ms,
    request,
    response: { status: e.responseStatus, headers: pickHeaders(e.responseHeaders, RESPONSE_HEADERS), body: decodeBody(e.payload, e.contentType, e.responseTruncated) },
    reason: e.reason,
    fault: e.fault
  }
  if (e.responseTruncated) out.response.body_truncated = true
  return out
}

function decodeBody (payload: string | Buffer | null, contentType: string | undefined, truncated: boolean): unknown {
  if (payload === null) return null
  const text = typeof payload === 'string' ? payload : payload.toString('utf8')
  if (text === '') return null
  if (!truncated && contentType !== undefined && JSON_TYPE.test(contentType)) {
    try {
      return redactValue(JSON.parse(text))
    } catch {
      return text
    }
  }
  return text
}
