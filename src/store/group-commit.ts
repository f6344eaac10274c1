interface Waiter {
  resolve: () => void
  reject: (err: Error) => void
}

/**
 * Group commit: every request that changed a document waits for one flush that
 * started after its change. While a flush runs, later changes queue up and share
 * the next flush, so the document is serialized once per flush, not once per
 * request. When a flush fails, every change not yet on disk is reported as
 * failed (the owner rolls the memory back to the disk's state first).
 */
export class GroupCommit {
  private running: Promise<void> | null = null
  private pending: Waiter[] = []

  constructor (
    private readonly flush: () => Promise<void>,
    // Loads what is on disk and returns the step that swaps it into memory; that
    // step runs in the same tick as the failure is handed out, so no change can
    // slip in between and be either lost silently or kept as a phantom.
    private readonly rollback: (err: Error) => Promise<() => void>
  ) {}

  commit (): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject })
      if (this.running === null) this.start()
    })
  }

  /** Resolves when no flush is running or queued. */
  async idle (): Promise<void> {
    while (this.running !== null) await this.running
  }

  private start (): void {
    const batch = this.pending
    this.pending = []
    this.running = this.run(batch)
  }

  private async run (batch: Waiter[]): Promise<void> {
    try {
      await this.flush()
      for (const w of batch) w.resolve()
    } catch (err) {
      const swap = await this.rollback(err as Error).catch(() => () => {})
      swap()
      const lost = batch.concat(this.pending)
      this.pending = []
      for (const w of lost) w.reject(err as Error)
    }
    this.running = null
    if (this.pending.length > 0) this.start()
  }
}
