--- The reply for a hold: {code, id, eventId, categoryId, userId, quantity, status,
--- expiresAt, createdAt, confirmedAt, endedAt, seq, eventSeq, seats}; absent times are '',
--- eventSeq (the event's change number of this change) is '' when nothing changed, and
--- seats (a seated hold's seat ids, comma-separated) '' for a hold by count.
local function holdReply(code, h)
  return {code, h.id, h.eventId, h.categoryId, h.userId, int(h.quantity), h.status,
    int(h.expiresAt), int(h.createdAt), h.confirmedAt or '', h.endedAt or '', int(h.seq),
    h.eventSeq and int(h.eventSeq) or '', h.seats or ''}
end
