// Run by tick-shape.test.ts in a process of its own, with V8's natives syntax
// and `gc` exposed: prints whether the objects of nextTick calls made after
// idle full collections have the shape of the object the app keeps.
import { executionAsyncResource } from 'node:async_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { keepTickObjectShape, keptTickObject } from '../../src/http/tick-shape.js'

// eslint-disable-next-line no-new-func
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean
const gc = (globalThis as { gc?: () => void }).gc!

async function tickObject (): Promise<object> {
  return await new Promise(resolve => { process.nextTick(() => { resolve(executionAsyncResource()) }) })
}

keepTickObjectShape()
keepTickObjectShape()
await sleep(1)
const kept = keptTickObject()!
const before = await tickObject()
const result: Record<string, unknown> = {
  keptIsTickObject: Object.getOwnPropertySymbols(kept).map(s => s.description).join(',') + ' ' + Object.keys(kept).join(','),
  sameBefore: haveSameMap(kept, before)
}
// Idle: no nextTick object alive but the kept one, then full collections.
await sleep(5)
gc()
await sleep(5)
gc()
await sleep(5)
result.sameAfter = haveSameMap(kept, await tickObject())
result.stillKept = keptTickObject() === kept
process.stdout.write(JSON.stringify(result) + '\n')
