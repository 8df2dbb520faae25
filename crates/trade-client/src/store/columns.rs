//! Records kept in columns instead of as the server's JSON (messages and inquiries: the
//! bulk of a cache), and the SQL that makes their JSON again. A row keeps each field
//! once, in its column; UUIDs as their 16 bytes; times as Unix milliseconds (all the
//! server keeps); fields this version does not know in `extra`, so nothing the server
//! sent is lost.
//!
//! A statement takes an id as text through `unhex(?n, '-')` ([`id_param`]) and gives one
//! back through [`id_text!`].

use std::borrow::Cow;
use std::fmt;

use jiff::Timestamp;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::{ClientError, Result};

/// The SQL expression of the text of the UUID in `column` (16 bytes): lowercase,
/// hyphenated, as the server writes it.
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

/// The SQL expression of the time in `column` (Unix milliseconds) as the server writes
/// it (jiff): to the millisecond, trailing zeros of the fraction dropped.
macro_rules! time_text {
    ($column:literal) => {
        concat!(
            "strftime('%Y-%m-%dT%H:%M:%S', ",
            $column,
            " / 1000, 'unixepoch') || CASE WHEN ",
            $column,
            " % 1000 = 0 THEN '' ELSE '.' || rtrim(printf('%03d', ",
            $column,
            " % 1000), '0') END || 'Z'"
        )
    };
}
pub(crate) use time_text;

/// The tables whose rows keep their ids as 16 bytes.
fn in_columns(table: &str) -> bool {
    matches!(table, "messages" | "inquiries")
}

/// The SQL expression of the record JSON a row of `table` holds: its `data` column, or
/// the JSON made from its columns. Public for tools that read a cache file (the benches).
pub fn json_of(table: &str) -> &'static str {
    match table {
        "messages" => super::message_row::MESSAGE_JSON,
        "inquiries" => super::inquiry_row::INQUIRY_JSON,
        _ => "data",
    }
}

/// The parameter `?{n}` of a statement on `table` that takes a record's id as text,
/// as the table keeps ids.
pub(crate) fn id_param(table: &str, n: u8) -> String {
    if in_columns(table) {
        format!("unhex(?{n}, '-')")
    } else {
        format!("?{n}")
    }
}

/// The SQL expression of the id of a row of `table`, as text. Public for tools that read
/// a cache file (the benches).
pub fn id_of(table: &str) -> &'static str {
    if in_columns(table) {
        id_text!("id")
    } else {
        "id"
    }
}

/// The error of a column `n` of type `kind` whose value does not decode.
pub(crate) fn undecodable(
    n: usize,
    kind: rusqlite::types::Type,
    e: impl std::error::Error + Send + Sync + 'static,
) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(n, kind, Box::new(e))
}

/// Column `n` of a row, a UUID kept as its 16 bytes.
pub(crate) fn uuid_at(row: &rusqlite::Row<'_>, n: usize) -> rusqlite::Result<uuid::Uuid> {
    let bytes: [u8; 16] = row.get(n)?;
    Ok(uuid::Uuid::from_bytes(bytes))
}

/// Column `n` of a row, a time kept as Unix milliseconds.
pub(crate) fn time_at(row: &rusqlite::Row<'_>, n: usize) -> rusqlite::Result<Timestamp> {
    let ms: i64 = row.get(n)?;
    Timestamp::from_millisecond(ms).map_err(|e| undecodable(n, rusqlite::types::Type::Integer, e))
}

/// Column `n` of a row, text that is the JSON of a `T`.
pub(crate) fn json_at<T: de::DeserializeOwned>(
    row: &rusqlite::Row<'_>,
    n: usize,
) -> rusqlite::Result<T> {
    let text: String = row.get(n)?;
    serde_json::from_str(&text).map_err(|e| undecodable(n, rusqlite::types::Type::Text, e))
}

/// Column `n` of a row, the text of a unit variant of `T` (its serde name).
pub(crate) fn variant_at<T: de::DeserializeOwned>(
    row: &rusqlite::Row<'_>,
    n: usize,
) -> rusqlite::Result<T> {
    use serde::de::IntoDeserializer;
    let text: String = row.get(n)?;
    T::deserialize(text.as_str().into_deserializer())
        .map_err(|e: de::value::Error| undecodable(n, rusqlite::types::Type::Text, e))
}

