#!/usr/bin/env bash
# wsl (Dell's "whistle", Debian package wsl: bash + curl + xmllint) against
# a real dpsim: Identify, WQL and SelectorFilter enumerations in every mode
# it has, a static Invoke through an instance EPR with an empty
# SelectorSet, a Get by keys, and the fault on an unknown NAL path.
#
# usage: wsl_scenario.sh [DPSIM]       (or DPSIM_BIN=... ; WSL=/usr/bin/wsl)
#
# wsl's quirks handled here: it writes ~/.wsl-config (HOME is a scratch
# directory), request/response files into the current directory (each
# command gets its own), and the password into ./.wslrun unless
# KEEPHISTORY=0; it defaults to HTTPS on 443 unless WSNOSSL is set and
# the port given.
SCENARIO=wsl
. "$(dirname "$0")/lib.sh"

WSL=${WSL:-$(command -v wsl || true)}
if [ -z "$WSL" ] || [ ! -x "$WSL" ]; then skip "wsl is not installed"; fi
WSL_BIN=$(dirname "$WSL")
for tool in wslenum wslget wslinvoke xmllint curl; do
	command -v "$tool" >/dev/null || [ -x "$WSL_BIN/$tool" ] || skip "$tool is not installed"
done

U=http://schemas.microsoft.com/wbem/wsman/1/wmi/root/sms/site_PS1
WQL=http://schemas.microsoft.com/wbem/wsman/1/WQL
SELECTOR_FILTER=http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter
nal() { printf '["Display=\\\\%s\\"]MSWNET:["SMS_SITE=PS1"]\\\\%s\\' "$1" "$1"; }

dpsim_start "$(dpsim_bin "${1:-}")"

mkdir -p "$WORK/home"
export HOME=$WORK/home KEEPHISTORY=0 WSNOSSL=1 WSENDPOINT=127.0.0.1:$DPSIM_PORT \
	WSUSER=lab WSPASS=lab OUTLEVEL=1
unset FORMATDISPLAY WSENUMOPTIMIZE WSENUMMAXELEM

# run NAME COMMAND [ARG]...: runs a wsl command in $WORK/NAME; sets
# RUN_DIR, RUN_STATUS and RUN_OUT (stdout without wsl's colour codes).
run() {
	local name=$1
	shift
	RUN_DIR=$WORK/$name
	mkdir -p "$RUN_DIR"
	RUN_STATUS=0
	RUN_OUT=$(cd "$RUN_DIR" && PATH=$WSL_BIN:$PATH "$@" </dev/null 2>"$RUN_DIR/stderr") ||
		RUN_STATUS=$?
	RUN_OUT=$(sed 's/\x1b\[[0-9;]*m//g' <<<"$RUN_OUT")
}

# responses: wsl's response files of the last run, in order.
responses() {
	local f
	for f in "$RUN_DIR"/response-*.xml; do
		[ -e "$f" ] && printf '%s\n' "$f"
	done | sort -V
}

