//! GIF: the blocks after the header, to the trailer (0x3B).
//!
//! After the logical screen descriptor (and its global colour table, when it has one)
//! come blocks: extensions (0x21, a label, then data sub-blocks) and images (0x2C, an
//! image descriptor, a local colour table when it has one, the LZW minimum code size,
//! then data sub-blocks), until the trailer. Each is walked through a fixed buffer; the
//! LZW data is not decoded. Refused: a file cut anywhere (no trailer), a block of an
//! unknown kind, no image, an image without data, an LZW minimum code size outside
//! 2..=8 (the range the GIF89a specification gives), and a frame over the image size
//! limits (a small logical screen does not hide a huge frame). Bytes after the trailer
//! are accepted, as every reader ignores them.
//!
//! Memory: one read buffer. Time: linear in the file.

use std::io::{Read, Seek};

use super::Walk;
use crate::read::Forward;
use crate::{DocumentError, DocumentKind};

/// The logical screen descriptor starts after the 6-byte signature.
const SCREEN_DESCRIPTOR: u64 = 6;
const EXTENSION: u8 = 0x21;
const IMAGE: u8 = 0x2C;
const TRAILER: u8 = 0x3B;
/// The flag, in a descriptor's packed byte, of a following colour table.
const COLOUR_TABLE_FLAG: u8 = 0x80;

/// Walks a GIF of `size` bytes whose signature was checked.
pub(super) fn walk<R: Read + Seek>(reader: &mut R, size: u64) -> Result<(), Walk> {
    let mut cursor = Forward::new(SCREEN_DESCRIPTOR, size);
    let mut screen = [0u8; 7]; // width, height, packed, background, aspect
    if !cursor.read_exact(reader, &mut screen)? {
        return Err(cut_short());
    }
    skip_colour_table(&mut cursor, screen[4])?;
    let mut images = 0u64;
    loop {
        let Some(block) = cursor.byte(reader)? else {
            return Err(cut_short());
        };
        match block {
            TRAILER => {
                return if images == 0 {
                    Err(Walk::Malformed("it has no image"))
                } else {
                    Ok(())
                };
            }
            EXTENSION => {
                if cursor.byte(reader)?.is_none() {
                    return Err(cut_short());
                }
                sub_blocks(reader, &mut cursor)?;
            }
            IMAGE => {
                // left, top, width, height (little-endian), packed
                let mut descriptor = [0u8; 9];
                if !cursor.read_exact(reader, &mut descriptor)? {
                    return Err(cut_short());
                }
                let width = u32::from(u16::from_le_bytes([descriptor[4], descriptor[5]]));
                let height = u32::from(u16::from_le_bytes([descriptor[6], descriptor[7]]));
                if super::too_large(width, height) {
                    return Err(Walk::Failed(DocumentError::ImageTooLarge {
                        kind: DocumentKind::Gif,
                        width,
                        height,
                    }));
                }
                skip_colour_table(&mut cursor, descriptor[8])?;
                let Some(code_size) = cursor.byte(reader)? else {
                    return Err(cut_short());
                };
                if !(2..=8).contains(&code_size) {
                    return Err(Walk::Malformed(
                        "an image has an invalid LZW minimum code size",
                    ));
                }
                if sub_blocks(reader, &mut cursor)? == 0 {
                    return Err(Walk::Malformed("an image has no data"));
                }
                images += 1;
            }
            _ => return Err(Walk::Malformed("it has a block of an unknown kind")),
        }
    }
}

fn cut_short() -> Walk {
    Walk::Malformed("it is cut short (it does not reach its trailer)")
}

/// Skips the colour table a descriptor's packed byte announces: 3 x 2^(n+1) bytes.
fn skip_colour_table(cursor: &mut Forward, packed: u8) -> Result<(), Walk> {
    if packed & COLOUR_TABLE_FLAG != 0 && !cursor.skip(3 << ((packed & 0x07) + 1)) {
        return Err(cut_short());
    }
    Ok(())
}

