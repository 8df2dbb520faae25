//! PNG: the chunks from the signature to IEND, and the image data inflated (counted, not
//! kept) to exactly the size the image header declares.
//!
//! Rules, in the order a reader meets them:
//! - every chunk lies inside the file, has a length under 2^31, a type of four ASCII
//!   letters and a correct CRC-32 (over its type and data);
//! - IHDR comes first (once), with a valid colour type / bit depth pair, compression
//!   and filter method 0, interlace 0 (none) or 1 (Adam7);
//! - a palette image (colour type 3) has a PLTE chunk before its data;
//! - there is at least one IDAT and the IDAT chunks are consecutive;
//! - their concatenated data is one zlib stream (its Adler-32 checked by the inflater)
//!   that inflates to exactly the filtered size of the image: per row one filter byte
//!   plus ceil(width x bits per pixel / 8) bytes, row by row, or pass by pass of Adam7;
//! - the file reaches IEND. Bytes after IEND are accepted: some writers and transfer
//!   tools append padding or metadata there, and every reader ignores it.
//!
//! Memory: one read buffer and one inflate output buffer, whatever the sizes declared.
//! Time: linear in the file (each chunk header is at least 12 bytes), and the inflater
//! never produces more than one byte past the declared size.

use std::io::{Read, Seek};

use flate2::{Decompress, FlushDecompress, Status};

use super::Walk;
use crate::read::Forward;

/// Where the first chunk starts: after the 8-byte signature.
const FIRST_CHUNK: u64 = 8;
/// The largest chunk length the PNG specification allows (2^31 - 1).
const MAX_CHUNK_LEN: u32 = 0x7FFF_FFFF;
/// The inflater's output buffer: the bytes are counted, then dropped.
const INFLATE_BUFFER_BYTES: usize = 32 * 1024;

/// Adam7 passes: (first column, first row, column step, row step).
const ADAM7: [(u64, u64, u64, u64); 7] = [
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
];

/// What IHDR declares, as far as the data size depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Header {
    pub(super) width: u32,
    pub(super) height: u32,
    pub(super) bit_depth: u8,
    pub(super) colour_type: u8,
    pub(super) interlaced: bool,
}

impl Header {
    /// Parses the 13 bytes of IHDR's data.
    fn parse(data: &[u8; 13]) -> Result<Header, Walk> {
        let [
            w0,
            w1,
            w2,
            w3,
            h0,
            h1,
            h2,
            h3,
            bit_depth,
            colour_type,
            compression,
            filter,
            interlace,
        ] = *data;
        if compression != 0 || filter != 0 || interlace > 1 {
            return Err(Walk::Malformed(
                "its image header declares an unknown compression, filter or interlace method",
            ));
        }
        let header = Header {
            width: u32::from_be_bytes([w0, w1, w2, w3]),
            height: u32::from_be_bytes([h0, h1, h2, h3]),
            bit_depth,
            colour_type,
            interlaced: interlace == 1,
        };
        if header.bits_per_pixel().is_none() {
            return Err(Walk::Malformed(
                "its image header declares an invalid colour type and bit depth",
            ));
        }
        Ok(header)
    }

    /// Bits per pixel, for the colour type / bit depth pairs the specification allows.
    pub(super) fn bits_per_pixel(&self) -> Option<u64> {
        let channels = match (self.colour_type, self.bit_depth) {
            (0, 1 | 2 | 4 | 8 | 16) => 1, // greyscale
            (2, 8 | 16) => 3,             // RGB
            (3, 1 | 2 | 4 | 8) => 1,      // palette index
            (4, 8 | 16) => 2,             // greyscale + alpha
            (6, 8 | 16) => 4,             // RGBA
            _ => return None,
        };
        Some(channels * u64::from(self.bit_depth))
    }

    /// The size of the filtered image data (what the zlib stream inflates to): one
    /// filter byte plus the packed pixels of each row, for each non-empty Adam7 pass when
    /// interlaced. `None` for an invalid format, or a size past u64 (the dimension check
    /// refuses such sizes first).
    pub(super) fn data_len(&self) -> Option<u64> {
        let bpp = self.bits_per_pixel()?;
        let (width, height) = (u64::from(self.width), u64::from(self.height));
        let rows = |w: u64, h: u64| -> Option<u64> {
            if w == 0 || h == 0 {
                return Some(0);
            }
            let row = w.checked_mul(bpp)?.div_ceil(8).checked_add(1)?;
            h.checked_mul(row)
        };
        if !self.interlaced {
            return rows(width, height);
        }
        let pass_len = |first: u64, step: u64, len: u64| {
            if len > first {
                (len - first).div_ceil(step)
            } else {
                0
            }
        };
        ADAM7.iter().try_fold(0u64, |total, &(x0, y0, dx, dy)| {
            total.checked_add(rows(pass_len(x0, dx, width), pass_len(y0, dy, height))?)
        })
    }
}

