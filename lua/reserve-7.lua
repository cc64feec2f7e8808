--[[
  reserve: places a hold on a category's stock for a user, with a TTL
  (includes/reserveHold.lua, which reserveBatch-n.lua runs for a group).
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
  ARGV[10] traceparent optional: the W3C traceparent of a traced request's span, written
                       into the outbox entry (absent or '' for an untraced one)
  ARGV[11] requestId   optional, with a traceparent: the traced request's id, written into
                       the outbox entry beside it

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
--- @include "reserveHold"

return reserveHold(
  { event = KEYS[1], category = KEYS[2], user = KEYS[3], hold = KEYS[4], expiry = KEYS[5],
    outbox = KEYS[6], idem = KEYS[7] },
  { holdId = ARGV[1], eventId = ARGV[2], categoryId = ARGV[3], userId = ARGV[4],
    quantity = ARGV[5], fingerprint = ARGV[6], idemTtlMs = ARGV[7], defaultTtl = ARGV[8],
    queuePass = ARGV[9], traceparent = ARGV[10], requestId = ARGV[11] },
  false, {})
