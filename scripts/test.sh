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
source scripts/moto.sh
start_moto target/moto_server.log
export CTREPLAY_TEST_S3_ENDPOINT="$MOTO_ENDPOINT"
echo "== S3 test server (moto) at $CTREPLAY_TEST_S3_ENDPOINT"

df -h . | sed 's/^/== disk: /'
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --locked --all-targets
echo "== cargo bench --no-run"
cargo bench --locked --no-run

# The fuzz targets (fuzz/, run with cargo-fuzz) must keep building; they
# need a nightly toolchain, and nothing above needs them.
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  echo "== fuzz targets build (nightly)"
  cargo +nightly fmt --manifest-path fuzz/Cargo.toml --all -- --check
  # `check`, not `build`: type-checking the targets is what this step is for,
  # and a second debug build of every dependency once filled CI's disk.
  cargo +nightly check --locked --manifest-path fuzz/Cargo.toml --target-dir target/fuzz-check
  rm -rf target/fuzz-check
else
  echo "== fuzz targets: no nightly toolchain, not built"
fi
df -h . | sed 's/^/== disk: /'
