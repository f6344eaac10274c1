import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'

// The app keeps one of Node's nextTick objects alive (src/http/tick-shape.ts),
// so that full collections at idle do not free that object's shape: with the
// shape gone, V8 defines the keys of every later nextTick object through its
// runtime, a third of GET detail's throughput. Checked with V8's own
// %HaveSameMap in a separate process.

const child = fileURLToPath(new URL('./tick-shape-child.ts', import.meta.url))

t.test('objects of nextTick calls after idle full collections keep the shape of the kept one', async t => {
  const { stdout } = await promisify(execFile)(process.execPath,
    ['--allow-natives-syntax', '--expose-gc', '--import', 'tsx', child], { env: { ...process.env, NODE_V8_COVERAGE: '' } })
  const result = JSON.parse(stdout) as Record<string, unknown>
  t.equal(result.keptIsTickObject, 'async_id_symbol,trigger_async_id_symbol callback,args', 'the kept object is a nextTick object')
  t.equal(result.sameBefore, true, 'same shape as a nextTick object before the collections')
  t.equal(result.sameAfter, true, 'same shape as a nextTick object made after them')
  t.equal(result.stillKept, true, 'calling again keeps the first object')
})
