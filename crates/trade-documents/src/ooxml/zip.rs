//! The ZIP archive under an OOXML package, read from its end and checked entry by entry
//! (see the parent module for the rules): where the central directory is, its entries
//! against their local headers, and every entry unpacked through fixed buffers.

use std::collections::HashSet;
use std::io::{Read, Seek};

use flate2::{Decompress, FlushDecompress, Status};

use crate::error::printable;
use crate::read::{Forward, read_at, read_vec, u16_le, u32_le, u64_le};
use crate::{
    DocumentError, MAX_CONTENT_TYPES_BYTES, MAX_ZIP_ENTRIES, MAX_ZIP_ENTRY_NAME_BYTES,
    MAX_ZIP_ENTRY_RATIO, MAX_ZIP_TOTAL_UNCOMPRESSED, ZIP_RATIO_MIN_BYTES,
};

pub(super) const EOCD_SIG: u32 = 0x0605_4b50;
pub(super) const EOCD_LEN: u64 = 22;
pub(super) const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
pub(super) const ZIP64_LOCATOR_LEN: u64 = 20;
pub(super) const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
pub(super) const ZIP64_EOCD_LEN: u64 = 56;
pub(super) const CENTRAL_SIG: u32 = 0x0201_4b50;
pub(super) const CENTRAL_LEN: usize = 46;
pub(super) const LOCAL_SIG: u32 = 0x0403_4b50;
pub(super) const LOCAL_LEN: u64 = 30;
pub(super) const ZIP64_EXTRA_ID: u16 = 0x0001;

pub(super) const FLAG_ENCRYPTED: u16 = 1 << 0;
pub(super) const FLAG_DATA_DESCRIPTOR: u16 = 1 << 3;
pub(super) const FLAG_STRONG_ENCRYPTION: u16 = 1 << 6;
pub(super) const METHOD_STORED: u16 = 0;
pub(super) const METHOD_DEFLATED: u16 = 8;
pub(super) const METHOD_AES: u16 = 99;

/// One entry of the central directory, with what its local header says.
#[derive(Debug)]
pub(super) struct Entry {
    /// The name as stored (lossy UTF-8: names that are not UTF-8 are CP437, and office
    /// part names are ASCII either way).
    pub(super) name: String,
    pub(super) raw_name: Vec<u8>,
    pub(super) flags: u16,
    pub(super) method: u16,
    pub(super) crc: u32,
    pub(super) compressed: u64,
    pub(super) uncompressed: u64,
    pub(super) local_offset: u64,
    /// Where its data starts (after the local header), set once that header is read.
    pub(super) data_start: u64,
}

impl Entry {
    pub(super) fn shown(&self) -> String {
        printable(&self.name)
    }
}

/// Where the central directory is, from the end records.
struct Directory {
    offset: u64,
    size: u64,
    entries: u64,
}

/// Reads and checks the whole structure of the archive; returns its entries.
pub(super) fn read_archive<R: Read + Seek>(
    reader: &mut R,
    size: u64,
) -> Result<Vec<Entry>, DocumentError> {
    let dir = find_directory(reader, size)?;
    if dir.entries > MAX_ZIP_ENTRIES {
        return Err(DocumentError::ZipTooManyEntries { count: dir.entries });
    }
    let mut entries = read_central_directory(reader, &dir)?;

    // Flags and methods, before anything else is believed about an entry.
    for e in &entries {
        if e.flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION) != 0 || e.method == METHOD_AES {
            return Err(DocumentError::ZipEncryptedEntry { entry: e.shown() });
        }
        if e.method != METHOD_STORED && e.method != METHOD_DEFLATED {
            return Err(DocumentError::ZipUnsupportedCompression {
                entry: e.shown(),
                method: e.method,
            });
        }
        if e.method == METHOD_STORED && e.compressed != e.uncompressed {
            return Err(DocumentError::ZipEntryCorrupt {
                entry: e.shown(),
                reason: "is stored uncompressed but declares two different sizes",
            });
        }
    }

    // Bomb caps, on the declared sizes.
    let mut total: u64 = 0;
    for e in &entries {
        if e.uncompressed > ZIP_RATIO_MIN_BYTES
            && e.uncompressed / e.compressed.max(1) > MAX_ZIP_ENTRY_RATIO
        {
            return Err(DocumentError::ZipEntryRatio {
                entry: e.shown(),
                compressed: e.compressed,
                uncompressed: e.uncompressed,
            });
        }
        total = total.saturating_add(e.uncompressed);
    }
    if total > MAX_ZIP_TOTAL_UNCOMPRESSED {
        return Err(DocumentError::ZipTotalTooLarge { total });
    }

    // Names: one part per name (OPC part names are case-insensitive). Two entries with
    // one name are read differently by different readers.
    let mut seen = HashSet::with_capacity(entries.len());
    for e in &entries {
        if !seen.insert(e.name.to_ascii_lowercase()) {
            return Err(DocumentError::ZipDuplicateEntry { entry: e.shown() });
        }
    }

    // Local headers: inside the file, before the central directory, agreeing with it.
    for e in &mut entries {
        read_local_header(reader, e, dir.offset)?;
    }

    // No two entries may share bytes: [local header, end of data) ranges are disjoint.
    let mut ranges: Vec<(u64, u64, &Entry)> = entries
        .iter()
        .map(|e| (e.local_offset, e.data_start + e.compressed, e))
        .collect();
    ranges.sort_by_key(|&(start, _, _)| start);
    for pair in ranges.windows(2) {
        if let [(_, end, first), (start, _, second)] = pair
            && start < end
        {
            return Err(DocumentError::ZipEntriesOverlap {
                first: first.shown(),
                second: second.shown(),
            });
        }
    }
    Ok(entries)
}

