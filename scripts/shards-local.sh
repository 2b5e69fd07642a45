#!/usr/bin/env bash
# Run the shard and merge commands of deploy/ on this machine, as the
# engines would: each shard with its index in AWS_BATCH_JOB_ARRAY_INDEX
# (even indexes) or JOB_COMPLETION_INDEX (odd), N of them, then the merge,
# and check the merge equals one run over everything.
#   scripts/shards-local.sh PATH N OUT_DIR [scan options...]
set -euo pipefail
src=$1; n=$2; out=$3; shift 3
bin=${CTREPLAY_BIN:-ctreplay}
mkdir -p "$out"
for ((i = 0; i < n; i++)); do
  if ((i % 2 == 0)); then var=AWS_BATCH_JOB_ARRAY_INDEX; else var=JOB_COMPLETION_INDEX; fi
  # The same shell line as the job definitions', with the engine's variable.
  env -u AWS_BATCH_JOB_ARRAY_INDEX -u JOB_COMPLETION_INDEX "$var=$i" \
    sh -c "\"$bin\" scan \"$src\" $* --quiet --shard auto/$n --format partial > \"$out/part-\$$var.ctr.tmp\"; code=\$?; if [ \$code -eq 0 ] || [ \$code -eq 2 ]; then mv \"$out/part-\$$var.ctr.tmp\" \"$out/part-\$$var.ctr\"; exit 0; fi; exit \$code"
done
"$bin" merge "$out"/part-*.ctr --format json > "$out/scan.json"
"$bin" scan "$src" "$@" --quiet --format json > "$out/single.json" || [ $? -eq 2 ]
cmp "$out/scan.json" "$out/single.json"
echo "merged $n shards: the same report as one run ($out/scan.json)"
