-- One fixed request, built once per thread (no Lua on the per-request path).
-- Arguments after `--`: METHOD PATH TOKEN [JSON_BODY]   (an empty TOKEN sends no token)
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "report.lua")

function init(args)
  wrk.method = args[1]
  wrk.path = args[2]
  if args[3] ~= "" then
    wrk.headers["X-Vault-Token"] = args[3]
  end
  if args[4] then
    wrk.body = args[4]
    wrk.headers["Content-Type"] = "application/json"
  end
end
