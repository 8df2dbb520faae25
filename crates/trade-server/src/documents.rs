//! Document content storage, content-addressed by SHA-256: the blob of a digest `d` lives
//! under `<2 hex of d>/<d>`, in a directory that nothing serves directly (the embedded
//! default, `<data dir>/documents`) or under a prefix of an S3-compatible bucket (several
//! instances share it). A file name never becomes a path or a key; only the hex digest
//! does. Uploads are first streamed to a local temporary file (`temp_file`), checked,
//! then kept (`keep`); downloads stream from the store (`read`).
//!
//! The directory backend keeps its own code rather than object_store's `LocalFileSystem`:
//! keeping an upload is a rename of the checked temporary file (no second copy of up to
//! 20 MiB), and the layout and behaviour stay exactly as before.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path as Key;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

/// Where document content lives.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum DocumentsLocation {
    /// `<data dir>/documents` (the embedded default).
    #[default]
    DataDir,
    /// An S3-compatible bucket (`s3://bucket/prefix`).
    S3(S3Location),
}

/// A bucket and key prefix, with the client's settings: those from the environment
/// (`AWS_ENDPOINT_URL`/`AWS_ENDPOINT`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_REGION`, `AWS_ALLOW_HTTP`, ...) overridden by `options` (object_store's
/// `aws_*` keys, e.g. `aws_endpoint`), which tests use instead of the process environment.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    /// No leading or trailing `/`; empty for the bucket's root.
    pub prefix: String,
    pub options: Vec<(String, String)>,
}

/// Without the options' values (a secret key may be among them).
impl std::fmt::Debug for S3Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Location")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field(
                "options",
                &self.options.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LocationError {
    #[error("expected s3://bucket or s3://bucket/prefix, got {0:?}")]
    NotS3(String),
}

impl std::str::FromStr for DocumentsLocation {
    type Err = LocationError;

    /// `s3://bucket/prefix` (the command line's `--documents`).
    fn from_str(url: &str) -> Result<Self, LocationError> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| LocationError::NotS3(url.to_owned()))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() || prefix.split('/').any(|part| part == "..") {
            return Err(LocationError::NotS3(url.to_owned()));
        }
        Ok(DocumentsLocation::S3(S3Location {
            bucket: bucket.to_owned(),
            prefix: prefix.trim_matches('/').to_owned(),
            options: Vec::new(),
        }))
    }
}

/// Why a blob could not be stored or read. The messages never name a path, bucket or
/// key: they may reach logs, and the HTTP answers carry only the code.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store answered, and the blob is not in it (its metadata is).
    #[error("the document's content is missing from the store")]
    Missing,
    /// The object store did not answer, or refused the request.
    #[error("the document store is unavailable: {0}")]
    Unavailable(object_store::Error),
    #[error("not a SHA-256 digest")]
    InvalidDigest,
    #[error("document store i/o: {0}")]
    Io(#[from] std::io::Error),
}

impl From<object_store::Error> for StoreError {
    fn from(err: object_store::Error) -> Self {
        match err {
            object_store::Error::NotFound { .. } => StoreError::Missing,
            other => StoreError::Unavailable(other),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot use the document directory {path}: {source}")]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot set up the S3 document store: {0}")]
    S3(object_store::Error),
}

/// A blob's content as it streams out of the store.
pub type BlobStream = BoxStream<'static, Result<Bytes, std::io::Error>>;

/// Parts of a multipart upload; also the size under which a blob goes in one request
/// (read into memory, at most this much).
const PART_BYTES: usize = 8 * 1024 * 1024;

#[derive(Debug, Clone)]
enum Backend {
    Dir,
    Object {
        store: Arc<dyn ObjectStore>,
        prefix: String,
    },
}

#[derive(Debug, Clone)]
pub struct DocumentStore {
    /// The local directory: the blobs of the directory backend, and `tmp/`, where every
    /// upload is streamed first whatever the backend.
    root: PathBuf,
    backend: Backend,
}

impl DocumentStore {
    /// The directory backend in `root`.
    pub fn open(root: &Path) -> std::io::Result<DocumentStore> {
        std::fs::create_dir_all(root.join("tmp"))?;
        Ok(DocumentStore {
            root: root.to_owned(),
            backend: Backend::Dir,
        })
    }

