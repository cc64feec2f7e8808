--- A user's place in an event's waiting room (SPEC §7), or nil when they never joined:
--- {status, rank (0-based, -1 when not waiting), joinedAt, passExpiresAt ('' without a
---  pass), waiting, admittedTotal, admission rate (measured, users per second),
---  place (the queue's score, '' when not waiting), opened ('1' once the sale has opened:
---  from then on admittedTotal + rank + 1 is the user's fixed turn, see core/queue/tickets.ts)}.
--- `k` holds the keys: event, queue, joined, admitted, state. Reads only.
local function queueTicket(k, userId, now)
  local joinedAt = redis.call('HGET', k.joined, userId)
  if not joinedAt then return nil end
  local event = redis.call('HMGET', k.event, 'status', 'admitPerSecond', 'openedAt')
  local state = redis.call('HMGET', k.state, 'admitted', 'firstAdmitAt', 'soldOut')
  local admitted = tonumber(state[1]) or 0
  local rate = tonumber(event[2]) or 0
  if admitted > 0 and state[2] then
    -- Measured: what was admitted since the first admission, not the configured rate.
    rate = admitted / math.max(1, (now - tonumber(state[2])) / 1000)
  end
  local waiting = redis.call('ZCARD', k.queue)
  local status, rank, passExpiresAt, place = 'waiting', -1, '', ''
  local pass = redis.call('ZSCORE', k.admitted, userId)
  if pass then
    passExpiresAt = pass
    status = (tonumber(pass) > now) and 'admitted' or 'expired'
  else
    rank = redis.call('ZRANK', k.queue, userId)
    place = redis.call('ZSCORE', k.queue, userId) or ''
    if not rank or not event[1] or event[1] == 'closed' or event[1] == 'cancelled' then
      status, rank = 'closed', rank or -1
    elseif state[3] == '1' then
      status = 'sold_out'
    end
  end
  return {status, rank, joinedAt, passExpiresAt, waiting, admitted, string.format('%.3f', rate),
    place, event[3] and '1' or ''}
end