/// Finds the End Of Central Directory record (searching back over a possible comment),
/// and the ZIP64 one when a locator precedes it.
fn find_directory<R: Read + Seek>(reader: &mut R, size: u64) -> Result<Directory, DocumentError> {
    let tail_len = size.min(EOCD_LEN + u64::from(u16::MAX));
    let tail_start = size - tail_len;
    let tail = read_vec(reader, tail_start, tail_len)?;
    // The record whose comment runs exactly to the end of the file, searching from the end.
    let at = (0..tail.len().saturating_sub(EOCD_LEN as usize - 1))
        .rev()
        .find(|&i| {
            u32_le(&tail, i) == EOCD_SIG
                && i + EOCD_LEN as usize + usize::from(u16_le(&tail, i + 20)) == tail.len()
        })
        .ok_or(DocumentError::ZipNoEndRecord)?;
    let eocd = &tail[at..];
    let eocd_offset = tail_start + at as u64;
    let disk = u16_le(eocd, 4);
    let directory_disk = u16_le(eocd, 6);
    let entries_on_disk = u64::from(u16_le(eocd, 8));
    let mut dir = Directory {
        entries: u64::from(u16_le(eocd, 10)),
        size: u64::from(u32_le(eocd, 12)),
        offset: u64::from(u32_le(eocd, 16)),
    };
    if disk != 0 || directory_disk != 0 || entries_on_disk != dir.entries {
        return Err(DocumentError::ZipUnsupportedLayout {
            reason: "it is split over several files (disks)",
        });
    }

    // ZIP64: a locator right before the record points at the ZIP64 end record, whose
    // 64-bit fields replace the 16/32-bit ones.
    let mut directory_end = eocd_offset;
    if eocd_offset >= ZIP64_LOCATOR_LEN {
        let mut locator = [0; ZIP64_LOCATOR_LEN as usize];
        read_at(reader, eocd_offset - ZIP64_LOCATOR_LEN, &mut locator)?;
        if u32_le(&locator, 0) == ZIP64_LOCATOR_SIG {
            let record_offset = u64_le(&locator, 8);
            if u32_le(&locator, 4) != 0 || u32_le(&locator, 16) > 1 {
                return Err(DocumentError::ZipUnsupportedLayout {
                    reason: "it is split over several files (disks)",
                });
            }
            let locator_offset = eocd_offset - ZIP64_LOCATOR_LEN;
            if record_offset
                .checked_add(ZIP64_EOCD_LEN)
                .is_none_or(|end| end > locator_offset)
            {
                return Err(DocumentError::ZipDirectoryInvalid {
                    reason: "its ZIP64 end record is outside the file",
                });
            }
            let mut record = [0; ZIP64_EOCD_LEN as usize];
            read_at(reader, record_offset, &mut record)?;
            if u32_le(&record, 0) != ZIP64_EOCD_SIG {
                return Err(DocumentError::ZipDirectoryInvalid {
                    reason: "its ZIP64 end record is missing",
                });
            }
            if u32_le(&record, 16) != 0
                || u32_le(&record, 20) != 0
                || u64_le(&record, 24) != u64_le(&record, 32)
            {
                return Err(DocumentError::ZipUnsupportedLayout {
                    reason: "it is split over several files (disks)",
                });
            }
            dir = Directory {
                entries: u64_le(&record, 32),
                size: u64_le(&record, 40),
                offset: u64_le(&record, 48),
            };
            directory_end = record_offset;
        }
    }
    // The central directory ends exactly where the end record(s) begin: no data may hide
    // between them, and nothing is prepended to an office document.
    if dir.offset.checked_add(dir.size) != Some(directory_end) {
        return Err(DocumentError::ZipDirectoryInvalid {
            reason: "its central directory is not where its end record says",
        });
    }
    Ok(dir)
}

