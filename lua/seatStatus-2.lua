--[[
  seatStatus: a seated category's seats as they are now, one byte each in map order (a
  available, h held, s sold, b blocked), and their version (bumped by every seat change).
  Reads only. A caller that has version `known` gets the version alone: a 304 costs no
  copy of the seats.

  KEYS[1] category  {ev:E}:cat:C    KEYS[2] seats  {ev:E}:seats:C
  ARGV[1] known     the version the caller has ('' for none)

  Returns {} when the category is not seated | {version} unchanged | {version, seats}
]]
local category = redis.call('HMGET', KEYS[1], 'seated', 'seatVersion')
if category[1] ~= '1' then return {} end
local version = category[2] or '0'
if version == ARGV[1] then return {version} end
return {version, redis.call('GET', KEYS[2]) or ''}
