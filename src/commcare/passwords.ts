import { createHash, pbkdf2, pbkdf2Sync, scrypt, scryptSync, timingSafeEqual } from 'node:crypto'
import { randomHex } from './random.js'

// Mobile-worker passwords are kept only as salted hashes, in the format of
// Django's default hasher (CommCare HQ's accounts are Django users): `pbkdf2_sha256$<iterations>$<salt>$<base64
// of the PBKDF2-HMAC-SHA256 key>`. Django runs over a million iterations; this
// is a test double whose passwords are test passwords, and a create must cost
// about what an edit does, so it runs few (about 40 µs, on the calling thread).
// A hash carries its iteration count, so a hash of any count verifies, and so
// do the `scrypt$<N>$<salt hex>$<hash hex>` hashes earlier versions wrote.
export const PBKDF2_ITERATIONS = 100
const KEY_LENGTH = 32

/** A salted hash of `password`, in Django's format. */
export function hashPassword (password: string): string {
  const salt = randomHex(16)
  const key = pbkdf2Sync(password, salt, PBKDF2_ITERATIONS, KEY_LENGTH, 'sha256')
  return `pbkdf2_sha256$${PBKDF2_ITERATIONS}$${salt}$${key.toString('base64')}`
}

// Hashes of other costs are verified too, up to a bound: a seed's hash with a
// cost of billions must not stall the server or take its memory (scrypt with
// r=8 takes 1 KiB per unit of N: 64 MiB at the bound).
const MAX_ITERATIONS = 10_000_000
const MAX_SCRYPT_COST = 1 << 16
// A stored key shorter than this is not a hash anyone made (a guess would match it too easily).
const MIN_KEY_LENGTH = 16

type Stored =
  | { scheme: 'pbkdf2_sha256', iterations: number, salt: string, expected: Buffer }
  | { scheme: 'scrypt', cost: number, salt: Buffer, expected: Buffer }

function parseStored (stored: string | null): Stored | null {
  if (stored === null) return null
  const parts = stored.split('$')
  if (parts.length !== 4) return null
  const [scheme, count, salt, hash] = parts
  const n = /^[1-9][0-9]{0,9}$/.test(count) ? Number(count) : NaN
  if (scheme === 'pbkdf2_sha256' && n <= MAX_ITERATIONS && salt !== '') {
    const expected = Buffer.from(hash, 'base64')
    return expected.length < MIN_KEY_LENGTH ? null : { scheme, iterations: n, salt, expected }
  }
  // scrypt's cost N is a power of two above 1.
  if (scheme === 'scrypt' && n > 1 && n <= MAX_SCRYPT_COST && (n & (n - 1)) === 0 && /^(?:[0-9a-f]{2})+$/.test(salt) && /^(?:[0-9a-f]{2}){16,}$/.test(hash)) {
    return { scheme, cost: n, salt: Buffer.from(salt, 'hex'), expected: Buffer.from(hash, 'hex') }
  }
  return null
}

export function verifyPassword (password: string, stored: string | null): boolean {
  const s = parseStored(stored)
  if (s === null) return false
  const actual = s.scheme === 'pbkdf2_sha256'
    ? pbkdf2Sync(password, s.salt, s.iterations, s.expected.length, 'sha256')
    : scryptSync(password, s.salt, s.expected.length, scryptParams(s.cost))
  return timingSafeEqual(s.expected, actual)
}

// At most this many hashes run at once on libuv's thread pool (4 threads by
// default), which also does the store's writes and fsyncs: those must not queue
// behind a burst of logins.
const HASH_SLOTS = 2
let hashing = 0
const waiting: Array<() => void> = []

async function inSlot<T> (work: () => Promise<T>): Promise<T> {
  if (hashing >= HASH_SLOTS) await new Promise<void>(resolve => waiting.push(resolve))
  else hashing++
  try {
    return await work()
  } finally {
    // The slot passes straight to the next waiter, if any.
    const next = waiting.shift()
    if (next !== undefined) next()
    else hashing--
  }
}

/** `verifyPassword` with the hashing on the thread pool (a stored hash may be of any cost). */
export async function verifyPasswordAsync (password: string, stored: string | null): Promise<boolean> {
  const s = parseStored(stored)
  if (s === null) return false
  const actual = await inSlot(async () => await new Promise<Buffer>((resolve, reject) => {
    const done = (err: Error | null, key: Buffer): void => { if (err === null) resolve(key); else reject(err) }
    if (s.scheme === 'pbkdf2_sha256') pbkdf2(password, s.salt, s.iterations, s.expected.length, 'sha256', done)
    else scrypt(password, s.salt, s.expected.length, scryptParams(s.cost), done)
  }))
  return timingSafeEqual(s.expected, actual)
}

function scryptParams (cost: number): { N: number, r: number, p: number, maxmem: number } {
  return { N: cost, r: 8, p: 1, maxmem: 2 * 1024 * cost + (1 << 20) }
}

/** Compares two secrets in time that does not depend on where they differ. */
export function secretEquals (a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest()
  const db = createHash('sha256').update(b).digest()
  return timingSafeEqual(da, db)
}

// Stored secrets are few and fixed; their digests are kept so that checking an
// offered key costs one hash per request, not two per stored key.
const storedDigests = new Map<string, Buffer>()
const STORED_DIGESTS_MAX = 10_000

function storedDigest (stored: string): Buffer {
  let digest = storedDigests.get(stored)
  if (digest === undefined) {
    digest = createHash('sha256').update(stored).digest()
    if (storedDigests.size < STORED_DIGESTS_MAX) storedDigests.set(stored, digest)
  }
  return digest
}

// A client sends the same key on every request: the digests of recently offered
// keys are kept too (a bounded set, emptied when full, so guesses cannot grow it).
const offeredDigests = new Map<string, Buffer>()
const OFFERED_DIGESTS_MAX = 1_000

function offeredDigest (offered: string): Buffer {
  let digest = offeredDigests.get(offered)
  if (digest === undefined) {
    digest = createHash('sha256').update(offered).digest()
    if (offeredDigests.size >= OFFERED_DIGESTS_MAX) offeredDigests.clear()
    offeredDigests.set(offered, digest)
  }
  return digest
}

/** `secretEquals(stored, offered)` for one offered secret against any number of stored ones. */
export function matchesOffered (offered: string): (stored: string) => boolean {
  const wanted = offeredDigest(offered)
  return stored => timingSafeEqual(storedDigest(stored), wanted)
}
