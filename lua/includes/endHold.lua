--- @include "setSeats"
--- Ends a hold and puts its stock back: the category's `from` count (`held` for a live
--- hold, `confirmed` for a sale) and the user's totals go down by its quantity, it leaves
--- the expiry set, its record stays readable for `retentionMs`, and the change goes to
--- the outbox. A seated hold's seats (`seatPos`) are available again: exactly those.
local function endHold(keys, h, status, nowMs, retentionMs, from)
  if h.seatPos then setSeats(keys.seats, keys.category, h.seatPos, 'a', 1) end
  redis.call('HINCRBY', keys.category, from, -h.quantity)
  redis.call('HINCRBY', keys.user, 'total', -h.quantity)
  redis.call('HINCRBY', keys.user, 'c:' .. h.categoryId, -h.quantity)
  redis.call('ZREM', keys.expiry, h.id)
  h.status = status
  h.seq = h.seq + 1
  h.endedAt = int(nowMs)
  redis.call('HSET', keys.hold, 'status', status, 'seq', int(h.seq), 'endedAt', h.endedAt)
  redis.call('PEXPIRE', keys.hold, retentionMs)
  appendOutbox(keys.event, keys.outbox, 'reservation.' .. status, h, nowMs)
end
