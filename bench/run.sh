#!/usr/bin/env bash
# bench/run.sh [BUILD_DIR]
#
# Measures dpsim's WS-Man Invoke (SetDPMaintenanceMode), WQL Enumerate and
# Get with wrk at 1 and 16 connections, next to refserver (bench/refserver.c)
# in its two modes: a fixed envelope (the floor of MHD and wrk) and the
# minimal Invoke pipeline (libxml2 parse + one SQLite WAL upsert), which
# every dpsim row is given as a ratio of.  All run on this machine, with wrk
# sharing its cores, so read the ratios rather than the absolute numbers.
#
# Parts (BENCH_PARTS, default all, in this order):
#   throughput   the rows above and the AdminService's GET by key and
#                POST of SetDPMaintenanceMode, dpsim's journal filling
#                (fresh)
#   steady       Invoke and WQL again once the journal is at its bound
#                (--journal-max BENCH_STEADY_ROWS) and every call trims
#   dashboard    one dashboard refresh with a full journal (100 000 rows),
#                and WS-Man Get p99 alone and while two dashboards poll
#   startup      exec to ready on the bundled lab (bench/startup.py)
#   instructions callgrind instructions per request (bench/instructions.py)
#   scale        generated sites of BENCH_SCALE_SIZES DPs (bench/scale.py)
#
# Environment:
#   BENCH_SECONDS  length of each measured run (default 10)
#   BENCH_WARMUP   length of each warm-up run (default 2); responses are
#                  checked for content during warm-up only
#   DPSIM          dpsim binary (default BUILD_DIR/simulator/dpsim)
#   BENCH_RAW=1    also print wrk's own output for every measured run
#   BENCH_PARTS    the parts to run (default: all of them)
#   BENCH_STEADY_ROWS  the journal bound of the steady part (default 20000)
#   BENCH_SCALE_SIZES  DPs per generated site (default "1000 10000 100000")
#
# Exit status: 0 when every row ran without errors, 1 otherwise.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")

usage() {
	echo "usage: bench/run.sh [BUILD_DIR]   (default: build)" >&2
	exit 2
}

