--- @include "reserveChecks"
--- @include "placeHold"
--- Places one hold by count: every check before the first write (reserveChecks), then the
--- hold, the stock counts, the user's totals, the expiry entry, the outbox entry and the
--- idempotency record together (placeHold). reserve-7.lua runs it once,
--- reserveBatch-n.lua once per request of a group, in order, so a group answers exactly as
--- its requests one by one would.
--- `k`: the keys {event, category, user, hold, expiry, outbox, idem}; `a`: the request
--- {holdId, eventId, categoryId, userId, quantity, fingerprint, idemTtlMs, defaultTtl,
--- queuePass, traceparent and requestId (optional)}; `quiet`: the caller pushes the change to the live
--- channel itself (once for a group); `memo`: a table the calls of one script share (the
--- event's terms, the fence, the clock). Replies as reserve-7.lua documents them.
local function reserveHold(k, a, quiet, memo)
  a.queuePass = a.queuePass or ''
  local checked, refusal = reserveChecks(k, a, false, memo)
  if not checked then return refusal end
  local expiresAt, createdAt = placeHold(k, a, checked, quiet, nil, memo)
  return {1, a.holdId, expiresAt, createdAt}
end
