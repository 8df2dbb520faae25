//! File names: sanitising an untrusted name, and its type by extension.

use crate::{DocumentError, DocumentKind, MAX_NAME_CHARS};

/// Extensions longer than this are not kept whole when a long name is cut: they cannot
/// be on the allow-list anyway.
const MAX_KEPT_EXTENSION_CHARS: usize = 16;

/// Characters removed from names (and masked in messages): control characters (C0, DEL,
/// C1), bidirectional controls, and invisible or zero-width characters that can hide
/// what a name really says.
pub(crate) fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'                  // soft hyphen
            | '\u{034F}'                // combining grapheme joiner
            | '\u{061C}'                // Arabic letter mark
            | '\u{115F}' | '\u{1160}'   // Hangul fillers
            | '\u{17B4}' | '\u{17B5}'   // Khmer inherent vowels
            | '\u{180B}'..='\u{180F}'   // Mongolian variation selectors, vowel separator
            | '\u{200B}'..='\u{200F}'   // zero width space/(non-)joiner, LRM, RLM
            | '\u{2028}' | '\u{2029}'   // line and paragraph separators
            | '\u{202A}'..='\u{202E}'   // LRE, RLE, PDF, LRO, RLO
            | '\u{2060}'..='\u{206F}'   // word joiner, invisible operators, LRI..PDI, deprecated
            | '\u{3164}'                // Hangul filler
            | '\u{FE00}'..='\u{FE0F}'   // variation selectors
            | '\u{FEFF}'                // zero width no-break space (BOM)
            | '\u{FFA0}'                // halfwidth Hangul filler
            | '\u{FFF9}'..='\u{FFFB}'   // interlinear annotation
            | '\u{1D173}'..='\u{1D17A}' // musical format controls
            | '\u{E0000}'..='\u{E0FFF}' // tags, variation selectors supplement
        )
}

/// Characters Windows does not allow in names; replaced by `_`.
fn is_windows_forbidden(c: char) -> bool {
    matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*')
}

/// Dots and white space are trimmed from both ends of a name (Windows drops trailing
/// ones silently; a leading dot hides a file on Unix).
fn is_trimmed(c: char) -> bool {
    c == '.' || c.is_whitespace()
}

/// Sanitise an untrusted file name. Returns the name to store, or an error when nothing
/// usable is left.
///
/// Keeps only the last path component (split on `/` and `\`); removes control characters
/// (C0, DEL, C1), bidi controls and zero-width/invisible characters; replaces
/// `<>:"|?*` with `_`; trims dots and white space at both ends; refuses a name that is
/// only an extension (`.pdf`) or a Windows device name (`CON`, `aux.txt`, `COM1.pdf`, ...)
/// with `document.bad_name`; cuts names longer than [`MAX_NAME_CHARS`] characters,
/// keeping the extension. The result is never empty, never contains a path separator or
/// a removed character, never starts or ends with a dot or a space.
///
/// It does not check the extension against the allow-list: [`precheck`](crate::precheck)
/// and [`check_document`](crate::check_document) do.
pub fn sanitize_file_name(raw: &str) -> Result<String, DocumentError> {
    // `rsplit` always yields at least one item, the last component.
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|&c| !is_invisible(c))
        .map(|c| if is_windows_forbidden(c) { '_' } else { c })
        .collect();

    let name = cleaned.trim_matches(is_trimmed);
    if name.is_empty() {
        return Err(DocumentError::EmptyName);
    }
    // ".pdf", "..pdf": only an extension, which trimming would turn into a bare "pdf".
    let leading = cleaned
        .trim_start_matches(char::is_whitespace)
        .trim_end_matches(is_trimmed);
    if leading.starts_with('.') && !name.contains('.') {
        return Err(DocumentError::OnlyExtension {
            name: format!(".{name}"),
        });
    }

    let name = truncate_keeping_extension(name);
    if is_reserved_device_name(&name) {
        return Err(DocumentError::ReservedName { name });
    }
    Ok(name)
}

/// Cuts `name` to [`MAX_NAME_CHARS`] characters, keeping a short extension.
fn truncate_keeping_extension(name: &str) -> String {
    if name.chars().count() <= MAX_NAME_CHARS {
        return name.to_owned();
    }
    let (stem, extension) = match name.rfind('.') {
        Some(dot) if name[dot..].chars().count() <= MAX_KEPT_EXTENSION_CHARS => name.split_at(dot),
        _ => (name, ""),
    };
    let keep = MAX_NAME_CHARS - extension.chars().count();
    let stem: String = stem.chars().take(keep).collect();
    // The stem starts with a character that is not trimmed, so it stays non-empty.
    format!("{}{extension}", stem.trim_end_matches(is_trimmed))
}

