-- wrk script for scripts/bench-catalog.sh: rotates GET requests over the paths listed in a file
-- (one per line) and prints one machine-readable summary line at the end.
--
--   wrk -t2 -c64 -d15s --latency -s scripts/bench-paths.lua http://127.0.0.1:8080 -- paths.txt [ENCODINGS]
--
-- ENCODINGS, when given, is sent as the Accept-Encoding header (e.g. "br, gzip").
--
-- Each thread starts at a different place in the list, so threads do not request the same path
-- at the same moment.

local paths = {}
local headers = {}
local next_index = 1
local threads = 0

function setup(thread)
   thread:set("thread_number", threads)
   threads = threads + 1
end

function init(args)
   local file = args[1]
   if file == nil then
      error("usage: wrk ... -s bench-paths.lua URL -- PATHS_FILE")
   end
   for line in io.lines(file) do
      if line ~= "" then
         paths[#paths + 1] = line
      end
   end
   if #paths == 0 then
      error("no paths in " .. file)
   end
   next_index = ((thread_number or 0) * 7919) % #paths + 1
   if args[2] ~= nil and args[2] ~= "" then
      headers["Accept-Encoding"] = args[2]
   end
end

function request()
   local path = paths[next_index]
   next_index = next_index % #paths + 1
   return wrk.format("GET", path, headers)
end

function done(summary, latency, requests)
   local seconds = summary.duration / 1e6
   local errors = summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout
   io.write(string.format(
      "BENCH requests=%d rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f "
         .. "errors=%d non2xx=%d mb_per_s=%.1f\n",
      summary.requests,
      summary.requests / seconds,
      latency:percentile(50) / 1000,
      latency:percentile(90) / 1000,
      latency:percentile(99) / 1000,
      latency.max / 1000,
      errors,
      summary.errors.status,
      summary.bytes / seconds / 1e6
   ))
end
