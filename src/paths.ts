import { fileURLToPath } from 'node:url'

// Files the server reads at run time, found from where this module sits: at the
// top of src/ (run from source), of dist/ (the compiled library), or inlined in
// dist/cli.js (the bundled command, which lies in the same folder). From all
// three the package root is one level up.

const CODE_DIR = new URL('./', import.meta.url)
const PACKAGE_ROOT = new URL('../', CODE_DIR)

export const PACKAGE_JSON = new URL('package.json', PACKAGE_ROOT)

/** The seed shipped with the package. */
export const BUNDLED_SEED = fileURLToPath(new URL('seed/default.json', PACKAGE_ROOT))

/** openapi.yaml at the package root. */
export const SPEC_PATH = fileURLToPath(new URL('openapi.yaml', PACKAGE_ROOT))

/** The inspector page's files, beside the code (src/inspector or dist/inspector). */
export const INSPECTOR_ASSETS = new URL('inspector/', CODE_DIR)
