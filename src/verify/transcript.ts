import type { AuthMode, HqResponse } from '../client/hq-client.js'

// A transcript: what a server answered to the probe suite. It holds no
// credential: a request names how it authenticated (`auth`), never with what,
// and `{name}` placeholders stand for the values a run makes itself (the
// throwaway worker's id and username), so a replay can substitute its own.

export const TRANSCRIPT_FORMAT = 'commcare-hq-mock-transcript/1'

/** Response headers kept in a transcript (the ones a client acts on). */
export const KEPT_HEADERS = ['content-type', 'location', 'allow', 'www-authenticate', 'retry-after'] as const

export interface RecordedRequest {
  method: string
  /** Path with `{placeholders}`. */
  path: string
  /** Query string without '?' and without credentials, with `{placeholders}`. */
  query: string
  auth: AuthMode
  /** A JSON body (with `{placeholders}` in strings), or a raw body. */
  json?: unknown
  raw?: { body: string, contentType: string }
}

export interface RecordedResponse {
  status: number
  headers: Partial<Record<typeof KEPT_HEADERS[number], string>>
  /** 'json' (body holds the value), 'text' (body holds the text) or 'empty'. */
  body_kind: 'json' | 'text' | 'empty'
  body: unknown
}

export interface Exchange {
  /** A short, unique name of the probe. */
  name: string
  /** The BEHAVIOR.md section the answer is specified by, e.g. '§7'. */
  rule: string
  request: RecordedRequest
  response: RecordedResponse
  /** The placeholder this answer's new object id fills (a create). */
  captures?: string
}

export interface Transcript {
  format: typeof TRANSCRIPT_FORMAT
  tool: string
  recorded_at: string
  /** The base URL recorded from (no credentials). */
  target: string
  domain: string
  username: string
  writes: boolean
  /** The values placeholders had in this recording. */
  vars: Record<string, string>
  exchanges: Exchange[]
}

export function recordResponse (res: HqResponse): RecordedResponse {
  const headers: RecordedResponse['headers'] = {}
  for (const h of KEPT_HEADERS) if (res.headers[h] !== undefined) headers[h] = res.headers[h]
  if (res.text === '') return { status: res.status, headers, body_kind: 'empty', body: null }
  if (res.json !== undefined) return { status: res.status, headers, body_kind: 'json', body: res.json }
  return { status: res.status, headers, body_kind: 'text', body: res.text }
}

/** Substitutes `{name}` placeholders in every string of a value. */
export function fill<T> (value: T, vars: Record<string, string>): T {
  if (typeof value === 'string') return value.replace(/\{([a-z_]+)\}/g, (m, k: string) => vars[k] ?? m) as T
  if (Array.isArray(value)) return value.map(v => fill(v, vars)) as T
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, vars)])) as T
  }
  return value
}

/** Checks a parsed file is a transcript; returns the problem, or null. */
export function transcriptProblem (value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'it is not a JSON object'
  const t = value as Partial<Transcript>
  if (t.format !== TRANSCRIPT_FORMAT) return `its format is not '${TRANSCRIPT_FORMAT}'`
  if (typeof t.domain !== 'string' || typeof t.username !== 'string') return 'it names no domain or username'
  if (!Array.isArray(t.exchanges)) return 'it has no exchanges'
  for (const [i, e] of t.exchanges.entries()) {
    if (typeof e?.name !== 'string' || typeof e.request?.method !== 'string' || typeof e.request.path !== 'string' || typeof e.response?.status !== 'number') {
      return `exchange ${i + 1} is incomplete`
    }
  }
  return null
}
