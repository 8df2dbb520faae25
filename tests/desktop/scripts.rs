//! Every script renders (issue 18): supplier names and messages in Chinese, Japanese,
//! Korean, Arabic, Hindi (Devanagari) and Thai show real glyphs, not boxes, and Arabic
//! reads right to left.
//!
//! - `every_script_has_an_installed_font_for_its_samples` asks fontconfig (`fc-list`)
//!   whether one installed font covers all of each script's sample and supports its
//!   language; no display needed. The fonts are Debian's fonts-noto-cjk and
//!   fonts-noto-ui-core, which `./dev` installs and the .deb depends on.
//! - `supplier_names_and_messages_in_every_script_show_real_glyphs` has six suppliers, one
//!   per script, write to the buyer; the app shows each name, company and message as
//!   written, drawn with glyphs of their own (each character drawn on a canvas in the
//!   element's font must differ from what the font stack draws for a code point no font
//!   has, U+10FFFD: the missing-glyph box), Arabic right to left, and the notifications
//!   carry the text as written. Screenshots: `scripts-<tag>.png`, one per thread.
//!
//! Run alone (after `cargo build --workspace --bins`):
//! `scripts/with-keyring.sh --desktop cargo test -p trade-e2e --test desktop scripts::`.
//! Without the fonts both fail: e.g. with `FONTCONFIG_FILE` naming a configuration that
//! lists DejaVu alone (it has Arabic glyphs, so only Arabic passes there).
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::harness;

use std::collections::BTreeSet;
use std::process::Command;

use anyhow::{bail, ensure};
use harness::{App, Launch, PATIENCE, run, signed_in, until};
use serde_json::{Value, json};

/// One script's sample: a supplier (person and company) and what they write.
struct Sample {
    /// Names the screenshot and the supplier's e-mail address.
    tag: &'static str,
    script: &'static str,
    /// The fontconfig language whose orthography a font must cover (`fc-list :lang=`).
    lang: &'static str,
    country: &'static str,
    name: &'static str,
    company: &'static str,
    message: &'static str,
    rtl: bool,
}

const SAMPLES: [Sample; 6] = [
    Sample {
        tag: "zh",
        script: "Chinese",
        lang: "zh-cn",
        country: "CN",
        name: "王建国",
        company: "宁波华美灯具有限公司",
        message: "您好！台灯报价单已附上：FOB宁波每盏6.05美元，交货期三周。",
        rtl: false,
    },
    Sample {
        tag: "ja",
        script: "Japanese",
        lang: "ja",
        country: "JP",
        name: "佐藤美咲",
        company: "株式会社さくら電機",
        message: "お見積もりありがとうございます。納期は三週間です。",
        rtl: false,
    },
    Sample {
        tag: "ko",
        script: "Korean",
        lang: "ko",
        country: "KR",
        name: "김민준",
        company: "서울조명 주식회사",
        message: "안녕하세요. 견적서를 보내드립니다. 납기는 3주입니다.",
        rtl: false,
    },
    Sample {
        tag: "ar",
        script: "Arabic",
        lang: "ar",
        country: "AE",
        name: "أحمد الحسن",
        company: "شركة النور للتجارة",
        message: "مرحبًا، أرسلنا لكم عرض السعر: ٦٫٠٥ دولار للمصباح، والتسليم خلال ثلاثة أسابيع.",
        rtl: true,
    },
    Sample {
        tag: "hi",
        script: "Hindi (Devanagari)",
        lang: "hi",
        country: "IN",
        name: "राजेश कुमार",
        company: "शर्मा एक्सपोर्ट्स",
        message: "नमस्ते! कोटेशन संलग्न है। डिलीवरी तीन सप्ताह में होगी।",
        rtl: false,
    },
    Sample {
        tag: "th",
        script: "Thai",
        lang: "th",
        country: "TH",
        name: "สมชาย ใจดี",
        company: "บริษัท ไทยโคมไฟ จำกัด",
        message: "สวัสดีครับ ใบเสนอราคาโคมไฟตั้งโต๊ะแนบมาแล้ว ส่งของภายในสามสัปดาห์",
        rtl: false,
    },
];

// ---------------------------------------------------------------------------------------
// The installed fonts

