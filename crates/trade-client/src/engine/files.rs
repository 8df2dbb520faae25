//! Documents: uploading the files queued actions refer to, and downloading a document
//! to a chosen place, checked against its hash.

use super::*;

impl Engine {
    /// Uploads the files picked here that the queued actions refer to, in order. Returns
    /// false when the server refused one: the action needing it is marked failed with
    /// the server's reason (its optimistic effect undone) and the rest stay queued.
    pub(super) async fn upload_files_of(
        &self,
        queued: &[crate::outbox::OutboxEntry],
    ) -> Result<bool> {
        let store = &self.inner.store;
        for entry in queued {
            for id in entry.mutation.op.documents() {
                let Ok(file) = store.local_file(id) else {
                    continue; // already on the server
                };
                if file.uploaded {
                    continue;
                }
                match self.upload(&file).await {
                    Ok(()) => store.mark_uploaded(id)?,
                    Err(e)
                        if !e.is_transient()
                            && !matches!(e, ClientError::Api { status: 401, .. }) =>
                    {
                        let code = e.code();
                        store.mark_upload_refused(id, &code)?;
                        store.mark_rejected(
                            entry.mutation.id,
                            &code,
                            &format!("The file {} could not be uploaded: {e}", file.file_name),
                        )?;
                        self.refresh_counts()?;
                        return Ok(false);
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(true)
    }

    async fn upload(&self, file: &crate::files::LocalFile) -> Result<()> {
        let path = self.inner.store.file_path(file.id);
        let status = self.inner.status.clone();
        let transfer = Transfer {
            document: file.id,
            file_name: file.file_name.clone(),
            upload: true,
            done: 0,
            total: file.size,
        };
        status.send_modify(|s| s.transfer = Some(transfer.clone()));
        let api = self.inner.api.clone();
        let result = self
            .authed(|access| {
                let (api, path, status) = (api.clone(), path.clone(), status.clone());
                let name = file.file_name.clone();
                async move {
                    api.upload(&access, file.id, &name, &path, move |done| {
                        status.send_modify(|s| {
                            if let Some(t) = &mut s.transfer {
                                t.done = done;
                            }
                        });
                    })
                    .await
                }
            })
            .await;
        status.send_modify(|s| s.transfer = None);
        let meta = result?;
        if meta.sha256 != file.sha256 {
            return Err(ClientError::Decode(format!(
                "the server stored {} with another checksum",
                file.file_name
            )));
        }
        Ok(())
    }

    /// Saves a document to `dest` (a path the user chose), with progress in the status.
    /// The file appears complete or not at all, and its SHA-256 is checked against the
    /// document's. A file picked here and not yet uploaded is copied from its local copy.
    pub async fn download(&self, id: DocumentId, dest: &Path) -> Result<()> {
        let store = &self.inner.store;
        if let Ok(local) = store.local_file(id)
            && !local.uploaded
        {
            let from = store.file_path(id);
            let to = dest.to_owned();
            let (_, sha) = tokio::task::spawn_blocking(move || {
                crate::files::copy_hashed(std::fs::File::open(from)?, &to)
            })
            .await
            .map_err(|e| ClientError::Decode(e.to_string()))??;
            return check_hash(&sha, &local.sha256, dest);
        }
        let meta = store.document(id, self.inner.account.id)?;
        let status = self.inner.status.clone();
        status.send_modify(|s| {
            s.transfer = Some(Transfer {
                document: id,
                file_name: meta.file_name.clone(),
                upload: false,
                done: 0,
                total: u64::try_from(meta.size).unwrap_or(0),
            })
        });
        let result = self.fetch_to(id, dest).await;
        status.send_modify(|s| s.transfer = None);
        let sha = result?;
        check_hash(&sha, &meta.sha256, dest)
    }

    async fn fetch_to(&self, id: DocumentId, dest: &Path) -> Result<String> {
        let api = self.inner.api.clone();
        let resp = self
            .authed(|access| {
                let api = api.clone();
                async move { api.download(&access, id).await }
            })
            .await?;
        let dir = dest
            .parent()
            .ok_or_else(|| ClientError::Decode("a file destination needs a folder".into()))?
            .to_owned();
        let temp = tokio::task::spawn_blocking(move || tempfile::NamedTempFile::new_in(dir))
            .await
            .map_err(|e| ClientError::Decode(e.to_string()))??;
        let (std_file, temp_path) = temp.into_parts();
        let mut file = tokio::fs::File::from_std(std_file);
        let mut hasher = Sha256::new();
        let mut done = 0u64;
        let mut body = resp.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            hasher.update(&chunk);
            tokio::io::AsyncWriteExt::write_all(&mut file, &chunk).await?;
            done += chunk.len() as u64;
            self.inner.status.send_modify(|s| {
                if let Some(t) = &mut s.transfer {
                    t.done = done;
                }
            });
        }
        file.sync_all().await?;
        drop(file);
        temp_path
            .persist(dest)
            .map_err(|e| ClientError::Io(e.error))?;
        Ok(hex::encode(hasher.finalize()))
    }
}

/// A downloaded or copied file must have the document's checksum; a mismatch removes it.
fn check_hash(got: &str, want: &str, dest: &Path) -> Result<()> {
    if got == want {
        return Ok(());
    }
    std::fs::remove_file(dest)?;
    Err(ClientError::ChecksumMismatch)
}
