-- wrk script: AdminService POST of SetDPMaintenanceMode, rotating over the
-- lab's DPs and flipping Mode each time round as invoke.lua does, so each
-- request commits a change.
--
-- Usage: wrk -t T -c C -s bench/rest_post.lua http://HOST:PORT -- T

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")

local lab_dps = {
	{ "DP01.contoso.com", 0 },
	{ "DP02.contoso.com", 1 },
	{ "PULLDP01.contoso.com", 0 },
	{ "PXE01.contoso.com", 0 },
	{ "DP03.branch.contoso.com", 0 },
}
local headers = {
	["Authorization"] = soap_headers["Authorization"],
	["Content-Type"] = "application/json",
	["Accept"] = "application/json",
	["User-Agent"] = "dpsim-bench (wrk)",
}
local path = "/AdminService/wmi/SMS_DistributionPointInfo.SetDPMaintenanceMode"

-- The NAL path as a JSON string: each backslash doubled, quotes escaped.
local function nal_json(fqdn)
	return '[\\"Display=\\\\\\\\' .. fqdn .. '\\\\\\"]MSWNET:[\\"SMS_SITE=PS1\\"]\\\\\\\\' ..
		fqdn .. '\\\\'
end

local reqs = {}
local next_req = 1

function init(args)
	local nthreads = tonumber(args[1]) or 1
	local id = thread_id or 0
	local mine = {}

	for i, dp in ipairs(lab_dps) do
		if (i - 1) % nthreads == id then
			table.insert(mine, dp)
		end
	end
	if #mine == 0 then
		mine = lab_dps
	end
	for pass = 0, 1 do
		for _, dp in ipairs(mine) do
			local mode = (dp[2] + 1 + pass) % 2
			table.insert(reqs, wrk.format("POST", path, headers,
				'{"NALPath": "' .. nal_json(dp[1]) .. '", "Mode": ' .. mode .. '}'))
		end
	end
end

function request()
	local r = reqs[next_req]
	next_req = next_req % #reqs + 1
	return r
end

function check_body(body)
	return body ~= nil and body:find('"ReturnValue":0', 1, true) ~= nil
end
