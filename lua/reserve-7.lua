--[[
  reserve: places a hold on a category's stock for a user, with a TTL.
  All checks come before the first write; the hold, the stock counts, the user's
  totals, the expiry entry, the outbox entry and the idempotency record are written
  together or not at all.

  KEYS[1] event     {ev:E}:event       hash: status, holdTtl, perUserLimit, verifiedBoot,
                                       changeSeq, waitingRoom
  KEYS[2] category  {ev:E}:cat:C       hash: capacity, held, confirmed, perUserLimit
  KEYS[3] user      {ev:E}:user:U      hash: total, c:<categoryId>
  KEYS[4] hold      {ev:E}:hold:H      hash, must not exist yet
  KEYS[5] expiry    {ev:E}:expiry      zset: holdId -> expiresAt (ms)
  KEYS[6] outbox    {ev:E}:outbox      stream of hold changes
  KEYS[7] idem      {ev:E}:idem:U:K    the Idempotency-Key record (unused without a key)

  ARGV[1] holdId       ARGV[2] eventId     ARGV[3] categoryId   ARGV[4] userId
  ARGV[5] quantity     1..10
  ARGV[6] fingerprint  of the request body; '' when no Idempotency-Key was sent
  ARGV[7] idemTtlMs    how long the key is kept
  ARGV[8] defaultTtl   hold seconds when the event sets none
  ARGV[9] queuePass    the caller's queue pass as the api checked it (SPEC §7): its id when
                       valid for this user and event, 'invalid' when one was sent that is
                       not, '' when none was sent. Only an event with a waiting room asks.

  Returns
    {1, holdId, expiresAt, createdAt}   placed
    {2, holdId, expiresAt, createdAt}   the same key and body again: the original hold
    {-1}                 bad arguments       {-2} event not found
    {-3} category not found                  {-4, status} not on sale
    {-5, available} sold out                 {-6, limit, current} per-user limit exceeded
    {-7} the key was used with another body
    {-18} the event has a waiting room and no pass was sent   {-19} the pass is not valid
    {-16} the event is fenced (Redis restarted and the event is not verified yet, or it is
          being rebuilt): nothing is sold until it is
]]
--- @include "nowMs"
--- @include "int"
--- @include "appendOutbox"
--- @include "fence"

local eventKey, categoryKey, userKey = KEYS[1], KEYS[2], KEYS[3]
local holdKey, expiryKey, outboxKey, idemKey = KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local holdId, eventId, categoryId, userId = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local quantity = tonumber(ARGV[5])
local fingerprint = ARGV[6]
local idemTtlMs = tonumber(ARGV[7])
local defaultTtl = tonumber(ARGV[8])
local queuePass = ARGV[9] or ''

if holdId == nil or holdId == '' or eventId == nil or eventId == '' or categoryId == nil
  or categoryId == '' or userId == nil or userId == '' or not quantity
  or quantity ~= math.floor(quantity) or quantity < 1 or quantity > 10 or fingerprint == nil
  or not idemTtlMs or idemTtlMs < 1 or not defaultTtl or defaultTtl < 1 then
  return {-1}
end

if fingerprint ~= '' then
  -- The record is '<holdId>|<expiresAt>|<createdAt>|<fingerprint>' (ids and times hold no '|').
  local record = redis.call('GET', idemKey)
  if record then
    local id, expiresAt, createdAt, original = string.match(record, '^([^|]*)|([^|]*)|([^|]*)|(.*)$')
    if original ~= fingerprint then return {-7} end
    return {2, id, tonumber(expiresAt), tonumber(createdAt)}
  end
end

local event = redis.call('HMGET', eventKey, 'status', 'holdTtl', 'perUserLimit', 'verifiedBoot',
  'waitingRoom')
if not event[1] then return {-2} end
if fenced(event[4], event[1]) then return {-16} end
local category = redis.call('HMGET', categoryKey, 'capacity', 'held', 'confirmed', 'perUserLimit')
if not category[1] then return {-3} end
if event[1] ~= 'on_sale' then return {-4, event[1]} end
if event[5] == '1' then
  if queuePass == '' then return {-18} end
  if queuePass == 'invalid' then return {-19} end
end

local available = tonumber(category[1]) - tonumber(category[2]) - tonumber(category[3])
if quantity > available then return {-5, available} end

local mine = redis.call('HMGET', userKey, 'total', 'c:' .. categoryId)
local total = tonumber(mine[1]) or 0
local inCategory = tonumber(mine[2]) or 0
local eventLimit = tonumber(event[3]) or 10
if total + quantity > eventLimit then return {-6, eventLimit, total} end
local categoryLimit = tonumber(category[4]) or 0
if categoryLimit > 0 and inCategory + quantity > categoryLimit then
  return {-6, categoryLimit, inCategory}
end

if redis.call('EXISTS', holdKey) == 1 then return {-1} end

-- Checks done: write.
local now = nowMs()
local ttlSeconds = tonumber(event[2]) or defaultTtl
local expiresAt = now + ttlSeconds * 1000
local hold = {
  id = holdId, eventId = eventId, categoryId = categoryId, userId = userId,
  quantity = quantity, seq = 1, expiresAt = expiresAt,
  queuePass = (event[5] == '1') and queuePass or nil,
}
redis.call('HINCRBY', categoryKey, 'held', quantity)
redis.call('HINCRBY', userKey, 'total', quantity)
redis.call('HINCRBY', userKey, 'c:' .. categoryId, quantity)
redis.call('HSET', holdKey,
  'id', holdId, 'eventId', eventId, 'categoryId', categoryId, 'userId', userId,
  'quantity', quantity, 'status', 'held', 'expiresAt', int(expiresAt),
  'heldUntil', int(expiresAt), 'createdAt', int(now), 'seq', 1)
redis.call('ZADD', expiryKey, expiresAt, holdId)
appendOutbox(eventKey, outboxKey, 'reservation.held', hold, now)
if fingerprint ~= '' then
  redis.call('SET', idemKey,
    holdId .. '|' .. int(expiresAt) .. '|' .. int(now) .. '|' .. fingerprint, 'PX', idemTtlMs)
end
return {1, holdId, int(expiresAt), int(now)}
