--- @include "fence"
--- The checks of a reserve, by count or by seat, in their order and before any write:
--- arguments, a replayed Idempotency-Key, the event (fence, sale state, queue pass), the
--- category, whether it is seated as the request says (`seated`), the stock and the
--- per-user limits. `k`: the keys {event, category, user, hold, idem}; `a`: the request
--- {holdId, eventId, categoryId, userId, quantity, fingerprint, idemTtlMs, defaultTtl,
--- queuePass}; `memo` (optional): a table the calls of one script share, which keeps the
--- event's terms and its fence from the first read (nothing else runs while a script does,
--- so a group's later requests find them as the first did). Returns what the placement
--- needs {event, available, the counts it read: held, total, inCategory, and for a seated
--- category noGaps (its gap rule) and seatVersion}, or nil and the reply to give instead
--- (a refusal, or {2, ...} for a replay; a seated replay names its seats).
local function reserveChecks(k, a, seated, memo)
  local quantity, fingerprint = tonumber(a.quantity), a.fingerprint
  local idemTtlMs, defaultTtl = tonumber(a.idemTtlMs), tonumber(a.defaultTtl)
  if a.holdId == nil or a.holdId == '' or a.eventId == nil or a.eventId == ''
    or a.categoryId == nil or a.categoryId == '' or a.userId == nil or a.userId == ''
    or not quantity or quantity ~= math.floor(quantity) or quantity < 1 or quantity > 10
    or fingerprint == nil or not idemTtlMs or idemTtlMs < 1 or not defaultTtl
    or defaultTtl < 1 then
    return nil, {-1}
  end

  if fingerprint ~= '' then
    -- The record is '<holdId>|<expiresAt>|<createdAt>|<fingerprint>' (ids and times hold no '|').
    local record = redis.call('GET', k.idem)
    if record then
      local id, expiresAt, createdAt, original = string.match(record, '^([^|]*)|([^|]*)|([^|]*)|(.*)$')
      if original ~= fingerprint then return nil, {-7} end
      if seated then
        return nil, {2, id, tonumber(expiresAt), tonumber(createdAt),
          redis.call('HGET', k.holdBase .. id, 'seats') or ''}
      end
      return nil, {2, id, tonumber(expiresAt), tonumber(createdAt)}
    end
  end

  memo = memo or {}
  local event = memo.event
  if not event then
    event = redis.call('HMGET', k.event, 'status', 'holdTtl', 'perUserLimit', 'verifiedBoot',
      'waitingRoom')
    memo.event = event
    memo.fenced = event[1] and fenced(event[4], event[1])
  end
  if not event[1] then return nil, {-2} end
  if memo.fenced then return nil, {-16} end
  local category
  if seated then
    category = redis.call('HMGET', k.category, 'capacity', 'held', 'confirmed', 'perUserLimit',
      'seated', 'noGaps', 'seatVersion')
  else
    category = redis.call('HMGET', k.category, 'capacity', 'held', 'confirmed', 'perUserLimit',
      'seated')
  end
  if not category[1] then return nil, {-3} end
  if event[1] ~= 'on_sale' then return nil, {-4, event[1]} end
  if event[5] == '1' then
    if a.queuePass == '' then return nil, {-18} end
    if a.queuePass == 'invalid' then return nil, {-19} end
  end
  -- A seated category's stock is its seats: a hold by count would take none of them.
  if (category[5] == '1') ~= seated then return nil, {seated and -21 or -20} end

  -- Seats are judged seat by seat (reserveSeats-10.lua): a taken seat is its own refusal.
  local available = tonumber(category[1]) - tonumber(category[2]) - tonumber(category[3])
  if not seated and quantity > available then return nil, {-5, available} end

  local mine = redis.call('HMGET', k.user, 'total', 'c:' .. a.categoryId)
  local total = tonumber(mine[1]) or 0
  local inCategory = tonumber(mine[2]) or 0
  local eventLimit = tonumber(event[3]) or 10
  if total + quantity > eventLimit then return nil, {-6, eventLimit, total} end
  local categoryLimit = tonumber(category[4]) or 0
  if categoryLimit > 0 and inCategory + quantity > categoryLimit then
    return nil, {-6, categoryLimit, inCategory}
  end

  if redis.call('EXISTS', k.hold) == 1 then return nil, {-1} end
  return {event = event, available = available, held = tonumber(category[2]), total = total,
    inCategory = inCategory, noGaps = category[6] == '1',
    seatVersion = tonumber(category[7]) or 0}, nil
end
