import { executionAsyncResource } from 'node:async_hooks'

/**
 * Keeps one of the objects Node makes for each `process.nextTick` alive for
 * the life of the process.
 *
 * Node makes them with one object literal whose first keys are symbols, and
 * V8 remembers the shape ("map") that literal produced. A full collection at
 * a moment when none of those objects is alive frees that shape; V8's memory
 * reducer runs such collections once a server has been idle for a few seconds
 * after a busy start, and the mock's own collection after start-up is one too.
 * The next literal then gets a new shape, and V8's feedback for the literal
 * goes from one shape to "any shape" for good: from then on every nextTick
 * defines its keys through V8's runtime. An HTTP request makes several; on GET
 * detail that cost about a third of the throughput (docs/PERFORMANCE.md). A
 * live object keeps its shape, and the shapes it came from, from being freed.
 */
let kept: object | undefined

export function keepTickObjectShape (): void {
  if (kept !== undefined) return
  // Inside a nextTick callback, the current async resource is that tick's object.
  process.nextTick(() => {
    kept ??= executionAsyncResource()
  })
}

/** The kept object (for tests). */
export function keptTickObject (): object | undefined {
  return kept
}
