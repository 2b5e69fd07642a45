//! The progress bar: stored bytes, objects, throughput and ETA on stderr.
//! Hidden with `--quiet` or when stderr is not a terminal.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::scan::Progress;

/// An indicatif bar over the stored bytes of the listed objects.
pub struct Bar {
    bar: ProgressBar,
    objects: u64,
    done: AtomicU64,
}

impl Bar {
    /// A bar for `objects` objects totalling `bytes` stored bytes.
    pub fn new(objects: u64, bytes: u64, quiet: bool) -> Bar {
        let bar = if quiet || !std::io::stderr().is_terminal() {
            ProgressBar::hidden()
        } else {
            let b =
                ProgressBar::with_draw_target(Some(bytes), ProgressDrawTarget::stderr_with_hz(8));
            b.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
                )
                .expect("valid template"),
            );
            b
        };
        bar.set_message(format!("0/{objects} objects"));
        Bar {
            bar,
            objects,
            done: AtomicU64::new(0),
        }
    }

    /// A spinner for sources whose size is not known up front (S3: objects
    /// are fetched while the listing goes on).
    pub fn spinner(quiet: bool) -> Bar {
        let bar = if quiet || !std::io::stderr().is_terminal() {
            ProgressBar::hidden()
        } else {
            let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(8));
            b.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bytes} {binary_bytes_per_sec} {msg}",
                )
                .expect("valid template"),
            );
            b.enable_steady_tick(std::time::Duration::from_millis(125));
            b
        };
        bar.set_message("listing");
        Bar {
            bar,
            objects: 0,
            done: AtomicU64::new(0),
        }
    }

    /// Remove the bar from the terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for Bar {
    fn bytes(&self, n: u64) {
        self.bar.inc(n);
    }

    fn object_done(&self) {
        // indicatif redraws at most 8 times a second, so a message update
        // per object costs a string format and nothing more.
        let n = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if !self.bar.is_hidden() {
            if self.objects == 0 {
                self.bar.set_message(format!("{n} objects"));
            } else {
                self.bar
                    .set_message(format!("{n}/{} objects", self.objects));
            }
        }
    }
}
