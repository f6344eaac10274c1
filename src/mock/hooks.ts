import { Transform } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { dumps } from '../commcare/json.js'
import { headerSafe } from '../http/reply.js'
import { MockApiError } from '../http/errors.js'
import { MockControl } from './control.js'
import { Faults, parseFaultHeader, type FaultDecision } from './faults.js'
import { DEFAULT_JOURNAL_SIZE, JOURNAL_BODY_LIMIT, Journal, keptPayload, requestHeadersOf, type AppliedFault, type RawEntry } from './journal.js'
import { domainOfPath, isMockPath, pathOf } from './match.js'
import { redactForm, redactQuery, redactValue } from './redact.js'
import { isFormBody } from '../http/body.js'

// Journal and faults hook into every request outside /__mock/. They must be
// registered before the CommCare checks (domain, auth, rate limit), so a fault
// answers before authentication and every answer, 401 and 404 included, is
// journaled.

export interface MockControlOptions {
  adminToken?: string | null
  journalSize?: number
}

interface Trace {
  start: number
  path: string
  domain: string | null
  body: unknown
  bodyTruncated: boolean
  payload: string | Buffer | null
  fault: AppliedFault | null
  recorded: boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Reset, domains, journal and faults of the test-control API. */
    mock: MockControl
  }
  interface FastifyRequest {
    mockTrace: Trace | null
  }
}

/**
 * The headers of an answer as sent. Fastify keeps them in one object, which it
 * hands to Node's writeHead and never changes after the answer; the journal
 * keeps that object (picking its few headers when read). Without it (another
 * Fastify), a copy.
 */
let replyHeadersKey: symbol | null | undefined

function sentHeaders (reply: FastifyReply): Readonly<Record<string, unknown>> {
  if (replyHeadersKey === undefined) {
    replyHeadersKey = Object.getOwnPropertySymbols(reply).find(s => s.description === 'fastify.reply.headers') ?? null
  }
  if (replyHeadersKey !== null && reply.raw.getHeaderNames().length === 0) {
    const headers = (reply as unknown as Record<symbol, unknown>)[replyHeadersKey]
    if (typeof headers === 'object' && headers !== null) return headers as Record<string, unknown>
  }
  return reply.getHeaders() as Record<string, unknown>
}

const NO_HEADERS: Readonly<Record<string, unknown>> = Object.freeze(Object.create(null) as Record<string, unknown>)
const NO_QUERY: Record<string, unknown> = Object.freeze(Object.create(null) as Record<string, unknown>)

function record (journal: Journal, request: FastifyRequest, reply: FastifyReply, trace: Trace, status: number): void {
  trace.recorded = true
  const sent = sentHeaders(reply)
  const type = sent['content-type']
  const contentType = typeof type === 'string' ? type : undefined
  const { kept, truncated } = keptPayload(status === 0 ? null : trace.payload, contentType)
  const reason = sent['x-mock-reason']
  // The request's few headers and its query are copied and redacted now, so an entry never holds a
  // credential; the answer's headers (the mock's own) are kept as sent and picked when read.
  const query = request.url.includes('?') ? request.query as Record<string, unknown> | undefined : undefined
  const raw: RawEntry = {
    method: request.method,
    path: trace.path,
    // Without a query string the query is empty: one shared object instead of one per entry.
    query: query === undefined ? NO_QUERY : redactQuery(query),
    domain: trace.domain,
    status,
    duration_ms: Math.round(reply.elapsedTime * 10) / 10,
    request: {
      headers: requestHeadersOf(request.headers),
      body: trace.body === undefined ? null : trace.body
    },
    response: {
      status,
      // A reset connection sent no answer, so no headers.
      headers: status === 0 ? NO_HEADERS : sent,
      payload: kept,
      contentType
    },
    reason: typeof reason === 'string' ? reason : null,
    fault: trace.fault
  }
  if (trace.bodyTruncated) raw.request.body_truncated = true
  if (truncated) raw.response.body_truncated = true
  journal.record(raw, trace.start)
}

function applied (d: FaultDecision): AppliedFault {
  const out: AppliedFault = { rule: d.source }
  if (d.status !== undefined) out.status = d.status
  if (d.delayMs > 0) out.delay_ms = d.delayMs
  if (d.reset) out.reset_connection = true
  return out
}

