//! The inflate-only bound for `scripts/bench.sh`: read each listed gzip
//! file and inflate it whole with libdeflate, on N threads, largest first,
//! and nothing else. A scan cannot beat this; how close it comes is the
//! figure the bench script reports.
//!
//! ```text
//! cargo run --release --example inflate_bound -- FILE_LIST THREADS
//! ```
//!
//! FILE_LIST names one file per line. Prints the inflated bytes, which the
//! bench script checks against the corpus manifest.

use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};

use ctreplay::scan::oneshot::OneShot;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, list, threads] = &args[..] else {
        eprintln!("usage: inflate_bound FILE_LIST THREADS");
        std::process::exit(1);
    };
    let threads: usize = threads.parse().expect("THREADS is a number");
    let text = std::fs::read_to_string(list).expect("the file list is readable");
    let mut files: Vec<(u64, &str)> = text
        .lines()
        .filter(|l| !l.is_empty())
        .map(|p| (std::fs::metadata(p).expect("listed file").len(), p))
        .collect();
    files.sort_by(|a, b| b.cmp(a));
    let next = AtomicUsize::new(0);
    let total: u64 = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let (mut z, mut stored, mut out) = (OneShot::new(), Vec::new(), Vec::new());
                    let mut n = 0u64;
                    while let Some((_, path)) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
                        stored.clear();
                        std::fs::File::open(path)
                            .and_then(|mut f| f.read_to_end(&mut stored))
                            .expect("listed file is readable");
                        assert!(
                            z.inflate(&stored, usize::MAX, &mut out),
                            "{path}: not one clean gzip member"
                        );
                        n += out.len() as u64;
                    }
                    n
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    });
    println!("{total}");
}
