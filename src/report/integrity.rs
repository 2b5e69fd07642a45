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

/// The text summary: counts, chains, gaps, then every object and digest
/// that is not valid, with its reason.
pub fn write_text(
    q: &VerifyQuery,
    r: &IntegrityReport,
    look: Look,
    out: &mut dyn Write,
) -> io::Result<()> {
    let s = &r.summary;
    if q.since.is_some() || q.until.is_some() {
        let end = |t: &Option<DateTime<Utc>>, open: &str, which: &str| {
            t.map_or(open.to_owned(), |t| {
                format!("{} ({which})", format_time(&t))
            })
        };
        writeln!(
            out,
            "range: objects delivered from {} to {}, UTC",
            end(&q.since, "the first", "inclusive"),
            end(&q.until, "the last", "exclusive")
        )?;
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
    let bad_digests: Vec<_> = r
        .digests
        .iter()
        .filter(|d| !d.status.passes(strict) || d.reason.is_some())
        .collect();
    if !bad_digests.is_empty() {
        writeln!(out, "\n{}", look.paint(Tone::Bad, "digests not valid:"))?;
        for d in bad_digests {
            let status = format!("{:<17}", d.status.as_str());
            writeln!(
                out,
                "  {} {}",
                look.paint(Tone::Bad, &status),
                sanitize(&d.key)
            )?;
            if let Some(why) = &d.reason {
                writeln!(out, "    {}", sanitize(why))?;
            }
        }
    }
    let bad_objects: Vec<_> = r
        .objects
        .iter()
        .filter(|o| o.status != ObjectStatus::Valid)
        .collect();
    if !bad_objects.is_empty() {
        writeln!(out, "\n{}", look.paint(Tone::Bad, "objects not valid:"))?;
        for o in bad_objects {
            let status = format!("{:<17}", o.status.as_str());
            writeln!(
                out,
                "  {} {}",
                look.paint(Tone::Bad, &status),
                sanitize(&o.key)
            )?;
            if let Some(why) = &o.reason {
                writeln!(out, "    {}", sanitize(why))?;
            }
        }
    }
    for n in &r.notes {
        writeln!(out, "\nnote: {}", sanitize(n))?;
    }
    Ok(())
}
