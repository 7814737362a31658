#!/bin/sh
# Regenerate test/fixtures/certs/{czmq,pyzmq}/ with the real peers, and expected.json with what
# the peers' own loaders read back from every fixture.
#
# Needs (Debian bookworm): apt-get install -y python3-zmq libczmq-dev gcc
# The Python must be the one python3-zmq is installed for; set IRONHOUSE_PYTHON if it is not
# /usr/bin/python3 (a pyenv python3 on PATH usually has no zmq module).
#
# The keys written here are TEST KEYS, published in this repository: never use them.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/test/fixtures/certs"
PYTHON=${IRONHOUSE_PYTHON:-/usr/bin/python3}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

umask 022
rm -rf "$OUT/czmq" "$OUT/pyzmq"
mkdir -p "$OUT/czmq" "$OUT/pyzmq"

gcc -Wall -o "$TMP/zcert-tool" "$ROOT/scripts/zcert-tool.c" -lczmq -lzmq

# --- CZMQ (zcert_save): PATH + PATH_secret, metadata quoted in both files, secret file 0600 ---
"$TMP/zcert-tool" save "$OUT/czmq/server" \
    "name=Server Example" "email=ops@example.com" "empty=" "utf8=Zoë" "apostrophe=it's" "equals=a=b" >/dev/null
"$TMP/zcert-tool" save "$OUT/czmq/client.key" >/dev/null
# CZMQ writes a value containing '"' inside '"' quotes, unescaped, and cannot load it back.
"$TMP/zcert-tool" save "$OUT/czmq/broken-dquote" 'dquote=say "hi"' >/dev/null

# --- pyzmq (zmq.auth.create_certificates): NAME.key + NAME.key_secret, metadata unquoted and
#     only in the secret file, both files 0644 ---
"$PYTHON" - "$OUT/pyzmq" <<'PY'
import sys
import zmq.auth
out = sys.argv[1]
zmq.auth.create_certificates(out, "alice", metadata={
    "name": "Alice Example",
    "email": "alice@example.com",
})
zmq.auth.create_certificates(out, "bob")
zmq.auth.create_certificates(out, "quirks", metadata={
    "spaces": "two  words ",
    "equals": "a=b",
    "quote": 'say "hi"',
    "apostrophe": "it's",
    "hash": "before#after",
    "utf8": "Zoë",
    "empty": "",
})
PY

# --- expected.json: what each peer's loader reads from each fixture ---
"$PYTHON" - "$OUT" "$TMP/zcert-tool" <<'PY'
import json, os, subprocess, sys
import zmq, zmq.auth
out, tool = sys.argv[1], sys.argv[2]
def czmq_load(path):
    run = subprocess.run([tool, "load", path], capture_output=True, text=True)
    if run.returncode != 0:
        return None
    result = {"metadata": {}}
    for line in run.stdout.splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "meta":
            name, _, value = rest.partition("\t")
            result["metadata"][name] = value
        else:
            result[kind] = rest
    if result.get("secret") == "0" * 40:
        result["secret"] = None
    return result
def pyzmq_load(path):
    try:
        public, secret = zmq.auth.load_certificate(path)
    except Exception as e:
        return None
    return {"public": public.decode(), "secret": secret.decode() if secret else None}
expected = {"generator": {
    "pyzmq": zmq.__version__, "libzmq": zmq.zmq_version(),
    "czmq": subprocess.run(["dpkg-query", "-W", "-f=${Version}", "libczmq-dev"], capture_output=True, text=True).stdout,
}, "files": {}}
for sub in ("czmq", "pyzmq"):
    for name in sorted(os.listdir(os.path.join(out, sub))):
        rel = f"{sub}/{name}"
        path = os.path.join(out, sub, name)
        expected["files"][rel] = {
            "mode": oct(os.stat(path).st_mode & 0o777),
            "czmq_zcert_load": czmq_load(path),
            "pyzmq_load_certificate": pyzmq_load(path),
        }
with open(os.path.join(out, "expected.json"), "w") as f:
    json.dump(expected, f, indent=2, ensure_ascii=False, sort_keys=True)
    f.write("\n")
PY

echo "fixtures written to $OUT"
