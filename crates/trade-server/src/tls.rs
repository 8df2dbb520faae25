//! HTTPS material. Without a configured certificate the server makes its own local CA and
//! a leaf for `localhost`/`127.0.0.1`/`::1` in its data directory on first start, and reuses
//! them afterwards. Clients trust that CA explicitly; nothing accepts invalid certificates.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read or write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("{path} holds no usable {what}")]
    Pem { path: PathBuf, what: &'static str },
    #[error("TLS configuration refused: {0}")]
    Rustls(#[from] rustls::Error),
}

/// Where the server's certificate comes from.
#[derive(Debug, Clone)]
pub enum TlsSource {
    /// Make (once) and reuse a local CA and leaf under this directory.
    LocalCa(PathBuf),
    /// Operator-provided PEM files: certificate chain and private key.
    Files { cert: PathBuf, key: PathBuf },
}

pub struct TlsMaterial {
    pub config: Arc<ServerConfig>,
    /// The CA clients must trust, when the server made its own.
    pub ca_path: Option<PathBuf>,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> TlsError + '_ {
    move |source| TlsError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Writes `contents` to `path` readable by the owner only (private keys).
fn write_private(path: &Path, contents: &str) -> Result<(), TlsError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io_err(path))?;
    file.write_all(contents.as_bytes()).map_err(io_err(path))
}

fn ca_params() -> Result<CertificateParams, rcgen::Error> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "Trade Center local development CA");
    dn.push(DnType::OrganizationName, "Trade Center");
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2035, 1, 1);
    Ok(params)
}

fn leaf_params() -> Result<CertificateParams, rcgen::Error> {
    let mut params = CertificateParams::new(vec!["localhost".to_owned()])?;
    params
        .subject_alt_names
        .push(SanType::IpAddress(std::net::IpAddr::V4(
            std::net::Ipv4Addr::LOCALHOST,
        )));
    params
        .subject_alt_names
        .push(SanType::IpAddress(std::net::IpAddr::V6(
            std::net::Ipv6Addr::LOCALHOST,
        )));
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "localhost");
    params.distinguished_name = dn;
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2034, 1, 1);
    Ok(params)
}

/// Creates `ca.pem`, `server.pem` (leaf + CA) and `server.key` in `dir` unless they exist.
/// The CA's private key is not kept: nothing else is ever signed with it.
///
/// `ca.pem` is written last and whole (a temporary file renamed into place): its presence
/// means the set is complete. A set whose `ca.pem` holds no certificate (left by a
/// server killed while writing it, before the rename) is made again.
pub fn ensure_local_ca(dir: &Path) -> Result<(PathBuf, PathBuf, PathBuf), TlsError> {
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    let ca_path = dir.join("ca.pem");
    let cert_path = dir.join("server.pem");
    let key_path = dir.join("server.key");
    let ca_whole = load_certs(&ca_path).is_ok_and(|certs| !certs.is_empty());
    if ca_whole && cert_path.exists() && key_path.exists() {
        return Ok((ca_path, cert_path, key_path));
    }
    let ca_key = KeyPair::generate()?;
    let ca_params = ca_params()?;
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate()?;
    let leaf = leaf_params()?.signed_by(&leaf_key, &issuer)?;
    write_private(&key_path, &leaf_key.serialize_pem())?;
    fs::write(&cert_path, format!("{}{}", leaf.pem(), ca_cert.pem()))
        .map_err(io_err(&cert_path))?;
    // Written last, whole: its presence means the set is complete.
    let partial = dir.join("ca.pem.partial");
    let mut file = fs::File::create(&partial).map_err(io_err(&partial))?;
    file.write_all(ca_cert.pem().as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(io_err(&partial))?;
    fs::rename(&partial, &ca_path).map_err(io_err(&ca_path))?;
    Ok((ca_path, cert_path, key_path))
}

fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = fs::read(path).map_err(io_err(path))?;
    let certs: Vec<_> = rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<Result<_, _>>()
        .map_err(io_err(path))?;
    if certs.is_empty() {
        return Err(TlsError::Pem {
            path: path.to_owned(),
            what: "certificate",
        });
    }
    Ok(certs)
}

fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let pem = fs::read(path).map_err(io_err(path))?;
    rustls_pemfile::private_key(&mut pem.as_slice())
        .map_err(io_err(path))?
        .ok_or_else(|| TlsError::Pem {
            path: path.to_owned(),
            what: "private key",
        })
}

pub fn load(source: &TlsSource) -> Result<TlsMaterial, TlsError> {
    let (ca_path, cert, key) = match source {
        TlsSource::LocalCa(dir) => {
            let (ca, cert, key) = ensure_local_ca(dir)?;
            (Some(ca), cert, key)
        }
        TlsSource::Files { cert, key } => (None, cert.clone(), key.clone()),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(load_certs(&cert)?, load_key(&key)?)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsMaterial {
        config: Arc::new(config),
        ca_path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_ca_is_made_once_and_reused_with_a_private_key_file() {
        let dir = tempfile::tempdir().unwrap();
        let (ca, _, key) = ensure_local_ca(dir.path()).unwrap();
        let first = fs::read_to_string(&ca).unwrap();
        ensure_local_ca(dir.path()).unwrap();
        assert_eq!(
            first,
            fs::read_to_string(&ca).unwrap(),
            "CA must not be regenerated"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&key).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert!(load(&TlsSource::LocalCa(dir.path().to_owned())).is_ok());
    }

    #[test]
    fn a_ca_file_left_empty_by_a_killed_start_is_made_again() {
        let dir = tempfile::tempdir().unwrap();
        let (ca, cert, _) = ensure_local_ca(dir.path()).unwrap();
        // What a server killed between creating ca.pem and writing it left behind
        // (before it was written whole): the other files complete, ca.pem empty.
        fs::write(&ca, "").unwrap();
        let (ca, cert_again, _) = ensure_local_ca(dir.path()).unwrap();
        assert_eq!(cert, cert_again);
        let certs = load_certs(&ca).unwrap();
        assert_eq!(certs.len(), 1, "a whole CA certificate again");
        // The server's chain ends in the CA clients are given.
        let chain = load_certs(&cert_again).unwrap();
        assert_eq!(chain.last(), certs.first());
        assert!(load(&TlsSource::LocalCa(dir.path().to_owned())).is_ok());
    }
}