[[ $# -le 1 ]] || usage
[[ ${1:-} != -h && ${1:-} != --help ]] || usage
build=${1:-build}
# Relative to the working directory, else to the source root.
if [[ ! -d $build && $build != /* && -d $root/$build ]]; then
	build=$root/$build
fi

seconds=${BENCH_SECONDS:-10}
warmup=${BENCH_WARMUP:-2}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "bench: BENCH_SECONDS must be a positive integer" >&2; exit 2; }
[[ $warmup =~ ^[0-9]+$ ]] || { echo "bench: BENCH_WARMUP must be an integer" >&2; exit 2; }

if ! command -v wrk >/dev/null 2>&1; then
	echo "bench: wrk not found; install it with: apt-get install wrk" >&2
	exit 1
fi

refserver=$build/bench/refserver
dpsim=${DPSIM:-$build/simulator/dpsim}
if [[ ! -x $refserver ]]; then
	echo "bench: $refserver not found; build it with: ninja -C $build bench/refserver" >&2
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dpsim-bench.XXXXXX")
declare -A pid=()
failed=0

loud() {
	printf '\n!!! %s\n' "$*" >&2
}

# SIGTERM, then wait a bounded time: a server that ignores SIGTERM is a bug
# worth reporting, not a reason to hang.
stop_server() {
	local name=$1 p=${pid[$1]:-} i rc=0

	[[ -n $p ]] || return 0
	unset "pid[$name]"
	kill -TERM "$p" 2>/dev/null || true
	for ((i = 0; i < 250; i++)); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.02
	done
	if kill -0 "$p" 2>/dev/null; then
		loud "$name did not exit within 5 s of SIGTERM; killing it"
		kill -KILL "$p" 2>/dev/null || true
		failed=1
	fi
	wait "$p" 2>/dev/null || rc=$?
	if ((rc != 0)); then
		loud "$name exited with status $rc after SIGTERM"
		failed=1
	fi
}

cleanup() {
	local name

	for name in "${!pid[@]}"; do
		stop_server "$name"
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_server NAME CMD...: run CMD with stdout in $tmp/NAME.out and poll
# (bounded, 10 s) for its "NAME ready http://HOST:PORT/wsman" line.  Sets
# $url.  Returns 1, with the server's stderr shown, if it dies or never
# gets ready.
start_server() {
	local name=$1 line i
	shift

	"$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	pid[$name]=$!
	# Several servers of one program run under names like dpsim-steady;
	# each prints its program's name in the ready line.
	local word=${name%%-*}
	for ((i = 0; i < 500; i++)); do
		# dpsim adds " https://HOST:PORT/wsman" when it serves TLS.
		if line=$(grep -s -m1 -E "^$word ready http://[^ ]+/wsman( https://[^ ]+/wsman)?\$" \
				"$tmp/$name.out"); then
			url=${line#"$word ready "}
			url=${url%% *}
			return 0
		fi
		kill -0 "${pid[$name]}" 2>/dev/null || break
		sleep 0.02
	done
	if kill -0 "${pid[$name]}" 2>/dev/null; then
		loud "$name printed no ready line within 10 s"
		stop_server "$name"
	else
		wait "${pid[$name]}" 2>/dev/null || true
		unset "pid[$name]"
		loud "$name exited before it was ready"
	fi
	sed 's/^/    /' "$tmp/$name.err" | tail -n 20 >&2
	return 1
}

# run_wrk OUTFILE CONNS SECONDS SCRIPT URL [env...]: one wrk run; the
# script's done() writes the "BENCH key=value..." line parsed below.
run_wrk() {
	local out=$1 conns=$2 secs=$3 script=$4 target=$5 threads=1
	shift 5

	((conns > 1)) && threads=2
	env "$@" wrk -t"$threads" -c"$conns" -d"${secs}s" --latency \
		-s "$here/$script" "$target" -- "$threads" >"$out" 2>&1 || {
		loud "wrk failed ($script, $conns conns):"
		sed 's/^/    /' "$out" >&2
		return 1
	}
}

# parse OUTFILE: the BENCH line into the associative array r.
declare -A r
parse() {
	local line kv

	r=()
	line=$(grep -m1 '^BENCH requests=' "$1") || {
		loud "no BENCH summary line in wrk output:"
		sed 's/^/    /' "$1" >&2
		return 1
	}
	for kv in ${line#BENCH }; do
		r[${kv%%=*}]=${kv#*=}
	done
}

# "0", or what went wrong, e.g. "12 non-2xx, 3 timeout".
describe_errors() {
	local k label s=""

	for k in non2xx:non-2xx connect_err:connect read_err:read \
		 write_err:write timeouts:timeout bad:wrong-body; do
		label=${k#*:}
		k=${k%%:*}
		if [[ ${r[$k]:-0} != 0 ]]; then
			s+="${s:+, }${r[$k]} $label"
		fi
	done
	if [[ ${r[requests]:-0} == 0 ]]; then
		s+="${s:+, }no responses"
	fi
	echo "${s:-0}"
}

# check_alive NAME WHEN: a server that died under load is the finding, so
# say how it died, and mark it so its remaining rows say NOT RUN instead of
# piling up connection errors.
declare -A dead=()
check_alive() {
	local name=$1 when=$2 p=${pid[$1]:-} rc=0 how

	[[ -n $p ]] || return 1
	kill -0 "$p" 2>/dev/null && return 0
	wait "$p" 2>/dev/null || rc=$?
	unset "pid[$name]"
	if ((rc > 128)); then
		how="killed by SIG$(kill -l $((rc - 128)) 2>/dev/null || echo $((rc - 128)))"
	else
		how="exited with status $rc"
	fi
	dead[$name]="$name $how"
	loud "$name $how during $when"
	sed 's/^/    /' "$tmp/$name.err" | tail -n 20 >&2
	failed=1
	return 1
}

# Warm-up, also the correctness check: every response must be the expected
# answer, or the figures that follow measure error paths.
warm() {
	local name=$1 label=$2 script=$3 target=$4 errs

	((warmup > 0)) || return 0
	[[ -z ${dead[$name]:-} ]] || return 0
	if ! run_wrk "$tmp/warm.out" 16 "$warmup" "$script" "$target" BENCH_CHECK=1 ||
	   ! parse "$tmp/warm.out"; then
		failed=1
	else
		errs=$(describe_errors)
		if [[ $errs != 0 ]]; then
			loud "$label: ERRORS in warm-up: $errs (${r[requests]} responses)"
			grep '^BENCH first_bad' "$tmp/warm.out" | cut -c1-400 >&2 || true
			failed=1
		fi
	fi
	check_alive "$name" "the $label warm-up" || true
}

rows=()
# add_row LABEL CONNS RPS P99 RATIO ERRORS
add_row() {
	rows+=("$(printf '%-30s | %5s | %9s | %9s | %8s | %s' "$@")")
}

# req/s of every row measured, by "LABEL|CONNS", for the ratio column.
declare -A rps_of=()

# measure NAME LABEL SCRIPT URL [REFERENCE-LABEL]: the 1- and 16-connection
# rows; with a reference, each row's req/s as a multiple of the reference
# row's at the same number of connections.
measure() {
	local name=$1 label=$2 script=$3 target=$4 ref=${5:-} conns errs out ratio

	for conns in 1 16; do
		if [[ -n ${dead[$name]:-} ]]; then
			add_row "$label" "$conns" "-" "-" "-" "NOT RUN: ${dead[$name]}"
			continue
		fi
		out=$tmp/$script.$conns.out
		if ! run_wrk "$out" "$conns" "$seconds" "$script" "$target" ||
		   ! parse "$out"; then
			add_row "$label" "$conns" "-" "-" "-" "!! WRK FAILED"
			failed=1
			check_alive "$name" "$label at $conns connections" || true
			continue
		fi
		[[ ${BENCH_RAW:-0} == 1 ]] && sed 's/^/    /' "$out"
		errs=$(describe_errors)
		check_alive "$name" "$label at $conns connections" ||
			errs="${dead[$name]}; $errs"
		if [[ $errs != 0 ]]; then
			loud "$label at $conns connections: ERRORS: $errs (${r[requests]} responses)"
			failed=1
			errs="!! $errs"
		fi
		rps_of["$label|$conns"]=${r[rps]}
		ratio=-
		if [[ -n $ref && -n ${rps_of["$ref|$conns"]:-} ]]; then
			ratio=$(awk -v a="${r[rps]}" -v b="${rps_of["$ref|$conns"]}" \
				'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }')
		fi
		add_row "$label" "$conns" "$(printf '%.0f' "${r[rps]}")" \
			"${r[p99_ms]} ms" "$ratio" "$errs"
		[[ $label == "dpsim Invoke (steady)" && $conns == 16 ]] &&
			invoke16=("${r[rps]}" "${r[p99_ms]}" "$errs" "$ratio")
	done
	return 0
}

skip_rows() {
	add_row "$1" 1 "-" "-" "-" "NOT RUN: $2"
	add_row "$1" 16 "-" "-" "-" "NOT RUN: $2"
	failed=1
}

# --- what was measured, on what -------------------------------------------

build_opts() {
	meson introspect "$build" --buildoptions 2>/dev/null | python3 -c '
import json, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
print("%s, b_sanitize=%s" % (o.get("buildtype", "?"), o.get("b_sanitize", "?")))
' 2>/dev/null || echo unknown
}

commit=$(git -C "$root" --no-optional-locks describe --always --dirty 2>/dev/null || echo unknown)
cpu=$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | sed 's/^[^:]*: *//' || true)
opts=$(build_opts)
echo "dpsim benchmark"
echo "  machine:  $(nproc) CPUs, ${cpu:-unknown CPU}, $(uname -sr)"
echo "  load:     $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) at start"
built=$(date -r "$dpsim" '+%F %T' 2>/dev/null || echo "not built")
echo "  dpsim:    source tree at commit $commit; binary $dpsim ($built)"
echo "  build:    $build ($opts)"
echo "  client:   $(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2), -t1 for 1 conn, -t2 for 16; ${seconds}s per run, ${warmup}s warm-up"
case $opts in
*b_sanitize=none*) ;;
unknown) ;;
*) loud "this build is not a plain one ($opts): the figures measure the instrumentation" ;;
esac

# --- parts -------------------------------------------------------------------

parts=${BENCH_PARTS:-throughput steady dashboard startup instructions scale}
for p in $parts; do
	case $p in
	throughput|steady|dashboard|startup|instructions|scale) ;;
	*) echo "bench: unknown part '$p' in BENCH_PARTS" >&2; exit 2 ;;
	esac
