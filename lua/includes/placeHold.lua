--- @include "nowMs"
--- @include "int"
--- @include "appendOutbox"
--- Writes a hold whose checks passed (reserveChecks): the hold, the stock counts, the
--- user's totals, the expiry entry, the outbox entry and the idempotency record. `checked`
--- is what the checks read (the event, the counts): the counts are set to what they read
--- plus the hold (nothing runs in between), one HSET a hash. `seats` is nil for a hold
--- by count, else the seat ids and positions it takes (comma-separated), which the hold
--- keeps so that its end frees exactly them (the caller has marked them: the seats'
--- version is counted here, with the held count); `memo` (optional) keeps the clock for
--- the calls of one script. A request that is traced carries its `traceparent`
--- (a.traceparent) and its id (a.requestId) into the outbox entry. Returns the hold's
--- expiresAt and createdAt (ms, integer strings).
local function placeHold(k, a, checked, quiet, seats, memo)
  local event = checked.event
  local quantity = tonumber(a.quantity)
  local now = memo and memo.now or nowMs()
  if memo then memo.now = now end
  local ttlSeconds = tonumber(event[2]) or tonumber(a.defaultTtl)
  -- Numbers go to Redis as strings formatted once: a number argument costs the call a
  -- conversion of its own, and so does each format.
  local q, expires, created = int(quantity), int(now + ttlSeconds * 1000), int(now)
  local hold = {
    id = a.holdId, eventId = a.eventId, categoryId = a.categoryId, userId = a.userId,
    quantity = q, seq = '1', expiresAt = expires,
    queuePass = (event[5] == '1') and a.queuePass or nil,
    seats = seats and seats.ids or nil,
    traceparent = a.traceparent,
    requestId = a.requestId,
  }
  if seats then
    redis.call('HSET', k.category, 'held', int(checked.held + quantity),
      'seatVersion', int(checked.seatVersion + 1))
  else
    redis.call('HSET', k.category, 'held', int(checked.held + quantity))
  end
  redis.call('HSET', k.user, 'total', int(checked.total + quantity),
    'c:' .. a.categoryId, int(checked.inCategory + quantity))
  redis.call('HSET', k.hold,
    'id', a.holdId, 'eventId', a.eventId, 'categoryId', a.categoryId, 'userId', a.userId,
    'quantity', q, 'status', 'held', 'expiresAt', expires, 'heldUntil', expires,
    'createdAt', created, 'seq', '1',
    unpack(seats and {'seats', seats.ids, 'seatPos', seats.positions} or {}))
  redis.call('ZADD', k.expiry, expires, a.holdId)
  appendOutbox(k.event, k.outbox, 'reservation.held', hold, created, quiet)
  if a.fingerprint ~= '' then
    redis.call('SET', k.idem, a.holdId .. '|' .. expires .. '|' .. created .. '|' .. a.fingerprint,
      'PX', tonumber(a.idemTtlMs))
  end
  return expires, created
end
