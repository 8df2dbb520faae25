//! What every crate's tests share to talk to a real trade server (over HTTPS on
//! loopback, its own local CA): a client that trusts that CA and nothing else, JSON calls
//! answered as status and body, and a fresh PostgreSQL database for a test when the
//! tests run on PostgreSQL (`TRADE_TEST_POSTGRES_URL`).
#![allow(clippy::expect_used)] // test support: a broken setup should stop the test

use std::path::Path;

use reqwest::{Method, StatusCode};
use serde_json::Value;

/// The CA certificate a server made in its data directory.
pub fn ca_in(data_dir: &Path) -> Vec<u8> {
    std::fs::read(data_dir.join("tls/ca.pem")).expect("the server's CA in <data dir>/tls")
}

/// A client builder that speaks only HTTPS and trusts only `ca_pem` (tests add their
/// own timeouts, source addresses or pool settings).
pub fn client_builder(ca_pem: &[u8]) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem).expect("a PEM certificate"))
        .https_only(true)
}

/// [`client_builder`], built.
pub fn client(ca_pem: &[u8]) -> reqwest::Client {
    client_builder(ca_pem).build().expect("an HTTPS client")
}

/// A fresh PostgreSQL database when `TRADE_TEST_POSTGRES_URL` is set; `None` (SQLite in
/// the test's data directory) otherwise.
pub async fn postgres_database() -> Option<String> {
    let base = std::env::var("TRADE_TEST_POSTGRES_URL").ok()?;
    Some(
        trade_server::db::create_postgres_database(&base)
            .await
            .expect("a fresh database on TRADE_TEST_POSTGRES_URL"),
    )
}

/// JSON calls to one server.
#[derive(Clone)]
pub struct Api {
    pub client: reqwest::Client,
    /// `https://localhost:PORT`, without a trailing slash.
    pub base: String,
}

impl Api {
    pub fn new(base: impl Into<String>, client: reqwest::Client) -> Api {
        Api {
            client,
            base: base.into(),
        }
    }

    /// `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// One call; the answer's status and its body (JSON, or the text as a JSON string).
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("the request reaches the server");
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Signs in (`POST /v1/sessions`, which must answer 201); the access token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let (status, body) = self
            .send(
                Method::POST,
                "/v1/sessions",
                None,
                Some(serde_json::json!({ "email": email, "password": password })),
                &[],
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "sign-in as {email}: {body}");
        body["access_token"]
            .as_str()
            .expect("a session has an access token")
            .to_owned()
    }

    /// `GET path` as `token`, which must answer 200.
    pub async fn get(&self, path: &str, token: &str) -> Value {
        let (status, body) = self.send(Method::GET, path, Some(token), None, &[]).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
    }

    /// `POST path` as `token`, which must succeed.
    pub async fn post(&self, path: &str, token: &str, body: Value) -> Value {
        let (status, value) = self
            .send(Method::POST, path, Some(token), Some(body), &[])
            .await;
        assert!(status.is_success(), "POST {path} -> {status}: {value}");
        value
    }
}

/// A free loopback port for a server a test starts later, or stops and starts again on
/// the same port. Taken below the kernel's ephemeral range
/// (`/proc/sys/net/ipv4/ip_local_port_range`): a port the kernel handed out for port 0
/// can be handed out again, meanwhile, as the local port of any outgoing connection
/// (another test's database pool, or a client retrying that very port, which on
/// loopback can connect to itself), and the server then cannot bind it ("address in
/// use": a restart in the PostgreSQL fault suite exited at start). Free when returned;
/// ports are spread by process and call so parallel tests rarely try the same one.
pub fn listen_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static CALLS: AtomicU32 = AtomicU32::new(0);
    let ephemeral_start = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next()?.parse::<u32>().ok())
        .unwrap_or(32768)
        .clamp(12_000, 65_535);
    let (low, high) = (10_000_u32, ephemeral_start);
    let span = high - low;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let start = nanos
        .wrapping_mul(2_654_435_761)
        .wrapping_add(std::process::id().wrapping_mul(40_503))
        .wrapping_add(CALLS.fetch_add(1, Ordering::Relaxed).wrapping_mul(7_919));
    for i in 0..span {
        let port = low + (start.wrapping_add(i) % span);
        let port = u16::try_from(port).expect("below 65536 by the clamp above");
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free loopback port between {low} and {high}");
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_listen_port_is_free_and_never_one_the_kernel_hands_to_connections() {
        let range = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
            .expect("Linux names its ephemeral range");
        let first: u16 = range
            .split_whitespace()
            .next()
            .and_then(|p| p.parse().ok())
            .expect("the range's start");
        for _ in 0..50 {
            let port = super::listen_port();
            assert!(
                (10_000..first).contains(&port),
                "{port} is outside 10000..{first}"
            );
            std::net::TcpListener::bind(("127.0.0.1", port)).expect("the port is free");
        }
    }
}
