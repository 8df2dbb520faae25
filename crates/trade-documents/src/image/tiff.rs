//! TIFF: the image data of each page (IFD) the dimension check walks.
//!
//! A page holds its data in strips (StripOffsets 273 / StripByteCounts 279) or in tiles
//! (TileOffsets 324 / TileByteCounts 325, with TileWidth 322 / TileLength 323). Both
//! arrays must be there, as SHORT or LONG values inside the file, with the same count,
//! and at least as many entries as the page's size needs (strips: ceil(height /
//! RowsPerStrip), tiles: across x down; times SamplesPerPixel when the planes are
//! separate, PlanarConfiguration 2). Every strip or tile lies inside the file; a needed
//! one is not empty. Uncompressed (Compression 1) strips and tiles must hold all their
//! rows: rows x ceil(width x bits per pixel / 8) bytes (a whole tile for tiles). For
//! subsampled YCbCr (PhotometricInterpretation 6) that size depends on the subsampling;
//! uncompressed YCbCr is rare, and its sizes are not held to it. Compressed data is not
//! decoded. Entries past the needed count are only held to lie inside the file. The
//! values of every tag (of a known type) that do not fit in its entry must lie inside the
//! file too: a file cut after its directory loses them.
//!
//! Memory: two read buffers (offsets and byte counts walked side by side). Time: linear
//! in the file: the arrays lie inside it, and a budget over all pages (see
//! [`ChunkBudget`]) keeps pages that share one array from walking it again and again.

use std::io::{Read, Seek};

use super::Walk;
use crate::read::Forward;

const BITS_PER_SAMPLE: u16 = 258;
const COMPRESSION: u16 = 259;
const PHOTOMETRIC: u16 = 262;
const STRIP_OFFSETS: u16 = 273;
const SAMPLES_PER_PIXEL: u16 = 277;
const ROWS_PER_STRIP: u16 = 278;
const STRIP_BYTE_COUNTS: u16 = 279;
const PLANAR_CONFIGURATION: u16 = 284;
const TILE_WIDTH: u16 = 322;
const TILE_LENGTH: u16 = 323;
const TILE_OFFSETS: u16 = 324;
const TILE_BYTE_COUNTS: u16 = 325;

const TYPE_SHORT: u16 = 3;
const TYPE_LONG: u16 = 4;
const COMPRESSION_NONE: u64 = 1;
const PHOTOMETRIC_YCBCR: u64 = 6;
const PLANAR_SEPARATE: u64 = 2;

/// One page directory, as read by the dimension check.
pub(super) struct Page<'a> {
    /// Where the directory starts in the file (its entry count).
    pub(super) offset: u64,
    /// Its entries, 12 bytes each, then the next-directory offset.
    pub(super) table: &'a [u8],
    pub(super) big_endian: bool,
    pub(super) width: u32,
    pub(super) height: u32,
}

/// One directory entry: tag, field type, value count, and where its values are.
struct Field {
    kind: u16,
    count: u64,
    /// Document offset of the 4-byte value field inside the entry.
    value_field: u64,
    /// The value field read as an offset (where the values are when they do not fit).
    value_offset: u64,
}

