//! Why a document is refused: one variant per reason, each with a stable machine code
//! ([`DocumentError::code`]) and a message for the person who tried to upload the file.

use crate::{
    DocumentKind, MAX_CONTENT_TYPES_BYTES, MAX_DOCUMENT_BYTES, MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE,
    MAX_ZIP_ENTRIES, MAX_ZIP_ENTRY_RATIO, MAX_ZIP_TOTAL_UNCOMPRESSED,
};
use trade_model::ErrorCode;

/// The accepted types, as shown to users in messages.
const ACCEPTED: &str = "XLSX, XLS, DOC, DOCX, JPG, JPEG, PNG, GIF, TIF, TIFF, PDF, TXT";

/// A document (or its name) that is refused, and why.
///
/// Several variants share a [`code`](DocumentError::code); the code is what programs
/// match on, the variant and its message are for people and logs. Names of parts inside
/// archives come from the file itself: they are made printable (see `printable`) before
/// they are put in a variant.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    // ---- document.bad_name ----
    /// Nothing usable is left of the name once paths, control, bidi and invisible
    /// characters and the dots and spaces at its ends are removed.
    #[error(
        "The file name is empty, or nothing usable is left of it once unsafe characters are \
         removed. Rename the file (for example to \"invoice.pdf\") and try again."
    )]
    EmptyName,
    /// The name is only an extension, like `.pdf`.
    #[error(
        "The file name \"{name}\" has nothing before its extension. Rename the file (for \
         example to \"invoice{name}\") and try again."
    )]
    OnlyExtension { name: String },
    /// A name Windows reserves for a device (`CON`, `NUL`, `COM1`, ...), with or without
    /// an extension.
    #[error(
        "\"{name}\" cannot be used as a file name: Windows reserves it for a device. Rename \
         the file and try again."
    )]
    ReservedName { name: String },

    // ---- document.unsupported_type ----
    /// The (sanitised) name has no extension.
    #[error(
        "The file \"{name}\" has no extension, so its type is unknown. Accepted types: {ACCEPTED}."
    )]
    NoExtension { name: String },
    /// The extension (the part after the last dot) is not on the allow-list.
    #[error(
        "Files of type .{extension} are not accepted (\"{name}\"). Accepted types: {ACCEPTED}."
    )]
    UnsupportedExtension { name: String, extension: String },

    // ---- document.empty ----
    #[error("The file is empty (0 bytes). Check that you picked the right file.")]
    Empty,

    // ---- document.too_large ----
    #[error(
        "The file is {size} bytes; the limit is 20 MiB ({MAX_DOCUMENT_BYTES} bytes). Reduce it \
         (for example scan at a lower resolution, or split it) and try again."
    )]
    TooLarge { size: u64 },

    // ---- document.content_mismatch ----
    /// The first bytes are not those of the type the extension names.
    #[error(
        "The file is named as {} but {}. It may have been renamed: save it in the right \
         format (or give it the right extension) and try again.",
        expected.description(),
        found.map_or_else(|| format!("its content is not {}", expected.description()), |f| format!("it is {f}"))
    )]
    WrongContent {
        expected: DocumentKind,
        /// What the content looks like, when recognisable ("a PNG image").
        found: Option<&'static str>,
    },
    /// A container of the right family lacks the part that makes it this type
    /// (`xl/workbook.xml` in an .xlsx, the `WordDocument` stream in a .doc, ...).
    #[error(
        "The file is named as {} but has no {part}{}. Save it in the right format and try again.",
        expected.description(),
        looks_like.map_or_else(String::new, |l| format!("; it looks like {l}"))
    )]
    MissingPart {
        expected: DocumentKind,
        part: &'static str,
        looks_like: Option<&'static str>,
    },
    /// A PDF without its end-of-file marker: cut off, or not a complete PDF.
    #[error(
        "The PDF file is incomplete (it has no end-of-file marker); it may have been cut off \
         while downloading or saving. Save or download it again and retry."
    )]
    PdfIncomplete,
    /// An image whose header cannot be read, or whose image data is missing, cut short or
    /// inconsistent with its header (walked to its end: PNG chunks and inflated size,
    /// JPEG scans to EOI, GIF blocks to the trailer, TIFF strips and tiles).
    #[error("The {} is damaged: {reason}. Save or download it again and retry.", kind.label())]
    ImageMalformed {
        kind: DocumentKind,
        reason: &'static str,
    },
    /// An image that declares a width or height of zero.
    #[error("The {} is damaged: it declares a size of {width} x {height} pixels.", kind.label())]
    ImageZeroDimension {
        kind: DocumentKind,
        width: u32,
        height: u32,
    },

    // ---- document.macro_content ----
    #[error(
        "The file contains macros ({found}). Macro-enabled documents are not accepted: save a \
         copy without macros (as {}) and upload that.",
        kind.description()
    )]
    MacroContent { kind: DocumentKind, found: String },

    // ---- document.archive_bomb ----
    #[error(
        "The document has {count} parts; at most {MAX_ZIP_ENTRIES} are accepted. It is not a \
         normal office document."
    )]
    ZipTooManyEntries { count: u64 },
    #[error(
        "The document would unpack to {total} bytes; at most {MAX_ZIP_TOTAL_UNCOMPRESSED} are \
         accepted. It is not a normal office document."
    )]
    ZipTotalTooLarge { total: u64 },
    #[error(
        "The part \"{entry}\" of the document is compressed more than {MAX_ZIP_ENTRY_RATIO}:1 \
         ({compressed} bytes unpacking to {uncompressed}); such files are used to exhaust \
         servers and are not accepted."
    )]
    ZipEntryRatio {
        entry: String,
        compressed: u64,
        uncompressed: u64,
    },
    #[error(
        "The part \"{entry}\" of the document declares {size} bytes; at most \
         {MAX_CONTENT_TYPES_BYTES} are accepted for it."
    )]
    ZipPartTooLarge { entry: String, size: u64 },

    // ---- document.archive_malformed ----
    #[error(
        "The document is damaged: its ZIP end record is missing (the file may be cut off). \
         Save it again and retry."
    )]
    ZipNoEndRecord,
    #[error("The document is a kind of ZIP archive that is not accepted: {reason}.")]
    ZipUnsupportedLayout { reason: &'static str },
    #[error("The document is damaged: {reason}. Save it again and retry.")]
    ZipDirectoryInvalid { reason: &'static str },
    #[error("The document is damaged: the part \"{entry}\" points outside the file.")]
    ZipEntryOutsideFile { entry: String },
    #[error(
        "The document is damaged or hostile: the parts \"{first}\" and \"{second}\" overlap \
         (a technique used by ZIP bombs)."
    )]
    ZipEntriesOverlap { first: String, second: String },
    #[error(
        "The document is damaged: the part \"{entry}\" is described differently in two places \
         of the ZIP structure."
    )]
    ZipLocalHeaderMismatch { entry: String },
    #[error(
        "The document is password-protected or encrypted (part \"{entry}\"), so it cannot be \
         checked. Remove the password and upload it again."
    )]
    ZipEncryptedEntry { entry: String },
    #[error(
        "The document uses a compression method ({method}) that office documents never use (part \"{entry}\")."
    )]
    ZipUnsupportedCompression { entry: String, method: u16 },
    #[error("The document is damaged or hostile: the part \"{entry}\" appears more than once.")]
    ZipDuplicateEntry { entry: String },
    /// A part whose data does not unpack, or unpacks to another size or CRC-32 than the
    /// archive declares for it.
    #[error("The document is damaged: the part \"{entry}\" {reason}. Save it again and retry.")]
    ZipEntryCorrupt {
        entry: String,
        /// What is wrong, completing "the part X ...": "does not match its checksum
        /// (CRC-32) in the archive".
        reason: &'static str,
    },
    #[error("The {} is damaged: {detail}. Save it again and retry.", kind.label())]
    OleMalformed { kind: DocumentKind, detail: String },
    #[error(
        "The {} is password-protected, so it cannot be checked. Remove the password and \
         upload it again.",
        kind.label()
    )]
    OleEncrypted { kind: DocumentKind },

    // ---- document.image_too_large ----
    #[error(
        "The {} is {width} x {height} pixels; at most {MAX_IMAGE_SIDE} pixels a side and \
         {MAX_IMAGE_PIXELS} pixels in all are accepted. Scale it down and try again.",
        kind.label()
    )]
    ImageTooLarge {
        kind: DocumentKind,
        width: u32,
        height: u32,
    },

    // ---- document.not_text ----
    #[error(
        "The .txt file contains NUL bytes, so it is not text (it may be a renamed binary file)."
    )]
    TextHasNul,
    #[error(
        "The .txt file starts with a UTF-8 marker but is not valid UTF-8. Save it again as UTF-8."
    )]
    TextInvalidUtf8,
    #[error(
        "The .txt file starts with a {encoding} marker but is not valid {encoding}. Save it again as UTF-8."
    )]
    TextInvalidUtf16 { encoding: &'static str },
    #[error(
        "The .txt file is neither UTF-8 nor UTF-16 and does not read as {encoding} either; it \
         may be a binary file. Save it as UTF-8 text and try again."
    )]
    TextUndecodable { encoding: &'static str },
    #[error(
        "The .txt file ({encoding}) has {control} control characters in {total}; it does not \
         look like text (it may be a binary file)."
    )]
    TextControlChars {
        encoding: &'static str,
        control: u64,
        total: u64,
    },

    // ---- document.io ----
    /// The reader's length is not the size the caller gave (the file changed while it was
    /// being checked, or the caller passed the wrong size).
    #[error(
        "The file changed while it was being checked ({declared} bytes expected, {actual} \
         found). Try again."
    )]
    SizeMismatch { declared: u64, actual: u64 },
    #[error("The file could not be read: {0}")]
    Io(#[source] std::io::Error),
}

