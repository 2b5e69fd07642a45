//! The scan's events as RFC 4180 CSV, safe to open in a spreadsheet: a
//! cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is
//! prefixed with `'`, so it is never read as a formula (OWASP "CSV
//! injection"), and control and bidirectional characters are escaped as
//! `\u{..}` as on the terminal. Account IDs are always quoted, so that a
//! reader that sniffs types keeps them text (their leading zeros).
//! [`field`] and [`quoted`] are shared with the audit's CSV.

use std::io::{self, Write};

use super::View;
use crate::event::format_time;

const HEADER: &str = "kind,eventTime,eventName,eventID,eventSource,awsRegion,recipientAccountId,actor,actorType,sourceIPAddress,userAgent,groupIds,errorCode,object,record,filters";

/// A cell that is always quoted (account IDs: text, not numbers).
pub(super) fn quoted(out: &mut dyn Write, s: &str) -> io::Result<()> {
    let s = super::sanitize::sanitize(s);
    write!(out, "\"{}\"", s.replace('"', "\"\""))
}

pub(super) fn field(out: &mut dyn Write, s: &str) -> io::Result<()> {
    let formula = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let s = super::sanitize::sanitize(s);
    let s = if formula {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        s
    };
    if s.contains([',', '"', '\n', '\r']) {
        write!(out, "\"{}\"", s.replace('"', "\"\""))
    } else {
        out.write_all(s.as_bytes())
    }
}

/// One row: `cells`, padded with empty cells to `width`, those at
/// `quote` always quoted.
pub(super) fn row(
    out: &mut dyn Write,
    cells: &[String],
    quote: &[usize],
    width: usize,
) -> io::Result<()> {
    for i in 0..width.max(cells.len()) {
        if i > 0 {
            out.write_all(b",")?;
        }
        let c = cells.get(i).map_or("", String::as_str);
        if quote.contains(&i) && !c.is_empty() {
            quoted(out, c)?;
        } else {
            field(out, c)?;
        }
    }
    out.write_all(b"\n")
}

/// The matched events (`kind` `match`), then the changes no filter
/// matches (`blind_spot`, with no filters).
pub(super) fn write(view: &View<'_>, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{HEADER}")?;
    for (kind, list) in [
        ("match", &view.report.events),
        ("blind_spot", &view.report.blind_spots),
    ] {
        for e in list.iter() {
            let e = e?;
            let cells = [
                kind.to_owned(),
                format_time(&e.time),
                e.name.clone(),
                e.id.clone(),
                e.source.clone(),
                e.region.clone(),
                e.account.clone(),
                e.actor.clone(),
                e.actor_type.clone(),
                e.source_ip.clone(),
                e.user_agent.clone(),
                e.group_ids.join(" "),
                e.error_code.clone().unwrap_or_default(),
                e.object.clone(),
                e.record.to_string(),
                view.filter_names(&e.filters).join(" "),
            ];
            // recipientAccountId is quoted: text, not a number.
            row(out, &cells, &[6], cells.len())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(s: &str) -> String {
        let mut out = Vec::new();
        field(&mut out, s).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn cells_are_never_formulas_nor_terminal_controls() {
        assert_eq!(cell("aws-cli/2.15"), "aws-cli/2.15");
        assert_eq!(
            cell("=HYPERLINK(\"http://x\")"),
            "\"'=HYPERLINK(\"\"http://x\"\")\""
        );
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("-2+3"), "'-2+3");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("\tx"), "'\\u{9}x");
        assert_eq!(cell("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(cell("a,b"), "\"a,b\"");
    }
}
