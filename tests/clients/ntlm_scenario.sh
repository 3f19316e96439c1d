#!/usr/bin/env bash
# Runs ntlm_scenario.py with Debian's python (python3-winrm,
# python3-ntlm-auth, python3-gssapi). The Python NTLM client hashes with
# hashlib's MD4, which OpenSSL 3 keeps in its legacy provider: a config
# of its own turns that on for the client (dpsim does not get it).
#
# usage: ntlm_scenario.sh [DPSIM]    (or DPSIM_BIN=... ; PYTHON3=...)
PYTHON3=${PYTHON3:-/usr/bin/python3}
if [ ! -x "$PYTHON3" ]; then
	echo "SKIP: $PYTHON3 is not installed"
	exit 77
fi
conf=$(mktemp "${TMPDIR:-/tmp}/dpsim-ntlm-openssl.XXXXXX") || exit 1
trap 'rm -f "$conf"' EXIT
cat > "$conf" <<'CONF'
openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
default = default_sect
legacy = legacy_sect
[default_sect]
activate = 1
[legacy_sect]
activate = 1
CONF
OPENSSL_CONF=$conf "$PYTHON3" "$(dirname "$0")/ntlm_scenario.py" "$@"
