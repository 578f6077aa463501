-- One new application per request: a fresh Idempotency-Key and node, so every request is a real write.
-- Set by the caller: PATH, KEY (API key, may be empty), BODY (JSON with the placeholder NODE_ID).
local counter = 0
local thread_tag

function setup(thread)
  thread:set("tag", tostring(math.random(1, 1e9)))
end

function init(args)
  thread_tag = tag .. "-" .. tostring(os.time())
end

request = function()
  counter = counter + 1
  local id = thread_tag .. "-" .. counter
  local headers = {["Content-Type"] = "application/json", ["Idempotency-Key"] = id}
  if os.getenv("KEY") ~= "" then headers["Authorization"] = "Bearer " .. os.getenv("KEY") end
  local body = string.gsub(os.getenv("BODY"), "NODE_ID", "N-" .. id)
  return wrk.format("POST", os.getenv("PATH_"), headers, body)
end
