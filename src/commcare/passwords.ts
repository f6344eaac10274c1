import { randomBytes, scrypt, scryptSync, timingSafeEqual, createHash } from 'node:crypto'

// Mobile-worker passwords are kept only as salted scrypt hashes. The cost is
// deliberately low: this is a test double, and a PUT with a password must stay fast.
const COST = 256
const PARAMS = { N: COST, r: 8, p: 1 }

function format (salt: Buffer, hash: Buffer): string {
  return `scrypt$${COST}$${salt.toString('hex')}$${hash.toString('hex')}`
}

/** Hashes on the calling thread: for the seed's passwords at start; requests use `preparePassword`. */
export function hashPassword (password: string): string {
  if (prepared !== null && prepared.password === password) {
    const { hash } = prepared
    prepared = null
    return hash
  }
  const salt = randomBytes(16)
  return format(salt, scryptSync(password, salt, 32, PARAMS))
}

// At most this many hashes run at once: the thread pool (4 threads by default)
// also does the store's writes and fsyncs, which must not queue behind a burst of hashes.
const HASH_SLOTS = 2
let hashing = 0
const waiting: Array<() => void> = []

/** scrypt on libuv's thread pool: the event loop keeps serving other requests meanwhile. */
async function scryptAsync (password: string, salt: Buffer, length: number, params: typeof PARAMS): Promise<Buffer> {
  if (hashing >= HASH_SLOTS) await new Promise<void>(resolve => waiting.push(resolve))
  else hashing++
  try {
    return await new Promise((resolve, reject) => {
      scrypt(password, salt, length, params, (err, key) => { if (err === null) resolve(key); else reject(err) })
    })
  } finally {
    // The slot passes straight to the next waiter, if any.
    const next = waiting.shift()
    if (next !== undefined) next()
    else hashing--
  }
}

/** A password and its salted hash, computed ahead of the change that stores it. */
export interface PreparedPassword {
  password: string
  hash: string
}

export async function preparePassword (password: string): Promise<PreparedPassword> {
  const salt = randomBytes(16)
  return { password, hash: format(salt, await scryptAsync(password, salt, 32, PARAMS)) }
}

let prepared: PreparedPassword | null = null

/**
 * Runs `change` (synchronous) with a hash prepared off the event loop: the
 * first `hashPassword` of that same password inside it takes the prepared hash
 * instead of computing one. Any other password is still hashed in place, so a
 * change that sets something else stays correct, only slower.
 */
export function withPreparedPassword<T> (password: PreparedPassword | null, change: () => T): T {
  if (password === null) return change()
  prepared = password
  try {
    return change()
  } finally {
    prepared = null
  }
}

function parseStored (stored: string | null): { cost: number, salt: Buffer, expected: Buffer } | null {
  if (stored === null) return null
  const [scheme, cost, saltHex, hashHex] = stored.split('$')
  if (scheme !== 'scrypt' || saltHex === undefined || hashHex === undefined) return null
  return { cost: Number(cost), salt: Buffer.from(saltHex, 'hex'), expected: Buffer.from(hashHex, 'hex') }
}

export function verifyPassword (password: string, stored: string | null): boolean {
  const s = parseStored(stored)
  if (s === null) return false
  const actual = scryptSync(password, s.salt, s.expected.length, { N: s.cost, r: 8, p: 1 })
  return timingSafeEqual(s.expected, actual)
}

/** `verifyPassword` with the hashing on the thread pool. */
export async function verifyPasswordAsync (password: string, stored: string | null): Promise<boolean> {
  const s = parseStored(stored)
  if (s === null) return false
  const actual = await scryptAsync(password, s.salt, s.expected.length, { N: s.cost, r: 8, p: 1 })
  return timingSafeEqual(s.expected, actual)
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