/// Reads every central directory record, with caps.
fn read_central_directory<R: Read + Seek>(
    reader: &mut R,
    dir: &Directory,
) -> Result<Vec<Entry>, DocumentError> {
    const INVALID: DocumentError = DocumentError::ZipDirectoryInvalid {
        reason: "its central directory is inconsistent",
    };
    let cd = read_vec(reader, dir.offset, dir.size)?;
    // Capacity from the declared count, bounded by the caps already checked.
    let mut entries = Vec::with_capacity(usize::try_from(dir.entries).unwrap_or(0));
    let mut pos = 0usize;
    for _ in 0..dir.entries {
        let Some(fixed) = cd.get(pos..pos + CENTRAL_LEN) else {
            return Err(INVALID);
        };
        if u32_le(fixed, 0) != CENTRAL_SIG {
            return Err(INVALID);
        }
        let name_len = usize::from(u16_le(fixed, 28));
        let extra_len = usize::from(u16_le(fixed, 30));
        let comment_len = usize::from(u16_le(fixed, 32));
        if name_len == 0 {
            return Err(DocumentError::ZipDirectoryInvalid {
                reason: "an entry of its central directory has no name",
            });
        }
        if name_len > MAX_ZIP_ENTRY_NAME_BYTES {
            return Err(DocumentError::ZipDirectoryInvalid {
                reason: "an entry name is too long",
            });
        }
        let name_at = pos + CENTRAL_LEN;
        let extra_at = name_at + name_len;
        let end = extra_at + extra_len + comment_len;
        let (Some(name), Some(extra)) = (
            cd.get(name_at..extra_at),
            cd.get(extra_at..extra_at + extra_len),
        ) else {
            return Err(INVALID);
        };
        if end > cd.len() {
            return Err(INVALID);
        }
        let mut entry = Entry {
            name: String::from_utf8_lossy(name).into_owned(),
            raw_name: name.to_vec(),
            flags: u16_le(fixed, 8),
            method: u16_le(fixed, 10),
            crc: u32_le(fixed, 16),
            compressed: u64::from(u32_le(fixed, 20)),
            uncompressed: u64::from(u32_le(fixed, 24)),
            local_offset: u64::from(u32_le(fixed, 42)),
            data_start: 0,
        };
        let mut start_disk = u32::from(u16_le(fixed, 34));
        // ZIP64: the fields set to all ones are in the extra field, in this order.
        let mut wanted = Zip64Fields {
            uncompressed: entry.uncompressed == u64::from(u32::MAX),
            compressed: entry.compressed == u64::from(u32::MAX),
            offset: entry.local_offset == u64::from(u32::MAX),
            disk: start_disk == u32::from(u16::MAX),
        };
        if wanted.any() {
            let values =
                zip64_extra(extra, &mut wanted).ok_or(DocumentError::ZipDirectoryInvalid {
                    reason: "an entry's ZIP64 sizes are missing",
                })?;
            entry.uncompressed = values.uncompressed.unwrap_or(entry.uncompressed);
            entry.compressed = values.compressed.unwrap_or(entry.compressed);
            entry.local_offset = values.offset.unwrap_or(entry.local_offset);
            start_disk = values.disk.unwrap_or(start_disk);
        }
        if start_disk != 0 {
            return Err(DocumentError::ZipUnsupportedLayout {
                reason: "it is split over several files (disks)",
            });
        }
        entries.push(entry);
        pos = end;
    }
    if pos != cd.len() {
        return Err(DocumentError::ZipDirectoryInvalid {
            reason: "its central directory does not hold the number of entries its end record says",
        });
    }
    Ok(entries)
}

/// Which fields a ZIP64 extended information extra field must hold.
struct Zip64Fields {
    pub(super) uncompressed: bool,
    pub(super) compressed: bool,
    offset: bool,
    disk: bool,
}

impl Zip64Fields {
    fn any(&self) -> bool {
        self.uncompressed || self.compressed || self.offset || self.disk
    }
}

