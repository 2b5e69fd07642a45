//! How the text reports look on a terminal: colours, tables fitted to its
//! width, and prose word-wrapped at it.
//!
//! [`Look`] is decided once, at the CLI edge, from `--color`, `--wide`,
//! `NO_COLOR` and whether stdout is a terminal; the text writers take it
//! and nothing else about the terminal. Piped output (and every machine
//! format) gets [`Look::PLAIN`]: full rows, no escape codes, the bytes the
//! snapshots pin. Tables are fitted by `fit_widths` and `cut` (the
//! table writers stream rows from a list that may have spilled to disk, so
//! a table crate that holds every row would not do); prose goes through
//! [`Wrap`], which leaves lines that already fit, so a fitted table passes
//! through it untouched.
//!
//! Every string that reaches these functions has been through
//! [`super::sanitize`]: log text brings no escape codes of its own, so the
//! only ones in the output are [`Look::paint`]'s.

use std::borrow::Cow;
use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use unicode_width::UnicodeWidthStr;

/// Colours on or off, and the width to fit (none: full rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Look {
    color: bool,
    width: Option<usize>,
}

/// What a painted piece of text says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Covered, caught, passing.
    Good,
    /// A gap, a miss, a failure, a call that was refused.
    Bad,
    /// Not judged, uncertain, a warning, a blind spot.
    Warn,
    /// Headings.
    Strong,
}

/// The narrowest width fitted to: a narrower terminal is fitted as if it
/// were this wide (and wraps what passes its edge).
const MIN_WIDTH: usize = 40;

impl Look {
    /// No colour, no fitting: piped output and the tests.
    pub const PLAIN: Look = Look {
        color: false,
        width: None,
    };

    /// A look with these colours and this width (at least 40 columns).
    pub fn new(color: bool, width: Option<usize>) -> Look {
        Look {
            color,
            width: width.map(|w| w.max(MIN_WIDTH)),
        }
    }

    /// The width to fit, if any.
    pub fn width(&self) -> Option<usize> {
        self.width
    }

    /// `text` in the colour of `tone`, or as it is with colours off.
    pub fn paint<'a>(&self, tone: Tone, text: &'a str) -> Cow<'a, str> {
        if !self.color || text.is_empty() {
            return Cow::Borrowed(text);
        }
        let style = match tone {
            Tone::Good => AnsiColor::Green.on_default(),
            Tone::Bad => AnsiColor::Red.on_default().bold(),
            Tone::Warn => AnsiColor::Yellow.on_default(),
            Tone::Strong => Style::new().bold(),
        };
        Cow::Owned(format!("{style}{text}{style:#}"))
    }
}

/// Terminal columns `s` takes (wide characters count two).
pub(crate) fn columns(s: &str) -> usize {
    s.width()
}

/// The columns a row of cells this wide takes, `gap` between cells.
pub(crate) fn span(widths: impl Iterator<Item = usize>, gap: usize) -> usize {
    let (sum, n) = widths.fold((0usize, 0usize), |(s, n), w| (s + w, n + 1));
    sum + gap * n.saturating_sub(1)
}

/// Column widths that fit `total` columns with `gap` between columns:
/// the widest columns give way first, none below its floor (`floor[i]`,
/// e.g. its header, or all of a column that must stay whole).
pub(crate) fn fit_widths(
    natural: &[usize],
    floor: &[usize],
    gap: usize,
    total: usize,
) -> Vec<usize> {
    let mut w = natural.to_vec();
    let mut over = span(w.iter().copied(), gap).saturating_sub(total);
    // A column at a time, the widest that can still give way (the first
    // of equals), so equals shrink together; at most a few thousand steps
    // (cells are clipped to 200 characters before they get here).
    while over > 0 {
        let Some(i) = (0..w.len())
            .filter(|&i| w[i] > floor[i])
            .max_by_key(|&i| (w[i], std::cmp::Reverse(i)))
        else {
            break;
        };
        w[i] -= 1;
        over -= 1;
    }
    w
}

/// `s` cut to `width` columns, the cut marked with `…`. Measured with
/// [`columns`] as a whole, the one measure the tables are laid out with
/// (a character's own width and its width in a sequence differ for emoji
/// with a presentation selector, or ligatures): the longest prefix that
/// fits is found by halving, then checked.
pub(crate) fn cut(s: &str, width: usize) -> Cow<'_, str> {
    if columns(s) <= width {
        return Cow::Borrowed(s);
    }
    let ends: Vec<usize> = s.char_indices().map(|(i, _)| i).skip(1).collect();
    let fits = |k: usize| k == 0 || columns(&s[..ends[k - 1]]) < width;
    // The largest k (characters kept) whose prefix leaves a column for
    // the marker.
    let (mut lo, mut hi) = (0, ends.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    // Widths are not always monotonic in the prefix: step back until the
    // chosen one fits.
    while !fits(lo) {
        lo -= 1;
    }
    let kept = if lo == 0 { "" } else { &s[..ends[lo - 1]] };
    Cow::Owned(format!("{kept}…"))
}

/// `s` without the colour codes [`Look::paint`] writes (`ESC [ ... m`).
fn strip_colours(s: &str) -> Cow<'_, str> {
    if !s.contains('\u{1b}') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('\u{1b}') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        rest = match after
            .strip_prefix('[')
            .and_then(|a| a.find('m').map(|m| &a[m + 1..]))
        {
            Some(r) => r,
            None => after,
        };
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// A writer that word-wraps each line longer than `width` columns, its
/// continuation lines indented four past the line's own indent; lines that
/// fit pass through as they are.
#[derive(Debug)]
pub struct Wrap<W: Write> {
    inner: W,
    width: usize,
    line: Vec<u8>,
}

