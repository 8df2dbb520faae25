//! Document rules shared by the trade server (upload endpoint) and the desktop client
//! (pre-check before upload, so a bad file fails fast with the same error code the
//! server would give).
//!
//! - [`precheck`]: name + extension + size, before reading the file.
//! - [`check_document`]: all of it, content included: magic bytes, container structure
//!   (OOXML read from the ZIP central directory with caps; XLS/DOC as OLE compound files
//!   with the expected streams), every archive part unpacked (streaming, capped) and held
//!   to its declared size and CRC-32, macros refused, image dimensions read from headers
//!   and decompression bombs refused, then the image data walked to its end (missing,
//!   cut or inconsistent data refused), text files decoded (UTF-8, UTF-16 with BOM, or a
//!   detected legacy encoding) and binary refused.
//! - [`sanitize_file_name`]: the name to store and show.
//!
//! The content check dispatches on the type named by the extension, never on sniffing:
//! a PNG named `.docx` is `document.content_mismatch`.
//!
//! Pure library: no network, no global state, nothing written; it reads only from the
//! `Read + Seek` it is given. Memory is bounded by the document's size (at most
//! [`MAX_DOCUMENT_BYTES`]) and fixed buffers: archive parts and PNG image data are
//! inflated through fixed buffers and dropped (only `[Content_Types].xml`, capped, is
//! kept), images are walked through a fixed buffer, and OLE files are held to what their
//! size can need before the `cfb` crate reads them. Work is linear in the document,
//! except inflating, which stops at the sizes declared and capped
//! ([`MAX_ZIP_TOTAL_UNCOMPRESSED`] for an archive; for a PNG, the filtered size of at most
//! [`MAX_IMAGE_PIXELS`] pixels).

use std::io::{Read, Seek, SeekFrom};

mod error;
mod image;
mod name;
mod ole;
mod ooxml;
mod read;
mod text;

pub use error::{DocumentError, ERROR_CODES};
pub use name::sanitize_file_name;

/// The largest document accepted: 20 MiB.
pub const MAX_DOCUMENT_BYTES: u64 = 20 * 1024 * 1024;
/// The longest file name kept, in characters (Unicode scalar values); longer names are
/// cut, keeping the extension.
pub const MAX_NAME_CHARS: usize = 255;

/// OOXML: at most this many entries in the ZIP central directory.
pub const MAX_ZIP_ENTRIES: u64 = 10_000;
/// OOXML: at most this many bytes in all, by the sizes the entries declare uncompressed,
/// and by what they really unpack to.
pub const MAX_ZIP_TOTAL_UNCOMPRESSED: u64 = 200 * 1024 * 1024;
/// OOXML: an entry over [`ZIP_RATIO_MIN_BYTES`] uncompressed may be at most this many
/// times its compressed size.
pub const MAX_ZIP_ENTRY_RATIO: u64 = 100;
/// OOXML: entries up to this size (uncompressed) are not held to [`MAX_ZIP_ENTRY_RATIO`]
/// (small, very regular XML parts compress well and cannot hurt).
pub const ZIP_RATIO_MIN_BYTES: u64 = 1024 * 1024;
/// OOXML: the longest entry name accepted, in bytes.
pub const MAX_ZIP_ENTRY_NAME_BYTES: usize = 1024;
/// OOXML: the largest `[Content_Types].xml` read (it is decompressed, up to this cap).
pub const MAX_CONTENT_TYPES_BYTES: u64 = 1024 * 1024;
/// Images: the longest side accepted, in pixels.
pub const MAX_IMAGE_SIDE: u32 = 30_000;
/// Images: the most pixels (width × height) accepted: 100 megapixels.
pub const MAX_IMAGE_PIXELS: u64 = 100_000_000;
/// TIFF: the most pages (IFDs) whose dimensions are checked; more is refused.
pub const MAX_TIFF_PAGES: usize = 1_000;
/// TXT: at most this share of the characters, in per mille, may be control characters
/// other than tab, line feed, carriage return and form feed (10 ‰ = 1 %).
pub const MAX_TEXT_CONTROL_PER_MILLE: u64 = 10;

