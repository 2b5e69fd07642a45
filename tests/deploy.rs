//! The deploy/ recipes: the fields the shard-and-merge recipe depends on
//! (no cluster or container engine is reachable here), and the same shell
//! lines run locally with the engines' index variables set.

use serde_json::Value;

fn json(rel: &str) -> Value {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap())
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The N of `--shard auto/N` in a shell line.
fn shards_in(line: &str) -> u64 {
    let at = line.find("--shard auto/").expect("--shard auto/N") + "--shard auto/".len();
    line[at..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn the_kubernetes_indexed_job_shards_and_the_merge_reads_every_shard() {
    let job = json("deploy/kubernetes/scan-shards.json");
    let spec = &job["spec"];
    assert_eq!(job["kind"], "Job");
    assert_eq!(spec["completionMode"], "Indexed");
    let c = &spec["template"]["spec"]["containers"][0];
    let line = c["args"][0].as_str().unwrap();
    assert_eq!(spec["completions"].as_u64().unwrap(), shards_in(line));
    assert!(spec["parallelism"].as_u64().unwrap() <= spec["completions"].as_u64().unwrap());
    assert!(line.contains("--format partial"));
    assert!(line.contains("$JOB_COMPLETION_INDEX"));
    let mount = c["volumeMounts"][0]["mountPath"].as_str().unwrap();
    assert!(line.contains(&format!("> {mount}/part-")));
    assert_eq!(spec["template"]["spec"]["restartPolicy"], "Never");
    let merge = json("deploy/kubernetes/merge.json");
    let m = &merge["spec"]["template"]["spec"]["containers"][0];
    let mline = m["args"][0].as_str().unwrap();
    assert!(mline.contains(&format!("ctreplay merge {mount}/part-*.ctr")));
    assert_eq!(
        m["volumeMounts"][0]["mountPath"].as_str().unwrap(),
        mount,
        "the merge reads the volume the shards write"
    );
    assert_eq!(
        merge["spec"]["template"]["spec"]["volumes"][0],
        spec["template"]["spec"]["volumes"][0]
    );
}

#[test]
fn the_aws_batch_array_job_shards_and_the_merge_waits_for_it() {
    let scan = json("deploy/aws-batch/scan-shard-job-definition.json");
    let merge = json("deploy/aws-batch/merge-job-definition.json");
    let line = scan["containerProperties"]["command"][2].as_str().unwrap();
    assert!(line.contains("$AWS_BATCH_JOB_ARRAY_INDEX"));
    assert!(line.contains("--format partial"));
    let n = shards_in(line);
    let submit = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/aws-batch/submit.sh"),
    )
    .unwrap();
    assert!(
        submit.contains(&format!("shards=${{2:-{n}}}")),
        "the default array size is N"
    );
    assert!(submit.contains("--array-properties \"size=$shards\""));
    assert!(submit.contains("--depends-on \"jobId=$scan\""));
    for (def, name) in [(&scan, "ctreplay-scan-shard"), (&merge, "ctreplay-merge")] {
        assert_eq!(def["jobDefinitionName"], name);
        assert!(submit.contains(&format!("--job-definition {name}")));
    }
    let path = scan["containerProperties"]["mountPoints"][0]["containerPath"]
        .as_str()
        .unwrap();
    assert_eq!(
        merge["containerProperties"]["mountPoints"][0]["containerPath"],
        path
    );
    assert!(merge["containerProperties"]["command"][2]
        .as_str()
        .unwrap()
        .contains(&format!("ctreplay merge {path}/part-*.ctr")));
}

#[test]
fn the_recipes_shell_lines_run_locally_and_merge_to_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let trail = dir.path().join("trail");
    let out = crate::util::ctreplay(&[
        "synth",
        "--out",
        trail.to_str().unwrap(),
        "--size",
        "4MB",
        "--largest",
        "512KB",
    ]);
    assert!(out.status.success());
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/shards-local.sh");
    let o = std::process::Command::new("bash")
        .arg(script)
        .arg(trail.join("AWSLogs"))
        .arg("5")
        .arg(dir.path().join("parts"))
        .env("CTREPLAY_BIN", assert_cmd::cargo::cargo_bin("ctreplay"))
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("merged 5 shards"));
    for i in 0..5 {
        assert!(dir.path().join(format!("parts/part-{i}.ctr")).exists());
    }
}
