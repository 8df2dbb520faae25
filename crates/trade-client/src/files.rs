//! Files the user picks on this machine: a contract for an order draft, a message
//! attachment, dispute evidence. A picked file is checked with the server's own rules
//! (`trade-documents`: allow-list, size cap, content checks) at once, so a bad file fails
//! fast with the code the server would give, then copied next to the cache under the
//! document id the server will give it. Drafts and queued actions refer to it by that id
//! while offline; the engine uploads it before sending the first action that needs it.
//!
//! The user's chosen path is only read, never written; the copy's path is built from the
//! id (a UUID) alone, never from the file's name.

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use trade_model::entities::DocumentMeta;
use trade_model::{AccountId, DocumentId};

use crate::error::{ClientError, Result};
use crate::store::LocalStore;

/// A file kept here until it is uploaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LocalFile {
    /// The id the document has on the server once uploaded.
    pub id: DocumentId,
    /// The sanitised name, as the server will store it.
    pub file_name: String,
    pub kind: String,
    pub media_type: String,
    pub size: u64,
    pub sha256: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub added_at: Timestamp,
    pub uploaded: bool,
    /// Why the server refused the upload, if it did.
    pub error_code: Option<String>,
}

impl LocalFile {
    /// The document as it will look on the server, for showing it before the upload.
    pub fn as_document(&self, owner: AccountId) -> DocumentMeta {
        DocumentMeta {
            id: self.id,
            file_name: self.file_name.clone(),
            kind: self.kind.clone(),
            media_type: self.media_type.clone(),
            size: i64::try_from(self.size).unwrap_or(i64::MAX),
            sha256: self.sha256.clone(),
            uploaded_by: owner,
            uploaded_at: self.added_at,
        }
    }
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<LocalFile> {
    let id: String = r.get(0)?;
    let size: i64 = r.get(4)?;
    Ok(LocalFile {
        id: id.parse().map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })?,
        file_name: r.get(1)?,
        kind: r.get(2)?,
        media_type: r.get(3)?,
        size: u64::try_from(size).unwrap_or(0),
        sha256: r.get(5)?,
        added_at: Timestamp::from_millisecond(r.get(6)?).unwrap_or(Timestamp::UNIX_EPOCH),
        uploaded: r.get::<_, i64>(7)? != 0,
        error_code: r.get(8)?,
    })
}

const COLUMNS: &str =
    "id, file_name, kind, media_type, size, sha256, added_at, uploaded, error_code";

/// Copies `from` to `to` through a temporary file in the same folder, hashing as it goes,
/// then syncs and renames, so `to` is either complete or absent. Returns (size, sha256).
pub(crate) fn copy_hashed<R: Read>(mut from: R, to: &Path) -> Result<(u64, String)> {
    let dir = to
        .parent()
        .ok_or_else(|| ClientError::Decode("a file destination needs a folder".into()))?;
    std::fs::create_dir_all(dir)?;
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = from.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        temp.write_all(&buf[..n])?;
        size += n as u64;
    }
    temp.as_file().sync_all()?;
    temp.persist(to).map_err(|e| ClientError::Io(e.error))?;
    Ok((size, hex::encode(hasher.finalize())))
}

/// A document as the cache knows it: synced from the server, or picked here and not yet
/// uploaded. `me` owns files picked here.
pub(crate) fn document_in(
    conn: &rusqlite::Connection,
    id: DocumentId,
    me: AccountId,
) -> Result<DocumentMeta> {
    let synced: Option<String> = conn
        .query_row(
            "SELECT data FROM documents WHERE id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(data) = synced {
        return serde_json::from_str(&data).map_err(|e| ClientError::Decode(e.to_string()));
    }
    let local = conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM local_files WHERE id = ?1"),
            [id.to_string()],
            from_row,
        )
        .optional()?
        .ok_or(ClientError::NotFound("document"))?;
    Ok(local.as_document(me))
}

impl LocalStore {
    /// A document as the cache knows it (synced, or picked here and not yet uploaded).
    pub fn document(&self, id: DocumentId, me: AccountId) -> Result<DocumentMeta> {
        document_in(&self.conn(), id, me)
    }

    /// Checks the file at `source` as the server would and keeps a copy for upload.
    /// Works offline. A bad file is refused with the server's code and nothing is kept.
    pub(crate) fn add_file(&self, source: &Path, now: Timestamp) -> Result<LocalFile> {
        let name = source
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| ClientError::Decode("choose a file, not a folder".into()))?;
        let size = std::fs::metadata(source)?.len();
        // Name and size first: a 2 GB video fails before a byte is read.
        trade_documents::precheck(&name, size)?;
        let checked =
            trade_documents::check_document(&name, BufReader::new(File::open(source)?), size)?;
        let id = DocumentId::new();
        let path = self.file_path(id);
        let (copied, sha256) = copy_hashed(File::open(source)?, &path)?;
        if copied != size {
            std::fs::remove_file(&path)?;
            return Err(ClientError::Decode(
                "the file changed while it was being read; choose it again".into(),
            ));
        }
        let file = LocalFile {
            id,
            file_name: checked.file_name.clone(),
            kind: checked.kind.as_str().to_owned(),
            media_type: checked.content_type(),
            size,
            sha256,
            added_at: now,
            uploaded: false,
            error_code: None,
        };
        let inserted = self.conn().execute(
            &format!(
                "INSERT INTO local_files ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, NULL)"
            ),
            params![
                id.to_string(),
                file.file_name,
                file.kind,
                file.media_type,
                i64::try_from(size).unwrap_or(i64::MAX),
                file.sha256,
                now.as_millisecond()
            ],
        );
        if let Err(e) = inserted {
            std::fs::remove_file(&path)?;
            return Err(e.into());
        }
        Ok(file)
    }

    pub fn local_file(&self, id: DocumentId) -> Result<LocalFile> {
        let conn = self.conn();
        conn.query_row(
            &format!("SELECT {COLUMNS} FROM local_files WHERE id = ?1"),
            [id.to_string()],
            from_row,
        )
        .optional()?
        .ok_or(ClientError::NotFound("file"))
    }

    /// Files kept here, newest first.
    pub fn local_files(&self) -> Result<Vec<LocalFile>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {COLUMNS} FROM local_files ORDER BY added_at DESC, id DESC"
        ))?;
        Ok(stmt
            .query_map([], from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Where the copy of a local file is. Built from the id only.
    pub fn file_path(&self, id: DocumentId) -> PathBuf {
        self.files_dir().join(id.to_string())
    }

    /// The upload is done: the server has the document under the same id. The copy is
    /// removed; the synced document record takes over.
    pub(crate) fn mark_uploaded(&self, id: DocumentId) -> Result<()> {
        self.conn().execute(
            "UPDATE local_files SET uploaded = 1, error_code = NULL WHERE id = ?1",
            [id.to_string()],
        )?;
        match std::fs::remove_file(self.file_path(id)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    pub(crate) fn mark_upload_refused(&self, id: DocumentId, code: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE local_files SET error_code = ?2 WHERE id = ?1",
            params![id.to_string(), code],
        )?;
        Ok(())
    }

    /// Removes a file that is no longer needed (e.g. taken off a draft before sending).
    pub(crate) fn remove_file(&self, id: DocumentId) -> Result<()> {
        let removed = self.conn().execute(
            "DELETE FROM local_files WHERE id = ?1 AND uploaded = 0",
            [id.to_string()],
        )?;
        if removed == 0 {
            return Err(ClientError::NotFound("file"));
        }
        match std::fs::remove_file(self.file_path(id)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }
}
