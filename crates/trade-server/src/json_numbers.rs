//! Whole numbers written with a fraction (`3.0`, `1e3`) read as the integers they are.
//!
//! JSON has one number type, and JSON Schema counts `3.0` as an integer; so do the
//! OpenAPI document and every client generated from it. serde refuses `3.0` for an `i64`,
//! so without this a schema-valid request would be refused as unreadable. Numbers with
//! a fraction, and whole numbers outside `i64`, stay as they are and are refused by the
//! field that reads them.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use trade_model::ErrorCode;

use crate::error::HttpError;

/// The largest JSON body any route takes (the router's `DefaultBodyLimit`).
pub const MAX_JSON_BODY: usize = 1024 * 1024;

/// Rewrites a JSON request body whose whole numbers carry a fraction; passes every other
/// request through untouched (byte for byte, so idempotency fingerprints of ordinary
/// requests do not change).
pub async fn integral(request: Request, next: Next) -> Response {
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"));
    if !is_json {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_JSON_BODY).await else {
        return HttpError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::RequestTooLarge,
            format!("The body is larger than {MAX_JSON_BODY} bytes."),
        )
        .into_response();
    };
    if !has_fraction_or_exponent(&bytes) {
        // The common case: nothing to rewrite, and no second parse of the body.
        return next
            .run(Request::from_parts(parts, Body::from(bytes)))
            .await;
    }
    // Unreadable JSON is left for the extractor to refuse in its own words.
    let bytes = match serde_json::from_slice::<Value>(&bytes) {
        Ok(mut value) => match make_integral(&mut value) {
            true => serde_json::to_vec(&value).map_or(bytes, Into::into),
            false => bytes,
        },
        Err(_) => bytes,
    };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Whether a number outside any string is written with a fraction or an exponent (a
/// `.`, or an `e` right after a digit: outside strings letters are only in `true`,
/// `false` and `null`). A cheap scan, so most bodies are parsed once, by the handler.
fn has_fraction_or_exponent(json: &[u8]) -> bool {
    let (mut in_string, mut escaped, mut after_digit) = (false, false, false);
    for &b in json {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'.' => return true,
            b'e' | b'E' if after_digit => return true,
            _ => {}
        }
        after_digit = b.is_ascii_digit();
    }
    false
}

/// Turns every whole number with a fraction inside `value` into an integer; says
/// whether it changed anything.
fn make_integral(value: &mut Value) -> bool {
    match value {
        Value::Number(n) if n.is_f64() => match n.as_f64() {
            // `as` is exact here: the number is whole and inside i64's range.
            Some(f) if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 => {
                *value = Value::from(f as i64);
                true
            }
            _ => false,
        },
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |changed, v| make_integral(v) | changed),
        Value::Object(fields) => fields
            .values_mut()
            .fold(false, |changed, v| make_integral(v) | changed),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn whole_numbers_lose_their_fraction_and_nothing_else_changes() {
        let mut v = json!({ "a": 3.0, "b": [1e3, 2.5, -0.0], "c": "4.0", "d": 7, "e": 1e300 });
        assert!(make_integral(&mut v));
        assert_eq!(
            v,
            json!({ "a": 3, "b": [1000, 2.5, 0], "c": "4.0", "d": 7, "e": 1e300 })
        );
        let mut plain = json!({ "a": 3, "b": [2.5] });
        assert!(!make_integral(&mut plain));
    }

    #[test]
    fn only_numbers_outside_strings_count_as_written_with_a_fraction() {
        for (json, expected) in [
            (r#"{"a": 3.0}"#, true),
            (r#"{"a": 1e3}"#, true),
            (r#"[2E-1]"#, true),
            (r#"{"a": 3, "b": true, "c": false, "d": null}"#, false),
            (r#"{"email": "a.b@c.de", "n": "1e3"}"#, false),
            (r#"{"q": "say \"1.5\" please", "n": 2}"#, false),
        ] {
            assert_eq!(
                has_fraction_or_exponent(json.as_bytes()),
                expected,
                "{json}"
            );
        }
    }

    #[test]
    fn a_large_whole_number_read_from_text_stays_whole() {
        // Found by the API fuzzer: read without `float_roundtrip`, this came out as
        // -1899862778397719.25 and was refused as a fraction.
        let mut v: Value = serde_json::from_str(r#"{"p": -1899862778397719.0}"#).unwrap();
        assert!(make_integral(&mut v));
        assert_eq!(v, json!({ "p": -1_899_862_778_397_719_i64 }));
    }
}
