//! The events a scan reports, held in memory up to a budget and spilled to
//! sorted temporary files past it, then merged into one sorted,
//! de-duplicated [`EventList`].
//!
//! Every list is in one total order, [`order`] (eventTime, eventID, object,
//! record), and a duplicate is a record with the eventID and eventTime of
//! one before it: the copy kept is the first by location, whichever worker
//! read it. Sorting a run, merging runs and de-duplicating adjacent equals
//! all commute with how the records were split into runs, so the result is
//! the same whatever the budget, the thread count or the order objects were
//! read in; the in-memory path is the same code with no runs.
//!
//! A spilled run is a temporary file (created unlinked in the system's
//! temporary directory, so nothing is left behind) of one JSON object per
//! line. Finding the events is [`super::worker`]'s; writing them out is
//! [`crate::report`]'s.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::cis::{BLIND_SPOTS, MISSED_SIX};
use crate::event::{Event, Reading};
use crate::filter::FilterId;

/// Default `--max-memory`: what the events held in memory may take before
/// they spill, for the whole scan.
pub const DEFAULT_MAX_MEMORY: u64 = 64 << 20;

/// Runs a sink keeps before merging them into one, so a merge never holds
/// more than this many read buffers.
const MAX_RUNS: usize = 32;

/// Read and write buffer of one run.
const RUN_BUFFER: usize = 64 << 10;

