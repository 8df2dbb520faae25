#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Damaged and hostile variants of the good fixtures (bytes changed, cut, spliced):
//! the check answers Ok or a `document.*` error, never panics, never reports a reader
//! failure (`document.io`) for a reader that works, and never accepts content of another
//! type than the extension says.

use std::fs;
use std::io::Cursor;
use std::path::Path;

use proptest::prelude::*;
use trade_documents::{DocumentKind, ERROR_CODES, check_document};

fn good_files() -> &'static [(String, Vec<u8>)] {
    static FILES: std::sync::OnceLock<Vec<(String, Vec<u8>)>> = std::sync::OnceLock::new();
    FILES.get_or_init(read_good_files)
}

fn read_good_files() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/good");
    let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().into_string().unwrap(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// A change to a file: overwrite bytes, cut it, or insert bytes.
#[derive(Debug, Clone)]
enum Damage {
    Set(prop::sample::Index, u8),
    SetU32(prop::sample::Index, u32),
    Truncate(prop::sample::Index),
    Insert(prop::sample::Index, Vec<u8>),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        4 => (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Damage::Set(i, b)),
        3 => (any::<prop::sample::Index>(), prop_oneof![Just(0u32), Just(u32::MAX), Just(0xFFFF_FFFE), Just(0xFFFF), any::<u32>()])
            .prop_map(|(i, v)| Damage::SetU32(i, v)),
        1 => any::<prop::sample::Index>().prop_map(Damage::Truncate),
        1 => (any::<prop::sample::Index>(), prop::collection::vec(any::<u8>(), 1..64)).prop_map(|(i, b)| Damage::Insert(i, b)),
    ]
}

fn apply(bytes: &mut Vec<u8>, d: &Damage) {
    if bytes.is_empty() {
        return;
    }
    match d {
        Damage::Set(i, b) => {
            let at = i.index(bytes.len());
            bytes[at] = *b;
        }
        Damage::SetU32(i, v) => {
            let at = i.index(bytes.len());
            for (k, b) in v.to_le_bytes().into_iter().enumerate() {
                if let Some(slot) = bytes.get_mut(at + k) {
                    *slot = b;
                }
            }
        }
        Damage::Truncate(i) => {
            let at = i.index(bytes.len());
            bytes.truncate(at);
        }
        Damage::Insert(i, extra) => {
            let at = i.index(bytes.len());
            bytes.splice(at..at, extra.iter().copied());
        }
    }
}

proptest! {
    // HOSTILE_CASES=100000 for a longer run.
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("HOSTILE_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(400)
    ))]

    #[test]
    fn damaged_files_never_panic(
        file in any::<prop::sample::Index>(),
        damages in prop::collection::vec(damage(), 1..6),
    ) {
        let files = good_files();
        let (name, original) = &files[file.index(files.len())];
        let mut bytes = original.clone();
        for d in &damages {
            apply(&mut bytes, d);
        }
        let len = bytes.len() as u64;
        match check_document(name, Cursor::new(bytes), len) {
            Ok(checked) => {
                let ext = name.rsplit('.').next().unwrap();
                prop_assert_eq!(Some(checked.kind), DocumentKind::from_extension(ext));
            }
            Err(e) => {
                prop_assert!(ERROR_CODES.contains(&e.code()));
                prop_assert_ne!(e.code(), "document.io", "{}: {}", name, e);
            }
        }
    }

    /// Any file's bytes under any allowed extension: no panic, and no `document.io`.
    #[test]
    fn any_content_under_any_extension(
        file in any::<prop::sample::Index>(),
        ext in prop::sample::select(DocumentKind::ALL_EXTENSIONS),
    ) {
        let files = good_files();
        let (_, bytes) = &files[file.index(files.len())];
        let name = format!("renamed.{ext}");
        let len = bytes.len() as u64;
        if let Err(e) = check_document(&name, Cursor::new(bytes.clone()), len) {
            prop_assert_ne!(e.code(), "document.io", "{}: {}", name, e);
        }
    }
}
