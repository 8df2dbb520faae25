//! The build itself: `./dev run` builds the binaries (`cargo build --workspace --bins`)
//! and `./dev test` every target (dev-dependencies included) into one target dir. When a
//! dev-dependency turns on a feature of a crate the normal build also compiles, the two
//! builds resolve that crate differently and everything depending on it compiles twice
//! (thirtyfour's `serde_json/preserve_order` once cost `./dev run` six minutes after a
//! full `./dev test`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// Every package of the workspace's graph, compiled for the host (build scripts, proc
/// macros and what they use) or for the target, with the features cargo resolves for it
/// when the given dependency kinds are built. Host and target copies are separate units,
/// so they are compared separately.
fn resolved_features(edges: &str) -> BTreeMap<(String, bool), BTreeSet<String>> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the workspace");
    let out = Command::new(cargo)
        .current_dir(root)
        .args([
            "tree",
            "--workspace",
            "--locked",
            "--offline",
            "--charset",
            "ascii",
        ])
        .args(["-e", edges, "-f", "{p}|{f}"])
        .output()
        .expect("run cargo tree");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut packages: BTreeMap<(String, bool), BTreeSet<String>> = BTreeMap::new();
    // Per depth: whether the node there is built for the host, and whether the
    // dependencies listed there are `[build-dependencies]`.
    let mut host_at: Vec<bool> = Vec::new();
    let mut build_section_at: Vec<bool> = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let text = line.trim_start_matches(['|', '-', '`', ' ']);
        let depth = (line.len() - text.len()) / 4;
        if text.starts_with('[') {
            // A section heading sits one level above the dependencies it lists.
            build_section_at.truncate(depth + 1);
            build_section_at.resize(depth + 2, false);
            build_section_at[depth + 1] = text == "[build-dependencies]";
            continue;
        }
        let Some((package, features)) = text.split_once('|') else {
            continue;
        };
        build_section_at.truncate(depth + 1);
        let parent_host = depth > 0 && host_at.get(depth - 1).copied().unwrap_or(false);
        let in_build_section = build_section_at.get(depth).copied().unwrap_or(false);
        let host = parent_host || in_build_section || package.ends_with("(proc-macro)");
        host_at.truncate(depth);
        host_at.push(host);
        // "name v1.2.3 (path)" → "name v1.2.3"
        let package = package
            .split(" (")
            .next()
            .unwrap_or(package)
            .trim()
            .to_owned();
        let features = features.trim_end_matches(" (*)");
        packages.entry((package, host)).or_default().extend(
            features
                .split(',')
                .filter(|f| !f.is_empty())
                .map(str::to_owned),
        );
    }
    packages
}

#[test]
fn dev_dependencies_change_no_feature_of_the_normal_build() {
    let normal = resolved_features("normal,build");
    let with_dev = resolved_features("normal,build,dev");
    assert!(
        normal.len() > 100,
        "cargo tree listed {} packages",
        normal.len()
    );
    let differing: Vec<String> = normal
        .iter()
        .filter_map(|(key, features)| {
            let test_build = with_dev.get(key)?;
            (test_build != features).then(|| {
                let (package, host) = key;
                let side = if *host { "host" } else { "target" };
                let added: Vec<&String> = test_build.difference(features).collect();
                format!("{package} ({side}): the test build adds {added:?}")
            })
        })
        .collect();
    assert!(
        differing.is_empty(),
        "dev-dependencies change features of crates the normal build compiles; name these \
         features in a normal dependency (or move the dev-dependency to one) so that both \
         builds agree:\n{}",
        differing.join("\n")
    );
}
