--- The answer to a confirm whose Idempotency-Key was seen before, or nil when it was not
--- (or no key was sent: fingerprint ''). The record is '<outcome>|<fingerprint>':
--- {-7} the key came with another body, {-15} its payment failed, {2, ...hold} confirmed.
local function confirmReplay(idemKey, fingerprint, h)
  if fingerprint == '' then return nil end
  local record = redis.call('GET', idemKey)
  if not record then return nil end
  local bar = string.find(record, '|', 1, true)
  if not bar or string.sub(record, bar + 1) ~= fingerprint then return {-7} end
  if string.sub(record, 1, bar - 1) == 'payment_failed' then return {-15} end
  return holdReply(2, h)
end
