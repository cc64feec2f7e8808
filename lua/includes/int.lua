--- Formats a number as an integer string (tostring would write 1.7e+12 for big ones).
local function int(n)
  return string.format('%d', n)
end
