//! Records the commit the binary is built from, for `--version`
//! (`CTREPLAY_COMMIT`; "unknown" outside a git checkout, or set it in the
//! environment to override, as a packaged build would).

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=CTREPLAY_COMMIT");
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs/heads");
    let commit = std::env::var("CTREPLAY_COMMIT").ok().or_else(|| {
        let out = Command::new("git")
            .args(["rev-parse", "--short=12", "HEAD"])
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
            .filter(|c| !c.is_empty())
    });
    println!(
        "cargo:rustc-env=CTREPLAY_COMMIT={}",
        commit.unwrap_or_else(|| "unknown".to_owned())
    );
}
