//! One label drawn as PDF operators: the QR code of the asset id on the left, on the right the
//! asset's name, id, department and position, and a Code128 barcode of the id along the bottom
//! (for 1D scanners). Both codes are filled rectangles, one per run of dark modules: vector, so
//! a label printer prints them as sharp as its head allows.

use super::pdf::{hex_text, num, text_width, PT_PER_MM};
use qrcode::{Color, EcLevel, QrCode};
use std::fmt::Write;

/// What one label shows.
pub struct Label<'a> {
    pub id: i64,
    pub name: &'a str,
    pub department: &'a str,
    pub position: &'a str,
}

/// A label's place on the page: lower left corner and size, in points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// Quiet zone around the QR code, in modules (the code's own margin, inside its square).
const QR_QUIET: usize = 2;
/// Quiet zone on each side of the barcode, in modules (Code128 asks for ten).
const BAR_QUIET: usize = 10;

/// Appends the label's drawing to `out`.
pub fn label(out: &mut String, frame: Frame, label: &Label) {
    let pad = 2.0 * PT_PER_MM;
    let code = label.id.to_string();
    let qr_side = (frame.height - 2.0 * pad).min(frame.width * 0.38);
    let qr_top = frame.y + frame.height - pad;
    qr(out, (frame.x + pad, qr_top - qr_side), qr_side, &code);

    let left = frame.x + 2.0 * pad + qr_side;
    let width = frame.x + frame.width - pad - left;
    let bar_height = (frame.height * 0.24).max(6.0 * PT_PER_MM);
    code128(out, (left, frame.y + pad), (width, bar_height), &code);

    // Text lines from the top: the name larger, then the id, department and position.
    let big = (frame.height * 0.085).clamp(7.0, 11.0);
    let small = (big * 0.8).max(6.0);
    let mut baseline = frame.y + frame.height - pad - big;
    let lowest = frame.y + pad + bar_height + small * 0.3;
    let lines = [
        (big, label.name.to_owned()),
        (small, format!("编号 {code}")),
        (small, label.department.to_owned()),
        (small, label.position.to_owned()),
    ];
    for (size, text) in lines {
        if baseline < lowest {
            break;
        }
        if !text.trim().is_empty() {
            let fitted = fit(text.trim(), width / size);
            let _ = writeln!(
                out,
                "BT /F1 {} Tf {} {} Td {} Tj ET",
                num(size),
                num(left),
                num(baseline),
                hex_text(&fitted)
            );
        }
        baseline -= size * 1.25;
    }
}

/// `text` cut to `ems` wide, with … where it was cut: in its NFKC form (ﬁ as fi, fullwidth
/// letters as ASCII, as names are stored), control characters as spaces, and a character the
/// label's font cannot show as `?` (every field alike, and never garbling the rest of a line).
fn fit(text: &str, ems: f64) -> String {
    use unicode_normalization::UnicodeNormalization;
    let clean: String = text
        .nfkc()
        .map(|c| match c {
            c if c.is_control() => ' ',
            c if shown(c) => c,
            _ => '?',
        })
        .collect();
    if text_width(&clean) <= ems {
        return clean;
    }
    let mut cut = String::new();
    let mut width = 1.0; // the ellipsis
    for c in clean.chars() {
        let w = text_width(c.encode_utf8(&mut [0; 4]));
        if width + w > ems {
            break;
        }
        width += w;
        cut.push(c);
    }
    cut.push('…');
    cut
}

/// Whether the label's font (STSong-Light, the GB 2312 repertoire) has a glyph for `c`: ASCII,
/// the common CJK ideographs and punctuation, Greek and Cyrillic, and a few symbols.
fn shown(c: char) -> bool {
    matches!(c,
        ' '..='~'
        | '\u{4E00}'..='\u{9FA5}'
        | '\u{3000}'..='\u{3017}'
        | '\u{0391}'..='\u{03A9}'
        | '\u{03B1}'..='\u{03C9}'
        | '\u{0410}'..='\u{044F}'
        | 'Ё' | 'ё' | '·' | '×' | '÷' | '—' | '‘' | '’' | '“' | '”' | '…' | '℃' | '№' | '¥')
}

