//! The IPC commands are declared once (`trade_desk::ipc::COMMANDS`); every other place
//! that must name them names exactly those: a command missing from one of them is
//! either uncallable or callable without being declared.

use std::collections::BTreeSet;
use std::path::PathBuf;

use trade_desk::ipc::COMMANDS;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The text between the first `open` after `from` and the next `close`.
fn between<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
    let start = text.find(open).unwrap_or_else(|| panic!("no {open}")) + open.len();
    let len = text[start..]
        .find(close)
        .unwrap_or_else(|| panic!("no {close} after {open}"));
    &text[start..start + len]
}

fn names_in(place: &str, names: Vec<String>) -> BTreeSet<String> {
    let set: BTreeSet<String> = names.iter().cloned().collect();
    assert_eq!(
        set.len(),
        names.len(),
        "{place} names a command twice: {names:?}"
    );
    set
}

fn declared() -> BTreeSet<String> {
    names_in(
        "COMMANDS",
        COMMANDS.iter().map(|c| (*c).to_owned()).collect(),
    )
}

fn assert_same(place: &str, found: BTreeSet<String>) {
    let declared = declared();
    let missing: Vec<_> = declared.difference(&found).collect();
    let extra: Vec<_> = found.difference(&declared).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{place} does not name the declared commands: missing {missing:?}, not declared {extra:?}"
    );
}

#[test]
fn the_handler_list_registers_every_declared_command() {
    let main = read("src-tauri/src/main.rs");
    let list = between(&main, "generate_handler![", "]");
    let names = list
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_start_matches("commands::").to_owned())
        .collect();
    assert_same("src-tauri/src/main.rs", names_in("main.rs", names));
}

#[test]
fn the_shell_has_a_command_function_for_each() {
    let commands = read("src-tauri/src/commands.rs");
    let names = commands
        .split("#[tauri::command]")
        .skip(1)
        .map(|after| between(after, "pub async fn ", "(").trim().to_owned())
        .collect();
    assert_same("src-tauri/src/commands.rs", names_in("commands.rs", names));
}

#[test]
fn the_capability_allows_exactly_them_and_the_two_event_calls() {
    let file: serde_json::Value =
        serde_json::from_str(&read("src-tauri/capabilities/main.json")).unwrap();
    let permissions: Vec<&str> = file["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().expect("permissions are named"))
        .collect();
    let (core, own): (Vec<&str>, Vec<&str>) =
        permissions.iter().partition(|p| p.starts_with("core:"));
    assert_eq!(
        core,
        ["core:event:allow-listen", "core:event:allow-unlisten"],
        "no other core permission"
    );
    let names = own
        .iter()
        .map(|p| {
            p.strip_prefix("allow-")
                .unwrap_or_else(|| panic!("{p}: only allow-<command> permissions"))
                .replace('-', "_")
        })
        .collect();
    assert_same(
        "src-tauri/capabilities/main.json",
        names_in("main.json", names),
    );
}

#[test]
fn the_front_end_calls_each_of_them_through_ipc_ts() {
    let ts = read("ui/src/lib/ipc.ts");
    let names = ts
        .split("call<")
        .skip(2) // the first split is before any; the second is `call`'s own definition
        .map(|after| between(after, "(\"", "\"").to_owned())
        .collect();
    assert_same("ui/src/lib/ipc.ts", names_in("ipc.ts", names));
}
