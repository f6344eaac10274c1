import autocannon from 'autocannon'
import { BENCH_AUTH } from './seed.js'

// Load generation with autocannon, the same client settings for every server.
// Each scenario is one request template whose setupRequest picks the target
// per request, so both servers pay the same client cost per request.

export const CONNECTIONS = 50

export interface Outcome {
  status: number
  body: string
}

export interface Scenario {
  name: string
  /** Fills in method, path, body for one request; keeps what it needs in `ctx`. */
  setup: (req: RequestShape, ctx: Record<string, unknown>) => void
  /** Sees each answer (only when given: autocannon then buffers bodies). */
  check?: (outcome: Outcome, ctx: Record<string, unknown>) => void
}

export interface RequestShape {
  method: 'GET' | 'PUT' | 'POST'
  path: string
  headers: Record<string, string>
  body?: string
}

export interface LoadResult {
  scenario: string
  requests: number
  seconds: number
  rps: number
  p50: number
  p99: number
  non2xx: number
  errors: number
  timeouts: number
}

export async function runLoad (url: string, scenario: Scenario, seconds: number): Promise<LoadResult> {
  const request: autocannon.Request = {
    setupRequest: (req: any, ctx: any) => {
      const shape: RequestShape = { method: 'GET', path: '/', headers: { ...req.headers, authorization: BENCH_AUTH } }
      scenario.setup(shape, ctx)
      req.method = shape.method
      req.path = shape.path
      req.headers = shape.headers
      req.body = shape.body ?? ''
      if (shape.body !== undefined) req.headers['content-type'] = 'application/json'
      return req
    }
  }
  if (scenario.check !== undefined) {
    const check = scenario.check
    request.onResponse = (status: number, body: string, ctx: any) => check({ status, body }, ctx)
  }
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: seconds,
    timeout: 30,
    requests: [request]
  })
  const total = result.requests.total
  return {
    scenario: scenario.name,
    requests: total,
    seconds: result.duration,
    rps: total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts
  }
}
