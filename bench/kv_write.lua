-- KV v2 writes to keys chosen at random among KEY_COUNT, each a fresh version.
-- Arguments after `--`: PATH_PREFIX KEY_COUNT TOKEN JSON_BODY
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "report.lua")

local reqs = {}
local n = 0

function init(args)
  n = tonumber(args[2])
  local headers = { ["X-Vault-Token"] = args[3], ["Content-Type"] = "application/json" }
  for i = 0, n - 1 do
    reqs[i + 1] = wrk.format("POST", args[1] .. i, headers, args[4])
  end
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

function request()
  return reqs[math.random(n)]
end