/// A failure of the temporary files events spill to.
#[derive(Debug, thiserror::Error)]
pub enum SpillError {
    /// Writing or reading a temporary file failed (a full disk, say).
    #[error("temporary file of events held past --max-memory: {0}")]
    Io(#[from] io::Error),
    /// A temporary file did not read back as it was written.
    #[error("temporary file of events held past --max-memory reads back corrupt: {0}")]
    Corrupt(#[from] serde_json::Error),
}

impl From<SpillError> for io::Error {
    fn from(e: SpillError) -> io::Error {
        match e {
            SpillError::Io(e) => e,
            e => io::Error::other(e),
        }
    }
}

/// The order of every event list: time, then eventID, then where it was.
pub fn order(a: &Event, b: &Event) -> Ordering {
    a.time
        .cmp(&b.time)
        .then_with(|| a.id.cmp(&b.id))
        .then_with(|| a.object.cmp(&b.object))
        .then_with(|| a.record.cmp(&b.record))
}

/// Whether `later` repeats `first`: the same eventID at the same time (a
/// record without an eventID repeats nothing).
fn repeats(later: &Event, first: &Event) -> bool {
    !later.id.is_empty() && later.id == first.id && later.time == first.time
}

/// Sort `events` and drop repeats, keeping the first of each.
pub(crate) fn sort_dedup(events: &mut Vec<Event>) {
    events.sort_by(order);
    events.dedup_by(|later, first| repeats(later, first));
}

/// What one held event costs, roughly: the struct and what its strings and
/// lists own. An estimate (allocator rounding is not counted), so the
/// budget is a budget, not a bound on the allocator.
fn held_bytes(e: &Event) -> usize {
    let strings = [
        &e.name,
        &e.id,
        &e.source,
        &e.region,
        &e.account,
        &e.actor,
        &e.actor_type,
        &e.source_ip,
        &e.user_agent,
        &e.object,
    ]
    .iter()
    .map(|s| s.capacity())
    .sum::<usize>();
    let options = [
        &e.key_account,
        &e.invoked_by,
        &e.error_code,
        &e.error_message,
    ]
    .iter()
    .map(|s| s.as_ref().map_or(0, String::capacity))
    .sum::<usize>();
    let lists = e
        .group_ids
        .iter()
        .chain(&e.group_names)
        .map(|s| s.capacity() + size_of::<String>())
        .sum::<usize>();
    // A pipeline change's request is a JSON tree: its text length is a
    // fair proxy without walking it twice.
    let request = e.request.as_ref().map_or(0, |r| 4 * r.to_string().len());
    size_of::<Event>()
        + strings
        + options
        + lists
        + e.filters.capacity() * size_of::<FilterId>()
        + e.values.capacity() * size_of::<(FilterId, Option<f64>)>()
        + request
        + e.reading.as_ref().map_or(0, |r| {
            size_of::<Reading>() + r.repeated_keys.iter().map(|k| k.len() + 24).sum::<usize>()
        })
}

/// One worker's events of one kind: a buffer and the runs it spilled.
#[derive(Debug, Default)]
pub struct Sink {
    held: Vec<Event>,
    held_bytes: usize,
    budget: Option<usize>,
    runs: Vec<Run>,
    pushed: u64,
    error: Option<SpillError>,
}

impl Sink {
    /// A sink that spills past `budget` bytes of held events.
    pub fn with_budget(budget: usize) -> Sink {
        Sink {
            budget: Some(budget),
            ..Sink::default()
        }
    }

    /// Take `e`, spilling the buffer when it is over budget.
    pub fn push(&mut self, e: Event) {
        self.pushed += 1;
        if self.budget.is_some() {
            self.held_bytes += held_bytes(&e);
        }
        self.held.push(e);
        if self.budget.is_some_and(|b| self.held_bytes > b) && self.error.is_none() {
            if let Err(e) = self.spill() {
                self.error = Some(e);
            }
        }
    }

    /// Events taken so far, repeats included.
    pub fn pushed(&self) -> u64 {
        self.pushed
    }

    /// Write the buffer out as a sorted run, and merge the runs into one
    /// when there are too many to merge at once.
    fn spill(&mut self) -> Result<(), SpillError> {
        let mut held = std::mem::take(&mut self.held);
        self.held_bytes = 0;
        sort_dedup(&mut held);
        self.runs.push(Run::write(held.iter())?);
        if self.runs.len() >= MAX_RUNS {
            let runs = std::mem::take(&mut self.runs);
            self.runs.push(merge(&runs)?);
        }
        Ok(())
    }

    /// Fold `other` (another worker's) into this one.
    pub fn absorb(&mut self, mut other: Sink) {
        self.pushed += other.pushed;
        self.held_bytes += other.held_bytes;
        self.held.append(&mut other.held);
        self.runs.append(&mut other.runs);
        self.budget = self.budget.or(other.budget);
        if self.error.is_none() {
            self.error = other.error;
        }
    }

    /// The merged, sorted, de-duplicated list.
    pub fn finish(mut self) -> Result<EventList, SpillError> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        if self.runs.is_empty() {
            sort_dedup(&mut self.held);
            return Ok(EventList::Memory(self.held));
        }
        if !self.held.is_empty() {
            self.spill()?;
        }
        let run = match self.runs.len() {
            1 => self.runs.pop().expect("one run"),
            _ => merge(&self.runs)?,
        };
        Ok(EventList::Spilled(run))
    }
}

/// A sorted, de-duplicated list of events: in memory, or in one temporary
/// file when the scan held more than its budget.
#[derive(Debug)]
pub enum EventList {
    /// Held in memory.
    Memory(Vec<Event>),
    /// Spilled to a temporary file, read back on every pass.
    Spilled(Run),
}

impl Default for EventList {
    fn default() -> Self {
        EventList::Memory(Vec::new())
    }
}

impl EventList {
    /// How many events it holds.
    pub fn len(&self) -> u64 {
        match self {
            EventList::Memory(v) => v.len() as u64,
            EventList::Spilled(r) => r.len,
        }
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether it spilled to a temporary file.
    pub fn spilled(&self) -> bool {
        matches!(self, EventList::Spilled(_))
    }

    /// Every event, in [`order`]. A spilled list is read from its start;
    /// passes may overlap (each reads at its own offset).
    pub fn iter(&self) -> Iter<'_> {
        match self {
            EventList::Memory(v) => Iter::Memory(v.iter()),
            EventList::Spilled(r) => Iter::File(r.reader()),
        }
    }

    /// Every event as one slice: borrowed when in memory, read back when
    /// spilled.
    pub fn load(&self) -> Result<Cow<'_, [Event]>, SpillError> {
        match self {
            EventList::Memory(v) => Ok(Cow::Borrowed(v)),
            EventList::Spilled(_) => self
                .iter()
                .map(|e| e.map(Cow::into_owned))
                .collect::<Result<Vec<_>, _>>()
                .map(Cow::Owned),
        }
    }
}

/// The events of an [`EventList`], borrowed or read back.
#[derive(Debug)]
pub enum Iter<'a> {
    /// From memory.
    Memory(std::slice::Iter<'a, Event>),
    /// From a run.
    File(RunReader<'a>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = Result<Cow<'a, Event>, SpillError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Memory(i) => i.next().map(|e| Ok(Cow::Borrowed(e))),
            Iter::File(r) => r.next().map(|e| e.map(Cow::Owned)),
        }
    }
}

