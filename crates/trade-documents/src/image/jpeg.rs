//! JPEG: everything after the frame header, to the end-of-image marker (EOI, FFD9).
//!
//! Marker segments are skipped by their length (each inside the file); each start of
//! scan (SOS) must have a well-formed header and be followed by entropy-coded data,
//! which is walked byte by byte through a fixed buffer: `FF 00` is a stuffed data byte,
//! `FF D0`..`FF D7` are restart markers inside the scan, `FF FF` is fill, and any other
//! marker ends the scan. Progressive and multi-scan files have further SOS segments (with
//! tables between them); all are walked. There must be at least one scan, and the file
//! must reach EOI: a file cut inside its scan data is refused. Bytes after EOI are
//! accepted (cameras and phones append preview images and vendor trailers there).
//!
//! Memory: one read buffer. Time: linear in the file.

use std::io::{Read, Seek};

use super::{MAX_JPEG_FILL_BYTES, Walk};
use crate::read::Forward;

const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const SOI: u8 = 0xD8;

/// Walks from `pos` (the first byte after the frame header segment) to EOI.
pub(super) fn walk<R: Read + Seek>(reader: &mut R, size: u64, pos: u64) -> Result<(), Walk> {
    let mut cursor = Forward::new(pos, size);
    let mut scans = 0u64;
    // A marker already read (the one that ended a scan), to handle before reading on.
    let mut pending: Option<u8> = None;
    loop {
        let marker = match pending.take() {
            Some(marker) => marker,
            None => next_marker(reader, &mut cursor)?,
        };
        match marker {
            EOI => {
                return if scans == 0 {
                    Err(Walk::Malformed("it has no image data (no scan)"))
                } else {
                    Ok(())
                };
            }
            SOI => return Err(Walk::Malformed("its markers are damaged")),
            // Standalone markers: TEM, and RSTn between segments (tolerated, as libjpeg does).
            0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        let mut len = [0u8; 2];
        if !cursor.read_exact(reader, &mut len)? {
            return Err(cut_short());
        }
        let len = u64::from(u16::from_be_bytes(len));
        if len < 2 {
            return Err(Walk::Malformed("a segment length is wrong"));
        }
        if marker == SOS {
            // Scan header: component count Ns (1..=4), 2 bytes per component, then the
            // spectral selection and approximation bytes: 6 + 2 Ns in all.
            let Some(components) = cursor.byte(reader)? else {
                return Err(cut_short());
            };
            if !(1..=4).contains(&components) || len != 6 + 2 * u64::from(components) {
                return Err(Walk::Malformed("a scan header is damaged"));
            }
            if !cursor.skip(len - 3) {
                return Err(cut_short());
            }
            let (next, data) = scan_data(reader, &mut cursor)?;
            if data == 0 {
                return Err(Walk::Malformed("a scan has no image data"));
            }
            scans += 1;
            pending = Some(next);
        } else if !cursor.skip(len - 2) {
            return Err(cut_short());
        }
    }
}

fn cut_short() -> Walk {
    Walk::Malformed("it is cut short (it does not reach its end marker)")
}

/// Reads a marker between segments: FF, optional FF fill bytes, the marker code.
fn next_marker<R: Read + Seek>(reader: &mut R, cursor: &mut Forward) -> Result<u8, Walk> {
    match cursor.byte(reader)? {
        None => return Err(cut_short()),
        Some(0xFF) => {}
        Some(_) => return Err(Walk::Malformed("its markers are damaged")),
    }
    for _ in 0..MAX_JPEG_FILL_BYTES {
        match cursor.byte(reader)? {
            None => return Err(cut_short()),
            Some(0xFF) => {}
            Some(code) => return Ok(code),
        }
    }
    Err(Walk::Malformed("its markers are damaged"))
}

/// Walks entropy-coded data up to the marker that ends it; returns that marker's code
/// and how many data bytes the scan had (stuffed FF bytes counted once, restart markers
/// not counted).
fn scan_data<R: Read + Seek>(reader: &mut R, cursor: &mut Forward) -> Result<(u8, u64), Walk> {
    let mut data = 0u64;
    loop {
        let available = cursor.fill(reader)?;
        if available.is_empty() {
            return Err(cut_short());
        }
        let Some(ff) = available.iter().position(|&b| b == 0xFF) else {
            let n = available.len() as u64;
            data += n;
            cursor.skip(n);
            continue;
        };
        data += ff as u64;
        cursor.skip(ff as u64 + 1);
        // After FF: fill FFs (any number, the time stays linear), then the code.
        let code = loop {
            match cursor.byte(reader)? {
                None => return Err(cut_short()),
                Some(0xFF) => {}
                Some(code) => break code,
            }
        };
        match code {
            0x00 => data += 1, // a stuffed FF data byte
            0xD0..=0xD7 => {}  // restart marker: the scan goes on
            marker => return Ok((marker, data)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_images::{
        SCAN_DATA, check_as, every_cut_is_refused, jpeg, jpeg_scan, jpeg_segment, malformed, sof,
    };
    use crate::DocumentKind::Jpeg;

    /// SOI, the given parts (segments and scans, as bytes), nothing else.
    fn raw(parts: &[Vec<u8>]) -> Vec<u8> {
        let mut out = vec![0xFF, 0xD8];
        for part in parts {
            out.extend_from_slice(part);
        }
        out
    }

    const EOI: [u8; 2] = [0xFF, 0xD9];

    #[test]
    fn a_baseline_file_passes_and_every_cut_is_refused() {
        let bytes = jpeg(&[(0xDB, vec![0; 65]), (0xC0, sof(3, 2)), (0xC4, vec![0; 20])]);
        assert_eq!(check_as(Jpeg, &bytes).ok(), Some((3, 2)));
        every_cut_is_refused(Jpeg, &bytes, 3);
    }

    #[test]
    fn progressive_scans_are_all_walked() {
        // SOF2, then scans with tables (DHT) and a restart interval (DRI) between them.
        let bytes = raw(&[
            jpeg_segment(0xC2, &sof(16, 8)),
            jpeg_segment(0xC4, &[0; 20]),
            jpeg_scan(SCAN_DATA),
            jpeg_segment(0xC4, &[0; 20]),
            jpeg_segment(0xDD, &[0, 4]),
            jpeg_scan(&[0x01, 0xFF, 0xD1, 0x02, 0xFF, 0xD2, 0x03]),
            jpeg_scan(&[0xFF, 0x00]),
            EOI.to_vec(),
        ]);
        assert_eq!(check_as(Jpeg, &bytes).ok(), Some((16, 8)));
        every_cut_is_refused(Jpeg, &bytes, 3);
        // The committed progressive fixture: several scans, and every cut refused.
        let photo = include_bytes!("../../tests/fixtures/good/photo.jpeg");
        let scans = photo.windows(2).filter(|w| *w == [0xFF, 0xDA]).count();
        assert!(scans > 1, "photo.jpeg is progressive ({scans} scans)");
        assert!(
            photo.windows(2).any(|w| *w == [0xFF, 0xC2]),
            "photo.jpeg is SOF2"
        );
        every_cut_is_refused(Jpeg, photo, 3);
    }

    #[test]
    fn scans_need_data_and_an_end() {
        let frame = jpeg_segment(0xC0, &sof(3, 2));
        // No scan at all.
        let bytes = raw(&[frame.clone(), EOI.to_vec()]);
        assert!(malformed(Jpeg, &bytes).contains("no scan"));
        // A scan header and nothing after it but EOI; only stuffing-free markers.
        let bytes = raw(&[frame.clone(), jpeg_scan(&[]), EOI.to_vec()]);
        assert!(malformed(Jpeg, &bytes).contains("no image data"));
        let bytes = raw(&[frame.clone(), jpeg_scan(&[0xFF, 0xD0]), EOI.to_vec()]);
        assert!(malformed(Jpeg, &bytes).contains("no image data"));
        // A second, empty scan.
        let bytes = raw(&[
            frame.clone(),
            jpeg_scan(SCAN_DATA),
            jpeg_scan(&[]),
            EOI.to_vec(),
        ]);
        assert!(malformed(Jpeg, &bytes).contains("no image data"));
        // No EOI: the data just stops, or a stuffed FF is the last byte.
        let bytes = raw(&[frame.clone(), jpeg_scan(SCAN_DATA)]);
        assert!(malformed(Jpeg, &bytes).contains("cut short"));
        let bytes = raw(&[frame.clone(), jpeg_scan(&[0x12, 0xFF])]);
        assert!(malformed(Jpeg, &bytes).contains("cut short"));
        // A scan header of the wrong length or component count.
        for header in [
            vec![1, 1, 0, 0, 63],
            vec![0, 0, 63, 0],
            vec![5, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 0, 63, 0],
        ] {
            let mut scan = jpeg_segment(0xDA, &header);
            scan.extend_from_slice(SCAN_DATA);
            let bytes = raw(&[frame.clone(), scan, EOI.to_vec()]);
            assert!(
                malformed(Jpeg, &bytes).contains("scan header"),
                "{header:?}"
            );
        }
        // A segment after the frame whose length runs past the end.
        let mut bytes = raw(&[frame.clone(), jpeg_segment(0xC4, &[0; 20])]);
        bytes.truncate(bytes.len() - 5);
        assert!(malformed(Jpeg, &bytes).contains("cut short"));
        // SOI inside the file; garbage where a marker must be.
        let bytes = raw(&[
            frame.clone(),
            vec![0xFF, 0xD8],
            jpeg_scan(SCAN_DATA),
            EOI.to_vec(),
        ]);
        assert!(malformed(Jpeg, &bytes).contains("markers"));
        let bytes = raw(&[
            frame.clone(),
            vec![0x00],
            jpeg_scan(SCAN_DATA),
            EOI.to_vec(),
        ]);
        assert!(malformed(Jpeg, &bytes).contains("markers"));
    }

    #[test]
    fn fill_bytes_and_trailing_data_are_accepted() {
        let frame = jpeg_segment(0xC0, &sof(3, 2));
        // Fill FFs before markers (between segments, and ending a scan).
        let mut fill = vec![0xFF; 10];
        fill.extend_from_slice(&jpeg_scan(&[0x12, 0xFF, 0xFF, 0xFF, 0x00, 0x34]));
        let bytes = raw(&[frame.clone(), fill, vec![0xFF, 0xFF], EOI.to_vec()]);
        assert_eq!(check_as(Jpeg, &bytes).ok(), Some((3, 2)));
        // Bytes after EOI (a camera's trailer).
        let mut bytes = jpeg(&[(0xC0, sof(3, 2))]);
        bytes.extend_from_slice(b"\0\0vendor trailer\xFF\xD8");
        assert_eq!(check_as(Jpeg, &bytes).ok(), Some((3, 2)));
        // Too many fill bytes between segments.
        let mut fill = vec![0xFF; 100];
        fill.extend_from_slice(&jpeg_scan(SCAN_DATA));
        let bytes = raw(&[frame, fill, EOI.to_vec()]);
        assert!(malformed(Jpeg, &bytes).contains("markers"));
    }
}
