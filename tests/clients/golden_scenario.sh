#!/usr/bin/env bash
# Replays every golden request in fixtures/requests/ byte for byte (curl
# --data-binary) against a real dpsim and checks the HTTP status and one
# piece of content per file. A request file without a row below fails the
# scenario, so a new capture cannot go untested.
#
# usage: golden_scenario.sh [DPSIM]      (or DPSIM_BIN=... ; CURL=...)
SCENARIO=golden
. "$(dirname "$0")/lib.sh"

CURL=${CURL:-$(command -v curl || true)}
if [ -z "$CURL" ] || [ ! -x "$CURL" ]; then skip "curl is not installed"; fi
command -v xmllint >/dev/null || skip "xmllint (libxml2-utils) is not installed"

REQ_DIR=$REPO_ROOT/fixtures/requests
FAULT="//*[local-name()='Fault']"
SUBCODE="string($FAULT/*[local-name()='Code']/*[local-name()='Subcode']/*[local-name()='Value'])"
DETAIL="string(//*[local-name()='FaultDetail'])"
DETAIL_PREFIX=http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/
RV="string(//*[local-name()='SetDPMaintenanceMode_OUTPUT']/*[local-name()='ReturnValue'])"
RELATES="string(//*[local-name()='Header']/*[local-name()='RelatesTo'])"
ITEMS="count(//*[local-name()='EnumerateResponse']/*[local-name()='Items']/*)"
EOS="count(//*[local-name()='EnumerateResponse']/*[local-name()='EndOfSequence'])"

# What each file must get. Requests the captured client sent to a lab
# whose DPs are named by FQDN; contexts in the Pull captures are from the
# capture session and so are stale here.
#
# | file | status | what is checked | XPath | expected value |
# The Invokes name dp01.contoso.com in lower case: NAL paths match
# case-insensitively. Name='dp01' matches no DP (Name is the FQDN).
# SMS_DistributionPoint's keys are PackageID, ServerNALPath and SiteCode,
# so a NALPath selector is unexpected and SiteCode alone is insufficient.
EXPECT=(
	"wsl_01_Identify_emptyMessageID.xml|200|ProductVendor|string(//*[local-name()='IdentifyResponse']/*[local-name()='ProductVendor'])|Microsoft Corporation"
	"wsl_02_Get_emptyMessageID.xml|500|FaultDetail|$DETAIL|${DETAIL_PREFIX}UnexpectedSelectors"
	"wsl_03_Enumerate_emptyMessageID.xml|200|EnumerationContext not empty|string-length(//*[local-name()='EnumerateResponse']/*[local-name()='EnumerationContext']) > 0|true"
	"wsl_04_Pull_emptyMessageID.xml|500|subcode|$SUBCODE|n:InvalidEnumerationContext"
	"wsl_05_Invoke_SetDPMaintenanceMode.xml|200|ReturnValue, RelatesTo|concat($RV,' ',$RELATES)|0 c2b383b1-0287-4d12-834d-948309fac017"
	"wsl_06_Enumerate.xml|200|Items, EndOfSequence|concat($ITEMS,' items, EndOfSequence ',$EOS)|0 items, EndOfSequence 1"
	"wsl_07_Pull.xml|500|subcode|$SUBCODE|n:InvalidEnumerationContext"
	"wsl_08_Get.xml|500|FaultDetail|$DETAIL|${DETAIL_PREFIX}InsufficientSelectors"
	"pywinrm_01_Invoke_SetDPMaintenanceMode.xml|200|ReturnValue, RelatesTo|concat($RV,' ',$RELATES)|0 uuid:d7410c22-949e-40b3-b952-de90c8887c16"
	"pywinrm_02_Enumerate.xml|200|Items, EndOfSequence|concat($ITEMS,' items, EndOfSequence ',$EOS)|0 items, EndOfSequence 1"
	"pywinrm_03_Pull.xml|500|subcode|$SUBCODE|n:InvalidEnumerationContext"
	"pywinrm_04_Get.xml|500|FaultDetail|$DETAIL|${DETAIL_PREFIX}UnexpectedSelectors"
	"pywinrm_05_Get_noselectors_fault500.xml|500|subcode, FaultDetail|concat($SUBCODE,' ',$DETAIL)|w:InvalidSelectors ${DETAIL_PREFIX}InsufficientSelectors"
	"pywinrm_06_Get_MSFT_WmiError_fault500.xml|500|subcode, FaultDetail|concat($SUBCODE,' ',$DETAIL)|w:InvalidSelectors ${DETAIL_PREFIX}InsufficientSelectors"
	"gowinrm_06_Invoke_SetDPMaintenanceMode.xml|200|ReturnValue, RelatesTo|concat($RV,' ',$RELATES)|0 uuid:00000000-0000-0000-0000-000000000001"
	"gowinrm_07_Enumerate.xml|200|Items, EndOfSequence|concat($ITEMS,' items, EndOfSequence ',$EOS)|0 items, EndOfSequence 1"
	"gowinrm_08_Pull.xml|500|subcode|$SUBCODE|n:InvalidEnumerationContext"
	"gowinrm_09_Get.xml|500|subcode, FaultDetail|concat($SUBCODE,' ',$DETAIL)|w:InvalidSelectors ${DETAIL_PREFIX}UnexpectedSelectors"
)

