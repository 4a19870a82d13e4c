//! Text shown to people that clients chose: what may not appear in it.

/// Unicode format characters (general category Cf): bidirectional embeddings, overrides and
/// isolates, zero-width spaces and joiners, the soft hyphen, tags. They render as nothing, or
/// reorder what follows, so a name containing them can pass for another on the consent page.
pub fn is_invisible_format(c: char) -> bool {
    matches!(
        u32::from(c),
        0x00AD
            | 0x0600..=0x0605
            | 0x061C
            | 0x06DD
            | 0x070F
            | 0x0890..=0x0891
            | 0x08E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
    )
}

/// Code points that show as nothing or as blank space, or change how others show: Unicode format
/// characters ([`is_invisible_format`]), every space but the ASCII one (no-break, ideographic, line
/// and paragraph separators, …), the Hangul fillers, the Braille blank, the combining grapheme
/// joiner, variation selectors and the Mongolian and Khmer invisibles. A name made of them passes
/// for another, or for none.
pub fn is_invisible_or_blank(c: char) -> bool {
    (c.is_whitespace() && c != ' ')
        || is_invisible_format(c)
        || matches!(
            u32::from(c),
            0x034F
                | 0x115F
                | 0x1160
                | 0x17B4
                | 0x17B5
                | 0x180B..=0x180F
                | 0x2800
                | 0x3164
                | 0xFE00..=0xFE0F
                | 0xFFA0
                | 0x1D159
                | 0xE0100..=0xE01EF
        )
}

/// A name someone else chose (a client's, a person's from an identity provider) as we show it and
/// put it in tokens: control, invisible and blank characters dropped (ASCII spaces kept), trimmed,
/// at most 100 characters; `None` when nothing is left.
pub fn display_name(raw: &str) -> Option<String> {
    let kept: String = raw
        .chars()
        .filter(|c| !c.is_control() && !is_invisible_or_blank(*c))
        .take(100)
        .collect();
    let trimmed = kept.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// A client people know by name, and where its authorization codes legitimately go.
pub struct KnownClient {
    /// The name as people know it.
    pub name: &'static str,
    /// The name folded as [`skeleton`] folds it.
    skeleton: &'static str,
    /// Hosts of its web redirects (a redirect to one of them or a subdomain is its own).
    hosts: &'static [&'static str],
    /// Whether it runs on people's machines (loopback and private-use scheme redirects are its
    /// own too).
    local: bool,
}

/// The clients whose names are worth impersonating.
pub const KNOWN_CLIENTS: &[KnownClient] = &[
    KnownClient {
        name: "Claude",
        skeleton: "claude",
        hosts: &["claude.ai", "claude.com", "anthropic.com"],
        local: true,
    },
    KnownClient {
        name: "ChatGPT",
        skeleton: "chatgpt",
        hosts: &["chatgpt.com", "openai.com"],
        local: false,
    },
    KnownClient {
        name: "Cursor",
        skeleton: "cursor",
        hosts: &["cursor.com", "cursor.sh"],
        local: true,
    },
    KnownClient {
        name: "Visual Studio Code",
        skeleton: "vscode",
        hosts: &["vscode.dev", "github.com"],
        local: true,
    },
    KnownClient {
        name: "Visual Studio Code",
        skeleton: "visualstudiocode",
        hosts: &["vscode.dev", "github.com"],
        local: true,
    },
    KnownClient {
        name: "GitHub Copilot",
        skeleton: "copilot",
        hosts: &["github.com", "githubcopilot.com"],
        local: true,
    },
];

