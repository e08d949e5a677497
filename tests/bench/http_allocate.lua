-- wrk script: POST /allocate with a unique orderid per request.
-- Each wrk thread gets its own prefix so orderids never repeat across threads;
-- BENCH_RUN (default empty) starts every prefix, so that several wrk processes
-- started in the same second never repeat each other's orderids either.
-- SKUs come from the environment: BENCH_SKU (default "BENCH-SKU") alone, or
-- with BENCH_SKUS=N > 1 the N skus BENCH_SKU-1 .. BENCH_SKU-N in turn.
local counter = 0
prefix = "t" -- a global: setup()'s thread:set gives each thread its own
local run = os.getenv("BENCH_RUN") or ""
local sku = os.getenv("BENCH_SKU") or "BENCH-SKU"
local skus = tonumber(os.getenv("BENCH_SKUS") or "1")
-- BENCH_SERVERS="HOST:PORT HOST:PORT ...": wrk's threads connect to these
-- servers in turn (thread i to server i mod n) instead of the URL's, so that
-- one wrk run (and one latency histogram) spreads over several processes.
local threads = {}
local next_id = 0
local servers = {}
for host, port in string.gmatch(os.getenv("BENCH_SERVERS") or "", "([^%s:]+):(%d+)") do
	table.insert(servers, wrk.lookup(host, port)[1])
end

function setup(thread)
	if #servers > 0 then
		thread.addr = servers[next_id % #servers + 1]
	end
	thread:set("prefix", run .. "w" .. next_id .. "-" .. os.time())
	next_id = next_id + 1
	table.insert(threads, thread)
end

function init(args)
	wrk.method = "POST"
	wrk.path = "/allocate"
	wrk.headers["Content-Type"] = "application/json"
end

function request()
	counter = counter + 1
	local s = sku
	if skus > 1 then
		s = sku .. "-" .. (counter % skus + 1)
	end
	local body = string.format('{"orderid":"%s-%d","sku":"%s","qty":1}', prefix, counter, s)
	return wrk.format(nil, nil, nil, body)
end

local failures = 0
accepted = 0 -- 202 answers of this thread (a global, for thread:get)
function response(status, headers, body)
	if status == 202 then
		accepted = accepted + 1
	else
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
	local total = 0
	for _, thread in ipairs(threads) do
		total = total + thread:get("accepted")
	end
	io.write(string.format("accepted_202: %d\n", total))
	io.write(string.format("socket_errors: %d\n", summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
