import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { buildApp, type AppOptions } from '../../src/app.js'
import { Store } from '../../src/store/store.js'
import { checkResponses } from './openapi.js'

export const SEED = fileURLToPath(new URL('../../seed/default.json', import.meta.url))

export const ADMIN = 'ApiKey admin@example.org:demo-api-key'
export const VIEWER = 'ApiKey viewer@example.org:viewer-api-key'
export const OTHER_ONLY = 'ApiKey admin@example.org:other-only-key'
export const OTHER_ADMIN = 'ApiKey otheradmin@example.org:other-api-key'

export const JDOE = '3c5a623af057e23a32ae4000cf291339'
export const AMINA = '984bb82bf7f88bb700b750c1331c324e'
export const BRIAN = 'cbb6c694ab1a462886d20367ea221249'
export const CAROL = '9f57646b7e9bfc62cbd31609348811ce' // deactivated
export const DAVID = '85c8eceec2668fe9b26cb2a6ce6e64fd'
export const MARY = '4fd24c3f7a5bbcdd605f3955bc7fee92' // domain other
export const GROUP_NORTH = '9a0accdba29e01a61ea099394737c4fb'
export const GROUP_SOUTH = 'b4ccdba29e01a61ea099394737c4fbf7'
export const GROUP_SUPERVISORS = '846310d77e86454f0f93de5d9bcf4d5f'
export const GROUP_OTHER = '9574e1283cf60dcd930f8021e7406c91'
export const LOC_NAIROBI = '26fc44e2792b4f2fa8ef86178f0a958e'
export const LOC_KIBERA = 'c1b029932ed442a6a846a4ea10e46a78'
export const LOC_WESTLANDS = '983c26591440aca038f8e76591199f4d'

export const CANNED_500 = { error_message: 'Sorry, this request could not be processed. Please try again later.' }

/** The docs' sample input of "Edit Mobile Worker", verbatim. */
export const DOCS_SAMPLE_PUT = {
  first_name: 'John',
  last_name: 'Doe',
  email: 'jdoe@example.org',
  language: 'en',
  phone_numbers: ['+50253311399', '50253314588'],
  groups: ['9a0accdba29e01a61ea099394737c4fb', 'b4ccdba29e01a61ea099394737c4fbf7'],
  user_data: { chw_id: '13/43/DFA' }
}

export interface BuildOptions extends Partial<AppOptions> {
  /** Check every answer against openapi.yaml and fail `t` on a mismatch (default true). */
  checkResponses?: boolean
}

/**
 * The app on an in-memory store of the bundled seed, closed when the test ends.
 * Every answer it gives is checked against openapi.yaml (status, headers,
 * content type, body); a mismatch fails `t` naming route, status and schema path.
 */
export async function build (t: Test, options: BuildOptions = {}) {
  const { checkResponses: check = true, ...appOptions } = options
  const store = appOptions.store ?? await Store.open({ seedPath: SEED, dataDir: null })
  const app = await buildApp({ ...appOptions, store })
  if (check) checkResponses(app, problem => t.fail(problem))
  t.teardown(() => app.close())
  return app
}
