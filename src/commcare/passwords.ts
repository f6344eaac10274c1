import { randomBytes, scryptSync, timingSafeEqual, createHash } from 'node:crypto'

// Mobile-worker passwords are kept only as salted scrypt hashes. The cost is
// deliberately low: this is a test double, and a PUT with a password must stay fast.
const COST = 1024

export function hashPassword (password: string): string {
  const salt = randomBytes(16)
  const hash = scryptSync(password, salt, 32, { N: COST, r: 8, p: 1 })
  return `scrypt$${COST}$${salt.toString('hex')}$${hash.toString('hex')}`
}

export function verifyPassword (password: string, stored: string | null): boolean {
  if (stored === null) return false
  const [scheme, cost, saltHex, hashHex] = stored.split('$')
  if (scheme !== 'scrypt' || saltHex === undefined || hashHex === undefined) return false
  const expected = Buffer.from(hashHex, 'hex')
  const actual = scryptSync(password, Buffer.from(saltHex, 'hex'), expected.length, { N: Number(cost), r: 8, p: 1 })
  return timingSafeEqual(expected, actual)
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

/** `secretEquals(stored, offered)` for one offered secret against any number of stored ones. */
export function matchesOffered (offered: string): (stored: string) => boolean {
  const wanted = createHash('sha256').update(offered).digest()
  return stored => timingSafeEqual(storedDigest(stored), wanted)
}
