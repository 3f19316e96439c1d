#!/usr/bin/env bash
# The container image, built from the unchanged Containerfile and run with
# podman: health, SetDPMaintenanceMode with dpctl from outside, the state
# kept on the volume across a restart, a mounted fixture served, SIGTERM.
#
#   run.sh SOURCE_ROOT DPSIM DPCTL
#
# The base image debian:bookworm-slim is made here when podman lacks it
# (no registry is reachable from these machines): mmdebstrap of Debian 12
# minbase, trimmed as Debian's own slim image is, imported once and kept
# for later runs. Exit 77 (skipped) only where podman cannot run a
# container at all. Everything it made is removed on any exit, except the
# base image and the last dpsim image (podman's layer cache: a rebuild
# after a source change recompiles dpsim only).
set -euo pipefail

src=$1 dpsim=$2 dpctl=$3
image=localhost/dpsim:test
base=debian:bookworm-slim
# podman's defaults that fail on these machines: crun (cgroups in hybrid
# mode) and runc with the default rlimits (setrlimit refused).
rt=(--runtime runc --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
token=container-test-token-$$-0123456789
say() { printf 'container: %s\n' "$*" >&2; }
t0=${EPOCHREALTIME/./}
elapsed() {
	local ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
	printf '%d.%d s' $((ms / 1000)) $((ms % 1000 / 100))
}

skip() { say "SKIPPED: $*"; exit 77; }
command -v podman >/dev/null || skip "podman is not installed (./dev.sh test installs it)"

tmp=$(mktemp -d /tmp/dpsim-container.XXXXXX)
chmod 0755 "$tmp"
tag=$$-$RANDOM
vol=dpsim-test-$tag
names=()
logpid=
cleanup() {
	local rc=$?
	[ -n "$logpid" ] && kill "$logpid" 2>/dev/null || true
	for n in "${names[@]}"; do podman rm -f -v -t 0 "$n" >/dev/null 2>&1 || true; done
	podman volume rm -f "$vol" >/dev/null 2>&1 || true
	rm -rf "$tmp"
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- the base image, once ------------------------------------------------
if ! podman image exists "$base"; then
	command -v mmdebstrap >/dev/null || {
		say "FAIL: $base is absent and mmdebstrap is not installed"; exit 1; }
	say "making $base with mmdebstrap (once; kept for later runs)"
	# As Debian's slim image: no manuals, documentation or translations,
	# no apt lists; the path-excludes stay in the image for later installs.
	mmdebstrap --variant=minbase --quiet \
		--dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-include=/usr/share/doc/*/copyright' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		--dpkgopt='path-exclude=/usr/share/info/*' \
		--customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
		bookworm "$tmp/root.tar"
	podman import -q "$tmp/root.tar" "$base" >/dev/null
	rm -f "$tmp/root.tar"
	say "base image made ($(elapsed))"
fi

# Can podman run a container here at all? Only this decides a skip.
if ! out=$(podman run --rm "${rt[@]}" --network host "$base" true 2>&1); then
	skip "podman cannot run a container here: $out"
fi

# --- the image, from the unchanged Containerfile --------------------------
old=$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
say "building $image from $src/Containerfile"
# docker format: the OCI one has no HEALTHCHECK.
podman build -q "${rt[@]}" --network host --format docker -t "$image" \
	-f "$src/Containerfile" "$src" >"$tmp/build.log" 2>&1 || {
	cat "$tmp/build.log" >&2; say "FAIL: podman build"; exit 1; }
new=$(podman image inspect --format '{{.Id}}' "$image")
# The image this one replaces is dropped, not left dangling run after run,
# and so are the build stages of earlier builds (the newest stays: it is
# the cache of the compile).
[ -n "$old" ] && [ "$old" != "$new" ] && podman rmi -f "$old" >/dev/null 2>&1 || true
podman images -q --filter dangling=true --filter label=org.dpsim.stage=build \
	--sort created | tail -n +2 | xargs -r podman rmi -f >/dev/null 2>&1 || true
say "image built ($(elapsed)), $(podman image inspect --format '{{.Size}}' "$image") bytes"

# A free port: host networking shares the machine's ports.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base_url=http://127.0.0.1:$port
endpoint=$base_url/wsman
podman volume create "$vol" >/dev/null

# start NAME [PODMAN-RUN-OPTION]...: runs the image detached on the volume
# and waits for its ready line on the log (bounded; no sleeping).
start() {
	local name=$1 line
	shift
	names+=("$name")
	podman run -d --name "$name" "${rt[@]}" --network host \
		--log-driver k8s-file \
		-e DPSIM_LISTEN="0.0.0.0:$port" -e DPSIM_ADMIN_TOKEN="$token" \
		-v "$vol:/var/lib/dpsim" "$@" "$image" >/dev/null
	rm -f "$tmp/log"
	mkfifo "$tmp/log"
	podman logs -f "$name" >"$tmp/log" 2>&1 &
	logpid=$!
	exec 3<"$tmp/log"
	local deadline=$((SECONDS + 60))
	while :; do
		if ! IFS= read -r -t $((deadline - SECONDS > 0 ? deadline - SECONDS : 1)) line <&3; then
			exec 3<&-
			podman logs "$name" >&2 || true
			say "FAIL: $name printed no ready line within 60 s"
			exit 1
		fi
		case $line in "dpsim ready "*) break ;; esac
	done
	exec 3<&-
	kill "$logpid" 2>/dev/null || true
	wait "$logpid" 2>/dev/null || true
	logpid=
	[ "$line" = "dpsim ready http://0.0.0.0:$port/wsman" ] || {
		say "FAIL: ready line '$line'"; exit 1; }
	# The image's HEALTHCHECK (dpsim --probe inside) and the probe from
	# outside agree at once: ready is printed when health is ready.
	podman healthcheck run "$name" || { say "FAIL: $name is not healthy"; exit 1; }
	"$dpsim" --probe "$base_url/_dpsim/health"
}

# stop NAME: SIGTERM to dpsim as PID 1, which must end it cleanly (0).
stop() {
	podman stop -t 20 "$1" >/dev/null
	local code
	code=$(podman inspect --format '{{.State.ExitCode}}' "$1")
	[ "$code" = 0 ] || { podman logs "$1" >&2; say "FAIL: $1 exited $code on SIGTERM"; exit 1; }
	podman logs "$1" 2>&1 | grep -q "stopped cleanly" || {
		say "FAIL: $1 did not log 'stopped cleanly'"; exit 1; }
	podman rm -v "$1" >/dev/null 2>&1 || { say "FAIL: cannot remove $1"; exit 1; }
}

dp() { "$dpctl" -e "$endpoint" -u "$1" -p "$2" "${@:3}"; }

# --- 0: without an admin token the image refuses to start, and says why ---
if out=$(podman run --rm "${rt[@]}" --network host -e DPSIM_LISTEN="0.0.0.0:$port" \
	"$image" 2>&1); then
	say "FAIL: the image started without DPSIM_ADMIN_TOKEN"; exit 1
fi
case $out in *"is not a loopback address"*"DPSIM_ADMIN_TOKEN) is required"*) ;;
*) say "FAIL: no token, but the refusal says: $out"; exit 1 ;;
esac

# --- 1: the bundled lab, SetDPMaintenanceMode from outside ----------------
c1=dpsim-test-$tag-1
start "$c1"
say "started and healthy ($(elapsed))"
# As non-root, with the image's defaults.
[ "$(podman exec "$c1" id -un)" = dpsim ] || { say "FAIL: not the dpsim user"; exit 1; }
[ "$(podman inspect --format '{{.State.Pid}}' "$c1")" != 0 ]
[ "$(podman exec "$c1" cat /proc/1/comm)" = dpsim ] || { say "FAIL: dpsim is not PID 1"; exit 1; }
dp lab lab status DP01.contoso.com | grep -qx 'maintenance mode: off'
dp lab lab maintenance on DP01.contoso.com >/dev/null
dp lab lab status DP01.contoso.com | grep -qx 'maintenance mode: on'
# The control API wants the token off loopback; dpctl reads it from
# DPSIM_ADMIN_TOKEN.
if "$dpctl" -e "$endpoint" sim state >/dev/null 2>&1; then
	say "FAIL: the control API answered without the token"; exit 1
fi
DPSIM_ADMIN_TOKEN=$token "$dpctl" -e "$endpoint" --site PS1 sim journal count \
	--method SetDPMaintenanceMode --expect 1 >/dev/null
# The pytest example as the README's CI jobs run it: against the service,
# a site per test.
if /usr/bin/python3 -c 'import pytest' 2>/dev/null; then
	DPSIM_URL=$base_url DPSIM_ADMIN_TOKEN=$token PYTHONDONTWRITEBYTECODE=1 \
		/usr/bin/python3 -m pytest -q -p no:cacheprovider "$src/examples/pytest" >&2
else
	say "FAIL: python3-pytest is not installed (./dev.sh test installs it)"; exit 1
fi
stop "$c1"
say "SetDPMaintenanceMode and the pytest example done, container stopped ($(elapsed))"

# --- 2: a new container on the same volume reads the change back ---------
c2=dpsim-test-$tag-2
start "$c2"
dp lab lab status DP01.contoso.com | grep -qx 'maintenance mode: on' || {
	say "FAIL: DP01's maintenance mode did not survive the restart"; exit 1; }
dp lab lab status DP02.contoso.com | grep -qx 'maintenance mode: on'
stop "$c2"
say "state read back after the restart ($(elapsed))"

# --- 3: a fixture mounted at /etc/dpsim/fixtures is served ----------------
mkdir -m 0755 "$tmp/fixtures"
cat >"$tmp/fixtures/site.xml" <<'XML'
<?xml version="1.0"?>
<dpsim-fixture xmlns="urn:dpsim:fixture:1">
  <users><user name="ci" password="ci-password" role="Full Administrator"/></users>
  <site code="CI1" name="Container" provider="CM01.ci.test">
    <dp fqdn="DPX.ci.test" kind="pull" maintenance="1" description="mounted"/>
  </site>
</dpsim-fixture>
XML
chmod 0644 "$tmp/fixtures/site.xml"
podman volume rm -f "$vol" >/dev/null
podman volume create "$vol" >/dev/null
c3=dpsim-test-$tag-3
start "$c3" -v "$tmp/fixtures:/etc/dpsim/fixtures:ro"
dp ci ci-password status DPX.ci.test | grep -qx 'maintenance mode: on' || {
	say "FAIL: the mounted fixture's DP is not served"; exit 1; }
dp ci ci-password site | grep -qx 'CI1' || { say "FAIL: site CI1 not served"; exit 1; }
if dp lab lab status DP01.contoso.com >/dev/null 2>&1; then
	say "FAIL: the bundled lab is served beside the mounted fixture"; exit 1
fi
stop "$c3"
say "PASS ($(elapsed))"
