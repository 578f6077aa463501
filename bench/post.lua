-- One new application per request: a fresh Idempotency-Key and node, so every request is a real write.
-- Set by the caller: PATH_, KEY (API key, may be empty), BODY (JSON with the placeholder NODE_ID, and
-- optionally CREDIT_CODE, replaced by a valid credit code of its own per request: distinct applicants),
-- RUN (one digit telling runs apart, so that their applicants differ too).
local counter = 0
local thread_tag, thread_index
local threads = 0
local ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
local WEIGHTS = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

function setup(thread)
  threads = threads + 1
  thread:set("tag", tostring(math.random(1, 1e9)))
  thread:set("index", threads)
end

function init(args)
  thread_tag = tag .. "-" .. tostring(os.time())
  thread_index = index
end

-- GB 32100-2015: the 18th character checks the first 17.
local function credit_code(first17)
  local sum = 0
  for i = 1, 17 do
    sum = sum + (string.find(ALPHABET, string.sub(first17, i, i), 1, true) - 1) * WEIGHTS[i]
  end
  local check = (31 - sum % 31) % 31
  return first17 .. string.sub(ALPHABET, check + 1, check + 1)
end

request = function()
  counter = counter + 1
  local id = thread_tag .. "-" .. counter
  local headers = {["Content-Type"] = "application/json", ["Idempotency-Key"] = id}
  if os.getenv("KEY") ~= "" then headers["Authorization"] = "Bearer " .. os.getenv("KEY") end
  local body = string.gsub(os.getenv("BODY"), "NODE_ID", "N-" .. id)
  local code = credit_code(string.format("91510%s%02d%09d", os.getenv("RUN") or "0", thread_index, counter))
  body = string.gsub(body, "CREDIT_CODE", code)
  return wrk.format("POST", os.getenv("PATH_"), headers, body)
end
