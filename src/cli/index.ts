import { checkSeedCommand } from './check-seed.js'
import { importCommand } from './import.js'
import { recordCommand } from './record.js'
import { verifyCommand } from './verify.js'

// The commands besides serving: `commcare-hq-mock check-seed|import|record|verify …`.
// Plain flags (or none) still start the server.

export const COMMANDS: Record<string, (argv: string[], env: NodeJS.ProcessEnv) => Promise<number>> = {
  'check-seed': checkSeedCommand,
  import: importCommand,
  record: recordCommand,
  verify: verifyCommand
}

/**
 * Runs the command `argv[0]` names and sets the exit code when it ends;
 * false when `argv[0]` is no command (the server's flags, or nothing).
 */
export function runCommand (argv: string[], env: NodeJS.ProcessEnv = process.env): boolean {
  const name = argv[0] ?? ''
  if (!Object.hasOwn(COMMANDS, name)) return false
  const command = COMMANDS[name]
  command(argv.slice(1), env).then(code => { process.exitCode = code }, err => {
    process.stderr.write(`commcare-hq-mock ${argv[0]}: ${(err as Error).message}\n`)
    process.exitCode = 3
  })
  return true
}
