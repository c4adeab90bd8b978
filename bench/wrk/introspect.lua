-- wrk: POST token=<WRK_TOKEN> to an RFC 7662 introspection endpoint with the
-- client's Authorization header (WRK_AUTH); prints how many answers were not
-- {"active":true}, so a benchmark of refusals cannot pass for one of answers.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = os.getenv("WRK_AUTH")
wrk.body = "token=" .. assert(os.getenv("WRK_TOKEN"), "WRK_TOKEN is required")
local threads = {}
function setup(thread) threads[#threads + 1] = thread end
inactive = 0
function response(status, headers, body)
  if status ~= 200 or not body:find('"active":true', 1, true) then inactive = inactive + 1 end
end
function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + t:get("inactive") end
  io.write(string.format("introspection: inactive=%d\n", n))
end
