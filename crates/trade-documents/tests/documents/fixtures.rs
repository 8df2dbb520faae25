#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The committed fixtures (made by tests/fixtures/make-fixtures.sh): every good file
//! passes with the right kind, encoding and dimensions; every bad file fails with exactly
//! the code bad/EXPECTED.txt gives it (the trade server's upload tests reuse that
//! manifest). Plus the size cap on a sparse temp file, and properties of
//! `sanitize_file_name`.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use trade_documents::{
    CheckedDocument, DocumentError, DocumentKind, ERROR_CODES, MAX_DOCUMENT_BYTES, MAX_NAME_CHARS,
    check_document, precheck, sanitize_file_name,
};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Checks a fixture file as an upload would: its own name, its reader, its size.
fn check_file(path: &Path) -> Result<CheckedDocument, DocumentError> {
    let name = path.file_name().unwrap().to_str().unwrap();
    let file = File::open(path).unwrap();
    let size = file.metadata().unwrap().len();
    check_document(name, file, size)
}

fn listing(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect()
}

/// A good file, and what the check must find in it.
struct Good {
    name: &'static str,
    kind: DocumentKind,
    encoding: Option<&'static str>,
    dimensions: Option<(u32, u32)>,
}

const fn good(
    name: &'static str,
    kind: DocumentKind,
    encoding: Option<&'static str>,
    dimensions: Option<(u32, u32)>,
) -> Good {
    Good {
        name,
        kind,
        encoding,
        dimensions,
    }
}

/// Every good file.
const GOOD: &[Good] = &[
    good("invoice.docx", DocumentKind::Docx, None, None),
    good("invoice.xlsx", DocumentKind::Xlsx, None, None),
    good("invoice.doc", DocumentKind::Doc, None, None),
    good("invoice.xls", DocumentKind::Xls, None, None),
    good("invoice.pdf", DocumentKind::Pdf, None, None),
    good("invoice-scan.png", DocumentKind::Png, None, Some((64, 48))),
    good("stamp.jpg", DocumentKind::Jpeg, None, Some((80, 60))),
    good("photo.jpeg", DocumentKind::Jpeg, None, Some((96, 72))),
    good("logo.gif", DocumentKind::Gif, None, Some((32, 32))),
    good("scan.tif", DocumentKind::Tiff, None, Some((120, 90))),
    good("scan-msb.tif", DocumentKind::Tiff, None, Some((40, 30))),
    good("scan-adam7.png", DocumentKind::Png, None, Some((50, 37))),
    good(
        "stamp-animated.gif",
        DocumentKind::Gif,
        None,
        Some((24, 16)),
    ),
    good(
        "scan-uncompressed.tif",
        DocumentKind::Tiff,
        None,
        Some((60, 45)),
    ),
    good("invoice-utf8.txt", DocumentKind::Txt, Some("UTF-8"), None),
    good(
        "invoice-utf8-bom.txt",
        DocumentKind::Txt,
        Some("UTF-8"),
        None,
    ),
    good(
        "invoice-utf16le.txt",
        DocumentKind::Txt,
        Some("UTF-16LE"),
        None,
    ),
    good(
        "invoice-gb18030.txt",
        DocumentKind::Txt,
        Some("GB18030"),
        None,
    ),
    good(
        "invoice-windows1252.txt",
        DocumentKind::Txt,
        Some("windows-1252"),
        None,
    ),
];

#[test]
fn every_good_fixture_passes() {
    let dir = fixtures().join("good");
    let expected: BTreeSet<String> = GOOD.iter().map(|g| g.name.to_owned()).collect();
    assert_eq!(
        listing(&dir),
        expected,
        "good/ and the GOOD table must list the same files"
    );
    for &Good {
        name,
        kind,
        encoding,
        dimensions,
    } in GOOD
    {
        let checked = match check_file(&dir.join(name)) {
            Ok(checked) => checked,
            Err(e) => panic!("good/{name} refused ({}): {e}", e.code()),
        };
        assert_eq!(checked.kind, kind, "{name}");
        assert_eq!(checked.file_name, name);
        assert_eq!(checked.size, fs::metadata(dir.join(name)).unwrap().len());
        assert_eq!(checked.text_encoding.as_deref(), encoding, "{name}");
        assert_eq!(checked.image_size, dimensions, "{name}");
    }
}