/// One sorted, de-duplicated temporary file of events.
#[derive(Debug)]
pub struct Run {
    file: File,
    len: u64,
}

impl Run {
    /// Write `events` (sorted) to a new temporary file.
    fn write<'e>(events: impl Iterator<Item = &'e Event>) -> Result<Run, SpillError> {
        let mut out = BufWriter::with_capacity(RUN_BUFFER, tempfile::tempfile()?);
        let mut len = 0;
        for e in events {
            serde_json::to_writer(&mut out, &Stored::of(e))?;
            out.write_all(b"\n")?;
            len += 1;
        }
        let file = out.into_inner().map_err(|e| e.into_error())?;
        Ok(Run { file, len })
    }

    fn reader(&self) -> RunReader<'_> {
        RunReader {
            lines: BufReader::with_capacity(
                RUN_BUFFER,
                At {
                    file: &self.file,
                    pos: 0,
                },
            ),
            line: String::new(),
        }
    }
}

/// Reads a file from its start at an offset of its own, so passes over
/// one run never move each other's position.
#[derive(Debug)]
struct At<'a> {
    file: &'a File,
    pos: u64,
}

impl Read for At<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        #[cfg(unix)]
        let n = std::os::unix::fs::FileExt::read_at(self.file, buf, self.pos)?;
        #[cfg(windows)]
        let n = std::os::windows::fs::FileExt::seek_read(self.file, buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// Reads a run's events back, in order.
#[derive(Debug)]
pub struct RunReader<'a> {
    lines: BufReader<At<'a>>,
    line: String,
}

impl Iterator for RunReader<'_> {
    type Item = Result<Event, SpillError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.line.clear();
        match self.lines.read_line(&mut self.line) {
            Ok(0) => None,
            Ok(_) => Some(
                serde_json::from_str::<Stored>(&self.line)
                    .map_err(SpillError::from)
                    .and_then(Stored::into_event),
            ),
            Err(e) => Some(Err(e.into())),
        }
    }
}

