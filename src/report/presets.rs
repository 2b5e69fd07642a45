//! `ctreplay presets`: the named patterns as text, JSON or JSON Lines.

use std::io::{self, Write};

use super::ListFormat;
use crate::filter::presets::Preset;

/// Write `presets` in `format`.
pub fn write(format: ListFormat, presets: &[Preset], out: &mut dyn Write) -> io::Result<()> {
    match format {
        ListFormat::Text => {
            for p in presets {
                writeln!(
                    out,
                    "{}  {}\n    source: {}\n    pattern: {}\n",
                    p.name, p.title, p.source, p.pattern
                )?;
            }
        }
        ListFormat::Json => super::write_pretty_json(&presets, out)?,
        ListFormat::Ndjson => {
            for p in presets {
                serde_json::to_writer(&mut *out, p)?;
                writeln!(out)?;
            }
        }
    }
    Ok(())
}
