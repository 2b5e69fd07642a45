#!/usr/bin/env bash
# End-to-end throughput, CPU time and peak memory of `ctreplay scan`, beside
# zcat, libdeflate-gunzip (two processes), the inflate-only bound and jq
# where installed, over the same files, in one run on this machine.
#
#   scripts/bench.sh [SIZE] [LARGEST] [SEED]     default: 1GB 85MB 1
#
# The bound is examples/inflate_bound.rs: each object read and inflated
# whole by libdeflate on all threads, nothing else; "vs bound" is its wall
# time over the command's. BASELINE_BIN=/path/to/older/ctreplay adds that
# binary's scan to the same run, to compare versions. S3=1 also uploads the
# corpus to a loopback moto server (installed and started as scripts/test.sh
# does) and scans it from there, beside the local scan; the CPU-seconds are
# ctreplay's own (the server is not its child). S3S_FS_BIN=/path/to/s3s-fs
# (cargo install s3s-fs --version 0.14.1 --features binary) adds a scan from
# that Rust S3 server, serving the corpus folder itself.
# EXTRA_SCANS="--preset cis-5.0-4.1;--pattern ..." adds scans with other
# patterns (separated by ;), written as NDJSON to wc -l.
#
# Generates (and caches) a synthetic trail with `ctreplay synth`, then
# reports MB/s of inflated JSON, the ratios to zcat and to the bound,
# CPU-seconds (user + system, the command and its children, from wait4) and
# peak RSS. Each command runs 5 times (RUNS=N to change; jq once) with a
# warm page cache; the medians count, the RSS is the largest. JQ=0 leaves
# jq out (it takes minutes on a large trail).
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-1GB}; largest=${2:-85MB}; seed=${3:-1}
cargo build --release --quiet
cargo build --release --quiet --example inflate_bound
bin=$PWD/target/release/ctreplay
bound=$PWD/target/release/examples/inflate_bound
# v2: synthetic trails carry signed digest chains since `verify`.
corpus=${BENCH_DIR:-${TMPDIR:-/tmp}/ctreplay-bench}/$size-$largest-$seed-v2
if [ ! -f "$corpus/manifest.json" ]; then
  rm -rf "$corpus"; mkdir -p "$corpus"
  "$bin" synth --out "$corpus" --size "$size" --largest "$largest" --seed "$seed"
fi
files=$corpus/files.txt
find "$corpus/AWSLogs" -path '*/CloudTrail/*' -name '*.json.gz' | sort > "$files"

s3_endpoint=""
if [ "${S3:-}" = 1 ]; then
  source scripts/moto.sh
  start_moto target/moto_bench.log
  s3_endpoint=$MOTO_ENDPOINT
  export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
  "$MOTO_PYTHON" - "$s3_endpoint" "$corpus" <<'PY'
import os, socket, sys, time, boto3
from concurrent.futures import ThreadPoolExecutor
ep, corpus = sys.argv[1:3]
host, port = ep.split("//")[1].split(":")
for _ in range(150):
    try:
        socket.create_connection((host, int(port)), 1).close(); break
    except OSError:
        time.sleep(0.2)
s3 = boto3.client("s3", endpoint_url=ep)
s3.create_bucket(Bucket="bench")
root = os.path.join(corpus, "AWSLogs")
paths = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs]
with ThreadPoolExecutor(16) as ex:
    list(ex.map(lambda p: s3.upload_file(p, "bench", os.path.relpath(p, corpus)), paths))
print(f"uploaded {len(paths)} objects to {ep}/bench", file=sys.stderr)
PY
fi