/// `CON`, `PRN`, `AUX`, `NUL`, `CONIN$`, `CONOUT$`, `COM0`-`COM9`, `LPT0`-`LPT9` (and
/// the superscript-digit forms Windows also reserves), any case, with or without an
/// extension ("con.txt", "Com1.tar.gz", "nul .pdf").
fn is_reserved_device_name(name: &str) -> bool {
    let base = name.split('.').next().unwrap_or_default().trim_end();
    let upper = base.to_uppercase();
    if matches!(
        upper.as_str(),
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$"
    ) {
        return true;
    }
    let Some(rest) = upper
        .strip_prefix("COM")
        .or_else(|| upper.strip_prefix("LPT"))
    else {
        return false;
    };
    let mut chars = rest.chars();
    matches!(
        (chars.next(), chars.next()),
        (Some('0'..='9' | '¹' | '²' | '³'), None)
    )
}

/// The extension of a sanitised name (the part after the last dot), if any.
pub(crate) fn extension(name: &str) -> Option<&str> {
    name.rfind('.').map(|dot| &name[dot + 1..])
}

/// The type of a sanitised name, from its extension.
pub(crate) fn kind_of(name: &str) -> Result<DocumentKind, DocumentError> {
    let Some(ext) = extension(name).filter(|e| !e.is_empty()) else {
        return Err(DocumentError::NoExtension {
            name: name.to_owned(),
        });
    };
    DocumentKind::from_extension(ext).ok_or_else(|| DocumentError::UnsupportedExtension {
        name: name.to_owned(),
        extension: ext.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use trade_model::ErrorCode;

    fn ok(raw: &str) -> String {
        match sanitize_file_name(raw) {
            Ok(name) => name,
            Err(e) => panic!("{raw:?} refused: {e}"),
        }
    }

    fn code(raw: &str) -> ErrorCode {
        match sanitize_file_name(raw) {
            Ok(name) => panic!("{raw:?} accepted as {name:?}"),
            Err(e) => e.code(),
        }
    }

    #[test]
    fn keeps_only_the_last_path_component() {
        assert_eq!(ok("../../x.pdf"), "x.pdf");
        assert_eq!(ok("..\\..\\x.pdf"), "x.pdf");
        assert_eq!(ok("a/b/c.docx"), "c.docx");
        assert_eq!(ok("C:\\Users\\li\\Desktop\\PI 0117.xlsx"), "PI 0117.xlsx");
        assert_eq!(ok("/etc/passwd.txt"), "passwd.txt");
        assert_eq!(
            ok("..%2f..%2fx.pdf"),
            "..%2f..%2fx.pdf".trim_start_matches('.')
        );
        assert_eq!(code("a/b/"), ErrorCode::DocumentBadName);
        assert_eq!(code("x.pdf/.."), ErrorCode::DocumentBadName);
    }

    #[test]
    fn removes_control_characters() {
        assert_eq!(ok("inv\u{0}oice\n.pdf"), "invoice.pdf");
        assert_eq!(ok("inv\u{7f}oice\u{1b}[31m.pdf"), "invoice[31m.pdf");
        assert_eq!(ok("\u{85}invoice\u{9b}.pdf"), "invoice.pdf");
        assert_eq!(ok("invoice.pdf\r\n"), "invoice.pdf");
    }

    #[test]
    fn removes_bidi_and_invisible_characters() {
        // The classic: shown as "invoiceexe.pdf" by a bidi-aware UI, really an .exe.
        let name = ok("invoice\u{202E}fdp.exe");
        assert_eq!(name, "invoicefdp.exe");
        assert_eq!(
            kind_of(&name).map_err(|e| e.code()),
            Err(ErrorCode::DocumentUnsupportedType)
        );
        for c in [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}', '\u{200B}', '\u{200C}',
            '\u{200D}', '\u{2060}', '\u{FEFF}',
        ] {
            assert_eq!(
                ok(&format!("in{c}voice.p{c}df")),
                "invoice.pdf",
                "U+{:04X}",
                c as u32
            );
        }
        // Hidden characters cannot smuggle a different extension past the check.
        assert_eq!(
            kind_of(&ok("x.p\u{200B}df\u{2066}.exe")).map_err(|e| e.code()),
            Err(ErrorCode::DocumentUnsupportedType)
        );
    }

    #[test]
    fn replaces_characters_windows_forbids() {
        assert_eq!(ok("PI<1>:\"2\"|?*.pdf"), "PI_1___2____.pdf");
        assert_eq!(ok("C:invoice.pdf"), "C_invoice.pdf");
        assert_eq!(
            ok("invoice.pdf:Zone.Identifier"),
            "invoice.pdf_Zone.Identifier"
        );
    }

    #[test]
    fn trims_dots_and_spaces() {
        assert_eq!(ok("  invoice.pdf. . "), "invoice.pdf");
        assert_eq!(ok("..invoice.pdf"), "invoice.pdf");
        assert_eq!(ok(".hidden.pdf"), "hidden.pdf");
        assert_eq!(ok("\u{3000}invoice.pdf\u{a0}"), "invoice.pdf");
    }

    #[test]
    fn refuses_names_with_nothing_left() {
        for raw in [
            "",
            " ",
            ".",
            "..",
            "...",
            ". .",
            "\u{202E}",
            "\u{0}\u{1}",
            "/",
            "\\",
            "a/..",
        ] {
            assert_eq!(code(raw), ErrorCode::DocumentBadName, "{raw:?}");
        }
        assert!(matches!(
            sanitize_file_name(""),
            Err(DocumentError::EmptyName)
        ));
    }

    #[test]
    fn refuses_a_bare_extension() {
        for raw in [".pdf", "..pdf", " .pdf", ".pdf.", "dir/.docx"] {
            assert!(
                matches!(
                    sanitize_file_name(raw),
                    Err(DocumentError::OnlyExtension { .. })
                ),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn refuses_windows_device_names() {
        for raw in [
            "CON",
            "con",
            "CON.txt",
            "con.pdf",
            "Con.tar.gz",
            "PRN.docx",
            "aux",
            "NUL.xlsx",
            "nul .pdf",
            "COM1",
            "com9.pdf",
            "LPT1.txt",
            "lpt5",
            "COM0.pdf",
            "COM¹.pdf",
            "conin$.txt",
            "dir/AUX.jpg",
            "CON\u{202E}.txt",
        ] {
            assert!(
                matches!(
                    sanitize_file_name(raw),
                    Err(DocumentError::ReservedName { .. })
                ),
                "{raw:?}"
            );
        }
        for raw in [
            "CONTRACT.pdf",
            "console.txt",
            "COM10.pdf",
            "LPT.pdf",
            "nullify.doc",
            "com1x.pdf",
            "auxiliary.txt",
        ] {
            assert_eq!(ok(raw), raw);
        }
    }

    #[test]
    fn cuts_long_names_keeping_the_extension() {
        let long = format!("{}.pdf", "a".repeat(300));
        let name = ok(&long);
        assert_eq!(name.chars().count(), MAX_NAME_CHARS);
        assert!(name.ends_with(".pdf"));
        assert_eq!(kind_of(&name).map_err(|e| e.code()), Ok(DocumentKind::Pdf));
        // Characters, not bytes: multi-byte characters are never split.
        let long = format!("{}.docx", "合同".repeat(200));
        let name = ok(&long);
        assert_eq!(name.chars().count(), MAX_NAME_CHARS);
        assert!(name.ends_with("同.docx") || name.ends_with("合.docx"));
        // Exactly at the limit: unchanged.
        let exact = format!("{}.txt", "b".repeat(MAX_NAME_CHARS - 4));
        assert_eq!(ok(&exact), exact);
        // A cut that ends in dots or spaces does not leave them before the extension.
        let long = format!("a{}.pdf", " .".repeat(200));
        assert_eq!(ok(&long), "a.pdf");
        // No usable extension: cut plainly.
        let long = "x".repeat(400);
        assert_eq!(ok(&long).chars().count(), MAX_NAME_CHARS);
    }

    #[test]
    fn keeps_ordinary_names() {
        for raw in [
            "invoice.pdf",
            "PI 2024-0117 (final).xlsx",
            "合同-宁波.docx",
            "Müller Rechnung.doc",
            "scan.TIF",
        ] {
            assert_eq!(ok(raw), raw);
        }
    }

    #[test]
    fn the_type_comes_from_the_last_extension() {
        assert_eq!(
            kind_of("contract.pdf.exe").map_err(|e| e.code()),
            Err(ErrorCode::DocumentUnsupportedType)
        );
        assert_eq!(
            kind_of("report.docm").map_err(|e| e.code()),
            Err(ErrorCode::DocumentUnsupportedType)
        );
        assert_eq!(
            kind_of("book.xlsm").map_err(|e| e.code()),
            Err(ErrorCode::DocumentUnsupportedType)
        );
        assert!(matches!(
            kind_of("invoice"),
            Err(DocumentError::NoExtension { .. })
        ));
        assert!(matches!(
            kind_of("invoice."),
            Err(DocumentError::NoExtension { .. })
        ));
        assert_eq!(kind_of("archive.tar.pdf").ok(), Some(DocumentKind::Pdf));
        assert_eq!(kind_of("SCAN.JPG").ok(), Some(DocumentKind::Jpeg));
    }
}
