//! TXT: text in UTF-8 (with or without BOM), UTF-16 with a BOM, or a legacy encoding
//! detected with `chardetng` (GB18030, Shift_JIS, windows-1252, ...) that decodes without
//! errors; never binary: no NUL bytes outside UTF-16, and at most
//! [`MAX_TEXT_CONTROL_PER_MILLE`] ‰ control characters other than tab, LF, CR and FF.

use std::io::{Read, Seek};

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::Encoding;

use crate::{DocumentError, MAX_TEXT_CONTROL_PER_MILLE, read};

/// Checks a text document (at most [`crate::MAX_DOCUMENT_BYTES`], read whole); returns
/// the name of its encoding.
pub(crate) fn check<R: Read + Seek>(
    reader: &mut R,
    size: u64,
) -> Result<&'static str, DocumentError> {
    let bytes = read::read_vec(reader, 0, size)?;
    let (encoding, text) = decode(&bytes)?;
    let name = encoding_name(encoding);
    let mut total: u64 = 0;
    let mut control: u64 = 0;
    for c in text.chars() {
        total += 1;
        if c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0C') {
            control += 1;
        }
    }
    if control * 1000 > total * MAX_TEXT_CONTROL_PER_MILLE {
        return Err(DocumentError::TextControlChars {
            encoding: name,
            control,
            total,
        });
    }
    Ok(name)
}

/// The encoding and the decoded text, or why it is not text.
fn decode(bytes: &[u8]) -> Result<(&'static Encoding, String), DocumentError> {
    // A byte order mark decides.
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        if rest.contains(&0) {
            return Err(DocumentError::TextHasNul);
        }
        let text = std::str::from_utf8(rest).map_err(|_| DocumentError::TextInvalidUtf8)?;
        return Ok((encoding_rs::UTF_8, text.to_owned()));
    }
    for (bom, encoding) in [
        (b"\xFF\xFE", encoding_rs::UTF_16LE),
        (b"\xFE\xFF", encoding_rs::UTF_16BE),
    ] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            let text = encoding
                .decode_without_bom_handling_and_without_replacement(rest)
                .ok_or(DocumentError::TextInvalidUtf16 {
                    encoding: encoding.name(),
                })?;
            // (U+0000 in UTF-16 text counts as a control character below.)
            return Ok((encoding, text.into_owned()));
        }
    }
    // Without a BOM, UTF-16 is not accepted: its NUL bytes make it binary here.
    if bytes.contains(&0) {
        return Err(DocumentError::TextHasNul);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        // ASCII with escape sequences may be ISO-2022-JP (Japanese mail-style text).
        if text.is_ascii() && bytes.contains(&0x1B) {
            let mut detector = EncodingDetector::new(Iso2022JpDetection::Allow);
            detector.feed(bytes, true);
            let guess = detector.guess(None, Utf8Detection::Deny);
            if guess == encoding_rs::ISO_2022_JP
                && let Some(text) = guess.decode_without_bom_handling_and_without_replacement(bytes)
            {
                return Ok((guess, text.into_owned()));
            }
        }
        return Ok((encoding_rs::UTF_8, text.to_owned()));
    }
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let encoding = detector.guess(None, Utf8Detection::Deny);
    let text = encoding
        .decode_without_bom_handling_and_without_replacement(bytes)
        .ok_or(DocumentError::TextUndecodable {
            encoding: encoding_name(encoding),
        })?;
    Ok((encoding, text.into_owned()))
}

