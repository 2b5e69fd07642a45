#!/usr/bin/env python3
"""Rebuild testdata/ from ../shared/testdata-real and hand-written cases.

Run from the repository root: python3 scripts/make-testdata.py SHARED_REAL_DIR
The outputs are committed; this script documents how they were made.
gzip output uses mtime=0 so reruns are byte-identical.
"""
import gzip, json, os, shutil, sys

real = sys.argv[1]
out = "testdata"

def gz(path, data, mtime=0):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        with gzip.GzipFile(fileobj=f, mode="wb", mtime=mtime, filename="") as g:
            g.write(data)

# 1. The sample trail: invictus-ir/aws_dataset (MIT), in the real key layout.
src = os.path.join(real, "invictus-ir__aws_dataset", "CloudTrail")
for name in sorted(os.listdir(src)):
    acct, _, region, stamp, _ = name.split("_")
    y, m, d = stamp[0:4], stamp[4:6], stamp[6:8]
    dst = os.path.join(out, "sample", "AWSLogs", acct, "CloudTrail", region, y, m, d, name + ".gz")
    gz(dst, open(os.path.join(src, name), "rb").read())
shutil.copy(os.path.join(real, "invictus-ir__aws_dataset", "LICENSE"), os.path.join(out, "sample", "LICENSE"))
digest = {"awsAccountId": "218007301253", "digestStartTime": "2023-07-10T11:40:00Z",
          "digestEndTime": "2023-07-10T12:40:00Z", "digestS3Bucket": "trail", "digestS3Object": "x",
          "logFiles": [], "newestEventTime": None, "oldestEventTime": None,
          "previousDigestS3Bucket": None, "previousDigestS3Object": None}
gz(os.path.join(out, "sample", "AWSLogs", "218007301253", "CloudTrail-Digest", "us-east-1", "2023", "07", "10",
                "218007301253_CloudTrail-Digest_us-east-1_main_us-east-1_20230710T124000Z.json.gz"),
   json.dumps(digest).encode())

# 2. TrailDiscover (CC BY 4.0): failed SG calls and near-miss names.
td = os.path.join(out, "real", "traildiscover")
os.makedirs(td, exist_ok=True)
for sub in ("EC2", "RDS"):
    d = os.path.join(real, "adanalvarez__TrailDiscover", "events", sub)
    for name in sorted(os.listdir(d)):
        shutil.copy(os.path.join(d, name), os.path.join(td, name))
shutil.copy(os.path.join(real, "adanalvarez__TrailDiscover", "LICENSE"), os.path.join(td, "LICENSE"))

# 3. cloudgrep (Apache-2.0): a real truncated CloudTrail file.
cg = os.path.join(out, "real", "cloudgrep")
os.makedirs(cg, exist_ok=True)
shutil.copy(os.path.join(real, "cado-security__cloudgrep", "tests", "data", "bad_cloudtrail.json"), cg)
shutil.copy(os.path.join(real, "cado-security__cloudgrep", "LICENSE"), os.path.join(cg, "LICENSE"))

# 4. Hand-written bad and tricky objects.
bad = os.path.join(out, "bad")
def rec(name, i, t="2026-11-02T10:0%d:00Z", extra=""):
    return ('{"eventVersion":"1.09","eventTime":"%s","eventSource":"ec2.amazonaws.com","eventName":"%s",'
            '"awsRegion":"eu-west-1","eventID":"00000000-0000-4000-8000-%012d","recipientAccountId":"111122223333",'
            '"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice"},'
            '"requestParameters":{"groupId":"sg-0%016d"}%s}') % (t % (i % 10), name, i, i, extra)
good = ",".join(rec("AuthorizeSecurityGroupIngress" if i % 50 == 7 else "DescribeInstances", i) for i in range(400))
doc = ('{"Records":[' + good + ']}').encode()
full = gzip.compress(doc, mtime=0)
os.makedirs(bad, exist_ok=True)
open(os.path.join(bad, "truncated.json.gz"), "wb").write(full[: len(full) * 2 // 3])
open(os.path.join(bad, "not-gzip.json.gz"), "wb").write(doc)
half = doc.index(b',{"eventVersion"', len(doc) // 2)
open(os.path.join(bad, "multi-member.json.gz"), "wb").write(
    gzip.compress(doc[:half], mtime=0) + gzip.compress(doc[half:], mtime=0))
# A structural break (two records without a comma) after 200 good records:
# found by the default scan.
cut = doc.index(b',{"eventVersion"', len(doc) // 2)
gz(os.path.join(bad, "invalid-json.json.gz"), doc[:cut] + doc[cut + 1:])
# A scalar broken inside a record that cannot match: only --validate,
# which decodes every record, reports it.
broken = doc.replace(b'"DescribeInstances","awsRegion"', b'"DescribeInstances""awsRegion"', 1)
gz(os.path.join(out, "validate", "invalid-record.json.gz"), broken)
gz(os.path.join(bad, "not-cloudtrail.json.gz"), b'{"items":[{"eventName":"CreateSecurityGroup"}]}')
gz(os.path.join(bad, "bad-fields.json.gz"), ('{"Records":[' + ",".join([
    '{"eventName":"CreateSecurityGroup","eventID":"no-time"}',
    '{"eventName":"DeleteSecurityGroup","eventTime":1688990000,"eventID":"numeric-time"}',
    '{"eventName":"RevokeSecurityGroupIngress","eventTime":"10 July 2023","eventID":"text-time"}',
    '{"eventName":["CreateSecurityGroup"],"eventTime":"2026-11-02T10:00:00Z","eventID":"array-name"}',
    rec("CreateSecurityGroup", 1),
]) + ']}').encode())
open(os.path.join(bad, "empty.json.gz"), "wb").write(b"")
gz(os.path.join(bad, "zero-records.json.gz"), b'{"Records":[]}')
gz(os.path.join(bad, "digest-by-content.json.gz"), json.dumps(digest).encode())
# Names that must and must not match, as CloudWatch Logs evaluates them.
tricky = [
    rec("\\u0043reateSecurityGroup", 1),                       # escaped: matches
    rec("DeleteSecurityGroup", 2, extra=',"errorCode":"Client.DryRunOperation"'),  # DryRun: matches
    rec("createsecuritygroup", 3),                            # case: no
    rec("CreateSecurityGroupX", 4),                           # whole value: no
    rec("PutRolePolicy", 5, extra=',"policyDocument":"{\\"Action\\":\\"ec2:AuthorizeSecurityGroupIngress\\"}"'),  # no
    rec("PutEvents", 6, extra=',"detail":{"eventName":"RevokeSecurityGroupEgress"}'),  # nested key: no
    rec("AuthorizeDBSecurityGroupIngress", 7),                # RDS near miss: no
    rec("ModifySecurityGroupRules", 8),                       # blind spot
]
gz(os.path.join(out, "tricky", "tricky.json.gz"), ('{"Records":[' + ",".join(tricky) + ']}').encode())
