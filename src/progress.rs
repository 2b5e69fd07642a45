//! Progress of a scan: the [`Progress`] trait the sources and the scan
//! report to, and [`Bar`], its indicatif rendering on stderr (stored bytes,
//! objects, throughput and ETA), hidden with `--quiet` or when stderr is
//! not a terminal. Bytes are decimal MB of stored (compressed) objects,
//! the unit and the quantity of the summary's "MB stored".
//!
//! A bar starts as a spinner; a source that knows its size up front (local
//! files) calls [`Progress::listed`] and it becomes a bar. S3 objects are
//! fetched while the listing goes on, so an S3 scan keeps the spinner.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Receives progress as the scan goes; must be cheap and thread-safe.
pub trait Progress: Sync {
    /// The listing is complete: `objects` objects, `bytes` stored bytes.
    fn listed(&self, objects: u64, bytes: u64);
    /// `n` more stored bytes were consumed.
    fn bytes(&self, n: u64);
    /// One more object is done.
    fn object_done(&self);
}

/// A progress sink that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn listed(&self, _: u64, _: u64) {}
    fn bytes(&self, _: u64) {}
    fn object_done(&self) {}
}

/// An indicatif bar over the stored bytes of the listed objects.
#[derive(Debug)]
pub struct Bar {
    bar: ProgressBar,
    objects: AtomicU64,
    done: AtomicU64,
}

impl Bar {
    /// A spinner until the listing says how much there is; hidden when
    /// `quiet` or when stderr is not a terminal.
    pub fn new(quiet: bool) -> Bar {
        let bar = if quiet || !std::io::stderr().is_terminal() {
            ProgressBar::hidden()
        } else {
            let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(8));
            b.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {decimal_bytes} stored {decimal_bytes_per_sec} {msg}",
                )
                .expect("valid template"),
            );
            b.enable_steady_tick(std::time::Duration::from_millis(125));
            b
        };
        bar.set_message("listing");
        Bar {
            bar,
            objects: AtomicU64::new(0),
            done: AtomicU64::new(0),
        }
    }

    /// Remove the bar from the terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for Bar {
    fn listed(&self, objects: u64, bytes: u64) {
        // A second pass over the same objects (the audit's) starts over.
        self.objects.store(objects, Ordering::Relaxed);
        self.done.store(0, Ordering::Relaxed);
        self.bar.set_position(0);
        if self.bar.is_hidden() {
            return;
        }
        self.bar.disable_steady_tick();
        self.bar.set_length(bytes);
        self.bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {decimal_bytes}/{decimal_total_bytes} stored {decimal_bytes_per_sec} ETA {eta} {msg}",
            )
            .expect("valid template"),
        );
        self.bar.set_message(format!("0/{objects} objects"));
    }

    fn bytes(&self, n: u64) {
        self.bar.inc(n);
    }

    fn object_done(&self) {
        // indicatif redraws at most 8 times a second, so a message update
        // per object costs a string format and nothing more.
        let n = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if !self.bar.is_hidden() {
            match self.objects.load(Ordering::Relaxed) {
                0 => self.bar.set_message(format!("{n} objects")),
                total => self.bar.set_message(format!("{n}/{total} objects")),
            }
        }
    }
}
