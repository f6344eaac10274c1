import { createHash } from 'node:crypto'
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { constants, Script } from 'node:vm'

// Runs a CommonJS file with V8's code cache: the bytecode V8 compiled for it on
// an earlier start, kept in `<file>.cache`. V8 checks the cache against its own
// version and flags but, for the source, only against its length; so the cache
// starts with a hash of the source and of the Node version, and any other
// cache is ignored and replaced.

export interface CachedModule {
  exports: unknown
  /** Whether V8 took the cache (or compiled the source afresh). */
  cacheUsed: boolean
  /**
   * Writes the cache when there was none that fit. Call it once the code that
   * matters has run: the cache then holds the functions compiled so far. A
   * directory that cannot be written to is no error; the cache is an extra.
   */
  saveCache: () => void
}

const KEY_BYTES = 32

export function loadCached (file: string): CachedModule {
  const source = readFileSync(file, 'utf8')
  const key = createHash('sha256').update(`${process.version} ${process.arch}\0`).update(source).digest()
  const cacheFile = `${file}.cache`
  let cachedData: Buffer | undefined
  try {
    const bytes = readFileSync(cacheFile)
    if (bytes.length > KEY_BYTES && bytes.subarray(0, KEY_BYTES).equals(key)) cachedData = bytes.subarray(KEY_BYTES)
  } catch {
    // no cache yet
  }
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData,
    importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER
  })
  const fresh = cachedData === undefined || script.cachedDataRejected === true
  const module = { exports: {} as unknown }
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, dirname(file))
  let saved = !fresh
  return {
    exports: module.exports,
    cacheUsed: !fresh,
    saveCache: () => {
      if (saved) return
      saved = true
      const tmp = `${cacheFile}.${process.pid}.tmp`
      try {
        writeFileSync(tmp, Buffer.concat([key, script.createCachedData()]))
        renameSync(tmp, cacheFile)
      } catch {
        try { unlinkSync(tmp) } catch {}
      }
    }
  }
}
