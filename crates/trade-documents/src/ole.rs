//! XLS and DOC: OLE compound files (MS-CFB), opened with the `cfb` crate.
//!
//! Refused: macro storages anywhere in the tree (`_VBA_PROJECT_CUR`, `Macros`, `VBA`),
//! Excel 4.0 macro sheets and VBA module sheets in an .xls, and password-protected
//! files (their content cannot be checked). Required: the `Workbook` (or `Book`) stream
//! for .xls, the `WordDocument` stream for .doc.
//!
//! Before `cfb` sees the file, its header and sector allocation index (DIFAT) are held to
//! what a file of this size can need: `cfb` reads every allocation sector the DIFAT
//! names, repeats included, so a crafted 20 MiB file could otherwise make it read and
//! hold gigabytes.

use std::io::{Read, Seek};

use crate::error::printable;
use crate::read::{self, read_at, u16_le, u32_le};
use crate::{DocumentError, DocumentKind, MAX_DOCUMENT_BYTES};

/// Storage names that hold macros: Excel's and Word's VBA project, and the VBA storage
/// within them. Compared case-insensitively, anywhere in the tree.
const MACRO_STORAGES: &[&str] = &["_VBA_PROJECT_CUR", "Macros", "VBA"];

const HEADER_LEN: usize = 512;
const DIFAT_IN_HEADER: u64 = 109;
const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
const FREE_SECTOR: u32 = 0xFFFF_FFFF;

/// BIFF record types (MS-XLS).
const BIFF_BOF: u16 = 0x0809;
const BIFF_EOF: u16 = 0x000A;
const BIFF_FILEPASS: u16 = 0x002F;
const BIFF_BOUNDSHEET: u16 = 0x0085;
/// BoundSheet8 sheet types that are code: Excel 4.0 macro sheet, VBA module.
const SHEET_MACRO: u8 = 0x01;
const SHEET_VBA_MODULE: u8 = 0x06;

/// Word's File Information Block: magic and the "encrypted" flag.
const FIB_IDENT: u16 = 0xA5EC;
const FIB_ENCRYPTED: u16 = 0x0100;

pub(crate) fn check<R: Read + Seek>(
    reader: &mut R,
    size: u64,
    kind: DocumentKind,
) -> Result<(), DocumentError> {
    let head = read::head(reader, size, HEADER_LEN as u64)?;
    if !head.starts_with(read::OLE_MAGIC) {
        return Err(DocumentError::WrongContent {
            expected: kind,
            found: read::sniff(&head),
        });
    }
    let malformed = |detail: String| DocumentError::OleMalformed { kind, detail };
    check_allocation(reader, size, &head).map_err(|detail| malformed(detail.to_owned()))?;

    let mut file = cfb::CompoundFile::open(&mut *reader).map_err(|e| ole_error(kind, e))?;

    if let Some(entry) = file.walk().find(|e| {
        !e.is_root()
            && MACRO_STORAGES
                .iter()
                .any(|m| e.name().eq_ignore_ascii_case(m))
    }) {
        return Err(DocumentError::MacroContent {
            kind,
            found: format!(
                "the \"{}\" storage",
                printable(&entry.path().to_string_lossy())
            ),
        });
    }

    verify_streams(&mut file, size, kind)?;

    match kind {
        DocumentKind::Xls => {
            let Some(stream) = ["/Workbook", "/Book"]
                .into_iter()
                .find(|s| file.is_stream(s))
            else {
                return Err(missing(kind, "workbook (Workbook stream)", &file));
            };
            let data = read_stream(&mut file, stream, kind)?;
            check_biff(&data, kind)
        }
        _ => {
            if !file.is_stream("/WordDocument") {
                return Err(missing(kind, "document body (WordDocument stream)", &file));
            }
            let fib = read_stream_head(&mut file, "/WordDocument", kind, 12)?;
            if fib.len() >= 12
                && u16_le(&fib, 0) == FIB_IDENT
                && u16_le(&fib, 0x0A) & FIB_ENCRYPTED != 0
            {
                return Err(DocumentError::OleEncrypted { kind });
            }
            Ok(())
        }
    }
}

