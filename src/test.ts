import { startMockServer, type MockServer, type MockServerOptions } from './fixture.js'

// `commcare-hq-mock/test`: the fixture wired into a test runner's hooks in
// one line. It takes the runner's hook functions rather than importing a
// runner, so it works with node:test, tap and vitest (and needs none of them):
//
//   node:test  useMockServer(await import('node:test'))   or useMockServer({ before, after, beforeEach })
//   tap        useMockServer(t)
//   vitest     useMockServer({ beforeAll, afterAll, beforeEach })

type Hook = (fn: () => Promise<void>) => unknown

/** The hooks of a runner: `before`/`after` (node:test, tap) or `beforeAll`/`afterAll` (vitest), and `beforeEach`. */
export interface RunnerHooks {
  before?: Hook
  beforeAll?: Hook
  after?: Hook
  afterAll?: Hook
  /** tap's name for `after`. */
  teardown?: Hook
  beforeEach?: Hook
}

export interface UseMockServerOptions extends MockServerOptions {
  /** `server.reset()` before each test (default true; needs the runner's `beforeEach`). */
  resetBeforeEach?: boolean
}

/**
 * Starts the mock in the runner's before-all hook, resets it before each test
 * and closes it in the after-all hook. Answers the server: use it inside
 * tests and hooks (before the start it throws, saying so).
 */
export function useMockServer (runner: RunnerHooks, options: UseMockServerOptions = {}): MockServer {
  const { resetBeforeEach = true, ...serverOptions } = options
  const before = runner.before !== undefined ? 'before' : runner.beforeAll !== undefined ? 'beforeAll' : undefined
  const after = runner.after !== undefined ? 'after' : runner.afterAll !== undefined ? 'afterAll' : runner.teardown !== undefined ? 'teardown' : undefined
  if (before === undefined || after === undefined) {
    throw new TypeError('useMockServer needs the runner\'s hooks: { before, after } (node:test, tap) or { beforeAll, afterAll } (vitest)')
  }
  let server: MockServer | undefined
  // Called as methods: tap's hooks need their `this`.
  runner[before]?.(async () => { server = await startMockServer(serverOptions) })
  if (resetBeforeEach) {
    if (runner.beforeEach === undefined) throw new TypeError('useMockServer resets before each test: pass the runner\'s beforeEach too (or resetBeforeEach: false)')
    runner.beforeEach(async () => { await server?.reset() })
  }
  runner[after]?.(async () => { await server?.close() })
  return new Proxy({} as MockServer, {
    get (_target, key) {
      // Not a promise: `await` on it or returning it from an async function must not throw.
      if (key === 'then') return undefined
      if (server === undefined) throw new Error(`the mock server is not started yet (reading .${String(key)}): it starts in the runner's before hook; use it inside tests and hooks`)
      const value = Reflect.get(server, key) as unknown
      return typeof value === 'function' ? value.bind(server) : value
    }
  })
}

export { startMockServer, type MockServer, type MockServerOptions }
