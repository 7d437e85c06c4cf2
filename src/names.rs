//! One spelling per name. Names and identities (users, emails, companies, departments,
//! categories, assets) are stored NFKC-normalised and trimmed, so that `ｌｉｕｓｎ` (fullwidth),
//! `liuſn` (long s) and `"liusn "` are the user `liusn`, not three look-alikes of it; and no
//! text the register keeps may hold an invisible format character (a bidi override turns
//! `abc\u{202e}gpj.exe` into what shows as `abcexe.jpg`; a zero-width space makes two names
//! that look the same).

use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// Unicode general category Cf (format), as of Unicode 15.1. The standard library has no
/// test for it.
const FORMAT: &[(u32, u32)] = &[
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
];

/// A format character (Cf): invisible, yet it changes how text around it shows or compares.
pub fn is_format(c: char) -> bool {
    let c = c as u32;
    FORMAT
        .binary_search_by(|&(low, high)| {
            if high < c {
                std::cmp::Ordering::Less
            } else if low > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// A character no name may hold: a control character or a format character. Both are refused
/// with the same message, "字段不能包含控制字符".
pub fn is_hidden(c: char) -> bool {
    c.is_control() || is_format(c)
}

/// The text in compatibility composed form (NFKC), not trimmed: what the hidden-character
/// rule checks (a trailing line break is still refused, not trimmed away).
pub fn fold(text: &str) -> String {
    // An import checks a million names: most are ASCII or already NFKC.
    if text.is_ascii() || is_nfkc_quick(text.chars()) == IsNormalized::Yes {
        return text.to_owned();
    }
    text.nfkc().collect()
}

/// The one spelling of a name or identity: NFKC, then trimmed (NFKC turns an ideographic or
/// no-break space into a plain one first).
pub fn normalize(text: &str) -> String {
    let folded = fold(text);
    let trimmed = folded.trim();
    if trimmed.len() == folded.len() {
        folded
    } else {
        trimmed.to_owned()
    }
}

/// Finds something by name: under the name's one spelling, then, when that differs and finds
/// nothing, as typed (a name stored before names were normalised keeps working).
pub fn find<T, E>(
    name: &str,
    mut lookup: impl FnMut(&str) -> Result<Option<T>, E>,
) -> Result<Option<T>, E> {
    let normal = normalize(name);
    match lookup(&normal)? {
        Some(found) => Ok(Some(found)),
        None if normal != name => lookup(name),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_characters_are_cf_and_only_cf() {
        for c in [
            '\u{00AD}',
            '\u{0600}',
            '\u{0605}',
            '\u{061C}',
            '\u{06DD}',
            '\u{070F}',
            '\u{0890}',
            '\u{08E2}',
            '\u{180E}',
            '\u{200B}',
            '\u{200D}',
            '\u{200F}',
            '\u{202A}',
            '\u{202E}',
            '\u{2060}',
            '\u{2064}',
            '\u{2066}',
            '\u{2069}',
            '\u{206F}',
            '\u{FEFF}',
            '\u{FFF9}',
            '\u{FFFB}',
            '\u{110BD}',
            '\u{110CD}',
            '\u{13430}',
            '\u{1343F}',
            '\u{1BCA0}',
            '\u{1BCA3}',
            '\u{1D173}',
            '\u{1D17A}',
            '\u{E0001}',
            '\u{E0020}',
            '\u{E007F}',
        ] {
            assert!(is_format(c), "U+{:04X}", c as u32);
            assert!(is_hidden(c), "U+{:04X}", c as u32);
        }
        // Neighbours of the ranges, letters, CJK, spaces and the fullwidth forms are not.
        for c in [
            'a',
            'ſ',
            '中',
            ' ',
            '\u{3000}',
            'ｌ',
            '（',
            '\u{00AC}',
            '\u{00AE}',
            '\u{0606}',
            '\u{200A}',
            '\u{2010}',
            '\u{2029}',
            '\u{2065}',
            '\u{2070}',
            '\u{FEFE}',
            '\u{FFFC}',
            '\u{E0000}',
            '\u{E0002}',
            '\u{E0080}',
            '\u{FE0F}',
        ] {
            assert!(!is_format(c), "U+{:04X}", c as u32);
        }
        assert!(is_hidden('\u{0}') && is_hidden('\n') && is_hidden('\u{85}'));
        assert!(FORMAT.windows(2).all(|w| w[0].1 < w[1].0));
    }

    #[test]
    fn look_alikes_have_one_spelling() {
        for name in [
            "liusn",
            "liusn ",
            " liusn",
            "ｌｉｕｓｎ",
            "liuſn",
            "\u{3000}liusn\u{a0}",
        ] {
            assert_eq!(normalize(name), "liusn", "{name:?}");
        }
        assert_eq!(normalize("软件组（一）"), "软件组(一)");
        assert_eq!(normalize("Ｘ３"), "X3");
        // Hidden characters are not removed: they are refused where a name enters.
        assert_eq!(normalize("x3\u{200B}"), "x3\u{200B}");
        assert_eq!(fold("a\n"), "a\n");
    }

    #[test]
    fn a_lookup_tries_the_one_spelling_then_the_name_as_typed() {
        let stored = ["liusn", "ｏｌｄ"];
        let mut asked = Vec::new();
        let mut lookup = |n: &str| {
            asked.push(n.to_owned());
            Ok::<_, ()>(stored.iter().find(|s| **s == n).copied())
        };
        assert_eq!(find("ｌｉｕｓｎ", &mut lookup), Ok(Some("liusn")));
        assert_eq!(find("ｏｌｄ", &mut lookup), Ok(Some("ｏｌｄ")));
        assert_eq!(find("none", &mut lookup), Ok(None));
        assert_eq!(asked, ["liusn", "old", "ｏｌｄ", "none"]);
    }
}