#[test]
fn every_allowed_extension_has_a_good_fixture() {
    let kinds: BTreeSet<&str> = GOOD
        .iter()
        .map(|g| g.name.rsplit('.').next().unwrap())
        .collect();
    for ext in DocumentKind::ALL_EXTENSIONS {
        // .tiff is the same kind as .tif; the others each have a real file.
        if *ext != "tiff" {
            assert!(kinds.contains(ext), "no good fixture for .{ext}");
        }
    }
}

/// bad/EXPECTED.txt: `file-name<TAB>expected.error.code`, one line per bad file.
fn expected_bad() -> Vec<(String, String)> {
    let manifest = fs::read_to_string(fixtures().join("bad/EXPECTED.txt")).unwrap();
    manifest
        .lines()
        .map(|line| {
            let (name, code) = line
                .split_once('\t')
                .unwrap_or_else(|| panic!("no tab in {line:?}"));
            (name.to_owned(), code.to_owned())
        })
        .collect()
}

#[test]
fn every_bad_fixture_fails_with_its_code() {
    let dir = fixtures().join("bad");
    let expected = expected_bad();
    let mut listed: BTreeSet<String> = expected.iter().map(|e| e.0.clone()).collect();
    assert_eq!(
        listed.len(),
        expected.len(),
        "a file is listed twice in EXPECTED.txt"
    );
    listed.insert("EXPECTED.txt".to_owned());
    assert_eq!(
        listing(&dir),
        listed,
        "bad/ and EXPECTED.txt must list the same files"
    );
    assert!(expected.len() >= 18);
    let mut failures = Vec::new();
    for (name, code) in &expected {
        assert!(
            ERROR_CODES.iter().any(|c| c.as_str() == code),
            "{name}: unknown code {code}"
        );
        match check_file(&dir.join(name)) {
            Ok(checked) => failures.push(format!(
                "bad/{name}: accepted as {checked:?}, expected {code}"
            )),
            Err(e) if e.code().as_str() != code => {
                failures.push(format!("bad/{name}: {} ({e}), expected {code}", e.code()))
            }
            Err(e) => {
                // Messages are for people: not empty, no raw control characters.
                let message = e.to_string();
                assert!(message.len() > 20, "{name}: {message}");
                assert!(
                    !message.chars().any(char::is_control),
                    "{name}: {message:?}"
                );
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Which rule each bad file must trip (the start of the error's `Debug` form: the variant,
/// and for variants that give a reason, the reason): a bad file that fails with the right
/// code for another reason does not test its rule.
const BAD_REASONS: &[(&str, &str)] = &[
    ("binary.txt", "TextHasNul"),
    ("contract.pdf.exe", "UnsupportedExtension"),
    ("control-chars.txt", "TextControlChars"),
    ("doc-named.xls", "MissingPart"),
    ("doc-with-macros.doc", "MacroContent"),
    ("docm-renamed.docx", "MacroContent"),
    (
        "docx-entry-crc-mismatch.docx",
        r#"ZipEntryCorrupt { entry: "word/document.xml", reason: "does not match its checksum"#,
    ),
    (
        "docx-entry-deflate-cut.docx",
        r#"ZipEntryCorrupt { entry: "word/styles.xml", reason: "is cut short"#,
    ),
    ("docx-named.doc", "WrongContent"),
    ("docx-named.xlsx", "MissingPart"),
    ("elf-named.txt", "TextHasNul"),
    ("empty.pdf", "Empty"),
    ("encrypted-entry.docx", "ZipEncryptedEntry"),
    ("entry-outside-file.docx", "ZipEntryOutsideFile"),
    ("eocd-missing.docx", "ZipNoEndRecord"),
    ("exe-named.pdf", "WrongContent"),
    (
        "gif-bad-lzw-code-size.gif",
        r#"ImageMalformed { kind: Gif, reason: "an image has an invalid LZW minimum code size"#,
    ),
    (
        "gif-cut-image.gif",
        r#"ImageMalformed { kind: Gif, reason: "it is cut short"#,
    ),
    (
        "gif-no-image.gif",
        r#"ImageMalformed { kind: Gif, reason: "it has no image"#,
    ),
    (
        "gif-no-trailer.gif",
        r#"ImageMalformed { kind: Gif, reason: "it is cut short"#,
    ),
    ("huge-area.png", "ImageTooLarge"),
    ("huge-dimensions.gif", "ImageTooLarge"),
    ("huge-dimensions.png", "ImageTooLarge"),
    ("huge-dimensions.tif", "ImageTooLarge"),
    ("huge-side.jpg", "ImageTooLarge"),
    ("invalid-utf8-bom.txt", "TextInvalidUtf8"),
    ("invoice.docm", "UnsupportedExtension"),
    (
        "jpeg-cut-in-scan.jpg",
        r#"ImageMalformed { kind: Jpeg, reason: "it is cut short"#,
    ),
    (
        "jpeg-empty-scan.jpg",
        r#"ImageMalformed { kind: Jpeg, reason: "a scan has no image data"#,
    ),
    ("jpeg-named.png", "WrongContent"),
    (
        "jpeg-no-eoi.jpg",
        r#"ImageMalformed { kind: Jpeg, reason: "it is cut short"#,
    ),
    (
        "jpeg-no-scan.jpg",
        r#"ImageMalformed { kind: Jpeg, reason: "it has no image data (no scan)"#,
    ),
    (
        "jpeg-progressive-cut.jpg",
        r#"ImageMalformed { kind: Jpeg, reason: "it is cut short"#,
    ),
    ("local-header-mismatch.docx", "ZipLocalHeaderMismatch"),
    ("macro-content-type.xlsx", "MacroContent"),
    ("no-extension", "NoExtension"),
    ("not-a-zip.xlsx", "WrongContent"),
    ("ole-truncated.xls", "OleMalformed"),
    ("overlapping-entries.docx", "ZipEntriesOverlap"),
    ("password-protected.doc", "OleEncrypted"),
    ("password-protected.xls", "OleEncrypted"),
    (
        "png-bad-colour-depth.png",
        r#"ImageMalformed { kind: Png, reason: "its image header declares an invalid colour type"#,
    ),
    (
        "png-bad-crc.png",
        r#"ImageMalformed { kind: Png, reason: "a chunk's checksum (CRC) is wrong"#,
    ),
    (
        "png-cut-in-idat.png",
        r#"ImageMalformed { kind: Png, reason: "it is cut short (a chunk runs past"#,
    ),
    (
        "png-idat-not-consecutive.png",
        r#"ImageMalformed { kind: Png, reason: "its image data chunks (IDAT) are not consecutive"#,
    ),
    (
        "png-idat-stream-cut.png",
        r#"ImageMalformed { kind: Png, reason: "its image data is cut short"#,
    ),
    (
        "png-idat-too-long.png",
        r#"ImageMalformed { kind: Png, reason: "its image data is longer than"#,
    ),
    (
        "png-idat-truncated.png",
        r#"ImageMalformed { kind: Png, reason: "its image data is shorter than"#,
    ),
    ("png-named.docx", "WrongContent"),
    (
        "png-no-idat.png",
        r#"ImageMalformed { kind: Png, reason: "it has no image data (IDAT)"#,
    ),
    (
        "png-no-iend.png",
        r#"ImageMalformed { kind: Png, reason: "it is cut short (it does not reach its end chunk"#,
    ),
    (
        "stored-entry-crc-mismatch.docx",
        r#"ZipEntryCorrupt { entry: "word/document.xml", reason: "does not match its checksum"#,
    ),
    (
        "tiff-no-strip-offsets.tif",
        r#"ImageMalformed { kind: Tiff, reason: "a page has no image data"#,
    ),
    (
        "tiff-strip-count-past-end.tif",
        r#"ImageMalformed { kind: Tiff, reason: "a strip or tile of its image data lies outside the file"#,
    ),
    (
        "tiff-strip-outside-file.tif",
        r#"ImageMalformed { kind: Tiff, reason: "a strip or tile of its image data lies outside the file"#,
    ),
    (
        "tiff-too-few-strips.tif",
        r#"ImageMalformed { kind: Tiff, reason: "a page has fewer strips or tiles"#,
    ),
    (
        "tiff-uncompressed-strip-short.tif",
        r#"ImageMalformed { kind: Tiff, reason: "its image data is shorter than its size needs"#,
    ),
    ("truncated.pdf", "PdfIncomplete"),
    ("utf16le-no-bom.txt", "TextHasNul"),
    ("vba-project-only.docx", "MacroContent"),
    ("xls-named.doc", "MissingPart"),
    ("xls-with-vba.xls", "MacroContent"),
    ("xls-with-xlm-macro-sheet.xls", "MacroContent"),
    (
        "xlsx-entry-size-mismatch.xlsx",
        r#"ZipEntryCorrupt { entry: "xl/worksheets/sheet1.xml", reason: "unpacks to a different size"#,
    ),
    ("xlsx-named.docx", "MissingPart"),
    ("zero-dimension.jpg", "ImageZeroDimension"),
    ("zip-bomb.xlsx", "ZipEntryRatio"),
];

#[test]
fn every_bad_fixture_trips_its_own_rule() {
    let dir = fixtures().join("bad");
    let reasons: BTreeSet<&str> = BAD_REASONS.iter().map(|r| r.0).collect();
    let listed: BTreeSet<String> = expected_bad().into_iter().map(|e| e.0).collect();
    assert_eq!(
        reasons
            .iter()
            .map(|r| r.to_string())
            .collect::<BTreeSet<_>>(),
        listed
    );
    for (name, variant) in BAD_REASONS {
        let err = check_file(&dir.join(name)).unwrap_err();
        let debug = format!("{err:?}");
        assert!(
            debug.starts_with(variant),
            "bad/{name}: {debug}, expected {variant}"
        );
    }
    // The macro fixtures each trip a different macro rule.
    let found = |name: &str| match check_file(&dir.join(name)) {
        Err(DocumentError::MacroContent { found, .. }) => found,
        other => panic!("{name}: {other:?}"),
    };
    assert!(found("vba-project-only.docx").contains("vbaProject.bin"));
    assert!(found("macro-content-type.xlsx").contains("macro-enabled"));
    assert!(found("xls-with-vba.xls").contains("_VBA_PROJECT_CUR"));
    assert!(found("doc-with-macros.doc").contains("Macros"));
    assert!(found("xls-with-xlm-macro-sheet.xls").contains("macro sheet"));
}

#[test]
fn every_code_but_io_and_bad_name_has_a_bad_fixture() {
    let codes: BTreeSet<String> = expected_bad().into_iter().map(|e| e.1).collect();
    for code in ERROR_CODES {
        // bad_name: reserved names (CON, NUL...) and control characters cannot be file
        // names in a repository checked out on Windows; they are covered by unit tests.
        if !["document.io", "document.bad_name", "document.too_large"].contains(&code.as_str()) {
            assert!(codes.contains(code.as_str()), "no bad fixture for {code}");
        }
    }
}

/// The client's pre-check gives the same answer as the full check for everything it can
/// see (name, type, size).
#[test]
fn precheck_agrees_with_the_full_check() {
    for (name, code) in expected_bad() {
        let size = fs::metadata(fixtures().join("bad").join(&name))
            .unwrap()
            .len();
        let pre = precheck(&name, size);
        if [
            "document.unsupported_type",
            "document.empty",
            "document.bad_name",
        ]
        .contains(&code.as_str())
        {
            assert_eq!(
                pre.map_err(|e| e.code().as_str()).err(),
                Some(code.as_str()),
                "{name}"
            );
        } else {
            assert!(
                pre.is_ok(),
                "{name}: precheck refused what only the content check should"
            );
        }
    }
}

#[test]
fn one_byte_over_the_cap_is_too_large() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scan.pdf");
    let file = File::create(&path).unwrap();
    // Sparse: no 20 MiB written to disk.
    file.set_len(MAX_DOCUMENT_BYTES + 1).unwrap();
    let err = check_file(&path).unwrap_err();
    assert_eq!(err.code(), "document.too_large", "{err}");
    assert!(matches!(err, DocumentError::TooLarge { size } if size == MAX_DOCUMENT_BYTES + 1));
    assert_eq!(
        precheck("scan.pdf", MAX_DOCUMENT_BYTES + 1)
            .unwrap_err()
            .code(),
        "document.too_large"
    );
    // Exactly at the cap the size is fine (and the content check runs: zeros are no PDF).
    file.set_len(MAX_DOCUMENT_BYTES).unwrap();
    let err = check_file(&path).unwrap_err();
    assert_eq!(err.code(), "document.content_mismatch", "{err}");
}

#[test]
fn a_good_file_under_a_dangerous_name_gets_a_safe_name() {
    let good = fixtures().join("good/invoice.pdf");
    let size = fs::metadata(&good).unwrap().len();
    let checked = check_document(
        "..\\..\\Windows\\System32\\in\u{202E}voice.pdf",
        File::open(&good).unwrap(),
        size,
    )
    .unwrap();
    assert_eq!(checked.file_name, "invoice.pdf");
    // The real extension decides, whatever the name looks like.
    let err =
        check_document("invoice\u{202E}fdp.exe", File::open(&good).unwrap(), size).unwrap_err();
    assert_eq!(err.code(), "document.unsupported_type");
    let err = check_document("CON.pdf", File::open(&good).unwrap(), size).unwrap_err();
    assert_eq!(err.code(), "document.bad_name");
    // A good file named as another type: the extension decides what it must be.
    let err = check_document("invoice.docx", File::open(&good).unwrap(), size).unwrap_err();
    assert_eq!(err.code(), "document.content_mismatch");
}

fn is_bidi_or_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}'..='\u{200F}' | '\u{061C}' | '\u{FEFF}' | '\u{2060}'
    )
}

/// Names built from the characters that matter here, plus anything at all.
fn raw_names() -> impl Strategy<Value = String> {
    let special = prop_oneof![
        Just('/'),
        Just('\\'),
        Just('.'),
        Just(' '),
        Just(':'),
        Just('*'),
        Just('\0'),
        Just('\n'),
        Just('\u{7F}'),
        Just('\u{85}'),
        Just('\u{202E}'),
        Just('\u{2066}'),
        Just('\u{200B}'),
        Just('\u{FEFF}'),
        Just('\u{061C}'),
    ];
    let ordinary = prop_oneof![
        prop::char::range('a', 'z'),
        Just('合'),
        Just('é'),
        Just('😀'),
        any::<char>(),
    ];
    let piece = prop_oneof![
        3 => ordinary,
        2 => special,
    ];
    let suffix = prop_oneof![
        Just(""),
        Just(".pdf"),
        Just(".docx"),
        Just(".txt"),
        Just(".exe")
    ];
    (prop::collection::vec(piece, 0..400), suffix)
        .prop_map(|(chars, suffix)| chars.into_iter().collect::<String>() + suffix)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn sanitized_names_are_always_safe(raw in raw_names()) {
        if let Ok(name) = sanitize_file_name(&raw) {
            prop_assert!(!name.is_empty());
            prop_assert!(!name.contains('/') && !name.contains('\\'), "{:?}", name);
            prop_assert!(!name.chars().any(char::is_control), "{:?}", name);
            prop_assert!(!name.chars().any(is_bidi_or_invisible), "{:?}", name);
            prop_assert!(!name.chars().any(|c| "<>:\"|?*".contains(c)), "{:?}", name);
            prop_assert!(name.chars().count() <= MAX_NAME_CHARS, "{} chars", name.chars().count());
            prop_assert!(!name.starts_with('.') && !name.starts_with(' '), "{:?}", name);
            prop_assert!(!name.ends_with('.') && !name.ends_with(' '), "{:?}", name);
            // Idempotent: the stored name sanitises to itself.
            prop_assert_eq!(sanitize_file_name(&name).ok(), Some(name.clone()));
        } else {
            prop_assert_eq!(sanitize_file_name(&raw).unwrap_err().code(), "document.bad_name");
        }
    }

    #[test]
    fn cutting_keeps_an_allowed_extension(stem in "[a-zA-Z0-9 _合-]{1,600}", ext in prop::sample::select(DocumentKind::ALL_EXTENSIONS)) {
        let raw = format!("{stem}.{ext}");
        if let Ok(name) = sanitize_file_name(&raw) {
            prop_assert!(name.chars().count() <= MAX_NAME_CHARS);
            let (kept, kind) = precheck(&raw, 1).unwrap();
            prop_assert_eq!(&kept, &name);
            prop_assert_eq!(Some(kind), DocumentKind::from_extension(ext));
        }
    }
}