impl Page<'_> {
    fn u16_at(&self, b: &[u8], at: usize) -> u16 {
        let v = [b[at], b[at + 1]];
        if self.big_endian {
            u16::from_be_bytes(v)
        } else {
            u16::from_le_bytes(v)
        }
    }

    fn u32_at(&self, b: &[u8], at: usize) -> u32 {
        let v = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        if self.big_endian {
            u32::from_be_bytes(v)
        } else {
            u32::from_le_bytes(v)
        }
    }

    fn field(&self, tag: u16) -> Option<Field> {
        // The last 4 bytes of the table are the next-directory offset, not an entry.
        let entries = &self.table[..self.table.len().saturating_sub(4)];
        entries
            .chunks_exact(12)
            .enumerate()
            .find(|(_, entry)| self.u16_at(entry, 0) == tag)
            .map(|(i, entry)| Field {
                kind: self.u16_at(entry, 2),
                count: u64::from(self.u32_at(entry, 4)),
                value_field: self.offset + 2 + 12 * i as u64 + 8,
                value_offset: u64::from(self.u32_at(entry, 8)),
            })
    }

    /// Every tag's values that do not fit in its entry lie inside the file (a file cut
    /// after its directory loses them: tables the data needs, such as JPEGTables, or
    /// the strip arrays). Tags of a type this reader does not know are not checked, as
    /// readers skip them.
    fn values_inside(&self, size: u64) -> Result<(), Walk> {
        let entries = &self.table[..self.table.len().saturating_sub(4)];
        for entry in entries.chunks_exact(12) {
            let width: u64 = match self.u16_at(entry, 2) {
                1 | 2 | 6 | 7 => 1,   // BYTE, ASCII, SBYTE, UNDEFINED
                3 | 8 => 2,           // SHORT, SSHORT
                4 | 9 | 11 | 13 => 4, // LONG, SLONG, FLOAT, IFD
                5 | 10 | 12 => 8,     // RATIONAL, SRATIONAL, DOUBLE
                _ => continue,
            };
            let bytes = u64::from(self.u32_at(entry, 4)) * width;
            let start = u64::from(self.u32_at(entry, 8));
            if bytes > 4 && start.checked_add(bytes).is_none_or(|end| end > size) {
                return Err(Walk::Malformed("the values of a tag lie outside the file"));
            }
        }
        Ok(())
    }

    /// The single SHORT or LONG value of a tag, or `default` when the tag is absent.
    fn scalar<R: Read + Seek>(
        &self,
        reader: &mut R,
        size: u64,
        tag: u16,
        default: u64,
    ) -> Result<u64, Walk> {
        match self.field(tag) {
            None => Ok(default),
            Some(field) if field.count == 1 => {
                let mut values = self.values(&field, size)?;
                values
                    .next(reader)?
                    .ok_or(Walk::Malformed("a tag of a page has an unexpected form"))
            }
            Some(_) => Err(Walk::Malformed("a tag of a page has an unexpected form")),
        }
    }

    /// The first value of a tag that may hold one per sample (BitsPerSample).
    fn first<R: Read + Seek>(
        &self,
        reader: &mut R,
        size: u64,
        tag: u16,
        default: u64,
    ) -> Result<u64, Walk> {
        match self.field(tag) {
            None => Ok(default),
            Some(field) => self
                .values(&field, size)?
                .next(reader)?
                .ok_or(Walk::Malformed("a tag of a page has no value")),
        }
    }

    /// A reader of a tag's SHORT or LONG values, inside the file.
    fn values(&self, field: &Field, size: u64) -> Result<Values, Walk> {
        let width = match field.kind {
            TYPE_SHORT => 2,
            TYPE_LONG => 4,
            _ => return Err(Walk::Malformed("a tag of a page has an unexpected form")),
        };
        let bytes = field.count * width;
        let start = if bytes <= 4 {
            field.value_field
        } else {
            field.value_offset
        };
        if start.checked_add(bytes).is_none_or(|end| end > size) {
            return Err(Walk::Malformed("the values of a tag lie outside the file"));
        }
        Ok(Values {
            cursor: Forward::new(start, start + bytes),
            width,
            big_endian: self.big_endian,
        })
    }
}

/// How a page's data is cut: in strips of rows, or in tiles.
enum Layout {
    Strips {
        /// At most the height (at least 1).
        rows_per_strip: u64,
        height: u64,
        row_bytes: u64,
    },
    Tiles {
        across: u64,
        down: u64,
        tile_bytes: u64,
    },
}

impl Layout {
    /// Strips or tiles in one plane.
    fn per_plane(&self) -> u64 {
        match *self {
            Layout::Strips {
                rows_per_strip,
                height,
                ..
            } => height.div_ceil(rows_per_strip),
            Layout::Tiles { across, down, .. } => across.saturating_mul(down),
        }
    }

    /// The bytes the `index`-th strip or tile of a plane needs uncompressed: its rows
    /// (the last strip may have fewer), or a whole tile (edge tiles are padded).
    fn chunk_bytes(&self, index: u64) -> u64 {
        match *self {
            Layout::Strips {
                rows_per_strip,
                height,
                row_bytes,
            } => {
                let first_row = index.saturating_mul(rows_per_strip);
                rows_per_strip
                    .min(height.saturating_sub(first_row))
                    .saturating_mul(row_bytes)
            }
            Layout::Tiles { tile_bytes, .. } => tile_bytes,
        }
    }
}

