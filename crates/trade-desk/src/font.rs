//! The desktop's UI font, as the CSS `font-family` value the window's page uses (`--font`).
//!
//! The page's stylesheet names `system-ui`, which WebKitGTK resolves to the family of
//! GTK's `gtk-font-name`. When fontconfig matches that family under another name (GTK's
//! default "Sans" is matched by "DejaVu Sans"), WebKitGTK checks through fontconfig's
//! configuration that the two are aliases, for every weight and size the page uses: 30 ms
//! of the first layout of a start on the bench's desktop (`bench-reports/desktop.md`).
//! The shell reads the family from GTK once and gives the page the name itself, or the
//! CSS generic family it stands for, which WebKitGTK takes without that check.

/// The CSS `font-family` value for the desktop's UI font family (`family`, as in GTK's
/// `gtk-font-name` "Cantarell 11"): a generic name becomes the CSS generic family it
/// names, any other the quoted family, then `sans-serif` for what it lacks. `None` for a
/// name that is empty once control characters are dropped.
pub fn css_font_family(family: &str) -> Option<String> {
    let family: String = family.chars().filter(|c| !c.is_control()).collect();
    let family = family.trim();
    if family.is_empty() {
        return None;
    }
    let generic = match family.to_ascii_lowercase().as_str() {
        "sans" | "sans serif" | "sans-serif" | "system-ui" => Some("sans-serif"),
        "serif" => Some("serif"),
        "mono" | "monospace" => Some("monospace"),
        _ => None,
    };
    Some(match generic {
        Some(generic) => generic.to_owned(),
        None => format!(
            "\"{}\", sans-serif",
            family.replace('\\', "\\\\").replace('"', "\\\"")
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::css_font_family;

    #[test]
    fn a_named_family_is_quoted_before_the_generic_one() {
        assert_eq!(
            css_font_family("Cantarell").as_deref(),
            Some("\"Cantarell\", sans-serif")
        );
        assert_eq!(
            css_font_family("Noto Sans").as_deref(),
            Some("\"Noto Sans\", sans-serif")
        );
    }

    #[test]
    fn a_generic_name_is_the_css_generic_family() {
        for (name, css) in [
            ("Sans", "sans-serif"),
            ("sans-serif", "sans-serif"),
            ("Sans Serif", "sans-serif"),
            ("Serif", "serif"),
            ("Monospace", "monospace"),
        ] {
            assert_eq!(css_font_family(name).as_deref(), Some(css), "{name}");
        }
    }

    #[test]
    fn quotes_backslashes_and_control_characters_cannot_end_the_value() {
        assert_eq!(
            css_font_family("Evil\"; color: red; \\\n").as_deref(),
            Some("\"Evil\\\"; color: red; \\\\\", sans-serif")
        );
        assert_eq!(css_font_family(" \n\t"), None);
        assert_eq!(css_font_family(""), None);
    }
}
