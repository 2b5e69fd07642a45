//! Real CloudTrail logs nobody on this team wrote (testdata/README.md).

use crate::util::*;

#[test]
fn invictus_sample_has_exactly_the_eight_security_group_events() {
    let (v, code) = scan_json(&[testdata("sample").to_str().unwrap()]);
    assert_eq!(code, 0);
    let expected = [
        ("2023-07-10T12:10:01Z", "CreateSecurityGroup"),
        ("2023-07-10T12:10:03Z", "RevokeSecurityGroupEgress"),
        ("2023-07-10T12:10:04Z", "RevokeSecurityGroupEgress"),
        ("2023-07-10T12:10:05Z", "AuthorizeSecurityGroupIngress"),
        ("2023-07-10T12:10:06Z", "AuthorizeSecurityGroupEgress"),
        ("2023-07-10T12:10:08Z", "AuthorizeSecurityGroupIngress"),
        ("2023-07-10T12:11:57Z", "RevokeSecurityGroupIngress"),
        ("2023-07-10T12:12:06Z", "DeleteSecurityGroup"),
    ];
    let got = times_and_names(&v["events"]);
    let want: Vec<_> = expected
        .iter()
        .map(|(t, n)| (t.to_string(), n.to_string()))
        .collect();
    assert_eq!(got, want);
    let failed: Vec<_> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !e["errorCode"].is_null())
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["errorCode"], "Client.InvalidPermission.NotFound");
    assert_eq!(failed[0]["eventTime"], "2023-07-10T12:10:04Z");
    let s = &v["summary"];
    assert_eq!(s["records_scanned"], 2900);
    assert_eq!(s["objects_scanned"], 55);
    assert_eq!(s["objects_skipped_by_reason"]["digest"], 1);
    assert_eq!(s["matched"], 8);
    assert_eq!(v["blind_spots"].as_array().unwrap().len(), 0);
    // All eight fall in one period: one breach, one notification.
    let p = &v["alarm_periods"][0];
    assert_eq!(p["breaching"].as_array().unwrap().len(), 1);
    assert_eq!(p["breaching"][0]["start"], "2023-07-10T12:10:00Z");
    assert_eq!(p["breaching"][0]["sum"], 8);
    assert_eq!(p["notifications"], 1);
    assert_eq!(v["events"][0]["groupIds"][0], "sg-04cfb7a4712d75b00");
}

#[test]
fn time_range_is_half_open_on_event_time() {
    let dir = testdata("sample");
    let (v, _) = scan_json(&[
        dir.to_str().unwrap(),
        "--since",
        "2023-07-10T12:10:04Z",
        "--until",
        "2023-07-10T12:11:57Z",
    ]);
    let names: Vec<_> = times_and_names(&v["events"])
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(
        names,
        [
            "2023-07-10T12:10:04Z",
            "2023-07-10T12:10:05Z",
            "2023-07-10T12:10:06Z",
            "2023-07-10T12:10:08Z"
        ]
    );
    // Objects delivered long after the range are not opened at all.
    let (v, _) = scan_json(&[
        dir.to_str().unwrap(),
        "--since",
        "2023-07-10T10:00:00Z",
        "--until",
        "2023-07-10T10:30:00Z",
        "--delivery-skew",
        "10m",
    ]);
    assert_eq!(v["summary"]["objects_scanned"], 0);
    assert_eq!(
        v["summary"]["objects_skipped_by_reason"]["out_of_range"],
        55
    );
}

#[test]
fn account_and_region_filters_prune_by_key() {
    let dir = testdata("sample");
    let (v, _) = scan_json(&[dir.to_str().unwrap(), "--region", "eu-west-1"]);
    assert_eq!(
        v["summary"]["objects_skipped_by_reason"]["not_selected"],
        55
    );
    assert_eq!(v["summary"]["matched"], 0);
    // Records carry recipientAccountId 123837392027 (the key says 218007301253).
    let (v, _) = scan_json(&[dir.to_str().unwrap(), "--account", "123837392027"]);
    assert_eq!(
        v["summary"]["objects_skipped_by_reason"]["not_selected"],
        55
    );
    let (v, _) = scan_json(&[
        dir.to_str().unwrap(),
        "--account",
        "218007301253",
        "--region",
        "us-east-1",
    ]);
    // --account matches the key's account or the records': a copied
    // archive keeps the records' account under another account's keys.
    assert_eq!(
        v["summary"]["matched"], 8,
        "the key account selects the records"
    );
    assert!(v["scope"]["warnings"][0]
        .as_str()
        .unwrap()
        .contains("records of account 123837392027 are stored under account 218007301253"));
}

#[test]
fn traildiscover_failed_calls_match_and_near_misses_do_not() {
    // *.json.cloudtrail is not picked up by a folder walk: name the files.
    let mut files: Vec<String> = std::fs::read_dir(testdata("real/traildiscover"))
        .unwrap()
        .map(|e| e.unwrap().path().to_str().unwrap().to_owned())
        .filter(|p| p.ends_with(".cloudtrail"))
        .collect();
    files.sort();
    let args: Vec<&str> = files.iter().map(String::as_str).collect();
    let (v, code) = scan_json(&args);
    assert_eq!(code, 0);
    let got = times_and_names(&v["events"]);
    let names: Vec<_> = got.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "CreateSecurityGroup",
            "AuthorizeSecurityGroupIngress",
            "AuthorizeSecurityGroupEgress"
        ]
    );
    for e in v["events"].as_array().unwrap() {
        assert_eq!(e["errorCode"], "Client.UnauthorizedOperation");
    }
    assert_eq!(v["summary"]["records_scanned"], 6);
}

#[test]
fn cloudgrep_truncated_file_is_reported_by_name() {
    let (v, code) = scan_json(&[testdata("real/cloudgrep").to_str().unwrap()]);
    assert_eq!(code, 2);
    let err = &v["errors"][0];
    assert!(err["object"]
        .as_str()
        .unwrap()
        .ends_with("bad_cloudtrail.json"));
    assert!(
        err["reason"]
            .as_str()
            .unwrap()
            .contains("unexpected end of data"),
        "{err}"
    );
}
