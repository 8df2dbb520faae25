//! DOCX and XLSX: Office Open XML packages, i.e. ZIP archives.
//!
//! The archive is read the way a careful reader must: from its end. The End Of Central
//! Directory record (and the ZIP64 one, when present) says where the central directory
//! is; every central directory entry is checked against caps and against its local
//! header; every entry's bytes must lie inside the file, before the central directory,
//! and no two entries may share bytes (overlapping entries are how non-recursive ZIP
//! bombs reach ratios in the millions). Then every entry is unpacked, streaming: its data
//! is inflated (or, when stored, read) through fixed buffers and dropped, and its real
//! size and CRC-32 must be what the central directory declares (the local header agrees
//! with it unless it defers them to a data descriptor). No entry may unpack to more than
//! one byte past its declared size, and all of them together to more than
//! [`MAX_ZIP_TOTAL_UNCOMPRESSED`] (the same cap the declared sizes are held to), so the
//! work is bounded by the caps whatever the archive claims. Only `[Content_Types].xml`
//! is kept (it is at most [`MAX_CONTENT_TYPES_BYTES`]), to look for macro content types.
//! A deflate stream must end inside its entry's compressed bytes; bytes after its end
//! (inside the entry) are ignored, as ZIP readers do.
//!
//! Codes: sizes and ratios over the caps are `document.archive_bomb`; every structural
//! fault, overlapping entries included, is `document.archive_malformed`.

use std::collections::HashSet;
use std::io::{Read, Seek};

use flate2::{Decompress, FlushDecompress, Status};

use crate::error::printable;
use crate::read::{self, Forward, read_at, read_vec, u16_le, u32_le, u64_le};
use crate::{
    DocumentError, DocumentKind, MAX_CONTENT_TYPES_BYTES, MAX_ZIP_ENTRIES,
    MAX_ZIP_ENTRY_NAME_BYTES, MAX_ZIP_ENTRY_RATIO, MAX_ZIP_TOTAL_UNCOMPRESSED, ZIP_RATIO_MIN_BYTES,
};

const EOCD_SIG: u32 = 0x0605_4b50;
const EOCD_LEN: u64 = 22;
const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
const ZIP64_LOCATOR_LEN: u64 = 20;
const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
const ZIP64_EOCD_LEN: u64 = 56;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const CENTRAL_LEN: usize = 46;
const LOCAL_SIG: u32 = 0x0403_4b50;
const LOCAL_LEN: u64 = 30;
const ZIP64_EXTRA_ID: u16 = 0x0001;

const FLAG_ENCRYPTED: u16 = 1 << 0;
const FLAG_DATA_DESCRIPTOR: u16 = 1 << 3;
const FLAG_STRONG_ENCRYPTION: u16 = 1 << 6;
const METHOD_STORED: u16 = 0;
const METHOD_DEFLATED: u16 = 8;
const METHOD_AES: u16 = 99;

const CONTENT_TYPES: &str = "[Content_Types].xml";

/// Content types that mean macros (`application/vnd.ms-word.document.macroEnabled.main+xml`,
/// `application/vnd.ms-office.vbaProject`, `application/vnd.ms-excel.macrosheet+xml`):
/// the text looked for (lower case), and what to call it.
const MACRO_CONTENT_TYPES: &[(&str, &str)] = &[
    ("macroenabled", "a macro-enabled content type"),
    ("vbaproject", "a VBA project content type"),
    ("macrosheet", "an Excel 4.0 macro sheet content type"),
];

/// One entry of the central directory, with what its local header says.
#[derive(Debug)]
struct Entry {
    /// The name as stored (lossy UTF-8: names that are not UTF-8 are CP437, and office
    /// part names are ASCII either way).
    name: String,
    raw_name: Vec<u8>,
    flags: u16,
    method: u16,
    crc: u32,
    compressed: u64,
    uncompressed: u64,
    local_offset: u64,
    /// Where its data starts (after the local header), set once that header is read.
    data_start: u64,
}

impl Entry {
    fn shown(&self) -> String {
        printable(&self.name)
    }
}

