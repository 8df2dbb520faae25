//! Server profiles: a server URL plus, optionally, one extra CA certificate (the dev or
//! demo server's own CA). HTTPS only; the system's roots plus that CA are trusted;
//! nothing accepts an invalid certificate.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{ClientError, Result};

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Whole-request limit for ordinary API calls (not uploads or live events).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Live events: a heartbeat arrives every 15 s; three missed ones mean the connection
/// is dead.
pub const EVENTS_READ_TIMEOUT: Duration = Duration::from_secs(45);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerProfile {
    /// e.g. `https://trade.example.com` or `https://localhost:8443`.
    pub url: String,
    /// PEM of an extra CA to trust for this server.
    #[serde(default)]
    pub ca_pem: Option<String>,
}

impl ServerProfile {
    /// Checks the URL and returns it without a trailing slash.
    pub fn base_url(&self) -> Result<String> {
        let url =
            reqwest::Url::parse(self.url.trim()).map_err(|e| ClientError::BadUrl(e.to_string()))?;
        if url.scheme() != "https" {
            return Err(ClientError::NotHttps(self.url.clone()));
        }
        if url.host_str().is_none() {
            return Err(ClientError::BadUrl(self.url.clone()));
        }
        Ok(url.as_str().trim_end_matches('/').to_owned())
    }

    fn builder(&self) -> Result<reqwest::ClientBuilder> {
        self.base_url()?;
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .https_only(true)
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("TradeCenterDesktop/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = &self.ca_pem {
            let cert = reqwest::Certificate::from_pem(pem.as_bytes())
                .map_err(|_| ClientError::BadCertificate)?;
            // from_pem accepts anything; make sure a certificate is really there.
            if !pem.contains("BEGIN CERTIFICATE") {
                return Err(ClientError::BadCertificate);
            }
            builder = builder.add_root_certificate(cert);
        }
        Ok(builder)
    }

    /// The client for API calls.
    pub fn client(&self) -> Result<reqwest::Client> {
        Ok(self.builder()?.timeout(REQUEST_TIMEOUT).build()?)
    }

    /// The client for long-lived live-event streams and large transfers: no total
    /// timeout, but a dead connection is noticed.
    pub fn streaming_client(&self) -> Result<reqwest::Client> {
        Ok(self.builder()?.read_timeout(EVENTS_READ_TIMEOUT).build()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_and_garbage_are_refused_with_clear_codes() {
        let p = |url: &str| ServerProfile {
            url: url.into(),
            ca_pem: None,
        };
        assert_eq!(
            p("http://localhost:8443").client().unwrap_err().code(),
            "client.https_required"
        );
        assert_eq!(
            p("localhost:8443").client().unwrap_err().code(),
            "client.https_required"
        );
        assert_eq!(
            p("not a url").client().unwrap_err().code(),
            "client.bad_url"
        );
        assert_eq!(
            p("https://localhost:8443/").base_url().unwrap(),
            "https://localhost:8443"
        );
        let bad_ca = ServerProfile {
            url: "https://localhost".into(),
            ca_pem: Some("hello".into()),
        };
        assert_eq!(
            bad_ca.client().unwrap_err().code(),
            "client.bad_certificate"
        );
    }
}