/// The name reported: `encoding_rs`'s, except that GBK and gb18030 are reported as
/// GB18030 (`encoding_rs` decodes both with the GB18030 decoder, and GB18030 is what
/// Chinese systems write).
fn encoding_name(encoding: &'static Encoding) -> &'static str {
    if encoding == encoding_rs::GBK || encoding == encoding_rs::GB18030 {
        "GB18030"
    } else {
        encoding.name()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;
    use trade_model::ErrorCode;

    fn check_bytes(bytes: &[u8]) -> Result<&'static str, DocumentError> {
        check(&mut Cursor::new(bytes.to_vec()), bytes.len() as u64)
    }

    const INVOICE: &str =
        "Proforma invoice PI-2024-0117\r\nLED panel light 600x600, 500 pcs, USD 6,400.00\r\n";

    #[test]
    fn utf8_with_and_without_bom() {
        assert_eq!(check_bytes(INVOICE.as_bytes()).ok(), Some("UTF-8"));
        assert_eq!(
            check_bytes("Müller GmbH – Rechnung 5 €\n".as_bytes()).ok(),
            Some("UTF-8")
        );
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice("发票".as_bytes());
        assert_eq!(check_bytes(&bom).ok(), Some("UTF-8"));
        // Only a BOM: empty text, fine.
        assert_eq!(check_bytes(b"\xEF\xBB\xBF").ok(), Some("UTF-8"));
    }

    #[test]
    fn utf8_with_bom_must_be_valid_and_nul_free() {
        assert!(matches!(
            check_bytes(b"\xEF\xBB\xBFabc\xFF"),
            Err(DocumentError::TextInvalidUtf8)
        ));
        assert!(matches!(
            check_bytes(b"\xEF\xBB\xBFabc\0def"),
            Err(DocumentError::TextHasNul)
        ));
    }

    #[test]
    fn utf16_needs_a_bom() {
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(INVOICE.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(check_bytes(&le).ok(), Some("UTF-16LE"));
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain(INVOICE.encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(check_bytes(&be).ok(), Some("UTF-16BE"));
        let bare: Vec<u8> = INVOICE.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert!(matches!(check_bytes(&bare), Err(DocumentError::TextHasNul)));
        // Odd length, unpaired surrogate: not UTF-16.
        let mut odd = le.clone();
        odd.push(b'x');
        assert!(matches!(
            check_bytes(&odd),
            Err(DocumentError::TextInvalidUtf16 { .. })
        ));
        let mut lone = le;
        lone.extend_from_slice(&0xD800u16.to_le_bytes());
        lone.extend_from_slice(&u16::from(b'a').to_le_bytes());
        assert!(matches!(
            check_bytes(&lone),
            Err(DocumentError::TextInvalidUtf16 { .. })
        ));
    }

    #[test]
    fn utf16_of_binary_is_still_refused() {
        // UTF-32LE "text" read as UTF-16LE: every other unit is U+0000.
        let mut utf32 = vec![0xFF, 0xFE, 0, 0];
        for c in INVOICE.chars() {
            utf32.extend_from_slice(&(c as u32).to_le_bytes());
        }
        assert!(matches!(
            check_bytes(&utf32),
            Err(DocumentError::TextControlChars { .. })
        ));
    }

    #[test]
    fn legacy_encodings_are_detected() {
        let (gbk, _, _) = encoding_rs::GB18030.encode(
            "形式发票 编号：PI-2024-0117\r\n卖方：宁波港湾照明有限公司\r\n品名：LED平板灯，数量：500件，单价：12.80美元\r\n付款方式：预付30%定金，余款在装运前付清。\r\n",
        );
        assert_eq!(check_bytes(&gbk).ok(), Some("GB18030"));
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(
            "見積書 番号：Q-2024-0117\r\n品名：LEDパネルライト、数量：500個、単価：12.80ドル\r\nお支払い：前払い30%、残金は出荷前にお支払いください。\r\n",
        );
        assert_eq!(check_bytes(&sjis).ok(), Some("Shift_JIS"));
        let (latin, _, _) = encoding_rs::WINDOWS_1252.encode(
            "Facture pro forma n° 17 — Société Générale d'Éclairage, Lyon\r\nMontant : 7 575,00 € ; réglé à la livraison. Müller, Düsseldorf.\r\n",
        );
        assert_eq!(check_bytes(&latin).ok(), Some("windows-1252"));
    }

    #[test]
    fn iso_2022_jp_is_text() {
        let (jis, _, _) =
            encoding_rs::ISO_2022_JP.encode("見積書 番号：Q-2024-0117\r\nお支払い：前払い30%\r\n");
        assert!(jis.contains(&0x1B));
        assert_eq!(check_bytes(&jis).ok(), Some("ISO-2022-JP"));
    }

    #[test]
    fn nul_bytes_mean_binary() {
        assert!(matches!(
            check_bytes(b"invoice\0total"),
            Err(DocumentError::TextHasNul)
        ));
        let mut elf = b"\x7fELF\x02\x01\x01".to_vec();
        elf.extend_from_slice(&[0; 64]);
        assert_eq!(
            check_bytes(&elf).map_err(|e| e.code()),
            Err(ErrorCode::DocumentNotText)
        );
    }

    #[test]
    fn control_characters_over_one_percent_mean_binary() {
        // 1 control character in 100: allowed (the threshold is "more than 1 %").
        let mut text = "a".repeat(99);
        text.push('\x07');
        assert_eq!(check_bytes(text.as_bytes()).ok(), Some("UTF-8"));
        // 2 in 100: refused.
        let mut text = "a".repeat(98);
        text.push_str("\x07\x1B");
        let err = check_bytes(text.as_bytes()).unwrap_err();
        assert!(
            matches!(
                err,
                DocumentError::TextControlChars {
                    control: 2,
                    total: 100,
                    ..
                }
            ),
            "{err:?}"
        );
        // Tab, LF, CR and FF are not counted.
        let text = "a\tb\r\n\x0C".repeat(100);
        assert_eq!(check_bytes(text.as_bytes()).ok(), Some("UTF-8"));
        // C1 controls count too (U+0080..U+009F, in UTF-8).
        let text = "ab\u{85}\u{9B}".repeat(10);
        assert!(matches!(
            check_bytes(text.as_bytes()),
            Err(DocumentError::TextControlChars { .. })
        ));
    }

    #[test]
    fn a_guess_that_does_not_decode_means_binary() {
        // GBK text with two stray bytes (found by fuzzing chardetng 1.0): it guesses
        // EUC-KR, which cannot decode it. Text must decode cleanly in the guessed encoding.
        const BYTES: &[u8] = &[
            208, 206, 202, 189, 183, 162, 198, 177, 32, 177, 224, 186, 197, 163, 186, 194, 244,
            183, 189, 163, 186, 196, 198, 110, 254, 178, 168, 184, 219, 205, 229, 213, 213, 195,
            247, 211, 208, 207, 222, 185, 171, 203, 190, 163, 169, 172, 198, 183, 195, 251, 163,
            159, 186, 76, 69, 68, 198, 189, 176, 229, 181, 198,
        ];
        let err = check_bytes(BYTES).unwrap_err();
        assert!(
            matches!(err, DocumentError::TextUndecodable { encoding: "EUC-KR" }),
            "{err:?}"
        );
        assert_eq!(err.code(), ErrorCode::DocumentNotText);
    }

    #[test]
    fn undecodable_bytes_mean_binary() {
        // Random-looking high bytes with no NUL: whatever chardetng guesses must decode
        // cleanly, or it is not text. 0x81 0x20 is invalid in GBK, Shift_JIS, Big5, EUC-*;
        // in windows-1252 0x81 decodes to a C1 control, so the control share decides.
        let bytes: Vec<u8> = (0..400)
            .map(|i| [0x81u8, 0x20, 0xFE, 0x8D][i % 4])
            .collect();
        assert_eq!(
            check_bytes(&bytes).map_err(|e| e.code()),
            Err(ErrorCode::DocumentNotText)
        );
    }
}