# names_modes: "Name=MaintenanceMode " for every DP in the responses of
# the last run, sorted.
names_modes() {
	local f n
	for f in $(responses); do
		n=$(xpath "$f" "count(//*[local-name()='SMS_DistributionPointInfo'])")
		for i in $(seq 1 "$n"); do
			printf '%s=%s\n' \
				"$(xpath "$f" "string((//*[local-name()='SMS_DistributionPointInfo'])[$i]/*[local-name()='Name'])")" \
				"$(xpath "$f" "string((//*[local-name()='SMS_DistributionPointInfo'])[$i]/*[local-name()='MaintenanceMode'])")"
		done
	done | sort | tr '\n' ' '
}

LAB_START="CLOUDDP01.cloudapp.net=0 DP01.contoso.com=0 DP02.contoso.com=1 DP03.branch.contoso.com=0 PULLDP01.contoso.com=0 PXE01.contoso.com=0 "

# 1. Identify (wsl sends credentials, so the product version comes too).
run identify "$WSL" identify check
check_eq "wsl identify: exit status" "$RUN_STATUS" 0
check_eq "wsl identify: ProductVendor" \
	"$(xpath "$RUN_DIR/response.xml" "string(//*[local-name()='ProductVendor'])")" "Microsoft Corporation"
check_eq "wsl identify: ProtocolVersion" \
	"$(xpath "$RUN_DIR/response.xml" "string(//*[local-name()='ProtocolVersion'])")" \
	"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
check_match "wsl identify: ProductVersion (authenticated)" \
	"$(xpath "$RUN_DIR/response.xml" "string(//*[local-name()='ProductVersion'])")" 'Stack: 3\.0'

# 2. WQL without optimization: a context, then one DP per Pull (wsl sends
#    no MaxElements) until a response without a context.
run wql-all wslenum "$U/*" -dialect "$WQL" -filter "SELECT * FROM SMS_DistributionPointInfo"
check_eq "wslenum WQL: exit status" "$RUN_STATUS" 0
check_eq "wslenum WQL: DPs and MaintenanceMode as the lab starts" "$(names_modes)" "$LAB_START"
check_eq "wslenum WQL: Enumerate + Pulls sent" "$(responses | wc -l)" 7
last=$(responses | tail -1)
check_eq "wslenum WQL: last Pull ends the sequence without a context" \
	"$(xpath "$last" "concat(count(//*[local-name()='EndOfSequence']),'/',count(//*[local-name()='EnumerationContext']))")" "1/0"

# 3. The static Invoke: wslinvoke wants an instance EPR, so it gets one
#    whose SelectorSet is empty (wsl_static_epr.xml).
run invoke-dp01 wslinvoke "$U/SMS_DistributionPointInfo" SetDPMaintenanceMode \
	-inst "$CLIENTS_DIR/wsl_static_epr.xml" "NALPath=$(nal DP01.contoso.com)" Mode=1
check_eq "wslinvoke DP01 Mode=1: exit status" "$RUN_STATUS" 0
check_eq "wslinvoke DP01 Mode=1: ReturnValue" \
	"$(xpath "$RUN_DIR/response.xml" "string(//*[local-name()='SetDPMaintenanceMode_OUTPUT']/*[local-name()='ReturnValue'])")" 0
check_match "wslinvoke DP01 Mode=1: printed the _OUTPUT with ReturnValue 0" "$RUN_OUT" \
	'<p:ReturnValue>0</p:ReturnValue>'
# The same on SMS_DistributionPoint, where the SDK page puts the method.
sed 's/SMS_DistributionPointInfo/SMS_DistributionPoint/' "$CLIENTS_DIR/wsl_static_epr.xml" \
	>"$WORK/dp_epr.xml"
run invoke-dp02 wslinvoke "$U/SMS_DistributionPoint" SetDPMaintenanceMode \
	-inst "$WORK/dp_epr.xml" "NALPath=$(nal dp02.contoso.com)" Mode=0
check_eq "wslinvoke SMS_DistributionPoint dp02 Mode=0: exit status" "$RUN_STATUS" 0
check_eq "wslinvoke SMS_DistributionPoint dp02 Mode=0: ReturnValue" \
	"$(xpath "$RUN_DIR/response.xml" "string(//*[local-name()='ReturnValue'])")" 0

# 4. Read back with an optimized WQL enumeration.
run wql-dp01 wslenum "$U/*" -dialect "$WQL" -opti 10 \
	-filter "SELECT * FROM SMS_DistributionPointInfo WHERE Name='DP01.contoso.com' OR Name='DP02.contoso.com'"
check_eq "wslenum WQL -opti: exit status" "$RUN_STATUS" 0
check_eq "wslenum WQL -opti: DP01 and DP02 after the Invokes" "$(names_modes)" \
	"DP01.contoso.com=1 DP02.contoso.com=0 "
check_eq "wslenum WQL -opti: one response (no Pull)" "$(responses | wc -l)" 1

# 5. SelectorFilter, optimized, objects with their EPRs.
run selector-objepr wslenum "$U/SMS_DistributionPointInfo" -dialect "$SELECTOR_FILTER" \
	-filter Name=DP01.contoso.com -opti 32000 -mode objepr
f=$RUN_DIR/response.xml
check_eq "wslenum SelectorFilter objepr: exit status" "$RUN_STATUS" 0
check_eq "wslenum SelectorFilter objepr: items" \
	"$(xpath "$f" "count(//*[local-name()='Items']/*[local-name()='Item'])")" 1
check_eq "wslenum SelectorFilter objepr: instance" "$(names_modes)" "DP01.contoso.com=1 "
check_eq "wslenum SelectorFilter objepr: EPR selectors" \
	"$(xpath "$f" "concat(//*[local-name()='Item']//*[local-name()='Selector'][@Name='ResourceType'],'|',//*[local-name()='Item']//*[local-name()='Selector'][@Name='SiteCode'],'|',//*[local-name()='Item']//*[local-name()='Selector'][@Name='NALPath'])")" \
	"Windows NT Server|PS1|$(nal DP01.contoso.com)"

# 6. EPRs only, for the whole class.
run epr wslenum "$U/SMS_DistributionPointInfo" -opti 32000 -mode epr
f=$RUN_DIR/response.xml
check_eq "wslenum -mode epr: exit status" "$RUN_STATUS" 0
check_eq "wslenum -mode epr: EPRs, instances" \
	"$(xpath "$f" "concat(count(//*[local-name()='Items']/*[local-name()='EndpointReference']),'/',count(//*[local-name()='SMS_DistributionPointInfo']))")" "6/0"
check_eq "wslenum -mode epr: resource URI of the EPRs" \
	"$(xpath "$f" "string((//*[local-name()='EndpointReference'])[1]//*[local-name()='ResourceURI'])")" \
	"$U/SMS_DistributionPointInfo"

# 7. Get by the three keys.
run get wslget "$U/SMS_DistributionPointInfo" "NALPath=$(nal DP01.contoso.com)" \
	"ResourceType=Windows NT Server" SiteCode=PS1
f=$RUN_DIR/response.xml
check_eq "wslget: exit status" "$RUN_STATUS" 0
check_match "wslget: printed the instance with MaintenanceMode 1" "$RUN_OUT" \
	'<p:MaintenanceMode>1</p:MaintenanceMode>'
check_eq "wslget: Name, SiteCode, MaintenanceMode" \
	"$(xpath "$f" "concat(//*[local-name()='SMS_DistributionPointInfo']/*[local-name()='Name'],' ',//*[local-name()='SiteCode'],' ',//*[local-name()='MaintenanceMode'])")" \
	"DP01.contoso.com PS1 1"

# 8. An unknown NAL path: wsl reports failure and shows the fault.
run invoke-unknown wslinvoke "$U/SMS_DistributionPointInfo" SetDPMaintenanceMode \
	-inst "$CLIENTS_DIR/wsl_static_epr.xml" "NALPath=$(nal NOPE.contoso.com)" Mode=1
f=$RUN_DIR/response.xml
check_eq "wslinvoke unknown NAL path: exit status (no _OUTPUT)" "$RUN_STATUS" 1
check_match "wslinvoke unknown NAL path: printed the fault" "$RUN_OUT" 's:Fault'
check_eq "wslinvoke unknown NAL path: Code/Subcode" \
	"$(xpath "$f" "concat(//*[local-name()='Fault']/*[local-name()='Code']/*[local-name()='Value'],' ',//*[local-name()='Subcode']/*[local-name()='Value'])")" \
	"s:Receiver w:InternalError"
check_eq "wslinvoke unknown NAL path: WSManFault Code" \
	"$(xpath "$f" "string(//*[local-name()='WSManFault']/@Code)")" 2147749890
check_eq "wslinvoke unknown NAL path: MSFT_WmiError error_Code" \
	"$(xpath "$f" "string(//*[local-name()='MSFT_WmiError']/*[local-name()='error_Code'])")" 2147749890

# 9. wsl kept no password anywhere (KEEPHISTORY=0).
check_eq "no .wslrun history written" "$(find "$WORK" -name .wslrun | wc -l)" 0

dpsim_stop
finish