/// Checks a .docx or .xlsx.
pub(crate) fn check<R: Read + Seek>(
    reader: &mut R,
    size: u64,
    kind: DocumentKind,
) -> Result<(), DocumentError> {
    let head = read::head(reader, size, 16)?;
    if !head.starts_with(read::ZIP_LOCAL_MAGIC) {
        return Err(DocumentError::WrongContent {
            expected: kind,
            found: read::sniff(&head),
        });
    }
    let entries = read_archive(reader, size)?;

    // Macros first: a .docm renamed .docx has all the parts of a .docx, too.
    if let Some(vba) = entries.iter().find(|e| {
        e.name
            .rsplit(['/', '\\'])
            .next()
            .is_some_and(|last| last.eq_ignore_ascii_case("vbaProject.bin"))
    }) {
        return Err(DocumentError::MacroContent {
            kind,
            found: format!("a VBA project, \"{}\"", vba.shown()),
        });
    }

    let find = |name: &str| entries.iter().find(|e| e.name.eq_ignore_ascii_case(name));
    let Some(content_types) = find(CONTENT_TYPES) else {
        return Err(DocumentError::MissingPart {
            expected: kind,
            part: "[Content_Types].xml part",
            looks_like: looks_like(&entries),
        });
    };
    let main = match kind {
        DocumentKind::Xlsx => "xl/workbook.xml",
        _ => "word/document.xml",
    };
    if find(main).is_none() {
        return Err(DocumentError::MissingPart {
            expected: kind,
            part: if kind == DocumentKind::Xlsx {
                "workbook (xl/workbook.xml)"
            } else {
                "document body (word/document.xml)"
            },
            looks_like: looks_like(&entries),
        });
    }

    let mut unpacker = Unpacker::new();
    let xml = unpacker.content_types(reader, content_types)?;
    let xml = decode_xml(&xml).to_lowercase();
    if let Some((_, what)) = MACRO_CONTENT_TYPES.iter().find(|(t, _)| xml.contains(t)) {
        return Err(DocumentError::MacroContent {
            kind,
            found: format!("{what} in [Content_Types].xml"),
        });
    }

    // Every other part: its real size and CRC-32 as declared.
    for e in &entries {
        if !std::ptr::eq(e, content_types) {
            unpacker.unpack(reader, e, None)?;
        }
    }
    Ok(())
}

/// What a package that lacks the expected main part seems to be instead.
fn looks_like(entries: &[Entry]) -> Option<&'static str> {
    let has = |name: &str| entries.iter().any(|e| e.name.eq_ignore_ascii_case(name));
    if has("word/document.xml") {
        Some("a Word document (.docx)")
    } else if has("xl/workbook.xml") {
        Some("an Excel workbook (.xlsx)")
    } else if has("ppt/presentation.xml") {
        Some("a PowerPoint presentation (.pptx)")
    } else if has("mimetype") && has("content.xml") {
        Some("an OpenDocument file (.odt/.ods)")
    } else {
        None
    }
}

