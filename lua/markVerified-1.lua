--[[
  markVerified: the verifier found the event's live state complete against the durable
  record (or reconciled it): its holds may change again on this Redis boot. The event's
  change number is raised to at least what the record knows, so every later change is
  numbered above it.

  KEYS[1] event     {ev:E}:event   hash: verifiedBoot, changeSeq, ...

  ARGV[1] changeSeq  the highest change number the durable record holds (0 for none)
  ARGV[2] boot       the LASTSAVE the verifier read before it compared: if Redis booted
                     again meanwhile, the comparison is void and nothing is marked
  ARGV[3] runId      this Redis process's run_id: a later LASTSAVE with the same run_id
                     is a snapshot, not a restart, and is re-marked without a comparison

  Returns {1} | {0} Redis booted again since | {-2} no such event | {-1} bad arguments
]]
local eventKey = KEYS[1]
local floor = tonumber(ARGV[1])
local boot = ARGV[2]
local runId = ARGV[3]
if not floor or floor < 0 or boot == nil or boot == '' or runId == nil or runId == '' then
  return {-1}
end
if boot ~= tostring(redis.call('LASTSAVE')) then return {0} end
if redis.call('EXISTS', eventKey) == 0 then return {-2} end
local current = tonumber(redis.call('HGET', eventKey, 'changeSeq')) or 0
if current < floor then redis.call('HSET', eventKey, 'changeSeq', string.format('%d', floor)) end
redis.call('HSET', eventKey, 'verifiedBoot', boot, 'verifiedRun', runId)
return {1}
