/** A problem with a seed or data file that stops the server from starting. */
export class StartupError extends Error {
  constructor (readonly file: string, readonly problems: string[]) {
    super(`${file}: ${problems.join('; ')}`)
    this.name = 'StartupError'
  }
}

/** A write that did not reach the disk; memory was rolled back to what is there. */
export class DiskError extends Error {
  constructor (readonly cause: Error) {
    super(`the data file could not be written (${(cause as NodeJS.ErrnoException).code ?? cause.message})`)
    this.name = 'DiskError'
  }
}
