// Matching shared by journal filters and fault rules.

/**
 * A path pattern: with `*` it must match the whole path (`*` is any run of
 * characters, `/` included); without `*` it matches anywhere in the path.
 * The query string is never part of the path.
 *
 * A glob is never turned into a regular expression (a run of stars would make
 * one backtrack for minutes): the literal pieces between the stars are looked
 * for left to right, each from where the last one ended, so a match costs one
 * pass over the path whatever the pattern holds.
 */
export function pathMatcher (pattern: string): (path: string) => boolean {
  if (!pattern.includes('*')) return path => path.includes(pattern)
  const pieces = pattern.split('*')
  const first = pieces[0]
  const last = pieces[pieces.length - 1]
  // Empty pieces (from `**`) match anything and are dropped.
  const middle = pieces.slice(1, -1).filter(p => p !== '')
  const minLength = first.length + last.length
  return path => {
    if (path.length < minLength || !path.startsWith(first) || !path.endsWith(last)) return false
    // The leftmost place of each piece leaves the most room for the rest, so no choice is ever revisited.
    let at = first.length
    const end = path.length - last.length
    for (const piece of middle) {
      const found = path.indexOf(piece, at)
      if (found === -1 || found + piece.length > end) return false
      at = found + piece.length
    }
    return true
  }
}

/** The path part of a request target. */
export function pathOf (url: string): string {
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

/** The test-control API itself is neither journaled nor faulted. */
export function isMockPath (path: string): boolean {
  return path === '/__mock' || path.startsWith('/__mock/')
}

/** The CommCare domain a path names (`/a/{domain}/…`, a segment of at least one character), or null. */
export function domainOfPath (path: string): string | null {
  if (!path.startsWith('/a/')) return null
  const end = path.indexOf('/', 3)
  return end <= 3 ? null : path.slice(3, end)
}

/** A status filter: `429` exactly, or a class such as `4xx`. */
export function statusMatcher (filter: string | number): (status: number) => boolean {
  const text = String(filter).toLowerCase()
  const m = /^([1-5])xx$/.exec(text)
  if (m !== null) {
    const cls = Number(m[1])
    return status => Math.floor(status / 100) === cls
  }
  const n = Number(text)
  return status => status === n
}
