//! Documents of the demo world: a supplier's pro forma invoice as a genuine (small) PDF,
//! a buyer's purchase contract and an inspection report as UTF-8 text, and keeping them
//! through the document rules exactly as an upload is kept (`trade_documents` checks,
//! content-addressed store, metadata row with the owner's access).

use std::fmt::Write as _;
use trade_model::ErrorCode;

use trade_documents::MAX_DOCUMENT_BYTES;
use trade_model::entities::DocumentMeta;
use trade_model::{AccountId, DocumentId};

use trade_server::db::Write;
use trade_server::documents::HashingWriter;
use trade_server::error::{HttpError, HttpResult};
use trade_server::state::AppState;
use trade_server::store;

/// Checks `bytes` as an upload named `name` by `owner` and keeps it. Mirrors
/// `routes::documents::upload`: hash while writing a temp file in the store, check the
/// content against the name's type, move it under its digest, insert the metadata.
pub async fn keep(
    w: &mut Write,
    state: &AppState,
    owner: AccountId,
    name: &str,
    bytes: &[u8],
) -> HttpResult<DocumentMeta> {
    let temp = state.documents.temp_file().map_err(HttpError::internal)?;
    let file = temp.reopen().map_err(HttpError::internal)?;
    let mut writer = HashingWriter::new(std::io::BufWriter::new(file), MAX_DOCUMENT_BYTES);
    if !writer.push(bytes).map_err(HttpError::internal)? {
        return Err(HttpError::unprocessable(
            ErrorCode::DocumentTooLarge,
            "A demo document is larger than the upload cap.",
        ));
    }
    let (size, sha256) = writer.finish().map_err(HttpError::internal)?;
    let checked = trade_documents::check_document(name, std::io::Cursor::new(bytes), size)
        .map_err(|e| HttpError::unprocessable(e.code(), format!("demo document {name}: {e}")))?;
    state
        .documents
        .keep(temp, &sha256)
        .await
        .map_err(HttpError::internal)?;
    let meta = DocumentMeta {
        id: DocumentId::new(),
        file_name: checked.file_name.clone(),
        kind: checked.kind.as_str().to_owned(),
        media_type: checked.content_type(),
        size: i64::try_from(size).map_err(HttpError::internal)?,
        sha256,
        uploaded_by: owner,
        uploaded_at: state.now(),
    };
    store::documents::insert(w, &meta).await?;
    Ok(meta)
}

/// A string as a PDF literal: ASCII only (the standard fonts' encoding), with `\`, `(`
/// and `)` escaped.
fn pdf_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('(');
    for c in s.chars() {
        match c {
            '\\' | '(' | ')' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            _ => out.push('?'),
        }
    }
    out.push(')');
    out
}

/// A one-page PDF 1.4 document showing `title` and `lines` in Helvetica, with a correct
/// cross-reference table, so any PDF reader opens it.
pub fn pdf(title: &str, lines: &[String]) -> Vec<u8> {
    let mut content = String::new();
    let _ = write!(
        content,
        "BT /F2 16 Tf 56 780 Td {} Tj ET\nBT /F1 10 Tf 14 TL 56 750 Td\n",
        pdf_text(title)
    );
    for line in lines {
        let _ = writeln!(content, "{} Tj T*", pdf_text(line));
    }
    content.push_str("ET\n");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] \
         /Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>"
            .to_owned(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold >>".to_owned(),
        format!(
            "<< /Length {} >>\nstream\n{content}endstream",
            content.len()
        ),
        format!(
            "<< /Title {} /Producer (Trade Center demo) >>",
            pdf_text(title)
        ),
    ];
    let mut out: Vec<u8> = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref_at = out.len();
    let mut xref = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        let _ = writeln!(xref, "{offset:010} 00000 n ");
    }
    let _ = write!(
        xref,
        "trailer\n<< /Size {} /Root 1 0 R /Info 7 0 R >>\nstartxref\n{xref_at}\n%%EOF\n",
        objects.len() + 1
    );
    out.extend_from_slice(xref.as_bytes());
    out
}

/// A plain-text document (UTF-8, CRLF line ends as Windows editors write them).
pub fn text(lines: &[String]) -> Vec<u8> {
    let mut out = String::new();
    for line in lines {
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_documents_pass_the_document_rules() {
        let pdf = pdf(
            "PRO FORMA INVOICE (PI-1)",
            &[
                "Seller: A\\B (C)".to_owned(),
                "Total: USD 1.00 – ok".to_owned(),
            ],
        );
        let len = pdf.len() as u64;
        let checked = trade_documents::check_document("PI-1.pdf", std::io::Cursor::new(&pdf), len)
            .expect("a genuine PDF");
        assert_eq!(checked.kind, trade_documents::DocumentKind::Pdf);
        let text = String::from_utf8_lossy(&pdf);
        let xref_at: usize = text
            .rsplit("startxref\n")
            .next()
            .and_then(|t| t.lines().next())
            .and_then(|n| n.parse().ok())
            .expect("startxref offset");
        assert!(
            pdf[xref_at..].starts_with(b"xref"),
            "startxref points at xref"
        );
        assert!(text.contains("(Seller: A\\\\B \\(C\\))"));

        let txt = super::text(&["Käufer: Northwind Retail GmbH, Großer Burstah 12".to_owned()]);
        let checked =
            trade_documents::check_document("PO.txt", std::io::Cursor::new(&txt), txt.len() as u64)
                .expect("UTF-8 text");
        assert_eq!(checked.text_encoding.as_deref(), Some("UTF-8"));
    }
}
