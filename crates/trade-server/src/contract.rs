//! The API contract as served at `/v1/openapi.json`: the document utoipa derives from
//! the routes, completed with what the derive does not state and every operation shares.
//! Each `{name}` of a path is declared as a path parameter; the `Idempotency-Key` header
//! on every operation behind the idempotency layer; every error status an operation can
//! answer with, in the one error shape (`ApiError`); operation ids unique across tags;
//! and the routes served outside the derive (health, this document).
//!
//! Completing the document here, from the router's own lists, keeps it from drifting:
//! a new route gets its parameters, headers and error statuses without anyone
//! remembering to write them.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

/// An operation: (lower-case HTTP method, path template).
pub type OperationKey = (String, String);

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The operations of `api`, as (method, path).
pub fn operations(api: &utoipa::openapi::OpenApi) -> BTreeSet<OperationKey> {
    let mut out = BTreeSet::new();
    for (path, item) in &api.paths.paths {
        let item = serde_json::to_value(item).unwrap_or(Value::Null);
        for method in METHODS {
            if item.get(method).is_some() {
                out.insert((method.to_owned(), path.clone()));
            }
        }
    }
    out
}

/// The served document: `api` completed (see the module docs). `keyed` are the
/// operations that take an `Idempotency-Key`.
pub fn complete(api: &utoipa::openapi::OpenApi, keyed: &BTreeSet<OperationKey>) -> Value {
    // Serialising a document utoipa built cannot fail: it is plain data.
    let mut doc = serde_json::to_value(api).unwrap_or_else(|_| json!({}));
    let mut ids: BTreeMap<String, usize> = BTreeMap::new();
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for method in METHODS {
                let Some(op) = item.get_mut(method).and_then(Value::as_object_mut) else {
                    continue;
                };
                declare_path_parameters(path, op);
                describe_parameters(path, op);
                let is_keyed = keyed.contains(&(method.to_owned(), path.clone()));
                if is_keyed {
                    add_parameter(
                        op,
                        json!({
                            "name": "Idempotency-Key", "in": "header", "required": false,
                            "description": "Any 1 to 255 visible characters, new for each \
                                distinct request. A retry with the same key (and the same \
                                request) gets the first answer instead of a second effect; \
                                the same key with another request is refused (409 \
                                `idempotency.key_reused`).",
                            "schema": { "type": "string", "minLength": 1, "maxLength": 255 }
                        }),
                    );
                }
                add_error_responses(method, path, op, is_keyed);
                let id = unique_id(method, path, op, &mut ids);
                op.insert("operationId".to_owned(), Value::String(id));
            }
        }
    }
    add_unlisted_routes(&mut doc);
    describe_event_stream(&mut doc);
    describe_document_content(&mut doc);
    doc
}

/// The object at a JSON pointer into the document, when there is one.
fn object_at<'a>(doc: &'a mut Value, pointer: &str) -> Option<&'a mut Map<String, Value>> {
    doc.pointer_mut(pointer).and_then(Value::as_object_mut)
}

/// A document's bytes come with its own media type (one of the accepted kinds; a text
/// file with the encoding it was found in).
fn describe_document_content(doc: &mut Value) {
    let Some(ok) = object_at(
        doc,
        "/paths/~1v1~1documents~1{id}~1content/get/responses/200",
    ) else {
        return;
    };
    let content: Map<String, Value> = trade_documents::DocumentKind::ALL
        .iter()
        .map(|kind| {
            let essence = kind.media_type().split(';').next().unwrap_or_default();
            let schema = json!({ "schema": { "type": "string", "format": "binary" } });
            (essence.to_owned(), schema)
        })
        .collect();
    ok.insert("content".to_owned(), Value::Object(content));
}

