#!/usr/bin/env bash
# Submit the shard array job and the merge that waits for all of it.
#   deploy/aws-batch/submit.sh JOB_QUEUE [SHARDS]
# Register the two job definitions first:
#   aws batch register-job-definition --cli-input-json file://deploy/aws-batch/scan-shard-job-definition.json
#   aws batch register-job-definition --cli-input-json file://deploy/aws-batch/merge-job-definition.json
# SHARDS must equal the N of --shard auto/N in the scan job definition.
set -euo pipefail
queue=$1; shards=${2:-64}
scan=$(aws batch submit-job --job-name ctreplay-scan --job-queue "$queue" \
  --job-definition ctreplay-scan-shard --array-properties "size=$shards" \
  --query jobId --output text)
# A job that depends on an array job starts when every child has finished.
aws batch submit-job --job-name ctreplay-merge --job-queue "$queue" \
  --job-definition ctreplay-merge --depends-on "jobId=$scan" \
  --query jobId --output text
