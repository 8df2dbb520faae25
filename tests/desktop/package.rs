//! The Linux packages (issue 18), as a user gets them.
//!
//! `./dev test` bundles this build's app binary as a `.deb` and an `.rpm` before the tests
//! run (`tauri bundle --debug --bundles deb,rpm`: the configuration `./dev package` bundles
//! the release build with, `src-tauri/tauri.conf.json`). These tests read what it made:
//!
//! - `the_installed_deb_starts_to_the_sign_in_screen_and_takes_links`: the `.deb`'s
//!   control fields (name, version, architecture, `Depends` naming WebKitGTK and the
//!   fonts, each of them a package installed here), then the package unpacked into a
//!   scratch root as dpkg would place it (`dpkg-deb -x`; the machine's `/usr` is not
//!   touched): the binary is this build's, the desktop file passes
//!   `desktop-file-validate` and registers `tradecenter://` (`MimeType`,
//!   `Exec=trade-center-desktop %u`), its icon is installed. Then the installed binary
//!   is started through WebDriver and shows the sign-in screen; signed in, a
//!   `tradecenter://` link opened the way the desktop opens one (`gio open`, which finds
//!   the handler through the installed desktop file and starts the installed binary)
//!   reaches the running app.
//! - `the_rpm_holds_the_same_files_and_requires_the_fonts`: the `.rpm` read by rpm itself
//!   (Debian's `rpm`): name, version, architecture, `Requires` (WebKitGTK and the fonts
//!   by their Fedora names), and the same files with the same bytes as the `.deb`.
//!
//! Run alone (after `cargo build --workspace --bins` and the bundle step of `./dev test`):
//! `scripts/with-keyring.sh --desktop cargo test -p trade-e2e --test desktop package::`.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::harness::{Desktop, FIRST_SYNC, Launch, PATIENCE, app_binary, profile_dir, run, until};

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::bail;
use sha2::{Digest, Sha256};

/// The package's name (Tauri's: the product name in kebab case).
const PACKAGE: &str = "trade-center";
/// The installed program (`mainBinaryName`).
const BINARY: &str = "usr/bin/trade-center-desktop";
/// The desktop file (Tauri names it after the product).
const DESKTOP_FILE: &str = "usr/share/applications/Trade Center.desktop";
/// What the `.deb` must depend on: the webview and GTK (which Tauri adds), and the fonts
/// for Chinese, Japanese, Korean, Arabic, Devanagari and Thai (`scripts.rs`).
const DEB_DEPENDS: [&str; 4] = [
    "libwebkit2gtk-4.1-0",
    "libgtk-3-0",
    "fonts-noto-cjk",
    "fonts-noto-ui-core",
];
/// The same for the `.rpm`: the libraries (Tauri names them by soname, which any RPM
/// distribution resolves to its own package) and the fonts by Fedora's package names.
const RPM_REQUIRES: [&str; 6] = [
    "libwebkit2gtk-4.1.so.0()(64bit)",
    "libgtk-3.so.0()(64bit)",
    "google-noto-sans-cjk-fonts",
    "google-noto-sans-arabic-fonts",
    "google-noto-sans-devanagari-fonts",
    "google-noto-sans-thai-fonts",
];

/// Debian's and RPM's names for this machine's architecture.
fn arch() -> (&'static str, &'static str) {
    match std::env::consts::ARCH {
        "x86_64" => ("amd64", "x86_64"),
        "aarch64" => ("arm64", "aarch64"),
        other => panic!("no package architecture known for {other}"),
    }
}

/// `<target>/debug/bundle/<kind>/<file>`, which the bundle step of `./dev test` writes.
fn bundled(kind: &str, file: &str) -> PathBuf {
    let path = profile_dir().join("bundle").join(kind).join(file);
    assert!(
        path.is_file(),
        "{} is missing: bundle this build first (what `./dev test` does after building): \
         ui/node_modules/.bin/tauri bundle --debug --bundles deb,rpm --ci --no-binary-patching",
        path.display()
    );
    path
}

fn deb() -> PathBuf {
    let version = env!("CARGO_PKG_VERSION");
    bundled("deb", &format!("Trade Center_{version}_{}.deb", arch().0))
}

fn rpm() -> PathBuf {
    let version = env!("CARGO_PKG_VERSION");
    bundled("rpm", &format!("Trade Center-{version}-1.{}.rpm", arch().1))
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `Key: value` lines (control fields, `dpkg-deb --field`), continuation lines joined.
fn fields(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut last: Option<String> = None;
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(key) = &last {
                out.entry(key.clone())
                    .and_modify(|v: &mut String| v.push_str(line));
            }
        } else if let Some((key, value)) = line.split_once(':') {
            out.insert(key.trim().to_owned(), value.trim().to_owned());
            last = Some(key.trim().to_owned());
        }
    }
    out
}

/// The package names of a `Depends` field (alternatives and version constraints dropped).
fn depends_names(depends: &str) -> Vec<String> {
    depends
        .split([',', '|'])
        .map(|d| d.split_whitespace().next().unwrap_or_default().to_owned())
        .filter(|d| !d.is_empty())
        .collect()
}

