--[[
  eventFence: an event's fence as the Redis node that holds it sees it. On Redis Cluster
  each node boots on its own, so the boot an event is verified against is the LASTSAVE
  (and run_id) of the node that owns the event's slot: read here, beside the event hash.
  Reads only.

  KEYS[1] event   {ev:E}:event   hash: verifiedBoot, changeSeq, status, verifiedRun

  ARGV[1] withRun  '1' to also read this node's run_id (INFO server; the verifier's check
                   of one event needs it, the pass over every event does not)

  Returns {boot (LASTSAVE), verifiedBoot, changeSeq, status, verifiedRun, runId}, '' for
  what is missing
]]
local event = redis.call('HMGET', KEYS[1], 'verifiedBoot', 'changeSeq', 'status', 'verifiedRun')
local runId = ''
if ARGV[1] == '1' then
  runId = string.match(redis.call('INFO', 'server'), 'run_id:(%w+)') or ''
end
return {tostring(redis.call('LASTSAVE')), event[1] or '', event[2] or '0', event[3] or '',
  event[4] or '', runId}
