import type { FastifyInstance, FastifyRequest } from 'fastify'
import { HqError, badRequest, serverError } from '../commcare/errors.js'

// Request bodies as tastypie reads them: JSON by Content-Type (parameters after
// ';' ignored), a missing Content-Type treated as JSON, anything else 415.

export const NOT_JSON = 'Request is not valid JSON.'
/** Past this nesting Python's JSON parser gives up (RecursionError), so HQ answers 500. */
export const MAX_DEPTH = 1000

export function parseJsonText (text: string, testControl = false): unknown {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw badRequest(NOT_JSON, 'the request body is not valid JSON')
  }
  if (tooDeep(value)) {
    // The test-control API is the mock's own: there a body it cannot take is a 400 in its shape, not HQ's 500.
    if (testControl) throw new HqError(400, { kind: 'error', message: 'too deep' }, `the JSON body nests deeper than ${MAX_DEPTH} levels`)
    throw serverError(`the JSON body nests deeper than ${MAX_DEPTH} levels: HQ's parser raises RecursionError and answers 500`)
  }
  return value
}

function tooDeep (root: unknown): boolean {
  if (typeof root !== 'object' || root === null) return false
  const stack: Array<[unknown, number]> = [[root, 1]]
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!
    if (depth > MAX_DEPTH) return true
    const children = Array.isArray(v) ? v : Object.values(v as object)
    for (const c of children) if (typeof c === 'object' && c !== null) stack.push([c, depth + 1])
  }
  return false
}

/**
 * HQ reads a body only in the handlers that use one: a method it answers with
 * 405, or a DELETE, gets its answer whatever the body holds.
 */
function ignoresBody (req: FastifyRequest): boolean {
  if (req.method === 'DELETE') return true
  const hq = hqRoute(req)
  return hq?.methodNotAllowed === true
}

function hqRoute (req: FastifyRequest): { methodNotAllowed?: boolean } | undefined {
  return (req.routeOptions.config as { hq?: { methodNotAllowed?: boolean } }).hq
}

const FORM_BODIES = new WeakSet<object>()
const FORM_TYPE = /^application\/x-www-form-urlencoded(\s*;.*)?$/i

/** Whether a request says its body is form-encoded (where HQ also reads `username` and `api_key`). */
export function isFormRequest (contentType: string | undefined): boolean {
  return contentType !== undefined && FORM_TYPE.test(contentType)
}

/**
 * A form-encoded body of a CommCare route: its fields (the last value of a
 * repeated one), kept only so authentication can read `username` and
 * `api_key` [R2 §C.4]. A handler that reads the body gets 415 (`requireObject`).
 */
export function parseFormBody (text: string): Record<string, string> {
  const fields: Record<string, string> = Object.create(null)
  for (const [k, v] of new URLSearchParams(text)) fields[k] = v
  FORM_BODIES.add(fields)
  return fields
}

export function isFormBody (body: unknown): body is Record<string, string> {
  return typeof body === 'object' && body !== null && FORM_BODIES.has(body)
}

export function registerBodyParsers (app: FastifyInstance): void {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(FORM_TYPE, { parseAs: 'string' }, (req, body, done) => {
    const hq = hqRoute(req)
    // Any method, DELETE included, may carry its credentials in a form; other routes never read one.
    if (hq !== undefined && hq.methodNotAllowed !== true) {
      done(null, parseFormBody(body as string))
      return
    }
    if (ignoresBody(req)) {
      done(null, undefined)
      return
    }
    done(unsupportedType(req), undefined)
  })
  app.addContentTypeParser(/^application\/json(\s*;.*)?$/i, { parseAs: 'string' }, (req, body, done) => {
    if (ignoresBody(req)) {
      done(null, undefined)
      return
    }
    // No body is not an error here: DELETE and activate never read one (HQ does not
    // either), and the handlers that need one answer "not valid JSON" themselves.
    if (body === '') {
      done(null, undefined)
      return
    }
    try {
      done(null, parseJsonText(body as string, req.url.startsWith('/__mock')))
    } catch (err) {
      done(err as Error, undefined)
    }
  })
  app.addContentTypeParser('*', { parseAs: 'string' }, (req: FastifyRequest, body, done) => {
    if (ignoresBody(req)) {
      done(null, undefined)
      return
    }
    const type = req.headers['content-type']
    if (type === undefined || type.trim() === '') {
      if (body === '') {
        done(null, undefined)
        return
      }
      try {
        done(null, parseJsonText(body as string, req.url.startsWith('/__mock')))
      } catch (err) {
        done(err as Error, undefined)
      }
      return
    }
    done(unsupportedType(req), undefined)
  })
}

function unsupportedType (req: FastifyRequest): HqError {
  return new HqError(415, { kind: 'canned' }, `Content-Type '${req.headers['content-type']}' is not JSON: HQ's deserializer fails and answers 415`)
}

/** A write's body must be a JSON object. */
export function requireObject (body: unknown): Record<string, unknown> {
  if (body === undefined) throw badRequest(NOT_JSON, 'the request has no body')
  if (isFormBody(body)) {
    throw new HqError(415, { kind: 'canned' }, 'the body is form-encoded: HQ reads credentials from a form, but tastypie has no form deserializer and answers 415')
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('The request body must be a JSON object.', `the body is JSON ${body === null ? 'null' : Array.isArray(body) ? 'array' : typeof body}, not an object`)
  }
  return body as Record<string, unknown>
}
