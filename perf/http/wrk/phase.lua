--[[
  The wrk script of every `npm run perf:http` phase (perf/http/wrk.ts runs wrk with it). Its
  parameters come from the environment, which both of wrk's Lua states can read (the main
  one runs setup() and done(), each thread's runs init(), request() and response()):

    BENCH_WRK_MODE       plain    the request of the command line (URL, -H headers), as is
                         reserve  POST <URL path>, BENCH_WRK_BODY, round-robin over the users
                         confirm  POST <URL path><holdId>/confirm, body {}, once per hold
                         poll     GET <URL path>, round-robin over BENCH_WRK_POLLS
    BENCH_WRK_USERS      reserve, confirm: lines "<userId>\t<Authorization header value>"
    BENCH_WRK_BODY       reserve: the JSON body
    BENCH_WRK_HOLDS_OUT  reserve: done() writes "<holdId>\t<userId>" there for every 201
    BENCH_WRK_HOLDS_IN   confirm: the holds to confirm, in that format
    BENCH_WRK_POLLS      poll: lines "<Authorization header value>\t<Queue-Ticket>" (a
                         waiting fan polling queue/me; no ticket after the tab: none sent)
    BENCH_WRK_DELAY_MS   any mode: a pace instead of as fast as it can: each connection
                         waits this many ms (on average) before each request, so the rate
                         is about connections × 1000 / (delay + latency) per second. Drawn
                         uniformly from 0.5× to 1.5× of it, so that the connections, which
                         all start at once, do not keep sending in step.

  wrk cannot tell which connection (so which user's request) a response answers, so the
  reserve phase takes a hold's owner from its 201 body ("userId"), and the confirm phase
  finds that user's token again in BENCH_WRK_USERS.

  A confirm phase is a fixed number of requests, which wrk has no option for: the script
  hands out each hold once, then an empty request (a connection that gets one writes
  nothing and waits, idle); when every hold is answered it stops its thread and sends wrk
  SIGINT (LuaJIT's ffi), which ends wrk's run there as Ctrl-C would, with the summary for
  the time up to then. The run's -d is only the upper bound.

  done() prints one line, "BENCH_WRK_RESULT <json>": the answers by status code, wrk's
  socket errors, latency percentiles in µs, and for reserve the holds written.
]]

local mode = os.getenv('BENCH_WRK_MODE') or 'plain'

-- Thread state; globals, so that done() can read them with thread:get().
statuses = {}
holds = {}
unparsed = 0
answered = 0
verifying = false

local requests = {}
local nextRequest = 0

local function readUsers()
  local tokens, ids = {}, {}
  for line in io.lines(os.getenv('BENCH_WRK_USERS')) do
    local userId, authorization = line:match('^([^\t]+)\t(.+)$')
    if userId then
      ids[#ids + 1] = userId
      tokens[userId] = authorization
    end
  end
  return ids, tokens
end

local function post(path, authorization, body)
  return wrk.format('POST', path, {
    ['Host'] = wrk.headers['Host'],
    ['Content-Type'] = 'application/json',
    ['Authorization'] = authorization,
  }, body)
end

function init(args)
  if mode == 'reserve' then
    local ids, tokens = readUsers()
    local body = os.getenv('BENCH_WRK_BODY')
    for i, userId in ipairs(ids) do requests[i] = post(wrk.path, tokens[userId], body) end
  elseif mode == 'poll' then
    for line in io.lines(os.getenv('BENCH_WRK_POLLS')) do
      local authorization, ticket = line:match('^([^\t]+)\t(.*)$')
      if authorization then
        local headers = { ['Host'] = wrk.headers['Host'], ['Authorization'] = authorization }
        if ticket ~= '' then headers['Queue-Ticket'] = ticket end
        requests[#requests + 1] = wrk.format('GET', wrk.path, headers)
      end
    end
  elseif mode == 'confirm' then
    local _, tokens = readUsers()
    for line in io.lines(os.getenv('BENCH_WRK_HOLDS_IN')) do
      local holdId, userId = line:match('^([^\t]+)\t(.+)$')
      if holdId and tokens[userId] then
        requests[#requests + 1] = post(wrk.path .. holdId .. '/confirm', tokens[userId], '{}')
      end
    end
  end
end

-- wrk paces a run only when the script defines delay(): defined only when asked for.
local delayMs = tonumber(os.getenv('BENCH_WRK_DELAY_MS') or '') or 0
if delayMs > 0 then
  function delay()
    return math.floor(delayMs * (0.5 + math.random()) + 0.5)
  end
end

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
  -- wrk calls the first thread's request() once to check what it returns, and sends
  -- nothing of it: that call must not use up a hold.
  thread:set('verifying', #threads == 1)
end

local stopRun = function() end
if mode == 'confirm' then
  local ok, ffi = pcall(require, 'ffi')
  if ok then
    ffi.cdef('int kill(int pid, int sig); int getpid(void);')
    stopRun = function() ffi.C.kill(ffi.C.getpid(), 2) end
  else
    io.stderr:write('[bench] wrk without LuaJIT ffi: the confirm phase runs its whole -d\n')
  end
end

if mode == 'reserve' or mode == 'poll' then
  function request()
    nextRequest = nextRequest % #requests + 1
    return requests[nextRequest]
  end
elseif mode == 'confirm' then
  function request()
    if verifying then
      verifying = false
      return requests[1]
    end
    nextRequest = nextRequest + 1
    return requests[nextRequest] or ''
  end
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if mode == 'reserve' then
    if status == 201 then
      local holdId = body:match('"id":"([^"]+)"')
      local userId = body:match('"userId":"([^"]+)"')
      if holdId and userId then
        holds[#holds + 1] = holdId .. '\t' .. userId
      else
        unparsed = unparsed + 1
      end
    end
  elseif mode == 'confirm' then
    answered = answered + 1
    if answered == #requests then
      wrk.thread:stop()
      stopRun()
    end
  end
end

local function json(value)
  if type(value) == 'table' then
    local parts = {}
    for k, v in pairs(value) do parts[#parts + 1] = string.format('"%s":%s', k, json(v)) end
    return '{' .. table.concat(parts, ',') .. '}'
  elseif type(value) == 'string' then
    return string.format('%q', value)
  end
  return string.format('%.17g', value)
end

function done(summary, latency, requests)
  local codes, written, notParsed = {}, 0, 0
  local out = mode == 'reserve' and os.getenv('BENCH_WRK_HOLDS_OUT') or nil
  local file = out and out ~= '' and assert(io.open(out, 'w')) or nil
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get('statuses')) do
      codes[tostring(code)] = (codes[tostring(code)] or 0) + n
    end
    notParsed = notParsed + thread:get('unparsed')
    if file then
      local made = thread:get('holds')
      if #made > 0 then file:write(table.concat(made, '\n'), '\n') end
      written = written + #made
    end
  end
  if file then file:close() end
  io.write('BENCH_WRK_RESULT ', json({
    durationUs = summary.duration,
    requests = summary.requests,
    bytes = summary.bytes,
    errors = summary.errors,
    statuses = codes,
    latencyUs = {
      p50 = latency:percentile(50),
      p90 = latency:percentile(90),
      p99 = latency:percentile(99),
      max = latency.max,
      mean = latency.mean,
    },
    holdsWritten = written,
    holdsUnparsed = notParsed,
  }), '\n')
end
