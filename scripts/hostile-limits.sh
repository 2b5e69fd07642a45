#!/usr/bin/env bash
# Every hostile-input case of the test suite, measured: wall seconds and
# peak RSS of each ctreplay run the hostile tests make (GNU time), and the
# worst of each. The limits the README states (60 s, 512 MB) are checked
# here, by a person reading the figures, never by a test.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (apt install time)" >&2; exit 1; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
CTREPLAY_MEASURE="$out" cargo test --release -q --test integration -- hostile audit_evidence audit_intervals bad_input >/dev/null
awk '$1 ~ /^[0-9.]+$/ { n++; if ($1 > t) { t = $1; tc = $0 } if ($2 > m) { m = $2; mc = $0 } }
     END { printf "%d runs\nslowest: %s s  (%s)\nlargest: %.1f MB  (%s)\n", n, t, tc, m / 1024, mc }' "$out"

# Two cases the suite keeps small, at full size: four 15 MiB
# security-group records on 2 threads, and a 30-year range on the sample.
bin=target/release/ctreplay
big=$(mktemp -d)
trap 'rm -f "$out"; rm -rf "$big"' EXIT
python3 - "$big" <<'PY'
import gzip, json, os, sys
d = os.path.join(sys.argv[1], "AWSLogs/123837392027/CloudTrail/us-east-1/2026/11/02")
os.makedirs(d)
for n in range(4):
    items = []
    size = 0
    i = 0
    while size < 15 << 20:
        it = {"ipProtocol": "tcp", "fromPort": i % 65535, "toPort": i % 65535,
              "ipRanges": {"items": [{"cidrIp": "10.%d.%d.0/24" % (i % 256, (i // 256) % 256)}]}}
        size += len(json.dumps(it, separators=(",", ":"))) + 1
        items.append(it)
        i += 1
    r = {"eventVersion": "1.10", "eventTime": "2026-11-02T12:0%d:00Z" % n,
         "eventSource": "ec2.amazonaws.com", "eventName": "AuthorizeSecurityGroupIngress",
         "awsRegion": "us-east-1", "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123837392027:user/m"},
         "requestParameters": {"groupId": "sg-1", "ipPermissions": {"items": items}},
         "eventID": "big%d" % n, "recipientAccountId": "123837392027"}
    with gzip.open(os.path.join(d, "123837392027_CloudTrail_us-east-1_20261102T120%dZ_abcdefABCDEF0123.json.gz" % n), "wt") as f:
        json.dump({"Records": [r]}, f, separators=(",", ":"))
PY
/usr/bin/time -f "four 15 MiB records, 2 threads: %e s, %M KB" "$bin" scan -q -j 2 --format json "$big" >/dev/null
/usr/bin/time -f "sample, 2000-01-01..2030-01-01: %e s, %M KB" "$bin" audit -q --format json testdata/sample --since 2000-01-01 --until 2030-01-01 >/dev/null || true