/// Header sanity and the DIFAT bound: at most as many allocation (FAT) sectors as the
/// file's sectors need, plus one sector's worth of slack (some writers pad with zeros).
fn check_allocation<R: Read + Seek>(
    reader: &mut R,
    size: u64,
    header: &[u8],
) -> Result<(), &'static str> {
    if header.len() < HEADER_LEN {
        return Err("its header is cut short");
    }
    let sector_len: u64 = match (u16_le(header, 26), u16_le(header, 30)) {
        (3, 9) => 512,
        (4, 12) => 4096,
        _ => return Err("its header declares an unknown version or sector size"),
    };
    if size < sector_len * 2 {
        return Err("it is cut short");
    }
    let sectors = size.div_ceil(sector_len) - 1;
    let per_sector = sector_len / 4;
    let max_fat = sectors.div_ceil(per_sector) + per_sector;
    if u64::from(u32_le(header, 44)) > max_fat {
        return Err("its allocation table is larger than the file");
    }
    let mut fat_sectors = (0..DIFAT_IN_HEADER as usize)
        .filter(|i| u32_le(header, 76 + i * 4) != FREE_SECTOR)
        .count() as u64;
    let mut next = u32_le(header, 68);
    let mut difat_sectors: u64 = 0;
    let mut buf = vec![0u8; sector_len as usize];
    while next != END_OF_CHAIN && next != FREE_SECTOR {
        difat_sectors += 1;
        if u64::from(next) >= sectors || difat_sectors > max_fat.div_ceil(per_sector - 1) {
            return Err("its allocation index (DIFAT) is longer than the file");
        }
        read_at(reader, (u64::from(next) + 1) * sector_len, &mut buf)
            .map_err(|_| "it cannot be read")?;
        let entries = buf.len() / 4;
        fat_sectors += (0..entries - 1)
            .filter(|i| u32_le(&buf, i * 4) != FREE_SECTOR)
            .count() as u64;
        next = u32_le(&buf, (entries - 1) * 4);
    }
    if fat_sectors > max_fat {
        return Err("its allocation index (DIFAT) names more sectors than the file has");
    }
    Ok(())
}

/// Reads every stream to its declared end: a file cut short, or whose sector chains do
/// not hold what its directory declares, is damaged. Together the streams cannot be
/// longer than the file (each sector belongs to one stream).
fn verify_streams<R: Read + Seek>(
    file: &mut cfb::CompoundFile<R>,
    size: u64,
    kind: DocumentKind,
) -> Result<(), DocumentError> {
    let malformed = |detail: &str| DocumentError::OleMalformed {
        kind,
        detail: detail.to_owned(),
    };
    let streams: Vec<(std::path::PathBuf, u64)> = file
        .walk()
        .filter(|e| e.is_stream())
        .map(|e| (e.path().to_path_buf(), e.len()))
        .collect();
    let total = streams
        .iter()
        .fold(0u64, |sum, (_, len)| sum.saturating_add(*len));
    if total > size {
        return Err(malformed(
            "its streams declare more bytes than the file holds",
        ));
    }
    for (path, len) in streams {
        let stream = file.open_stream(&path).map_err(|e| ole_error(kind, e))?;
        let copied = std::io::copy(&mut stream.take(len), &mut std::io::sink())
            .map_err(|e| ole_error(kind, e))?;
        if copied != len {
            return Err(malformed("a stream is cut short"));
        }
    }
    Ok(())
}

/// An error from `cfb`: a damaged file, unless the reader itself failed.
fn ole_error(kind: DocumentKind, e: std::io::Error) -> DocumentError {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::InvalidData | K::InvalidInput | K::UnexpectedEof | K::NotFound => {
            DocumentError::OleMalformed {
                kind,
                detail: printable(&e.to_string()),
            }
        }
        _ => DocumentError::Io(e),
    }
}

fn missing<F>(
    kind: DocumentKind,
    part: &'static str,
    file: &cfb::CompoundFile<F>,
) -> DocumentError {
    let looks_like = if file.is_stream("/WordDocument") {
        Some("a Word 97-2003 document (.doc)")
    } else if file.is_stream("/Workbook") || file.is_stream("/Book") {
        Some("an Excel 97-2003 workbook (.xls)")
    } else if file.is_stream("/PowerPoint Document") {
        Some("a PowerPoint 97-2003 presentation (.ppt)")
    } else if file.is_stream("/EncryptedPackage") {
        Some("a password-protected Office document")
    } else {
        None
    };
    DocumentError::MissingPart {
        expected: kind,
        part,
        looks_like,
    }
}