/// The document types accepted, by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocumentKind {
    Xlsx,
    Xls,
    Doc,
    Docx,
    Jpeg,
    Png,
    Gif,
    Tiff,
    Pdf,
    Txt,
}

impl DocumentKind {
    /// The name documents carry in the API (`pdf`, `docx`, `jpeg`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Xlsx => "xlsx",
            DocumentKind::Xls => "xls",
            DocumentKind::Doc => "doc",
            DocumentKind::Docx => "docx",
            DocumentKind::Jpeg => "jpeg",
            DocumentKind::Png => "png",
            DocumentKind::Gif => "gif",
            DocumentKind::Tiff => "tiff",
            DocumentKind::Pdf => "pdf",
            DocumentKind::Txt => "txt",
        }
    }

    /// Every accepted extension, lower case. `jpg`/`jpeg` are both [`DocumentKind::Jpeg`],
    /// `tif`/`tiff` both [`DocumentKind::Tiff`].
    pub const ALL_EXTENSIONS: &[&str] = &[
        "xlsx", "xls", "doc", "docx", "jpg", "jpeg", "png", "gif", "tif", "tiff", "pdf", "txt",
    ];

    /// Every kind.
    pub const ALL: [DocumentKind; 10] = [
        DocumentKind::Xlsx,
        DocumentKind::Xls,
        DocumentKind::Doc,
        DocumentKind::Docx,
        DocumentKind::Jpeg,
        DocumentKind::Png,
        DocumentKind::Gif,
        DocumentKind::Tiff,
        DocumentKind::Pdf,
        DocumentKind::Txt,
    ];

    /// The kind for an extension (without the dot), case-insensitive.
    pub fn from_extension(ext: &str) -> Option<DocumentKind> {
        let kind = match ext.to_ascii_lowercase().as_str() {
            "xlsx" => DocumentKind::Xlsx,
            "xls" => DocumentKind::Xls,
            "doc" => DocumentKind::Doc,
            "docx" => DocumentKind::Docx,
            "jpg" | "jpeg" => DocumentKind::Jpeg,
            "png" => DocumentKind::Png,
            "gif" => DocumentKind::Gif,
            "tif" | "tiff" => DocumentKind::Tiff,
            "pdf" => DocumentKind::Pdf,
            "txt" => DocumentKind::Txt,
            _ => return None,
        };
        Some(kind)
    }

    /// The media type to serve this kind with. For [`DocumentKind::Txt`] it says UTF-8;
    /// a checked text document knows its real encoding: see
    /// [`CheckedDocument::content_type`].
    pub fn media_type(self) -> &'static str {
        match self {
            DocumentKind::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            DocumentKind::Xls => "application/vnd.ms-excel",
            DocumentKind::Doc => "application/msword",
            DocumentKind::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            DocumentKind::Jpeg => "image/jpeg",
            DocumentKind::Png => "image/png",
            DocumentKind::Gif => "image/gif",
            DocumentKind::Tiff => "image/tiff",
            DocumentKind::Pdf => "application/pdf",
            DocumentKind::Txt => "text/plain; charset=utf-8",
        }
    }

    /// The usual extension (without the dot).
    pub fn extension(self) -> &'static str {
        match self {
            DocumentKind::Xlsx => "xlsx",
            DocumentKind::Xls => "xls",
            DocumentKind::Doc => "doc",
            DocumentKind::Docx => "docx",
            DocumentKind::Jpeg => "jpg",
            DocumentKind::Png => "png",
            DocumentKind::Gif => "gif",
            DocumentKind::Tiff => "tif",
            DocumentKind::Pdf => "pdf",
            DocumentKind::Txt => "txt",
        }
    }

    /// What a user calls it: "Excel workbook (.xlsx)", "PNG image".
    pub fn label(self) -> &'static str {
        match self {
            DocumentKind::Xlsx => "Excel workbook (.xlsx)",
            DocumentKind::Xls => "Excel 97-2003 workbook (.xls)",
            DocumentKind::Doc => "Word 97-2003 document (.doc)",
            DocumentKind::Docx => "Word document (.docx)",
            DocumentKind::Jpeg => "JPEG image",
            DocumentKind::Png => "PNG image",
            DocumentKind::Gif => "GIF image",
            DocumentKind::Tiff => "TIFF image",
            DocumentKind::Pdf => "PDF document",
            DocumentKind::Txt => "text file (.txt)",
        }
    }

    /// [`label`](DocumentKind::label) with its article: "an Excel workbook (.xlsx)".
    pub fn description(self) -> &'static str {
        match self {
            DocumentKind::Xlsx => "an Excel workbook (.xlsx)",
            DocumentKind::Xls => "an Excel 97-2003 workbook (.xls)",
            DocumentKind::Doc => "a Word 97-2003 document (.doc)",
            DocumentKind::Docx => "a Word document (.docx)",
            DocumentKind::Jpeg => "a JPEG image",
            DocumentKind::Png => "a PNG image",
            DocumentKind::Gif => "a GIF image",
            DocumentKind::Tiff => "a TIFF image",
            DocumentKind::Pdf => "a PDF document",
            DocumentKind::Txt => "a text file (.txt)",
        }
    }
}

