//! A message's row. Messages are the bulk of a cache (nine records in ten of an account
//! that has traded for years), so a message is kept in columns, not as the server's JSON:
//! the JSON's field names in every row, and its id, thread and time written once more
//! beside their columns, took half of it (migration 12). [`MESSAGE_JSON`] makes the JSON
//! again, for the code that reads records as JSON.
//!
//! Nothing the server sent is lost: fields this version does not know are kept in
//! `extra`, and come back in the JSON.
//!
//! Its ids (`id`, `inquiry_id`, `sender`) are kept as a UUID's 16 bytes: a statement
//! takes an id as text through `unhex(?n, '-')` ([`id_param`]) and gives one back
//! through [`id_text!`].

use std::borrow::Cow;
use std::fmt;

use jiff::Timestamp;
use rusqlite::{Transaction, params};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::apply::exec;
use crate::error::{ClientError, Result};

/// The SQL expression of the text of the UUID in a message row's `column` (`id`,
/// `inquiry_id`, `sender`: 16 bytes each): lowercase, hyphenated, as the server writes it.
macro_rules! id_text {
    ($column:literal) => {
        concat!(
            "lower(substr(hex(",
            $column,
            "), 1, 8) || '-' || substr(hex(",
            $column,
            "), 9, 4) || '-' || substr(hex(",
            $column,
            "), 13, 4) || '-' || substr(hex(",
            $column,
            "), 17, 4) || '-' || substr(hex(",
            $column,
            "), 21))"
        )
    };
}
pub(crate) use id_text;

/// The parameter `?{n}` of a statement on `table` that takes a record's id as text,
/// as the table keeps ids.
pub(crate) fn id_param(table: &str, n: u8) -> String {
    if table == "messages" {
        format!("unhex(?{n}, '-')")
    } else {
        format!("?{n}")
    }
}

/// The SQL expression of the id of a row of `table`, as text.
pub(crate) fn id_of(table: &str) -> &'static str {
    if table == "messages" {
        id_text!("id")
    } else {
        "id"
    }
}

/// A message row's JSON from its columns: the fields in the server's order, its time
/// written as the server writes it (jiff: to the millisecond the server keeps, trailing
/// zeros of the fraction dropped), and any fields this version does not know.
pub(crate) const MESSAGE_JSON: &str = concat!(
    "json_patch(json_object('id', ",
    id_text!("id"),
    ", 'inquiry', ",
    id_text!("inquiry_id"),
    ", 'sender', ",
    id_text!("sender"),
    ", 'sender_name', sender_name, 'body', body, \
     'attachments', json(coalesce(attachments, '[]')), \
     'sent_at', strftime('%Y-%m-%dT%H:%M:%S', sent_at / 1000, 'unixepoch') \
     || CASE WHEN sent_at % 1000 = 0 THEN '' \
        ELSE '.' || rtrim(printf('%03d', sent_at % 1000), '0') END || 'Z', \
     'read', json(CASE WHEN read THEN 'true' ELSE 'false' END), 'quotation', quotation), \
     coalesce(extra, '{}'))"
);

/// The SQL expression of the record JSON a row of `table` holds: its `data` column, or
/// for a message, [`MESSAGE_JSON`]. Public for tools that read a cache file (the benches).
pub fn json_of(table: &str) -> &'static str {
    if table == "messages" {
        MESSAGE_JSON
    } else {
        "data"
    }
}

