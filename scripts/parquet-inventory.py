#!/usr/bin/env python3
"""Writes testdata/inventory/*.parquet: S3 Inventory data files in Parquet,
with the schema S3 documents for a Parquet inventory
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-location.html),
written by Apache Arrow's C++ writer (pyarrow) rather than the Rust crate
ctreplay reads them with, so the reader is tested against another
implementation.

    python3 -m venv /tmp/pa && /tmp/pa/bin/pip install pyarrow
    /tmp/pa/bin/python scripts/parquet-inventory.py testdata/inventory
"""
import sys
from datetime import datetime, timezone

import pyarrow as pa
import pyarrow.parquet as pq

out = sys.argv[1]
ms = pa.timestamp("ms")
schema = pa.schema([
    pa.field("bucket", pa.string(), nullable=False),
    pa.field("key", pa.string(), nullable=False),
    ("version_id", pa.string()),
    ("is_latest", pa.bool_()),
    ("is_delete_marker", pa.bool_()),
    ("size", pa.int64()),
    ("last_modified_date", ms),
    ("e_tag", pa.string()),
    ("storage_class", pa.string()),
    ("is_multipart_uploaded", pa.bool_()),
])
t = datetime(2026, 11, 1, 0, 5, tzinfo=timezone.utc)
base = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/01/"
rows = [
    # key, version, is_latest, is_delete_marker, size
    (base + "111122223333_CloudTrail_us-east-1_20261101T0005Z_a.json.gz", "v3", True, False, 1200),
    # A key S3 would URL-encode in a CSV inventory: Parquet holds it as is.
    (base + "a b+c%20é.json.gz", "v1", True, False, 7),
    # A noncurrent version and a delete marker: not objects to read.
    (base + "111122223333_CloudTrail_us-east-1_20261101T0005Z_a.json.gz", "v2", False, False, 900),
    (base + "gone.json.gz", "v9", True, True, None),
    # No size recorded.
    (base + "nosize.json.gz", None, None, None, None),
]
cols = {
    "bucket": ["trail"] * len(rows),
    "key": [r[0] for r in rows],
    "version_id": [r[1] for r in rows],
    "is_latest": [r[2] for r in rows],
    "is_delete_marker": [r[3] for r in rows],
    "size": [r[4] for r in rows],
    "last_modified_date": [t] * len(rows),
    "e_tag": ["0" * 32] * len(rows),
    "storage_class": ["STANDARD"] * len(rows),
    "is_multipart_uploaded": [False] * len(rows),
}
table = pa.table(cols, schema=schema)
# zstd: a codec ctreplay is not built with, which it must name, not misread.
for codec in ["snappy", "gzip", "zstd"]:
    pq.write_table(table, f"{out}/inventory-{codec}.parquet", compression=codec, row_group_size=2)

# One 1,000-byte key repeated 100,000 times: a few KB of dictionary and
# run-length indices standing for 100 MB of keys (the reader refuses it).
key = base + "k" * (1000 - len(base))
n = 100_000
bomb = pa.table({"bucket": ["trail"] * n, "key": [key] * n}, schema=pa.schema([
    pa.field("bucket", pa.string(), nullable=False),
    pa.field("key", pa.string(), nullable=False),
]))
pq.write_table(bomb, f"{out}/repeated-key.parquet", compression="snappy", use_dictionary=True)
