--- The reply for a hold: {code, id, eventId, categoryId, userId, quantity, status,
--- expiresAt, createdAt, confirmedAt, endedAt, seq}; absent times are ''.
local function holdReply(code, h)
  return {code, h.id, h.eventId, h.categoryId, h.userId, int(h.quantity), h.status,
    int(h.expiresAt), int(h.createdAt), h.confirmedAt or '', h.endedAt or '', int(h.seq)}
end