    /// The store at `location`, with `local` as its directory (temporary files, and the
    /// blobs of the directory backend).
    pub fn open_at(location: &DocumentsLocation, local: &Path) -> Result<DocumentStore, OpenError> {
        let mut store = DocumentStore::open(local).map_err(|source| OpenError::Dir {
            path: local.to_owned(),
            source,
        })?;
        if let DocumentsLocation::S3(s3) = location {
            // The S3 client's TLS (reqwest, built without a provider of its own) runs on
            // ring, the provider the server's own listener uses. Err: one is installed.
            let _ = rustls::crypto::ring::default_provider().install_default();
            let mut builder = AmazonS3Builder::from_env()
                .with_bucket_name(&s3.bucket)
                // Fail over to a 503 in seconds rather than retrying for minutes: the
                // client retries, and readiness tells the load balancer.
                .with_retry(object_store::RetryConfig {
                    backoff: Default::default(),
                    max_retries: 2,
                    retry_timeout: Duration::from_secs(5),
                })
                .with_config(
                    AmazonS3ConfigKey::Client(object_store::ClientConfigKey::ConnectTimeout),
                    "2s",
                );
            for (key, value) in &s3.options {
                let key = key.parse::<AmazonS3ConfigKey>().map_err(OpenError::S3)?;
                builder = builder.with_config(key, value);
            }
            let s3_store = builder.build().map_err(OpenError::S3)?;
            store.backend = Backend::Object {
                store: Arc::new(s3_store),
                prefix: s3.prefix.clone(),
            };
        }
        Ok(store)
    }

    /// Whether uploads can be stored now. The local directory (where every upload is
    /// streamed first) exists, is a directory, and a file can be created (and removed)
    /// in it; an object store answers a listing of its prefix. For the readiness check,
    /// which bounds it with a timeout.
    pub async fn ready(&self) -> Result<(), StoreError> {
        let local = self.clone();
        tokio::task::spawn_blocking(move || local.local_ready())
            .await
            .map_err(|err| StoreError::Io(std::io::Error::other(err)))??;
        if let Backend::Object { store, prefix } = &self.backend {
            let prefix = Key::from(prefix.as_str());
            store.list_with_delimiter(Some(&prefix)).await?;
        }
        Ok(())
    }

