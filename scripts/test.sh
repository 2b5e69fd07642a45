#!/usr/bin/env bash
# The test command from the README: formatting, lints, every test (the S3
# ones against a local moto server this script installs, starts and stops),
# and a check that the benches still build.
set -euo pipefail
cd "$(dirname "$0")/.."

# The permission test runs the binary as an unprivileged user when run as
# root; setpriv comes with util-linux.
if [ "$(id -u)" = 0 ] && ! command -v setpriv >/dev/null; then
  apt-get update -qq && apt-get install -y -qq util-linux >/dev/null
fi

# The S3 tests need an S3-compatible server: moto's server mode from PyPI,
# in a virtualenv under target/, on a free loopback port, stopped on exit.
mkdir -p target
venv=target/s3-test-venv
if [ ! -x "$venv/bin/moto_server" ]; then
  echo "== installing moto[server] into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'moto[server]==5.2.5'
fi
port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$venv/bin/moto_server" -H 127.0.0.1 -p "$port" > target/moto_server.log 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true' EXIT
"$venv/bin/python" - "$port" <<'PY'
import socket, sys, time
for _ in range(150):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.2)
sys.exit("moto_server did not start; see target/moto_server.log")
PY
export CTREPLAY_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
echo "== S3 test server (moto) at $CTREPLAY_TEST_S3_ENDPOINT"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --locked --all-targets
echo "== cargo bench --no-run"
cargo bench --locked --no-run
