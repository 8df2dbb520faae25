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
//! [`MAX_ZIP_TOTAL_UNCOMPRESSED`](crate::MAX_ZIP_TOTAL_UNCOMPRESSED) (the same cap the declared sizes are held to), so the
//! work is bounded by the caps whatever the archive claims. Only `[Content_Types].xml`
//! is kept (it is at most [`MAX_CONTENT_TYPES_BYTES`](crate::MAX_CONTENT_TYPES_BYTES)), to look for macro content types.
//! A deflate stream must end inside its entry's compressed bytes; bytes after its end
//! (inside the entry) are ignored, as ZIP readers do.
//!
//! Codes: sizes and ratios over the caps are `document.archive_bomb`; every structural
//! fault, overlapping entries included, is `document.archive_malformed`.

use std::io::{Read, Seek};

use crate::read;
use crate::{DocumentError, DocumentKind};

mod zip;

use zip::{Entry, Unpacker, read_archive};

const CONTENT_TYPES: &str = "[Content_Types].xml";

/// Content types that mean macros (`application/vnd.ms-word.document.macroEnabled.main+xml`,
/// `application/vnd.ms-office.vbaProject`, `application/vnd.ms-excel.macrosheet+xml`):
/// the text looked for (lower case), and what to call it.
const MACRO_CONTENT_TYPES: &[(&str, &str)] = &[
    ("macroenabled", "a macro-enabled content type"),
    ("vbaproject", "a VBA project content type"),
    ("macrosheet", "an Excel 4.0 macro sheet content type"),
];

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

#[cfg(test)]
mod tests {
    use super::zip::*;
    use super::*;
    use crate::read::{u16_le, u32_le};
    use crate::{
        MAX_CONTENT_TYPES_BYTES, MAX_ZIP_ENTRIES, MAX_ZIP_ENTRY_NAME_BYTES,
        MAX_ZIP_TOTAL_UNCOMPRESSED, ZIP_RATIO_MIN_BYTES,
    };
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
