use sqlx::Row;
use sqlx::any::AnyRow;
use trade_model::entities::{DocumentMeta, Role};
use trade_model::{AccountId, DocumentId};

use super::error::{StoreError, StoreResult};
use crate::db::{Db, Write, from_millis, millis};
use trade_model::sync::RecordKind;

/// Who may read documents granted to the platform's dispute team.
pub const OPERATORS: &str = "role:operator";

fn meta_from_row(row: &AnyRow) -> StoreResult<DocumentMeta> {
    let id: String = row.try_get("id")?;
    let owner: String = row.try_get("owner_id")?;
    Ok(DocumentMeta {
        id: id.parse().map_err(StoreError::corrupt)?,
        file_name: row.try_get("file_name")?,
        kind: row.try_get("kind")?,
        media_type: row.try_get("media_type")?,
        size: row.try_get("size")?,
        sha256: row.try_get("sha256")?,
        uploaded_by: owner.parse().map_err(StoreError::corrupt)?,
        uploaded_at: from_millis(row.try_get("uploaded_at")?),
    })
}

const SELECT: &str =
    "SELECT id, owner_id, file_name, kind, media_type, size, sha256, uploaded_at FROM documents";

pub async fn insert(tx: &mut Write, meta: &DocumentMeta) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO documents (id, owner_id, file_name, kind, media_type, size, sha256, uploaded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(meta.id.to_string())
    .bind(meta.uploaded_by.to_string())
    .bind(&meta.file_name)
    .bind(&meta.kind)
    .bind(&meta.media_type)
    .bind(meta.size)
    .bind(&meta.sha256)
    .bind(millis(meta.uploaded_at))
    .execute(tx.conn())
    .await?;
    grant(tx, meta.id, &meta.uploaded_by.to_string()).await
}

pub async fn grant(tx: &mut Write, document: DocumentId, grantee: &str) -> StoreResult<()> {
    if grantee != OPERATORS {
        tx.touch(grantee, RecordKind::Document, document);
    }
    sqlx::query(
        "INSERT INTO document_access (document_id, grantee) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(document.to_string())
    .bind(grantee)
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn meta(db: &Db, id: DocumentId) -> StoreResult<Option<DocumentMeta>> {
    meta_on(&mut *db.pool().acquire().await?, id).await
}

/// `meta` on one connection (a write transaction's, to see its own writes).
pub async fn meta_on(
    conn: &mut sqlx::AnyConnection,
    id: DocumentId,
) -> StoreResult<Option<DocumentMeta>> {
    let row = sqlx::query(&format!("{SELECT} WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(conn)
        .await?;
    row.map(|r| meta_from_row(&r)).transpose()
}

/// The document if `viewer` may read it; 404 otherwise.
pub async fn visible(
    db: &Db,
    viewer: AccountId,
    role: Role,
    id: DocumentId,
) -> StoreResult<DocumentMeta> {
    let role_grantee = if role == Role::Operator {
        OPERATORS
    } else {
        ""
    };
    let row = sqlx::query(&format!(
        "{SELECT} WHERE id = $1 AND EXISTS (SELECT 1 FROM document_access g \
         WHERE g.document_id = $1 AND (g.grantee = $2 OR g.grantee = $3))"
    ))
    .bind(id.to_string())
    .bind(viewer.to_string())
    .bind(role_grantee)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| StoreError::NotFound("document"))?;
    meta_from_row(&row)
}

/// Checks that `owner` uploaded every one of `ids` (one may only attach one's own
/// uploads), inside the transaction that attaches them.
pub async fn require_owned(
    tx: &mut Write,
    owner: AccountId,
    ids: &[DocumentId],
) -> StoreResult<()> {
    for id in ids {
        let row = sqlx::query("SELECT 1 AS one FROM documents WHERE id = $1 AND owner_id = $2")
            .bind(id.to_string())
            .bind(owner.to_string())
            .fetch_optional(tx.conn())
            .await?;
        if row.is_none() {
            return Err(StoreError::DocumentNotYours(*id));
        }
    }
    Ok(())
}

/// For modified terms: every document must be already attached to the order or uploaded
/// by `owner`.
pub async fn require_owned_or_attached(
    tx: &mut Write,
    owner: AccountId,
    attached: &[DocumentId],
    wanted: &[DocumentId],
) -> StoreResult<()> {
    let new: Vec<DocumentId> = wanted
        .iter()
        .filter(|d| !attached.contains(d))
        .copied()
        .collect();
    require_owned(tx, owner, &new).await
}

/// Deletes an upload that was never shared (only its owner may read it).
pub async fn delete_unshared(tx: &mut Write, owner: AccountId, id: DocumentId) -> StoreResult<()> {
    sqlx::query("SELECT 1 AS one FROM documents WHERE id = $1 AND owner_id = $2")
        .bind(id.to_string())
        .bind(owner.to_string())
        .fetch_optional(tx.conn())
        .await?
        .ok_or_else(|| StoreError::NotFound("document"))?;
    let shared = sqlx::query(
        "SELECT 1 AS one FROM document_access WHERE document_id = $1 AND grantee <> $2",
    )
    .bind(id.to_string())
    .bind(owner.to_string())
    .fetch_optional(tx.conn())
    .await?;
    if shared.is_some() {
        return Err(StoreError::DocumentInUse);
    }
    sqlx::query("DELETE FROM document_access WHERE document_id = $1")
        .bind(id.to_string())
        .execute(tx.conn())
        .await?;
    sqlx::query("DELETE FROM documents WHERE id = $1")
        .bind(id.to_string())
        .execute(tx.conn())
        .await?;
    tx.remove(owner, RecordKind::Document, id);
    Ok(())
}
