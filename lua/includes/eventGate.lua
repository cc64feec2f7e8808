--- The refusal for a change to a hold of the event whose hash is `eventKey`, or nil when
--- it may go ahead: {-8} no such event, so no such hold (an event hash only goes missing
--- in a total loss, and then its holds are gone too until the verifier restores both);
--- {-16} the event is fenced (see fence.lua).
local function eventGate(eventKey)
  local event = redis.call('HMGET', eventKey, 'verifiedBoot', 'status')
  if not event[2] then return {-8} end
  if fenced(event[1], event[2]) then return {-16} end
  return nil
end
