--[[
  eventView: everything a crowd asks about an event, in one read: its sale state, the live
  stock of every category and the waiting room's admission state. Each api process keeps
  the answer in memory (api/event-views.ts) and serves polls, sold-out refusals and streams
  from it; it reads again when a change is pushed on the event's shard channel, or when its
  copy is old. Reads only.

  KEYS[1] event        {ev:E}:event         hash: status, holdTtl, perUserLimit, verifiedBoot,
                                            waitingRoom, admitPerSecond, openedAt,
                                            presaleEndsAt, challengeMax
  KEYS[2] categories   {ev:E}:cats          set of the event's category ids
  KEYS[3] queue        {ev:E}:queue         zset: waiting user → place
  KEYS[4] state        {ev:E}:queue:state   hash: admitted, firstAdmitAt, soldOut

  ARGV[1] categoryKey  {ev:E}:cat:          the category hashes' common name (see
                                            availability-2.lua: same tag, same slot)

  Returns {} for an unknown event, else
    {status, holdTtl, perUserLimit, fenced ('1'|''), waitingRoom ('1'|''), opened ('1'|''),
     admitPerSecond, admittedTotal, firstAdmitAt ('' before the first admission),
     soldOut ('1'|''), waiting, now (ms), presaleEndsAt (ms, 0 for none),
     challengeMax (0 for none),
     then per category: id, name, capacity, held, confirmed, perUserLimit ('' when none)}
]]
--- @include "appendCategories"
--- @include "nowMs"
--- @include "fence"

local eventKey, categoriesKey, queueKey, stateKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local event = redis.call('HMGET', eventKey, 'status', 'holdTtl', 'perUserLimit', 'verifiedBoot',
  'waitingRoom', 'openedAt', 'admitPerSecond', 'presaleEndsAt', 'challengeMax')
if not event[1] then
  return {}
end

local room = event[5] == '1'
local state = room and redis.call('HMGET', stateKey, 'admitted', 'firstAdmitAt', 'soldOut') or {}
local reply = {
  event[1], event[2] or '', event[3] or '',
  fenced(event[4], event[1]) and '1' or '',
  room and '1' or '',
  event[6] and '1' or '',
  tonumber(event[7]) or 0,
  tonumber(state[1]) or 0,
  state[2] or '',
  state[3] == '1' and '1' or '',
  room and redis.call('ZCARD', queueKey) or 0,
  nowMs(),
  tonumber(event[8]) or 0,
  tonumber(event[9]) or 0,
}
return appendCategories(reply, categoriesKey, ARGV[1])
