#!/bin/bash
# Runs the dashboard's browser tests: headless Chromium (Debian's
# chromium package) driven by playwright-core from node_modules here.
# Skips (exit 77) only when Chromium, node or node_modules are missing;
# install them with:
#   apt-get install -y chromium nodejs npm
#   npm ci --prefix tests/browser
#
# usage: run.sh [TEST_FILE]   (default dashboard.test.mjs, in this
# directory)
# env: DPSIM_BIN (required), SCREENSHOT_DIR (default: the working
# directory), CHROMIUM (default /usr/bin/chromium), DPSIM_WRAPPER.
set -u
here=$(cd "$(dirname "$0")" && pwd)
chromium=${CHROMIUM:-/usr/bin/chromium}

if [ ! -x "$chromium" ]; then
	echo "SKIP: $chromium is not installed (apt-get install -y chromium)"
	exit 77
fi
if ! command -v node >/dev/null; then
	echo "SKIP: node is not installed (apt-get install -y nodejs npm)"
	exit 77
fi
if [ ! -f "$here/node_modules/playwright-core/package.json" ]; then
	echo "SKIP: playwright-core is not installed (npm ci --prefix tests/browser)"
	exit 77
fi
if [ -z "${DPSIM_BIN:-}" ] || [ ! -x "$DPSIM_BIN" ]; then
	echo "error: DPSIM_BIN must name the dpsim binary to test" >&2
	exit 1
fi
export CHROMIUM="$chromium"
export SCREENSHOT_DIR="${SCREENSHOT_DIR:-$PWD}"
mkdir -p "$SCREENSHOT_DIR"
# node's test runner runs the file in a child process and exits non-zero
# when a test fails.
exec node --test --test-reporter=spec "$here/${1:-dashboard.test.mjs}"
