-- wrk script for bench/http: optional HTTP/1.1 pipelining and machine-readable results.
--
-- usage:  wrk -t1 -c64 -d10s -s bench/http/pipeline.lua http://127.0.0.1:3000/plaintext -- 16 64
--
-- The arguments after "--" are the pipelining depth N (default 1) and the value of
-- wrk -c. The -c value is needed for the latency correction described below. Without
-- it, the script reports wrk's own percentiles.
--  * N <= 1: the script defines no request() function, so wrk sends its static
--    request and its client cost stays as low as a plain `wrk <url>` run.
--  * N > 1: each write sends N copies of the GET request at once, and wrk
--    waits for all N responses before it writes again. wrk records one latency
--    sample per batch, measured from the write to the batch's last response.
--
-- When the run ends, done() prints one line to stdout that a program can parse:
--   WRK_RESULT {"requests":..,"duration_us":..,"bytes":..,"errors":{..},
--               "latency_us":{..},"latency_raw_us":{..},"latency_wrk_us":{..},"latency_source":".."}
-- "requests" counts completed responses, so it includes non-2xx responses.
-- errors.status counts the non-2xx/3xx responses, and every latency is in microseconds.
--
-- About latency. Before done() runs, wrk 4.x applies a coordinated-omission correction
-- to its histogram with the interval  e = duration / (requests / connections).
-- Two things go wrong with that correction:
--  (a) With pipelining, a connection writes one batch per N requests, but e counts
--      requests. e is then N times too small, and the correction adds about N
--      made-up samples for every real one.
--  (b) Some of the added samples can fall below the histogram's min, and
--      wrk's percentile() starts counting at min. A high percentile can then
--      come back as 0.
-- This script therefore reads wrk's histogram itself (stats.h in wrk 4.x:
-- {count, limit, min, max, data[]}, reached through LuaJIT's FFI). It checks that
-- layout against latency.min, latency.max and the count, removes wrk's correction
-- exactly, and reports:
--   latency_raw_us  the samples as measured, one per request or batch, uncorrected
--   latency_us      wrk's correction applied again with the interval per batch,
--                   e = duration / ((requests / N) / connections). With N = 1 this
--                   gives wrk's own figures, except that (b) no longer happens.
--   latency_wrk_us  whatever wrk's own percentile() returned, for reference
-- If any check fails, latency_us and latency_raw_us hold wrk's figures, and
-- latency_source says why.

local threads = {}

