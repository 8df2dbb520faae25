//! What the desk asks of the desktop beyond events: native file dialogs and opening a
//! file or link in the system's own application. The host shows them; the bodies of the
//! commands that use them (which dialog, what is checked before and after) are here.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;

use crate::error::{CommandError, CommandResult};
use trade_client::error::ClientCode;
use trade_client::exports::ExportFormat;

/// A native dialog's answer: the path the user chose, or `None` when they cancelled.
pub type Chosen = Pin<Box<dyn Future<Output = Option<PathBuf>> + Send + 'static>>;

/// A native file dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathDialog {
    /// Pick an existing file, offered through one filter of extensions.
    Open {
        title: &'static str,
        filter: &'static str,
        extensions: &'static [&'static str],
    },
    /// Choose where to save, a file name suggested (never a path: see [`safe_file_name`]),
    /// offered through one filter of extensions when the file has a type.
    Save {
        title: &'static str,
        suggested_name: String,
        filter: Option<(&'static str, &'static [&'static str])>,
    },
}

/// What the system opens for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opening {
    /// A checked local copy of a document, in the system's viewer.
    File(PathBuf),
    /// An `https` link, in the browser.
    Link(url::Url),
}

/// The dialog for the server's CA certificate.
pub const CA_FILE: PathDialog = PathDialog::Open {
    title: "The server's CA certificate",
    filter: "Certificate (PEM)",
    extensions: &["pem", "crt", "cer"],
};

/// The dialog for a contract, PI or evidence file: the types the platform accepts.
pub const DOCUMENT: PathDialog = PathDialog::Open {
    title: "Choose a contract, PI or evidence file",
    filter: "Documents",
    extensions: trade_documents::DocumentKind::ALL_EXTENSIONS,
};

/// The save dialog for a document.
pub fn save_document(suggested_name: &str) -> PathDialog {
    PathDialog::Save {
        title: "Save the document",
        suggested_name: safe_file_name(suggested_name, "document"),
        filter: None,
    }
}

/// The save dialog for an order's evidence packet (a new folder).
pub fn save_evidence(suggested_name: &str) -> PathDialog {
    PathDialog::Save {
        title: "Save the evidence packet",
        suggested_name: safe_file_name(suggested_name, "evidence"),
        filter: None,
    }
}

/// The save dialog for an export: `title` names what is exported ("Export the orders"),
/// the file type's filter is the format's.
pub fn save_export(title: &'static str, suggested_name: &str, format: ExportFormat) -> PathDialog {
    let extensions: &'static [&'static str] = match format {
        ExportFormat::Xlsx => &["xlsx"],
        ExportFormat::Csv => &["csv"],
    };
    PathDialog::Save {
        title,
        suggested_name: safe_file_name(suggested_name, "export"),
        filter: Some((format.filter_name(), extensions)),
    }
}

/// A name someone else chose (a supplier's file name), made fit to suggest in a save
/// dialog: its last path component only, no control characters, no leading dots (no
/// hidden file, no `..`), at most 120 characters; `fallback` when nothing is left.
pub fn safe_file_name(name: &str, fallback: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last
        .chars()
        .filter(|c| !c.is_control())
        .skip_while(|c| *c == '.' || c.is_whitespace())
        .take(120)
        .collect();
    let clean = clean.trim_end().to_owned();
    if clean.is_empty() {
        fallback.to_owned()
    } else {
        clean
    }
}

/// A link from a message, checked before the browser sees it: a well-formed `https`
/// URL with a host, nothing else.
pub fn external_link(url: &str) -> CommandResult<url::Url> {
    let parsed = url::Url::parse(url)
        .map_err(|_| CommandError::new(ClientCode::LinkInvalid, "This is not a valid link."))?;
    if parsed.scheme() != "https" || parsed.host_str().is_none() {
        return Err(CommandError::new(
            ClientCode::LinkNotHttps,
            "Only https links are opened.",
        ));
    }
    Ok(parsed)
}

/// The host could not open a file or link: the error the command answers.
pub fn open_failed(what: &Opening, reason: String) -> CommandError {
    let code = match what {
        Opening::File(_) => ClientCode::DocumentOpenFailed,
        Opening::Link(_) => ClientCode::LinkOpenFailed,
    };
    CommandError::new(code, reason)
}
