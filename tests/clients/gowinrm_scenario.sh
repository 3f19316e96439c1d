#!/usr/bin/env bash
# Go's masterzen/winrm against a real dpsim: builds gowinrm/main.go with
# Debian's golang-go and golang-github-masterzen-winrm-dev (GOPATH mode),
# runs it, and checks what it parsed out of dpsim's answers.
#
# usage: gowinrm_scenario.sh [DPSIM]     (or DPSIM_BIN=... ; GO=...)
# GOCACHE: the Go build cache (default: a directory in the scratch dir,
# which means a full build on every run; meson passes one in the build
# directory).
SCENARIO=gowinrm
. "$(dirname "$0")/lib.sh"

GO=${GO:-$(command -v go || true)}
GOWINRM_GOPATH=${GOWINRM_GOPATH:-/usr/share/gocode}
if [ -z "$GO" ] || [ ! -x "$GO" ]; then skip "go (golang-go) is not installed"; fi
[ -d "$GOWINRM_GOPATH/src/github.com/masterzen/winrm" ] ||
	skip "masterzen/winrm is not in $GOWINRM_GOPATH (golang-github-masterzen-winrm-dev)"

# Debian ships the library as GOPATH source, not as a module: build in
# GOPATH mode, with a writable build cache.
echo "# building gowinrm with $("$GO" version)"
if ! (cd "$CLIENTS_DIR/gowinrm" &&
	GOPATH=$GOWINRM_GOPATH GO111MODULE=off GOFLAGS='' GOPROXY=off \
	GOCACHE=${GOCACHE:-$WORK/gocache} "$GO" build -o "$WORK/gowinrm" main.go); then
	fail "go build of tests/clients/gowinrm"
	finish
fi
pass "go build of tests/clients/gowinrm against masterzen/winrm"

dpsim_start "$(dpsim_bin "${1:-}")"

out=$(timeout 120 "$WORK/gowinrm" -port "$DPSIM_PORT" -user lab -pass lab 2>&1)
st=$?
while IFS= read -r line; do echo "# gowinrm: $line"; done <<<"$out"
check_eq "gowinrm exit status" "$st" 0
check_eq "errors reported by gowinrm" "$(grep -c '^error ' <<<"$out")" 0

# Every DP with its MaintenanceMode as the lab starts (order aside).
check_eq "instances from WQL Enumerate + Pulls" \
	"$(grep '^instance ' <<<"$out" | sort | tr '\n' ';')" \
	"instance name=CLOUDDP01.cloudapp.net mode=0;instance name=DP01.contoso.com mode=0;instance name=DP02.contoso.com mode=1;instance name=DP03.branch.contoso.com mode=0;instance name=PULLDP01.contoso.com mode=0;instance name=PXE01.contoso.com mode=0;"
# MaxElements 2: two in the EnumerateResponse, then two Pulls of two.
check_eq "enumeration totals" "$(grep '^enumerate ' <<<"$out")" "enumerate count=6 pulls=2"
check_eq "SetDPMaintenanceMode ReturnValue" "$(grep '^invoke ' <<<"$out")" \
	"invoke target=DP01.contoso.com rv=0"
check_eq "read back by Name (lower case)" "$(grep '^readback ' <<<"$out")" \
	"readback name=DP01.contoso.com mode=1"
check_eq "Get by NALPath, ResourceType, SiteCode" "$(grep '^get ' <<<"$out")" \
	"get name=DP01.contoso.com sitecode=PS1 resourcetype=Windows NT Server mode=1 nalpath_ok=true"
# The library hands a 500 fault back as a plain body (see README), so the
# status may be unknown to it; the codes inside are what a caller reads.
fault=$(grep '^fault ' <<<"$out")
check_match "unknown NAL path: a fault, not a ReturnValue" "$fault" '^fault seen_as=(body|http-error) '
check_match "unknown NAL path: s:Receiver / w:InternalError" "$fault" ' code=s:Receiver subcode=w:InternalError '
check_match "unknown NAL path: WSManFault Code 0x80041002" "$fault" ' wsmanfault=2147749890 '
check_match "unknown NAL path: MSFT_WmiError error_Code 0x80041002" "$fault" ' error_code=2147749890$'

dpsim_stop
finish