/// XML is UTF-8 unless it starts with a UTF-16 byte order mark.
fn decode_xml(bytes: &[u8]) -> String {
    match bytes {
        [0xFF, 0xFE, ..] => encoding_rs::UTF_16LE
            .decode_with_bom_removal(bytes)
            .0
            .into_owned(),
        [0xFE, 0xFF, ..] => encoding_rs::UTF_16BE
            .decode_with_bom_removal(bytes)
            .0
            .into_owned(),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Where the central directory is, from the end records.
struct Directory {
    offset: u64,
    size: u64,
    entries: u64,
}

/// Reads and checks the whole structure of the archive; returns its entries.
fn read_archive<R: Read + Seek>(reader: &mut R, size: u64) -> Result<Vec<Entry>, DocumentError> {
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
    uncompressed: bool,
    compressed: bool,
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
    uncompressed: Option<u64>,
    compressed: Option<u64>,
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
const INFLATE_BUFFER_BYTES: usize = 32 * 1024;

/// Unpacks entries one after the other through one output buffer, counting what all of
/// them really unpack to against [`MAX_ZIP_TOTAL_UNCOMPRESSED`].
struct Unpacker {
    out: Vec<u8>,
    /// Bytes the entries unpacked so far really gave.
    total: u64,
}

impl Unpacker {
    fn new() -> Self {
        Unpacker {
            out: vec![0; INFLATE_BUFFER_BYTES],
            total: 0,
        }
    }

    /// Unpacks `[Content_Types].xml` (declared at most [`MAX_CONTENT_TYPES_BYTES`]) and
    /// returns its bytes.
    fn content_types<R: Read + Seek>(
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
    fn unpack<R: Read + Seek>(
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
    fn count(&mut self, n: u64) -> Result<(), DocumentError> {
        self.total = self.total.saturating_add(n);
        if self.total > MAX_ZIP_TOTAL_UNCOMPRESSED {
            return Err(DocumentError::ZipTotalTooLarge { total: self.total });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};
    use trade_model::ErrorCode;

    /// A ZIP writer for tests, every field under control.
    #[derive(Clone)]
    struct Part {
        name: String,
        data: Vec<u8>,
        method: u16,
        flags: u16,
        /// Declared uncompressed size, if not the real one.
        declared: Option<u64>,
        /// Declared CRC-32, if not the real one.
        crc: Option<u32>,
        /// The bytes stored for it, if not `data` deflated (or as is, when stored).
        payload: Option<Vec<u8>>,
    }

    fn part(name: &str, data: &[u8]) -> Part {
        Part {
            name: name.into(),
            data: data.to_vec(),
            method: METHOD_DEFLATED,
            flags: 0,
            declared: None,
            crc: None,
            payload: None,
        }
    }

    fn stored(name: &str, data: &[u8]) -> Part {
        Part {
            method: METHOD_STORED,
            ..part(name, data)
        }
    }

    fn deflate(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    fn crc(data: &[u8]) -> u32 {
        let mut c = flate2::Crc::new();
        c.update(data);
        c.sum()
    }

    struct Options {
        zip64: bool,
        comment: Vec<u8>,
    }

    fn zip_with(parts: &[Part], opts: &Options) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for p in parts {
            let payload = match (&p.payload, p.method) {
                (Some(payload), _) => payload.clone(),
                (None, METHOD_DEFLATED) => deflate(&p.data),
                (None, _) => p.data.clone(),
            };
            let usize_ = p.declared.unwrap_or(p.data.len() as u64);
            let offset = out.len() as u64;
            let (c32, u32_, o32) = if opts.zip64 {
                (u32::MAX, u32::MAX, u32::MAX)
            } else {
                (payload.len() as u32, usize_ as u32, offset as u32)
            };
            let mut local_extra = Vec::new();
            let mut central_extra = Vec::new();
            if opts.zip64 {
                local_extra.extend_from_slice(&1u16.to_le_bytes());
                local_extra.extend_from_slice(&16u16.to_le_bytes());
                local_extra.extend_from_slice(&usize_.to_le_bytes());
                local_extra.extend_from_slice(&(payload.len() as u64).to_le_bytes());
                central_extra.extend_from_slice(&1u16.to_le_bytes());
                central_extra.extend_from_slice(&24u16.to_le_bytes());
                central_extra.extend_from_slice(&usize_.to_le_bytes());
                central_extra.extend_from_slice(&(payload.len() as u64).to_le_bytes());
                central_extra.extend_from_slice(&offset.to_le_bytes());
            }
            let c = p.crc.unwrap_or_else(|| crc(&p.data));
            out.extend_from_slice(&LOCAL_SIG.to_le_bytes());
            out.extend_from_slice(&45u16.to_le_bytes());
            out.extend_from_slice(&p.flags.to_le_bytes());
            out.extend_from_slice(&p.method.to_le_bytes());
            out.extend_from_slice(&[0; 4]);
            out.extend_from_slice(&c.to_le_bytes());
            out.extend_from_slice(&c32.to_le_bytes());
            out.extend_from_slice(&u32_.to_le_bytes());
            out.extend_from_slice(&(p.name.len() as u16).to_le_bytes());
            out.extend_from_slice(&(local_extra.len() as u16).to_le_bytes());
            out.extend_from_slice(p.name.as_bytes());
            out.extend_from_slice(&local_extra);
            out.extend_from_slice(&payload);

            central.extend_from_slice(&CENTRAL_SIG.to_le_bytes());
            central.extend_from_slice(&45u16.to_le_bytes());
            central.extend_from_slice(&45u16.to_le_bytes());
            central.extend_from_slice(&p.flags.to_le_bytes());
            central.extend_from_slice(&p.method.to_le_bytes());
            central.extend_from_slice(&[0; 4]);
            central.extend_from_slice(&c.to_le_bytes());
            central.extend_from_slice(&c32.to_le_bytes());
            central.extend_from_slice(&u32_.to_le_bytes());
            central.extend_from_slice(&(p.name.len() as u16).to_le_bytes());
            central.extend_from_slice(&(central_extra.len() as u16).to_le_bytes());
            central.extend_from_slice(&[0; 6]); // comment len, disk, internal attrs
            central.extend_from_slice(&[0; 4]); // external attrs
            central.extend_from_slice(&o32.to_le_bytes());
            central.extend_from_slice(p.name.as_bytes());
            central.extend_from_slice(&central_extra);
        }
        let cd_offset = out.len() as u64;
        out.extend_from_slice(&central);
        let n = parts.len() as u64;
        if opts.zip64 {
            let record_offset = out.len() as u64;
            out.extend_from_slice(&ZIP64_EOCD_SIG.to_le_bytes());
            out.extend_from_slice(&44u64.to_le_bytes());
            out.extend_from_slice(&[45, 0, 45, 0]);
            out.extend_from_slice(&[0; 8]);
            out.extend_from_slice(&n.to_le_bytes());
            out.extend_from_slice(&n.to_le_bytes());
            out.extend_from_slice(&(central.len() as u64).to_le_bytes());
            out.extend_from_slice(&cd_offset.to_le_bytes());
            out.extend_from_slice(&ZIP64_LOCATOR_SIG.to_le_bytes());
            out.extend_from_slice(&0u32.to_le_bytes());
            out.extend_from_slice(&record_offset.to_le_bytes());
            out.extend_from_slice(&1u32.to_le_bytes());
        }
        out.extend_from_slice(&EOCD_SIG.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        let n16 = if opts.zip64 { u16::MAX } else { n as u16 };
        out.extend_from_slice(&n16.to_le_bytes());
        out.extend_from_slice(&n16.to_le_bytes());
        let (size32, off32) = if opts.zip64 {
            (u32::MAX, u32::MAX)
        } else {
            (central.len() as u32, cd_offset as u32)
        };
        out.extend_from_slice(&size32.to_le_bytes());
        out.extend_from_slice(&off32.to_le_bytes());
        out.extend_from_slice(&(opts.comment.len() as u16).to_le_bytes());
        out.extend_from_slice(&opts.comment);
        out
    }

    fn zip(parts: &[Part]) -> Vec<u8> {
        zip_with(
            parts,
            &Options {
                zip64: false,
                comment: Vec::new(),
            },
        )
    }

    const DOCX_TYPES: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;

    fn docx_parts() -> Vec<Part> {
        vec![
            part("[Content_Types].xml", DOCX_TYPES),
            part("_rels/.rels", b"<Relationships/>"),
            part(
                "word/document.xml",
                b"<w:document><w:body><w:p>Invoice</w:p></w:body></w:document>",
            ),
        ]
    }

    fn check_docx(bytes: Vec<u8>) -> Result<(), DocumentError> {
        let len = bytes.len() as u64;
        check(&mut Cursor::new(bytes), len, DocumentKind::Docx)
    }

    #[test]
    fn a_minimal_package_passes() {
        check_docx(zip(&docx_parts())).unwrap();
        let mut parts = docx_parts();
        parts[0].method = METHOD_STORED;
        check_docx(zip(&parts)).unwrap();
    }

    #[test]
    fn a_comment_after_the_end_record_is_allowed() {
        let opts = Options {
            zip64: false,
            comment: b"made by a test; PK\x05\x06 in a comment is not an end record".to_vec(),
        };
        check_docx(zip_with(&docx_parts(), &opts)).unwrap();
    }

    #[test]
    fn zip64_is_read() {
        let opts = Options {
            zip64: true,
            comment: Vec::new(),
        };
        check_docx(zip_with(&docx_parts(), &opts)).unwrap();
        // ZIP64 sizes are the ones checked against the caps.
        let mut parts = docx_parts();
        parts.push(Part {
            declared: Some(300 << 20),
            ..part("word/media/big.bin", b"x")
        });
        let err = check_docx(zip_with(&parts, &opts)).unwrap_err();
        assert!(
            matches!(
                err,
                DocumentError::ZipEntryRatio {
                    uncompressed: 314_572_800,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn zip64_markers_without_the_extra_field_are_refused() {
        let mut bytes = zip(&docx_parts());
        // Set the first central record's compressed size to 0xFFFFFFFF, with no ZIP64 field.
        let cd = find_cd(&bytes);
        bytes[cd + 20..cd + 24].copy_from_slice(&u32::MAX.to_le_bytes());
        let err = check_docx(bytes).unwrap_err();
        assert!(
            matches!(err, DocumentError::ZipDirectoryInvalid { .. }),
            "{err:?}"
        );
    }

    fn find_cd(bytes: &[u8]) -> usize {
        let eocd = bytes.len() - 22;
        assert_eq!(u32_le(bytes, eocd), EOCD_SIG);
        u32_le(bytes, eocd + 16) as usize
    }

    #[test]
    fn the_end_record_is_required() {
        let bytes = zip(&docx_parts());
        let cut = bytes[..bytes.len() - 22].to_vec();
        assert!(matches!(
            check_docx(cut),
            Err(DocumentError::ZipNoEndRecord)
        ));
        // An end record whose comment length does not reach the end of the file is not it.
        let mut bytes = zip(&docx_parts());
        let len = bytes.len();
        bytes[len - 2] = 5;
        assert!(matches!(
            check_docx(bytes),
            Err(DocumentError::ZipNoEndRecord)
        ));
    }

    #[test]
    fn too_many_entries_is_a_bomb() {
        let mut parts = docx_parts();
        for i in 0..MAX_ZIP_ENTRIES as usize {
            parts.push(stored(&format!("word/media/{i}.bin"), b""));
        }
        let err = check_docx(zip(&parts)).unwrap_err();
        assert!(
            matches!(err, DocumentError::ZipTooManyEntries { .. }),
            "{err:?}"
        );
        assert_eq!(err.code(), ErrorCode::DocumentArchiveBomb);
        // At the cap: fine.
        parts.truncate(MAX_ZIP_ENTRIES as usize);
        check_docx(zip(&parts)).unwrap();
    }

    #[test]
    fn the_declared_total_is_capped() {
        // 210 entries of just under 1 MiB each (so the ratio rule does not apply): 210 MB.
        let mut parts = docx_parts();
        let each = ZIP_RATIO_MIN_BYTES - 1;
        for i in 0..210 {
            parts.push(Part {
                declared: Some(each),
                ..part(&format!("word/media/{i}.bin"), b"x")
            });
        }
        let err = check_docx(zip(&parts)).unwrap_err();
        assert!(
            matches!(err, DocumentError::ZipTotalTooLarge { .. }),
            "{err:?}"
        );
        assert_eq!(err.code(), ErrorCode::DocumentArchiveBomb);
        // 190 MB: under the cap, so no bomb; the sizes are lies, which unpacking finds.
        parts.truncate(3 + 190);
        let err = check_docx(zip(&parts)).unwrap_err();
        assert!(
            matches!(err, DocumentError::ZipEntryCorrupt { ref entry, .. } if entry == "word/media/0.bin"),
            "{err:?}"
        );
    }

    #[test]
    fn every_entry_is_unpacked_and_verified() {
        let corrupt = |bytes: Vec<u8>| match check_docx(bytes) {
            Err(DocumentError::ZipEntryCorrupt { entry, reason }) => (entry, reason),
            other => panic!("expected ZipEntryCorrupt, got {other:?}"),
        };
        let body = b"<w:document><w:body><w:p>Invoice</w:p></w:body></w:document>";
        for method in [METHOD_DEFLATED, METHOD_STORED] {
            // A CRC-32 other than the data's, in both headers.
            let mut parts = docx_parts();
            parts[2] = Part {
                method,
                crc: Some(crc(body) ^ 1),
                ..part("word/document.xml", body)
            };
            let (entry, reason) = corrupt(zip(&parts));
            assert_eq!(entry, "word/document.xml");
            assert!(reason.contains("checksum"), "{reason}");
            // The data changed, the headers did not.
            let mut parts = docx_parts();
            let mut changed = body.to_vec();
            changed[20] ^= 0x20;
            parts[2] = Part {
                method,
                crc: Some(crc(body)),
                ..part("word/document.xml", &changed)
            };
            assert!(corrupt(zip(&parts)).1.contains("checksum"));
        }
        // A declared size other than the real one (bigger, smaller), in both headers, for
        // a part that is not [Content_Types].xml.
        for declared in [body.len() as u64 + 1, body.len() as u64 - 1, 0] {
            let mut parts = docx_parts();
            parts[2].declared = Some(declared);
            let (entry, reason) = corrupt(zip(&parts));
            assert_eq!(entry, "word/document.xml");
            assert!(reason.contains("size"), "{declared}: {reason}");
        }
        // A deflate stream cut (the sizes describe the cut bytes), and one that is not
        // deflate at all (block type 3 does not exist).
        let deflated = deflate(body);
        let mut parts = docx_parts();
        parts[1] = Part {
            payload: Some(deflated[..deflated.len() / 2].to_vec()),
            ..part("_rels/.rels", body)
        };
        let (entry, reason) = corrupt(zip(&parts));
        assert_eq!(entry, "_rels/.rels");
        assert!(reason.contains("cut short"), "{reason}");
        parts[1].payload = Some(vec![0x07, 1, 2, 3]);
        assert!(corrupt(zip(&parts)).1.contains("does not unpack"));
        // Bytes after the end of the deflate stream, inside the entry, are ignored.
        let mut padded = deflated.clone();
        padded.extend_from_slice(b"\0\0");
        parts[1].payload = Some(padded);
        check_docx(zip(&parts)).unwrap();
        // ZIP64 archives are verified the same way.
        let mut parts = docx_parts();
        parts[2].crc = Some(0);
        let opts = Options {
            zip64: true,
            comment: Vec::new(),
        };
        assert!(corrupt(zip_with(&parts, &opts)).1.contains("checksum"));
    }

    #[test]
    fn sizes_deferred_to_a_data_descriptor_are_verified_against_the_directory() {
        // With the data-descriptor flag the local header's sizes are not compared with
        // the directory's; the real data still is.
        let mut parts = docx_parts();
        for p in &mut parts {
            p.flags = FLAG_DATA_DESCRIPTOR;
        }
        check_docx(zip(&parts)).unwrap();
        parts[2].crc = Some(12345);
        assert!(matches!(
            check_docx(zip(&parts)),
            Err(DocumentError::ZipEntryCorrupt { .. })
        ));
    }

    #[test]
    fn unpacking_stops_one_byte_past_the_declared_size() {
        // 1 MiB of zeros declared as 10 bytes (under the ratio rule's threshold): refused
        // as soon as the 11th byte comes out, not after inflating it all.
        let zeros = vec![0u8; 1 << 20];
        let mut parts = docx_parts();
        parts.push(Part {
            declared: Some(10),
            ..part("word/media/zeros.bin", &zeros)
        });
        let bytes = zip(&parts);
        let len = bytes.len() as u64;
        let mut reader = Cursor::new(bytes);
        let entries = read_archive(&mut reader, len).unwrap();
        let zeros_entry = entries
            .iter()
            .find(|e| e.name.ends_with("zeros.bin"))
            .unwrap();
        let mut unpacker = Unpacker::new();
        let err = unpacker.unpack(&mut reader, zeros_entry, None).unwrap_err();
        assert!(
            matches!(err, DocumentError::ZipEntryCorrupt { reason, .. } if reason.contains("size"))
        );
        assert!(unpacker.total <= 11, "{} bytes unpacked", unpacker.total);
    }

    #[test]
    fn the_real_total_is_capped_across_entries() {
        let mut unpacker = Unpacker::new();
        unpacker.count(MAX_ZIP_TOTAL_UNCOMPRESSED - 1).unwrap();
        unpacker.count(1).unwrap();
        assert!(matches!(
            unpacker.count(1),
            Err(DocumentError::ZipTotalTooLarge { .. })
        ));
    }

    #[test]
    fn the_ratio_is_capped_for_big_entries() {
        let mut parts = docx_parts();
        parts.push(part("word/media/zeros.bin", &vec![0; 4 << 20]));
        let err = check_docx(zip(&parts)).unwrap_err();
        assert!(
            matches!(err, DocumentError::ZipEntryRatio { .. }),
            "{err:?}"
        );
        assert_eq!(err.code(), ErrorCode::DocumentArchiveBomb);
        // Small entries compress as well as they like.
        let mut parts = docx_parts();
        parts.push(part("word/media/zeros.bin", &vec![0; 1 << 20]));
        check_docx(zip(&parts)).unwrap();
    }

    #[test]
    fn encrypted_entries_are_refused() {
        for flag in [FLAG_ENCRYPTED, FLAG_STRONG_ENCRYPTION] {
            let mut parts = docx_parts();
            parts[2].flags = flag;
            let err = check_docx(zip(&parts)).unwrap_err();
            assert!(
                matches!(err, DocumentError::ZipEncryptedEntry { .. }),
                "{err:?}"
            );
        }
        // Set in the local header only.
        let mut bytes = zip(&docx_parts());
        let local = local_offsets(&bytes)[2];
        bytes[local + 6] |= FLAG_ENCRYPTED as u8;
        assert!(matches!(
            check_docx(bytes),
            Err(DocumentError::ZipEncryptedEntry { .. })
        ));
        let mut parts = docx_parts();
        parts[2].method = METHOD_AES;
        assert!(matches!(
            check_docx(zip(&parts)),
            Err(DocumentError::ZipEncryptedEntry { .. })
        ));
    }

    #[test]
    fn only_stored_and_deflated() {
        let mut parts = docx_parts();
        parts[1].method = 12; // bzip2
        let err = check_docx(zip(&parts)).unwrap_err();
        assert!(
            matches!(
                err,
                DocumentError::ZipUnsupportedCompression { method: 12, .. }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn duplicate_names_are_refused() {
        let mut parts = docx_parts();
        parts.push(part("[content_types].XML", b"<Types/>"));
        let err = check_docx(zip(&parts)).unwrap_err();
        assert!(
            matches!(err, DocumentError::ZipDuplicateEntry { .. }),
            "{err:?}"
        );
    }

    #[test]
    fn names_are_capped() {
        let mut parts = docx_parts();
        parts.push(part(&"n".repeat(MAX_ZIP_ENTRY_NAME_BYTES + 1), b""));
        assert!(matches!(
            check_docx(zip(&parts)),
            Err(DocumentError::ZipDirectoryInvalid { .. })
        ));
        let mut parts = docx_parts();
        parts.push(part(&"n".repeat(MAX_ZIP_ENTRY_NAME_BYTES), b""));
        check_docx(zip(&parts)).unwrap();
    }

    #[test]
    fn the_directory_must_end_where_the_end_record_starts() {
        // Bytes slipped between the central directory and the end record.
        let mut bytes = zip(&docx_parts());
        let at = bytes.len() - 22;
        bytes.splice(at..at, [0u8; 7]);
        let err = check_docx(bytes).unwrap_err();
        assert!(
            matches!(err, DocumentError::ZipDirectoryInvalid { .. }),
            "{err:?}"
        );
        // The end record counts fewer entries than there are.
        let mut bytes = zip(&docx_parts());
        let at = bytes.len() - 22;
        bytes[at + 8] = 2;
        bytes[at + 10] = 2;
        assert!(matches!(
            check_docx(bytes),
            Err(DocumentError::ZipDirectoryInvalid { .. })
        ));
    }

    #[test]
    fn multi_disk_archives_are_refused() {
        let mut bytes = zip(&docx_parts());
        let at = bytes.len() - 22;
        bytes[at + 4] = 1;
        assert!(matches!(
            check_docx(bytes),
            Err(DocumentError::ZipUnsupportedLayout { .. })
        ));
    }

    #[test]
    fn local_headers_must_agree_with_the_directory() {
        // Method differs.
        let mut bytes = zip(&docx_parts());
        bytes[8] = 0;
        assert!(matches!(
            check_docx(bytes),
            Err(DocumentError::ZipLocalHeaderMismatch { .. })
        ));
        // One header says the sizes follow the data (data descriptor), the other does not.
        let mut bytes = zip(&docx_parts());
        bytes[6] |= FLAG_DATA_DESCRIPTOR as u8;
        assert!(matches!(
            check_docx(bytes),
            Err(DocumentError::ZipLocalHeaderMismatch { .. })
        ));
        // CRC differs.
        let mut bytes = zip(&docx_parts());
        bytes[14] ^= 1;
        assert!(matches!(
            check_docx(bytes),
            Err(DocumentError::ZipLocalHeaderMismatch { .. })
        ));
        // Not a local header at all where the directory points.
        let mut bytes = zip(&docx_parts());
        let second = local_offsets(&bytes)[1];
        bytes[second] = b'X';
        assert!(matches!(
            check_docx(bytes),
            Err(DocumentError::ZipLocalHeaderMismatch { .. })
        ));
        // Name differs.
        let mut bytes = zip(&docx_parts());
        let second = local_offsets(&bytes)[1];
        bytes[second + 30] = b'X';
        assert!(matches!(
            check_docx(bytes),
            Err(DocumentError::ZipLocalHeaderMismatch { .. })
        ));
    }

    /// The local header offsets, from the central directory.
    fn local_offsets(bytes: &[u8]) -> Vec<usize> {
        central_offsets(bytes)
            .into_iter()
            .map(|pos| u32_le(bytes, pos + 42) as usize)
            .collect()
    }

    #[test]
    fn entries_must_lie_inside_the_file_and_not_overlap() {
        // The directory points past the data.
        let mut bytes = zip(&docx_parts());
        let cd = find_cd(&bytes);
        let len = bytes.len() as u32;
        bytes[cd + 42..cd + 46].copy_from_slice(&(len + 100).to_le_bytes());
        assert!(matches!(
            check_docx(bytes),
            Err(DocumentError::ZipEntryOutsideFile { .. })
        ));
        // The last entry's data (as both headers declare it) runs into the central directory.
        let mut parts = docx_parts();
        parts[2] = stored("word/document.xml", b"<w:document/>");
        let mut bytes = zip(&parts);
        let local = local_offsets(&bytes)[2];
        let central = central_offsets(&bytes)[2];
        for at in [local + 18, local + 22, central + 20, central + 24] {
            let grown = u32_le(&bytes, at) + 10;
            bytes[at..at + 4].copy_from_slice(&grown.to_le_bytes());
        }
        let err = check_docx(bytes).unwrap_err();
        assert!(
            matches!(err, DocumentError::ZipEntryOutsideFile { .. }),
            "{err:?}"
        );
        // A stored entry whose length (as both headers declare it) runs over the next
        // entry's local header.
        let mut parts = docx_parts();
        parts[1] = stored("_rels/.rels", b"<Relationships/>");
        let mut bytes = zip(&parts);
        let local = local_offsets(&bytes)[1];
        let central = central_offsets(&bytes)[1];
        for at in [local + 18, local + 22, central + 20, central + 24] {
            let grown = u32_le(&bytes, at) + 10;
            bytes[at..at + 4].copy_from_slice(&grown.to_le_bytes());
        }
        let err = check_docx(bytes).unwrap_err();
        assert!(
            matches!(err, DocumentError::ZipEntriesOverlap { .. }),
            "{err:?}"
        );
        assert_eq!(err.code(), ErrorCode::DocumentArchiveMalformed);
    }

    /// Where each central directory record starts.
    fn central_offsets(bytes: &[u8]) -> Vec<usize> {
        let mut pos = find_cd(bytes);
        let mut out = Vec::new();
        while u32_le(bytes, pos) == CENTRAL_SIG {
            out.push(pos);
            pos += 46
                + usize::from(u16_le(bytes, pos + 28))
                + usize::from(u16_le(bytes, pos + 30))
                + usize::from(u16_le(bytes, pos + 32));
        }
        out
    }

    #[test]
    fn content_types_are_verified_when_inflated() {
        // Declared size not the real one (CRC still the real one).
        let mut parts = docx_parts();
        parts[0].declared = Some(DOCX_TYPES.len() as u64 + 1);
        let err = check_docx(zip(&parts)).unwrap_err();
        assert!(
            matches!(err, DocumentError::ZipEntryCorrupt { .. }),
            "{err:?}"
        );
        // Over the cap for that part.
        let mut big = DOCX_TYPES.to_vec();
        big.extend(std::iter::repeat_n(b' ', MAX_CONTENT_TYPES_BYTES as usize));
        let mut parts = docx_parts();
        parts[0] = stored("[Content_Types].xml", &big);
        let err = check_docx(zip(&parts)).unwrap_err();
        assert!(
            matches!(err, DocumentError::ZipPartTooLarge { .. }),
            "{err:?}"
        );
    }

    #[test]
    fn macro_content_types_are_refused() {
        for ct in [
            "application/vnd.ms-word.document.macroEnabled.main+xml",
            "application/vnd.ms-office.vbaProject",
            "application/vnd.ms-excel.macrosheet+xml",
        ] {
            let types = String::from_utf8_lossy(DOCX_TYPES).replace("application/xml", ct);
            let mut parts = docx_parts();
            parts[0] = part("[Content_Types].xml", types.as_bytes());
            let err = check_docx(zip(&parts)).unwrap_err();
            assert!(
                matches!(err, DocumentError::MacroContent { .. }),
                "{ct}: {err:?}"
            );
        }
        // UTF-16 content types are read too.
        let types = String::from_utf8_lossy(DOCX_TYPES)
            .replace("application/xml", "application/vnd.ms-office.vbaProject");
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(types.encode_utf16().flat_map(u16::to_le_bytes));
        let mut parts = docx_parts();
        parts[0] = part("[Content_Types].xml", &utf16);
        assert!(matches!(
            check_docx(zip(&parts)),
            Err(DocumentError::MacroContent { .. })
        ));
    }

    #[test]
    fn vba_projects_are_refused_anywhere() {
        for name in [
            "word/vbaProject.bin",
            "xl/VBAPROJECT.BIN",
            "vbaProject.bin",
            "custom/deep/vbaproject.bin",
        ] {
            let mut parts = docx_parts();
            parts.push(part(name, b"\xD0\xCF\x11\xE0"));
            assert!(
                matches!(
                    check_docx(zip(&parts)),
                    Err(DocumentError::MacroContent { .. })
                ),
                "{name}"
            );
        }
    }

    #[test]
    fn required_parts() {
        let parts: Vec<Part> = docx_parts()
            .into_iter()
            .filter(|p| p.name != "[Content_Types].xml")
            .collect();
        assert!(matches!(
            check_docx(zip(&parts)),
            Err(DocumentError::MissingPart { .. })
        ));
        let parts: Vec<Part> = docx_parts()
            .into_iter()
            .filter(|p| p.name != "word/document.xml")
            .collect();
        assert!(matches!(
            check_docx(zip(&parts)),
            Err(DocumentError::MissingPart { .. })
        ));
        // Part names are case-insensitive.
        let mut parts = docx_parts();
        parts[2].name = "Word/Document.XML".into();
        check_docx(zip(&parts)).unwrap();
        // A docx is not an xlsx.
        let bytes = zip(&docx_parts());
        let len = bytes.len() as u64;
        let err = check(&mut Cursor::new(bytes), len, DocumentKind::Xlsx).unwrap_err();
        assert!(
            matches!(err, DocumentError::MissingPart { looks_like: Some(l), .. } if l.contains("Word")),
            "{err:?}"
        );
    }

    #[test]
    fn entry_names_in_messages_are_printable() {
        let mut parts = docx_parts();
        parts.push(part("word/\u{202E}nib.tcejorPabv", b""));
        parts.push(part("word/\u{202E}nib.tcejorPabv", b""));
        let err = check_docx(zip(&parts)).unwrap_err();
        assert!(!err.to_string().contains('\u{202E}'), "{err}");
    }
}
