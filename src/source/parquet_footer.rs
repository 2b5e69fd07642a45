//! A look at a Parquet file's footer before the `parquet` crate parses it:
//! how deep its schema nests.
//!
//! The crate builds the schema tree by recursion with no depth limit, so a
//! footer of a few kilobytes that nests groups thousands deep overflows the
//! stack, which aborts the process (no `catch_unwind` can stop that). S3
//! Inventory schemas are flat (one group, then columns), so anything deeper
//! than [`MAX_DEPTH`] is refused here. The footer is Thrift's compact
//! protocol (<https://github.com/apache/thrift/blob/master/doc/specs/thrift-compact-protocol.md>,
//! the `FileMetaData` of <https://github.com/apache/parquet-format>); only
//! field 2, the schema list, is read, and only each element's
//! `num_children`. Reading the rest is [`super::inventory_parquet`]'s, with
//! the crate.

/// The deepest schema nesting accepted.
const MAX_DEPTH: usize = 32;

/// The deepest Thrift struct nesting skipped over (the crate's own limit
/// is 64).
const MAX_SKIP_DEPTH: usize = 64;

/// Check the footer of the Parquet file `data`: the schema nests no deeper
/// than [`MAX_DEPTH`]. Errors name what is wrong.
pub(crate) fn check(data: &[u8]) -> Result<(), String> {
    let n = data.len();
    if n < 12 || &data[..4] != b"PAR1" {
        return Err("not Parquet (no PAR1 header)".to_owned());
    }
    if &data[n - 4..] != b"PAR1" {
        return Err(if &data[n - 4..] == b"PARE" {
            "an encrypted Parquet footer (not read)".to_owned()
        } else {
            "not Parquet (no PAR1 trailer: cut short?)".to_owned()
        });
    }
    let len = u32::from_le_bytes([data[n - 8], data[n - 7], data[n - 6], data[n - 5]]) as usize;
    let start = (n - 8)
        .checked_sub(len)
        .filter(|&s| s >= 4)
        .ok_or("its footer length runs past the start of the file")?;
    let mut r = Reader {
        buf: &data[start..n - 8],
        at: 0,
    };
    let depth = schema_depth(&mut r).map_err(|e| format!("its footer cannot be read ({e})"))?;
    if depth > MAX_DEPTH {
        return Err(format!(
            "its schema nests more than {MAX_DEPTH} levels deep (S3 Inventory's is flat)"
        ));
    }
    Ok(())
}

/// Thrift compact types (the low nibble of a field header).
const BOOL_TRUE: u8 = 1;
const BOOL_FALSE: u8 = 2;
const BYTE: u8 = 3;
const I16: u8 = 4;
const I32: u8 = 5;
const I64: u8 = 6;
const DOUBLE: u8 = 7;
const BINARY: u8 = 8;
const LIST: u8 = 9;
const SET: u8 = 10;
const MAP: u8 = 11;
const STRUCT: u8 = 12;

struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, &'static str> {
        let b = *self.buf.get(self.at).ok_or("cut short")?;
        self.at += 1;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u64, &'static str> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("a varint longer than 10 bytes")
    }

    fn zigzag(&mut self) -> Result<i64, &'static str> {
        let v = self.varint()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    fn skip_bytes(&mut self, n: u64) -> Result<(), &'static str> {
        let n = usize::try_from(n).map_err(|_| "a length beyond the footer")?;
        let end = self.at.checked_add(n).filter(|&e| e <= self.buf.len());
        self.at = end.ok_or("a length beyond the footer")?;
        Ok(())
    }

    /// A field header: `None` at a struct's end, else (field id, type).
    fn field(&mut self, last: i16) -> Result<Option<(i16, u8)>, &'static str> {
        let b = self.byte()?;
        if b == 0 {
            return Ok(None);
        }
        let kind = b & 0x0f;
        let delta = b >> 4;
        let id = if delta == 0 {
            i16::try_from(self.zigzag()?).map_err(|_| "a field id out of range")?
        } else {
            last.wrapping_add(i16::from(delta))
        };
        Ok(Some((id, kind)))
    }

    /// A list or set header: (element type, count).
    fn list(&mut self) -> Result<(u8, u64), &'static str> {
        let b = self.byte()?;
        let count = match b >> 4 {
            15 => self.varint()?,
            c => u64::from(c),
        };
        Ok((b & 0x0f, count))
    }

    /// A list's, set's or map's element count, when the footer can hold
    /// it: every element takes a byte at least, so a larger count is
    /// malformed (and would loop for as long as it says).
    fn counted(&self, count: u64) -> Result<u64, &'static str> {
        if count > (self.buf.len() - self.at) as u64 {
            return Err("a count beyond the footer");
        }
        Ok(count)
    }

    /// Skip one element of a list, set or map: a boolean there is a byte
    /// (in a struct field, the type alone says it).
    fn skip_element(&mut self, kind: u8, depth: usize) -> Result<(), &'static str> {
        if kind == BOOL_TRUE || kind == BOOL_FALSE {
            self.skip_bytes(1)
        } else {
            self.skip(kind, depth + 1)
        }
    }

    /// Skip one value of type `kind`.
    fn skip(&mut self, kind: u8, depth: usize) -> Result<(), &'static str> {
        if depth > MAX_SKIP_DEPTH {
            return Err("Thrift structs nested too deep");
        }
        match kind {
            BOOL_TRUE | BOOL_FALSE => Ok(()),
            BYTE => self.skip_bytes(1),
            I16 | I32 | I64 => self.varint().map(drop),
            DOUBLE => self.skip_bytes(8),
            BINARY => {
                let n = self.varint()?;
                self.skip_bytes(n)
            }
            LIST | SET => {
                let (elem, count) = self.list()?;
                self.skip_elements(elem, count, depth)
            }
            MAP => {
                let count = self.varint()?;
                let count = self.counted(count)?;
                if count == 0 {
                    return Ok(());
                }
                let kv = self.byte()?;
                for _ in 0..count {
                    self.skip_element(kv >> 4, depth)?;
                    self.skip_element(kv & 0x0f, depth)?;
                }
                Ok(())
            }
            STRUCT => {
                let mut last = 0;
                while let Some((id, k)) = self.field(last)? {
                    self.skip(k, depth + 1)?;
                    last = id;
                }
                Ok(())
            }
            _ => Err("an unknown Thrift type"),
        }
    }

    fn skip_elements(&mut self, elem: u8, count: u64, depth: usize) -> Result<(), &'static str> {
        for _ in 0..self.counted(count)? {
            self.skip_element(elem, depth)?;
        }
        Ok(())
    }
}

