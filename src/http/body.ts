import type { FastifyInstance, FastifyRequest } from 'fastify'
import { HqError, badRequest, serverError } from '../commcare/errors.js'

// Request bodies as tastypie reads them: JSON by Content-Type (parameters after
// ';' ignored), a missing Content-Type treated as JSON, anything else 415.

export const NOT_JSON = 'Request is not valid JSON.'
/** Past this nesting Python's JSON parser gives up (RecursionError), so HQ answers 500. */
export const MAX_DEPTH = 1000

export function parseJsonText (text: string): unknown {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw badRequest(NOT_JSON, 'the request body is not valid JSON')
  }
  if (tooDeep(value)) {
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
  const hq = (req.routeOptions.config as { hq?: { methodNotAllowed?: boolean } }).hq
  return hq?.methodNotAllowed === true
}

export function registerBodyParsers (app: FastifyInstance): void {
  app.removeAllContentTypeParsers()
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
      done(null, parseJsonText(body as string))
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
        done(null, parseJsonText(body as string))
      } catch (err) {
        done(err as Error, undefined)
      }
      return
    }
    done(new HqError(415, { kind: 'canned' }, `Content-Type '${req.headers['content-type']}' is not JSON: HQ's deserializer fails and answers 415`), undefined)
  })
}

/** A write's body must be a JSON object. */
export function requireObject (body: unknown): Record<string, unknown> {
  if (body === undefined) throw badRequest(NOT_JSON, 'the request has no body')
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('The request body must be a JSON object.', `the body is JSON ${body === null ? 'null' : Array.isArray(body) ? 'array' : typeof body}, not an object`)
  }
  return body as Record<string, unknown>
}
