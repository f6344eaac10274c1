/**
 * Requests per minute per domain, over a sliding window of the last 60 seconds
 * (BEHAVIOR.md §10). Each domain keeps at most `limit` timestamps.
 */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>()

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
    if (domain === undefined) this.hits.clear()
    else this.hits.delete(domain)
  }
}
