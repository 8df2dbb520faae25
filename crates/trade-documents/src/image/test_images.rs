//! Builders of small images for the tests of the image checks, every field under control.
//! The sizes they compute are worked out independently of the code under test (pixel by
//! pixel, where the checks use formulas).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Cursor, Write};

use crate::read::PNG_MAGIC;
use crate::{DocumentError, DocumentKind};

pub(super) fn check_as(kind: DocumentKind, bytes: &[u8]) -> Result<(u32, u32), DocumentError> {
    super::check(&mut Cursor::new(bytes.to_vec()), bytes.len() as u64, kind)
}

/// The reason of an `ImageMalformed`, or a panic naming what came instead.
pub(super) fn malformed(kind: DocumentKind, bytes: &[u8]) -> &'static str {
    match check_as(kind, bytes) {
        Err(DocumentError::ImageMalformed { reason, .. }) => reason,
        other => panic!("expected ImageMalformed, got {other:?}"),
    }
}

// ---- PNG ----------------------------------------------------------------------------------

pub(super) fn crc32(parts: &[&[u8]]) -> u32 {
    let mut crc = flate2::Crc::new();
    for part in parts {
        crc.update(part);
    }
    crc.sum()
}

/// One chunk: length, type, data, CRC-32 of type and data.
pub(super) fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(&[kind, data]).to_be_bytes());
    out
}

pub(super) fn png_file(chunks: &[Vec<u8>]) -> Vec<u8> {
    let mut out = PNG_MAGIC.to_vec();
    for chunk in chunks {
        out.extend_from_slice(chunk);
    }
    out
}

pub(super) fn ihdr(width: u32, height: u32, depth: u8, colour: u8, interlace: u8) -> Vec<u8> {
    let mut data = width.to_be_bytes().to_vec();
    data.extend_from_slice(&height.to_be_bytes());
    data.extend_from_slice(&[depth, colour, 0, 0, interlace]);
    png_chunk(b"IHDR", &data)
}

