-- Shared by invoke.lua and enumerate.lua: request headers, the optional
-- response check, and a machine-readable summary line.
--
-- wrk runs this file in its main Lua state (setup, done) and once more in
-- each thread's state (init, request, response), so anything a thread
-- counts is read back in done() through thread:get().
--
-- Environment:
--   BENCH_CHECK=1   check every response body with check_body() (set by
--                   bench/run.sh for the warm-up only: reading bodies in Lua
--                   costs client CPU the measured runs must not pay).

soap_headers = {
	["Content-Type"] = "application/soap+xml;charset=UTF-8",
	["Authorization"] = "Basic bGFiOmxhYg==",	-- lab:lab
	["User-Agent"] = "dpsim-bench (wrk)",
}

local threads = {}
local next_id = 0

function setup(thread)
	thread:set("thread_id", next_id)
	next_id = next_id + 1
	table.insert(threads, thread)
end

checked = 0
bad = 0
first_bad = nil

-- Scripts define check_body(body) -> true when the answer is the expected
-- one.  Only hook response() when asked: defining it makes wrk keep headers
-- and bodies for every response.
if os.getenv("BENCH_CHECK") == "1" then
	function response(status, headers, body)
		checked = checked + 1
		if status ~= 200 or not check_body(body) then
			bad = bad + 1
			if first_bad == nil then
				first_bad = "HTTP " .. status .. ": " ..
					(body or ""):sub(1, 600):gsub("%s+", " ")
			end
		end
	end
end

-- One line for bench/run.sh to parse; times in milliseconds.
function done(summary, latency, requests)
	local e = summary.errors
	local secs = summary.duration / 1e6
	local n_checked, n_bad, sample = 0, 0, nil

	for _, t in ipairs(threads) do
		n_checked = n_checked + (t:get("checked") or 0)
		n_bad = n_bad + (t:get("bad") or 0)
		sample = sample or t:get("first_bad")
	end
	io.write(string.format(
		"BENCH requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f " ..
		"p99_ms=%.3f max_ms=%.3f non2xx=%d connect_err=%d " ..
		"read_err=%d write_err=%d timeouts=%d checked=%d bad=%d\n",
		summary.requests, secs,
		secs > 0 and summary.requests / secs or 0,
		latency:percentile(50) / 1000, latency:percentile(99) / 1000,
		latency.max / 1000, e.status, e.connect, e.read, e.write,
		e.timeout, n_checked, n_bad))
	if sample then
		io.write("BENCH first_bad ", sample, "\n")
	end
end
