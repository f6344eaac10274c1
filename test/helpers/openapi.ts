import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import { parse } from 'yaml'
import type { FastifyInstance } from 'fastify'

// Checks answers against openapi.yaml: the status must be documented for the
// route, the documented headers present, the content type one of the
// documented ones (or no body where none is documented) and the body valid
// against its schema. build() runs it on every answer of the test suite.

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const SPEC_FILE = ROOT + 'openapi.yaml'

type Json = Record<string, any>
export interface Spec { doc: Json, ajv: Ajv2020, pointers: Map<object, string> }

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']

let cached: Spec | undefined

export function loadSpec (): Spec {
  if (cached !== undefined) return cached
  const doc = parse(readFileSync(SPEC_FILE, 'utf8')) as Json
  // OpenAPI 3.1 schemas are JSON Schema 2020-12.
  // verbose: errors carry the schema object that failed, which `pointers` maps back to its place in openapi.yaml.
  const ajv = new Ajv2020({ allErrors: true, allowUnionTypes: true, strictTypes: false, verbose: true })
  // `example` is OpenAPI's own annotation; the document's top-level keys are not schema keywords.
  ajv.addVocabulary(['example', ...Object.keys(doc).filter(k => !['$id', '$schema', '$defs'].includes(k))])
  ajv.addSchema(doc, 'openapi.yaml')
  const pointers = new Map<object, string>()
  const walk = (node: unknown, pointer: string): void => {
    if (typeof node !== 'object' || node === null || pointers.has(node)) return
    pointers.set(node, pointer)
    for (const [k, v] of Object.entries(node)) walk(v, `${pointer}/${esc(k)}`)
  }
  walk(doc, '#')
  cached = { doc, ajv, pointers }
  return cached
}

/** JSON pointer escaping (RFC 6901). */
export function esc (segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1')
}

function at (doc: Json, pointer: string): any {
  let node: any = doc
  for (const raw of pointer.replace(/^#\//, '').split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    node = node?.[key]
  }
  return node
}

/** Follows a local `$ref` chain; answers the object and its pointer. */
function deref (doc: Json, node: any, pointer: string): { node: any, pointer: string } {
  while (node !== undefined && typeof node.$ref === 'string' && node.$ref.startsWith('#/')) {
    pointer = node.$ref
    node = at(doc, pointer)
  }
  return { node, pointer }
}

/** Fastify's `/a/:domain/x/` → OpenAPI's `/a/{domain}/x/`. */
export function toSpecPath (url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')
}

/** A path with its parameter names dropped, so `{id}` and `{user_id}` compare equal. */
export function pathShape (path: string): string {
  return path.replace(/\{[^}]+\}/g, '{}')
}

export function findPath (doc: Json, specPath: string): string | undefined {
  if (doc.paths[specPath] !== undefined) return specPath
  return Object.keys(doc.paths).find(p => pathShape(p) === pathShape(specPath))
}

/** Every (METHOD, path) the spec documents. */
export function specOperations (doc: Json = loadSpec().doc): Array<{ method: string, path: string }> {
  const out: Array<{ method: string, path: string }> = []
  for (const [path, item] of Object.entries(doc.paths as Json)) {
    for (const m of METHODS) if ((item as Json)[m] !== undefined) out.push({ method: m.toUpperCase(), path })
  }
  return out
}

const validators = new Map<string, ValidateFunction>()

function validatorFor (spec: Spec, pointer: string): ValidateFunction {
  let v = validators.get(pointer)
  if (v === undefined) {
    v = spec.ajv.compile({ $ref: 'openapi.yaml' + pointer })
    validators.set(pointer, v)
  }
  return v
}

export interface Answer {
  method: string
  /** The Fastify route pattern, or undefined when no route matched. */
  route: string | undefined
  /** Set for the 405 / OPTIONS catch-all of a CommCare resource. */
  methodNotAllowed?: boolean
  status: number
  headers: Record<string, string | string[] | number | undefined>
  /** The raw body; `stream` when it cannot be read here. */
  body: string | Buffer | null | undefined | 'stream'
}

function header (headers: Answer['headers'], name: string): string | undefined {
  const key = Object.keys(headers).find(k => k.toLowerCase() === name.toLowerCase())
  const v = key === undefined ? undefined : headers[key]
  return v === undefined ? undefined : Array.isArray(v) ? v.join(', ') : String(v)
}

