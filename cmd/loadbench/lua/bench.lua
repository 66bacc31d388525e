-- bench.lua: the wrk script of every loadbench run. Arguments after "--":
--   1: the expected status
--   2: "check" to count answers with another status (the response hook costs
--      the client time, so only warm-up runs use it), anything else to skip it
--   3: empty: the same request on every connection (wrk builds it once from
--      the URL and the -H headers); otherwise LSA1 signed requests, each with
--      its own nonce, pre-signed by loadbench (the signature needs
--      HMAC-SHA256, which wrk's Lua lacks): thread N reads the file PREFIX.N:
--        line 1: X-Auth-Date value
--        line 2: nonce prefix (request i sends nonce prefix .. i, i from 1)
--        line 3: Authorization value up to "Signature="
--        then the lower-case hex signatures, 64 bytes each, no separator
-- When a thread has sent every pre-signed request it starts again at the
-- first (the verifier then answers 401: replay) and counts it in "wrapped".
threads = {}
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

unexpected = 0
first = 0
wrapped = 0

local head, nprefix, apre, blob, n
local i = 0

function init(args)
  want = tonumber(args[1])
  if args[2] ~= "check" then
    response = nil
  end
  if args[3] == nil or args[3] == "" then
    request = nil
    return
  end
  local f = assert(io.open(args[3] .. "." .. id, "rb"))
  local data = f:read("*a")
  f:close()
  local e1 = assert(string.find(data, "\n", 1, true))
  local e2 = assert(string.find(data, "\n", e1 + 1, true))
  local e3 = assert(string.find(data, "\n", e2 + 1, true))
  local date = string.sub(data, 1, e1 - 1)
  nprefix = string.sub(data, e1 + 1, e2 - 1)
  apre = string.sub(data, e2 + 1, e3 - 1)
  blob = string.sub(data, e3 + 1)
  n = math.floor(#blob / 64)
  -- wrk.format ends the head with an empty line; the per-request headers
  -- go before it.
  local req = wrk.format(nil, nil, nil, nil)
  head = string.sub(req, 1, -3) .. "X-Auth-Date: " .. date .. "\r\nX-Auth-Nonce: " .. nprefix
end

function request()
  i = i + 1
  if i > n then
    i = 1
    wrapped = wrapped + 1
  end
  local off = (i - 1) * 64
  return head .. i .. "\r\nAuthorization: " .. apre .. string.sub(blob, off + 1, off + 64) .. "\r\n\r\n"
end

function response(status, headers, body)
  if status ~= want then
    unexpected = unexpected + 1
    if first == 0 then first = status end
  end
end

function done(summary, latency, requests)
  local u, f, w = 0, 0, 0
  for _, t in ipairs(threads) do
    u = u + t:get("unexpected")
    w = w + t:get("wrapped")
    if f == 0 then f = t:get("first") end
  end
  io.write(string.format("loadbench: unexpected=%d first=%d wrapped=%d duration_us=%d\n", u, f, w, summary.duration))
end
