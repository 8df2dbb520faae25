//! Images: the magic bytes of the type, the dimensions from the headers, then the image
//! data walked to its end (nothing is decoded into pixels). Declared decompression bombs
//! (more than [`MAX_IMAGE_PIXELS`] pixels, or a side over [`MAX_IMAGE_SIDE`]) and zero
//! dimensions are refused from the headers, before any data is read; then an image whose
//! data is missing, cut short or damaged in its structure is refused with
//! [`DocumentError::ImageMalformed`] and a reason:
//!
//! - PNG ([`png`]): every chunk to IEND, CRCs checked, the IDAT stream inflated (counted
//!   through a fixed buffer) to exactly the size the header declares;
//! - JPEG ([`jpeg`]): the segments and every scan's entropy-coded data, to EOI;
//! - GIF ([`gif`]): every block and sub-block, to the trailer;
//! - TIFF ([`tiff`]): each page's strips or tiles inside the file, complete when
//!   uncompressed.
//!
//! Memory stays constant (fixed buffers) whatever the sizes declared; time is linear in
//! the file (and the PNG inflater stops one byte past the declared size).

use std::collections::HashSet;
use std::io::{Read, Seek};

use crate::read::{self, read_at};
use crate::{DocumentError, DocumentKind, MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE, MAX_TIFF_PAGES};

mod gif;
mod jpeg;
mod png;
mod tiff;

/// JPEG: the most segments skipped while looking for the frame header.
const MAX_JPEG_SEGMENTS: usize = 10_000;
/// JPEG: the most 0xFF bytes read before a marker code between segments.
const MAX_JPEG_FILL_BYTES: usize = 64;
/// TIFF: the most directory entries in one IFD.
const MAX_TIFF_TAGS: u64 = 4_096;

/// Checks an image; returns (width, height) (of the first page, for TIFF).
pub(crate) fn check<R: Read + Seek>(
    reader: &mut R,
    size: u64,
    kind: DocumentKind,
) -> Result<(u32, u32), DocumentError> {
    let head = read::head(reader, size, 64)?;
    let wrong = || DocumentError::WrongContent {
        expected: kind,
        found: read::sniff(&head),
    };
    let malformed = |reason| DocumentError::ImageMalformed { kind, reason };
    let (width, height) = match kind {
        DocumentKind::Png => {
            if !head.starts_with(read::PNG_MAGIC) {
                return Err(wrong());
            }
            // The first chunk must be IHDR: length 13, type, width, height (big-endian).
            if head.len() < 24 || head[8..16] != *b"\0\0\0\x0dIHDR" {
                return Err(malformed("it has no image header (IHDR)"));
            }
            let (width, height) = (be32(&head[16..20]), be32(&head[20..24]));
            check_dimensions(kind, width, height)?;
            png::walk(reader, size).map_err(|e| e.into_error(kind))?;
            (width, height)
        }
        DocumentKind::Gif => {
            if !head.starts_with(b"GIF87a") && !head.starts_with(b"GIF89a") {
                return Err(wrong());
            }
            if head.len() < 10 {
                return Err(malformed("its header is cut short"));
            }
            // Logical screen width and height (little-endian).
            let (width, height) = (
                u32::from(read::u16_le(&head, 6)),
                u32::from(read::u16_le(&head, 8)),
            );
            check_dimensions(kind, width, height)?;
            gif::walk(reader, size).map_err(|e| e.into_error(kind))?;
            (width, height)
        }
        DocumentKind::Jpeg => {
            if !head.starts_with(read::JPEG_MAGIC) {
                return Err(wrong());
            }
            let (width, height, after_frame) =
                jpeg_frame(reader, size).map_err(|e| e.into_error(kind))?;
            check_dimensions(kind, width, height)?;
            jpeg::walk(reader, size, after_frame).map_err(|e| e.into_error(kind))?;
            (width, height)
        }
        _ => {
            let big_endian = if head.starts_with(b"II*\0") {
                false
            } else if head.starts_with(b"MM\0*") {
                true
            } else {
                return Err(wrong());
            };
            tiff_size(reader, size, big_endian, kind)?
        }
    };
    // Every branch checked the dimensions (each page's, for TIFF) before it walked the
    // data, so a declared bomb is refused without reading it.
    Ok((width, height))
}

