//! `tradecenter://` links, and the command line they arrive on.
//!
//! A link comes from outside the app (a browser, a mail, another program through
//! `xdg-open`): it is untrusted text. [`parse`] accepts exactly this grammar and
//! refuses everything else with [`ClientCode::DeepLinkInvalid`]:
//!
//! ```text
//! link   = scheme "://" kind "/" id [ "/" ]
//! scheme = "tradecenter"                 ; any letter case (RFC 3986 schemes are)
//! kind   = "orders" / "inquiries"        ; any letter case
//! id     = 8HEX "-" 4HEX "-" 4HEX "-" 4HEX "-" 12HEX   ; a UUID, any hex case
//! ```
//!
//! - one trailing slash is accepted (some programs add it); two are not;
//! - a query (`?…`) or fragment (`#…`) is **refused**, not ignored: nothing the app
//!   links to uses them, and a link that means one thing only cannot smuggle a second
//!   meaning past a reader;
//! - percent-encoding is refused (`%` anywhere): the grammar needs none, and decoding
//!   would let `%2F` or `%2E%2E` stand for what is refused when written plainly;
//! - user info, a port, an empty or extra path segment, whitespace, control or
//!   non-ASCII characters are refused;
//! - anything longer than [`MAX_LEN`] bytes is refused before it is looked at.
//!
//! The id is only ever used as a typed id (a UUID) to look a record up: never in a
//! path or a command line.

use serde::{Deserialize, Serialize};
use trade_client::error::ClientCode;
use trade_model::{InquiryId, OrderId};
use uuid::Uuid;

use crate::error::CommandError;

/// The scheme the package registers (`x-scheme-handler/tradecenter`).
pub const SCHEME: &str = "tradecenter";

/// The longest link looked at: the longest valid one is
/// `tradecenter://inquiries/<36>/`, 62 bytes.
pub const MAX_LEN: usize = 256;

/// The flag the login autostart entry starts the app with: no window, the tray only.
pub const MINIMIZED_FLAG: &str = "--minimized";

/// The record a link opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum DeepLink {
    Order(OrderId),
    Inquiry(InquiryId),
}

impl DeepLink {
    /// The link in its canonical form (lower case, no trailing slash).
    pub fn to_url(&self) -> String {
        match self {
            DeepLink::Order(id) => format!("{SCHEME}://orders/{id}"),
            DeepLink::Inquiry(id) => format!("{SCHEME}://inquiries/{id}"),
        }
    }
}

fn invalid(why: &str) -> CommandError {
    CommandError::new(
        ClientCode::DeepLinkInvalid,
        format!("This Trade Center link cannot be opened: {why}."),
    )
}

/// Reads a `tradecenter://` link (see the module's grammar).
pub fn parse(raw: &str) -> Result<DeepLink, CommandError> {
    if raw.len() > MAX_LEN {
        return Err(invalid("it is too long"));
    }
    if !raw.is_ascii() || raw.bytes().any(|b| b.is_ascii_control() || b == b' ') {
        return Err(invalid("it contains characters a link cannot have"));
    }
    let Some((scheme, rest)) = raw.split_once("://") else {
        return Err(invalid("it is not a tradecenter:// link"));
    };
    if !scheme.eq_ignore_ascii_case(SCHEME) {
        return Err(invalid("it is not a tradecenter:// link"));
    }
    if rest.contains(['?', '#']) {
        return Err(invalid("it has extra parts (after ? or #)"));
    }
    if rest.contains('%') {
        return Err(invalid("it contains encoded characters"));
    }
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let mut parts = rest.split('/');
    let (Some(kind), Some(id), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid("it does not name an order or an inquiry"));
    };
    let id = uuid(id).ok_or_else(|| invalid("the record's id is malformed"))?;
    if kind.eq_ignore_ascii_case("orders") {
        Ok(DeepLink::Order(OrderId(id)))
    } else if kind.eq_ignore_ascii_case("inquiries") {
        Ok(DeepLink::Inquiry(InquiryId(id)))
    } else {
        Err(invalid("it does not name an order or an inquiry"))
    }
}

/// A UUID in its hyphenated form only (`Uuid::parse_str` also takes the simple, braced
/// and `urn:uuid:` forms).
fn uuid(s: &str) -> Option<Uuid> {
    let b = s.as_bytes();
    let shaped = b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        });
    shaped.then(|| Uuid::parse_str(s).ok()).flatten()
}

/// What one start of the app was asked to do, from its command line: the arguments the
/// desktop gives (`%u` in the desktop file: one link) or the autostart entry's flag.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// Started by the login autostart entry: keep the window hidden, show the tray.
    pub minimized: bool,
    /// The link given, read: `None` when none was given.
    pub link: Option<Result<DeepLink, CommandError>>,
}

/// Reads a command line (without the program's name). Every argument that does not
/// start with `--` is taken as a link (the desktop passes nothing else); more than one
/// is refused as a whole; unknown `--` flags are ignored (and logged).
pub fn request<S: AsRef<str>>(args: impl IntoIterator<Item = S>) -> Request {
    let mut minimized = false;
    let mut links = Vec::new();
    for arg in args {
        let arg = arg.as_ref();
        if arg == MINIMIZED_FLAG {
            minimized = true;
        } else if arg.starts_with("--") {
            tracing::info!(flag = %truncated(arg), "unknown command-line flag ignored");
        } else {
            links.push(arg.to_owned());
        }
    }
    let link = match links.as_slice() {
        [] => None,
        [one] => Some(parse(one)),
        _ => Some(Err(invalid("more than one link was given"))),
    };
    Request { minimized, link }
}