done
want() { [[ " $parts " == *" $1 "* ]]; }
steady_rows=${BENCH_STEADY_ROWS:-20000}
[[ $steady_rows =~ ^[1-9][0-9]*$ ]] || { echo "bench: BENCH_STEADY_ROWS must be a positive integer" >&2; exit 2; }

# start_dpsim NAME [OPTION...]: a dpsim on a file database of its own.
start_dpsim() {
	local name=$1
	shift
	if [[ ! -x $dpsim ]]; then
		loud "dpsim not found: $dpsim (ninja -C $build simulator/dpsim)"
		return 1
	fi
	start_server "$name" "$dpsim" --listen 127.0.0.1:0 --db "$tmp/$name.db" \
		--log-level warn "$@"
}

# journal_rows URL: the journal's row count, from the control API.
journal_rows() {
	curl -fsS "${1%/wsman}/_dpsim/journal/count" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["count"])'
}

# fill_journal NAME URL ROWS: Invokes until the journal holds ROWS rows
# (each Invoke writes one), bounded to 20 rounds.
fill_journal() {
	local name=$1 target=$2 want_rows=$3 i n=0
	for ((i = 0; i < 20; i++)); do
		n=$(journal_rows "$target") || break
		((n >= want_rows)) && return 0
		run_wrk "$tmp/fill.out" 16 "$(((want_rows - n) / 4000 + 1))" invoke.lua "$target" ||
			break
		check_alive "$name" "filling the journal" || return 1
	done
	loud "$name: the journal holds ${n:-?} rows, not $want_rows"
	failed=1
	return 1
}

