//! The decoder's memory: a record of 15 MiB (under the default
//! `--max-record-size` of 16 MiB) is decoded within a small multiple of
//! its size. simd-json's tree of such a record took about 12 times it;
//! the pruned exact decoder builds only the fields read.
//!
//! The bound is counted, not timed: a global allocator records the peak of
//! live bytes while one object is scanned on one thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use ctreplay::scan::{run_bytes, Detector, ScanOptions};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// One AuthorizeSecurityGroupIngress record of about `mib` MiB: rules
/// with one CIDR each, the shape that grows a real record.
fn big_record(mib: usize) -> String {
    let item = |i: usize| {
        format!(
            r#"{{"ipProtocol":"tcp","fromPort":{p},"toPort":{p},"ipRanges":{{"items":[{{"cidrIp":"10.{a}.{b}.0/24"}}]}}}}"#,
            p = i % 65535,
            a = i % 256,
            b = (i / 256) % 256
        )
    };
    let mut items = String::new();
    let mut i = 0;
    while items.len() < mib << 20 {
        if i > 0 {
            items.push(',');
        }
        items.push_str(&item(i));
        i += 1;
    }
    format!(
        r#"{{"Records":[{{"eventVersion":"1.10","eventTime":"2026-11-02T12:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"AuthorizeSecurityGroupIngress","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.15","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::123837392027:user/mallory"}},"requestParameters":{{"groupId":"sg-0abc","ipPermissions":{{"items":[{items}]}}}},"responseElements":null,"eventID":"big","recipientAccountId":"123837392027"}}]}}"#
    )
}

/// A record whose bulk is an array of scalars under a key no reader
/// wants: skipped, not built as nulls.
fn zeros_record(mib: usize) -> String {
    let zeros = vec!["0"; mib << 19].join(",");
    format!(
        r#"{{"Records":[{{"eventTime":"2026-11-02T12:00:00Z","eventName":"CreateSecurityGroup","eventID":"zeros","requestParameters":{{"groupName":"g","x":[{zeros}]}}}}]}}"#
    )
}

/// One test, so that no other allocates beside it.
#[test]
fn large_records_are_decoded_within_three_times_their_size() {
    for doc in [big_record(15), zeros_record(14)] {
        decoded_within_three_times(doc);
    }
}

fn decoded_within_three_times(doc: String) {
    let size = doc.len();
    let det = Detector::security_group_changes();
    let opts = ScanOptions {
        threads: 1,
        ..ScanOptions::default()
    };
    let bytes = bytes::Bytes::from(doc);
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let report = run_bytes("big.json", bytes, &det, &opts);
    let peak = PEAK.load(Ordering::Relaxed) - base;
    assert!(
        report.totals.errors.is_empty(),
        "{:?}",
        report.totals.errors
    );
    assert_eq!(report.events.len(), 1, "the change is reported");
    let events = report.events.load().unwrap();
    let e = &events[0];
    assert!(
        e.group_ids == ["sg-0abc"] || e.group_names == ["g"],
        "{e:?}"
    );
    // The record is held once in the block buffer (which may double as it
    // grows) while it is decoded: about two to three times its size, not
    // the twelve simd-json's tree took.
    assert!(
        peak < 3 * size,
        "decoding a {size}-byte record took {peak} bytes at peak ({:.1}x)",
        peak as f64 / size as f64
    );
}
