-- wrk script: WS-Man Get of one SMS_DistributionPointInfo instance (DP01)
-- by its NALPath selector, the Go winrm wire form.  Read-only; the row the
-- dashboard-under-load run watches.
--
-- Usage: wrk -t T -c C -s bench/get.lua URL

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")

local class_uri = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/sms/" ..
	"site_PS1/SMS_DistributionPointInfo"

wrk.method = "POST"
wrk.headers = soap_headers
wrk.body = '<?xml version="1.0" encoding="utf-8" ?>\n' ..
	'<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"' ..
	' xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"' ..
	' xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">' ..
	'<env:Header><a:To>http://127.0.0.1:5985/wsman</a:To>\n' ..
	'<w:ResourceURI env:mustUnderstand="true">' .. class_uri ..
	'</w:ResourceURI>\n' ..
	'<a:ReplyTo><a:Address env:mustUnderstand="true">' ..
	'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous' ..
	'</a:Address>\n</a:ReplyTo>\n' ..
	'<a:Action env:mustUnderstand="true">' ..
	'http://schemas.xmlsoap.org/ws/2004/09/transfer/Get</a:Action>\n' ..
	'<w:MaxEnvelopeSize env:mustUnderstand="true">153600</w:MaxEnvelopeSize>\n' ..
	'<a:MessageID>uuid:00000000-0000-0000-0000-000000000099</a:MessageID>\n' ..
	'<w:OperationTimeout>PT60S</w:OperationTimeout>\n' ..
	'<w:SelectorSet><w:Selector Name="NALPath">' ..
	'["Display=\\\\DP01.contoso.com\\"]MSWNET:["SMS_SITE=PS1"]' ..
	'\\\\DP01.contoso.com\\</w:Selector>\n' ..
	'<w:Selector Name="ResourceType">Windows NT Server</w:Selector>\n' ..
	'<w:Selector Name="SiteCode">PS1</w:Selector>\n</w:SelectorSet>\n' ..
	'</env:Header>\n<env:Body/></env:Envelope>\n'

function check_body(body)
	return body ~= nil and body:find("DP01.contoso.com", 1, true) ~= nil and
		body:find("MaintenanceMode>", 1, true) ~= nil and
		body:find("Fault", 1, true) == nil
end
