--- Appends one hold change to the event's outbox stream (SPEC §6 fields), in the same
--- atomic step as the change itself. The relay publishes it to Kafka.
--- `hold` is the hold's fields after the change; `type` is e.g. reservation.held.
local function appendOutbox(outboxKey, type, hold, atMs)
  redis.call('XADD', outboxKey, '*',
    'type', type,
    'reservationId', hold.id,
    'eventId', hold.eventId,
    'categoryId', hold.categoryId,
    'userId', hold.userId,
    'quantity', int(hold.quantity),
    'at', int(atMs),
    'seq', int(hold.seq),
    'expiresAt', int(hold.expiresAt))
end
