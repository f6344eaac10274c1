import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { main } from './server.js'
import { runCommand } from './cli/index.js'

/**
 * The command: parses the arguments, serves until a signal, and sets the exit
 * code. `onServing` runs once the server answers, before anything else.
 */
export function run (onServing?: () => void): void {
  if (runCommand(process.argv.slice(2))) return
  main(process.argv.slice(2), process.env, onServing).then(code => {
    if (code >= 0) {
      process.exitCode = code
      return
    }
    // Serving. From now on grow the heap by 50 % per collection instead of V8's
    // default (up to 2x): a mock under a fast test suite makes a lot of
    // short-lived garbage (journal entries above all), and the default lets its
    // RSS balloon to several times what it keeps alive. Set after the start, so
    // loading a big data file is not slowed by extra collections; only in the
    // server process, never in an application that imports the fixture.
    if (!process.execArgv.some(a => a.startsWith('--heap-growing-percent'))) setFlagsFromString('--heap-growing-percent=50')
    collectSoon()
  }, err => {
    process.stderr.write(`commcare-hq-mock: ${(err as Error).stack ?? String(err)}\n`)
    process.exitCode = 1
  })
}

/**
 * One full collection a second after the start. Loading a large data
 * directory leaves much garbage, and the start's last collection let the heap
 * grow to a multiple of what was alive then: collecting once makes V8 size the
 * heap by what the start left alive (under the growth set above) and give the
 * rest back, instead of holding it until the next collection comes by itself.
 */
function collectSoon (): void {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  setTimeout(gc, 1000).unref()
}
