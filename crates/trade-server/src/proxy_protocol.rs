//! The PROXY protocol, version 2 (HAProxy's `send-proxy-v2`): behind a load balancer
//! that passes TLS through (`mode tcp`), every connection comes from the balancer, so
//! per-address limits (sign-in attempts) would count every client together. With
//! `--proxy-protocol` the balancer puts a short binary header in front of each
//! connection naming the client's address, and the server takes the peer address from
//! it. A connection without the header is refused, so a client reaching the server
//! directly cannot name an address of its choosing: only enable it when every
//! connection comes through a balancer that sends the header.
//!
//! See <https://www.haproxy.org/download/2.6/doc/proxy-protocol.txt> §2.2.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use tokio::io::{AsyncRead, AsyncReadExt};

/// The twelve bytes every version 2 header starts with.
pub const SIGNATURE: [u8; 12] = *b"\r\n\r\n\0\r\nQUIT\n";

#[derive(Debug, thiserror::Error)]
pub enum ProxyHeaderError {
    #[error("the connection does not start with a PROXY protocol v2 header")]
    NotProxy,
    #[error("unsupported PROXY protocol version or command {0:#04x}")]
    Version(u8),
    #[error("the PROXY header's address block is too short for its address family")]
    Short,
    #[error("reading the PROXY header: {0}")]
    Io(#[from] std::io::Error),
}

/// Reads the header at the start of `stream` (and nothing after it): the client's
/// address, or `None` when the balancer speaks for itself (a `LOCAL` header, as health
/// checks may send) or names no IP address.
pub async fn read_header(
    stream: &mut (impl AsyncRead + Unpin),
) -> Result<Option<SocketAddr>, ProxyHeaderError> {
    let mut head = [0u8; 16];
    stream.read_exact(&mut head).await?;
    if head[..12] != SIGNATURE {
        return Err(ProxyHeaderError::NotProxy);
    }
    let len = usize::from(u16::from_be_bytes([head[14], head[15]]));
    let mut rest = vec![0u8; len];
    stream.read_exact(&mut rest).await?;
    parse(head[12], head[13], &rest)
}

/// The source address in a header's address block, after its version/command and
/// family bytes. Type-length-value extensions after the addresses are ignored.
pub fn parse(
    version_command: u8,
    family: u8,
    addresses: &[u8],
) -> Result<Option<SocketAddr>, ProxyHeaderError> {
    match version_command {
        // LOCAL: the balancer's own connection; the real peer is the balancer.
        0x20 => return Ok(None),
        // PROXY: a client's connection relayed.
        0x21 => {}
        other => return Err(ProxyHeaderError::Version(other)),
    }
    let port = |at: usize| u16::from_be_bytes([addresses[at], addresses[at + 1]]);
    match family >> 4 {
        // AF_INET: source, destination (4 bytes each), then their ports.
        0x1 => {
            let Some(ip) = addresses.first_chunk::<4>() else {
                return Err(ProxyHeaderError::Short);
            };
            if addresses.len() < 12 {
                return Err(ProxyHeaderError::Short);
            }
            Ok(Some(SocketAddr::from((Ipv4Addr::from(*ip), port(8)))))
        }
        // AF_INET6: 16 bytes each, then the ports.
        0x2 => {
            let Some(ip) = addresses.first_chunk::<16>() else {
                return Err(ProxyHeaderError::Short);
            };
            if addresses.len() < 36 {
                return Err(ProxyHeaderError::Short);
            }
            Ok(Some(SocketAddr::from((Ipv6Addr::from(*ip), port(32)))))
        }
        // AF_UNSPEC or AF_UNIX: no IP address to record.
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn header(version_command: u8, family: u8, block: &[u8]) -> Vec<u8> {
        let mut h = SIGNATURE.to_vec();
        h.push(version_command);
        h.push(family);
        h.extend_from_slice(&u16::try_from(block.len()).unwrap().to_be_bytes());
        h.extend_from_slice(block);
        h
    }

    #[tokio::test]
    async fn an_ipv4_client_is_read_and_the_bytes_after_the_header_are_left() {
        let block = [
            192, 0, 2, 7, 10, 0, 0, 1, 0xc3, 0x50, 0x01, 0xbb, 0x03, 0, 1, 9,
        ];
        let mut bytes = header(0x21, 0x11, &block);
        bytes.extend_from_slice(b"\x16\x03\x01");
        let mut stream = bytes.as_slice();
        let peer = read_header(&mut stream).await.unwrap();
        assert_eq!(peer, Some("192.0.2.7:50000".parse().unwrap()));
        assert_eq!(stream, b"\x16\x03\x01", "the TLS hello is left to read");
    }

    #[tokio::test]
    async fn an_ipv6_client_is_read() {
        let mut block = Vec::new();
        block.extend_from_slice(&"2001:db8::5".parse::<Ipv6Addr>().unwrap().octets());
        block.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        block.extend_from_slice(&[0x12, 0x34, 0x01, 0xbb]);
        let bytes = header(0x21, 0x21, &block);
        let peer = read_header(&mut bytes.as_slice()).await.unwrap();
        assert_eq!(peer, Some("[2001:db8::5]:4660".parse().unwrap()));
    }

    #[tokio::test]
    async fn local_and_unspecified_headers_name_no_client() {
        for (command, family) in [(0x20, 0x11), (0x21, 0x00)] {
            let bytes = header(command, family, &[]);
            assert_eq!(read_header(&mut bytes.as_slice()).await.unwrap(), None);
        }
    }

    #[tokio::test]
    async fn a_connection_without_the_header_or_with_a_bad_one_is_refused() {
        let hello = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x00\x00\x00\x00\x00";
        assert!(matches!(
            read_header(&mut hello.as_slice()).await,
            Err(ProxyHeaderError::NotProxy)
        ));
        let v1 = header(0x11, 0x11, &[0; 12]);
        assert!(matches!(
            read_header(&mut v1.as_slice()).await,
            Err(ProxyHeaderError::Version(0x11))
        ));
        let short = header(0x21, 0x11, &[127, 0, 0, 1]);
        assert!(matches!(
            read_header(&mut short.as_slice()).await,
            Err(ProxyHeaderError::Short)
        ));
        let cut = &header(0x21, 0x11, &[0; 12])[..20];
        assert!(matches!(
            read_header(&mut &cut[..]).await,
            Err(ProxyHeaderError::Io(_))
        ));
    }
}
