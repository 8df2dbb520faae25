//! The evidence packet: everything about one order in one folder, for a dispute or the
//! buyer's records — the order as it stands, every version with the timeline, the
//! inquiry's thread, payments, the shipment, and the documents — with `manifest.json`
//! listing every file's SHA-256 so the packet can be checked later.
//!
//! The folder is written next to its final place and renamed into it when complete, so
//! a crash leaves no half packet under the chosen name. File names inside are made from
//! ids and sanitised document names only.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use trade_model::OrderId;

use crate::engine::Engine;
use crate::error::{ClientError, Result};

/// One file of the packet, as `manifest.json` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ManifestEntry {
    /// Path inside the packet, `/`-separated.
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Manifest {
    pub order: OrderId,
    /// When the packet was made (RFC 3339).
    pub created_at: String,
    pub files: Vec<ManifestEntry>,
}

struct Packet {
    dir: PathBuf,
    files: Vec<ManifestEntry>,
}

impl Packet {
    fn write(&mut self, path: &str, bytes: &[u8]) -> Result<()> {
        let full = self.dir.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&full, bytes)?;
        self.files.push(ManifestEntry {
            path: path.to_owned(),
            size: bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(bytes)),
        });
        Ok(())
    }

    fn json<T: Serialize>(&mut self, path: &str, value: &T) -> Result<()> {
        let bytes =
            serde_json::to_vec_pretty(value).map_err(|e| ClientError::Decode(e.to_string()))?;
        self.write(path, &bytes)
    }
}

/// A file name inside the packet for document `index`: its sanitised name behind a
/// number, so two documents with one name stay apart and nothing can leave the folder.
fn document_path(index: usize, file_name: &str) -> String {
    let safe = trade_documents::sanitize_file_name(file_name)
        .unwrap_or_else(|_| format!("document-{index}"));
    format!("documents/{:02}-{safe}", index + 1)
}

impl Engine {
    /// Writes the evidence packet of `order` to the new folder `dest` (it must not
    /// exist). Documents not yet in this machine's cache are downloaded, so the server
    /// must be reachable for those. Returns the manifest.
    pub async fn export_evidence(&self, order: OrderId, dest: &Path) -> Result<Manifest> {
        if dest.exists() {
            return Err(ClientError::Io(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{} already exists", dest.display()),
            )));
        }
        let parent = dest
            .parent()
            .ok_or_else(|| ClientError::Decode("a packet needs a parent folder".into()))?;
        let staging = tempfile::Builder::new()
            .prefix(".evidence-")
            .tempdir_in(parent)?;
        let mut packet = Packet {
            dir: staging.path().to_owned(),
            files: Vec::new(),
        };
        let store = self.store();
        let detail = store.order_detail(order)?;
        packet.json("order.json", &detail.view)?;
        let timeline: Vec<_> = detail.history.iter().map(|v| &v.event).collect();
        packet.json("timeline.json", &timeline)?;
        for version in &detail.history {
            packet.json(
                &format!("versions/version-{:03}.json", version.event.version),
                &version.snapshot,
            )?;
        }
        packet.json("payments.json", &detail.payments)?;
        if let Some(shipment) = &detail.view.order.shipment {
            packet.json("shipment.json", shipment)?;
        }
        if let Some(inquiry) = detail.view.order.inquiry {
            let mut messages = Vec::new();
            let mut after: Option<String> = None;
            loop {
                let page = store.thread(inquiry, after.as_deref(), 500)?;
                messages.extend(page.items.into_iter().map(|m| m.message));
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
            packet.json("thread.json", &messages)?;
        }
        let mut documents = detail.documents.clone();
        if let Some(dispute) = &detail.view.order.dispute {
            for id in &dispute.evidence {
                if !documents.iter().any(|d| d.meta.id == *id)
                    && let Ok(meta) = store.document(*id, self.account().id)
                {
                    documents.push(crate::store::queries::OrderDocument { meta, local: false });
                }
            }
        }
        for (index, doc) in documents.iter().enumerate() {
            let path = document_path(index, &doc.meta.file_name);
            let full = packet.dir.join(&path);
            if let Some(dir) = full.parent() {
                std::fs::create_dir_all(dir)?;
            }
            self.download(doc.meta.id, &full).await?;
            packet.files.push(ManifestEntry {
                path,
                size: u64::try_from(doc.meta.size).unwrap_or(0),
                sha256: doc.meta.sha256.clone(),
            });
        }
        let manifest = Manifest {
            order,
            created_at: jiff::Timestamp::now().to_string(),
            files: packet.files.clone(),
        };
        let bytes =
            serde_json::to_vec_pretty(&manifest).map_err(|e| ClientError::Decode(e.to_string()))?;
        std::fs::write(packet.dir.join("manifest.json"), bytes)?;
        let staged = staging.keep();
        std::fs::rename(&staged, dest)?;
        Ok(manifest)
    }
}