function setup(thread)          -- runs in the main Lua state, where done() also runs
  threads[#threads + 1] = thread
end

function init(args)             -- runs in each thread's own Lua state
  depth = tonumber(args[1] or "1") or 1
  connections = tonumber(args[2] or "")
  if depth > 1 then
    local r = {}
    for i = 1, depth do
      r[i] = wrk.format()   -- wrk.method/path/headers from the URL: GET <path>, Host
    end
    local batch = table.concat(r)
    request = function()
      return batch
    end
  end
end

local floor = math.floor
local PCTS = { { "p50", 50 }, { "p75", 75 }, { "p90", 90 }, { "p99", 99 }, { "p99_9", 99.9 } }

-- Fills out[] with percentiles of the histogram h[0..mx], which holds total samples.
-- The ranks are the ones wrk's stats_percentile() uses, but counting starts at 0.
local function percentiles(h, mx, total, out)
  local i, cum = 0, 0
  for _, pq in ipairs(PCTS) do
    local rank = floor(pq[2] / 100 * total + 0.5 + 0.5)   -- C round(x + 0.5), x >= 0
    while i <= mx and cum + h[i] < rank do cum = cum + h[i]; i = i + 1 end
    out[pq[1]] = (total > 0 and i <= mx) and i or 0
  end
end

local function moments(h, mn, mx, total, out)
  local s, s2 = 0, 0
  for i = mn, mx do local c = h[i]; if c > 0 then s = s + c * i; s2 = s2 + c * i * i end end
  out.mean = total > 0 and s / total or 0
  out.stdev = total > 1 and math.sqrt(math.max(0, (s2 - total * out.mean * out.mean) / (total - 1))) or 0
  out.min, out.max = mn, mx
end

-- Returns corrected, raw (as tables), or nil plus the reason.
local function analyse(summary, latency, depth, conns)
  if not conns or conns < 1 then return nil, "no -c value given to the script" end
  local ok, ffi = pcall(require, "ffi")
  if not ok then return nil, "no LuaJIT FFI" end
  local p = ffi.cast("uint64_t **", latency)[0]
  local count, limit = tonumber(p[0]), tonumber(p[1])
  local mn, mx = tonumber(p[2]), tonumber(p[3])
  if count == 0 then return nil, "no samples" end
  if mn ~= latency.min or mx ~= latency.max or mx >= limit then return nil, "unexpected wrk stats layout" end
  local data = p + 4
  local sum = 0
  for i = 0, mx do sum = sum + tonumber(data[i]) end
  if sum ~= count then return nil, "histogram count mismatch" end

  -- Undo stats_correct(e): it added raw[n] at n-e, n-2e, ... while the index stayed > e,
  -- for every n >= 2e. So for m > e: data[m] = raw[m] + S[m], where S[m] = raw[m+e] + S[m+e].
  local reqs, dur = summary.requests, summary.duration
  local per = floor(reqs / conns)
  local e = per > 0 and floor(dur / per) or nil
  local raw = ffi.new("double[?]", mx + 1)
  local S = ffi.new("double[?]", mx + 1)
  local nraw = 0
  for m = mx, 0, -1 do
    local s = 0
    if e and m > e and m + e <= mx then s = raw[m + e] + S[m + e] end
    S[m] = s
    local r = tonumber(data[m]) - s
    if r < 0 or (m < mn and r ~= 0) then return nil, "cannot undo wrk's correction" end
    raw[m] = r
    nraw = nraw + r
  end

  -- Apply the correction again, once per batch: e2 = duration / ((requests / N) / connections).
  local per2 = floor(floor(reqs / depth) / conns)
  local e2 = per2 > 0 and floor(dur / per2) or nil
  local cor = S   -- reuse the buffer: T[m] = raw[m+e2] + T[m+e2], cor[m] = raw[m] + T[m]
  local T = ffi.new("double[?]", mx + 1)
  local ncor = 0
  for m = mx, 0, -1 do
    local t = 0
    if e2 and m > e2 and m + e2 <= mx then t = raw[m + e2] + T[m + e2] end
    T[m] = t
    cor[m] = raw[m] + t
    ncor = ncor + cor[m]
  end
  local cmin = 0
  while cmin < mx and cor[cmin] == 0 do cmin = cmin + 1 end

  local rawt, cort = { samples = nraw }, { samples = ncor, interval = e2 or 0 }
  percentiles(raw, mx, nraw, rawt); moments(raw, mn, mx, nraw, rawt)
  percentiles(cor, mx, ncor, cort); moments(cor, cmin, mx, ncor, cort)
  return cort, rawt
end

local function wrk_figures(latency)
  local t = { samples = 0, min = latency.min, max = latency.max, mean = latency.mean, stdev = latency.stdev }
  for _, pq in ipairs(PCTS) do t[pq[1]] = latency:percentile(pq[2]) end
  return t
end

local function json_obj(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do
    local v = t[k]
    local s
    if type(v) == "table" then s = json_obj(v)
    elseif type(v) == "string" then s = string.format("%q", v)
    elseif v == floor(v) then s = string.format("%.0f", v)
    else s = string.format("%.1f", v) end
    parts[#parts + 1] = string.format("%q:%s", k, s)
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
  local d, c = 1, nil
  if threads[1] then
    d = tonumber(threads[1]:get("depth")) or 1
    c = tonumber(threads[1]:get("connections"))
  end
  local wrkt = wrk_figures(latency)
  local ok, cor, raw = pcall(analyse, summary, latency, d, c)
  local source = "histogram"
  if not ok then source = "wrk (error: " .. tostring(cor) .. ")"; cor, raw = nil, nil
  elseif not cor then source = "wrk (" .. tostring(raw) .. ")"; raw = nil end
  local e = summary.errors
  io.write("WRK_RESULT ", json_obj({
    requests = summary.requests, duration_us = summary.duration, bytes = summary.bytes,
    depth = d, connections = c or 0,
    errors = { connect = e.connect, read = e.read, write = e.write, status = e.status, timeout = e.timeout },
    latency_us = cor or wrkt, latency_raw_us = raw or wrkt, latency_wrk_us = wrkt,
    latency_source = source,
  }), "\n")
end