/// SHORT or LONG values read one by one.
struct Values {
    cursor: Forward,
    width: u64,
    big_endian: bool,
}

impl Values {
    fn next<R: Read + Seek>(&mut self, reader: &mut R) -> Result<Option<u64>, Walk> {
        let mut bytes = [0u8; 4];
        // Invariant: width is 2 or 4.
        let bytes = &mut bytes[..self.width as usize];
        if !self.cursor.read_exact(reader, bytes)? {
            return Ok(None);
        }
        let value = match (&*bytes, self.big_endian) {
            (&[a, b], false) => u64::from(u16::from_le_bytes([a, b])),
            (&[a, b], true) => u64::from(u16::from_be_bytes([a, b])),
            (&[a, b, c, d], false) => u64::from(u32::from_le_bytes([a, b, c, d])),
            (&[a, b, c, d], true) => u64::from(u32::from_be_bytes([a, b, c, d])),
            _ => return Ok(None),
        };
        Ok(Some(value))
    }
}

/// How many strip or tile entries the pages of one file may still have walked.
pub(super) struct ChunkBudget(u64);

impl ChunkBudget {
    /// For a file of `size` bytes with at most `pages` pages: an entry takes at least
    /// 4 bytes of the file (a SHORT offset and a SHORT byte count), except the two that
    /// fit inline in each directory.
    pub(super) fn new(size: u64, pages: usize) -> Self {
        ChunkBudget(size / 4 + 2 * pages as u64)
    }

    fn take(&mut self) -> Result<(), Walk> {
        self.0 = self.0.checked_sub(1).ok_or(Walk::Malformed(
            "its pages list more strips or tiles than the file can hold",
        ))?;
        Ok(())
    }
}

