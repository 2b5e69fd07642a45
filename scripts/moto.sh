# Sourced by scripts/test.sh and scripts/bench.sh: install moto's server
# from PyPI into a virtualenv under target/ (once), start it (with
# scripts/moto_ext.py's additions) on a free loopback port, stop it when
# the calling script exits.
#
#   source scripts/moto.sh; start_moto LOGFILE   # sets MOTO_ENDPOINT, MOTO_PYTHON
#
# The caller's EXIT trap is chained, not replaced.

MOTO_VENV=target/s3-test-venv
MOTO_VERSION='moto[server]==5.2.5'
# The --fix tests run the AWS CLI and boto3 (moto brings boto3) against the
# server, lint the CloudFormation and parse the Terraform; the format tests
# read the output with real consumers (py-ocsf-models, DuckDB).
PY_TOOLS='awscli==1.46.3 cfn-lint==1.58.0 python-hcl2==8.1.4 py-ocsf-models==0.10.0 duckdb==2.0.1'

start_moto() {
  local log=${1:-target/moto_server.log}
  mkdir -p target
  if [ ! -x "$MOTO_VENV/bin/moto_server" ] || ! "$MOTO_VENV/bin/python" -c "import duckdb, py_ocsf_models" 2>/dev/null; then
    echo "== installing $MOTO_VERSION and $PY_TOOLS into $MOTO_VENV" >&2
    python3 -m venv "$MOTO_VENV"
    # shellcheck disable=SC2086  # a list of requirements
    "$MOTO_VENV/bin/pip" install --quiet --disable-pip-version-check "$MOTO_VERSION" $PY_TOOLS
  fi
  MOTO_PYTHON=$PWD/$MOTO_VENV/bin/python
  local port
  port=$("$MOTO_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # moto's server with the DescribeAlarmHistory answer moto lacks
  # (scripts/moto_ext.py), two items a page so that the tests page.
  CTREPLAY_MOTO_HISTORY_PAGE=${CTREPLAY_MOTO_HISTORY_PAGE:-2} "$MOTO_PYTHON" scripts/moto_ext.py -H 127.0.0.1 -p "$port" > "$log" 2>&1 &
  MOTO_PID=$!
  local previous
  previous=$(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT\$//")
  # shellcheck disable=SC2064  # expand now: the pid and the old trap
  trap "kill $MOTO_PID 2>/dev/null || true; $previous" EXIT
  "$MOTO_PYTHON" - "$port" "$log" <<'PY'
import socket, sys, time
for _ in range(150):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.2)
sys.exit(f"moto_server did not start; see {sys.argv[2]}")
PY
  MOTO_ENDPOINT="http://127.0.0.1:$port"
  export MOTO_ENDPOINT MOTO_PYTHON
}