/// Merge sorted runs into one, dropping repeats.
fn merge(runs: &[Run]) -> Result<Run, SpillError> {
    /// The next event of one run, ordered for a min-heap.
    struct Head(Event, usize);
    impl PartialEq for Head {
        fn eq(&self, o: &Self) -> bool {
            self.cmp(o) == Ordering::Equal
        }
    }
    impl Eq for Head {}
    impl PartialOrd for Head {
        fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for Head {
        fn cmp(&self, o: &Self) -> Ordering {
            // Reversed: BinaryHeap pops the greatest. Equal events (the
            // same record read twice) fall back on the run index.
            order(&o.0, &self.0).then_with(|| o.1.cmp(&self.1))
        }
    }

    let mut readers: Vec<RunReader<'_>> = runs.iter().map(Run::reader).collect();
    let mut heap = BinaryHeap::with_capacity(readers.len());
    for (i, r) in readers.iter_mut().enumerate() {
        if let Some(e) = r.next() {
            heap.push(Head(e?, i));
        }
    }
    let mut out = BufWriter::with_capacity(RUN_BUFFER, tempfile::tempfile()?);
    let mut len = 0;
    let mut last: Option<Event> = None;
    while let Some(Head(e, i)) = heap.pop() {
        if let Some(next) = readers[i].next() {
            heap.push(Head(next?, i));
        }
        if last.as_ref().is_some_and(|l| repeats(&e, l)) {
            continue;
        }
        serde_json::to_writer(&mut out, &Stored::of(&e))?;
        out.write_all(b"\n")?;
        len += 1;
        last = Some(e);
    }
    let file = out.into_inner().map_err(|e| e.into_error())?;
    Ok(Run { file, len })
}

/// An [`Event`] as a run stores it: every field, floats by their bits (JSON
/// has no infinity and must not round them).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Stored {
    secs: i64,
    nanos: u32,
    name: String,
    id: String,
    source: String,
    region: String,
    account: String,
    key_account: Option<String>,
    actor: String,
    actor_type: String,
    invoked_by: Option<String>,
    source_ip: String,
    user_agent: String,
    group_ids: Vec<String>,
    group_names: Vec<String>,
    error_code: Option<String>,
    error_message: Option<String>,
    object: String,
    record: u64,
    record_bytes: u64,
    filters: Vec<usize>,
    values: Vec<(usize, Option<u64>)>,
    request: Option<serde_json::Value>,
    why_unseen: Option<String>,
    reading: Option<StoredReading>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredReading {
    repeated_keys: Vec<String>,
    match_depends_on_reading: bool,
    numbers_out_of_range: bool,
    nesting_cut: bool,
    lossy_text: bool,
    unsure: Vec<usize>,
}

impl Stored {
    /// Whether every filter it names is one of the first `n` (a stored
    /// event from a file, such as a partial, may name any).
    pub(crate) fn filters_below(&self, n: usize) -> bool {
        self.filters.iter().all(|&f| f < n)
            && self.values.iter().all(|&(f, _)| f < n)
            && self
                .reading
                .as_ref()
                .is_none_or(|r| r.unsure.iter().all(|&f| f < n))
    }

    pub(crate) fn of(e: &Event) -> Stored {
        Stored {
            secs: e.time.timestamp(),
            nanos: e.time.timestamp_subsec_nanos(),
            name: e.name.clone(),
            id: e.id.clone(),
            source: e.source.clone(),
            region: e.region.clone(),
            account: e.account.clone(),
            key_account: e.key_account.clone(),
            actor: e.actor.clone(),
            actor_type: e.actor_type.clone(),
            invoked_by: e.invoked_by.clone(),
            source_ip: e.source_ip.clone(),
            user_agent: e.user_agent.clone(),
            group_ids: e.group_ids.clone(),
            group_names: e.group_names.clone(),
            error_code: e.error_code.clone(),
            error_message: e.error_message.clone(),
            object: e.object.clone(),
            record: e.record,
            record_bytes: e.record_bytes,
            filters: e.filters.iter().map(|f| f.index()).collect(),
            values: e
                .values
                .iter()
                .map(|(f, v)| (f.index(), v.map(f64::to_bits)))
                .collect(),
            request: e.request.clone(),
            why_unseen: e.why_unseen.map(str::to_owned),
            reading: e.reading.as_deref().map(|r| StoredReading {
                repeated_keys: r.repeated_keys.clone(),
                match_depends_on_reading: r.match_depends_on_reading,
                numbers_out_of_range: r.numbers_out_of_range,
                nesting_cut: r.nesting_cut,
                lossy_text: r.lossy_text,
                unsure: r.unsure.iter().map(|f| f.index()).collect(),
            }),
        }
    }

    pub(crate) fn into_event(self) -> Result<Event, SpillError> {
        let corrupt = |what: &str| SpillError::Corrupt(serde::de::Error::custom(what));
        let time: DateTime<Utc> = Utc
            .timestamp_opt(self.secs, self.nanos)
            .single()
            .ok_or_else(|| corrupt("a time out of range"))?;
        let why_unseen = match self.why_unseen {
            None => None,
            Some(w) => Some(
                std::iter::once(MISSED_SIX)
                    .chain(BLIND_SPOTS.iter().map(|b| b.what))
                    .find(|known| *known == w)
                    .ok_or_else(|| corrupt("an unknown blind-spot reason"))?,
            ),
        };
        Ok(Event {
            time,
            name: self.name,
            id: self.id,
            source: self.source,
            region: self.region,
            account: self.account,
            key_account: self.key_account,
            actor: self.actor,
            actor_type: self.actor_type,
            invoked_by: self.invoked_by,
            source_ip: self.source_ip,
            user_agent: self.user_agent,
            group_ids: self.group_ids,
            group_names: self.group_names,
            error_code: self.error_code,
            error_message: self.error_message,
            object: self.object,
            record: self.record,
            record_bytes: self.record_bytes,
            filters: self.filters.into_iter().map(FilterId::new).collect(),
            values: self
                .values
                .into_iter()
                .map(|(f, v)| (FilterId::new(f), v.map(f64::from_bits)))
                .collect(),
            request: self.request,
            why_unseen,
            reading: self.reading.map(|r| {
                Box::new(Reading {
                    repeated_keys: r.repeated_keys,
                    match_depends_on_reading: r.match_depends_on_reading,
                    numbers_out_of_range: r.numbers_out_of_range,
                    nesting_cut: r.nesting_cut,
                    lossy_text: r.lossy_text,
                    unsure: r.unsure.into_iter().map(FilterId::new).collect(),
                })
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(secs: i64, id: &str, object: &str, record: u64) -> Event {
        Event {
            time: Utc.timestamp_opt(secs, 123_000_000).single().unwrap(),
            name: "AuthorizeSecurityGroupIngress".into(),
            id: id.into(),
            source: "ec2.amazonaws.com".into(),
            region: "us-east-1".into(),
            account: "111122223333".into(),
            key_account: Some("111122223333".into()),
            actor: "arn:aws:iam::111122223333:user/a".into(),
            actor_type: "IAMUser".into(),
            invoked_by: None,
            source_ip: "198.51.100.7".into(),
            user_agent: "aws-cli \u{1b}[2J".into(),
            group_ids: vec!["sg-1".into()],
            group_names: vec![],
            error_code: None,
            error_message: None,
            object: object.into(),
            record,
            record_bytes: 900,
            filters: vec![FilterId::new(0), FilterId::new(2)],
            values: vec![
                (FilterId::new(0), Some(f64::INFINITY)),
                (FilterId::new(2), Some(0.1 + 0.2)),
            ],
            request: Some(serde_json::json!({"groupId": "sg-1", "n": 1.0000000000000002})),
            why_unseen: Some(MISSED_SIX),
            reading: Some(Box::new(Reading {
                repeated_keys: vec!["eventName".into()],
                match_depends_on_reading: true,
                unsure: vec![FilterId::new(2)],
                ..Reading::default()
            })),
        }
    }

    fn collect(list: &EventList) -> Vec<Event> {
        list.iter().map(|e| e.unwrap().into_owned()).collect()
    }

    #[test]
    fn a_stored_event_reads_back_equal() {
        let e = event(1_700_000_000, "id", "o", 3);
        let back = Stored::of(&e).into_event().unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn any_budget_gives_the_in_memory_list() {
        // Out of order, with repeats inside one sink and across sinks,
        // and records without an eventID (never repeats).
        let input: Vec<Event> = (0..300)
            .map(|i| {
                // The same id at the same time: a repeat.
                let secs = 1_700_000_000 + ((i % 97) * 7 % 50) as i64;
                let id = match i % 5 {
                    0 => String::new(),
                    _ => format!("id-{}", i % 97),
                };
                event(secs, &id, &format!("o{}", i % 3), i)
            })
            .collect();
        let reference = {
            let mut s = Sink::default();
            input.iter().cloned().for_each(|e| s.push(e));
            s.finish().unwrap()
        };
        assert!(!reference.spilled());
        let want = collect(&reference);
        assert!(want.len() < input.len(), "the input has repeats");
        for budget in [0, 1, 3000, 20_000] {
            for parts in [1, 3] {
                let mut sinks: Vec<Sink> = (0..parts).map(|_| Sink::with_budget(budget)).collect();
                for (i, e) in input.iter().enumerate() {
                    sinks[i % parts].push(e.clone());
                }
                let mut merged = Sink::default();
                for s in sinks {
                    merged.absorb(s);
                }
                let list = merged.finish().unwrap();
                assert!(list.spilled(), "budget {budget} spills");
                assert_eq!(list.len(), want.len() as u64);
                assert_eq!(collect(&list), want, "budget {budget}, {parts} sinks");
                // Two passes at once read independently.
                let mut a = list.iter();
                let mut b = list.iter();
                assert_eq!(a.next().unwrap().unwrap(), b.next().unwrap().unwrap());
                assert_eq!(list.load().unwrap().len(), want.len());
            }
        }
    }

    #[test]
    fn a_repeat_is_the_same_id_at_the_same_time() {
        let mut s = Sink::default();
        s.push(event(10, "same", "b", 0));
        s.push(event(10, "same", "a", 5));
        s.push(event(11, "same", "c", 0));
        let list = collect(&s.finish().unwrap());
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].object, "a", "the first copy by location is kept");
        assert_eq!(list[1].object, "c", "another time is another record");
    }

    #[test]
    fn a_corrupt_run_is_an_error_not_a_panic() {
        let run = Run::write([event(1, "x", "o", 0)].iter()).unwrap();
        std::os::unix::fs::FileExt::write_at(&run.file, b"[[[[", 0).unwrap();
        let list = EventList::Spilled(run);
        assert!(matches!(
            list.iter().next(),
            Some(Err(SpillError::Corrupt(_)))
        ));
    }
}