/// Counts what a zlib stream inflates to, through one fixed buffer, stopping one byte
/// past what is expected.
struct Inflated {
    inflater: Decompress,
    out: Vec<u8>,
    expected: u64,
    /// The stream reached its end (and its checksum was right).
    ended: bool,
}

impl Inflated {
    fn new(expected: u64) -> Self {
        Inflated {
            inflater: Decompress::new(true),
            out: vec![0; INFLATE_BUFFER_BYTES],
            expected,
            ended: false,
        }
    }

    /// Feeds the next piece of compressed data. Data after the end of the stream is
    /// ignored (as libpng does).
    fn feed(&mut self, mut input: &[u8]) -> Result<(), Walk> {
        while !self.ended {
            let produced = self.inflater.total_out();
            // Never more than one byte past the expected size: enough to know it is over.
            let room = (self.expected + 1).saturating_sub(produced);
            let room = usize::try_from(room).map_or(self.out.len(), |r| r.min(self.out.len()));
            if room == 0 {
                return Err(Walk::Malformed(
                    "its image data is longer than its image header declares",
                ));
            }
            let consumed = self.inflater.total_in();
            let status = self
                .inflater
                .decompress(input, &mut self.out[..room], FlushDecompress::None)
                .map_err(|_| Walk::Malformed("its image data is damaged (it does not inflate)"))?;
            // Invariant: the inflater consumed at most `input.len()` bytes.
            let used = (self.inflater.total_in() - consumed) as usize;
            input = &input[used..];
            if status == Status::StreamEnd {
                self.ended = true;
            } else if used == 0 && self.inflater.total_out() == produced {
                if input.is_empty() {
                    // All of this piece is in: the next one is needed.
                    break;
                }
                // The inflater takes no more of it (it always does while it has room).
                return Err(Walk::Malformed(
                    "its image data is damaged (it does not inflate)",
                ));
            }
        }
        if self.inflater.total_out() > self.expected {
            return Err(Walk::Malformed(
                "its image data is longer than its image header declares",
            ));
        }
        Ok(())
    }

    /// Once every IDAT is fed: the stream must have ended, at exactly the size expected.
    fn finish(&self) -> Result<(), Walk> {
        if !self.ended {
            return Err(Walk::Malformed(
                "its image data is cut short (the compressed stream does not end)",
            ));
        }
        if self.inflater.total_out() != self.expected {
            return Err(Walk::Malformed(
                "its image data is shorter than its image header declares",
            ));
        }
        Ok(())
    }
}

/// Where the IDAT chunks are, relative to the one being read.
#[derive(PartialEq, Eq)]
enum Idat {
    NotYet,
    Reading,
    Done,
}

