//! Objects held in memory: the source tests, benches and fuzz targets scan
//! through, so they exercise the same driver as files and S3.

use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::{Buf, Bytes};

use super::{
    Fetched, KeyInfo, Listed, Location, ObjectRef, Objects, OpenError, Opened, Selection, Source,
    SourceError, SIDECAR_SUFFIX,
};
use crate::progress::Progress;

/// Named byte strings, each one object; the name is parsed as a key.
#[derive(Debug, Clone, Default)]
pub struct MemorySource {
    objects: Vec<(String, Bytes)>,
}

impl MemorySource {
    /// No objects yet.
    pub fn new() -> Self {
        MemorySource::default()
    }

    /// One object.
    pub fn single(name: &str, data: impl Into<Bytes>) -> Self {
        let mut s = MemorySource::new();
        s.push(name, data);
        s
    }

    /// Add an object named `name` (stored bytes, gzip or plain).
    pub fn push(&mut self, name: &str, data: impl Into<Bytes>) {
        self.objects.push((name.to_owned(), data.into()));
    }
}

impl Source for MemorySource {
    fn fetch(&self, objects: &[ObjectRef], limit: usize) -> Vec<Result<Fetched, OpenError>> {
        objects
            .iter()
            .map(|o| {
                let name = o.location.to_string();
                let find = |n: &str| self.objects.iter().find(|(k, _)| k == n).map(|x| &x.1);
                let data = find(&name).ok_or_else(|| {
                    OpenError::Io(std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "no such object",
                    ))
                })?;
                let stored = super::read_limited(data.clone().reader(), limit)?;
                let signature = match find(&format!("{name}{SIDECAR_SUFFIX}")) {
                    Some(s) => Some(super::local::sidecar_signature(s)?),
                    None => None,
                };
                Ok(Fetched {
                    stored,
                    from_sidecar: signature.is_some(),
                    signature,
                })
            })
            .collect()
    }

    fn describe(&self) -> Vec<String> {
        self.objects.iter().map(|(n, _)| n.clone()).collect()
    }

    fn objects<'a>(
        &'a self,
        sel: &'a Selection,
        progress: &'a dyn Progress,
    ) -> Result<Box<dyn Objects + 'a>, SourceError> {
        let mut listed = Listed::default();
        progress.listed(
            self.objects.len() as u64,
            self.objects.iter().map(|(_, d)| d.len() as u64).sum(),
        );
        let mut todo = Vec::new();
        for (name, data) in &self.objects {
            let obj = ObjectRef {
                location: Location::Memory(name.clone()),
                size: data.len() as u64,
                key: KeyInfo::parse(name),
            };
            match listed.list(&obj, sel) {
                Some(_) => {
                    progress.bytes(data.len() as u64);
                    progress.object_done();
                }
                None => todo.push((obj, data.clone())),
            }
        }
        Ok(Box::new(MemoryObjects {
            todo,
            next: AtomicUsize::new(0),
            listed,
        }))
    }
}

struct MemoryObjects {
    todo: Vec<(ObjectRef, Bytes)>,
    next: AtomicUsize,
    listed: Listed,
}

impl Objects for MemoryObjects {
    fn next(&self) -> Option<Opened> {
        let (obj, data) = self.todo.get(self.next.fetch_add(1, Ordering::Relaxed))?;
        Some(Opened {
            object: obj.clone(),
            body: Ok(Box::new(data.clone().reader())),
        })
    }

    fn finish(self: Box<Self>) -> Result<Listed, SourceError> {
        Ok(self.listed)
    }
}