/// The depth of the schema tree `FileMetaData.schema` (field 2) describes:
/// a flattened pre-order list where each group says how many children
/// follow it. A footer without a schema has depth 0.
fn schema_depth(r: &mut Reader<'_>) -> Result<usize, &'static str> {
    let mut last = 0;
    while let Some((id, kind)) = r.field(last)? {
        last = id;
        if id != 2 || kind != LIST {
            r.skip(kind, 0)?;
            continue;
        }
        let (elem, count) = r.list()?;
        if elem != STRUCT {
            return Err("a schema that is not a list of elements");
        }
        let count = r.counted(count)?;
        // Children still to come at each open level.
        let mut open: Vec<u64> = Vec::new();
        let mut deepest = 0;
        for _ in 0..count {
            while open.last() == Some(&0) {
                open.pop();
            }
            if let Some(left) = open.last_mut() {
                *left -= 1;
            }
            let children = element_children(r)?;
            if children > 0 {
                open.push(children);
                deepest = deepest.max(open.len());
                if deepest > MAX_DEPTH {
                    // Deep enough to refuse: no need to read on.
                    return Ok(deepest);
                }
            }
        }
        return Ok(deepest);
    }
    Ok(0)
}

/// One `SchemaElement`: its `num_children` (field 5), 0 when absent or
/// negative.
fn element_children(r: &mut Reader<'_>) -> Result<u64, &'static str> {
    let mut last = 0;
    let mut children = 0;
    while let Some((id, kind)) = r.field(last)? {
        last = id;
        if id == 5 && kind == I32 {
            children = u64::try_from(r.zigzag()?).unwrap_or(0);
        } else {
            r.skip(kind, 1)?;
        }
    }
    Ok(children)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A footer of `levels` nested groups, each with one child, ending in
    /// a leaf: the shape that overflowed the crate's recursion.
    fn nested(levels: usize) -> Vec<u8> {
        // Field 2 (delta 2) a list (9), of 15 or more (0xf_) structs (0x_c).
        let mut footer = vec![0x29, 0xfc];
        let mut count = Vec::new();
        let mut n = levels as u64 + 1;
        loop {
            let b = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                count.push(b);
                break;
            }
            count.push(b | 0x80);
        }
        footer.extend(count);
        for _ in 0..levels {
            // name (field 4, binary) "g", num_children (field 5, i32) 1.
            footer.extend([0x48, 1, b'g', 0x15, 2, 0]);
        }
        footer.extend([0x48, 1, b'k', 0]); // the leaf
        footer.push(0); // end of FileMetaData
        let mut file = b"PAR1".to_vec();
        file.extend(&footer);
        file.extend((footer.len() as u32).to_le_bytes());
        file.extend(b"PAR1");
        file
    }

    #[test]
    fn flat_and_shallow_schemas_pass_deep_ones_are_refused() {
        assert!(check(&nested(1)).is_ok());
        assert!(check(&nested(MAX_DEPTH)).is_ok());
        let e = check(&nested(5000)).unwrap_err();
        assert!(e.contains("nests more than 32 levels"), "{e}");
    }

    /// Found by fuzzing: a map claiming 2^62 boolean pairs in a few bytes
    /// looped (booleans took no bytes); counts beyond the footer are
    /// errors, and an element always takes a byte.
    #[test]
    fn a_count_beyond_the_footer_is_an_error_not_a_loop() {
        // Field 1 (delta 1) a map (11) of 2^62 entries, bool to bool.
        let mut footer = vec![0x1b];
        let mut n: u64 = 1 << 62;
        while n >= 0x80 {
            footer.push((n as u8) | 0x80);
            n >>= 7;
        }
        footer.push(n as u8);
        footer.extend([0x11, 0]);
        let mut file = b"PAR1".to_vec();
        file.extend(&footer);
        file.extend((footer.len() as u32).to_le_bytes());
        file.extend(b"PAR1");
        assert!(check(&file).unwrap_err().contains("count beyond"));
    }

    #[test]
    fn real_files_pass_and_broken_footers_are_named() {
        for codec in ["snappy", "gzip"] {
            let p = format!(
                "{}/testdata/inventory/inventory-{codec}.parquet",
                env!("CARGO_MANIFEST_DIR")
            );
            assert_eq!(check(&std::fs::read(p).unwrap()), Ok(()));
        }
        let mut cut = nested(3);
        let n = cut.len();
        cut[n - 8..n - 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(check(&cut).unwrap_err().contains("footer length"));
        assert!(check(b"PAR1").is_err());
        assert!(check(b"PAR1\x00\x00\x00\x00\x00\x00\x00\x00PARE")
            .unwrap_err()
            .contains("encrypted"));
    }
}
