-- KV v2 reads spread over many keys, chosen at random; requests are formatted once in
-- init so the per-request Lua cost is one table lookup.
-- Arguments after `--`: PATH_PREFIX KEY_COUNT TOKEN   (reads PATH_PREFIX0 .. PATH_PREFIX<N-1>)
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "report.lua")

local reqs = {}
local n = 0

function init(args)
  n = tonumber(args[2])
  local headers = { ["X-Vault-Token"] = args[3] }
  for i = 0, n - 1 do
    reqs[i + 1] = wrk.format("GET", args[1] .. i, headers)
  end
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

function request()
  return reqs[math.random(n)]
end
