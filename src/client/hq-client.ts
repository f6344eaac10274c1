// One small HTTP client of CommCare HQ's API, shared by `import`, `record` and
// `verify` (and usable by integrators): Node's own fetch, explicit
// credentials, a timeout on every request, back-off on 429, and errors that
// say in one sentence what went wrong instead of a stack trace.

export type Credentials =
  | { kind: 'api-key', username: string, apiKey: string }
  | { kind: 'password', username: string, password: string }

/** How one request authenticates: the caller's own credentials, none, or a deliberately bad form. */
export type AuthMode = 'caller' | 'none' | 'wrong-key' | 'no-colon' | 'basic-wrong' | 'query-key'

export interface HqClientOptions {
  /** The target's base URL, e.g. https://www.commcarehq.org; never guessed. */
  baseUrl: string
  credentials: Credentials
  /** Milliseconds before one request is given up (default 30 000). */
  timeoutMs?: number
  /** Attempts on 429 before giving up (default 6); waits Retry-After, else 1, 2, 4 … s. */
  maxAttempts?: number
  /** Where progress and back-off notes go (default: nowhere). */
  log?: (line: string) => void
  /** Waits `ms`; replaceable in tests. */
  sleep?: (ms: number) => Promise<void>
}

export interface HqRequest {
  method: string
  /** Path below the base URL, starting with '/'. */
  path: string
  /** The query string without '?', credentials never included. */
  query?: string
  auth?: AuthMode
  /** A JSON value (sent as application/json), or a raw body with its content type. */
  json?: unknown
  raw?: { body: string, contentType: string }
  /** Give up on the first 429 instead of backing off. */
  noRetry?: boolean
}

export interface HqResponse {
  status: number
  headers: Record<string, string>
  text: string
  /** The body parsed as JSON, or undefined when it is empty or not JSON. */
  json: unknown
}

export type HqClientErrorKind = 'network' | 'timeout' | 'unauthorized' | 'forbidden' | 'rate-limited' | 'http' | 'bad-answer' | 'interrupted'

/** A failure worth one sentence to the user; `message` never holds a credential. */
export class HqClientError extends Error {
  constructor (readonly kind: HqClientErrorKind, message: string, readonly status?: number) {
    super(message)
  }
}

const WRONG_KEY = 'hq-mock-verify-not-a-key'
const WRONG_PASSWORD = 'hq-mock-verify-not-a-password'

export class HqClient {
  readonly baseUrl: string
  readonly username: string
  private readonly credentials: Credentials
  private readonly timeoutMs: number
  private readonly maxAttempts: number
  private readonly log: (line: string) => void
  private readonly sleep: (ms: number) => Promise<void>

  constructor (options: HqClientOptions) {
    let url: URL
    try {
      url = new URL(options.baseUrl)
    } catch {
      throw new HqClientError('bad-answer', `'${options.baseUrl}' is not a URL (give the server's base, e.g. https://www.commcarehq.org)`)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new HqClientError('bad-answer', `'${options.baseUrl}' is not an http(s) URL`)
    if (url.username !== '' || url.password !== '') throw new HqClientError('bad-answer', 'put no credentials in the URL; use --username with --api-key or --password-env')
    this.baseUrl = url.origin + url.pathname.replace(/\/+$/, '')
    this.credentials = options.credentials
    this.username = options.credentials.username
    this.timeoutMs = options.timeoutMs ?? 30_000
    this.maxAttempts = options.maxAttempts ?? 6
    this.log = options.log ?? (() => {})
    this.sleep = options.sleep ?? (ms => new Promise(resolve => setTimeout(resolve, ms)))
  }

  /** Whether the caller's credentials are an API key (the query-string form needs one). */
  get hasApiKey (): boolean {
    return this.credentials.kind === 'api-key'
  }

  private authorization (mode: AuthMode): string | null {
    const c = this.credentials
    switch (mode) {
      case 'none':
      case 'query-key':
        return null
      case 'wrong-key':
        return `ApiKey ${c.username}:${WRONG_KEY}`
      case 'no-colon':
        return `ApiKey ${c.username}`
      case 'basic-wrong':
        return 'Basic ' + Buffer.from(`${c.username}:${WRONG_PASSWORD}`).toString('base64')
      case 'caller':
        return c.kind === 'api-key'
          ? `ApiKey ${c.username}:${c.apiKey}`
          : 'Basic ' + Buffer.from(`${c.username}:${c.password}`).toString('base64')
    }
  }

  /** The full URL of a request, with credentials in the query only for 'query-key'. */
  private url (req: HqRequest): string {
    const params = new URLSearchParams(req.query ?? '')
    if (req.auth === 'query-key' && this.credentials.kind === 'api-key') {
      params.append('username', this.credentials.username)
      params.append('api_key', this.credentials.apiKey)
    }
    const q = req.auth === 'query-key' ? params.toString() : (req.query ?? '')
    return this.baseUrl + req.path + (q === '' ? '' : `?${q}`)
  }

  /**
   * Sends one request and returns whatever the server answered (any status).
   * Redirects are not followed: a 301 is an answer to look at. Throws
   * HqClientError only when there is no answer (network, timeout) or when a
   * 429 persists after the back-off.
   */
  async send (req: HqRequest): Promise<HqResponse> {
    const headers: Record<string, string> = { accept: 'application/json' }
    const auth = this.authorization(req.auth ?? 'caller')
    if (auth !== null) headers.authorization = auth
    let body: string | undefined
    if (req.json !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(req.json)
    } else if (req.raw !== undefined) {
      headers['content-type'] = req.raw.contentType
      body = req.raw.body
    }
    const where = `${req.method} ${req.path}`
    for (let attempt = 1; ; attempt++) {
      let res: Response
      try {
        res = await fetch(this.url(req), { method: req.method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(this.timeoutMs) })
      } catch (err) {
        throw this.networkError(err, where)
      }
      let text: string
      try {
        text = await res.text()
      } catch (err) {
        throw this.networkError(err, where)
      }
      if (res.status === 429 && !(req.noRetry ?? false)) {
        if (attempt >= this.maxAttempts) {
          throw new HqClientError('rate-limited', `${this.baseUrl} kept answering 429 (rate limited) to ${where} after ${attempt} attempts; wait a minute and run again`, 429)
        }
        const retryAfter = Number(res.headers.get('retry-after'))
        const wait = Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 120) * 1000 : 1000 * 2 ** (attempt - 1)
        this.log(`rate limited (429) on ${where}; waiting ${Math.round(wait / 1000)} s before trying again (attempt ${attempt + 1} of ${this.maxAttempts})`)
        await this.sleep(wait)
        continue
      }
      const out: Record<string, string> = {}
      res.headers.forEach((v, k) => { out[k] = v })
      let json: unknown
      if (text !== '') {
        try {
          json = JSON.parse(text)
        } catch {
          json = undefined
        }
      }
      return { status: res.status, headers: out, text, json }
    }
  }