pub(super) fn zlib(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// The filtered size of an image, counted pass by pass and row by row: for each pass,
/// the pixels of a row are those whose column is in the pass, and a row is there when
/// it has pixels and its row number is in the pass.
pub(super) fn filtered_len(width: u32, height: u32, bits_per_pixel: u64, adam7: bool) -> u64 {
    let passes: &[(u32, u32, u32, u32)] = if adam7 {
        &[
            (0, 0, 8, 8),
            (4, 0, 8, 8),
            (0, 4, 4, 8),
            (2, 0, 4, 4),
            (0, 2, 2, 4),
            (1, 0, 2, 2),
            (0, 1, 1, 2),
        ]
    } else {
        &[(0, 0, 1, 1)]
    };
    let mut total = 0;
    for &(x0, y0, dx, dy) in passes {
        let columns = (0..width).filter(|x| x % dx == x0).count() as u64;
        let rows = (0..height).filter(|y| y % dy == y0).count() as u64;
        if columns > 0 {
            let row_bits = columns * bits_per_pixel;
            total += rows * (1 + row_bits / 8 + u64::from(!row_bits.is_multiple_of(8)));
        }
    }
    total
}

/// Bits per pixel for a valid colour type / bit depth pair.
pub(super) fn bits_per_pixel(colour: u8, depth: u8) -> u64 {
    let channels = match colour {
        0 | 3 => 1,
        2 => 3,
        4 => 2,
        6 => 4,
        _ => panic!("colour type {colour}"),
    };
    channels * u64::from(depth)
}

/// Every valid (colour type, bit depth) pair.
pub(super) const PNG_FORMATS: &[(u8, u8)] = &[
    (0, 1),
    (0, 2),
    (0, 4),
    (0, 8),
    (0, 16),
    (2, 8),
    (2, 16),
    (3, 1),
    (3, 2),
    (3, 4),
    (3, 8),
    (4, 8),
    (4, 16),
    (6, 8),
    (6, 16),
];

/// A complete PNG whose IDAT inflates to `data_len` zero bytes (a palette, for type 3).
pub(super) fn png_with_data_len(
    width: u32,
    height: u32,
    depth: u8,
    colour: u8,
    interlace: u8,
    data_len: u64,
) -> Vec<u8> {
    let mut chunks = vec![ihdr(width, height, depth, colour, interlace)];
    if colour == 3 {
        chunks.push(png_chunk(b"PLTE", &[0, 0, 0, 255, 255, 255]));
    }
    chunks.push(png_chunk(b"IDAT", &zlib(&vec![0; data_len as usize])));
    chunks.push(png_chunk(b"IEND", b""));
    png_file(&chunks)
}

/// A complete, valid PNG (all-zero rows).
pub(super) fn png_image(width: u32, height: u32, depth: u8, colour: u8, interlace: u8) -> Vec<u8> {
    let len = filtered_len(width, height, bits_per_pixel(colour, depth), interlace == 1);
    png_with_data_len(width, height, depth, colour, interlace, len)
}

// ---- JPEG ---------------------------------------------------------------------------------

/// A marker segment: FF, marker, length (including itself), body.
pub(super) fn jpeg_segment(marker: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![0xFF, marker];
    out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// A frame header's body: 8-bit precision, one component.
pub(super) fn sof(width: u16, height: u16) -> Vec<u8> {
    let mut body = vec![8];
    body.extend_from_slice(&height.to_be_bytes());
    body.extend_from_slice(&width.to_be_bytes());
    body.extend_from_slice(&[1, 1, 0x11, 0]);
    body
}

/// A scan: its header (one component) and entropy-coded data (as given: stuffing, RSTn).
pub(super) fn jpeg_scan(data: &[u8]) -> Vec<u8> {
    let mut out = jpeg_segment(0xDA, &[1, 1, 0x00, 0, 63, 0]);
    out.extend_from_slice(data);
    out
}

/// Some entropy-coded data with a stuffed FF and a restart marker in it.
pub(super) const SCAN_DATA: &[u8] = &[0x12, 0x34, 0xFF, 0x00, 0x56, 0xFF, 0xD0, 0x78, 0x9A];

/// SOI, the segments, a scan, EOI.
pub(super) fn jpeg(segments: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8];
    for (marker, body) in segments {
        out.extend_from_slice(&jpeg_segment(*marker, body));
    }
    out.extend_from_slice(&jpeg_scan(SCAN_DATA));
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

// ---- GIF ----------------------------------------------------------------------------------

/// An image block: descriptor at (0, 0), no local colour table unless `local_table`
/// gives its size bits, LZW minimum code size 2, one data sub-block.
pub(super) fn gif_image(width: u16, height: u16, local_table: Option<u8>) -> Vec<u8> {
    let mut out = vec![0x2C, 0, 0, 0, 0];
    out.extend_from_slice(&width.to_le_bytes());
    out.extend_from_slice(&height.to_le_bytes());
    match local_table {
        Some(bits) => {
            out.push(0x80 | bits);
            out.extend(std::iter::repeat_n(0x55, 3 << (bits + 1)));
        }
        None => out.push(0),
    }
    out.extend_from_slice(&[2, 2, 0x4C, 0x01, 0]);
    out
}

/// Header, logical screen with a 2-colour global table, the blocks, the trailer.
pub(super) fn gif(width: u16, height: u16, blocks: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"GIF89a".to_vec();
    out.extend_from_slice(&width.to_le_bytes());
    out.extend_from_slice(&height.to_le_bytes());
    out.extend_from_slice(&[0x80, 0, 0]);
    out.extend_from_slice(&[0, 0, 0, 255, 255, 255]);
    for block in blocks {
        out.extend_from_slice(block);
    }
    out.push(0x3B);
    out
}

// ---- TIFF ---------------------------------------------------------------------------------

pub(super) const SHORT: u16 = 3;
pub(super) const LONG: u16 = 4;

/// A directory entry to write: tag, field type, values.
#[derive(Clone)]
pub(super) struct Tag(pub(super) u16, pub(super) u16, pub(super) Vec<u32>);

/// One page, then its data: header, the data chunks (from offset 8), the directory,
/// then the values that do not fit in their entries. `tags` gets the chunks' offsets
/// and byte counts.
pub(super) fn tiff_page(
    big_endian: bool,
    chunks: &[Vec<u8>],
    tags: impl Fn(&[u32], &[u32]) -> Vec<Tag>,
) -> Vec<u8> {
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
    out.extend_from_slice(&[0; 4]);
    let mut offsets = Vec::new();
    let mut counts = Vec::new();
    for chunk in chunks {
        offsets.push(out.len() as u32);
        counts.push(chunk.len() as u32);
        out.extend_from_slice(chunk);
    }
    let ifd = out.len() as u32;
    out[4..8].copy_from_slice(&w32(ifd));
    let mut tags = tags(&offsets, &counts);
    tags.sort_by_key(|t| t.0);
    let mut extra = Vec::new();
    let extra_at = ifd + 2 + 12 * tags.len() as u32 + 4;
    out.extend_from_slice(&w16(tags.len() as u16));
    for Tag(tag, kind, values) in &tags {
        let mut bytes = Vec::new();
        for v in values {
            if *kind == SHORT {
                bytes.extend_from_slice(&w16(*v as u16));
            } else {
                bytes.extend_from_slice(&w32(*v));
            }
        }
        out.extend_from_slice(&w16(*tag));
        out.extend_from_slice(&w16(*kind));
        out.extend_from_slice(&w32(values.len() as u32));
        if bytes.len() <= 4 {
            bytes.resize(4, 0);
            out.extend_from_slice(&bytes);
        } else {
            out.extend_from_slice(&w32(extra_at + extra.len() as u32));
            extra.extend_from_slice(&bytes);
        }
    }
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&extra);
    out
}

/// The tags of an uncompressed 8-bit greyscale page cut in the given strips.
pub(super) fn strip_tags(
    width: u32,
    height: u32,
    rows_per_strip: u32,
    offsets: &[u32],
    counts: &[u32],
) -> Vec<Tag> {
    vec![
        Tag(256, LONG, vec![width]),
        Tag(257, LONG, vec![height]),
        Tag(258, SHORT, vec![8]),
        Tag(259, SHORT, vec![1]),
        Tag(262, SHORT, vec![1]),
        Tag(273, LONG, offsets.to_vec()),
        Tag(277, SHORT, vec![1]),
        Tag(278, LONG, vec![rows_per_strip]),
        Tag(279, LONG, counts.to_vec()),
    ]
}

/// Replaces (or adds) a tag.
pub(super) fn with_tag(mut tags: Vec<Tag>, tag: Tag) -> Vec<Tag> {
    tags.retain(|t| t.0 != tag.0);
    tags.push(tag);
    tags
}

/// Every strict prefix of `bytes` from `from` on is refused as malformed (a file cut
/// anywhere is caught), and the whole file passes.
pub(super) fn every_cut_is_refused(kind: DocumentKind, bytes: &[u8], from: usize) {
    assert!(check_as(kind, bytes).is_ok(), "the whole file must pass");
    for cut in from..bytes.len() {
        match check_as(kind, &bytes[..cut]) {
            Err(DocumentError::ImageMalformed { .. }) => {}
            other => panic!("cut at {cut} of {}: {other:?}", bytes.len()),
        }
    }
}
