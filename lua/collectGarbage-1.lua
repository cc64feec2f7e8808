--[[
  collectGarbage: a full cycle of the Lua garbage collector of the Redis that holds
  KEYS[1], after a script that left much in Lua (setSeatMap-5.lua: every seat id of a
  map, as its arguments and as the places it wrote). Lua collects in steps paced by what
  later scripts allocate, inside whichever script allocates, so otherwise the holds that
  follow a seeding would pay for it, a little each. The arguments of the script before
  are garbage only once another script runs: this one.

  KEYS[1] any key of the event  (only where the call goes: the event's node)

  Returns {1}. Changes nothing.
]]
collectgarbage('collect')
return {1}