# --- throughput (fresh) and steady state ----------------------------------------

invoke16=()
if want throughput || want steady; then
	ref_url="" pipe_url=""
	if start_server refserver "$refserver" 0; then
		ref_url=$url
		warm refserver "refserver" invoke.lua "$ref_url"
		measure refserver "refserver fixed response" invoke.lua "$ref_url"
	else
		skip_rows "refserver fixed response" "refserver did not start"
	fi
	stop_server refserver
	if start_server refserver-pipeline "$refserver" 0 --pipeline "$tmp/pipeline.db"; then
		pipe_url=$url
		warm refserver-pipeline "minimal pipeline" invoke.lua "$pipe_url"
		measure refserver-pipeline "minimal pipeline Invoke" invoke.lua "$pipe_url"
	else
		skip_rows "minimal pipeline Invoke" "refserver --pipeline did not start"
	fi
	stop_server refserver-pipeline
fi
ref="minimal pipeline Invoke"
if want throughput; then
	if start_dpsim dpsim; then
		warm dpsim "dpsim Invoke" invoke.lua "$url"
		warm dpsim "dpsim WQL Enumerate" enumerate.lua "$url"
		warm dpsim "dpsim Get" get.lua "$url"
		warm dpsim "dpsim REST GET by key" rest_get.lua "${url%/wsman}"
		warm dpsim "dpsim REST POST" rest_post.lua "${url%/wsman}"
		measure dpsim "dpsim Invoke" invoke.lua "$url" "$ref"
		measure dpsim "dpsim WQL Enumerate" enumerate.lua "$url" "$ref"
		measure dpsim "dpsim Get" get.lua "$url" "$ref"
		# The AdminService (REST) beside WS-Man: the same calls.
		measure dpsim "dpsim REST POST" rest_post.lua "${url%/wsman}" "$ref"
		measure dpsim "dpsim REST GET by key" rest_get.lua "${url%/wsman}" "$ref"
	else
		skip_rows "dpsim Invoke" "dpsim did not start"
	fi
	stop_server dpsim
fi
if want steady; then
	if start_dpsim dpsim-steady --journal-max "$steady_rows" &&
	   fill_journal dpsim-steady "$url" "$steady_rows"; then
		warm dpsim-steady "dpsim Invoke (steady)" invoke.lua "$url"
		measure dpsim-steady "dpsim Invoke (steady)" invoke.lua "$url" "$ref"
		measure dpsim-steady "dpsim WQL Enumerate (steady)" enumerate.lua "$url" "$ref"
		n=$(journal_rows "$url" || echo "?")
		[[ $n == "$steady_rows" ]] ||
			{ loud "steady: the journal holds $n rows, not its bound $steady_rows"; failed=1; }
	else
		skip_rows "dpsim Invoke (steady)" "dpsim did not start or fill"
	fi
	stop_server dpsim-steady
fi

# --- dashboard under load -------------------------------------------------------