s3s_endpoint=""
if [ -n "${S3S_FS_BIN:-}" ]; then
  root=$(mktemp -d)
  ln -s "$corpus" "$root/bench"
  s3s_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$S3S_FS_BIN" --host 127.0.0.1 --port "$s3s_port" --access-key bench --secret-key bench "$root" > target/s3s_bench.log 2>&1 &
  s3s_pid=$!
  previous=$(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT\$//")
  # shellcheck disable=SC2064  # expand now
  trap "kill $s3s_pid 2>/dev/null || true; rm -rf '$root'; $previous" EXIT
  sleep 1
  s3s_endpoint="http://127.0.0.1:$s3s_port"
  export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
fi

python3 - "$bin" "$corpus" "$files" "${BASELINE_BIN:-}" "${EXTRA_SCANS:-}" "$s3_endpoint" "${MOTO_PYTHON:-}" "$s3s_endpoint" "$bound" <<'PY'
import json, os, shutil, subprocess, sys, time
bin, corpus, files, baseline, extra, s3_endpoint, s3_python, s3s_endpoint, bound = sys.argv[1:10]
m = json.load(open(os.path.join(corpus, "manifest.json")))
mb = m["bytes_inflated"] / 1e6
RUNS = int(os.environ.get("RUNS", "5"))
def run(cmd, times=RUNS):
    """Median, min and max wall time and median CPU-seconds over `times`
    runs (page cache warm), and the last stdout."""
    ts, cpus = [], []
    for _ in range(times):
        t = time.perf_counter()
        p = subprocess.Popen(cmd, shell=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = p.communicate()
        ts.append(time.perf_counter() - t)
        # communicate() reaped the child: its rusage is in RUSAGE_CHILDREN,
        # so take the difference.
        if p.returncode != 0:
            sys.exit(f"failed: {cmd}\n{err.decode()[-2000:]}")
        cpu = cpu_seconds()
        cpus.append(cpu - run.cpu)
        run.cpu = cpu
    ts.sort(); cpus.sort()
    return (ts[len(ts) // 2], ts[0], ts[-1], cpus[len(cpus) // 2]), out
def cpu_seconds():
    import resource
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime
run.cpu = 0.0
def rss(cmd):
    """Peak RSS of one run of `cmd` alone (RUSAGE_CHILDREN's maximum is
    over every child so far, so measure in a fresh interpreter)."""
    out = subprocess.run([sys.executable, "-c",
        "import resource,subprocess,sys;subprocess.run(sys.argv[1],shell=True,stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)", cmd], capture_output=True, text=True)
    return int(out.stdout) / 1024
print(f"corpus: {m['objects']} objects, {m['records']} records, {mb:.0f} MB of JSON, "
      f"{m['bytes_stored']/1e6:.0f} MB stored, largest object {m['largest_object']/1e6:.0f} MB; "
      f"{os.cpu_count()} cores, {open('/proc/cpuinfo').read().split('model name')[1].split(':')[1].splitlines()[0].strip()}")
rows = []
zcat = f"xargs zcat < {files} > /dev/null"
t, _ = run(zcat); rows.append(("zcat > /dev/null", t, rss(zcat)))
if shutil.which("libdeflate-gunzip"):
    ldg = f"xargs -P 2 -n 16 libdeflate-gunzip -c < {files} > /dev/null"
    t, _ = run(ldg); rows.append(("libdeflate-gunzip -c > /dev/null, 2 processes", t, rss(ldg)))
threads = os.cpu_count()
for n in sorted({threads, 1}, reverse=True):
    cmd = f"{bound} {files} {n}"
    t, out = run(cmd)
    assert int(out) == m["bytes_inflated"], "the bound inflated other than the manifest's bytes"
    rows.append((f"inflate-only bound (libdeflate, in process), {n} thread{'s' * (n > 1)}", t, rss(cmd)))
    if n == threads:
        bound_wall = t[0]
scan = f"{bin} scan -q -f json {corpus}/AWSLogs"
t, out = run(scan); rows.append(("ctreplay scan", t, rss(scan)))
r = json.loads(out)
assert r["summary"]["records_scanned"] == m["records"], "record count differs from the manifest"
assert r["summary"]["matched"] == len(m["matched"]), "matches differ from the manifest"
s = r["summary"]
print(f"prefilter: {s['records_decoded']} of {s['records_scanned']} records decoded "
      f"({100 * s['records_decoded'] / s['records_scanned']:.1f}%)")
# Integrity: verify alone, and the audit with and without --verify (the
# hashing runs inside the scan's inflate loop; this is its cost).
keys = os.path.join(corpus, "public-keys.json")
verify = f"{bin} verify -q -f json {corpus}/AWSLogs --public-keys {keys} --bucket trail-bucket"
t, out = run(verify); rows.append(("ctreplay verify", t, rss(verify)))
v = json.loads(out)
assert v["summary"]["objects"] == {"valid": m["objects"]}, "verify: not every object is valid"
assert v["summary"]["digests"] == {"valid": m["digests"]}, "verify: not every digest is valid"
# The audit exits 3 or 4 on this trail (a hypothetical audit); only 1 is
# a failure here.
audit = f"{bin} audit -q -f json {corpus}/AWSLogs"
t, _ = run(f"{audit} > /dev/null; [ $? -ne 1 ]"); rows.append(("ctreplay audit", t, rss(audit)))
audit_v = f"{audit} --verify --public-keys {keys}"
t, _ = run(f"{audit_v} > /dev/null; [ $? -ne 1 ]"); rows.append(("ctreplay audit --verify", t, rss(audit_v)))
if baseline:
    old = f"{baseline} scan -q -f json {corpus}/AWSLogs"
    t, out = run(old); rows.append(("baseline ctreplay scan", t, rss(old)))
    assert json.loads(out)["summary"]["matched"] == len(m["matched"]), "baseline matches differ"
for args in filter(None, (a.strip() for a in extra.split(";"))):
    # One event per line, matched ones counted by grep: a pattern that
    # matches every record writes a report too large to hold here.
    cmd = f"{bin} scan -q -f ndjson {args} {corpus}/AWSLogs | grep -c '^{{\"kind\":\"match\"' || true"
    t, out = run(cmd)
    rows.append((f"ctreplay scan {args}"[:60], t, rss(cmd)))
    print(f"{args}: {int(out)} matched")
if s3_endpoint:
    s3scan = f"{bin} scan -q -f json --endpoint-url {s3_endpoint} --path-style s3://bench/AWSLogs/"
    t, out = run(s3scan); rows.append(("ctreplay scan s3:// (loopback moto)", t, rss(s3scan)))
    r3 = json.loads(out)
    assert r3["summary"]["matched"] == len(m["matched"]), "S3 matches differ from the manifest"
    print(f"S3: {r3['summary']['list_calls']} LIST and {r3['summary']['get_calls']} GET requests")
    get = f"{s3_python} -c \"import boto3,concurrent.futures as c;s=boto3.client('s3',endpoint_url='{s3_endpoint}');ks=[o['Key'] for p in s.get_paginator('list_objects_v2').paginate(Bucket='bench') for o in p.get('Contents',[])];list(c.ThreadPoolExecutor(32).map(lambda k:s.get_object(Bucket='bench',Key=k)['Body'].read(),ks))\""
    t, _ = run(get, times=1); rows.append(("boto3 GET every object (server bound)", t, rss(get)))
if s3s_endpoint:
    s3s = f"{bin} scan -q -f json --endpoint-url {s3s_endpoint} --path-style s3://bench/AWSLogs/"
    t, out = run(s3s); rows.append(("ctreplay scan s3:// (loopback s3s-fs)", t, rss(s3s)))
    assert json.loads(out)["summary"]["matched"] == len(m["matched"]), "s3s-fs matches differ"
scan1 = f"{bin} scan -q -j 1 -f json {corpus}/AWSLogs"
t, _ = run(scan1); rows.append(("ctreplay scan -j 1", t, rss(scan1)))
if shutil.which("jq") and os.environ.get("JQ", "1") != "0":
    jq = (f"xargs zcat < {files} | jq -c '.Records[] | select(.eventName == \"AuthorizeSecurityGroupIngress\" or "
          ".eventName == \"AuthorizeSecurityGroupEgress\" or .eventName == \"RevokeSecurityGroupIngress\" or "
          ".eventName == \"RevokeSecurityGroupEgress\" or .eventName == \"CreateSecurityGroup\" or "
          ".eventName == \"DeleteSecurityGroup\")' > /dev/null")
    t, _ = run(jq, times=1); rows.append(("zcat | jq (select six names)", t, rss(jq)))
base = rows[0][1][0]
print(f"median of {RUNS} runs (jq: 1 run); range = slowest..fastest run against the zcat median; "
      f"vs bound = the {threads}-thread bound's median over the command's; CPU-s = user + system")
print(f"{'command':62} {'seconds':>8} {'MB/s':>7} {'vs zcat':>8} {'range':>12} {'vs bound':>9} {'CPU-s':>6} {'CPU-s/GB':>8} {'RSS MB':>7}")
for name, (med, lo, hi, cpu), peak in rows:
    print(f"{name:62} {med:8.2f} {mb/med:7.0f} {base/med:7.2f}x {base/hi:5.2f}..{base/lo:5.2f}x "
          f"{100*bound_wall/med:8.0f}% {cpu:6.2f} {cpu/(mb/1000):8.2f} {peak:7.0f}")
PY
