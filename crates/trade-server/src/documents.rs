//! Document content storage: content-addressed by SHA-256 in a directory that nothing
//! serves directly. A file name never becomes a path; only the hex digest does.
//! (An object store can replace this behind the same three calls.)

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

#[derive(Debug, Clone)]
pub struct DocumentStore {
    root: PathBuf,
}

impl DocumentStore {
    pub fn open(root: &Path) -> std::io::Result<DocumentStore> {
        std::fs::create_dir_all(root.join("tmp"))?;
        Ok(DocumentStore {
            root: root.to_owned(),
        })
    }

    /// Whether uploads can be stored now: the store's directory exists, is a directory,
    /// and a file can be created (and removed) in it, as each upload does. Blocking; for
    /// the readiness check (an object store would answer a bucket request here instead).
    pub fn ready(&self) -> std::io::Result<()> {
        if !std::fs::metadata(&self.root)?.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotADirectory,
                format!("{} is not a directory", self.root.display()),
            ));
        }
        // Dropped at once: the probe leaves nothing behind.
        self.temp_file().map(drop)
    }

    /// A temporary file to stream an upload into, on the same filesystem as the store.
    pub fn temp_file(&self) -> std::io::Result<tempfile::NamedTempFile> {
        tempfile::NamedTempFile::new_in(self.root.join("tmp"))
    }

    fn path_of(&self, sha256_hex: &str) -> Option<PathBuf> {
        let valid = sha256_hex.len() == 64 && sha256_hex.bytes().all(|b| b.is_ascii_hexdigit());
        valid.then(|| self.root.join(&sha256_hex[..2]).join(sha256_hex))
    }

    /// Moves a checked upload into place under its digest (a no-op when the same content
    /// is already stored).
    pub fn keep(&self, temp: tempfile::NamedTempFile, sha256_hex: &str) -> std::io::Result<()> {
        let path = self
            .path_of(sha256_hex)
            .ok_or_else(|| std::io::Error::other("invalid digest"))?;
        if path.exists() {
            return Ok(());
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        temp.as_file().sync_all()?;
        temp.persist(&path).map_err(|e| e.error)?;
        Ok(())
    }

    pub async fn read(&self, sha256_hex: &str) -> std::io::Result<tokio::fs::File> {
        let path = self
            .path_of(sha256_hex)
            .ok_or_else(|| std::io::Error::other("invalid digest"))?;
        tokio::fs::File::open(path).await
    }
}

/// Streams into a file while hashing and counting; refuses to write past `cap` bytes.
pub struct HashingWriter<W: Write> {
    inner: W,
    hasher: Sha256,
    written: u64,
    cap: u64,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W, cap: u64) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            written: 0,
            cap,
        }
    }

    /// Returns false (and writes nothing) when the chunk would pass the cap.
    pub fn push(&mut self, chunk: &[u8]) -> std::io::Result<bool> {
        let next = self.written + chunk.len() as u64;
        if next > self.cap {
            return Ok(false);
        }
        self.inner.write_all(chunk)?;
        self.hasher.update(chunk);
        self.written = next;
        Ok(true)
    }

    pub fn finish(mut self) -> std::io::Result<(u64, String)> {
        self.inner.flush()?;
        Ok((self.written, hex::encode(self.hasher.finalize())))
    }
}