impl DocumentError {
    /// The stable, machine-readable code of this error (`document.*`). Shared with the
    /// server's API errors; the client compares its pre-check result with it.
    pub fn code(&self) -> ErrorCode {
        use DocumentError as E;
        match self {
            E::EmptyName | E::OnlyExtension { .. } | E::ReservedName { .. } => {
                ErrorCode::DocumentBadName
            }
            E::NoExtension { .. } | E::UnsupportedExtension { .. } => {
                ErrorCode::DocumentUnsupportedType
            }
            E::Empty => ErrorCode::DocumentEmpty,
            E::TooLarge { .. } => ErrorCode::DocumentTooLarge,
            E::WrongContent { .. }
            | E::MissingPart { .. }
            | E::PdfIncomplete
            | E::ImageMalformed { .. }
            | E::ImageZeroDimension { .. } => ErrorCode::DocumentContentMismatch,
            E::MacroContent { .. } => ErrorCode::DocumentMacroContent,
            E::ZipTooManyEntries { .. }
            | E::ZipTotalTooLarge { .. }
            | E::ZipEntryRatio { .. }
            | E::ZipPartTooLarge { .. } => ErrorCode::DocumentArchiveBomb,
            E::ZipNoEndRecord
            | E::ZipUnsupportedLayout { .. }
            | E::ZipDirectoryInvalid { .. }
            | E::ZipEntryOutsideFile { .. }
            | E::ZipEntriesOverlap { .. }
            | E::ZipLocalHeaderMismatch { .. }
            | E::ZipEncryptedEntry { .. }
            | E::ZipUnsupportedCompression { .. }
            | E::ZipDuplicateEntry { .. }
            | E::ZipEntryCorrupt { .. }
            | E::OleMalformed { .. }
            | E::OleEncrypted { .. } => ErrorCode::DocumentArchiveMalformed,
            E::ImageTooLarge { .. } => ErrorCode::DocumentImageTooLarge,
            E::TextHasNul
            | E::TextInvalidUtf8
            | E::TextInvalidUtf16 { .. }
            | E::TextUndecodable { .. }
            | E::TextControlChars { .. } => ErrorCode::DocumentNotText,
            E::SizeMismatch { .. } | E::Io(_) => ErrorCode::DocumentIo,
        }
    }
}

/// Every code [`DocumentError::code`] can return.
pub const ERROR_CODES: &[ErrorCode] = &[
    ErrorCode::DocumentBadName,
    ErrorCode::DocumentUnsupportedType,
    ErrorCode::DocumentEmpty,
    ErrorCode::DocumentTooLarge,
    ErrorCode::DocumentContentMismatch,
    ErrorCode::DocumentMacroContent,
    ErrorCode::DocumentArchiveBomb,
    ErrorCode::DocumentArchiveMalformed,
    ErrorCode::DocumentImageTooLarge,
    ErrorCode::DocumentNotText,
    ErrorCode::DocumentIo,
];

/// A name read from inside a file, made safe to show and log: control, bidi and invisible
/// characters become `?`, and it is cut to 120 characters.
pub(crate) fn printable(raw: &str) -> String {
    const MAX: usize = 120;
    let mut out: String = raw
        .chars()
        .take(MAX)
        .map(|c| if crate::name::is_invisible(c) { '?' } else { c })
        .collect();
    if raw.chars().count() > MAX {
        out.push('…');
    }
    out
}