  private networkError (err: unknown, where: string): HqClientError {
    const e = err as Error & { cause?: { code?: string, message?: string } }
    if (e.name === 'TimeoutError' || e.name === 'AbortError') {
      return new HqClientError('timeout', `${this.baseUrl} did not answer ${where} within ${Math.round(this.timeoutMs / 1000)} s (timeout; raise it with --timeout)`)
    }
    const code = e.cause?.code
    const why = code === 'ECONNREFUSED'
      ? 'connection refused (is the server running, and is the port right?)'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'the host name does not resolve'
        : code === 'ECONNRESET' || code === 'UND_ERR_SOCKET'
          ? 'the connection was closed before an answer came'
          : (e.cause?.message ?? e.message)
    return new HqClientError('network', `cannot reach ${this.baseUrl} (${where}): ${why}`)
  }

  /**
   * GET a JSON answer that must succeed. 401 and 403 become errors that say
   * which credentials were refused; other non-2xx answers name their status.
   */
  async getJson (path: string, query = ''): Promise<unknown> {
    const res = await this.send({ method: 'GET', path, query })
    if (res.status === 401) {
      throw new HqClientError('unauthorized', `${this.baseUrl} refused the credentials of '${this.username}' (401): check --username and the API key or password (a key scoped to another project space is refused too)`, 401)
    }
    if (res.status === 403) {
      throw new HqClientError('forbidden', `${this.baseUrl} answered 403 to GET ${path}: '${this.username}' may not use this resource there (a member of the project space with API access and the permission for it is needed)`, 403)
    }
    if (res.status < 200 || res.status > 299) {
      throw new HqClientError('http', `${this.baseUrl} answered ${res.status} to GET ${path}${query === '' ? '' : '?' + query}`, res.status)
    }
    if (res.json === undefined) throw new HqClientError('bad-answer', `${this.baseUrl} answered GET ${path} with something that is not JSON`)
    return res.json
  }

  /**
   * Every object of a tastypie list, page by page along `meta.next`. `onPage`
   * hears the count so far and the total, for progress.
   */
  async listAll<T = Record<string, unknown>> (path: string, query: Record<string, string> = {}, onPage?: (done: number, total: number | null) => void): Promise<T[]> {
    const out: T[] = []
    let nextPath = path
    let nextQuery = new URLSearchParams(query).toString()
    const seen = new Set<string>()
    for (;;) {
      const key = `${nextPath}?${nextQuery}`
      if (seen.has(key)) throw new HqClientError('bad-answer', `${this.baseUrl} sent the same next page twice for ${path}`)
      seen.add(key)
      const page = await this.getJson(nextPath, nextQuery) as { meta?: { next?: unknown, total_count?: unknown }, objects?: unknown }
      if (typeof page !== 'object' || page === null || !Array.isArray(page.objects)) {
        throw new HqClientError('bad-answer', `${this.baseUrl} answered GET ${path} without a list of objects`)
      }
      out.push(...page.objects as T[])
      const total = typeof page.meta?.total_count === 'number' ? page.meta.total_count : null
      onPage?.(out.length, total)
      const next = page.meta?.next
      if (typeof next !== 'string' || next === '' || page.objects.length === 0) return out
      const resolved = new URL(next, this.baseUrl + nextPath)
      const prefix = new URL(this.baseUrl + '/').pathname.replace(/\/$/, '')
      nextPath = prefix !== '' && resolved.pathname.startsWith(prefix + '/') ? resolved.pathname.slice(prefix.length) : resolved.pathname
      nextQuery = resolved.search.replace(/^\?/, '')
    }
  }
}