/** Sends a faulted answer: empty unless the rule gives a body (a string as text, anything else as JSON). */
function sendFault (reply: FastifyReply, d: FaultDecision): FastifyReply {
  reply.code(d.status!)
  const body = d.body
  if (body === undefined || d.status === 204 || d.status === 304) {
    reply.removeHeader('content-type')
  } else if (typeof body === 'string') {
    reply.type('text/plain; charset=utf-8')
  } else {
    reply.type('application/json')
  }
  if (d.headers !== undefined) reply.headers(d.headers)
  reply.header('x-mock-reason', headerSafe(d.reason))
  if (body === undefined || d.status === 204 || d.status === 304) return reply.send()
  return reply.send(typeof body === 'string' ? body : Buffer.from(dumps(body), 'utf8'))
}

export function registerMockControl (app: FastifyInstance, options: MockControlOptions): MockControl {
  const journal = new Journal(options.journalSize ?? DEFAULT_JOURNAL_SIZE)
  const faults = new Faults()
  const control = new MockControl(app.ctx.store, journal, faults, app.ctx.rateLimiter, app.ctx.outbox)
  app.decorate('mock', control)
  app.decorate('mockAdminToken', options.adminToken === undefined || options.adminToken === '' ? null : options.adminToken)
  app.decorateRequest('mockTrace', null)

  // Callback-style on the hot path: a promise only when a fault may apply.
  app.addHook('onRequest', (request, reply, done) => {
    const path = pathOf(request.url)
    // The mock's own pages (all under /__mock/) and the icon a browser asks for beside them: not HQ requests.
    if (isMockPath(path) || path === '/favicon.ico') {
      done()
      return
    }
    const trace: Trace = {
      start: Date.now(),
      path,
      domain: domainOfPath(path),
      body: undefined,
      bodyTruncated: false,
      payload: null,
      fault: null,
      recorded: false
    }
    request.mockTrace = trace
    if (faults.size === 0 && request.headers['x-mock-fault'] === undefined) {
      done()
      return
    }
    return applyFault(request, reply, trace, path)
  })

  async function applyFault (request: FastifyRequest, reply: FastifyReply, trace: Trace, path: string): Promise<FastifyReply | undefined> {
    let decision: FaultDecision | null
    const header = request.headers['x-mock-fault']
    if (header !== undefined) {
      try {
        decision = parseFaultHeader(Array.isArray(header) ? header.join(';') : header)
      } catch (err) {
        const message = (err as MockApiError).message
        return reply.code(400).header('x-mock-reason', headerSafe(message)).send({ error: message })
      }
    } else {
      decision = faults.decide(request.method, path, trace.domain)
    }
    if (decision === null) return
    trace.fault = applied(decision)
    if (decision.delayMs > 0) await sleep(decision.delayMs)
    if (decision.reset) {
      record(journal, request, reply, trace, 0)
      reply.hijack()
      request.raw.socket?.destroy()
      reply.raw.destroy()
      return reply
    }
    if (decision.status !== undefined) return sendFault(reply, decision)
  }

  if (!journal.enabled) return control

  // Callback-style hooks: no promise per request on the hot path.
  app.addHook('preParsing', (request, _reply, payload, done) => {
    const trace = request.mockTrace
    // Fastify holds a body with a Content-Length to that length; one without (chunked) is counted here.
    // Fastify never reads the body of a GET or HEAD, so there is nothing to count.
    if (trace === null || request.headers['content-length'] !== undefined || request.method === 'GET' || request.method === 'HEAD') {
      done(null, payload)
      return
    }
    let bytes = 0
    const counter = new Transform({
      transform (chunk: Buffer, _encoding, next) {
        bytes += chunk.length
        if (bytes > JOURNAL_BODY_LIMIT) trace.bodyTruncated = true
        next(null, chunk)
      }
    })
    payload.on('error', err => counter.destroy(err))
    done(null, payload.pipe(counter))
  })

  app.addHook('preHandler', (request, _reply, done) => {
    const trace = request.mockTrace
    if (trace !== null && request.body !== undefined) {
      // A copy, with secrets replaced, of bodies up to the journal's limit; larger ones are not kept.
      // A chunked body has no Content-Length: its bytes were counted as they were read (preParsing).
      const length = Number(request.headers['content-length'] ?? 0)
      if (length > JOURNAL_BODY_LIMIT || trace.bodyTruncated) trace.bodyTruncated = true
      else trace.body = isFormBody(request.body) ? redactForm(request.body) : redactValue(request.body)
    }
    done()
  })

  app.addHook('onSend', (request, _reply, payload, done) => {
    const trace = request.mockTrace
    if (trace !== null) trace.payload = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : null
    done(null, payload)
  })

  app.addHook('onResponse', (request, reply, done) => {
    const trace = request.mockTrace
    if (trace !== null && !trace.recorded) record(journal, request, reply, trace, reply.statusCode)
    done()
  })

  return control
}
