-- wrk script: GET /allocations/<orderid> over a fixed set of allocated orders
-- (BENCH_ORDERS of them, named <BENCH_PREFIX>-1 .. -N), round robin.
local n = tonumber(os.getenv("BENCH_ORDERS") or "1000")
local prefix = os.getenv("BENCH_PREFIX") or "get"
local i = 0

function request()
	i = i % n + 1
	return wrk.format("GET", "/allocations/" .. prefix .. "-" .. i)
end

local failures = 0
function response(status, headers, body)
	if status ~= 200 then
		failures = failures + 1
		if failures <= 3 then
			io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n")
		end
	end
end

function done(summary, latency, requests)
	io.write(string.format("requests/s: %.0f\n", summary.requests / (summary.duration / 1e6)))
	io.write(string.format("p50_ms: %.3f\n", latency:percentile(50) / 1000))
	io.write(string.format("p99_ms: %.3f\n", latency:percentile(99) / 1000))
	io.write(string.format("non_2xx: %d\n", summary.errors.status))
	io.write(string.format("socket_errors: %d\n", summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
