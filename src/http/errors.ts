import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { HqError, badRequest, notFoundEmpty, serverError } from '../commcare/errors.js'
import { DiskError } from '../store/errors.js'
import { NOT_JSON } from './body.js'
import { sendHqError } from './reply.js'

/** Errors of the test-control API (`/__mock/*`): `{"error": message}` with their status. */
export class MockApiError extends Error {
  constructor (readonly status: number, message: string, readonly details?: unknown) {
    super(message)
    this.name = 'MockApiError'
  }
}

/** Turns whatever went wrong into CommCare's answer shapes (BEHAVIOR.md §8). */
export function toHqError (err: unknown): HqError {
  if (err instanceof HqError) return err
  if (err instanceof DiskError) return serverError(`${err.message}; the change was not kept`)
  const e = err as FastifyError
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HqError(413, { kind: 'empty' }, 'the request body is larger than the configured limit')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return badRequest(NOT_JSON, 'the request body is empty or not valid JSON')
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HqError(415, { kind: 'canned' }, 'the Content-Type is not JSON')
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new HqError(400, { kind: 'empty' }, 'the Content-Length does not match the body')
  }
  if (e.statusCode === 400 && e.validation === undefined) return new HqError(400, { kind: 'empty' }, `bad request: ${e.message}`)
  return serverError(`unexpected error in the mock: ${e.message}`)
}

export function registerErrorHandling (app: FastifyInstance): void {
  app.setErrorHandler(async (err, request, reply) => {
    const isMockApi = request.url.startsWith('/__mock')
    if (isMockApi && !(err instanceof HqError)) {
      if (err instanceof MockApiError) {
        return reply.code(err.status).header('x-mock-reason', err.message.slice(0, 300).replace(/[^\x20-\x7e]/g, '?'))
          .send(err.details === undefined ? { error: err.message } : { error: err.message, details: err.details })
      }
      const e = err as FastifyError
      if (e.validation !== undefined) {
        return reply.code(400).send({ error: `invalid request: ${e.message}` })
      }
    }
    const hq = toHqError(err)
    if (hq.status >= 500) request.log.error({ err }, hq.reason)
    return sendHqError(reply, hq)
  })
  app.setNotFoundHandler(async (request, reply) => {
    return sendHqError(reply, notFoundEmpty(`no such route: ${request.method} ${request.url.split('?', 1)[0].slice(0, 200)}`))
  })
}

/**
 * Errors the router raises before any route or hook runs (a URL that does not
 * decode, a path segment past the router's length limit): the same answer
 * shapes as everything else instead of Fastify's own body, which echoes the URL.
 */
export function frameworkErrorHandler (err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const hq = err.code === 'FST_ERR_BAD_URL'
    ? new HqError(400, { kind: 'empty' }, 'the URL path is not valid percent-encoded UTF-8')
    : err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new HqError(414, { kind: 'empty' }, 'a segment of the URL path is too long')
      : toHqError(err)
  sendHqError(reply, hq)
}
