--[[
  setEventState: an event's sale state and hold rules, as the reserve script reads them.
  Moves of the status state machine are checked in TypeScript against Postgres; Redis
  takes the result at once so sales open, pause or stop immediately.

  KEYS[1] event        {ev:E}:event   hash: status, holdTtl, perUserLimit

  ARGV[1] status       draft | on_sale | paused | closed | cancelled, or rebuilding
                       (sales held while the rebuild recomputes the stock)
  ARGV[2] holdTtl      seconds a hold lives, > 0
  ARGV[3] perUserLimit tickets one user may hold + buy across the event, > 0
  ARGV[4] created      '1' when the event was just created (it has no durable changes
                       yet, so Redis's state of it is complete): a new event hash is then
                       verified for this Redis boot at once (see fence.lua). Otherwise
                       only the verifier verifies, e.g. after a data loss removed the hash.

  ARGV[5] waitingRoom  '1' when the event's waiting room is enabled (SPEC §7), else '0'
  ARGV[6] admitPerSecond  users the waiting room admits per second (0 when disabled)
  ARGV[7] passTtl      seconds a queue pass is valid
  ARGV[8] presaleEndsAt       ms until which a presale asks for an access code (SPEC §9);
                              0 for none
  ARGV[9] challengeMaxNumber  the proof-of-work challenge's maxnumber (SPEC §9); 0 for none

  The first time the event is on sale, `openedAt` is set: who joins the waiting room
  before that is in the pre-queue (shuffled), who joins after is served in order.

  Returns {1} | {-1} bad arguments
]]
local eventKey = KEYS[1]
local status = ARGV[1]
local holdTtl = tonumber(ARGV[2])
local perUserLimit = tonumber(ARGV[3])
local waitingRoom = ARGV[5] or '0'
local admitPerSecond = tonumber(ARGV[6] or '0')
local passTtl = tonumber(ARGV[7] or '600')
local presaleEndsAt = tonumber(ARGV[8] or '0')
local challengeMaxNumber = tonumber(ARGV[9] or '0')

local valid = { draft = true, on_sale = true, paused = true, closed = true, cancelled = true,
  rebuilding = true }
if not valid[status] or not holdTtl or holdTtl < 1 or not perUserLimit or perUserLimit < 1
  or (waitingRoom ~= '1' and waitingRoom ~= '0') or not admitPerSecond or admitPerSecond < 0
  or (waitingRoom == '1' and admitPerSecond < 1) or not passTtl or passTtl < 1
  or not presaleEndsAt or presaleEndsAt < 0 or not challengeMaxNumber or challengeMaxNumber < 0 then
  return {-1}
end

if ARGV[4] == '1' and redis.call('EXISTS', eventKey) == 0 then
  local runId = string.match(redis.call('INFO', 'server'), 'run_id:(%w+)')
  redis.call('HSET', eventKey, 'verifiedBoot', tostring(redis.call('LASTSAVE')),
    'verifiedRun', runId)
end
redis.call('HSET', eventKey, 'status', status, 'holdTtl', holdTtl, 'perUserLimit', perUserLimit,
  'waitingRoom', waitingRoom, 'admitPerSecond', admitPerSecond, 'passTtl', passTtl,
  'presaleEndsAt', presaleEndsAt, 'challengeMax', challengeMaxNumber)
if status == 'on_sale' then
  local t = redis.call('TIME')
  redis.call('HSETNX', eventKey, 'openedAt', t[1] * 1000 + math.floor(t[2] / 1000))
end
return {1}