/// `name` lower-cased with look-alike letters (Cyrillic, Greek, full-width) folded to the Latin
/// ones they imitate and everything but letters and digits dropped: "Сlаude" (Cyrillic С and а)
/// and "C l a u d e" both become "claude".
pub fn skeleton(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            // Full-width ASCII.
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .map(|c| match c {
            'а' | 'А' | 'α' | 'Α' => 'a',
            'в' | 'В' | 'β' | 'Β' => 'b',
            'с' | 'С' | 'ϲ' | 'Ϲ' => 'c',
            'ԁ' | 'ⅾ' => 'd',
            'е' | 'Е' | 'ε' | 'Ε' | 'ё' => 'e',
            'һ' | 'Η' | 'Н' => 'h',
            'і' | 'І' | 'ι' | 'Ι' | 'ӏ' | 'Ӏ' | 'ǀ' | 'ⅼ' | '１' => 'l',
            'ј' | 'Ј' => 'j',
            'к' | 'К' | 'κ' | 'Κ' => 'k',
            'м' | 'М' | 'Μ' => 'm',
            'п' | 'η' | 'Ν' => 'n',
            'о' | 'О' | 'ο' | 'Ο' | '0' => 'o',
            'р' | 'Р' | 'ρ' | 'Ρ' => 'p',
            'ԛ' => 'q',
            'г' => 'r',
            'ѕ' | 'Ѕ' => 's',
            'т' | 'Т' | 'τ' | 'Τ' => 't',
            'υ' | 'ս' => 'u',
            'ν' | 'ѵ' => 'v',
            'ԝ' | 'ω' => 'w',
            'х' | 'Х' | 'χ' | 'Χ' => 'x',
            'у' | 'У' | 'γ' | 'Υ' => 'y',
            'ᴢ' | 'Ζ' => 'z',
            other => other,
        })
        .flat_map(char::to_lowercase)
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// The known client a name claims to be, when its codes go somewhere that client's do not: `host`
/// is the redirect's host (`None` for a private-use scheme), `loopback` whether it is this machine.
pub fn impersonated(
    name: &str,
    host: Option<&str>,
    loopback: bool,
) -> Option<&'static KnownClient> {
    let folded = skeleton(name);
    let claimed = KNOWN_CLIENTS
        .iter()
        .find(|known| folded.contains(known.skeleton))?;
    let its_own = match host {
        _ if loopback => claimed.local,
        None => claimed.local,
        Some(host) => {
            let host = host.to_ascii_lowercase();
            claimed
                .hosts
                .iter()
                .any(|h| host == *h || host.ends_with(&format!(".{h}")))
        }
    };
    (!its_own).then_some(claimed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_keep_only_what_shows() {
        assert_eq!(
            display_name("  Kate\u{200B} Doe\u{3164} "),
            Some("Kate Doe".into())
        );
        assert_eq!(display_name("\u{2800}\u{3000}"), None);
        assert_eq!(display_name(&"n".repeat(300)).map(|n| n.len()), Some(100));
    }

    #[test]
    fn blank_and_invisible_code_points_are_refused() {
        for c in [
            '\u{3164}',
            '\u{115F}',
            '\u{2800}',
            '\u{034F}',
            '\u{FE0F}',
            '\u{2028}',
            '\u{3000}',
            '\u{00A0}',
            '\u{200B}',
            '\u{202E}',
            '\u{FFA0}',
            '\u{E0101}',
        ] {
            assert!(is_invisible_or_blank(c), "U+{:04X}", u32::from(c));
        }
        for c in ['a', ' ', 'é', '中', '-', '.'] {
            assert!(!is_invisible_or_blank(c), "{c}");
        }
    }

    #[test]
    fn names_claiming_a_known_client_from_another_host_are_flagged() {
        let cyrillic = "Сlаude"; // Cyrillic С and а
        assert_eq!(skeleton(cyrillic), "claude");
        assert_eq!(
            impersonated(cyrillic, Some("evil.example"), false).map(|k| k.name),
            Some("Claude")
        );
        assert!(impersonated("Claude", Some("claude.ai"), false).is_none());
        assert!(impersonated("Claude Code", Some("127.0.0.1"), true).is_none());
        assert!(impersonated("ChatGPT", Some("chatgpt.com"), false).is_none());
        assert!(impersonated("ChatGPT", Some("localhost"), true).is_some());
        assert!(impersonated("Ｃｈａｔ GPT helper", Some("helper.example"), false).is_some());
        assert!(impersonated("My notes app", Some("notes.example"), false).is_none());
        assert!(
            impersonated("VS Code", None, false).is_none(),
            "vscode: private-use scheme"
        );
        assert!(impersonated("claude", Some("claude.ai.evil.example"), false).is_some());
    }
}
