-- Runs an Argo CD health script the way Argo CD does: the resource as the global `obj`, the chunk's return
-- value as the health status. Usage: lua5.1 run-health.lua health.lua < object.lua
-- stdin holds the object as a Lua table constructor (converted from YAML by the ava test).
local script = assert(arg[1], "usage: lua5.1 run-health.lua <health.lua> < object")
obj = assert(loadstring("return " .. io.read("*a")))()
local hs = assert(loadfile(script))()
io.write(tostring(hs.status), "\n", tostring(hs.message), "\n")
