//! Small, bounded reads from the document, and recognising content by its first bytes
//! (only to tell the user what a mismatched file looks like).

use std::io::{Read, Seek, SeekFrom};

use crate::DocumentError;

/// Reads exactly `buf.len()` bytes at `offset`. Callers check that the range lies within
/// the document's length first, so a short read is a reader failure (`document.io`).
pub(crate) fn read_at<R: Read + Seek>(
    reader: &mut R,
    offset: u64,
    buf: &mut [u8],
) -> Result<(), DocumentError> {
    reader
        .seek(SeekFrom::Start(offset))
        .map_err(DocumentError::Io)?;
    reader.read_exact(buf).map_err(DocumentError::Io)
}

/// Reads `len` bytes at `offset` into a new buffer (`len` is bounded by the caller).
pub(crate) fn read_vec<R: Read + Seek>(
    reader: &mut R,
    offset: u64,
    len: u64,
) -> Result<Vec<u8>, DocumentError> {
    let len = usize::try_from(len)
        .map_err(|_| DocumentError::Io(std::io::Error::other("read too large")))?;
    let mut buf = vec![0; len];
    read_at(reader, offset, &mut buf)?;
    Ok(buf)
}

/// The bytes a [`Forward`] cursor reads at once (and all the memory it holds).
const FORWARD_BUFFER_BYTES: usize = 16 * 1024;

/// Reads a range of the document front to back through one fixed buffer, so walking a
/// structure byte by byte (JPEG scan data, GIF sub-blocks, PNG chunks, ZIP entry data)
/// costs constant memory and one read per buffer, whatever sizes the document declares.
///
/// It never reads at or past `end` (callers pass at most the document's size, so a
/// cursor that runs out answers "nothing left", never a reader error). It does not hold
/// the reader: two cursors can walk two arrays side by side (TIFF strip offsets and byte
/// counts), each refilling its own buffer.
pub(crate) struct Forward {
    buf: Vec<u8>,
    /// Document offset of `buf[0]`.
    buf_start: u64,
    /// Valid bytes in `buf`.
    buf_len: usize,
    /// Document offset of the next byte.
    pos: u64,
    /// End of the range (exclusive).
    end: u64,
}

impl Forward {
    /// A cursor over `[pos, end)`; nothing is read until asked. Its buffer is no larger
    /// than the range (a cursor over one TIFF value costs a few bytes).
    pub(crate) fn new(pos: u64, end: u64) -> Self {
        // Invariant: at most FORWARD_BUFFER_BYTES, so it fits in usize.
        let len = end.saturating_sub(pos).min(FORWARD_BUFFER_BYTES as u64) as usize;
        Forward {
            buf: vec![0; len],
            buf_start: 0,
            buf_len: 0,
            pos,
            end,
        }
    }

    /// Bytes left before the end of the range.
    pub(crate) fn remaining(&self) -> u64 {
        self.end.saturating_sub(self.pos)
    }

    /// The bytes from the current position to the end of the buffer (reading the next
    /// buffer-full if needed), without moving; empty only at the end of the range.
    pub(crate) fn fill<R: Read + Seek>(&mut self, reader: &mut R) -> Result<&[u8], DocumentError> {
        if self.pos >= self.end {
            return Ok(&[]);
        }
        let buffered_end = self.buf_start + self.buf_len as u64;
        if self.pos < self.buf_start || self.pos >= buffered_end {
            // Invariant: the length is at most the buffer's, so it fits in usize.
            let len = self.remaining().min(self.buf.len() as u64) as usize;
            read_at(reader, self.pos, &mut self.buf[..len])?;
            self.buf_start = self.pos;
            self.buf_len = len;
        }
        // Invariant: buf_start <= pos < buf_start + buf_len, so the offset is in the buffer.
        let at = (self.pos - self.buf_start) as usize;
        Ok(&self.buf[at..self.buf_len])
    }

    /// Moves `n` bytes on; false (and at the end) if fewer than `n` are left.
    pub(crate) fn skip(&mut self, n: u64) -> bool {
        if n > self.remaining() {
            self.pos = self.end.max(self.pos);
            return false;
        }
        self.pos += n;
        true
    }