/// A record's JSON object split into the fields its row keeps in columns (`names`, in
/// that order) and the others, each kept as it came.
pub(crate) struct Fields<'a> {
    what: &'static str,
    names: &'static [&'static str],
    values: Vec<Option<&'a RawValue>>,
    extra: Vec<(Cow<'a, str>, &'a RawValue)>,
}

impl<'a> Fields<'a> {
    /// Splits `data`, the JSON of a `what` (named in errors).
    pub(crate) fn split(
        data: &'a str,
        what: &'static str,
        names: &'static [&'static str],
    ) -> Result<Fields<'a>> {
        let mut de = serde_json::Deserializer::from_str(data);
        let fields = Split { what, names }
            .deserialize(&mut de)
            .and_then(|f| de.end().map(|()| f))
            .map_err(|e| ClientError::Decode(format!("{what}: {e}")))?;
        Ok(fields)
    }

    fn raw(&self, n: usize) -> Result<&'a RawValue> {
        self.values.get(n).copied().flatten().ok_or_else(|| {
            ClientError::Decode(format!(
                "{} without its {}",
                self.what,
                self.names.get(n).copied().unwrap_or("field")
            ))
        })
    }

    fn decode<T: de::Deserialize<'a>>(&self, n: usize) -> Result<T> {
        serde_json::from_str(self.raw(n)?.get()).map_err(|e| {
            ClientError::Decode(format!(
                "{}'s {}: {e}",
                self.what,
                self.names.get(n).copied().unwrap_or("field")
            ))
        })
    }

    /// Field `n`, a string (borrowed where it has no escapes).
    pub(crate) fn text(&self, n: usize) -> Result<Cow<'a, str>> {
        self.decode::<Text>(n).map(|t| t.0)
    }

    /// Field `n`, a string or null or missing.
    pub(crate) fn text_or_null(&self, n: usize) -> Result<Option<Cow<'a, str>>> {
        match self.values.get(n).copied().flatten() {
            None => Ok(None),
            Some(_) => self.decode::<Option<Text>>(n).map(|t| t.map(|t| t.0)),
        }
    }

    /// Field `n`, a UUID, as its 16 bytes.
    pub(crate) fn uuid(&self, n: usize) -> Result<[u8; 16]> {
        let text = self.text(n)?;
        uuid::Uuid::parse_str(&text)
            .map(uuid::Uuid::into_bytes)
            .map_err(|e| ClientError::Decode(format!("{}'s id {text:?}: {e}", self.what)))
    }

    /// Field `n`, a time, as Unix milliseconds.
    pub(crate) fn millis(&self, n: usize) -> Result<i64> {
        self.decode::<Timestamp>(n).map(|t| t.as_millisecond())
    }

    /// Field `n` decoded as a `T` (a number, a boolean).
    pub(crate) fn value<T: de::Deserialize<'a>>(&self, n: usize) -> Result<T> {
        self.decode(n)
    }

    /// Field `n` as it came, if present.
    pub(crate) fn json(&self, n: usize) -> Option<&'a str> {
        self.values.get(n).copied().flatten().map(RawValue::get)
    }

    /// The fields this version does not know, as a JSON object; `None` if there are none.
    pub(crate) fn extra(&self) -> Result<Option<String>> {
        if self.extra.is_empty() {
            return Ok(None);
        }
        let mut object = String::from("{");
        for (n, (key, value)) in self.extra.iter().enumerate() {
            if n > 0 {
                object.push(',');
            }
            let key = serde_json::to_string(key).map_err(|e| ClientError::Decode(e.to_string()))?;
            object.push_str(&key);
            object.push(':');
            object.push_str(value.get());
        }
        object.push('}');
        Ok(Some(object))
    }
}

struct Split {
    what: &'static str,
    names: &'static [&'static str],
}

impl<'de> DeserializeSeed<'de> for Split {
    type Value = Fields<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Fields<'de>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Split {
    type Value = Fields<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} (a JSON object)", self.what)
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Fields<'de>, A::Error> {
        let mut fields = Fields {
            what: self.what,
            names: self.names,
            values: vec![None; self.names.len()],
            extra: Vec::new(),
        };
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            let value: &'de RawValue = map.next_value()?;
            match self.names.iter().position(|n| *n == key) {
                Some(n) => fields.values[n] = Some(value),
                None => fields.extra.push((key, value)),
            }
        }
        Ok(fields)
    }
}

/// A string, borrowed where the JSON has no escapes (serde's `Cow<str>` always copies).
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