    /// Blocking.
    fn local_ready(&self) -> std::io::Result<()> {
        if !std::fs::metadata(&self.root)?.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotADirectory,
                "the document directory is not a directory",
            ));
        }
        // Dropped at once: the probe leaves nothing behind.
        self.temp_file().map(drop)
    }

    /// A temporary file to stream an upload into, on the same filesystem as the store's
    /// directory.
    pub fn temp_file(&self) -> std::io::Result<tempfile::NamedTempFile> {
        tempfile::NamedTempFile::new_in(self.root.join("tmp"))
    }

    /// `<2 hex>/<digest>`, for a valid lowercase-or-uppercase hex SHA-256 only.
    fn relative(sha256_hex: &str) -> Result<(String, String), StoreError> {
        let valid = sha256_hex.len() == 64 && sha256_hex.bytes().all(|b| b.is_ascii_hexdigit());
        if !valid {
            return Err(StoreError::InvalidDigest);
        }
        Ok((sha256_hex[..2].to_owned(), sha256_hex.to_owned()))
    }

    fn path_of(&self, sha256_hex: &str) -> Result<PathBuf, StoreError> {
        let (dir, name) = Self::relative(sha256_hex)?;
        Ok(self.root.join(dir).join(name))
    }

    fn key_of(prefix: &str, sha256_hex: &str) -> Result<Key, StoreError> {
        let (dir, name) = Self::relative(sha256_hex)?;
        let key = if prefix.is_empty() {
            format!("{dir}/{name}")
        } else {
            format!("{prefix}/{dir}/{name}")
        };
        Ok(Key::from(key))
    }

    /// Keeps a checked upload under its digest (nothing is written when the same content
    /// is stored already). The directory backend renames the temporary file into place;
    /// an object store gets the file streamed to it, one part in memory at a time.
    pub async fn keep(
        &self,
        temp: tempfile::NamedTempFile,
        sha256_hex: &str,
    ) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Dir => {
                let path = self.path_of(sha256_hex)?;
                tokio::task::spawn_blocking(move || keep_file(temp, &path))
                    .await
                    .map_err(|err| StoreError::Io(std::io::Error::other(err)))??;
                Ok(())
            }
            Backend::Object { store, prefix } => {
                let key = Self::key_of(prefix, sha256_hex)?;
                match store.head(&key).await {
                    Ok(_) => return Ok(()),
                    Err(object_store::Error::NotFound { .. }) => {}
                    Err(err) => return Err(StoreError::Unavailable(err)),
                }
                // The temporary file is removed when `temp` drops, after the upload.
                let mut file = tokio::fs::File::from_std(temp.reopen()?);
                let size = file.metadata().await?.len();
                if size <= PART_BYTES as u64 {
                    let mut bytes = Vec::with_capacity(size as usize);
                    file.read_to_end(&mut bytes).await?;
                    store.put(&key, PutPayload::from(bytes)).await?;
                    return Ok(());
                }
                let upload = store.put_multipart(&key).await?;
                let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
                let mut buf = vec![0u8; 256 * 1024];
                let streamed = async {
                    loop {
                        // At most two parts in flight (and one filling): bounded memory.
                        writer.wait_for_capacity(2).await?;
                        let n = file.read(&mut buf).await?;
                        if n == 0 {
                            return Ok::<_, StoreError>(());
                        }
                        writer.write(&buf[..n]);
                    }
                }
                .await;
                match streamed {
                    Ok(()) => {
                        writer.finish().await?;
                        Ok(())
                    }
                    Err(err) => {
                        if let Err(abort) = writer.abort().await {
                            tracing::warn!(%abort, "could not abort a multipart upload");
                        }
                        Err(err)
                    }
                }
            }
        }
    }

    /// The blob of `sha256_hex`, streamed. `StoreError::Missing` when the store has no
    /// such blob; errors after the first byte end the stream.
    pub async fn read(&self, sha256_hex: &str) -> Result<BlobStream, StoreError> {
        match &self.backend {
            Backend::Dir => {
                let path = self.path_of(sha256_hex)?;
                let file = tokio::fs::File::open(path).await.map_err(|err| {
                    if err.kind() == std::io::ErrorKind::NotFound {
                        StoreError::Missing
                    } else {
                        StoreError::Io(err)
                    }
                })?;
                Ok(tokio_util::io::ReaderStream::new(file).boxed())
            }
            Backend::Object { store, prefix } => {
                let key = Self::key_of(prefix, sha256_hex)?;
                let got = store.get(&key).await?;
                Ok(got.into_stream().map_err(std::io::Error::other).boxed())
            }
        }
    }
}

/// Moves `temp` to `path` (the directory backend's keep; blocking).
fn keep_file(temp: tempfile::NamedTempFile, path: &Path) -> std::io::Result<()> {
    if path.exists() {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn s3(bucket: &str, prefix: &str) -> DocumentsLocation {
        DocumentsLocation::S3(S3Location {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
            options: Vec::new(),
        })
    }

    #[test]
    fn documents_urls_name_a_bucket_and_a_prefix() {
        let parse = |url: &str| url.parse::<DocumentsLocation>().ok();
        assert_eq!(parse("s3://docs"), Some(s3("docs", "")));
        assert_eq!(parse("s3://docs/"), Some(s3("docs", "")));
        assert_eq!(
            parse("s3://docs/trade/blobs/"),
            Some(s3("docs", "trade/blobs"))
        );
        for bad in [
            "docs",
            "s3://",
            "s3:///prefix",
            "file:///tmp",
            "s3://docs/../x",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_a_hex_digest_becomes_a_key() {
        let digest = "ab".repeat(32);
        assert_eq!(
            DocumentStore::key_of("trade", &digest)
                .ok()
                .map(|k| k.to_string()),
            Some(format!("trade/ab/{digest}"))
        );
        for bad in ["../../etc/passwd", "ab", &"zz".repeat(32)] {
            assert!(DocumentStore::key_of("trade", bad).is_err(), "{bad}");
        }
    }
}
