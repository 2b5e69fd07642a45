//! The matched-events table as RFC 4180 CSV.

use std::io::{self, Write};

use super::View;
use crate::event::format_time;

const HEADER: &str = "eventTime,eventName,eventID,eventSource,awsRegion,recipientAccountId,actor,actorType,sourceIPAddress,userAgent,groupIds,errorCode,object,record";

fn field(out: &mut dyn Write, s: &str) -> io::Result<()> {
    if s.contains([',', '"', '\n', '\r']) {
        write!(out, "\"{}\"", s.replace('"', "\"\""))
    } else {
        out.write_all(s.as_bytes())
    }
}

pub(super) fn write(view: &View<'_>, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{HEADER}")?;
    for e in &view.report.totals.events {
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
