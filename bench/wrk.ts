import { execFile, spawnSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import type { LoadResult } from './load.js'
import { BENCH_AUTH } from './seed.js'

// GET detail measured with wrk (C, one event loop per thread), a client that
// is not itself the bottleneck: 2 threads, 50 connections. Every request picks
// a user at random, for the mock and for the ceiling alike.

export const WRK_THREADS = 2
export const WRK_CONNECTIONS = 50

/** Whether `wrk` is installed (Debian's package `wrk`). */
export function haveWrk (): boolean {
  return spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined
}

/** A wrk script that sends GET detail of a random user of `ids` and prints its summary as one line. */
export async function writeWrkScript (path: string, domain: string, ids: string[]): Promise<void> {
  const lua = `local ids = {${ids.map(id => `"${id}"`).join(',')}}
local headers = { ["Authorization"] = "${BENCH_AUTH}" }
init = function (args) math.randomseed(os.time() + math.floor(os.clock() * 1e6)) end
request = function ()
  return wrk.format("GET", "/a/${domain}/api/v0.5/user/" .. ids[math.random(#ids)] .. "/", headers)
end
done = function (s, latency, requests)
  io.write(string.format("WRK requests=%d duration_us=%d p50_us=%d p99_us=%d status=%d connect=%d read=%d write=%d timeout=%d\\n",
    s.requests, s.duration, latency:percentile(50), latency:percentile(99), s.errors.status,
    s.errors.connect, s.errors.read, s.errors.write, s.errors.timeout))
end
`
  await writeFile(path, lua)
}

export async function runWrk (url: string, script: string, seconds: number, name = 'GET detail (wrk)'): Promise<LoadResult> {
  const out = await new Promise<string>((resolve, reject) => {
    execFile('wrk', [`-t${WRK_THREADS}`, `-c${WRK_CONNECTIONS}`, `-d${Math.max(1, Math.round(seconds))}s`, '-s', script, url],
      { maxBuffer: 1 << 20 }, (err, stdout, stderr) => err === null ? resolve(stdout) : reject(new Error(`wrk failed: ${err.message}\n${stderr}`)))
  })
  const line = /^WRK (.*)$/m.exec(out)
  if (line === null) throw new Error(`wrk printed no summary:\n${out}`)
  const f = Object.fromEntries(line[1].split(' ').map(kv => kv.split('=')).map(([k, v]) => [k, Number(v)]))
  const seconds_ = f.duration_us / 1e6
  return {
    scenario: name,
    requests: f.requests,
    seconds: seconds_,
    rps: f.requests / seconds_,
    p50: Math.round(f.p50_us / 100) / 10,
    p99: Math.round(f.p99_us / 100) / 10,
    non2xx: f.status,
    errors: f.connect + f.read + f.write,
    timeouts: f.timeout
  }
}
