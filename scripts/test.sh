#!/usr/bin/env bash
# The test command from the README: formatting, lints, every test (the S3
# and --aws ones against a local moto server this script installs, starts
# and stops; the benches are built and run once by --all-targets), and a
# check that the fuzz targets still build.
set -euo pipefail
cd "$(dirname "$0")/.."

# The permission test runs the binary as an unprivileged user when run as
# root; setpriv comes with util-linux. The HTML tests render the reports in
# Debian's chromium, headless.
need=()
command -v setpriv >/dev/null || need+=(util-linux)
command -v chromium >/dev/null || need+=(chromium)
# moto's virtualenv needs python3's venv module (Debian's python3-venv).
python3 -c 'import ensurepip, venv' 2>/dev/null || need+=(python3-venv)
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "== installing ${need[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "== missing ${need[*]}: install them (apt-get install ${need[*]}); the tests that need them will fail" >&2
  fi
fi

# rustfmt and clippy come from rustup and cannot be downloaded here: say
# what to run rather than fail halfway.
missing=()
cargo fmt --version >/dev/null 2>&1 || missing+=(rustfmt)
cargo clippy --version >/dev/null 2>&1 || missing+=(clippy)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== missing rustup components: ${missing[*]}; run: rustup component add ${missing[*]}" >&2
  exit 1
fi

# The S3 tests need an S3-compatible server: moto's server mode from PyPI,
# in a virtualenv under target/, on a free loopback port, stopped on exit.
source scripts/moto.sh
start_moto target/moto_server.log
export CTREPLAY_TEST_S3_ENDPOINT="$MOTO_ENDPOINT"
echo "== S3 test server (moto) at $CTREPLAY_TEST_S3_ENDPOINT"

df -h . | sed 's/^/== disk: /'
# Each step says how long it took (CI must stay well under its 60 minutes).
step() {
  local name=$1 start=$SECONDS
  shift
  echo "== $name"
  "$@"
  echo "== $name: $((SECONDS - start)) s"
}
step "cargo fmt --check" cargo fmt --all -- --check
step "cargo clippy" cargo clippy --all-targets --locked -- -D warnings
# --all-targets builds the benches too (in the test profile, and runs each
# criterion bench once), so no separate `cargo bench --no-run`: that was a
# third build of the whole tree, with fat LTO.
step "cargo test" cargo test --locked --all-targets

# The fuzz targets (fuzz/, run with cargo-fuzz) must keep building; they
# need a nightly toolchain, and nothing above needs them.
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  step "fuzz fmt (nightly)" cargo +nightly fmt --manifest-path fuzz/Cargo.toml --all -- --check
  # `check`, not `build`: type-checking the targets is what this step is for,
  # and a second debug build of every dependency once filled CI's disk.
  step "fuzz targets check (nightly)" cargo +nightly check --locked --manifest-path fuzz/Cargo.toml --target-dir target/fuzz-check
  rm -rf target/fuzz-check
else
  echo "== fuzz targets: no nightly toolchain, not built"
fi
df -h . | sed 's/^/== disk: /'
