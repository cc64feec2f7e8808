--- @include "fence"
--- @include "eventGate"
--- @include "readHold"
--- @include "ownHold"
--- @include "holdReply"
--- @include "confirmReplay"
--- The hold a payment step (beginConfirm, confirm, failPayment) works on, or the answer to
--- give instead: the event's gate, the owner's hold, a replayed Idempotency-Key, a sale
--- already made ({2, ...hold}: confirming twice returns the sale) or an expired hold ({-10}).
local function paymentHold(keyBase, holdKey, userId, idemKey, fingerprint)
  local gate = eventGate(keyBase .. 'event')
  if gate then return nil, gate end
  local h, refusal = ownHold(holdKey, userId)
  if not h then return nil, refusal end
  local replay = confirmReplay(idemKey, fingerprint, h)
  if replay then return nil, replay end
  if h.status == 'confirmed' then return nil, holdReply(2, h) end
  if h.status == 'expired' then return nil, {-10} end
  return h, nil
end