fn check_dimensions(kind: DocumentKind, width: u32, height: u32) -> Result<(), DocumentError> {
    if width == 0 || height == 0 {
        return Err(DocumentError::ImageZeroDimension {
            kind,
            width,
            height,
        });
    }
    if too_large(width, height) {
        return Err(DocumentError::ImageTooLarge {
            kind,
            width,
            height,
        });
    }
    Ok(())
}

/// Over [`MAX_IMAGE_SIDE`] on a side or [`MAX_IMAGE_PIXELS`] in all.
fn too_large(width: u32, height: u32) -> bool {
    width > MAX_IMAGE_SIDE
        || height > MAX_IMAGE_SIDE
        || u64::from(width) * u64::from(height) > MAX_IMAGE_PIXELS
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// A failure while walking a structure: a reason for a damaged image, or a reader error.
enum Walk {
    Malformed(&'static str),
    Failed(DocumentError),
}

impl Walk {
    fn into_error(self, kind: DocumentKind) -> DocumentError {
        match self {
            Walk::Malformed(reason) => DocumentError::ImageMalformed { kind, reason },
            Walk::Failed(e) => e,
        }
    }
}

impl From<DocumentError> for Walk {
    fn from(e: DocumentError) -> Self {
        Walk::Failed(e)
    }
}

/// JPEG: walk the marker segments from SOI to the first frame header (SOFn), which holds
/// the height and width. Segments are skipped by their length, not read. Returns the
/// width, the height and where the segment after the frame header starts.
fn jpeg_frame<R: Read + Seek>(reader: &mut R, size: u64) -> Result<(u32, u32, u64), Walk> {
    let mut pos: u64 = 2; // after SOI
    for _ in 0..MAX_JPEG_SEGMENTS {
        // A marker: 0xFF, optional 0xFF fill bytes, the marker code.
        let mut byte = [0u8; 1];
        let mut fill = 0;
        loop {
            if pos >= size {
                return Err(Walk::Malformed("it ends before its frame header"));
            }
            read_at(reader, pos, &mut byte)?;
            pos += 1;
            if byte[0] != 0xFF {
                break;
            }
            fill += 1;
            if fill > MAX_JPEG_FILL_BYTES {
                return Err(Walk::Malformed("its markers are damaged"));
            }
        }
        if fill == 0 {
            return Err(Walk::Malformed("its markers are damaged"));
        }
        let marker = byte[0];
        match marker {
            // Standalone markers: TEM, RSTn.
            0x01 | 0xD0..=0xD7 => continue,
            // SOI again, EOI, SOS: no frame header came first.
            0xD8..=0xDA => {
                return Err(Walk::Malformed(
                    "it has no frame header before its image data",
                ));
            }
            _ => {}
        }
        if pos + 2 > size {
            return Err(Walk::Malformed("it ends before its frame header"));
        }
        let mut len = [0u8; 2];
        read_at(reader, pos, &mut len)?;
        let len = u64::from(u16::from_be_bytes(len));
        if len < 2 || pos + len > size {
            return Err(Walk::Malformed("a segment length is wrong"));
        }
        // SOF0-3, 5-7, 9-11, 13-15 (not DHT C4, JPG C8, DAC CC).
        if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            if len < 8 {
                return Err(Walk::Malformed("its frame header is cut short"));
            }
            let mut sof = [0u8; 5]; // precision, height, width
            read_at(reader, pos + 2, &mut sof)?;
            let height = u32::from(u16::from_be_bytes([sof[1], sof[2]]));
            let width = u32::from(u16::from_be_bytes([sof[3], sof[4]]));
            return Ok((width, height, pos + len));
        }
        pos += len;
    }
    Err(Walk::Malformed(
        "it has too many segments before its frame header",
    ))
}

/// TIFF: ImageWidth (256) and ImageLength (257) of every page (IFD) in the chain, each
/// checked; returns the first page's.
fn tiff_size<R: Read + Seek>(
    reader: &mut R,
    size: u64,
    big_endian: bool,
    kind: DocumentKind,
) -> Result<(u32, u32), DocumentError> {
    let malformed = |reason| DocumentError::ImageMalformed { kind, reason };
    let u16_at = |b: &[u8], at: usize| {
        let v = [b[at], b[at + 1]];
        if big_endian {
            u16::from_be_bytes(v)
        } else {
            u16::from_le_bytes(v)
        }
    };
    let u32_at = |b: &[u8], at: usize| {
        let v = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        if big_endian {
            u32::from_be_bytes(v)
        } else {
            u32::from_le_bytes(v)
        }
    };
    let mut header = [0u8; 8];
    if size < 8 {
        return Err(malformed("its header is cut short"));
    }
    read_at(reader, 0, &mut header)?;
    let mut offset = u64::from(u32_at(&header, 4));
    let mut first = None;
    let mut seen = HashSet::new();
    // Strip and tile entries walked, over all pages: as many as the file can hold apart
    // (two SHORT values, 4 bytes, a strip; two inline in each directory), so pages that
    // share one huge array cannot make the walk quadratic.
    let mut budget = tiff::ChunkBudget::new(size, MAX_TIFF_PAGES);
    while offset != 0 {
        if seen.len() >= MAX_TIFF_PAGES {
            return Err(malformed("it has too many pages"));
        }
        if !seen.insert(offset) {
            return Err(malformed("its pages form a loop"));
        }
        if offset < 8 || offset + 2 > size {
            return Err(malformed("a page directory is outside the file"));
        }
        let mut count = [0u8; 2];
        read_at(reader, offset, &mut count)?;
        let count = u64::from(u16_at(&count, 0));
        if count == 0 || count > MAX_TIFF_TAGS || offset + 2 + count * 12 + 4 > size {
            return Err(malformed("a page directory is damaged"));
        }
        let table = read::read_vec(reader, offset + 2, count * 12 + 4)?;
        let mut width = None;
        let mut height = None;
        for entry in table.chunks_exact(12) {
            let tag = u16_at(entry, 0);
            if tag != 256 && tag != 257 {
                continue;
            }
            let value = match (u16_at(entry, 2), u32_at(entry, 4)) {
                (3, 1) => u32::from(u16_at(entry, 8)), // SHORT
                (4, 1) => u32_at(entry, 8),            // LONG
                _ => return Err(malformed("its image size has an unexpected form")),
            };
            if tag == 256 {
                width = Some(value);
            } else {
                height = Some(value);
            }
        }
        let (Some(width), Some(height)) = (width, height) else {
            return Err(malformed("a page has no image size"));
        };
        check_dimensions(kind, width, height)?;
        let page = tiff::Page {
            offset,
            table: &table,
            big_endian,
            width,
            height,
        };
        tiff::check_page(reader, size, &page, &mut budget).map_err(|e| e.into_error(kind))?;
        first.get_or_insert((width, height));
        offset = u64::from(u32_at(&table, table.len() - 4));
    }
    first.ok_or_else(|| malformed("it has no pages"))
}

#[cfg(test)]
mod test_images;

#[cfg(test)]
mod tests {
    use super::test_images::{
        self, check_as, gif_image, jpeg, png_chunk, png_file, png_image, sof,
    };
    use super::*;
    use trade_model::ErrorCode;

    /// A valid 1-bit greyscale PNG (its data is small even at the size limits).
    fn png(width: u32, height: u32) -> Vec<u8> {
        png_image(width, height, 1, 0, 0)
    }

    /// Only the signature and IHDR: enough for the checks that refuse from the header,
    /// before any data is read.
    fn png_header(width: u32, height: u32) -> Vec<u8> {
        let mut data = width.to_be_bytes().to_vec();
        data.extend_from_slice(&height.to_be_bytes());
        data.extend_from_slice(&[8, 2, 0, 0, 0]);
        png_file(&[png_chunk(b"IHDR", &data)])
    }

    /// A valid GIF: its logical screen and one 1x1 image.
    fn gif(width: u16, height: u16) -> Vec<u8> {
        test_images::gif(width, height, &[gif_image(1, 1, None)])
    }

    /// The tags every page of [`tiff`] has: its size and one uncompressed 1-bit strip.
    const TIFF_PAGE_TAGS: usize = 6;

    /// Pages of uncompressed 1-bit images, each directory followed by its strip.
    fn tiff(big_endian: bool, pages: &[(u32, u32)]) -> Vec<u8> {
        let w16 = |v: u16| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let w32 = |v: u32| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let mut out = if big_endian {
            b"MM\0*".to_vec()
        } else {
            b"II*\0".to_vec()
        };
        out.extend_from_slice(&w32(8));
        for (i, &(width, height)) in pages.iter().enumerate() {
            let ifd_len = 2 + 12 * TIFF_PAGE_TAGS as u32 + 4;
            let data_at = out.len() as u32 + ifd_len;
            // Pages over the limits are refused before their data is looked at: none.
            let data_len = if too_large(width, height) {
                0
            } else {
                width.div_ceil(8) * height
            };
            out.extend_from_slice(&w16(TIFF_PAGE_TAGS as u16));
            for (tag, value) in [
                (256u16, width),
                (257, height),
                (259, 1),
                (273, data_at),
                (278, height),
                (279, data_len),
            ] {
                out.extend_from_slice(&w16(tag));
                out.extend_from_slice(&w16(4));
                out.extend_from_slice(&w32(1));
                out.extend_from_slice(&w32(value));
            }
            let next = if i + 1 < pages.len() {
                data_at + data_len
            } else {
                0
            };
            out.extend_from_slice(&w32(next));
            out.resize(out.len() + data_len as usize, 0);
        }
        out
    }

    #[test]
    fn png_dimensions() {
        assert_eq!(
            check_as(DocumentKind::Png, &png(640, 480)).ok(),
            Some((640, 480))
        );
        let err = check_as(DocumentKind::Png, &png_header(0, 480)).unwrap_err();
        assert!(
            matches!(err, DocumentError::ImageZeroDimension { .. }),
            "{err:?}"
        );
        assert_eq!(err.code(), ErrorCode::DocumentContentMismatch);
        let mut no_ihdr = png_header(1, 1);
        no_ihdr[12..16].copy_from_slice(b"tEXt");
        assert!(matches!(
            check_as(DocumentKind::Png, &no_ihdr),
            Err(DocumentError::ImageMalformed { .. })
        ));
    }

    #[test]
    fn bombs_are_refused_by_area_and_by_side() {
        // At the limits: fine (and their data, 12.5 MB each inflated, is walked).
        assert!(check_as(DocumentKind::Png, &png(10_000, 10_000)).is_ok());
        assert!(check_as(DocumentKind::Png, &png(MAX_IMAGE_SIDE, 3_333)).is_ok());
        // Over them, the header alone is refused: no data is read (these have none).
        // Area: 10_001 x 10_000 is just over 100 megapixels, both sides under 30_000.
        let err = check_as(DocumentKind::Png, &png_header(10_001, 10_000)).unwrap_err();
        assert!(
            matches!(err, DocumentError::ImageTooLarge { .. }),
            "{err:?}"
        );
        assert_eq!(err.code(), ErrorCode::DocumentImageTooLarge);
        // Side: 30_001 x 1 is tiny in area.
        for (w, h) in [(MAX_IMAGE_SIDE + 1, 1), (1, MAX_IMAGE_SIDE + 1)] {
            let err = check_as(DocumentKind::Png, &png_header(w, h)).unwrap_err();
            assert!(
                matches!(err, DocumentError::ImageTooLarge { .. }),
                "{w}x{h}: {err:?}"
            );
        }
        // u32::MAX squared does not overflow.
        assert!(check_as(DocumentKind::Png, &png_header(u32::MAX, u32::MAX)).is_err());
    }

    #[test]
    fn gif_dimensions() {
        assert_eq!(
            check_as(DocumentKind::Gif, &gif(32, 16)).ok(),
            Some((32, 16))
        );
        assert!(matches!(
            check_as(DocumentKind::Gif, &gif(50_000, 50_000)),
            Err(DocumentError::ImageTooLarge { .. })
        ));
        assert!(matches!(
            check_as(DocumentKind::Gif, &gif(0, 1)),
            Err(DocumentError::ImageZeroDimension { .. })
        ));
        let mut gif87 = gif(5, 6);
        gif87[4] = b'7';
        assert_eq!(check_as(DocumentKind::Gif, &gif87).ok(), Some((5, 6)));
        assert!(matches!(
            check_as(DocumentKind::Gif, b"GIF89a\x01"),
            Err(DocumentError::ImageMalformed { .. })
        ));
    }

    #[test]
    fn jpeg_frame_header_after_other_segments() {
        let exif = vec![0u8; 3000];
        let bytes = jpeg(&[
            (0xE0, b"JFIF\0\x01\x01".to_vec()),
            (0xE1, exif),
            (0xDB, vec![0; 65]),
            (0xC2, sof(800, 600)),
        ]);
        assert_eq!(check_as(DocumentKind::Jpeg, &bytes).ok(), Some((800, 600)));
        // DHT (C4) is not a frame header.
        let bytes = jpeg(&[(0xC4, vec![0; 20]), (0xC0, sof(3, 2))]);
        assert_eq!(check_as(DocumentKind::Jpeg, &bytes).ok(), Some((3, 2)));
        // Fill bytes before a marker are allowed.
        let mut bytes = jpeg(&[(0xC0, sof(3, 2))]);
        bytes.splice(2..2, [0xFF, 0xFF]);
        assert_eq!(check_as(DocumentKind::Jpeg, &bytes).ok(), Some((3, 2)));
    }

    #[test]
    fn jpeg_without_a_usable_frame_header() {
        let cases: Vec<Vec<u8>> = vec![
            jpeg(&[(0xE0, vec![0; 10])]),                            // EOI, no SOF
            jpeg(&[(0xDA, vec![0; 10]), (0xC0, sof(3, 2))]),         // scan before the frame
            vec![0xFF, 0xD8, 0xFF],                                  // cut short
            vec![0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xFF],                // length past the end
            vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01, 0, 0],          // length < 2
            vec![0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x05, 8, 0, 1, 0, 1], // SOF too short
        ];
        for bytes in cases {
            let err = check_as(DocumentKind::Jpeg, &bytes).unwrap_err();
            assert!(
                matches!(err, DocumentError::ImageMalformed { .. }),
                "{bytes:x?}: {err:?}"
            );
        }
        // Garbage where a marker should be.
        let mut bytes = jpeg(&[(0xE0, vec![0; 4]), (0xC0, sof(3, 2))]);
        assert_eq!(bytes[10], 0xFF);
        bytes[10] = 0x00;
        assert!(matches!(
            check_as(DocumentKind::Jpeg, &bytes),
            Err(DocumentError::ImageMalformed { .. })
        ));
        // A run of fill bytes, or of empty segments, is not walked to the end of the file.
        let mut bytes = vec![0xFF, 0xD8];
        bytes.extend(std::iter::repeat_n(0xFF, 100));
        bytes.extend(jpeg(&[(0xC0, sof(3, 2))]).into_iter().skip(2));
        let err = check_as(DocumentKind::Jpeg, &bytes).unwrap_err();
        assert!(
            matches!(err, DocumentError::ImageMalformed { reason, .. } if reason.contains("markers")),
            "{err:?}"
        );
        let mut segments = vec![(0xE0, Vec::new()); MAX_JPEG_SEGMENTS];
        segments.push((0xC0, sof(3, 2)));
        let err = check_as(DocumentKind::Jpeg, &jpeg(&segments)).unwrap_err();
        assert!(
            matches!(err, DocumentError::ImageMalformed { reason, .. } if reason.contains("too many")),
            "{err:?}"
        );
        segments.drain(..2);
        assert_eq!(
            check_as(DocumentKind::Jpeg, &jpeg(&segments)).ok(),
            Some((3, 2))
        );
        // Dimensions are checked.
        let bytes = jpeg(&[(0xC0, sof(40_000, 16))]);
        assert!(matches!(
            check_as(DocumentKind::Jpeg, &bytes),
            Err(DocumentError::ImageTooLarge { .. })
        ));
        let bytes = jpeg(&[(0xC0, sof(16, 0))]);
        assert!(matches!(
            check_as(DocumentKind::Jpeg, &bytes),
            Err(DocumentError::ImageZeroDimension { .. })
        ));
    }

    #[test]
    fn tiff_every_page_is_checked() {
        for big_endian in [false, true] {
            assert_eq!(
                check_as(DocumentKind::Tiff, &tiff(big_endian, &[(120, 90)])).ok(),
                Some((120, 90))
            );
            let pages = tiff(big_endian, &[(120, 90), (2_000, 3_000), (40_000, 40_000)]);
            let err = check_as(DocumentKind::Tiff, &pages).unwrap_err();
            assert!(
                matches!(err, DocumentError::ImageTooLarge { width: 40_000, .. }),
                "{err:?}"
            );
        }
        let pages = tiff(false, &[(120, 90), (0, 10)]);
        assert!(matches!(
            check_as(DocumentKind::Tiff, &pages),
            Err(DocumentError::ImageZeroDimension { .. })
        ));
    }

    #[test]
    fn tiff_structure_faults() {
        // A page pointing back at itself.
        let mut bytes = tiff(false, &[(10, 10)]);
        let next = 8 + 2 + 12 * TIFF_PAGE_TAGS;
        bytes[next..next + 4].copy_from_slice(&8u32.to_le_bytes());
        assert!(matches!(
            check_as(DocumentKind::Tiff, &bytes),
            Err(DocumentError::ImageMalformed { .. })
        ));
        // Pages are capped.
        let many = vec![(10, 10); MAX_TIFF_PAGES + 1];
        let err = check_as(DocumentKind::Tiff, &tiff(false, &many)).unwrap_err();
        assert!(
            matches!(err, DocumentError::ImageMalformed { reason, .. } if reason.contains("too many")),
            "{err:?}"
        );
        assert!(check_as(DocumentKind::Tiff, &tiff(false, &many[1..])).is_ok());
        // A first IFD outside the file.
        let mut bytes = tiff(false, &[(10, 10)]);
        bytes[4..8].copy_from_slice(&1_000u32.to_le_bytes());
        assert!(matches!(
            check_as(DocumentKind::Tiff, &bytes),
            Err(DocumentError::ImageMalformed { .. })
        ));
        // No pages at all.
        let mut bytes = tiff(false, &[(10, 10)]);
        bytes[4..8].copy_from_slice(&0u32.to_le_bytes());
        assert!(matches!(
            check_as(DocumentKind::Tiff, &bytes),
            Err(DocumentError::ImageMalformed { .. })
        ));
        // No width tag.
        let mut bytes = tiff(false, &[(10, 10)]);
        bytes[10..12].copy_from_slice(&300u16.to_le_bytes());
        assert!(matches!(
            check_as(DocumentKind::Tiff, &bytes),
            Err(DocumentError::ImageMalformed { .. })
        ));
        // BigTIFF is not TIFF.
        let mut bytes = tiff(false, &[(10, 10)]);
        bytes[2] = 43;
        assert_eq!(
            check_as(DocumentKind::Tiff, &bytes).map_err(|e| e.code()),
            Err(ErrorCode::DocumentContentMismatch)
        );
    }

    #[test]
    fn the_type_is_what_the_extension_says() {
        let png = png_header(10, 10);
        for kind in [DocumentKind::Jpeg, DocumentKind::Gif, DocumentKind::Tiff] {
            let err = check_as(kind, &png).unwrap_err();
            assert!(
                matches!(
                    err,
                    DocumentError::WrongContent {
                        found: Some("a PNG image"),
                        ..
                    }
                ),
                "{err:?}"
            );
        }
        let gif = gif(1, 1);
        assert!(matches!(
            check_as(DocumentKind::Png, &gif),
            Err(DocumentError::WrongContent { .. })
        ));
    }
}
