--- The hold at `holdKey` when `userId` owns it; otherwise nil and the refusal to return:
--- {-8} no such hold, {-9} someone else's (which the API shows as the same 404).
local function ownHold(holdKey, userId)
  local h = readHold(holdKey)
  if not h then return nil, {-8} end
  if h.userId ~= userId then return nil, {-9} end
  return h, nil
end