/// The values each parameter takes, from the code that reads it: `If-Match` an order
/// version; a cursor as the server hands them out (or empty, for the first page); the
/// inquiry filters; the order boxes; a document id and name.
fn describe_parameters(path: &str, op: &mut Map<String, Value>) {
    let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) else {
        return;
    };
    for p in params.iter_mut() {
        let schema = match (p["in"].as_str(), p["name"].as_str()) {
            (Some("header"), Some("If-Match")) => json!({
                "type": "string",
                "pattern": crate::routes::orders::IF_MATCH_PATTERN,
                "examples": ["\"3\""]
            }),
            (Some("query"), Some("cursor")) if path == "/v1/sync/pull" => {
                json!({ "type": "string", "pattern": crate::store::sync::Cursor::pattern() })
            }
            (Some("query"), Some("cursor"))
                if path == "/v1/sync/snapshot" || path == "/v1/sync/snapshot/stream" =>
            {
                json!({ "type": "string", "pattern": crate::store::sync::SnapshotCursor::pattern() })
            }
            (Some("query"), Some("cursor")) => {
                json!({ "type": "string", "pattern": crate::store::PAGE_CURSOR_PATTERN })
            }
            (Some("query"), Some("filter")) => {
                json!({ "type": "string", "enum": crate::routes::inquiries::FILTERS })
            }
            (Some("query"), Some("box")) => json!({ "$ref": "#/components/schemas/OrderBox" }),
            (Some("query"), Some("id")) => json!({ "type": "string", "format": "uuid" }),
            (Some("query"), Some("name")) => json!({
                "type": "string", "minLength": 1,
                "maxLength": trade_documents::MAX_NAME_CHARS
            }),
            _ => continue,
        };
        p["schema"] = schema;
    }
}

/// `/v1/events` is a server-sent event stream: before OpenAPI 3.2 the response schema
/// describes one event, whose `data` is JSON (a `Poke`).
fn describe_event_stream(doc: &mut Value) {
    let Some(stream) = object_at(
        doc,
        "/paths/~1v1~1events/get/responses/200/content/text~1event-stream",
    ) else {
        return;
    };
    stream.insert(
        "schema".to_owned(),
        json!({
            "type": "object",
            "description": "One event: `ready` with the account's version on connect, then \
                `changed` whenever it moves. Heartbeats are comments, not events.",
            "required": ["event", "data"],
            "properties": {
                "event": { "type": "string", "enum": ["ready", "changed"] },
                "data": {
                    "type": "string",
                    "contentMediaType": "application/json",
                    "contentSchema": { "$ref": "#/components/schemas/Poke" }
                }
            }
        }),
    );
}

/// `/v1/health` and this document, which the router serves without the derive.
fn add_unlisted_routes(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    paths.insert(
        "/v1/health".to_owned(),
        json!({ "get": {
            "tags": ["meta"], "operationId": "health",
            "summary": "Whether the server is up.",
            "responses": { "200": { "description": "Up.",
                "content": { "text/plain": { "schema": { "type": "string", "enum": ["ok"] } } } } }
        } }),
    );
    paths.insert(
        "/v1/openapi.json".to_owned(),
        json!({ "get": {
            "tags": ["meta"], "operationId": "openapi",
            "summary": "This document.",
            "responses": { "200": { "description": "The OpenAPI document.",
                "content": { "application/json": { "schema": { "type": "object" } } } } }
        } }),
    );
}

/// The `{name}` segments of `path`.
fn template_names(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .collect()
}

/// Declares each `{name}` of `path` as a required path parameter (an id is a UUID, a
/// version an integer), keeps the derive's own declaration when it has one, and drops
/// any "path" parameter the path does not have.
fn declare_path_parameters(path: &str, op: &mut Map<String, Value>) {
    let names = template_names(path);
    let params = op
        .entry("parameters")
        .or_insert_with(|| Value::Array(Vec::new()));
    let Some(params) = params.as_array_mut() else {
        return;
    };
    params.retain(|p| p["in"] != "path" || names.contains(&p["name"].as_str().unwrap_or("")));
    for name in names {
        if params
            .iter()
            .any(|p| p["in"] == "path" && p["name"] == name)
        {
            continue;
        }
        let schema = if name == "version" {
            json!({ "type": "integer", "format": "int64", "minimum": 1 })
        } else {
            json!({ "type": "string", "format": "uuid" })
        };
        params.push(json!({ "name": name, "in": "path", "required": true, "schema": schema }));
    }
    if params.is_empty() {
        op.remove("parameters");
    }
}

/// Adds `param` unless the operation declares one with its name and place.
fn add_parameter(op: &mut Map<String, Value>, param: Value) {
    let params = op
        .entry("parameters")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Some(params) = params.as_array_mut()
        && !params
            .iter()
            .any(|p| p["name"] == param["name"] && p["in"] == param["in"])
    {
        params.push(param);
    }
}

