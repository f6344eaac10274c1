import type { RecordedResponse } from './transcript.js'

// Answer-by-answer comparison: status, content type, the headers a client acts
// on, and the body's key sets and order, value types, values and error
// messages. Values that differ between any two runs (the throwaway worker's id
// and username, the server's own base URL, timestamps, Digest nonces) are
// normalized on each side first.

export const RULE_TITLES: Record<string, string> = {
  '§1': 'Routes',
  '§2': 'Authentication and permission',
  '§3': 'The mobile worker object',
  '§4': 'PUT — edit a mobile worker',
  '§5': 'POST — create a mobile worker',
  '§6': 'DELETE, activate, deactivate, password reset',
  '§7': 'List',
  '§8': 'Error bodies',
  '§9.1': 'Groups',
  '§9.2': 'Locations, v0.5 shape',
  '§9.3': 'Locations, v2 shape',
  '§9.5': 'Location types',
  '§9.6': 'Identity',
  '§9.7': 'user_domains',
  '§10': 'Rate limiting',
  '§11': 'Web users',
  '§13': 'Bulk user search'
}

export function ruleName (section: string): string {
  const title = RULE_TITLES[section]
  return title === undefined ? `BEHAVIOR.md ${section}` : `BEHAVIOR.md ${section} (${title})`
}

export type Aspect = 'status' | 'content-type' | 'header' | 'body' | 'keys' | 'key order' | 'type' | 'length' | 'value' | 'message' | 'paging'

export interface Drift {
  aspect: Aspect
  /** Where in the answer: a header name, or a JSON path such as `objects[0].role`. */
  where: string
  /** The BEHAVIOR.md section, e.g. '§7'. */
  rule: string
  recorded: unknown
  mock: unknown
  /** For key drift: which keys only one side has. */
  detail?: string
}

/** What is normalized on one side of the comparison. */
export interface Side {
  /** The server's base URL (origin and any path prefix), replaced by `<base>`. */
  base: string
  /** Values of the run's own objects, replaced by `<name>`. */
  vars: Record<string, string>
}

const TIMESTAMP = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:?\d\d)?$/

function normString (s: string, side: Side): string {
  let out = s
  if (side.base !== '') out = out.split(side.base).join('<base>')
  for (const [k, v] of Object.entries(side.vars)) if (v !== '') out = out.split(v).join(`<${k}>`)
  const m = TIMESTAMP.exec(out)
  if (m !== null) out = `<timestamp${m[3] === undefined ? '' : '.micro'}${m[4] === undefined ? '' : ' tz'}>`
  return out
}

export function normalize (value: unknown, side: Side): unknown {
  if (typeof value === 'string') return normString(value, side)
  if (Array.isArray(value)) return value.map(v => normalize(v, side))
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v, side)]))
  }
  return value
}

function normHeader (name: string, value: string | undefined, side: Side): string | undefined {
  if (value === undefined) return undefined
  if (name === 'content-type') return value.toLowerCase().replace(/\s+/g, '')
  if (name === 'www-authenticate') return value.replace(/\b(nonce|opaque)="[^"]*"/g, '$1="<$1>"')
  if (name === 'allow') return value.split(',').map(m => m.trim().toUpperCase()).filter(m => m !== '').join(', ')
  return normString(value, side)
}

function kind (v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  return typeof v
}

const MESSAGE_KEYS = new Set(['error', 'error_message', 'errors'])

function compareValue (a: unknown, b: unknown, path: string, rule: string, out: Drift[], inMessage: boolean): void {
  if (out.length >= 50) return
  const ka = kind(a)
  const kb = kind(b)
  if (ka !== kb) {
    out.push({ aspect: 'type', where: path || '(body)', rule, recorded: ka, mock: kb })
    return
  }
  if (ka === 'object') {
    const oa = a as Record<string, unknown>
    const ob = b as Record<string, unknown>
    const keysA = Object.keys(oa)
    const keysB = Object.keys(ob)
    const missing = keysA.filter(k => !(k in ob))
    const extra = keysB.filter(k => !(k in oa))
    if (missing.length > 0 || extra.length > 0) {
      const detail = [missing.length > 0 ? `only the target has ${missing.join(', ')}` : '', extra.length > 0 ? `only the mock has ${extra.join(', ')}` : ''].filter(x => x !== '').join('; ')
      out.push({ aspect: 'keys', where: path || '(body)', rule, recorded: keysA, mock: keysB, detail })
    } else if (keysA.join('\n') !== keysB.join('\n')) {
      out.push({ aspect: 'key order', where: path || '(body)', rule, recorded: keysA, mock: keysB })
    }
    for (const k of keysA) {
      if (k in ob) compareValue(oa[k], ob[k], path === '' ? k : `${path}.${k}`, rule, out, inMessage || (path === '' && MESSAGE_KEYS.has(k)))
    }
    return
  }
  if (ka === 'array') {
    const la = a as unknown[]
    const lb = b as unknown[]
    if (la.length !== lb.length) out.push({ aspect: 'length', where: path || '(body)', rule, recorded: la.length, mock: lb.length })
    for (let i = 0; i < Math.min(la.length, lb.length); i++) compareValue(la[i], lb[i], `${path}[${i}]`, rule, out, inMessage)
    return
  }
  if (a !== b) {
    const aspect: Aspect = inMessage ? 'message' : path.startsWith('meta.') ? 'paging' : 'value'
    out.push({ aspect, where: path || '(body)', rule, recorded: a, mock: b })
  }
}

/** Every difference between a recorded answer and the mock's answer to the same request. */
export function compareResponses (recorded: RecordedResponse, mock: RecordedResponse, rule: string, sides: { recorded: Side, mock: Side }): Drift[] {
  const out: Drift[] = []
  if (recorded.status !== mock.status) out.push({ aspect: 'status', where: 'status', rule, recorded: recorded.status, mock: mock.status })
  const errorRule = recorded.status >= 400 || mock.status >= 400 ? '§8' : rule
  const headerRules: Record<string, string> = { 'content-type': errorRule, location: recorded.status === 301 || mock.status === 301 ? '§1' : rule, allow: '§1', 'www-authenticate': '§2' }
  for (const h of ['content-type', 'location', 'allow', 'www-authenticate'] as const) {
    const a = normHeader(h, recorded.headers[h], sides.recorded)
    const b = normHeader(h, mock.headers[h], sides.mock)
    if (a !== b) out.push({ aspect: h === 'content-type' ? 'content-type' : 'header', where: h, rule: headerRules[h], recorded: a ?? null, mock: b ?? null })
  }
  if (recorded.body_kind !== mock.body_kind) {
    out.push({ aspect: 'body', where: '(body)', rule: errorRule === '§8' ? '§8' : rule, recorded: describeBody(recorded), mock: describeBody(mock) })
    return out
  }
  if (recorded.body_kind === 'empty') return out
  const a = normalize(recorded.body, sides.recorded)
  const b = normalize(mock.body, sides.mock)
  if (recorded.body_kind === 'text') {
    if (a !== b) out.push({ aspect: recorded.status >= 400 ? 'message' : 'value', where: '(body)', rule, recorded: a, mock: b })
    return out
  }
  compareValue(a, b, '', rule, out, false)
  return out
}

function describeBody (r: RecordedResponse): string {
  if (r.body_kind === 'empty') return 'an empty body'
  if (r.body_kind === 'text') return `text: ${String(r.body).slice(0, 200)}`
  return `JSON: ${JSON.stringify(r.body).slice(0, 200)}`
}
