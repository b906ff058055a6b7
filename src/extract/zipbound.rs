//! A zip reader with limits, for every OOXML/ODF container: declared size per part, compression ratio,
//! total bytes and entry count are checked before and while reading, so a zip bomb is refused with a
//! reason instead of exhausting memory.

use super::ExtractError;
use std::io::{Cursor, Read};
use zip::ZipArchive;

const MAX_PART: u64 = 64 << 20;
const MAX_TOTAL: u64 = 256 << 20;
const MAX_RATIO: u64 = 200;
const MAX_ENTRIES: usize = 20_000;

pub(crate) struct BoundedZip<'a> {
    archive: ZipArchive<Cursor<&'a [u8]>>,
    spent: u64,
}

impl<'a> BoundedZip<'a> {
    pub(crate) fn open(bytes: &'a [u8], what: &str) -> Result<Self, ExtractError> {
        let archive = ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| ExtractError::Corrupt(format!("not a valid {what} (zip container unreadable: {e})")))?;
        if archive.len() > MAX_ENTRIES {
            return Err(ExtractError::TooLarge(format!("{} entries in the {what} container", archive.len())));
        }
        Ok(BoundedZip { archive, spent: 0 })
    }

    pub(crate) fn names(&self) -> Vec<String> {
        (0..self.archive.len()).filter_map(|i| self.archive.name_for_index(i).and_then(|n| n.ok()).map(|n| n.into_owned())).collect()
    }

    /// Check every entry's declared size and ratio (before handing the file to another parser).
    pub(crate) fn check_all(&mut self) -> Result<(), ExtractError> {
        let mut total = 0u64;
        for i in 0..self.archive.len() {
            let f = self.archive.by_index(i).map_err(|e| ExtractError::Corrupt(format!("zip entry {i}: {e}")))?;
            let name = f.name().map(|n| n.into_owned()).unwrap_or_default();
            check_entry(&name, f.size(), f.compressed_size())?;
            total = total.saturating_add(f.size());
        }
        if total > MAX_TOTAL {
            return Err(ExtractError::TooLarge(format!("container inflates to {total} bytes (limit {MAX_TOTAL})")));
        }
        Ok(())
    }

    /// Read one part; `None` when the archive has no such entry.
    pub(crate) fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>, ExtractError> {
        let Some(index) = self.archive.index_for_name(name) else { return Ok(None) };
        let f = self.archive.by_index(index).map_err(|e| ExtractError::Corrupt(format!("{name}: {e}")))?;
        if f.encrypted() {
            return Err(ExtractError::Encrypted);
        }
        check_entry(name, f.size(), f.compressed_size())?;
        let cap = f.size().min(MAX_PART);
        let mut out = Vec::with_capacity(usize::try_from(cap.min(8 << 20)).unwrap_or(0));
        f.take(cap + 1).read_to_end(&mut out).map_err(|e| ExtractError::Corrupt(format!("{name}: {e}")))?;
        if out.len() as u64 > cap {
            return Err(ExtractError::TooLarge(format!("{name} inflates beyond its declared size")));
        }
        self.spent = self.spent.saturating_add(out.len() as u64);
        if self.spent > MAX_TOTAL {
            return Err(ExtractError::TooLarge(format!("container inflates beyond {MAX_TOTAL} bytes")));
        }
        Ok(Some(out))
    }
}

fn check_entry(name: &str, size: u64, compressed: u64) -> Result<(), ExtractError> {
    if size > MAX_PART {
        return Err(ExtractError::TooLarge(format!("{name} declares {size} bytes (limit {MAX_PART})")));
    }
    if size > (1 << 20) && size / compressed.max(1) > MAX_RATIO {
        return Err(ExtractError::TooLarge(format!(
            "{name} looks like a zip bomb (declared {size} B, ratio {})",
            size / compressed.max(1)
        )));
    }
    Ok(())
}
