//! `verify`'s output: the JSON document (schema in the README, "verify")
//! and the text summary. The same [`IntegrityReport`] is what `audit
//! --verify` embeds; judging is [`crate::integrity`]'s.

use std::io::{self, Write};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::sanitize::sanitize;
use super::terminal::{Look, Tone};
use crate::event::format_time;
use crate::integrity::{counts, IntegrityReport, ObjectStatus, Summary};

/// Version of the `verify` JSON document.
pub const VERIFY_SCHEMA_VERSION: u32 = 1;

/// What was asked: the report states its own scope.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyQuery {
    /// Files, folders or `s3://` URLs read.
    pub paths: Vec<String>,
    /// Inclusive start of the delivery range asked for.
    #[serde(serialize_with = "crate::event::ser_opt_time")]
    pub since: Option<DateTime<Utc>>,
    /// Exclusive end.
    #[serde(serialize_with = "crate::event::ser_opt_time")]
    pub until: Option<DateTime<Utc>>,
    /// Only these accounts.
    pub accounts: Vec<String>,
    /// Only these regions.
    pub regions: Vec<String>,
    /// `--bucket`, for a local copy.
    pub bucket: Option<String>,
    /// Where the public keys came from: files, or `ListPublicKeys`.
    pub public_keys: Vec<String>,
    /// Keys loaded.
    pub public_key_count: usize,
    /// `--strict`.
    pub strict: bool,
}

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    query: &'a VerifyQuery,
    #[serde(flatten)]
    report: &'a IntegrityReport,
}

/// The JSON document.
pub fn write_json(q: &VerifyQuery, r: &IntegrityReport, out: &mut dyn Write) -> io::Result<()> {
    super::write_pretty_json(
        &Document {
            schema_version: VERIFY_SCHEMA_VERSION,
            query: q,
            report: r,
        },
        out,
    )
}

/// The share of records proven, as text.
pub fn proven_line(s: &Summary) -> String {
    let pct = if s.records == 0 {
        0.0
    } else {
        100.0 * s.records_proven as f64 / s.records as f64
    };
    format!(
        "{} of {} records read are in objects proven unmodified ({pct:.1}%){}",
        s.records_proven,
        s.records,
        if s.strict {
            ", counting only signed digests (--strict)"
        } else {
            ""
        }
    )
}

/// A block of what is not valid: a title, then each status and key, and
/// its reason under it (nothing when there is none).
fn not_valid<'a>(
    out: &mut dyn Write,
    look: Look,
    title: &str,
    items: impl Iterator<Item = (&'static str, &'a String, &'a Option<String>)>,
) -> io::Result<()> {
    let mut items = items.peekable();
    if items.peek().is_none() {
        return Ok(());
    }
    writeln!(out, "\n{}", look.paint(Tone::Bad, title))?;
    for (status, key, reason) in items {
        let status = format!("{status:<17}");
        writeln!(
            out,
            "  {} {}",
            look.paint(Tone::Bad, &status),
            sanitize(key)
        )?;
        if let Some(why) = reason {
            writeln!(out, "    {}", sanitize(why))?;
        }
    }
    Ok(())
}

/// The text summary: counts, chains, gaps, then every object and digest
/// that is not valid, with its reason.
pub fn write_text(
    q: &VerifyQuery,
    r: &IntegrityReport,
    look: Look,
    out: &mut dyn Write,
) -> io::Result<()> {
    let s = &r.summary;
    let (since, until) = (
        q.since.map(|t| format_time(&t)),
        q.until.map(|t| format_time(&t)),
    );
    let ends = ["the first", "the last"];
    let range = super::text::range_line(
        "objects delivered",
        since.as_deref(),
        until.as_deref(),
        ends,
    );
    if let Some(range) = range {
        writeln!(out, "{range}")?;
    }
    writeln!(out, "objects: {}", counts(&s.objects))?;
    writeln!(out, "digests: {}", counts(&s.digests))?;
    writeln!(out, "{}", proven_line(s))?;
    if !r.chains.is_empty() {
        writeln!(out, "\nchains (account, region, trail: hours covered):")?;
        for c in &r.chains {
            writeln!(
                out,
                "  {} {} {}: {} to {}, {} digests, {} valid{}",
                sanitize(&c.account),
                sanitize(&c.region),
                sanitize(&c.trail),
                format_time(&c.from),
                format_time(&c.to),
                c.digests,
                c.valid,
                if c.starts_chain {
                    ""
                } else {
                    " (continues a chain that begins before the input)"
                }
            )?;
        }
    }
    if !r.gaps.is_empty() {
        writeln!(
            out,
            "\n{}",
            look.paint(Tone::Warn, "gaps (no digest between):")
        )?;
        for g in &r.gaps {
            let cause = g.likely_cause.as_str();
            writeln!(
                out,
                "  {} {} {}: {} to {}: {cause}",
                sanitize(&g.account),
                sanitize(&g.region),
                sanitize(&g.trail),
                format_time(&g.from),
                format_time(&g.to),
            )?;
            for e in &g.evidence {
                writeln!(out, "    {}", sanitize(e))?;
            }
        }
    }
    let strict = s.strict;
    let digests = r
        .digests
        .iter()
        .filter(|d| !d.status.passes(strict) || d.reason.is_some())
        .map(|d| (d.status.as_str(), &d.key, &d.reason));
    not_valid(out, look, "digests not valid:", digests)?;
    let objects = r
        .objects
        .iter()
        .filter(|o| o.status != ObjectStatus::Valid)
        .map(|o| (o.status.as_str(), &o.key, &o.reason));
    not_valid(out, look, "objects not valid:", objects)?;
    for n in &r.notes {
        writeln!(out, "\nnote: {}", sanitize(n))?;
    }
    Ok(())
}