/// At most 80 characters of someone else's text, for a log line.
fn truncated(s: &str) -> String {
    s.chars()
        .take(80)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0190a5b2-7c3d-7e4f-8a1b-2c3d4e5f6a7b";

    fn order() -> DeepLink {
        DeepLink::Order(OrderId(Uuid::parse_str(ID).unwrap()))
    }

    fn inquiry() -> DeepLink {
        DeepLink::Inquiry(InquiryId(Uuid::parse_str(ID).unwrap()))
    }

    fn refused(raw: &str) {
        let e = parse(raw).expect_err(raw);
        assert_eq!(e.code, "deep_link.invalid", "{raw}: {e}");
    }

    #[test]
    fn accepts_orders_and_inquiries() {
        assert_eq!(
            parse(&format!("tradecenter://orders/{ID}")).unwrap(),
            order()
        );
        assert_eq!(
            parse(&format!("tradecenter://inquiries/{ID}")).unwrap(),
            inquiry()
        );
    }

    #[test]
    fn one_trailing_slash_is_accepted() {
        assert_eq!(
            parse(&format!("tradecenter://orders/{ID}/")).unwrap(),
            order()
        );
        refused(&format!("tradecenter://orders/{ID}//"));
    }

    #[test]
    fn scheme_kind_and_hex_are_case_insensitive() {
        let upper = ID.to_uppercase();
        assert_eq!(
            parse(&format!("TradeCenter://ORDERS/{upper}")).unwrap(),
            order()
        );
        assert_eq!(
            parse(&format!("TRADECENTER://Inquiries/{ID}")).unwrap(),
            inquiry()
        );
        assert_eq!(
            order().to_url(),
            format!("tradecenter://orders/{ID}"),
            "canonical form"
        );
    }

    #[test]
    fn query_and_fragment_are_refused() {
        refused(&format!("tradecenter://orders/{ID}?utm_source=mail"));
        refused(&format!("tradecenter://orders/{ID}#top"));
        refused(&format!("tradecenter://orders/{ID}/?"));
    }

    #[test]
    fn percent_encoding_is_refused() {
        refused(&format!("tradecenter://orders%2F{ID}"));
        refused(&format!("tradecenter://%6Frders/{ID}"));
        refused(&format!("tradecenter://orders/{}", ID.replace('-', "%2D")));
    }

    #[test]
    fn other_schemes_and_kinds_are_refused() {
        refused(&format!("https://orders/{ID}"));
        refused(&format!("tradecenterx://orders/{ID}"));
        refused(&format!("tradecenter:orders/{ID}"));
        refused(&format!("tradecenter:///orders/{ID}"));
        refused(&format!("tradecenter://documents/{ID}"));
        refused(&format!("tradecenter://order/{ID}"));
        refused(&format!("tradecenter://user@orders/{ID}"));
        refused(&format!("tradecenter://orders:443/{ID}"));
        refused(&format!("tradecenter://orders/{ID}/messages"));
        refused("tradecenter://orders/");
        refused("tradecenter://orders");
        refused("tradecenter://");
        refused("");
        refused(&format!("file:///etc/passwd#{ID}"));
    }

    #[test]
    fn malformed_ids_are_refused() {
        refused("tradecenter://orders/42");
        refused("tradecenter://orders/../../etc/passwd");
        refused(&format!("tradecenter://orders/{}", &ID[..35]));
        refused(&format!("tradecenter://orders/{ID}0"));
        refused(&format!("tradecenter://orders/{}", ID.replace('-', "")));
        refused(&format!("tradecenter://orders/{{{ID}}}"));
        refused(&format!("tradecenter://orders/urn:uuid:{ID}"));
        refused(&format!("tradecenter://orders/{}", ID.replace('a', "g")));
        refused(&format!(
            "tradecenter://orders/{}",
            ID.replacen('-', "_", 1)
        ));
    }

    #[test]
    fn whitespace_controls_and_non_ascii_are_refused() {
        refused(&format!(" tradecenter://orders/{ID}"));
        refused(&format!("tradecenter://orders/{ID}\n"));
        refused(&format!("tradecenter://orders/{ID}\0"));
        refused(&format!("tradecenter://orders/{ID};rm -rf ~"));
        refused(&format!("tradecenter://ordérs/{ID}"));
        refused(&format!("tradecenter://orders/{}", ID.replace('0', "０")));
    }

    #[test]
    fn overlong_input_is_refused_before_parsing() {
        let long = format!("tradecenter://orders/{ID}/{}", "a".repeat(MAX_LEN));
        let e = parse(&long).unwrap_err();
        assert_eq!(e.code, "deep_link.invalid");
        assert!(e.message.contains("too long"), "{e}");
        refused(&"x".repeat(10_000_000));
    }

    #[test]
    fn the_command_line_gives_the_flag_and_one_link() {
        assert_eq!(request(Vec::<String>::new()), Request::default());
        assert_eq!(
            request(["--minimized"]),
            Request {
                minimized: true,
                link: None
            }
        );
        assert_eq!(
            request([format!("tradecenter://orders/{ID}")]).link,
            Some(Ok(order()))
        );
        let r = request([
            "--minimized".to_owned(),
            format!("tradecenter://inquiries/{ID}"),
        ]);
        assert!(r.minimized);
        assert_eq!(r.link, Some(Ok(inquiry())));
        // Unknown flags are ignored; anything else is a link attempt, read strictly.
        assert_eq!(request(["--verbose"]), Request::default());
        let bad = request(["tradecenter://orders/nope"])
            .link
            .unwrap()
            .unwrap_err();
        assert_eq!(bad.code, "deep_link.invalid");
        let two = request([
            format!("tradecenter://orders/{ID}"),
            format!("tradecenter://inquiries/{ID}"),
        ]);
        assert_eq!(two.link.unwrap().unwrap_err().code, "deep_link.invalid");
    }
}
