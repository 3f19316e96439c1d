-- wrk script: SetDPMaintenanceMode (WS-Man Invoke, the pywinrm wire form)
-- on SMS_DistributionPointInfo, rotating over the lab's DPs and flipping
-- Mode each time round, so requests change state and commit.
--
-- Usage: wrk -t T -c C -s bench/invoke.lua URL -- T
-- (the trailing T lets each thread take its own share of the DPs: with
-- disjoint shares two threads never race on one DP, and with one
-- connection every request is a real 0->1 or 1->0 change.)

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")

-- The lab fixture's DPs (fixtures/lab.xml) and their initial
-- MaintenanceMode.  The cloud DP is left out on purpose: maintenance mode
-- is an on-premises DP feature.
local lab_dps = {
	{ "DP01.contoso.com", 0 },
	{ "DP02.contoso.com", 1 },
	{ "PULLDP01.contoso.com", 0 },
	{ "PXE01.contoso.com", 0 },
	{ "DP03.branch.contoso.com", 0 },
}

local class_uri = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/sms/" ..
	"site_PS1/SMS_DistributionPointInfo"

-- ["Display=\\FQDN\"]MSWNET:["SMS_SITE=PS1"]\\FQDN\
local function nal_path(fqdn)
	return '["Display=\\\\' .. fqdn .. '\\"]MSWNET:["SMS_SITE=PS1"]\\\\' ..
		fqdn .. '\\'
end

local function envelope(fqdn, mode, n)
	return '<?xml version="1.0" encoding="utf-8"?>\n' ..
	'<env:Envelope xmlns:xsd="http://www.w3.org/2001/XMLSchema"' ..
	' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"' ..
	' xmlns:env="http://www.w3.org/2003/05/soap-envelope"' ..
	' xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"' ..
	' xmlns:b="http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd"' ..
	' xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration"' ..
	' xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer"' ..
	' xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"' ..
	' xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"' ..
	' xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"' ..
	' xmlns:cfg="http://schemas.microsoft.com/wbem/wsman/1/config">' ..
	'<env:Header><a:To>http://windows-host:5985/wsman</a:To>' ..
	'<a:ReplyTo><a:Address mustUnderstand="true">' ..
	'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous' ..
	'</a:Address></a:ReplyTo>' ..
	'<w:MaxEnvelopeSize mustUnderstand="true">153600</w:MaxEnvelopeSize>' ..
	string.format('<a:MessageID>uuid:d7410c22-949e-40b3-b952-%012d' ..
		'</a:MessageID>', n) ..
	'<w:Locale mustUnderstand="false" xml:lang="en-US"></w:Locale>' ..
	'<p:DataLocale mustUnderstand="false" xml:lang="en-US"></p:DataLocale>' ..
	'<w:OperationTimeout>PT20S</w:OperationTimeout>' ..
	'<w:ResourceURI mustUnderstand="true">' .. class_uri ..
	'</w:ResourceURI>' ..
	'<a:Action mustUnderstand="true">' .. class_uri ..
	'/SetDPMaintenanceMode</a:Action></env:Header>' ..
	'<env:Body><p:SetDPMaintenanceMode_INPUT xmlns:p="' .. class_uri .. '">' ..
	'<p:NALPath>' .. nal_path(fqdn) .. '</p:NALPath>' ..
	'<p:Mode>' .. mode .. '</p:Mode>' ..
	'</p:SetDPMaintenanceMode_INPUT></env:Body></env:Envelope>'
end

local reqs = {}
local next_req = 1

-- Build this thread's requests once: its DPs each flipped away from the
-- fixture's initial mode, then each flipped back.  request() only cycles.
function init(args)
	local nthreads = tonumber(args[1]) or 1
	local id = thread_id or 0
	local mine = {}

	for i, dp in ipairs(lab_dps) do
		if (i - 1) % nthreads == id then
			table.insert(mine, dp)
		end
	end
	if #mine == 0 then	-- more threads than DPs: share them all
		mine = lab_dps
	end
	for pass = 0, 1 do
		for _, dp in ipairs(mine) do
			local mode = (dp[2] + 1 + pass) % 2
			table.insert(reqs, wrk.format("POST", nil, soap_headers,
				envelope(dp[1], mode, id * 1000 + #reqs)))
		end
	end
end

function request()
	local r = reqs[next_req]
	next_req = next_req % #reqs + 1
	return r
end

function check_body(body)
	return body ~= nil and body:find("ReturnValue>0</", 1, true) ~= nil and
		body:find("Fault", 1, true) == nil
end
