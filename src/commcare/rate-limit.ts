/**
 * Wrong passwords per web user (HQ's `login_attempts`), for the lockout of
 * BEHAVIOR.md §2: once a username has `limit` failures, every Basic or Digest
 * attempt for it gets 401 `{"error": "maximum password attempts exceeded"}`
 * until a successful request clears the count (or a reset does).
 */
export class LoginAttempts {
  private readonly failures = new Map<string, number>()

  fail (username: string): void {
    const key = username.toLowerCase()
    this.failures.set(key, (this.failures.get(key) ?? 0) + 1)
  }

  lockedOut (username: string, limit: number): boolean {
    return (this.failures.get(username.toLowerCase()) ?? 0) >= limit
  }

  clear (username?: string): void {
    if (username === undefined) this.failures.clear()
    else this.failures.delete(username.toLowerCase())
  }
}

/**
 * Requests per minute per domain, over a sliding window of the last 60 seconds
 * (BEHAVIOR.md §10). Each domain keeps at most `limit` timestamps. It also
 * holds the failed password attempts, so a full reset clears both.
 */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>()
  readonly logins = new LoginAttempts()

  /** Counts the request; returns the seconds until a slot frees, or 0 when allowed. */
  take (domain: string, limit: number, now = Date.now()): number {
    let times = this.hits.get(domain)
    if (times === undefined) {
      times = []
      this.hits.set(domain, times)
    }
    const windowStart = now - 60_000
    let drop = 0
    while (drop < times.length && times[drop] <= windowStart) drop++
    if (drop > 0) times.splice(0, drop)
    if (times.length >= limit) return Math.max(1, Math.ceil((times[0] - windowStart) / 1000))
    times.push(now)
    return 0
  }

  reset (domain?: string): void {
    if (domain === undefined) {
      this.hits.clear()
      this.logins.clear()
    } else this.hits.delete(domain)
  }
}
