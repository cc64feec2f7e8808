--- @include "nowMs"
--- @include "int"
--- @include "appendOutbox"
--- @include "fence"
--- Places one hold: every check before the first write; the hold, the stock counts, the
--- user's totals, the expiry entry, the outbox entry and the idempotency record written
--- together or not at all. reserve-7.lua runs it once, reserveBatch-n.lua once per request
--- of a group, in order, so a group answers exactly as its requests one by one would.
--- `k`: the keys {event, category, user, hold, expiry, outbox, idem}; `a`: the request
--- {holdId, eventId, categoryId, userId, quantity, fingerprint, idemTtlMs, defaultTtl,
--- queuePass, traceparent (optional)}; `quiet`: the caller pushes the change to the live channel itself (once for
--- a group); `memo`: a table the calls of one script share (the event's terms, the fence,
--- the clock). Replies as reserve-7.lua documents them.
local function reserveHold(k, a, quiet, memo)
  local holdId, eventId, categoryId, userId = a.holdId, a.eventId, a.categoryId, a.userId
  local quantity, fingerprint = tonumber(a.quantity), a.fingerprint
  local idemTtlMs, defaultTtl = tonumber(a.idemTtlMs), tonumber(a.defaultTtl)
  local queuePass = a.queuePass or ''

  if holdId == nil or holdId == '' or eventId == nil or eventId == '' or categoryId == nil
    or categoryId == '' or userId == nil or userId == '' or not quantity
    or quantity ~= math.floor(quantity) or quantity < 1 or quantity > 10 or fingerprint == nil
    or not idemTtlMs or idemTtlMs < 1 or not defaultTtl or defaultTtl < 1 then
    return {-1}
  end

  if fingerprint ~= '' then
    -- The record is '<holdId>|<expiresAt>|<createdAt>|<fingerprint>' (ids and times hold no '|').
    local record = redis.call('GET', k.idem)
    if record then
      local id, expiresAt, createdAt, original = string.match(record, '^([^|]*)|([^|]*)|([^|]*)|(.*)$')
      if original ~= fingerprint then return {-7} end
      return {2, id, tonumber(expiresAt), tonumber(createdAt)}
    end
  end

  -- The event's terms and its fence, read once per script call: nothing else runs while a
  -- script does, so a group's later requests find them as the first did (`memo`).
  local event = memo.event
  if not event then
    event = redis.call('HMGET', k.event, 'status', 'holdTtl', 'perUserLimit', 'verifiedBoot',
      'waitingRoom')
    memo.event = event
    memo.fenced = event[1] and fenced(event[4], event[1])
  end
  if not event[1] then return {-2} end
  if memo.fenced then return {-16} end
  local category = redis.call('HMGET', k.category, 'capacity', 'held', 'confirmed', 'perUserLimit')
  if not category[1] then return {-3} end
  if event[1] ~= 'on_sale' then return {-4, event[1]} end
  if event[5] == '1' then
    if queuePass == '' then return {-18} end
    if queuePass == 'invalid' then return {-19} end
  end

  local available = tonumber(category[1]) - tonumber(category[2]) - tonumber(category[3])
  if quantity > available then return {-5, available} end

  local mine = redis.call('HMGET', k.user, 'total', 'c:' .. categoryId)
  local total = tonumber(mine[1]) or 0
  local inCategory = tonumber(mine[2]) or 0
  local eventLimit = tonumber(event[3]) or 10
  if total + quantity > eventLimit then return {-6, eventLimit, total} end
  local categoryLimit = tonumber(category[4]) or 0
  if categoryLimit > 0 and inCategory + quantity > categoryLimit then
    return {-6, categoryLimit, inCategory}
  end

  if redis.call('EXISTS', k.hold) == 1 then return {-1} end

  -- Checks done: write.
  local now = memo.now or nowMs()
  memo.now = now
  local ttlSeconds = tonumber(event[2]) or defaultTtl
  local expiresAt = now + ttlSeconds * 1000
  local hold = {
    id = holdId, eventId = eventId, categoryId = categoryId, userId = userId,
    quantity = quantity, seq = 1, expiresAt = expiresAt,
    queuePass = (event[5] == '1') and queuePass or nil,
    traceparent = a.traceparent,
  }
  redis.call('HINCRBY', k.category, 'held', quantity)
  redis.call('HINCRBY', k.user, 'total', quantity)
  redis.call('HINCRBY', k.user, 'c:' .. categoryId, quantity)
  redis.call('HSET', k.hold,
    'id', holdId, 'eventId', eventId, 'categoryId', categoryId, 'userId', userId,
    'quantity', quantity, 'status', 'held', 'expiresAt', int(expiresAt),
    'heldUntil', int(expiresAt), 'createdAt', int(now), 'seq', 1)
  redis.call('ZADD', k.expiry, expiresAt, holdId)
  appendOutbox(k.event, k.outbox, 'reservation.held', hold, now, quiet)
  if fingerprint ~= '' then
    redis.call('SET', k.idem,
      holdId .. '|' .. int(expiresAt) .. '|' .. int(now) .. '|' .. fingerprint, 'PX', idemTtlMs)
  end
  return {1, holdId, int(expiresAt), int(now)}
end