    /// The next byte, or `None` at the end of the range.
    pub(crate) fn byte<R: Read + Seek>(
        &mut self,
        reader: &mut R,
    ) -> Result<Option<u8>, DocumentError> {
        let next = self.fill(reader)?.first().copied();
        if next.is_some() {
            self.pos += 1;
        }
        Ok(next)
    }

    /// Fills `out` with the next bytes; false if fewer are left (`out` is then partly
    /// filled and the cursor at the end).
    pub(crate) fn read_exact<R: Read + Seek>(
        &mut self,
        reader: &mut R,
        out: &mut [u8],
    ) -> Result<bool, DocumentError> {
        let mut done = 0;
        while done < out.len() {
            let available = self.fill(reader)?;
            if available.is_empty() {
                return Ok(false);
            }
            let n = available.len().min(out.len() - done);
            out[done..done + n].copy_from_slice(&available[..n]);
            done += n;
            self.pos += n as u64;
        }
        Ok(true)
    }
}

/// The first `min(size, max)` bytes.
pub(crate) fn head<R: Read + Seek>(
    reader: &mut R,
    size: u64,
    max: u64,
) -> Result<Vec<u8>, DocumentError> {
    read_vec(reader, 0, size.min(max))
}

/// The last `min(size, max)` bytes.
pub(crate) fn tail<R: Read + Seek>(
    reader: &mut R,
    size: u64,
    max: u64,
) -> Result<Vec<u8>, DocumentError> {
    let len = size.min(max);
    read_vec(reader, size - len, len)
}

pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

pub(crate) fn u16_le(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

pub(crate) fn u32_le(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

pub(crate) fn u64_le(b: &[u8], at: usize) -> u64 {
    let mut bytes = [0; 8];
    bytes.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(bytes)
}

pub(crate) const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
pub(crate) const ZIP_LOCAL_MAGIC: &[u8] = b"PK\x03\x04";
pub(crate) const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";
pub(crate) const JPEG_MAGIC: &[u8] = b"\xFF\xD8\xFF";

/// What the first bytes of a file say it is, for messages ("it is a PNG image").
pub(crate) fn sniff(head: &[u8]) -> Option<&'static str> {
    const SIGNATURES: &[(&[u8], &str)] = &[
        (PNG_MAGIC, "a PNG image"),
        (JPEG_MAGIC, "a JPEG image"),
        (b"GIF87a", "a GIF image"),
        (b"GIF89a", "a GIF image"),
        (b"II*\0", "a TIFF image"),
        (b"MM\0*", "a TIFF image"),
        (b"%PDF-", "a PDF document"),
        (ZIP_LOCAL_MAGIC, "a ZIP archive (such as a .docx or .xlsx)"),
        (b"PK\x05\x06", "an empty ZIP archive"),
        (
            OLE_MAGIC,
            "an OLE compound file (an older Office document, or a password-protected one)",
        ),
        (b"MZ", "a Windows program"),
        (b"\x7fELF", "a Linux program"),
        (b"\xCF\xFA\xED\xFE", "a macOS program"),
        (b"Rar!\x1a\x07", "a RAR archive"),
        (b"7z\xBC\xAF\x27\x1C", "a 7-Zip archive"),
        (b"\x1F\x8B", "a gzip archive"),
        (b"{\\rtf", "an RTF document"),
        (b"BM", "a BMP image"),
        (b"RIFF", "a RIFF file (such as a WebP image)"),
    ];
    if let Some((_, what)) = SIGNATURES.iter().find(|(magic, _)| head.starts_with(magic)) {
        return Some(what);
    }
    let start: Vec<u8> = head
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take(16)
        .map(u8::to_ascii_lowercase)
        .collect();
    if start.starts_with(b"<!doctype html") || start.starts_with(b"<html") {
        return Some("an HTML page");
    }
    if start.starts_with(b"<?xml") {
        return Some("an XML file");
    }
    None
}