/// A document that passed every check.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CheckedDocument {
    pub kind: DocumentKind,
    /// The sanitised name to show and to put in `Content-Disposition`.
    pub file_name: String,
    pub size: u64,
    /// For [`DocumentKind::Txt`]: the encoding it was decoded with: "UTF-8", "UTF-16LE",
    /// "UTF-16BE", "GB18030", "windows-1252", "Shift_JIS", ... (names of the WHATWG
    /// Encoding Standard, as `encoding_rs` spells them; GBK is reported as GB18030, the
    /// decoder for both being the same).
    pub text_encoding: Option<String>,
    /// For images: (width, height) in pixels (of the first page, for TIFF).
    pub image_size: Option<(u32, u32)>,
}

impl CheckedDocument {
    /// The `Content-Type` to serve this document with: [`DocumentKind::media_type`], with
    /// the detected charset for text (`text/plain; charset=GB18030`).
    pub fn content_type(&self) -> String {
        match (&self.kind, &self.text_encoding) {
            (DocumentKind::Txt, Some(encoding)) => format!("text/plain; charset={encoding}"),
            (kind, _) => kind.media_type().to_owned(),
        }
    }
}

/// Only the cheap part the client can do before reading the file: name (sanitised),
/// extension (on the allow-list) and size (not empty, at most [`MAX_DOCUMENT_BYTES`]).
/// Returns the sanitised name and the kind its extension names.
pub fn precheck(raw_name: &str, size: u64) -> Result<(String, DocumentKind), DocumentError> {
    let name = sanitize_file_name(raw_name)?;
    let kind = name::kind_of(&name)?;
    if size == 0 {
        return Err(DocumentError::Empty);
    }
    if size > MAX_DOCUMENT_BYTES {
        return Err(DocumentError::TooLarge { size });
    }
    Ok((name, kind))
}

/// Check a whole document: name (sanitised; extension from the allow-list), size (≤ cap,
/// non-empty), content (as the extension says it must be).
///
/// `size` is the size the caller knows (the upload's length, the file's metadata); the
/// reader's real length must be the same, or the check fails with `document.io`. The
/// reader is read from its start, whatever its position.
pub fn check_document<R: Read + Seek>(
    raw_name: &str,
    mut reader: R,
    size: u64,
) -> Result<CheckedDocument, DocumentError> {
    let (file_name, kind) = precheck(raw_name, size)?;
    let actual = reader.seek(SeekFrom::End(0)).map_err(DocumentError::Io)?;
    if actual != size {
        return Err(DocumentError::SizeMismatch {
            declared: size,
            actual,
        });
    }
    let mut text_encoding = None;
    let mut image_size = None;
    match kind {
        DocumentKind::Docx | DocumentKind::Xlsx => ooxml::check(&mut reader, size, kind)?,
        DocumentKind::Doc | DocumentKind::Xls => ole::check(&mut reader, size, kind)?,
        DocumentKind::Jpeg | DocumentKind::Png | DocumentKind::Gif | DocumentKind::Tiff => {
            image_size = Some(image::check(&mut reader, size, kind)?);
        }
        DocumentKind::Pdf => check_pdf(&mut reader, size)?,
        DocumentKind::Txt => text_encoding = Some(text::check(&mut reader, size)?.to_owned()),
    }
    Ok(CheckedDocument {
        kind,
        file_name,
        size,
        text_encoding,
        image_size,
    })
}