/// A whole stream (bounded by the document cap; `cfb` bounds it by the file).
fn read_stream<R: Read + Seek>(
    file: &mut cfb::CompoundFile<R>,
    path: &str,
    kind: DocumentKind,
) -> Result<Vec<u8>, DocumentError> {
    read_stream_head(file, path, kind, MAX_DOCUMENT_BYTES)
}

fn read_stream_head<R: Read + Seek>(
    file: &mut cfb::CompoundFile<R>,
    path: &str,
    kind: DocumentKind,
    max: u64,
) -> Result<Vec<u8>, DocumentError> {
    let stream = file.open_stream(path).map_err(|e| ole_error(kind, e))?;
    let mut data = Vec::new();
    stream
        .take(max)
        .read_to_end(&mut data)
        .map_err(|e| ole_error(kind, e))?;
    Ok(data)
}

/// The workbook globals of a BIFF5/BIFF8 stream: refuses macro and VBA module sheets and
/// password protection. A stream that does not start with a BOF record is left alone
/// (Excel will not open it; nothing in it runs).
fn check_biff(data: &[u8], kind: DocumentKind) -> Result<(), DocumentError> {
    let mut pos = 0;
    let mut first = true;
    while let Some(header) = data.get(pos..pos + 4) {
        let record = u16_le(header, 0);
        let len = usize::from(u16_le(header, 2));
        let body = data.get(pos + 4..pos + 4 + len).unwrap_or_default();
        if first && record != BIFF_BOF {
            return Ok(());
        }
        first = false;
        match record {
            BIFF_EOF => return Ok(()),
            BIFF_FILEPASS => return Err(DocumentError::OleEncrypted { kind }),
            // BoundSheet8: lbPlyPos (4), hsState (1), dt (1), name.
            BIFF_BOUNDSHEET => match body.get(5) {
                Some(&SHEET_MACRO) => {
                    return Err(DocumentError::MacroContent {
                        kind,
                        found: "an Excel 4.0 macro sheet".to_owned(),
                    });
                }
                Some(&SHEET_VBA_MODULE) => {
                    return Err(DocumentError::MacroContent {
                        kind,
                        found: "a VBA module sheet".to_owned(),
                    });
                }
                _ => {}
            },
            _ => {}
        }
        pos += 4 + len;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};
    use trade_model::ErrorCode;

    /// A compound file made with `cfb`, with these streams (path, bytes) and storages.
    fn compound(streams: &[(&str, &[u8])], storages: &[&str]) -> Vec<u8> {
        let mut file = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
        for storage in storages {
            file.create_storage_all(storage).unwrap();
        }
        for (path, data) in streams {
            file.create_stream(path).unwrap().write_all(data).unwrap();
        }
        file.flush().unwrap();
        file.into_inner().into_inner()
    }

    fn biff(records: &[(u16, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (kind, body) in records {
            out.extend_from_slice(&kind.to_le_bytes());
            out.extend_from_slice(&(body.len() as u16).to_le_bytes());
            out.extend_from_slice(body);
        }
        out
    }

    fn boundsheet(dt: u8) -> Vec<u8> {
        let mut body = vec![0, 0, 0, 0, 0, dt, 6, 0];
        body.extend_from_slice(b"Sheet1");
        body
    }

    fn workbook(dt: u8) -> Vec<u8> {
        biff(&[
            (BIFF_BOF, &[0, 6, 5, 0, 0, 0, 0, 0]),
            (BIFF_BOUNDSHEET, &boundsheet(dt)),
            (BIFF_EOF, &[]),
        ])
    }

    fn check_as(kind: DocumentKind, bytes: Vec<u8>) -> Result<(), DocumentError> {
        let len = bytes.len() as u64;
        check(&mut Cursor::new(bytes), len, kind)
    }

    #[test]
    fn minimal_files_pass() {
        check_as(
            DocumentKind::Xls,
            compound(&[("/Workbook", &workbook(0))], &[]),
        )
        .unwrap();
        check_as(DocumentKind::Xls, compound(&[("/Book", &workbook(0))], &[])).unwrap();
        check_as(
            DocumentKind::Doc,
            compound(&[("/WordDocument", &[0xEC, 0xA5, 0, 0])], &[]),
        )
        .unwrap();
    }

    #[test]
    fn each_macro_storage_is_refused_alone() {
        for (kind, stream, storage) in [
            (DocumentKind::Xls, "/Workbook", "/_VBA_PROJECT_CUR"),
            (DocumentKind::Doc, "/WordDocument", "/Macros"),
            (DocumentKind::Doc, "/WordDocument", "/ObjectPool/_1234/VBA"),
            (DocumentKind::Xls, "/Workbook", "/_vba_project_cur"),
        ] {
            let err = check_as(kind, compound(&[(stream, &workbook(0))], &[storage])).unwrap_err();
            assert!(
                matches!(err, DocumentError::MacroContent { .. }),
                "{storage}: {err:?}"
            );
        }
        // A stream with such a name counts too.
        let err = check_as(
            DocumentKind::Doc,
            compound(&[("/WordDocument", b"x"), ("/Macros", b"x")], &[]),
        )
        .unwrap_err();
        assert!(matches!(err, DocumentError::MacroContent { .. }), "{err:?}");
        // Other storages are fine.
        check_as(
            DocumentKind::Doc,
            compound(&[("/WordDocument", b"x")], &["/ObjectPool/_1234"]),
        )
        .unwrap();
    }

    #[test]
    fn required_streams() {
        let err =
            check_as(DocumentKind::Xls, compound(&[("/WordDocument", b"x")], &[])).unwrap_err();
        assert!(
            matches!(
                err,
                DocumentError::MissingPart {
                    looks_like: Some(_),
                    ..
                }
            ),
            "{err:?}"
        );
        let err = check_as(
            DocumentKind::Doc,
            compound(&[("/Workbook", &workbook(0))], &[]),
        )
        .unwrap_err();
        assert!(matches!(err, DocumentError::MissingPart { .. }), "{err:?}");
        // A storage of that name is not the stream.
        let err = check_as(DocumentKind::Doc, compound(&[], &["/WordDocument"])).unwrap_err();
        assert!(matches!(err, DocumentError::MissingPart { .. }), "{err:?}");
    }

    #[test]
    fn xlm_macro_and_vba_module_sheets_are_refused() {
        for dt in [SHEET_MACRO, SHEET_VBA_MODULE] {
            let err = check_as(
                DocumentKind::Xls,
                compound(&[("/Workbook", &workbook(dt))], &[]),
            )
            .unwrap_err();
            assert!(
                matches!(err, DocumentError::MacroContent { .. }),
                "{dt}: {err:?}"
            );
        }
        // Worksheets and chart sheets are fine.
        check_as(
            DocumentKind::Xls,
            compound(&[("/Workbook", &workbook(2))], &[]),
        )
        .unwrap();
        // Sheets after the globals' EOF are not workbook sheets.
        let mut data = workbook(0);
        data.extend(biff(&[(BIFF_BOUNDSHEET, &boundsheet(SHEET_MACRO))]));
        check_as(DocumentKind::Xls, compound(&[("/Workbook", &data)], &[])).unwrap();
    }

    #[test]
    fn password_protected_files_are_refused() {
        let data = biff(&[
            (BIFF_BOF, &[0, 6, 5, 0]),
            (BIFF_FILEPASS, &[1, 0, 1, 0]),
            (BIFF_EOF, &[]),
        ]);
        let err = check_as(DocumentKind::Xls, compound(&[("/Workbook", &data)], &[])).unwrap_err();
        assert!(matches!(err, DocumentError::OleEncrypted { .. }), "{err:?}");
        let mut fib = vec![0u8; 32];
        fib[0..2].copy_from_slice(&FIB_IDENT.to_le_bytes());
        fib[0x0A..0x0C].copy_from_slice(&FIB_ENCRYPTED.to_le_bytes());
        let err =
            check_as(DocumentKind::Doc, compound(&[("/WordDocument", &fib)], &[])).unwrap_err();
        assert!(matches!(err, DocumentError::OleEncrypted { .. }), "{err:?}");
        assert_eq!(err.code(), ErrorCode::DocumentArchiveMalformed);
    }

    #[test]
    fn a_difat_naming_more_sectors_than_the_file_has_is_refused() {
        // A real small file, then a DIFAT chain that names sector 0 as an allocation
        // sector hundreds of times (cfb would read each of them).
        let mut bytes = compound(&[("/WordDocument", &[0; 5000])], &[]);
        let first = (bytes.len() / 512 - 1) as u32; // the index of the first appended sector
        bytes[68..72].copy_from_slice(&first.to_le_bytes());
        bytes[72..76].copy_from_slice(&2u32.to_le_bytes());
        for next in [first + 1, END_OF_CHAIN] {
            let mut sector = vec![0u8; 512]; // 127 entries naming sector 0, then the next DIFAT sector
            sector[508..512].copy_from_slice(&next.to_le_bytes());
            bytes.extend_from_slice(&sector);
        }
        let err = check_as(DocumentKind::Doc, bytes).unwrap_err();
        assert!(
            matches!(&err, DocumentError::OleMalformed { detail, .. } if detail.contains("allocation index")),
            "{err:?}"
        );
        // And a DIFAT chain that loops is refused without reading forever.
        let mut bytes = compound(&[("/WordDocument", &[0; 5000])], &[]);
        let sectors = bytes.len() / 512 - 1;
        bytes[68..72].copy_from_slice(&(sectors as u32).to_le_bytes());
        let mut sector = vec![0xFFu8; 512];
        sector[508..512].copy_from_slice(&(sectors as u32).to_le_bytes()); // points at itself
        bytes.extend_from_slice(&sector);
        let err = check_as(DocumentKind::Doc, bytes).unwrap_err();
        assert!(
            matches!(&err, DocumentError::OleMalformed { detail, .. } if detail.contains("allocation index")),
            "{err:?}"
        );
    }

    /// Sets the declared length of the stream named `name` in the directory.
    fn set_stream_len(bytes: &mut [u8], name: &str, len: u64) {
        let utf16: Vec<u8> = name
            .encode_utf16()
            .chain([0])
            .flat_map(u16::to_le_bytes)
            .collect();
        let at = bytes.windows(utf16.len()).position(|w| w == utf16).unwrap();
        assert_eq!(at % 128, 0, "a directory entry starts with its name");
        bytes[at + 120..at + 128].copy_from_slice(&len.to_le_bytes());
    }

    #[test]
    fn streams_must_hold_what_the_directory_declares() {
        let good = compound(&[("/WordDocument", &[1; 5000]), ("/Data", &[2; 8192])], &[]);
        check_as(DocumentKind::Doc, good.clone()).unwrap();
        // Longer than its sector chain.
        let mut bytes = good.clone();
        set_stream_len(&mut bytes, "Data", 8192 + 100);
        let err = check_as(DocumentKind::Doc, bytes).unwrap_err();
        assert!(matches!(err, DocumentError::OleMalformed { .. }), "{err:?}");
        // Longer than the whole file.
        let mut bytes = good;
        set_stream_len(&mut bytes, "Data", 1 << 40);
        let err = check_as(DocumentKind::Doc, bytes).unwrap_err();
        assert!(
            matches!(&err, DocumentError::OleMalformed { detail, .. } if detail.contains("more bytes than the file")),
            "{err:?}"
        );
    }

    #[test]
    fn broken_files_are_malformed() {
        // (cfb writes version 4: 4096-byte sectors; the stream fills its last one, so any
        // cut loses stream data. A cut in a sector's padding only is not damage.)
        let good = compound(&[("/WordDocument", &[0; 3 * 4096])], &[]);
        check_as(DocumentKind::Doc, good.clone()).unwrap();
        for cut in (600..good.len()).step_by(512) {
            let err = check_as(DocumentKind::Doc, good[..cut].to_vec()).unwrap_err();
            assert_eq!(
                err.code(),
                ErrorCode::DocumentArchiveMalformed,
                "cut at {cut}: {err:?}"
            );
        }
        let mut bad_version = good.clone();
        bad_version[26] = 7;
        assert!(matches!(
            check_as(DocumentKind::Doc, bad_version),
            Err(DocumentError::OleMalformed { .. })
        ));
    }
}
