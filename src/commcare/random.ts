import { randomFillSync } from 'node:crypto'

// Random ids and salts come from a pool of cryptographically random bytes
// refilled 4 KiB at a time: one call into OpenSSL per 256 ids, not one per id.

const POOL = Buffer.alloc(4096)
let used = POOL.length

/** `bytes` random bytes (at most 256) as lowercase hex. */
export function randomHex (bytes: number): string {
  if (used + bytes > POOL.length) {
    randomFillSync(POOL)
    used = 0
  }
  const hex = POOL.toString('hex', used, used + bytes)
  used += bytes
  return hex
}