#[derive(Default)]
struct Zip64Values {
    pub(super) uncompressed: Option<u64>,
    pub(super) compressed: Option<u64>,
    offset: Option<u64>,
    disk: Option<u32>,
}

/// Reads the ZIP64 extra field (id 1) for the wanted fields; `None` if it is missing or
/// too short.
fn zip64_extra(extra: &[u8], wanted: &mut Zip64Fields) -> Option<Zip64Values> {
    let mut pos = 0;
    while let Some(header) = extra.get(pos..pos + 4) {
        let id = u16_le(header, 0);
        let len = usize::from(u16_le(header, 2));
        let data = extra.get(pos + 4..pos + 4 + len)?;
        if id == ZIP64_EXTRA_ID {
            let mut values = Zip64Values::default();
            let mut at = 0;
            let mut next_u64 = |want: bool| -> Option<Option<u64>> {
                if !want {
                    return Some(None);
                }
                let v = data.get(at..at + 8).map(|b| u64_le(b, 0))?;
                at += 8;
                Some(Some(v))
            };
            values.uncompressed = next_u64(wanted.uncompressed)?;
            values.compressed = next_u64(wanted.compressed)?;
            values.offset = next_u64(wanted.offset)?;
            if wanted.disk {
                values.disk = Some(data.get(at..at + 4).map(|b| u32_le(b, 0))?);
            }
            wanted.disk = false;
            return Some(values);
        }
        pos += 4 + len;
    }
    None
}

/// Reads an entry's local header: it must lie inside the file before the central
/// directory, and agree with the central directory (name, method, encryption; CRC and
/// sizes unless they are deferred to a data descriptor). Sets `data_start`.
fn read_local_header<R: Read + Seek>(
    reader: &mut R,
    e: &mut Entry,
    directory_offset: u64,
) -> Result<(), DocumentError> {
    let outside = || DocumentError::ZipEntryOutsideFile { entry: e.shown() };
    if e.local_offset
        .checked_add(LOCAL_LEN)
        .is_none_or(|end| end > directory_offset)
    {
        return Err(outside());
    }
    let mut fixed = [0; LOCAL_LEN as usize];
    read_at(reader, e.local_offset, &mut fixed)?;
    let mismatch = || DocumentError::ZipLocalHeaderMismatch { entry: e.shown() };
    if u32_le(&fixed, 0) != LOCAL_SIG {
        return Err(mismatch());
    }
    let flags = u16_le(&fixed, 6);
    let name_len = u64::from(u16_le(&fixed, 26));
    let extra_len = u64::from(u16_le(&fixed, 28));
    let data_start = e.local_offset + LOCAL_LEN + name_len + extra_len;
    let data_end = data_start.checked_add(e.compressed).ok_or_else(outside)?;
    if data_end > directory_offset {
        return Err(outside());
    }
    if flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION) != 0 {
        return Err(DocumentError::ZipEncryptedEntry { entry: e.shown() });
    }
    let name_and_extra = read_vec(reader, e.local_offset + LOCAL_LEN, name_len + extra_len)?;
    let (name, extra) = name_and_extra.split_at(name_len as usize);
    if name != e.raw_name {
        return Err(mismatch());
    }
    if u16_le(&fixed, 8) != e.method || (flags ^ e.flags) & FLAG_DATA_DESCRIPTOR != 0 {
        return Err(mismatch());
    }
    if flags & FLAG_DATA_DESCRIPTOR == 0 {
        let mut compressed = u64::from(u32_le(&fixed, 18));
        let mut uncompressed = u64::from(u32_le(&fixed, 22));
        if compressed == u64::from(u32::MAX) || uncompressed == u64::from(u32::MAX) {
            // In a local header the ZIP64 field holds both sizes.
            let mut wanted = Zip64Fields {
                uncompressed: true,
                compressed: true,
                offset: false,
                disk: false,
            };
            let values = zip64_extra(extra, &mut wanted).ok_or_else(mismatch)?;
            uncompressed = values.uncompressed.unwrap_or(uncompressed);
            compressed = values.compressed.unwrap_or(compressed);
        }
        if u32_le(&fixed, 14) != e.crc
            || compressed != e.compressed
            || uncompressed != e.uncompressed
        {
            return Err(mismatch());
        }
    }
    e.data_start = data_start;
    Ok(())
}

/// The inflater's output buffer: what comes out is checked (CRC-32, count) and dropped.
pub(super) const INFLATE_BUFFER_BYTES: usize = 32 * 1024;