/// Walks the chunks of a PNG of `size` bytes whose signature was checked.
pub(super) fn walk<R: Read + Seek>(reader: &mut R, size: u64) -> Result<(), Walk> {
    let mut cursor = Forward::new(FIRST_CHUNK, size);
    let mut header: Option<Header> = None;
    let mut inflated: Option<Inflated> = None;
    let mut idat = Idat::NotYet;
    let mut palette = false;
    loop {
        let mut chunk_header = [0u8; 8];
        if !cursor.read_exact(reader, &mut chunk_header)? {
            return Err(Walk::Malformed(
                "it is cut short (it does not reach its end chunk, IEND)",
            ));
        }
        let [l0, l1, l2, l3, t0, t1, t2, t3] = chunk_header;
        let len = u32::from_be_bytes([l0, l1, l2, l3]);
        let kind = [t0, t1, t2, t3];
        if len > MAX_CHUNK_LEN {
            return Err(Walk::Malformed("a chunk length is invalid"));
        }
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(Walk::Malformed("a chunk type is invalid"));
        }
        if u64::from(len) + 4 > cursor.remaining() {
            return Err(Walk::Malformed(
                "it is cut short (a chunk runs past the end of the file)",
            ));
        }
        let is_ihdr = kind == *b"IHDR";
        match (&header, is_ihdr) {
            (None, false) => return Err(Walk::Malformed("it has no image header (IHDR)")),
            (Some(_), true) => return Err(Walk::Malformed("it has more than one image header")),
            _ => {}
        }
        if kind == *b"IDAT" {
            match idat {
                Idat::Done => {
                    return Err(Walk::Malformed(
                        "its image data chunks (IDAT) are not consecutive",
                    ));
                }
                Idat::NotYet => {
                    // Invariant: the match above returned unless IHDR came first.
                    let Some(h) = header else {
                        return Err(Walk::Malformed("it has no image header (IHDR)"));
                    };
                    if h.colour_type == 3 && !palette {
                        return Err(Walk::Malformed(
                            "it is a palette image without a palette (PLTE)",
                        ));
                    }
                    let Some(expected) = h.data_len() else {
                        return Err(Walk::Malformed(
                            "its image header declares an impossible size",
                        ));
                    };
                    inflated = Some(Inflated::new(expected));
                    idat = Idat::Reading;
                }
                Idat::Reading => {}
            }
        } else if idat == Idat::Reading {
            idat = Idat::Done;
        }
        if kind == *b"PLTE" {
            palette = true;
        }

        // The data: CRC-32 over type and data, IDAT data inflated, IHDR data kept.
        let mut crc = flate2::Crc::new();
        crc.update(&kind);
        let mut ihdr = [0u8; 13];
        if is_ihdr && len != 13 {
            return Err(Walk::Malformed(
                "its image header (IHDR) has the wrong length",
            ));
        }
        // An inflate failure is reported after the chunk's CRC: a damaged chunk is told
        // as such, not by what its damage did to the stream.
        let mut inflate_failed = None;
        let mut left = u64::from(len);
        let mut at = 0usize;
        while left > 0 {
            let available = cursor.fill(reader)?;
            // Invariant: `left` bytes plus the CRC were checked to remain, so it is not empty.
            if available.is_empty() {
                return Err(Walk::Malformed(
                    "it is cut short (a chunk runs past the end of the file)",
                ));
            }
            let n = usize::try_from(left).map_or(available.len(), |l| l.min(available.len()));
            let piece = &available[..n];
            crc.update(piece);
            if is_ihdr {
                ihdr[at..at + n].copy_from_slice(piece);
                at += n;
            }
            if kind == *b"IDAT"
                && inflate_failed.is_none()
                && let Some(inflated) = inflated.as_mut()
            {
                inflate_failed = inflated.feed(piece).err();
            }
            cursor.skip(n as u64);
            left -= n as u64;
        }
        let mut stored = [0u8; 4];
        if !cursor.read_exact(reader, &mut stored)? {
            return Err(Walk::Malformed(
                "it is cut short (a chunk runs past the end of the file)",
            ));
        }
        if u32::from_be_bytes(stored) != crc.sum() {
            return Err(Walk::Malformed("a chunk's checksum (CRC) is wrong"));
        }
        if let Some(failed) = inflate_failed {
            return Err(failed);
        }
        if is_ihdr {
            header = Some(Header::parse(&ihdr)?);
        }
        if kind == *b"IEND" {
            return match &inflated {
                None => Err(Walk::Malformed("it has no image data (IDAT)")),
                Some(inflated) => inflated.finish(),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_images::{
        PNG_FORMATS, bits_per_pixel, check_as, crc32, every_cut_is_refused, filtered_len, ihdr,
        malformed, png_chunk, png_file, png_image, png_with_data_len, zlib,
    };
    use super::*;
    use crate::DocumentKind::Png;

    /// Odd sizes, so that partial bytes, partial Adam7 blocks and empty passes all occur.
    const SIZES: &[(u32, u32)] = &[(1, 1), (2, 1), (1, 5), (3, 2), (5, 5), (9, 7), (33, 17)];

    #[test]
    fn every_format_passes_with_exactly_its_data() {
        for &(colour, depth) in PNG_FORMATS {
            for interlace in [0, 1] {
                for &(width, height) in SIZES {
                    let what = format!(
                        "type {colour}, {depth} bits, interlace {interlace}, {width}x{height}"
                    );
                    let bytes = png_image(width, height, depth, colour, interlace);
                    assert_eq!(check_as(Png, &bytes).ok(), Some((width, height)), "{what}");
                    let len =
                        filtered_len(width, height, bits_per_pixel(colour, depth), interlace == 1);
                    let short = png_with_data_len(width, height, depth, colour, interlace, len - 1);
                    assert!(malformed(Png, &short).contains("shorter"), "{what}");
                    let long = png_with_data_len(width, height, depth, colour, interlace, len + 1);
                    assert!(malformed(Png, &long).contains("longer"), "{what}");
                }
            }
        }
    }

    #[test]
    fn the_data_size_follows_the_header() {
        let header = |width, height, bit_depth, colour_type, interlaced| Header {
            width,
            height,
            bit_depth,
            colour_type,
            interlaced,
        };
        // 8x8 Adam7, 8 bits grey: passes of 1x1, 1x1, 2x1, 2x2, 4x2, 4x4, 8x4 pixels.
        assert_eq!(
            header(8, 8, 8, 0, true).data_len(),
            Some(2 + 2 + 3 + 2 * 3 + 2 * 5 + 4 * 5 + 4 * 9)
        );
        // A 1x1 Adam7 image has only its first pass.
        assert_eq!(header(1, 1, 16, 6, true).data_len(), Some(1 + 8));
        // 16-bit RGBA: 8 bytes a pixel; 1-bit: 8 pixels a byte, rounded up.
        assert_eq!(header(3, 2, 16, 6, false).data_len(), Some(2 * (1 + 24)));
        assert_eq!(header(9, 2, 1, 3, false).data_len(), Some(2 * (1 + 2)));
        // Sizes past u64 are None, not a panic; the largest accepted sizes fit.
        assert_eq!(header(u32::MAX, u32::MAX, 16, 6, true).data_len(), None);
        assert_eq!(header(u32::MAX, u32::MAX, 16, 6, false).data_len(), None);
        let side = crate::MAX_IMAGE_SIDE;
        assert!(header(side, side, 16, 6, true).data_len().is_some());
    }

    #[test]
    fn invalid_headers_are_refused() {
        for (colour, depth) in [
            (0, 3),
            (0, 32),
            (2, 4),
            (3, 16),
            (4, 1),
            (6, 4),
            (1, 8),
            (5, 8),
            (7, 8),
        ] {
            let bytes = png_with_data_len(4, 4, depth, colour, 0, 20);
            assert!(
                malformed(Png, &bytes).contains("colour type and bit depth"),
                "{colour}/{depth}"
            );
        }
        // Compression method, filter method, interlace method.
        for (at, value) in [(10, 1), (11, 1), (12, 2)] {
            let mut data = ihdr(4, 4, 8, 0, 0)[8..21].to_vec();
            data[at] = value;
            let bytes = png_file(&[
                png_chunk(b"IHDR", &data),
                png_chunk(b"IDAT", &zlib(&[0; 20])),
                png_chunk(b"IEND", b""),
            ]);
            assert!(malformed(Png, &bytes).contains("method"), "byte {at}");
        }
    }

    #[test]
    fn chunk_structure_is_enforced() {
        let good = png_image(5, 3, 8, 2, 0);
        let data = zlib(&[0; 3 * 16]);
        let (head, iend) = (ihdr(5, 3, 8, 2, 0), png_chunk(b"IEND", b""));
        // The data may be split over consecutive IDAT chunks, even into empty ones.
        let split = png_file(&[
            head.clone(),
            png_chunk(b"tEXt", b"Title\0scan"),
            png_chunk(b"IDAT", &data[..3]),
            png_chunk(b"IDAT", b""),
            png_chunk(b"IDAT", &data[3..]),
            iend.clone(),
        ]);
        assert_eq!(check_as(Png, &split).ok(), Some((5, 3)));
        // Not consecutive.
        let apart = png_file(&[
            head.clone(),
            png_chunk(b"IDAT", &data[..3]),
            png_chunk(b"tEXt", b"Title\0scan"),
            png_chunk(b"IDAT", &data[3..]),
            iend.clone(),
        ]);
        assert!(malformed(Png, &apart).contains("not consecutive"));
        // No IDAT; IHDR twice; a chunk before IHDR (the header check sees IHDR's place).
        assert!(malformed(Png, &png_file(&[head.clone(), iend.clone()])).contains("no image data"));
        let twice = png_file(&[
            head.clone(),
            head.clone(),
            png_chunk(b"IDAT", &data),
            iend.clone(),
        ]);
        assert!(malformed(Png, &twice).contains("more than one"));
        // A chunk type that is not four letters; a length over 2^31 - 1.
        let mut bad_type = good.clone();
        bad_type[38] = b'1'; // "IDAT" -> "I1AT"
        assert_eq!(&good[37..41], b"IDAT");
        assert!(malformed(Png, &bad_type).contains("chunk type"));
        let mut bad_len = good.clone();
        bad_len[33..37].copy_from_slice(&0x8000_0000u32.to_be_bytes());
        assert!(malformed(Png, &bad_len).contains("length"));
        // Trailing bytes after IEND are accepted.
        let mut trailing = good.clone();
        trailing.extend_from_slice(b"\0\0padding");
        assert_eq!(check_as(Png, &trailing).ok(), Some((5, 3)));
    }

    #[test]
    fn every_crc_is_checked() {
        let good = png_image(5, 3, 8, 2, 0);
        // The CRC fields of IHDR, IDAT and IEND (the last four bytes of each chunk).
        let idat_len = u32::from_be_bytes([good[33], good[34], good[35], good[36]]) as usize;
        for crc_at in [29, 41 + idat_len, good.len() - 4] {
            let mut bytes = good.clone();
            bytes[crc_at] ^= 0x80;
            assert!(malformed(Png, &bytes).contains("CRC"), "CRC at {crc_at}");
        }
        // Damaged data: told by its CRC, not by what the damage does to the stream.
        let mut bytes = good.clone();
        bytes[43] ^= 0xFF;
        assert!(malformed(Png, &bytes).contains("CRC"));
        // The helper agrees with the file's own CRC.
        assert_eq!(crc32(&[b"IEND"]).to_be_bytes(), good[good.len() - 4..]);
    }

    #[test]
    fn a_palette_image_needs_its_palette() {
        let with = png_image(4, 4, 4, 3, 0);
        assert!(check_as(Png, &with).is_ok());
        let without = png_file(&[
            ihdr(4, 4, 4, 3, 0),
            png_chunk(b"IDAT", &zlib(&[0; 12])),
            png_chunk(b"IEND", b""),
        ]);
        assert!(malformed(Png, &without).contains("palette"));
    }

    #[test]
    fn the_stream_must_be_whole_and_valid() {
        let expected = filtered_len(6, 6, 24, false) as usize;
        let stream = zlib(&vec![0; expected]);
        let with_idat = |idat: &[u8]| {
            png_file(&[
                ihdr(6, 6, 8, 2, 0),
                png_chunk(b"IDAT", idat),
                png_chunk(b"IEND", b""),
            ])
        };
        assert!(check_as(Png, &with_idat(&stream)).is_ok());
        // Cut (its Adler-32 and end missing), with a correct chunk CRC.
        assert!(malformed(Png, &with_idat(&stream[..stream.len() - 4])).contains("cut short"));
        // Not zlib at all.
        assert!(malformed(Png, &with_idat(b"not a zlib stream")).contains("does not inflate"));
        // A wrong Adler-32.
        let mut adler = stream.clone();
        let last = adler.len() - 1;
        adler[last] ^= 1;
        assert!(malformed(Png, &with_idat(&adler)).contains("does not inflate"));
        // Bytes after the end of the stream, inside IDAT, are ignored (as libpng does).
        let mut extra = stream.clone();
        extra.extend_from_slice(b"junk");
        assert!(check_as(Png, &with_idat(&extra)).is_ok());
    }

    #[test]
    fn a_stream_far_longer_than_declared_stops_early() {
        // A 1x1 image whose IDAT inflates to 64 MiB: refused after 2 bytes of output
        // (the buffer is fixed), not inflated to its end.
        let bomb = zlib(&vec![0; 64 << 20]);
        let bytes = png_file(&[
            ihdr(1, 1, 8, 0, 0),
            png_chunk(b"IDAT", &bomb),
            png_chunk(b"IEND", b""),
        ]);
        assert!(malformed(Png, &bytes).contains("longer"));
        let mut inflated = Inflated::new(2);
        assert!(inflated.feed(&bomb).is_err());
        assert!(inflated.inflater.total_out() <= 3);
    }

    #[test]
    fn a_cut_anywhere_is_refused() {
        every_cut_is_refused(Png, &png_image(9, 7, 8, 6, 1), 8);
        // The committed fixture too, Adam7 and 16 bits.
        let adam7 = include_bytes!("../../tests/fixtures/good/scan-adam7.png");
        assert_eq!(adam7[28], 1, "the fixture is interlaced");
        every_cut_is_refused(Png, adam7, 8);
    }
}
