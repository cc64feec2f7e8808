--- Whether an event's holds must not change now. Redis sets LASTSAVE when it boots, so a
--- Redis that restarted (perhaps with the last second of its writes lost) no longer
--- matches the `verifiedBoot` the verifier (reaper/verifier.ts) wrote after comparing the
--- event with the durable record; until it does again, nothing is sold or changed on a
--- stock that may be stale. An event being rebuilt is fenced too.
--- `verifiedBoot` and `status` are the event hash's fields (nil when it has none).
local function fenced(verifiedBoot, status)
  return status == 'rebuilding' or verifiedBoot ~= tostring(redis.call('LASTSAVE'))
end