/** What is wrong with an answer according to openapi.yaml; empty when it conforms. */
export function checkAnswer (a: Answer, spec: Spec = loadSpec()): string[] {
  const { doc } = spec
  const bodyText = a.body === 'stream' ? null : a.body == null ? '' : a.body.toString()
  const isEmpty = a.body !== 'stream' && bodyText === ''
  if (a.route === undefined) {
    // No route: BEHAVIOR.md §8, an unknown route is a 404 with an empty body.
    const problems: string[] = []
    if (a.status !== 404) problems.push(`${a.method} (no route) answered ${a.status}; an unknown route must answer 404`)
    if (!isEmpty) problems.push(`${a.method} (no route) → ${a.status}: the body must be empty`)
    return problems
  }
  const specPath = findPath(doc, toSpecPath(a.route))
  const label = `${a.method} ${specPath ?? toSpecPath(a.route)} → ${a.status}`
  if (specPath === undefined) return [`${label}: the route ${toSpecPath(a.route)} is not in openapi.yaml`]

  let responsePointer: string
  let response: any
  if (a.status === 301) {
    // A URL without its trailing slash, any method: documented once, as components/responses/MovedPermanently.
    responsePointer = '#/components/responses/MovedPermanently'
    response = at(doc, responsePointer)
  } else if (a.methodNotAllowed === true && a.method !== 'OPTIONS') {
    responsePointer = '#/components/responses/MethodNotAllowed'
    response = at(doc, responsePointer)
    if (a.status !== 405) return [`${label}: the method-not-allowed route must answer 405`]
  } else {
    const m = a.method.toLowerCase()
    const op = doc.paths[specPath][m]
    if (op === undefined) return [`${label}: ${a.method} is not documented for ${specPath} in openapi.yaml`]
    const responses = op.responses as Json
    const key = [String(a.status), `${String(a.status)[0]}XX`, 'default'].find(k => responses[k] !== undefined)
    if (key === undefined) {
      return [`${label}: status ${a.status} is not documented in openapi.yaml (#/paths/${esc(specPath)}/${m}/responses has ${Object.keys(responses).join(', ')})`]
    }
    ;({ node: response, pointer: responsePointer } = deref(doc, responses[key], `#/paths/${esc(specPath)}/${m}/responses/${key}`))
  }

  const problems: string[] = []
  for (const [name, h] of Object.entries((response.headers ?? {}) as Json)) {
    const { node: hd, pointer: hp } = deref(doc, h, `${responsePointer}/headers/${esc(name)}`)
    const value = header(a.headers, name)
    if (value === undefined) {
      if (hd.required === true) problems.push(`${label}: header ${name} is missing (required by ${hp})`)
      continue
    }
    if (hd.schema !== undefined) {
      const v = validatorFor(spec, `${hp}/schema`)
      if (!v(value)) problems.push(`${label}: header ${name}: ${JSON.stringify(value)} ${describe(spec, v, `${hp}/schema`)}`)
    }
  }

  if (a.method === 'HEAD' || a.body === 'stream') return problems
  const contentType = header(a.headers, 'content-type')
  const content = response.content as Json | undefined
  if (content === undefined) {
    if (!isEmpty) problems.push(`${label}: ${responsePointer} documents no body, but the answer has ${bodyText!.length} bytes (${contentType ?? 'no content type'}): ${bodyText!.slice(0, 120)}`)
    else if (contentType !== undefined) problems.push(`${label}: an empty body must carry no Content-Type (got ${contentType})`)
    return problems
  }
  if (isEmpty) {
    if (response['x-mock-empty-body'] !== true) problems.push(`${label}: the body is empty, but ${responsePointer} documents ${Object.keys(content).join(', ')}`)
    return problems
  }
  const essence = (contentType ?? '').split(';')[0].trim().toLowerCase()
  const mediaKey = Object.keys(content).find(k => k.toLowerCase() === essence)
  if (mediaKey === undefined) {
    problems.push(`${label}: Content-Type ${contentType ?? '(none)'} is not one of ${Object.keys(content).join(', ')} (${responsePointer}/content)`)
    return problems
  }
  const media = content[mediaKey]
  if (media.schema === undefined) return problems
  let value: unknown = bodyText
  if (/[/+]json$/.test(essence)) {
    try {
      value = JSON.parse(bodyText!)
    } catch {
      problems.push(`${label}: the body is not JSON although the Content-Type is ${contentType}: ${bodyText!.slice(0, 120)}`)
      return problems
    }
  }
  const schemaPointer = `${responsePointer}/content/${esc(mediaKey)}/schema`
  const v = validatorFor(spec, schemaPointer)
  if (!v(value)) problems.push(`${label}: the body does not match openapi.yaml: ${describe(spec, v, schemaPointer)}`)
  return problems
}

/** Ajv's errors as one line each: where in the body, what, and the schema path in openapi.yaml. */
function describe (spec: Spec, v: ValidateFunction, pointer: string): string {
  return (v.errors ?? []).slice(0, 5).map(e => {
    const where = e.instancePath === '' ? 'body' : `body${e.instancePath}`
    const extra = e.keyword === 'additionalProperties'
      ? ` '${(e.params as { additionalProperty: string }).additionalProperty}'`
      : e.keyword === 'const' || e.keyword === 'enum' ? ` ${JSON.stringify(e.params)}` : ''
    const owner = e.parentSchema === undefined ? undefined : spec.pointers.get(e.parentSchema)
    const schemaPath = owner !== undefined ? `${owner}/${e.keyword}` : `${pointer} ${e.schemaPath}`
    return `${where} ${e.message ?? e.keyword}${extra} (schema path ${schemaPath})`
  }).join('; ')
}

/**
 * Adds an onSend hook that checks every answer of `app` against openapi.yaml
 * and hands each problem to `report` (build() passes `t.fail`).
 */
export function checkResponses (app: FastifyInstance, report: (problem: string) => void): void {
  const spec = loadSpec()
  app.addHook('onSend', async (request, reply, payload) => {
    try {
      // An injected fault replaces the answer with whatever the test asked for.
      const fault = (request as { mockTrace?: { fault: { status?: number, reset_connection?: boolean } | null } | null }).mockTrace?.fault
      if (fault != null && (fault.status !== undefined || fault.reset_connection === true)) return payload
      const config = request.routeOptions.config as { hq?: { methodNotAllowed?: boolean } } | undefined
      const body = payload === null || payload === undefined || typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : 'stream'
      const problems = checkAnswer({
        method: request.method,
        route: request.routeOptions.url,
        methodNotAllowed: config?.hq?.methodNotAllowed === true,
        status: reply.statusCode,
        headers: reply.getHeaders() as Answer['headers'],
        body
      }, spec)
      for (const p of problems) report(p)
    } catch (err) {
      report(`openapi.yaml response check crashed on ${request.method} ${request.url}: ${(err as Error).stack ?? String(err)}`)
    }
    return payload
  })
}