/// Checks the strips or tiles of one page of a TIFF of `size` bytes.
pub(super) fn check_page<R: Read + Seek>(
    reader: &mut R,
    size: u64,
    page: &Page<'_>,
    budget: &mut ChunkBudget,
) -> Result<(), Walk> {
    page.values_inside(size)?;
    let width = u64::from(page.width);
    let height = u64::from(page.height);
    let compression = page.scalar(reader, size, COMPRESSION, COMPRESSION_NONE)?;
    let photometric = page.scalar(reader, size, PHOTOMETRIC, 0)?;
    let samples = page.scalar(reader, size, SAMPLES_PER_PIXEL, 1)?;
    let bits = page.first(reader, size, BITS_PER_SAMPLE, 1)?;
    let planar = page.scalar(reader, size, PLANAR_CONFIGURATION, 1)? == PLANAR_SEPARATE;
    if samples == 0 || bits == 0 {
        return Err(Walk::Malformed(
            "a page declares zero samples per pixel or zero bits per sample",
        ));
    }
    // Bits per pixel of one plane: every sample, or one when the planes are separate.
    // Saturating: the values come from the file, and a saturated size only fails checks.
    let plane_bits = if planar {
        bits
    } else {
        bits.saturating_mul(samples)
    };
    let planes = if planar { samples } else { 1 };

    let tiled = page.field(TILE_WIDTH).is_some() || page.field(TILE_OFFSETS).is_some();
    let layout = if tiled {
        let tile_width = page.scalar(reader, size, TILE_WIDTH, 0)?;
        let tile_length = page.scalar(reader, size, TILE_LENGTH, 0)?;
        if tile_width == 0 || tile_length == 0 {
            return Err(Walk::Malformed("a page declares tiles of no size"));
        }
        Layout::Tiles {
            across: width.div_ceil(tile_width),
            down: height.div_ceil(tile_length),
            tile_bytes: tile_length
                .saturating_mul(tile_width.saturating_mul(plane_bits).div_ceil(8)),
        }
    } else {
        let rows_per_strip = page.scalar(reader, size, ROWS_PER_STRIP, u64::from(u32::MAX))?;
        if rows_per_strip == 0 {
            return Err(Walk::Malformed("a page declares strips of no rows"));
        }
        Layout::Strips {
            rows_per_strip: rows_per_strip.min(height),
            height,
            row_bytes: width.saturating_mul(plane_bits).div_ceil(8),
        }
    };
    let (offsets_tag, counts_tag) = if tiled {
        (TILE_OFFSETS, TILE_BYTE_COUNTS)
    } else {
        (STRIP_OFFSETS, STRIP_BYTE_COUNTS)
    };
    let per_plane = layout.per_plane();
    let chunk_bytes = |index| layout.chunk_bytes(index);
    let needed = per_plane.saturating_mul(planes);
    let (Some(offsets), Some(counts)) = (page.field(offsets_tag), page.field(counts_tag)) else {
        return Err(Walk::Malformed(
            "a page has no image data (its strip or tile offsets or byte counts are missing)",
        ));
    };
    if offsets.count != counts.count {
        return Err(Walk::Malformed(
            "a page has different numbers of data offsets and byte counts",
        ));
    }
    if offsets.count < needed {
        return Err(Walk::Malformed(
            "a page has fewer strips or tiles than its size needs",
        ));
    }
    let uncompressed = compression == COMPRESSION_NONE && photometric != PHOTOMETRIC_YCBCR;
    let mut offsets = page.values(&offsets, size)?;
    let mut counts = page.values(&counts, size)?;
    let mut index = 0u64;
    while let (Some(offset), Some(count)) = (offsets.next(reader)?, counts.next(reader)?) {
        budget.take()?;
        if offset.checked_add(count).is_none_or(|end| end > size) {
            return Err(Walk::Malformed(
                "a strip or tile of its image data lies outside the file",
            ));
        }
        if index < needed {
            if count == 0 {
                return Err(Walk::Malformed(
                    "a strip or tile of its image data is empty",
                ));
            }
            if uncompressed && count < chunk_bytes(index.checked_rem(per_plane).unwrap_or(0)) {
                return Err(Walk::Malformed(
                    "its image data is shorter than its size needs",
                ));
            }
        }
        index += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_images::{
        LONG, SHORT, Tag, check_as, every_cut_is_refused, malformed, strip_tags, tiff_page,
        with_tag,
    };
    use crate::DocumentKind::Tiff;

    /// A 10x7 8-bit grey page in strips of `rows` rows, each strip exactly its size.
    fn strips(big_endian: bool, rows: u32) -> Vec<u8> {
        let chunks: Vec<Vec<u8>> = (0..7u32.div_ceil(rows))
            .map(|i| vec![0x80; (10 * rows.min(7 - i * rows)) as usize])
            .collect();
        tiff_page(big_endian, &chunks, |o, c| strip_tags(10, 7, rows, o, c))
    }

    #[test]
    fn strips_that_hold_their_rows_pass_and_every_cut_is_refused() {
        for big_endian in [false, true] {
            for rows in [1, 3, 7, 100] {
                let bytes = strips(big_endian, rows);
                assert_eq!(check_as(Tiff, &bytes).ok(), Some((10, 7)), "{rows} rows");
            }
            every_cut_is_refused(Tiff, &strips(big_endian, 3), 4);
        }
        for fixture in [
            &include_bytes!("../../tests/fixtures/good/scan-uncompressed.tif")[..],
            &include_bytes!("../../tests/fixtures/good/scan.tif")[..],
        ] {
            every_cut_is_refused(Tiff, fixture, 4);
        }
    }

    #[test]
    fn uncompressed_strips_must_hold_their_rows() {
        // The last strip (1 row of 3) one byte short; a middle strip one byte short.
        let chunks = [vec![0; 30], vec![0; 30], vec![0; 9]];
        let bytes = tiff_page(false, &chunks, |o, c| strip_tags(10, 7, 3, o, c));
        assert!(malformed(Tiff, &bytes).contains("shorter"));
        let chunks = [vec![0; 30], vec![0; 29], vec![0; 10]];
        let bytes = tiff_page(false, &chunks, |o, c| strip_tags(10, 7, 3, o, c));
        assert!(malformed(Tiff, &bytes).contains("shorter"));
        // Compressed (LZW, 5): not decoded, so short strips are fine, empty ones are not.
        let chunks = [vec![0; 3], vec![0; 2], vec![0; 1]];
        let lzw =
            |o: &[u32], c: &[u32]| with_tag(strip_tags(10, 7, 3, o, c), Tag(259, SHORT, vec![5]));
        assert!(check_as(Tiff, &tiff_page(false, &chunks, lzw)).is_ok());
        let chunks = [vec![0; 3], vec![], vec![0; 1]];
        assert!(malformed(Tiff, &tiff_page(false, &chunks, lzw)).contains("empty"));
        // Bits per sample and samples per pixel count: 16-bit RGB needs 6 bytes a pixel.
        let rgb16 = |o: &[u32], c: &[u32]| {
            let tags = with_tag(
                strip_tags(10, 7, 7, o, c),
                Tag(258, SHORT, vec![16, 16, 16]),
            );
            with_tag(tags, Tag(277, SHORT, vec![3]))
        };
        assert!(check_as(Tiff, &tiff_page(false, &[vec![0; 10 * 7 * 6]], rgb16)).is_ok());
        assert!(
            malformed(Tiff, &tiff_page(false, &[vec![0; 10 * 7 * 6 - 1]], rgb16))
                .contains("shorter")
        );
        // 1 bit per pixel: rows are rounded up to whole bytes (10 pixels: 2 bytes).
        let bilevel =
            |o: &[u32], c: &[u32]| with_tag(strip_tags(10, 7, 7, o, c), Tag(258, SHORT, vec![1]));
        assert!(check_as(Tiff, &tiff_page(false, &[vec![0; 14]], bilevel)).is_ok());
        assert!(malformed(Tiff, &tiff_page(false, &[vec![0; 13]], bilevel)).contains("shorter"));
    }

    #[test]
    fn separate_planes_need_a_strip_set_each() {
        let planar = |o: &[u32], c: &[u32]| {
            let tags = with_tag(strip_tags(10, 7, 7, o, c), Tag(277, SHORT, vec![3]));
            with_tag(tags, Tag(284, SHORT, vec![2]))
        };
        let three = [vec![0; 70], vec![0; 70], vec![0; 70]];
        assert!(check_as(Tiff, &tiff_page(false, &three, planar)).is_ok());
        assert!(malformed(Tiff, &tiff_page(false, &three[..2], planar)).contains("fewer"));
    }

    #[test]
    fn tiles_are_checked_like_strips() {
        // 10x7 in 8x4 tiles: 2 across, 2 down, each a whole 8x4 tile (edges padded).
        let tiled = |o: &[u32], c: &[u32]| {
            vec![
                Tag(256, SHORT, vec![10]),
                Tag(257, SHORT, vec![7]),
                Tag(258, SHORT, vec![8]),
                Tag(322, SHORT, vec![8]),
                Tag(323, SHORT, vec![4]),
                Tag(324, LONG, o.to_vec()),
                Tag(325, LONG, c.to_vec()),
            ]
        };
        let tiles = vec![vec![0; 32]; 4];
        assert!(check_as(Tiff, &tiff_page(true, &tiles, tiled)).is_ok());
        assert!(malformed(Tiff, &tiff_page(true, &tiles[..3], tiled)).contains("fewer"));
        let mut short = tiles.clone();
        short[3].pop();
        assert!(malformed(Tiff, &tiff_page(true, &short, tiled)).contains("shorter"));
        let no_size = |o: &[u32], c: &[u32]| with_tag(tiled(o, c), Tag(322, SHORT, vec![0]));
        assert!(malformed(Tiff, &tiff_page(true, &tiles, no_size)).contains("no size"));
    }

    #[test]
    fn the_arrays_must_be_there_agree_and_lie_inside_the_file() {
        let chunks = [vec![0; 30], vec![0; 30], vec![0; 10]];
        let page = |f: &dyn Fn(Vec<Tag>) -> Vec<Tag>| {
            tiff_page(false, &chunks, |o, c| f(strip_tags(10, 7, 3, o, c)))
        };
        // Offsets, or byte counts, missing.
        for tag in [273u16, 279] {
            let bytes = page(&|mut tags| {
                tags.retain(|t| t.0 != tag);
                tags
            });
            assert!(malformed(Tiff, &bytes).contains("no image data"), "{tag}");
        }
        // Counts that differ.
        let bytes = page(&|tags| with_tag(tags, Tag(279, LONG, vec![30, 30])));
        assert!(malformed(Tiff, &bytes).contains("different numbers"));
        // A strip past the end of the file (offset, or offset + count).
        let bytes = page(&|tags| with_tag(tags, Tag(273, LONG, vec![8, 38, 100_000])));
        assert!(malformed(Tiff, &bytes).contains("outside the file"));
        let bytes = page(&|tags| with_tag(tags, Tag(279, LONG, vec![30, 30, u32::MAX])));
        assert!(malformed(Tiff, &bytes).contains("outside the file"));
        // Even a strip past those the page needs must lie inside the file.
        let bytes = page(&|tags| {
            let tags = with_tag(tags, Tag(273, LONG, vec![8, 38, 68, 100_000]));
            with_tag(tags, Tag(279, LONG, vec![30, 30, 10, 1]))
        });
        assert!(malformed(Tiff, &bytes).contains("outside the file"));
        // SHORT arrays, inline (two values fit in the entry) or not.
        let bytes = tiff_page(false, &[vec![0; 40], vec![0; 30]], |o, c| {
            let tags = with_tag(strip_tags(10, 7, 4, o, c), Tag(273, SHORT, o.to_vec()));
            with_tag(tags, Tag(279, SHORT, c.to_vec()))
        });
        assert!(check_as(Tiff, &bytes).is_ok());
        // An array of another type (ASCII) for the offsets.
        let bytes = page(&|tags| with_tag(tags, Tag(273, 2, vec![8, 38, 68])));
        assert!(malformed(Tiff, &bytes).contains("unexpected form"));
        // A tag whose values lie past the end of the file (the file was cut after its
        // directory): any tag of a known type.
        let mut bytes = page(&|tags| with_tag(tags, Tag(305, SHORT, vec![0x41; 12])));
        bytes.truncate(bytes.len() - 1);
        assert!(malformed(Tiff, &bytes).contains("values of a tag"));
        // Zero rows per strip; zero samples per pixel.
        let bytes = page(&|tags| with_tag(tags, Tag(278, LONG, vec![0])));
        assert!(malformed(Tiff, &bytes).contains("no rows"));
        let bytes = page(&|tags| with_tag(tags, Tag(277, SHORT, vec![0])));
        assert!(malformed(Tiff, &bytes).contains("zero samples"));
    }

    #[test]
    fn pages_sharing_one_array_do_not_walk_it_again_and_again() {
        // One array of 2,000 strips (each offset 8, 1 byte) shared by `pages` pages of
        // 1x2000 compressed images, each page needing all 2,000 strips.
        let file = |pages: u32| {
            let strips = 2_000u32;
            let mut out = b"II*\0".to_vec();
            out.extend_from_slice(&0u32.to_le_bytes());
            out.push(0); // the one data byte, at 8
            let offsets_at = out.len() as u32;
            for _ in 0..strips {
                out.extend_from_slice(&8u32.to_le_bytes());
            }
            let counts_at = out.len() as u32;
            for _ in 0..strips {
                out.extend_from_slice(&1u32.to_le_bytes());
            }
            let first = out.len() as u32;
            out[4..8].copy_from_slice(&first.to_le_bytes());
            let tags = [
                (256u16, LONG, 1u32, 1u32),
                (257, LONG, 1, strips),
                (259, SHORT, 1, 5),
                (273, LONG, strips, offsets_at),
                (278, LONG, 1, 1),
                (279, LONG, strips, counts_at),
            ];
            for page in 0..pages {
                out.extend_from_slice(&(tags.len() as u16).to_le_bytes());
                for (tag, kind, count, value) in tags {
                    out.extend_from_slice(&tag.to_le_bytes());
                    out.extend_from_slice(&kind.to_le_bytes());
                    out.extend_from_slice(&count.to_le_bytes());
                    out.extend_from_slice(&value.to_le_bytes());
                }
                let next = if page + 1 < pages {
                    out.len() as u32 + 4
                } else {
                    0
                };
                out.extend_from_slice(&next.to_le_bytes());
            }
            out
        };
        // Two pages sharing it: within what the file could hold apart.
        assert!(check_as(Tiff, &file(2)).is_ok());
        // Fifty: 100,000 entries from a file of about 20 KB.
        assert!(malformed(Tiff, &file(50)).contains("more strips or tiles"));
    }

    #[test]
    fn huge_declared_values_do_not_overflow() {
        let chunks = [vec![0; 70]];
        for (tag, value) in [(258u16, u32::MAX), (277, u32::MAX), (278, u32::MAX)] {
            let bytes = tiff_page(false, &chunks, |o, c| {
                with_tag(strip_tags(10, 7, 7, o, c), Tag(tag, LONG, vec![value]))
            });
            // Refused or not, never a panic.
            let _ = check_as(Tiff, &bytes);
        }
    }
}
