-- wrk script: AdminService GET of one SMS_DistributionPointInfo instance
-- (DP01) by its three keys, as a REST script reads one DP.
--
-- Usage: wrk -t T -c C -s bench/rest_get.lua http://HOST:PORT
-- (the server's root: the script adds /AdminService/wmi/...)

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")

wrk.method = "GET"
wrk.headers = {
	["Authorization"] = soap_headers["Authorization"],
	["Accept"] = "application/json",
	["User-Agent"] = "dpsim-bench (wrk)",
}
-- NALPath '["Display=\\DP01.contoso.com\"]MSWNET:["SMS_SITE=PS1"]\\DP01.contoso.com\'
wrk.path = "/AdminService/wmi/SMS_DistributionPointInfo(" ..
	"NALPath='%5B%22Display%3D%5C%5CDP01.contoso.com%5C%22%5DMSWNET%3A" ..
	"%5B%22SMS_SITE%3DPS1%22%5D%5C%5CDP01.contoso.com%5C'," ..
	"ResourceType='Windows%20NT%20Server',SiteCode='PS1')"

function check_body(body)
	return body ~= nil and body:find('"Name":"DP01.contoso.com"', 1, true) ~= nil and
		body:find('"MaintenanceMode":', 1, true) ~= nil
end