# post FILE OUT [CURL-OPTION]...: prints "STATUS CONTENT-TYPE".
post() {
	local file=$1 out=$2
	shift 2
	"$CURL" -s -o "$out" -w '%{http_code} %{content_type}' "$@" \
		-H 'Content-Type: application/soap+xml;charset=UTF-8' \
		--data-binary @"$file" "$DPSIM_URL"
}

dpsim_start "$(dpsim_bin "${1:-}")"

declare -A seen=()
for row in "${EXPECT[@]}"; do
	IFS='|' read -r file status label expr want <<<"$row"
	seen[$file]=1
	out=$WORK/$file.response
	read -r got_status got_ct <<<"$(post "$REQ_DIR/$file" "$out" -u lab:lab)"
	check_eq "$file: HTTP status" "$got_status" "$status"
	check_match "$file: Content-Type" "$got_ct" '^application/soap\+xml'
	check_eq "$file: $label" "$(xpath "$out" "$expr")" "$want"
done

for path in "$REQ_DIR"/*.xml; do
	f=$(basename "$path")
	[ -n "${seen[$f]:-}" ] || fail "$f: no expected status in golden_scenario.sh"
done

# Identify without credentials, as the WinRM scripting API sends it
# (Test-WSMan, WSManFlagUseNoAuthentication: the WSMANIDENTIFY header):
# answered, without the OS version. Without that header WinRM wants
# credentials for Identify like for anything else.
out=$WORK/identify-anon.response
read -r got_status _ <<<"$(post "$REQ_DIR/wsl_01_Identify_emptyMessageID.xml" "$out" \
	-H 'WSMANIDENTIFY: unauthenticated')"
check_eq "wsl_01 without credentials: HTTP status" "$got_status" 200
check_eq "wsl_01 without credentials: ProductVersion elements" \
	"$(xpath "$out" "count(//*[local-name()='ProductVersion'])")" 0
read -r got_status _ <<<"$(post "$REQ_DIR/wsl_01_Identify_emptyMessageID.xml" "$out")"
check_eq "wsl_01 without credentials nor WSMANIDENTIFY: HTTP status" "$got_status" 401

# The capture's Enumerate once more, then its Pull with the live context
# swapped in for the stale one (the only bytes changed): one DP per Pull
# (no MaxElements) until EndOfSequence, never a context beside it.
out=$WORK/enum-live.response
sed "s/Name='dp01'/Name LIKE 'dp0%'/" "$REQ_DIR/wsl_03_Enumerate_emptyMessageID.xml" \
	>"$WORK/enum-live.xml"
post "$WORK/enum-live.xml" "$out" -u lab:lab >/dev/null
ctx=$(xpath "$out" "string(//*[local-name()='EnumerationContext'])")
pulled=0
names=
for _ in 1 2 3 4 5 6 7 8 9 10; do
	[ -n "$ctx" ] || break
	sed "s/uuid:C616AE21-3B0B-401B-A97C-76F2B88F3E65/$ctx/" \
		"$REQ_DIR/wsl_04_Pull_emptyMessageID.xml" >"$WORK/pull-live.xml"
	read -r got_status _ <<<"$(post "$WORK/pull-live.xml" "$out" -u lab:lab)"
	[ "$got_status" = 200 ] || { fail "live Pull: HTTP $got_status: $(cat "$out")"; break; }
	pulled=$((pulled + 1))
	names="$names$(xpath "$out" "string(//*[local-name()='Items']/*/*[local-name()='Name'])") "
	ctx=$(xpath "$out" "string(//*[local-name()='PullResponse']/*[local-name()='EnumerationContext'])")
	eos=$(xpath "$out" "count(//*[local-name()='PullResponse']/*[local-name()='EndOfSequence'])")
	if [ "$eos" = 1 ] && [ -n "$ctx" ]; then
		fail "live Pull: EndOfSequence together with context $ctx"
	fi
done
check_eq "live Pulls of Name LIKE 'dp0%' (one DP each)" "$names" \
	"DP01.contoso.com DP02.contoso.com DP03.branch.contoso.com "
check_eq "live Pulls until EndOfSequence" "$pulled" 3

# Read back what the three captured Invokes did to DP01.
sed "s/Name='dp01'/Name='dp01.contoso.com'/" "$REQ_DIR/pywinrm_02_Enumerate.xml" \
	>"$WORK/readback.xml"
out=$WORK/readback.response
post "$WORK/readback.xml" "$out" -u lab:lab >/dev/null
check_eq "DP01 MaintenanceMode after the captured Invokes" \
	"$(xpath "$out" "string(//*[local-name()='Items']/*/*[local-name()='MaintenanceMode'])")" 1

dpsim_stop
finish