/// Every error status the operation can answer with, in the error shape, unless the
/// derive documents it already.
fn add_error_responses(method: &str, path: &str, op: &mut Map<String, Value>, keyed: bool) {
    let secured = op
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|s| !s.is_empty());
    let has_body = op.contains_key("requestBody");
    let has_path_id = !template_names(path).is_empty();
    let writes = method != "get";
    let takes_if_match = op
        .get("parameters")
        .and_then(Value::as_array)
        .is_some_and(|ps| {
            ps.iter()
                .any(|p| p["in"] == "header" && p["name"] == "If-Match")
        });
    let mut statuses: Vec<(&str, &str)> = vec![
        (
            "400",
            "Malformed: a body, path or query value that cannot be read (`request.malformed`), or a header with a bad value.",
        ),
        (
            "500",
            "A fault on the server (`internal`); retrying is safe.",
        ),
    ];
    if secured {
        statuses.push(("401", "Not signed in, or the session ended."));
    }
    if has_path_id {
        statuses.push((
            "404",
            "No such record, or not one the caller may see (`not_found`).",
        ));
    }
    if secured && writes {
        statuses.push(("403", "The caller's role or side may not take this step."));
        statuses.push((
            "409",
            "The record's state does not allow this now (e.g. `order.invalid_state`, `payment.processing`).",
        ));
        statuses.push((
            "422",
            "The request is well-formed but not acceptable (a rule of the area, e.g. `order.invalid_terms`).",
        ));
    }
    if has_body {
        statuses.push(("413", "The body is too large (`request.too_large`)."));
        statuses.push((
            "415",
            "The body is not of the declared content type (`request.unsupported_media_type`).",
        ));
        statuses.push((
            "422",
            "The body's fields are missing or out of range (`request.invalid`, or a code of the area).",
        ));
    }
    if keyed {
        statuses.push((
            "409",
            "The Idempotency-Key was used before for another request (`idempotency.key_reused`).",
        ));
    }
    if takes_if_match {
        statuses.push((
            "412",
            "The order changed since the version in If-Match (`order.version_conflict`, with `details.current_version`).",
        ));
        statuses.push(("428", "If-Match is required here and was not sent."));
    }
    if !crate::throttle::is_exempt(method, path) {
        statuses.push((
            "429",
            "Over the request budget of the account (or, without a session, of the client's \
             address): `request.rate_limited`. Retry-After (and `details.retry_after_secs`) \
             says when the next request is admitted.",
        ));
    }
    let responses = op
        .entry("responses")
        .or_insert_with(|| Value::Object(Map::new()));
    let Some(responses) = responses.as_object_mut() else {
        return;
    };
    for (status, description) in statuses {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| json!({ "description": description }));
    }
    // Every error answer, the derive's own included, is in the error shape; every 429
    // says when to come back.
    for (status, response) in responses.iter_mut() {
        if !(status.starts_with('4') || status.starts_with('5')) {
            continue;
        }
        if let Some(response) = response.as_object_mut() {
            response.insert(
                "content".to_owned(),
                json!({ "application/json": { "schema": { "$ref": "#/components/schemas/ApiError" } } }),
            );
            if status == "429" {
                response.insert(
                    "headers".to_owned(),
                    json!({ "Retry-After": {
                        "description": "Seconds to wait before the next request is admitted.",
                        "schema": { "type": "integer", "minimum": 1 }
                    } }),
                );
            }
        }
    }
}

/// `tag_name` (or, should that repeat, the method and path), unique in the document.
fn unique_id(
    method: &str,
    path: &str,
    op: &Map<String, Value>,
    seen: &mut BTreeMap<String, usize>,
) -> String {
    let tag = op
        .get("tags")
        .and_then(|t| t.get(0))
        .and_then(Value::as_str)
        .unwrap_or("api");
    let name = op
        .get("operationId")
        .and_then(Value::as_str)
        .unwrap_or(method);
    let mut id = format!("{tag}_{name}");
    let n = seen.entry(id.clone()).or_insert(0);
    *n += 1;
    if *n > 1 {
        let tail: String = path
            .split('/')
            .filter(|s| !s.is_empty() && !s.starts_with('{'))
            .collect::<Vec<_>>()
            .join("_");
        id = format!("{method}_{tail}");
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_templates_name_their_parameters() {
        assert_eq!(
            template_names("/v1/orders/{id}/versions/{version}"),
            ["id", "version"]
        );
        assert!(template_names("/v1/orders").is_empty());
    }

    #[test]
    fn a_stray_path_parameter_goes_and_the_missing_ones_come() {
        let mut op = json!({ "parameters": [
            { "name": "limit", "in": "path", "required": true },
            { "name": "If-Match", "in": "header" }
        ] })
        .as_object()
        .cloned()
        .unwrap_or_default();
        declare_path_parameters("/v1/orders/{id}", &mut op);
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        let names: Vec<_> = params
            .iter()
            .map(|p| (p["name"].clone(), p["in"].clone()))
            .collect();
        assert_eq!(
            names,
            [
                (json!("If-Match"), json!("header")),
                (json!("id"), json!("path"))
            ]
        );
    }
}
