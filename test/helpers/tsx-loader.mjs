// The TypeScript loader of the test processes (`node-arg` in .taprc): tsx,
// whose esbuild transform loads the suite's imports in a fraction of the time
// tap's ts-node plugin takes, in every one of the suite's processes.
//
// tsx puts the original source into its source maps only when it sees
// NODE_V8_COVERAGE, and tap collects coverage through the inspector instead:
// without the variable the report cannot map the transformed code back to the
// lines of src/. So .taprc sets it for every test process (`test-env`, a folder
// under .tap/), and it is taken out of the environment here, before any test
// runs, so that the servers and CLIs a test starts do not write V8 coverage
// files of their own. Node still writes one for the test process itself when
// it exits; those of earlier processes are removed here, so the folder stays small.
import { rmSync } from 'node:fs'

const scratch = process.env.NODE_V8_COVERAGE
if (scratch !== undefined && scratch.endsWith('.tap/tsx-sources-content')) {
  delete process.env.NODE_V8_COVERAGE
  rmSync(scratch, { recursive: true, force: true })
}
await import('tsx')