dash_lines=()
if want dashboard; then
	if start_dpsim dpsim-dash && fill_journal dpsim-dash "$url" 100000; then
		base=${url%/wsman}
		times=$(for i in $(seq 10); do
			curl -fsS -o /dev/null -u lab:lab -w '%{time_total}\n' "$base/dashboard/api/view"
		done | sort -n)
		med=$(sed -n 5p <<<"$times")
		dash_lines+=("dashboard refresh (view, 100 000 journal rows): median $(awk -v t="$med" 'BEGIN { printf "%.1f", t * 1000 }') ms of 10")
		run_wrk "$tmp/get-alone.out" 4 "$seconds" get.lua "$url" && parse "$tmp/get-alone.out" &&
			alone="${r[p99_ms]} ms p99, $(printf '%.0f' "${r[rps]}") req/s"
		# get_polled LABEL INTERVAL_MS: Get again while two dashboards
		# poll (bench/dashpoll.py), each refreshing INTERVAL_MS after
		# its last answer; 500 is the page's own interval, 0 none.
		get_polled() {
			local label=$1 interval=$2 i got=""
			local -a pollers=()
			rm -f "$tmp/stop-polling"
			for i in 1 2; do
				python3 "$here/dashpoll.py" "$base" "$tmp/stop-polling" "$interval" \
					>"$tmp/poll$i.out" &
				pollers+=($!)
			done
			run_wrk "$tmp/get-polled.out" 4 "$seconds" get.lua "$url" && parse "$tmp/get-polled.out" &&
				got="${r[p99_ms]} ms p99, $(printf '%.0f' "${r[rps]}") req/s"
			: >"$tmp/stop-polling"
			for i in 0 1; do
				wait "${pollers[$i]}" || { loud "dashboard poller $((i + 1)) failed"; failed=1; got=""; }
			done
			dash_lines+=("WS-Man Get at 4 connections, $label: ${got:-FAILED} ($(cat "$tmp/poll1.out" "$tmp/poll2.out" 2>/dev/null | awk '{ n += $1 } END { print n + 0 }') refreshes)")
		}
		dash_lines+=("WS-Man Get at 4 connections, alone: ${alone:-FAILED}")
		get_polled "two dashboards polling as the page does (every 500 ms)" 500
		get_polled "two dashboards polling without pause" 0
		check_alive dpsim-dash "the dashboard run" || true
	else
		dash_lines+=("dashboard: NOT RUN (dpsim did not start or fill its journal)")
		failed=1
	fi
	stop_server dpsim-dash
fi

# --- report ---------------------------------------------------------------------

if [[ -n ${pid[dpsim]:-} || -s $tmp/dpsim.err ]]; then
	echo
	echo "dpsim stderr (last 10 lines):"
	tail -n 10 "$tmp/dpsim.err" | sed 's/^/    /'
fi
if ((${#rows[@]})); then
	echo
	printf '%-30s | %5s | %9s | %9s | %8s | %s\n' scenario conns req/s p99 "vs ref" errors
	printf '%s\n' "-------------------------------+-------+-----------+-----------+----------+-------"
	printf '%s\n' "${rows[@]}"
	echo "  (vs ref: req/s as a multiple of the minimal pipeline's at the same connections)"
fi
for l in "${dash_lines[@]}"; do
	echo "  $l"
done
if ((${#invoke16[@]})); then
	# The issue's bar for dpsim on a 2-core machine; informative only.
	verdict=$(awk -v x="${invoke16[3]%x}" -v p99="${invoke16[1]}" \
		'BEGIN { print (x >= 0.8 && p99 <= 5) ? "met" : "NOT met" }')
	[[ ${invoke16[2]} == 0 ]] || verdict="NOT met (errors)"
	echo "  target:   dpsim Invoke (steady) at 16 conns >= 0.8x the minimal" \
		"pipeline with p99 <= 5 ms: $verdict"
fi
echo "  load:     $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) after the load runs"

if want startup; then
	echo
	python3 "$here/startup.py" "$dpsim" 20 "$refserver" || failed=1
fi
if want instructions; then
	echo
	python3 "$here/instructions.py" "$dpsim" || failed=1
fi
if want scale; then
	echo
	# shellcheck disable=SC2086 # a list of sizes
	python3 "$here/scale.py" "$dpsim" ${BENCH_SCALE_SIZES:-1000 10000 100000} || failed=1
fi
if ((failed)); then
	loud "the benchmark is INCOMPLETE or had ERRORS; see the messages above"
	exit 1
fi
