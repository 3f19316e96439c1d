#!/usr/bin/env bash
# Runs adminservice_scenario.py with Debian's python (where
# python3-requests is installed), not whatever python3 comes first on
# PATH. exec: under the valgrind test setup only bash is checked, python
# runs natively.
#
# usage: adminservice_scenario.sh [DPSIM]    (or DPSIM_BIN=... ; PYTHON3=...)
PYTHON3=${PYTHON3:-/usr/bin/python3}
if [ ! -x "$PYTHON3" ]; then
	echo "SKIP: $PYTHON3 is not installed"
	exit 77
fi
exec "$PYTHON3" "$(dirname "$0")/adminservice_scenario.py" "$@"