/// PDF: `%PDF-1.` or `%PDF-2.` within the first 1024 bytes (readers allow some junk
/// before it), and `%%EOF` within the last 2048 (a PDF is read from its end).
fn check_pdf<R: Read + Seek>(reader: &mut R, size: u64) -> Result<(), DocumentError> {
    let head = read::head(reader, size, 1024)?;
    if !read::contains(&head, b"%PDF-1.") && !read::contains(&head, b"%PDF-2.") {
        return Err(DocumentError::WrongContent {
            expected: DocumentKind::Pdf,
            found: read::sniff(&head),
        });
    }
    let tail = read::tail(reader, size, 2048)?;
    if !read::contains(&tail, b"%%EOF") {
        return Err(DocumentError::PdfIncomplete);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;
    use trade_model::ErrorCode;

    #[test]
    fn kind_names_are_the_api_names() {
        for ext in DocumentKind::ALL_EXTENSIONS {
            let kind = DocumentKind::from_extension(ext).expect("a kind");
            assert_eq!(
                serde_json::to_value(kind).expect("serialises"),
                serde_json::Value::String(kind.as_str().to_owned())
            );
        }
    }

    #[test]
    fn extensions_map_to_kinds() {
        for ext in DocumentKind::ALL_EXTENSIONS {
            let kind =
                DocumentKind::from_extension(ext).expect("every listed extension has a kind");
            assert_eq!(
                DocumentKind::from_extension(&ext.to_uppercase()),
                Some(kind)
            );
        }
        assert_eq!(
            DocumentKind::from_extension("JPG"),
            Some(DocumentKind::Jpeg)
        );
        assert_eq!(
            DocumentKind::from_extension("jpeg"),
            Some(DocumentKind::Jpeg)
        );
        assert_eq!(
            DocumentKind::from_extension("Tif"),
            Some(DocumentKind::Tiff)
        );
        assert_eq!(
            DocumentKind::from_extension("tiff"),
            Some(DocumentKind::Tiff)
        );
        for ext in [
            "docm", "xlsm", "dotm", "exe", "", "pdf ", "html", "svg", "zip", "rtf",
        ] {
            assert_eq!(DocumentKind::from_extension(ext), None, "{ext:?}");
        }
        for kind in DocumentKind::ALL {
            assert_eq!(DocumentKind::from_extension(kind.extension()), Some(kind));
        }
    }

    #[test]
    fn media_types() {
        assert_eq!(DocumentKind::Pdf.media_type(), "application/pdf");
        assert_eq!(DocumentKind::Txt.media_type(), "text/plain; charset=utf-8");
        assert_eq!(
            DocumentKind::Docx.media_type(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        );
        let text = CheckedDocument {
            kind: DocumentKind::Txt,
            file_name: "a.txt".into(),
            size: 1,
            text_encoding: Some("GB18030".into()),
            image_size: None,
        };
        assert_eq!(text.content_type(), "text/plain; charset=GB18030");
    }

    #[test]
    fn serde_names_are_lowercase() {
        assert_eq!(
            serde_json::to_string(&DocumentKind::Xlsx).ok().as_deref(),
            Some("\"xlsx\"")
        );
        assert_eq!(
            serde_json::from_str::<DocumentKind>("\"jpeg\"").ok(),
            Some(DocumentKind::Jpeg)
        );
    }

    #[test]
    fn precheck_checks_name_then_type_then_size() {
        assert_eq!(
            precheck("../PI.pdf", 10).ok(),
            Some(("PI.pdf".to_owned(), DocumentKind::Pdf))
        );
        assert_eq!(
            precheck("CON.pdf", 0).map_err(|e| e.code()),
            Err(ErrorCode::DocumentBadName)
        );
        assert_eq!(
            precheck("x.exe", 0).map_err(|e| e.code()),
            Err(ErrorCode::DocumentUnsupportedType)
        );
        assert_eq!(
            precheck("x.pdf", 0).map_err(|e| e.code()),
            Err(ErrorCode::DocumentEmpty)
        );
        assert_eq!(
            precheck("x.pdf", MAX_DOCUMENT_BYTES).map(|(_, k)| k).ok(),
            Some(DocumentKind::Pdf)
        );
        assert_eq!(
            precheck("x.pdf", MAX_DOCUMENT_BYTES + 1).map_err(|e| e.code()),
            Err(ErrorCode::DocumentTooLarge)
        );
    }

    #[test]
    fn the_real_length_must_be_the_declared_size() {
        let pdf = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n".to_vec();
        let len = pdf.len() as u64;
        assert!(check_document("a.pdf", Cursor::new(pdf.clone()), len).is_ok());
        let err = check_document("a.pdf", Cursor::new(pdf.clone()), len - 1).unwrap_err();
        assert_eq!(err.code(), ErrorCode::DocumentIo);
        assert!(matches!(err, DocumentError::SizeMismatch { .. }));
        // Read from the start whatever the reader's position.
        let mut cursor = Cursor::new(pdf);
        cursor.set_position(9);
        assert!(check_document("a.pdf", cursor, len).is_ok());
    }

    #[test]
    fn reader_failures_are_io_errors() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk gone"))
            }
        }
        impl Seek for Failing {
            fn seek(&mut self, _: SeekFrom) -> std::io::Result<u64> {
                Ok(100)
            }
        }
        for name in ["a.pdf", "a.docx", "a.xls", "a.png", "a.txt"] {
            let err = check_document(name, Failing, 100).unwrap_err();
            assert_eq!(err.code(), ErrorCode::DocumentIo, "{name}: {err}");
        }
    }

    #[test]
    fn pdf_needs_header_and_end_marker() {
        let check = |bytes: &[u8]| {
            check_document("a.pdf", Cursor::new(bytes.to_vec()), bytes.len() as u64)
                .map_err(|e| e.code())
        };
        assert!(check(b"%PDF-1.4\n%%EOF").is_ok());
        assert!(check(b"%PDF-2.0\n%%EOF\r\n").is_ok());
        // Junk before the header is tolerated up to 1024 bytes, as readers do.
        let mut late = vec![b' '; 1000];
        late.extend_from_slice(b"%PDF-1.4\n%%EOF");
        assert!(check(&late).is_ok());
        let mut too_late = vec![b' '; 1024];
        too_late.extend_from_slice(b"%PDF-1.4\n%%EOF");
        assert_eq!(check(&too_late), Err(ErrorCode::DocumentContentMismatch));
        assert_eq!(
            check(b"%PDF-3.0\n%%EOF"),
            Err(ErrorCode::DocumentContentMismatch)
        );
        // The end marker must be in the last 2048 bytes.
        let mut early_eof = b"%PDF-1.4\n%%EOF\n".to_vec();
        early_eof.extend(std::iter::repeat_n(b' ', 2048));
        assert_eq!(check(&early_eof), Err(ErrorCode::DocumentContentMismatch));
        assert!(matches!(
            check_document(
                "a.pdf",
                Cursor::new(early_eof.clone()),
                early_eof.len() as u64
            ),
            Err(DocumentError::PdfIncomplete)
        ));
    }

    #[test]
    fn every_code_is_listed() {
        let errors = [
            DocumentError::EmptyName,
            DocumentError::NoExtension { name: "x".into() },
            DocumentError::Empty,
            DocumentError::TooLarge { size: 1 },
            DocumentError::PdfIncomplete,
            DocumentError::MacroContent {
                kind: DocumentKind::Docx,
                found: "x".into(),
            },
            DocumentError::ZipNoEndRecord,
            DocumentError::ZipTooManyEntries { count: 1 },
            DocumentError::ImageTooLarge {
                kind: DocumentKind::Png,
                width: 1,
                height: 1,
            },
            DocumentError::TextHasNul,
            DocumentError::Io(std::io::Error::other("x")),
        ];
        let mut codes: Vec<_> = errors.iter().map(DocumentError::code).collect();
        codes.sort_unstable();
        let mut all = ERROR_CODES.to_vec();
        all.sort_unstable();
        assert_eq!(codes, all);
    }
}