/// The `[Desktop Entry]` group's keys.
fn desktop_entry(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut in_entry = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_entry = line == "[Desktop Entry]";
        } else if in_entry && let Some((key, value)) = line.split_once('=') {
            out.insert(key.trim().to_owned(), value.trim().to_owned());
        }
    }
    out
}

/// The files (not directories) under `root`, as absolute paths of the system `root`
/// stands for.
fn files_under(root: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut dirs = vec![root.to_owned()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let rel = path.strip_prefix(root).unwrap();
                out.insert(format!("/{}", rel.to_str().expect("a UTF-8 path")));
            }
        }
    }
    out
}

/// Unpacks `deb` into `root` as dpkg would place its files.
fn unpack_deb(deb: &Path, root: &Path) {
    run(Command::new("dpkg-deb").arg("-x").arg(deb).arg(root));
}

#[tokio::test]
async fn the_installed_deb_starts_to_the_sign_in_screen_and_takes_links() {
    let deb = deb();
    let (deb_arch, _) = arch();

    // The control fields.
    let control = fields(&run(Command::new("dpkg-deb")
        .arg("--field")
        .arg(&deb)
        .args(["Package", "Version", "Architecture", "Depends"])));
    assert_eq!(control.get("Package").map(String::as_str), Some(PACKAGE));
    assert_eq!(
        control.get("Version").map(String::as_str),
        Some(env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(
        control.get("Architecture").map(String::as_str),
        Some(deb_arch)
    );
    let depends = depends_names(control.get("Depends").expect("a Depends field"));
    for needed in DEB_DEPENDS {
        assert!(
            depends.iter().any(|d| d == needed),
            "the .deb depends on {needed}: Depends: {depends:?}"
        );
    }
    // Every dependency is a real Debian package, installed here (what dpkg would check).
    for name in &depends {
        let status = Command::new("dpkg-query")
            .args(["--show", "--showformat=${Status}", name])
            .output()
            .expect("dpkg-query runs");
        assert!(
            String::from_utf8_lossy(&status.stdout).contains("install ok installed"),
            "the .deb's dependency {name} is not an installed package here: {}",
            String::from_utf8_lossy(&status.stderr)
        );
    }

    // Installed into a scratch root.
    let scratch = tempfile::Builder::new()
        .prefix("trade-package-")
        .tempdir()
        .unwrap();
    let root = scratch.path().join("root");
    unpack_deb(&deb, &root);

    // The program is this build's (the bundle step ran after the last build).
    let installed = root.join(BINARY);
    let built = std::fs::read(app_binary()).unwrap();
    let packaged =
        std::fs::read(&installed).unwrap_or_else(|e| panic!("the .deb has no /{BINARY}: {e}"));
    assert!(
        packaged == built,
        "the .deb's /{BINARY} is not this build's {} (bundle again after building)",
        app_binary().display()
    );
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&installed).unwrap().permissions().mode();
        assert_eq!(mode & 0o755, 0o755, "/{BINARY} is executable: {mode:o}");
    }

    // The desktop file: valid, and the handler of tradecenter:// links.
    let desktop_path = root.join(DESKTOP_FILE);
    let desktop_text = std::fs::read_to_string(&desktop_path)
        .unwrap_or_else(|e| panic!("the .deb has no /{DESKTOP_FILE}: {e}"));
    let validate = Command::new("desktop-file-validate")
        .arg(&desktop_path)
        .output()
        .expect("desktop-file-validate runs (apt install desktop-file-utils)");
    let findings = format!(
        "{}{}",
        String::from_utf8_lossy(&validate.stdout),
        String::from_utf8_lossy(&validate.stderr)
    );
    assert!(
        validate.status.success() && findings.trim().is_empty(),
        "desktop-file-validate finds fault with /{DESKTOP_FILE}:\n{findings}\n{desktop_text}"
    );
    let entry = desktop_entry(&desktop_text);
    let key = |k: &str| entry.get(k).map(String::as_str).unwrap_or_default();
    assert_eq!(key("Type"), "Application", "{desktop_text}");
    assert_eq!(key("Name"), "Trade Center", "{desktop_text}");
    assert_eq!(
        key("Exec"),
        "trade-center-desktop %u",
        "the desktop passes the link as the one argument: {desktop_text}"
    );
    assert!(
        key("MimeType")
            .split(';')
            .any(|m| m == "x-scheme-handler/tradecenter"),
        "the desktop file registers tradecenter:// links: {desktop_text}"
    );
    let icon = key("Icon");
    assert_eq!(icon, "trade-center-desktop", "{desktop_text}");
    let icons: Vec<String> = files_under(&root)
        .into_iter()
        .filter(|f| {
            f.starts_with("/usr/share/icons/hicolor/") && f.ends_with(&format!("/apps/{icon}.png"))
        })
        .collect();
    assert!(
        icons.len() >= 3,
        "the .deb installs the icon {icon} in the hicolor theme at several sizes: {icons:?}"
    );
    for f in &icons {
        let png = std::fs::read(root.join(&f[1..])).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "{f} is a PNG");
    }

    // The installed program starts, on the sign-in screen.
    let d = Desktop::start(Launch {
        binary: Some(installed.clone()),
        ..Launch::default()
    })
    .await;
    let app = d.app();
    app.wait_for("signin-form").await;
    assert_eq!(app.value("signin-url").await, d.backend.url());

    // Signed in, a link opened the way the desktop opens one: gio finds the handler of
    // x-scheme-handler/tradecenter through the desktop database of the package's
    // applications folder (which installing a package with a desktop file rebuilds) and
    // starts its `Exec` line, the installed program, which hands the link to the running
    // one.
    app.type_into("signin-password", d.backend.accounts.buyer.password)
        .await;
    app.click("signin-submit").await;
    app.wait_for_within("inbox", FIRST_SYNC).await;
    run(Command::new("update-desktop-database").arg(root.join("usr/share/applications")));
    let data_dirs = format!(
        "{}:/usr/local/share:/usr/share",
        root.join("usr/share").display()
    );
    let path = format!(
        "{}:{}",
        root.join("usr/bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // (GIO passes over a desktop file whose program is not on the PATH; C: its answer
    // is read.)
    let handler = run(Command::new("gio")
        .args(["mime", "x-scheme-handler/tradecenter"])
        .env("LC_ALL", "C.UTF-8")
        .env("XDG_DATA_DIRS", &data_dirs)
        .env("XDG_DATA_HOME", d.home.join("data"))
        .env("PATH", &path));
    assert!(
        handler
            .lines()
            .any(|l| l.starts_with("Default application") && l.ends_with(": Trade Center.desktop")),
        "gio takes the package's desktop file as the tradecenter:// handler: {handler}"
    );
    let mut open = Command::new("gio");
    open.args(["open", "tradecenter://orders/not-an-order"])
        .env("XDG_DATA_DIRS", &data_dirs)
        .env("PATH", &path);
    let (status, log) = d.run_beside(open, "gio open").await;
    assert!(status.success(), "gio open: {status}\n{log}");
    let text = until(
        "the link's message in the running app",
        PATIENCE,
        async || match app.visible("link-error-text").await {
            Some(e) => Ok(app.inner_text(&e).await),
            None => bail!("no link message yet"),
        },
    )
    .await;
    assert!(
        text.contains("cannot be opened"),
        "the running app says the link cannot be opened: {text:?}"
    );
    d.finish().await;
}

#[test]
fn the_rpm_holds_the_same_files_and_requires_the_fonts() {
    let rpm = rpm();
    let (_, rpm_arch) = arch();
    let query = |args: &[&str]| run(Command::new("rpm").arg("-qp").args(args).arg(&rpm));

    let header = query(&[
        "--queryformat",
        "%{NAME}\n%{VERSION}\n%{RELEASE}\n%{ARCH}\n",
    ]);
    let header: Vec<&str> = header.lines().collect();
    assert_eq!(
        header,
        [PACKAGE, env!("CARGO_PKG_VERSION"), "1", rpm_arch],
        "name, version, release, architecture"
    );

    let requires: Vec<String> = query(&["--requires"])
        .lines()
        .map(|l| l.split_whitespace().next().unwrap_or_default().to_owned())
        .collect();
    for needed in RPM_REQUIRES {
        assert!(
            requires.iter().any(|r| r == needed),
            "the .rpm requires {needed}: {requires:?}"
        );
    }

    // The same files as the .deb, with the same bytes: `--dump` lists each file as
    // `path size mtime digest mode …` (SHA-256 digests).
    let dump = query(&["--dump"]);
    let rpm_files: BTreeMap<String, String> = dump
        .lines()
        .filter_map(|l| {
            let cols: Vec<&str> = l.split(' ').collect();
            // A path may hold spaces: the columns are counted from the end (10 after it).
            if cols.len() < 11 {
                return None;
            }
            let path = cols[..cols.len() - 10].join(" ");
            let digest = cols[cols.len() - 8];
            let mode = u32::from_str_radix(cols[cols.len() - 7], 8).ok()?;
            // Regular files only (S_IFREG).
            (mode & 0o170000 == 0o100000).then(|| (path, digest.to_owned()))
        })
        .collect();
    let scratch = tempfile::tempdir().unwrap();
    unpack_deb(&deb(), scratch.path());
    assert_eq!(
        rpm_files.keys().cloned().collect::<BTreeSet<_>>(),
        files_under(scratch.path()),
        "the .rpm and the .deb install the same files\n{dump}"
    );
    for (path, digest) in &rpm_files {
        let bytes = std::fs::read(scratch.path().join(&path[1..])).unwrap();
        assert_eq!(
            digest,
            &sha256_hex(&bytes),
            "{path} has the same bytes in the .rpm as in the .deb"
        );
    }
    assert!(rpm_files.contains_key(&format!("/{BINARY}")));
    assert!(rpm_files.contains_key(&format!("/{DESKTOP_FILE}")));
}
