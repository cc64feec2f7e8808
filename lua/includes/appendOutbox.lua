--- `n` as an integer string; a string is one already (a caller that formatted it once,
--- placeHold.lua, sends it as it is: each format is a call of its own).
local function intText(n)
  if type(n) == 'string' then return n end
  return int(n)
end

--- Appends one hold change to the event's outbox stream (SPEC §6 fields), in the same
--- atomic step as the change itself. The relay publishes it to Kafka.
--- `hold` is the hold's fields after the change (its numbers as numbers or integer
--- strings), `atMs` the change's time; `type` is e.g. reservation.held; a hold placed with
--- a waiting room's pass carries its id (`queuePass`), a seated one its seat ids (`seats`,
--- comma-separated: SPEC §8); a change made by a traced request carries its W3C
--- `traceparent` (the relay continues the trace from it) and the request's id (`requestId`:
--- the relay's and the consumers' log lines name the request). Untraced changes carry
--- neither: nothing per change would read them.
--- Every change also takes the event's next change number (`eventSeq`, kept in the event
--- hash): the durable record remembers the highest one it holds, so a Redis that comes
--- back with a lower one has lost changes the record knows (see fence.lua).
--- It is also published on the event's shard channel (the event hash's name, so the
--- event's slot): the api's availability streams listen there (api/availability-stream.ts).
--- SPUBLISH, not PUBLISH: on a Redis Cluster a PUBLISH crosses the bus to every node, a
--- sharded one stays with the shard that holds the event. `quiet`: the caller publishes
--- once for a group of changes (reserveBatch-n.lua).
local function appendOutbox(eventKey, outboxKey, type, hold, atMs, quiet)
  hold.eventSeq = redis.call('HINCRBY', eventKey, 'changeSeq', 1)
  local fields = {
    'type', type,
    'reservationId', hold.id,
    'eventId', hold.eventId,
    'categoryId', hold.categoryId,
    'userId', hold.userId,
    'quantity', intText(hold.quantity),
    'at', intText(atMs),
    'seq', intText(hold.seq),
    'expiresAt', intText(hold.expiresAt),
    'eventSeq', int(hold.eventSeq)}
  if hold.queuePass then
    fields[#fields + 1] = 'queuePass'
    fields[#fields + 1] = hold.queuePass
  end
  if hold.seats then
    fields[#fields + 1] = 'seats'
    fields[#fields + 1] = hold.seats
  end
  if hold.traceparent and hold.traceparent ~= '' then
    fields[#fields + 1] = 'traceparent'
    fields[#fields + 1] = hold.traceparent
  end
  if hold.requestId and hold.requestId ~= '' then
    fields[#fields + 1] = 'requestId'
    fields[#fields + 1] = hold.requestId
  end
  redis.call('XADD', outboxKey, '*', unpack(fields))
  if not quiet then redis.call('SPUBLISH', eventKey, hold.eventSeq) end
end
