--- @include "nowMs"
--- @include "int"
--- @include "appendOutbox"
--- Writes a hold whose checks passed (reserveChecks): the hold, the stock counts, the
--- user's totals, the expiry entry, the outbox entry and the idempotency record. `event` is
--- what the checks read of the event; `seats` is nil for a hold by count, else the seat ids
--- and positions it takes (comma-separated), which the hold keeps so that its end frees
--- exactly them; `memo` (optional) keeps the clock for the calls of one script. A request
--- that is traced carries its `traceparent` (a.traceparent) and its id (a.requestId) into
--- the outbox entry. Returns
--- the hold's expiresAt and createdAt (ms).
local function placeHold(k, a, event, quiet, seats, memo)
  local quantity = tonumber(a.quantity)
  local now = memo and memo.now or nowMs()
  if memo then memo.now = now end
  local ttlSeconds = tonumber(event[2]) or tonumber(a.defaultTtl)
  local expiresAt = now + ttlSeconds * 1000
  local hold = {
    id = a.holdId, eventId = a.eventId, categoryId = a.categoryId, userId = a.userId,
    quantity = quantity, seq = 1, expiresAt = expiresAt,
    queuePass = (event[5] == '1') and a.queuePass or nil,
    seats = seats and seats.ids or nil,
    traceparent = a.traceparent,
    requestId = a.requestId,
  }
  redis.call('HINCRBY', k.category, 'held', quantity)
  redis.call('HINCRBY', k.user, 'total', quantity)
  redis.call('HINCRBY', k.user, 'c:' .. a.categoryId, quantity)
  redis.call('HSET', k.hold,
    'id', a.holdId, 'eventId', a.eventId, 'categoryId', a.categoryId, 'userId', a.userId,
    'quantity', quantity, 'status', 'held', 'expiresAt', int(expiresAt),
    'heldUntil', int(expiresAt), 'createdAt', int(now), 'seq', 1)
  if seats then redis.call('HSET', k.hold, 'seats', seats.ids, 'seatPos', seats.positions) end
  redis.call('ZADD', k.expiry, expiresAt, a.holdId)
  appendOutbox(k.event, k.outbox, 'reservation.held', hold, now, quiet)
  if a.fingerprint ~= '' then
    redis.call('SET', k.idem,
      a.holdId .. '|' .. int(expiresAt) .. '|' .. int(now) .. '|' .. a.fingerprint,
      'PX', tonumber(a.idemTtlMs))
  end
  return expiresAt, now
end