/// Skips data sub-blocks (a length byte, that many bytes) to the terminator (length 0);
/// returns the data bytes they held.
fn sub_blocks<R: Read + Seek>(reader: &mut R, cursor: &mut Forward) -> Result<u64, Walk> {
    let mut total = 0u64;
    loop {
        match cursor.byte(reader)? {
            None => return Err(cut_short()),
            Some(0) => return Ok(total),
            Some(len) => {
                if !cursor.skip(u64::from(len)) {
                    return Err(cut_short());
                }
                total += u64::from(len);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_images::{check_as, every_cut_is_refused, gif, gif_image, malformed};
    use crate::DocumentError;
    use crate::DocumentKind::Gif;

    /// An extension block: introducer, label, data sub-blocks, terminator.
    fn extension(label: u8, sub_blocks: &[&[u8]]) -> Vec<u8> {
        let mut out = vec![0x21, label];
        for block in sub_blocks {
            out.push(block.len() as u8);
            out.extend_from_slice(block);
        }
        out.push(0);
        out
    }

    #[test]
    fn an_animation_passes_and_every_cut_is_refused() {
        let bytes = gif(
            8,
            6,
            &[
                extension(0xFF, &[b"NETSCAPE2.0", &[1, 0, 0]]),
                extension(0xF9, &[&[4, 10, 0, 0]]),
                gif_image(8, 6, None),
                extension(0xFE, &[b"a comment", b"in two sub-blocks"]),
                extension(0xF9, &[&[4, 10, 0, 0]]),
                gif_image(4, 3, Some(2)),
            ],
        );
        assert_eq!(check_as(Gif, &bytes).ok(), Some((8, 6)));
        every_cut_is_refused(Gif, &bytes, 6);
        let animated = include_bytes!("../../tests/fixtures/good/stamp-animated.gif");
        every_cut_is_refused(Gif, animated, 6);
    }

    #[test]
    fn blocks_are_checked() {
        // No image; an unknown block; an image without data.
        assert!(malformed(Gif, &gif(4, 4, &[])).contains("no image"));
        let unknown = gif(4, 4, &[vec![0x2A, 0, 0], gif_image(1, 1, None)]);
        assert!(malformed(Gif, &unknown).contains("unknown"));
        let mut empty = gif_image(1, 1, None);
        empty.truncate(empty.len() - 4); // drop the data sub-block, keep the code size
        empty.push(0);
        assert!(malformed(Gif, &gif(4, 4, &[empty])).contains("no data"));
        // Bytes after the trailer are accepted.
        let mut trailing = gif(4, 4, &[gif_image(1, 1, None)]);
        trailing.extend_from_slice(b"\0\0junk");
        assert_eq!(check_as(Gif, &trailing).ok(), Some((4, 4)));
    }

    #[test]
    fn the_lzw_code_size_is_2_to_8() {
        for code_size in [0u8, 1, 2, 8, 9, 12, 255] {
            let mut image = gif_image(1, 1, None);
            let at = image.len() - 5; // code size, then [2, data, data], terminator
            image[at] = code_size;
            let result = check_as(Gif, &gif(4, 4, &[image]));
            if (2..=8).contains(&code_size) {
                assert!(result.is_ok(), "{code_size}: {result:?}");
            } else {
                assert!(
                    matches!(result, Err(DocumentError::ImageMalformed { reason, .. }) if reason.contains("LZW")),
                    "{code_size}: {result:?}"
                );
            }
        }
    }

    #[test]
    fn a_frame_over_the_limits_is_refused_even_on_a_small_screen() {
        let bytes = gif(1, 1, &[gif_image(40_000, 1, None)]);
        assert!(matches!(
            check_as(Gif, &bytes),
            Err(DocumentError::ImageTooLarge { width: 40_000, .. })
        ));
        let bytes = gif(1, 1, &[gif_image(20_000, 20_000, None)]);
        assert!(matches!(
            check_as(Gif, &bytes),
            Err(DocumentError::ImageTooLarge { .. })
        ));
    }
}
