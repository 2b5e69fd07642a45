#!/usr/bin/env bash
# The test command from the README: formatting, lints, every test, and a
# check that the benches still build. Installs nothing it does not need.
set -euo pipefail
cd "$(dirname "$0")/.."

# The permission test runs the binary as an unprivileged user when run as
# root; setpriv comes with util-linux.
if [ "$(id -u)" = 0 ] && ! command -v setpriv >/dev/null; then
  apt-get update -qq && apt-get install -y -qq util-linux >/dev/null
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --locked --all-targets
echo "== cargo bench --no-run"
cargo bench --locked --no-run