/// Writes a message's row from its JSON (a [`trade_model::entities::Message`]), in
/// `state` (see the `messages` table), over the row of the same id if there is one.
pub(crate) fn put(tx: &Transaction<'_>, data: &str, state: &str) -> Result<()> {
    let m: MessageRow =
        serde_json::from_str(data).map_err(|e| ClientError::Decode(e.to_string()))?;
    let (Some(id), Some(inquiry), Some(sender), Some(sender_name), Some(body), Some(sent_at)) =
        (m.id, m.inquiry, m.sender, m.sender_name, m.body, m.sent_at)
    else {
        return Err(ClientError::Decode(
            "a message without its id, thread, sender, text or time".into(),
        ));
    };
    let uuid = |text: &str| {
        uuid::Uuid::parse_str(text)
            .map(|u| u.into_bytes())
            .map_err(|e| ClientError::Decode(format!("a message's id {text:?}: {e}")))
    };
    let (id, inquiry, sender) = (uuid(&id)?, uuid(&inquiry)?, uuid(&sender)?);
    let attachments = m
        .attachments
        .map(RawValue::get)
        .filter(|a| a.trim() != "[]");
    let extra = if m.extra.is_empty() {
        None
    } else {
        let mut object = String::from("{");
        for (n, (key, value)) in m.extra.iter().enumerate() {
            if n > 0 {
                object.push(',');
            }
            object.push_str(
                &serde_json::to_string(key).map_err(|e| ClientError::Decode(e.to_string()))?,
            );
            object.push(':');
            object.push_str(value.get());
        }
        object.push('}');
        Some(object)
    };
    exec(
        tx,
        "INSERT INTO messages (id, inquiry_id, sent_at, state, sender, sender_name, body, read, \
         quotation, attachments, extra) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
         ON CONFLICT (id) DO UPDATE SET inquiry_id = excluded.inquiry_id, \
         sent_at = excluded.sent_at, state = excluded.state, sender = excluded.sender, \
         sender_name = excluded.sender_name, body = excluded.body, read = excluded.read, \
         quotation = excluded.quotation, attachments = excluded.attachments, \
         extra = excluded.extra",
        params![
            &id[..],
            &inquiry[..],
            sent_at.as_millisecond(),
            state,
            &sender[..],
            sender_name,
            body,
            m.read,
            m.quotation.flatten(),
            attachments,
            extra
        ],
    )?;
    Ok(())
}

/// A message's JSON read for its row: strings borrowed from the JSON where they have no
/// escapes; attachments and unknown fields kept as they came.
#[derive(Default)]
struct MessageRow<'a> {
    id: Option<Cow<'a, str>>,
    inquiry: Option<Cow<'a, str>>,
    sender: Option<Cow<'a, str>>,
    sender_name: Option<Cow<'a, str>>,
    body: Option<Cow<'a, str>>,
    attachments: Option<&'a RawValue>,
    sent_at: Option<Timestamp>,
    read: bool,
    quotation: Option<Option<Cow<'a, str>>>,
    extra: Vec<(Cow<'a, str>, &'a RawValue)>,
}

/// A string field, borrowed where the JSON has no escapes (serde's `Cow<str>` would
/// always copy).
struct Text<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(
                self,
                s: &'de str,
            ) -> std::result::Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> std::result::Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E: de::Error>(self, s: String) -> std::result::Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(s)))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> de::Deserialize<'de> for MessageRow<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MessageRow<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a message")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<MessageRow<'de>, A::Error> {
                let mut m = MessageRow::default();
                while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
                    match key.as_ref() {
                        "id" => m.id = Some(map.next_value::<Text>()?.0),
                        "inquiry" => m.inquiry = Some(map.next_value::<Text>()?.0),
                        "sender" => m.sender = Some(map.next_value::<Text>()?.0),
                        "sender_name" => m.sender_name = Some(map.next_value::<Text>()?.0),
                        "body" => m.body = Some(map.next_value::<Text>()?.0),
                        "attachments" => m.attachments = Some(map.next_value()?),
                        "sent_at" => m.sent_at = Some(map.next_value()?),
                        "read" => m.read = map.next_value()?,
                        "quotation" => {
                            m.quotation = Some(map.next_value::<Option<Text>>()?.map(|t| t.0))
                        }
                        _ => m.extra.push((key, map.next_value()?)),
                    }
                }
                Ok(m)
            }
        }
        d.deserialize_map(V)
    }
}
