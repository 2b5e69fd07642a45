//! The matched-events table as RFC 4180 CSV, safe to open in a
//! spreadsheet: a cell that starts with `=`, `+`, `-`, `@`, a tab or a
//! carriage return is prefixed with `'`, so it is never read as a formula
//! (OWASP "CSV injection"), and control and bidirectional characters are
//! escaped as `\u{..}` as on the terminal.

use std::io::{self, Write};

use super::View;
use crate::event::format_time;

const HEADER: &str = "eventTime,eventName,eventID,eventSource,awsRegion,recipientAccountId,actor,actorType,sourceIPAddress,userAgent,groupIds,errorCode,object,record";

fn field(out: &mut dyn Write, s: &str) -> io::Result<()> {
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

pub(super) fn write(view: &View<'_>, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{HEADER}")?;
    for e in view.report.events.iter() {
        let e = e?;
        let cells = [
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
        ];
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            field(out, c)?;
        }
        out.write_all(b"\n")?;
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