/// The QR code of `data` in a square of `side` points with its lower left corner at `at`. Drawn
/// in a coordinate system of one unit a module (`cm`), so each run of dark modules in a row is a
/// rectangle of small integers.
fn qr(out: &mut String, at: (f64, f64), side: f64, data: &str) {
    let Ok(code) = QrCode::with_error_correction_level(data, EcLevel::M) else {
        return;
    };
    let n = code.width();
    let module = side / (n + 2 * QR_QUIET) as f64;
    let colors = code.to_colors();
    // Module (0, 0) is the top left: y grows downwards in rows.
    let (x0, y0) = (
        at.0 + QR_QUIET as f64 * module,
        at.1 + side - QR_QUIET as f64 * module,
    );
    let _ = writeln!(
        out,
        "q {} 0 0 -{} {} {} cm",
        num(module),
        num(module),
        num(x0),
        num(y0)
    );
    let mut ints = itoa::Buffer::new();
    for row in 0..n {
        let mut col = 0;
        while col < n {
            if colors[row * n + col] != Color::Dark {
                col += 1;
                continue;
            }
            let start = col;
            while col < n && colors[row * n + col] == Color::Dark {
                col += 1;
            }
            for value in [start, row, col - start] {
                out.push_str(ints.format(value));
                out.push(' ');
            }
            out.push_str("1 re\n");
        }
    }
    out.push_str("f Q\n");
}

/// The Code128 barcode of a decimal `code`, filling `size` from `at` (lower left), quiet
/// zones included; one unit a module across, the bars' height up.
fn code128(out: &mut String, at: (f64, f64), size: (f64, f64), code: &str) {
    let Some(bars) = code128_modules(code) else {
        return;
    };
    let module = size.0 / (bars.len() + 2 * BAR_QUIET) as f64;
    let left = at.0 + BAR_QUIET as f64 * module;
    let _ = writeln!(
        out,
        "q {} 0 0 {} {} {} cm",
        num(module),
        num(size.1),
        num(left),
        num(at.1)
    );
    let mut ints = itoa::Buffer::new();
    let mut i = 0;
    while i < bars.len() {
        if bars[i] == 0 {
            i += 1;
            continue;
        }
        let start = i;
        while i < bars.len() && bars[i] == 1 {
            i += 1;
        }
        out.push_str(ints.format(start));
        out.push_str(" 0 ");
        out.push_str(ints.format(i - start));
        out.push_str(" 1 re\n");
    }
    out.push_str("f Q\n");
}

/// The modules (1 dark, 0 light) of a decimal code in Code128: set C, two digits a symbol; an odd
/// last digit in set B.
pub fn code128_modules(code: &str) -> Option<Vec<u8>> {
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let even = code.len() - code.len() % 2;
    let data = match (even, code.len() % 2) {
        (0, _) => format!("Ɓ{code}"),
        (_, 0) => format!("Ć{code}"),
        _ => format!("Ć{}Ɓ{}", &code[..even], &code[even..]),
    };
    barcoders::sym::code128::Code128::new(data)
        .ok()
        .map(|c| c.encode())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_with_an_ellipsis_and_short_text_kept() {
        assert_eq!(fit("联想笔记本", 10.0), "联想笔记本");
        assert_eq!(fit("联想笔记本电脑", 4.0), "联想笔…");
        assert_eq!(fit("ab\tc", 10.0), "ab c");
        // NFKC first, then what the font cannot show is `?`, the rest of the line intact.
        assert_eq!(fit("pos ﬁ ligatur", 20.0), "pos fi ligatur");
        assert_eq!(fit("Straße ñ 한 Ωж中①", 30.0), "Stra?e ? ? Ωж中1");
    }

    #[test]
    fn code128_takes_digits_in_set_c_and_an_odd_one_in_set_b() {
        // start C, 12, 34, checksum, stop (13 with the bar after it)
        assert_eq!(code128_modules("1234").unwrap().len(), 11 * 4 + 13);
        // start C, 12, 34, 56, code B, 7, checksum, stop
        assert_eq!(code128_modules("1234567").unwrap().len(), 11 * 7 + 13);
        assert_eq!(code128_modules("7").unwrap().len(), 11 * 3 + 13);
        assert!(code128_modules("12a").is_none());
    }

    #[test]
    fn a_label_draws_both_codes_and_its_text() {
        let mut out = String::new();
        let frame = Frame {
            x: 0.0,
            y: 0.0,
            width: 198.0,
            height: 105.0,
        };
        let asset = Label {
            id: 42,
            name: "笔记本",
            department: "软件组",
            position: "",
        };
        label(&mut out, frame, &asset);
        assert_eq!(out.matches("f Q\n").count(), 2, "{out}");
        assert!(out.contains(&hex_text("笔记本")));
        assert!(out.contains(&hex_text("编号 42")));
        assert!(out.contains(&hex_text("软件组")));
        assert_eq!(
            out.matches(" Tj ET").count(),
            3,
            "an empty position draws nothing"
        );
    }
}
