import type { FastifyReply } from 'fastify'
import { CANNED_500, escapeHtml, type HqError } from '../commcare/errors.js'
import { dumps } from '../commcare/json.js'

export const JSON_UTF8 = 'application/json; charset=utf-8'

// HQ's CorsResourceMixin adds these to every answer built by create_response.
const CORS: Record<string, string> = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'Content-Type, Authorization'
}

/** A CommCare success answer: HQ's JSON format and content type, with CORS headers. */
export function sendHq (reply: FastifyReply, status: number, body: unknown): FastifyReply {
  const json = dumps(body)
  // Node writes the head together with a string body in the body's encoding, which
  // would re-encode the UTF-8 bytes of `X-Mock-Email`; a Buffer body keeps the head latin1.
  return reply.code(status).headers(CORS).type(JSON_UTF8).send(reply.hasHeader('x-mock-email') ? Buffer.from(json, 'utf8') : json)
}

/** The same, for a body already serialized in HQ's format. */
export function sendHqJson (reply: FastifyReply, status: number, json: string): FastifyReply {
  return reply.code(status)
    .header('access-control-allow-origin', '*')
    .header('access-control-allow-headers', 'Content-Type, Authorization')
    .type(JSON_UTF8).send(json)
}

/** Header values must stay on one line of printable ASCII. */
export function headerSafe (text: string, max = 500): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?')
  return clean.length > max ? clean.slice(0, max - 3) + '...' : clean
}

/** An HQ-shaped error: status, body kind, extra headers and `X-Mock-Reason`. */
export function sendHqError (reply: FastifyReply, err: HqError): FastifyReply {
  reply.code(err.status).headers(err.headers).header('x-mock-reason', headerSafe(err.reason))
  const body = err.body
  switch (body.kind) {
    case 'empty':
      return reply.removeHeader('content-type').send()
    case 'error':
      return sendBareJson(reply, { error: escapeHtml(body.message) })
    case 'error-raw':
      return sendBareJson(reply, { error: body.message })
    case 'canned':
      return sendBareJson(reply, { error_message: CANNED_500 })
    case 'error_message':
      return sendBareJson(reply, { error_message: body.message })
    case 'text':
      return reply.type(body.contentType).send(body.text)
    case 'errors':
      return sendBareJson(reply, { errors: body.messages })
  }
}

/** tastypie's error answers say `application/json` without a charset; a Buffer keeps Fastify from adding one. */
function sendBareJson (reply: FastifyReply, body: unknown): FastifyReply {
  return reply.header('content-type', 'application/json').send(Buffer.from(dumps(body), 'utf8'))
}
