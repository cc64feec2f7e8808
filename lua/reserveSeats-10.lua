--[[
  reserveSeats: places a hold on seats of a seated category (SPEC §8): exactly the seats
  asked for, all or none, or the best `quantity` adjacent seats in one row (front rows
  first, then nearest the row's middle). The same checks as reserve-7.lua
  (includes/reserveChecks.lua: fence, sale state, queue pass, per-user limits,
  Idempotency-Key), then the seats; the seats are marked held in the same step as the
  hold, which keeps them (`seats`, `seatPos`) so its end frees exactly them.

  KEYS[1] event     {ev:E}:event       KEYS[2] category  {ev:E}:cat:C   (seated, rows, noGaps)
  KEYS[3] user      {ev:E}:user:U      KEYS[4] hold      {ev:E}:hold:H
  KEYS[5] expiry    {ev:E}:expiry      KEYS[6] outbox    {ev:E}:outbox
  KEYS[7] idem      {ev:E}:idem:U:K    KEYS[8] seats     {ev:E}:seats:C  one byte per seat
  KEYS[9] seatPos   {ev:E}:seatpos:C   hash: seat id -> '<position>:<row>'
  KEYS[10] seatIds  {ev:E}:seatid:C    hash: position -> seat id

  ARGV[1..9] as reserve-7.lua's (holdId, eventId, categoryId, userId, quantity,
             fingerprint, idemTtlMs, defaultTtl, queuePass); quantity = the seats' number
  ARGV[10] holdBase   {ev:E}:hold: — names the original hold of a replayed key
  ARGV[11] mode       'seats' | 'adjacent', or either with ':traced' for a traced request:
             then ARGV[12] its W3C traceparent and ARGV[13] its request id, written into
             the outbox entry (as reserve-7.lua's ARGV[10], ARGV[11]); untraced, neither
  ARGV[12..] (ARGV[14..] traced) the seat ids ('seats' mode), none twice

  Returns
    {1, holdId, expiresAt, createdAt, seatIds}   placed (seat ids comma-separated)
    {2, holdId, expiresAt, createdAt, seatIds}   the same key and body again: the original
    reserve-7.lua's refusals, and {-21} the category is not seated
    {-5, 0} no seat left at all ('adjacent')     {-22, seatId, ...} seats taken or blocked
    {-23, seatId, ...} seat ids the map does not have
    {-24} no row has `quantity` adjacent seats   {-25} a lone empty seat would be left
]]
--- @include "reserveChecks"
--- @include "placeHold"
--- @include "setSeats"
--- @include "exactSeats"
--- @include "adjacentSeats"

local k = { event = KEYS[1], category = KEYS[2], user = KEYS[3], hold = KEYS[4], expiry = KEYS[5],
  outbox = KEYS[6], idem = KEYS[7], seats = KEYS[8], seatPos = KEYS[9], seatIds = KEYS[10],
  holdBase = ARGV[10] }
local a = { holdId = ARGV[1], eventId = ARGV[2], categoryId = ARGV[3], userId = ARGV[4],
  quantity = ARGV[5], fingerprint = ARGV[6], idemTtlMs = ARGV[7], defaultTtl = ARGV[8],
  queuePass = ARGV[9] or '' }
local mode = ARGV[11]
local first = 12
if mode == 'seats:traced' or mode == 'adjacent:traced' then
  mode = string.sub(mode, 1, -8)
  a.traceparent, a.requestId = ARGV[12], ARGV[13]
  first = 14
end
local ids = { unpack(ARGV, first) }
local quantity = tonumber(a.quantity)
if k.holdBase == nil or k.holdBase == '' or (mode ~= 'seats' and mode ~= 'adjacent')
  or (mode == 'seats' and #ids ~= quantity) or (mode == 'adjacent' and #ids > 0) then
  return {-1}
end

local checked, refusal = reserveChecks(k, a, true)
if not checked then return refusal end

local seats
if mode == 'seats' then
  seats, refusal = exactSeats(k, ids, checked.noGaps)
  if not seats then return refusal end
else
  if checked.available == 0 then return {-5, 0} end
  local rows = redis.call('HGET', k.category, 'rows')
  local start, row
  start, row, refusal = adjacentSeats(k.seats, rows, quantity, checked.noGaps)
  if not start then return refusal end
  local positions, seatRows = {}, {}
  for i = 1, quantity do positions[i], seatRows[i] = tostring(start + i - 1), row end
  local found = redis.call('HMGET', k.seatIds, unpack(positions))
  seats = { ids = table.concat(found, ','), positions = table.concat(positions, ','),
    list = positions, rows = seatRows }
end

-- The seats' version is counted by placeHold, with the held count.
setSeatList(k.seats, k.category, seats.list, seats.rows, 'h', -1)
local expiresAt, createdAt = placeHold(k, a, checked, false, seats)
return {1, a.holdId, expiresAt, createdAt, seats.ids}
