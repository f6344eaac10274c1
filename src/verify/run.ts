import { randomBytes } from 'node:crypto'
import { HqClient, HqClientError, type HqResponse } from '../client/hq-client.js'
import { VERSION } from '../version.js'
import { readProbes, writeProbes, THROWAWAY_PREFIX, type Probe } from './probes.js'
import { fill, recordResponse, TRANSCRIPT_FORMAT, type Exchange, type RecordedRequest, type Transcript } from './transcript.js'

// Running probes against one server: discovery of the ids the probes use,
// then each request in order. `record` keeps the answers as a transcript;
// `verify` sends a transcript's requests again, to the mock.

/** Values a run makes itself; a replay makes its own and never reuses the recording's. */
export const RUN_VARS = ['created_id', 'created_username', 'created_password'] as const

export function throwawayVars (): Record<string, string> {
  const suffix = randomBytes(5).toString('hex')
  return {
    created_username: `${THROWAWAY_PREFIX}${suffix}`,
    // A throwaway password good enough for strong-password project spaces; never written down.
    created_password: `Hq-Mock-${randomBytes(6).toString('hex')}-9!`
  }
}

function first (page: unknown): Record<string, unknown> | undefined {
  const objects = (page as { objects?: unknown })?.objects
  return Array.isArray(objects) && typeof objects[0] === 'object' && objects[0] !== null ? objects[0] as Record<string, unknown> : undefined
}

async function tryFirst (client: HqClient, path: string, query: string): Promise<Record<string, unknown> | undefined> {
  const res = await client.send({ method: 'GET', path, query })
  return res.status === 200 ? first(res.json) : undefined
}

/**
 * The ids the probes need, read from the target: a worker, a group, a
 * location, a location type and the caller's own web-user id. Refused
 * credentials (401) and an unknown project space (404) stop the run; whatever
 * else the caller may not read is left out.
 */
export async function discover (client: HqClient, domain: string): Promise<Record<string, string>> {
  const vars: Record<string, string> = { domain, username: client.username }
  const workers = await client.send({ method: 'GET', path: `/a/${domain}/api/v0.5/user/`, query: 'limit=1' })
  if (workers.status === 401) await client.getJson(`/a/${domain}/api/v0.5/user/`, 'limit=1') // throws the clear 401 error
  if (workers.status === 404) throw new HqClientError('http', `${client.baseUrl} has no project space '${domain}' (404 for its worker list)`, 404)
  const worker = workers.status === 200 ? first(workers.json) : undefined
  if (worker !== undefined) {
    if (typeof worker.id === 'string') vars.worker_id = worker.id
    if (typeof worker.username === 'string') vars.worker_username = worker.username
    if (typeof worker.role === 'string' && worker.role !== '') vars.worker_role = worker.role
  }
  const group = await tryFirst(client, `/a/${domain}/api/v0.5/group/`, 'limit=1')
  if (typeof group?.id === 'string') vars.group_id = group.id
  const location = await tryFirst(client, `/a/${domain}/api/v0.5/location/`, 'limit=1')
  if (typeof location?.location_id === 'string') vars.location_id = location.location_id
  if (typeof location?.site_code === 'string') vars.site_code = location.site_code
  const type = await tryFirst(client, `/a/${domain}/api/v0.5/location_type/`, 'limit=1')
  if (typeof type?.id === 'number' || typeof type?.id === 'string') vars.location_type_id = String(type.id)
  const me = await client.send({ method: 'GET', path: '/api/v0.5/identity/' })
  const id = (me.json as { id?: unknown } | undefined)?.id
  if (me.status === 200 && typeof id === 'string') vars.web_user_id = id
  return vars
}

/** The id of the object a create made: the body's `id`, else the last segment of `Location`. */
export function createdId (res: HqResponse): string | null {
  const id = (res.json as { id?: unknown } | undefined)?.id
  if (typeof id === 'string' && id !== '') return id
  const location = res.headers.location
  if (location !== undefined) {
    const segments = new URL(location, 'http://x').pathname.split('/').filter(s => s !== '')
    const last = segments.at(-1)
    if (last !== undefined) return last
  }
  return null
}