/// Unpacks entries one after the other through one output buffer, counting what all of
/// them really unpack to against [`MAX_ZIP_TOTAL_UNCOMPRESSED`].
pub(super) struct Unpacker {
    out: Vec<u8>,
    /// Bytes the entries unpacked so far really gave.
    pub(super) total: u64,
}

impl Unpacker {
    pub(super) fn new() -> Self {
        Unpacker {
            out: vec![0; INFLATE_BUFFER_BYTES],
            total: 0,
        }
    }

    /// Unpacks `[Content_Types].xml` (declared at most [`MAX_CONTENT_TYPES_BYTES`]) and
    /// returns its bytes.
    pub(super) fn content_types<R: Read + Seek>(
        &mut self,
        reader: &mut R,
        e: &Entry,
    ) -> Result<Vec<u8>, DocumentError> {
        if e.uncompressed > MAX_CONTENT_TYPES_BYTES {
            return Err(DocumentError::ZipPartTooLarge {
                entry: e.shown(),
                size: e.uncompressed,
            });
        }
        // Invariant: at most MAX_CONTENT_TYPES_BYTES (1 MiB), so it fits in usize.
        let mut kept = Vec::with_capacity(e.uncompressed as usize);
        self.unpack(reader, e, Some(&mut kept))?;
        Ok(kept)
    }

    /// Unpacks one entry, streaming: it must give exactly its declared size and CRC-32.
    /// Nothing is kept unless `keep` is given (then at most the declared size plus one
    /// byte is put in it).
    pub(super) fn unpack<R: Read + Seek>(
        &mut self,
        reader: &mut R,
        e: &Entry,
        mut keep: Option<&mut Vec<u8>>,
    ) -> Result<(), DocumentError> {
        let corrupt = |reason| DocumentError::ZipEntryCorrupt {
            entry: e.shown(),
            reason,
        };
        const WRONG_SIZE: &str = "unpacks to a different size than the archive declares";
        // Invariant: read_archive checked that the data lies inside the file.
        let mut input = Forward::new(e.data_start, e.data_start + e.compressed);
        let mut crc = flate2::Crc::new();
        let mut produced: u64 = 0;
        if e.method == METHOD_STORED {
            loop {
                let data = input.fill(reader)?;
                if data.is_empty() {
                    break;
                }
                crc.update(data);
                if let Some(kept) = keep.as_mut() {
                    kept.extend_from_slice(data);
                }
                let n = data.len() as u64;
                produced += n;
                self.count(n)?;
                input.skip(n);
            }
        } else {
            let mut inflater = Decompress::new(false);
            loop {
                let data = input.fill(reader)?;
                // Never more than one byte past the declared size: enough to know it is over.
                let room = (e.uncompressed + 1).saturating_sub(produced);
                let room = usize::try_from(room).map_or(self.out.len(), |r| r.min(self.out.len()));
                if room == 0 {
                    return Err(corrupt(WRONG_SIZE));
                }
                let (in_before, out_before) = (inflater.total_in(), inflater.total_out());
                let status = inflater
                    .decompress(data, &mut self.out[..room], FlushDecompress::None)
                    .map_err(|_| corrupt("does not unpack (its compressed data is damaged)"))?;
                let input_empty = data.is_empty();
                let used = inflater.total_in() - in_before;
                // Invariant: at most `room` bytes were written.
                let made = (inflater.total_out() - out_before) as usize;
                let piece = &self.out[..made];
                crc.update(piece);
                if let Some(kept) = keep.as_mut() {
                    kept.extend_from_slice(piece);
                }
                produced += made as u64;
                self.count(made as u64)?;
                input.skip(used);
                if status == Status::StreamEnd {
                    break;
                }
                if used == 0 && made == 0 {
                    // No progress: the input ran out before the stream's end, or the
                    // inflater will take no more of it.
                    return Err(corrupt(if input_empty {
                        "is cut short (its compressed data ends too early)"
                    } else {
                        "does not unpack (its compressed data is damaged)"
                    }));
                }
            }
        }
        if produced != e.uncompressed {
            return Err(corrupt(WRONG_SIZE));
        }
        if crc.sum() != e.crc {
            return Err(corrupt(
                "does not match its checksum (CRC-32) in the archive",
            ));
        }
        Ok(())
    }

    /// Counts bytes unpacked against the cap on all entries together.
    pub(super) fn count(&mut self, n: u64) -> Result<(), DocumentError> {
        self.total = self.total.saturating_add(n);
        if self.total > MAX_ZIP_TOTAL_UNCOMPRESSED {
            return Err(DocumentError::ZipTotalTooLarge { total: self.total });
        }
        Ok(())
    }
}