impl<W: Write> Wrap<W> {
    /// Wrap what is written to `inner` at `width` columns ([`Look`] keeps
    /// the width at 40 or more).
    pub fn new(inner: W, width: usize) -> Wrap<W> {
        Wrap {
            inner,
            width,
            line: Vec::new(),
        }
    }

    fn emit(&mut self) -> io::Result<()> {
        let text = String::from_utf8_lossy(&self.line);
        let (body, newline) = match text.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (&*text, ""),
        };
        if columns(&strip_colours(body)) <= self.width {
            self.inner.write_all(self.line.as_slice())?;
        } else {
            let lead = &body[..body.len() - body.trim_start_matches(' ').len()];
            let more = format!("{lead}    ");
            // Timestamps, ARNs and names hold hyphens: lines break at
            // spaces only, and a word longer than the line (an S3 key, a
            // pattern without spaces) is left whole on a line of its own,
            // for copying.
            let opts = textwrap::Options::new(self.width)
                .initial_indent(lead)
                .subsequent_indent(&more)
                .word_splitter(textwrap::WordSplitter::NoHyphenation)
                .break_words(false);
            let lines = textwrap::wrap(body.trim_start_matches(' '), opts);
            for (i, l) in lines.iter().enumerate() {
                if i > 0 {
                    self.inner.write_all(b"\n")?;
                }
                self.inner.write_all(l.as_bytes())?;
            }
            self.inner.write_all(newline.as_bytes())?;
        }
        self.line.clear();
        Ok(())
    }

    /// Write what is left and hand back the inner writer.
    pub fn into_inner(mut self) -> io::Result<W> {
        if !self.line.is_empty() {
            self.emit()?;
        }
        Ok(self.inner)
    }
}

impl<W: Write> Write for Wrap<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(i) = memchr::memchr(b'\n', rest) {
            self.line.extend_from_slice(&rest[..=i]);
            self.emit()?;
            rest = &rest[i + 1..];
        }
        self.line.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_widest_columns_give_way_first() {
        // 20 + 10 + 60 + 2 * 2 gaps = 94 columns into 80.
        assert_eq!(
            fit_widths(&[20, 10, 60], &[20, 7, 6], 2, 80),
            vec![20, 10, 46]
        );
        // Two wide columns share the cut.
        assert_eq!(
            fit_widths(&[20, 50, 50], &[20, 6, 6], 2, 80),
            vec![20, 28, 28]
        );
        // Floors hold even when nothing fits.
        assert_eq!(fit_widths(&[20, 50], &[20, 10], 2, 10), vec![20, 10]);
        // What fits is left alone.
        assert_eq!(fit_widths(&[5, 5], &[1, 1], 2, 80), vec![5, 5]);
    }

    #[test]
    fn a_cut_is_marked_and_counts_wide_characters() {
        assert_eq!(cut("sg-0123456789", 8), "sg-0123…");
        assert_eq!(columns(&cut("sg-0123456789", 8)), 8);
        assert_eq!(cut("short", 8), "short");
        // Each of these takes two columns: three fit in 7 with the marker.
        assert_eq!(cut("日本語テキスト", 7), "日本語…");
        // A heart with its emoji selector takes two columns as a pair,
        // one alone: the cut is measured on what is printed.
        let hearts = "\u{2764}\u{fe0f}".repeat(10);
        let c = cut(&hearts, 8);
        assert!(columns(&c) <= 8, "{c} is {} columns", columns(&c));
        assert_eq!(cut("abc", 1), "…");
    }

    #[test]
    fn long_lines_wrap_at_words_under_their_indent() {
        let mut w = Wrap::new(Vec::new(), 40);
        w.write_all(b"short line\n  gap: one two three four five sixty-seven eight nine\nend")
            .unwrap();
        let out = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert_eq!(
            out,
            "short line\n  gap: one two three four five\n      sixty-seven eight nine\nend"
        );
        assert!(out.lines().all(|l| columns(l) <= 40));
    }

    #[test]
    fn long_words_stay_whole_and_colours_do_not_count() {
        let key = format!("  {}", "k".repeat(60));
        let mut w = Wrap::new(Vec::new(), 40);
        w.write_all(format!("see {key}\n").as_bytes()).unwrap();
        let out = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert!(out.contains(&"k".repeat(60)), "{out}");
        assert_eq!(strip_colours("\u{1b}[1m\u{1b}[31mFAIL\u{1b}[0m!"), "FAIL!");
    }

    #[test]
    fn paint_only_with_colours_on() {
        let on = Look::new(true, None);
        assert_eq!(on.paint(Tone::Good, "caught"), "\u{1b}[32mcaught\u{1b}[0m");
        assert_eq!(Look::PLAIN.paint(Tone::Bad, "missed"), "missed");
        // Painted text takes no more columns when wrapped.
        let mut w = Wrap::new(Vec::new(), 40);
        let line = format!("{}\n", on.paint(Tone::Bad, &"x".repeat(38)));
        w.write_all(line.as_bytes()).unwrap();
        assert_eq!(String::from_utf8(w.into_inner().unwrap()).unwrap(), line);
    }
}