/// The fonts (`family (file)`) fontconfig lists for `pattern` (`fc-list` honours
/// `FONTCONFIG_FILE`).
fn fc_list(pattern: &str) -> BTreeSet<String> {
    run(Command::new("fc-list")
        .arg("--format=%{family[0]} (%{file})\n")
        .arg(pattern))
    .lines()
    .map(str::to_owned)
    .collect()
}

/// A fontconfig charset of these characters (hex code points, space-separated).
fn charset(chars: &BTreeSet<char>) -> String {
    chars
        .iter()
        .map(|c| format!("{:x}", u32::from(*c)))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn every_script_has_an_installed_font_for_its_samples() {
    // A font that claims U+10FFFD (private use, plane 16) claims everything: a font of
    // boxes (a "last resort" font), not one that draws the script.
    let box_fonts = fc_list(":charset=10fffd");
    let mut problems = Vec::new();
    for s in &SAMPLES {
        let text = format!("{} {} {}", s.name, s.company, s.message);
        // The script's own characters (and its punctuation: "。", "،", "।") in one font,
        // so that a word is shaped by one font (Arabic joining, Devanagari conjuncts),
        // and that font supports the language as a whole (fontconfig's orthography for
        // it), not only these few characters.
        let own: BTreeSet<char> = text.chars().filter(|c| !c.is_ascii()).collect();
        let fonts: BTreeSet<String> =
            fc_list(&format!(":charset={}:lang={}", charset(&own), s.lang))
                .difference(&box_fonts)
                .cloned()
                .collect();
        if fonts.is_empty() {
            let uncovered: String = own
                .iter()
                .filter(|c| fc_list(&format!(":charset={:x}", u32::from(**c))).is_empty())
                .collect();
            problems.push(format!(
                "{}: no installed font covers all of {text:?} and supports language {}; \
                 characters no font has at all: {uncovered:?}",
                s.script, s.lang
            ));
        }
        // The Latin letters, digits and punctuation in between, in any font.
        let ascii: BTreeSet<char> = text.chars().filter(char::is_ascii_graphic).collect();
        if !ascii.is_empty() && fc_list(&format!(":charset={}", charset(&ascii))).is_empty() {
            problems.push(format!("{}: no font covers {ascii:?}", s.script));
        }
        eprintln!(
            "{}: {} fonts, e.g. {:?}",
            s.script,
            fonts.len(),
            fonts.first()
        );
    }
    assert!(
        problems.is_empty(),
        "scripts without a font (install fonts-noto-cjk fonts-noto-ui-core; `./dev test` \
         does):\n{}",
        problems.join("\n")
    );
}

// ---------------------------------------------------------------------------------------
// The app

/// What the page shows in the element `arguments[0]` (a CSS selector) once its text is
/// `arguments[1]`: its computed `direction`, and the characters of its text that its
/// font stack cannot draw. Each character is drawn alone on a canvas in the element's
/// font (style, weight, family list; at 32 px so that shapes differ in many pixels) and
/// compared with U+10FFFD drawn the same way: no font has that code point, so it comes
/// out as the missing-glyph box (or nothing); a character drawn exactly like it, or not
/// at all, has no glyph. Returns `{found: false}` without the element, only `text` while
/// the text differs.
const SHOWN_SCRIPT: &str = r#"
const [selector, expected] = arguments;
const e = document.querySelector(selector);
if (!e) return { found: false };
const text = e.innerText.trim();
if (text !== expected) return { found: true, text };
const style = getComputedStyle(e);
const font = `${style.fontStyle} ${style.fontWeight} 32px ${style.fontFamily}`;
const canvas = document.createElement('canvas');
canvas.width = 128;
canvas.height = 80;
const g = canvas.getContext('2d', { willReadFrequently: true });
g.font = font;
const draw = (s) => {
  g.clearRect(0, 0, canvas.width, canvas.height);
  g.fillText(s, 40, 56);
  return g.getImageData(0, 0, canvas.width, canvas.height).data;
};
const inked = (d) => { for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true; return false; };
const same = (a, b) => { for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false; return true; };
const box = draw(String.fromCodePoint(0x10FFFD));
const boxes = [], blank = [];
for (const ch of new Set(Array.from(text))) {
  if (/\s/.test(ch)) continue;
  const d = draw(ch);
  if (!inked(d)) blank.push(ch);
  else if (same(d, box)) boxes.push(ch);
}
return { found: true, text, direction: style.direction, font: g.font, boxInked: inked(box), boxes, blank };
"#;

/// Waits until the element `selector` shows `expected`; then what [`SHOWN_SCRIPT`]
/// reports about it.
async fn shown(app: &App, selector: &str, expected: &str) -> Value {
    until(
        &format!("{selector} to show {expected:?}"),
        PATIENCE,
        async || {
            let v = app
                .js(SHOWN_SCRIPT, vec![json!(selector), json!(expected)])
                .await;
            if v["found"] != json!(true) {
                bail!("no such element");
            }
            if v["text"] != json!(expected) {
                bail!("it shows {}", v["text"]);
            }
            Ok(v)
        },
    )
    .await
}

/// What is wrong with how `what` is shown (see [`SHOWN_SCRIPT`]): characters without a
/// glyph, the wrong direction.
fn judge(what: &str, v: &Value, rtl: bool, problems: &mut Vec<String>) {
    let font = v["font"].as_str().unwrap_or_default();
    assert!(
        font.contains("32px"),
        "{what}: the canvas took the element's font ({font:?})"
    );
    for (key, how) in [
        ("boxes", "drawn as the missing-glyph box"),
        ("blank", "drawn as nothing"),
    ] {
        if v[key].as_array().is_some_and(|chars| !chars.is_empty()) {
            // The canvas font up to its family list (the page's, the same everywhere).
            let face = &font[..font.find("32px").map_or(font.len(), |at| at + 4)];
            problems.push(format!("{what}: no glyph for {} ({how}; {face})", v[key]));
        }
    }
    let direction = if rtl { "rtl" } else { "ltr" };
    if v["direction"] != json!(direction) {
        problems.push(format!(
            "{what}: direction {} (should be {direction})",
            v["direction"]
        ));
    }
}

#[tokio::test]
async fn supplier_names_and_messages_in_every_script_show_real_glyphs() {
    let d = signed_in(Launch::default()).await;
    let app = d.app();
    let buyer = d.backend.buyer_token().await;

    // Six suppliers, each named in their script, each answering the buyer's inquiry in it.
    let mut threads = Vec::new();
    for s in &SAMPLES {
        let email = format!("{}.{}@example.com", s.tag, uuid::Uuid::now_v7().simple());
        let password = "correct horse battery staple";
        let (status, account) = d
            .backend
            .send(
                reqwest::Method::POST,
                "/v1/accounts",
                None,
                Some(
                    json!({ "email": email, "password": password, "display_name": s.name,
                    "role": "supplier", "company_name": s.company, "country": s.country }),
                ),
                &[],
            )
            .await;
        assert!(status.is_success(), "{}: {account}", s.script);
        let inquiry = d
            .backend
            .post(
                "/v1/inquiries",
                &buyer,
                json!({ "supplier": account["id"], "product": "Desk lamps",
                    "message": "Your price for 500 desk lamps?" }),
            )
            .await;
        let inquiry = inquiry["id"].as_str().unwrap().to_owned();
        let supplier = d.backend.login(&email, password).await;
        let message = d
            .backend
            .post(
                &format!("/v1/inquiries/{inquiry}/messages"),
                &supplier,
                json!({ "body": s.message }),
            )
            .await;
        threads.push((s, inquiry, message["id"].as_str().unwrap().to_owned()));
    }

    // The desktop notifications name the supplier and quote the message as written.
    until(
        "a notification for every script's message",
        PATIENCE,
        async || {
            let notes = d.notifications();
            let missing: Vec<&str> = SAMPLES
                .iter()
                .filter(|s| {
                    !notes
                        .iter()
                        .any(|n| n.summary == s.name && n.body_text() == s.message)
                })
                .map(|s| s.script)
                .collect();
            if missing.is_empty() {
                Ok(())
            } else {
                bail!("none for {missing:?} among {notes:?}")
            }
        },
    )
    .await;

    let mut problems = Vec::new();
    // The inbox: each row's supplier, company and last message.
    for (s, inquiry, _) in &threads {
        app.row(inquiry).await;
        let row = format!("[data-testid=\"inquiry-row\"][data-inquiry-id=\"{inquiry}\"]");
        for (part, expected) in [
            ("inquiry-supplier", s.name),
            ("inquiry-company", s.company),
            ("inquiry-preview", s.message),
        ] {
            let v = shown(app, &format!("{row} [data-testid=\"{part}\"]"), expected).await;
            judge(
                &format!("{}: inbox {part}", s.script),
                &v,
                s.rtl,
                &mut problems,
            );
        }
    }
    // Each thread: the header's supplier and company, the message's sender and body.
    for (s, inquiry, message) in &threads {
        if !app.present("inbox").await {
            app.click("nav-inbox").await;
        }
        app.row(inquiry).await.click().await.expect("the row opens");
        app.wait_for("thread").await;
        app.message(message).await;
        let in_message = format!("[data-testid=\"message\"][data-message-id=\"{message}\"]");
        for (part, selector, expected) in [
            (
                "thread-supplier",
                "[data-testid=\"thread-supplier\"]".to_owned(),
                s.name,
            ),
            (
                "thread-company",
                "[data-testid=\"thread-company\"]".to_owned(),
                s.company,
            ),
            (
                "message-sender",
                format!("{in_message} [data-testid=\"message-sender\"]"),
                s.name,
            ),
            (
                "message-body",
                format!("{in_message} [data-testid=\"message-body\"]"),
                s.message,
            ),
        ] {
            let v = shown(app, &selector, expected).await;
            judge(
                &format!("{}: thread {part}", s.script),
                &v,
                s.rtl,
                &mut problems,
            );
        }
        app.screenshot(&format!("scripts-{}", s.tag)).await;
    }
    let fonts = app
        .js(
            "return getComputedStyle(document.body).fontFamily;",
            Vec::new(),
        )
        .await;
    assert!(
        problems.is_empty(),
        "not every script shows as written (the page's fonts: {fonts}):\n{}",
        problems.join("\n")
    );
    d.finish().await;
}

/// The inbox's text family as the page computes it, and whether text drawn in it measures
/// as in "DejaVu Serif" and as in "DejaVu Sans" (the two families on the test machine).
const INBOX_FONT: &str = "const s = getComputedStyle(document.querySelector('[data-testid=inbox]'));\
     const c = document.createElement('canvas').getContext('2d');\
     const width = (family) => { c.font = `${s.fontSize} ${family}`; \
       return c.measureText('Quotation for 2,000 desk lamps, FOB Ningbo').width; };\
     const w = width(s.fontFamily);\
     return [s.fontFamily, w === width('\"DejaVu Serif\"'), w === width('\"DejaVu Sans\"')];";

/// The window's text is in the desktop's UI font (GTK's `gtk-font-name`), and the page
/// names that family itself (`crates/trade-desk/src/font.rs`): WebKitGTK's `system-ui`
/// reaches the same family, but checks it against fontconfig's aliases at every size and
/// weight first (30 ms of a start on the bench's desktop). GTK's default font, "Sans", is
/// the generic `sans-serif`. Without the app's naming the family is `system-ui, ...`.
#[tokio::test]
async fn the_window_writes_in_the_desktops_ui_font_by_its_name() {
    let mut d = signed_in(Launch {
        font: Some("DejaVu Serif 11"),
        ..Launch::default()
    })
    .await;
    d.app().wait_for("inquiry-row").await;
    assert_eq!(
        d.app().js(INBOX_FONT, Vec::new()).await,
        json!(["\"DejaVu Serif\", sans-serif", true, false]),
        "with gtk-font-name=\"DejaVu Serif 11\" the inbox is written in DejaVu Serif, named"
    );

    // Closed once its start-up work is done (online: signed in, its session stored in
    // the keyring), then started again on the remembered session.
    let app = d.app();
    until("the app to be online", PATIENCE, async || {
        let state = app.attr("status-connection", "data-state").await;
        ensure!(state.as_deref() == Some("online"), "status {state:?}");
        Ok(())
    })
    .await;
    d.relaunch(Launch::default()).await;
    d.app().wait_for("inquiry-row").await;
    assert_eq!(
        d.app().js(INBOX_FONT, Vec::new()).await,
        json!(["sans-serif", false, true]),
        "with GTK's default font (\"Sans\") the inbox is written in the generic sans-serif"
    );
    d.finish().await;
}