export function sendRecorded (client: HqClient, request: RecordedRequest, vars: Record<string, string>): Promise<HqResponse> {
  const r = fill(request, vars)
  return client.send({ method: r.method, path: r.path, query: r.query, auth: r.auth, json: r.json, raw: r.raw })
}

export interface RunStep {
  name: string
  rule: string
  request: RecordedRequest
  captures?: string
}

/**
 * Sends the steps in order. A step whose placeholders are unknown is skipped
 * (reported through `onSkip`). When a step creates the throwaway worker, that
 * worker is deleted at the end unless a step already did, whatever happened.
 */
export async function runSteps (client: HqClient, steps: RunStep[], vars: Record<string, string>, hooks: {
  onAnswer: (step: RunStep, res: HqResponse) => void
  onSkip?: (step: RunStep, missing: string[]) => void
  log?: (line: string) => void
}): Promise<void> {
  let createdPath: string | null = null
  let deleted = false
  // Ctrl-C while a throwaway worker exists: stop after the request in flight and delete it.
  let interrupted = false
  const onSignal = (): void => {
    interrupted = true
    hooks.log?.('interrupted: stopping and cleaning up')
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    for (const step of steps) {
      if (interrupted) throw new HqClientError('interrupted', 'interrupted before the probes were done')
      const text = JSON.stringify(step.request)
      const missing = [...new Set([...text.matchAll(/\{([a-z_]+)\}/g)].map(m => m[1]))].filter(k => vars[k] === undefined)
      if (missing.length > 0) {
        hooks.onSkip?.(step, missing)
        continue
      }
      const res = await sendRecorded(client, step.request, vars)
      if (step.captures !== undefined && res.status >= 200 && res.status < 300) {
        const id = createdId(res)
        if (id !== null) {
          vars[step.captures] = id
          createdPath = `/a/${vars.domain}/api/v0.5/user/${id}/`
        }
      }
      if (createdPath !== null && step.request.method === 'DELETE' && fill(step.request.path, vars) === createdPath && res.status === 204) deleted = true
      hooks.onAnswer(step, res)
    }
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    if (createdPath !== null && !deleted) {
      hooks.log?.(`deleting the throwaway worker ${vars.created_username ?? ''} (${vars.created_id ?? ''})`)
      try {
        const res = await client.send({ method: 'DELETE', path: createdPath })
        if (res.status !== 204 && res.status !== 404) hooks.log?.(`could not delete the throwaway worker: the server answered ${res.status}; delete ${createdPath} by hand`)
      } catch (err) {
        hooks.log?.(`could not delete the throwaway worker (${(err as Error).message}); delete ${createdPath} by hand`)
      }
    }
  }
}

export interface RecordOptions {
  domain: string
  allowWrites: boolean
  log?: (line: string) => void
}

/** Runs the probe suite against `client`'s target and returns the transcript. */
export async function record (client: HqClient, options: RecordOptions): Promise<Transcript> {
  const log = options.log ?? (() => {})
  log(`discovering ids on ${client.baseUrl} (domain ${options.domain})`)
  const vars = await discover(client, options.domain)
  const probes: Probe[] = [...readProbes(), ...(options.allowWrites ? writeProbes() : [])]
  if (options.allowWrites) Object.assign(vars, throwawayVars())
  const exchanges: Exchange[] = []
  let done = 0
  await runSteps(client, probes.filter(p => p.request.auth !== 'query-key' || client.hasApiKey), vars, {
    onAnswer: (step, res) => {
      const e: Exchange = { name: step.name, rule: step.rule, request: step.request, response: recordResponse(res) }
      if (step.captures !== undefined) e.captures = step.captures
      exchanges.push(e)
      if (++done % 10 === 0) log(`${done} probes answered`)
    },
    onSkip: (step, missing) => log(`skipped '${step.name}': the target has no ${missing.join(', ')}`),
    log
  })
  log(`${exchanges.length} probes answered`)
  const kept = Object.fromEntries(Object.entries(vars).filter(([k]) => k !== 'created_password'))
  return {
    format: TRANSCRIPT_FORMAT,
    tool: `commcare-hq-mock ${VERSION}`,
    recorded_at: new Date().toISOString(),
    target: client.baseUrl,
    domain: options.domain,
    username: client.username,
    writes: options.allowWrites,
    vars: kept,
    exchanges
  }
}
