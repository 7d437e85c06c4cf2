//! A PDF written front to back into any `Write`: a page at a time, each page's drawing one
//! compressed stream, the page tree and the cross-reference table at the end (their offsets are
//! counted as the bytes go out). Nothing but rectangles and text: what labels need.
//!
//! Text uses the Chinese font every PDF reader knows without embedding it (STSong-Light, the
//! Adobe-GB1 collection, encoded UniGB-UCS2-H: each character its UTF-16 code unit), with a
//! ToUnicode map so the labels' text can be searched and copied.

use flate2::{write::ZlibEncoder, Compression};
use std::io::{self, Write};

/// Points per millimetre (a point is 1/72 inch).
pub const PT_PER_MM: f64 = 72.0 / 25.4;

/// The objects written before the first page: the catalog (1), the page tree (2, written last),
/// the font (3), its CID font (4), ToUnicode map (5) and descriptor (6).
const FIRST_PAGE_OBJECT: usize = 7;

pub struct Pdf<W: Write> {
    out: Counted<W>,
    /// Byte offset of each object, by number (index 0 unused).
    offsets: Vec<u64>,
    /// Object number of each page.
    pages: Vec<usize>,
}

/// A `Write` that counts what went through it (the offsets the cross-reference table needs).
struct Counted<W: Write> {
    inner: W,
    written: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W: Write> Pdf<W> {
    /// Writes the header and the shared objects (catalog, font).
    pub fn start(out: W) -> io::Result<Pdf<W>> {
        let mut pdf = Pdf {
            out: Counted {
                inner: out,
                written: 0,
            },
            offsets: vec![0; FIRST_PAGE_OBJECT],
            pages: Vec::new(),
        };
        // The second line's bytes above 127 tell tools the file is binary.
        pdf.out.write_all(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")?;
        pdf.object(1, b"<< /Type /Catalog /Pages 2 0 R >>")?;
        pdf.object(
            3,
            b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H \
              /DescendantFonts [4 0 R] /ToUnicode 5 0 R >>",
        )?;
        // CIDs 1-95 are the proportional Latin characters (half as wide as a Chinese one).
        pdf.object(
            4,
            b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light \
              /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> \
              /FontDescriptor 6 0 R /DW 1000 /W [1 95 500] >>",
        )?;
        let map = to_unicode_map();
        pdf.stream(5, "", map.as_bytes())?;
        pdf.object(
            6,
            b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 \
              /FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 \
              /CapHeight 880 /StemV 93 >>",
        )?;
        Ok(pdf)
    }

    fn object(&mut self, number: usize, body: &[u8]) -> io::Result<()> {
        if self.offsets.len() <= number {
            self.offsets.resize(number + 1, 0);
        }
        self.offsets[number] = self.out.written;
        writeln!(self.out, "{number} 0 obj")?;
        self.out.write_all(body)?;
        self.out.write_all(b"\nendobj\n")
    }

    fn stream(&mut self, number: usize, filter: &str, data: &[u8]) -> io::Result<()> {
        let mut body = format!("<< /Length {}{filter} >>\nstream\n", data.len()).into_bytes();
        body.extend_from_slice(data);
        body.extend_from_slice(b"\nendstream");
        self.object(number, &body)
    }

    /// Adds a page of `width` × `height` points drawn by `content` (PDF drawing operators).
    pub fn page(&mut self, (width, height): (f64, f64), content: &[u8]) -> io::Result<()> {
        let number = self.offsets.len();
        let mut zip = ZlibEncoder::new(Vec::with_capacity(content.len() / 4), Compression::fast());
        zip.write_all(content)?;
        let packed = zip.finish()?;
        self.stream(number + 1, " /Filter /FlateDecode", &packed)?;
        let page = format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {} {}] \
             /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
            num(width),
            num(height),
            number + 1
        );
        self.object(number, page.as_bytes())?;
        self.pages.push(number);
        Ok(())
    }

    /// Writes the page tree, the cross-reference table and the trailer; returns the output.
    pub fn finish(mut self) -> io::Result<W> {
        let mut tree = String::with_capacity(self.pages.len() * 8 + 64);
        tree.push_str("<< /Type /Pages /Kids [");
        for page in &self.pages {
            tree.push_str(&format!("{page} 0 R "));
        }
        tree.push_str(&format!("] /Count {} >>", self.pages.len()));
        self.object(2, tree.as_bytes())?;
        let xref = self.out.written;
        let size = self.offsets.len();
        writeln!(self.out, "xref\n0 {size}\n0000000000 65535 f ")?;
        for offset in &self.offsets[1..] {
            writeln!(self.out, "{offset:010} 00000 n ")?;
        }
        write!(
            self.out,
            "trailer\n<< /Size {size} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
        )?;
        self.out.flush()?;
        Ok(self.out.inner)
    }
}

/// A number for a drawing operator: points to two decimals, without trailing zeros.
pub fn num(value: f64) -> String {
    let hundredths = (value * 100.0).round() as i64;
    let (sign, abs) = if hundredths < 0 {
        ("-", -hundredths)
    } else {
        ("", hundredths)
    };
    match abs % 100 {
        0 => format!("{sign}{}", abs / 100),
        f if f % 10 == 0 => format!("{sign}{}.{}", abs / 100, f / 10),
        f => format!("{sign}{}.{f:02}", abs / 100),
    }
}

/// Text as the font's codes, a PDF hex string: each character its UTF-16 code unit. A character
/// beyond the 16-bit plane (which UCS-2 cannot encode) is shown as `?`.
pub fn hex_text(text: &str) -> String {
    let mut hex = String::with_capacity(text.len() * 4 + 2);
    hex.push('<');
    for c in text.chars() {
        let unit = u16::try_from(u32::from(c)).unwrap_or(u16::from(b'?'));
        hex.push_str(&format!("{unit:04X}"));
    }
    hex.push('>');
    hex
}

/// The width of `text` in ems, as the font draws it: Latin characters half as wide as the rest.
pub fn text_width(text: &str) -> f64 {
    text.chars()
        .map(|c| if (' '..='~').contains(&c) { 0.5 } else { 1.0 })
        .sum()
}

/// The ToUnicode map: each code is its own UTF-16 unit (the surrogates excepted), in ranges that
/// stay within one high byte, at most 100 to a block.
fn to_unicode_map() -> String {
    let highs: Vec<u32> = (0..=0xFFu32)
        .filter(|h| !(0xD8..=0xDF).contains(h))
        .collect();
    let mut map = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    for block in highs.chunks(100) {
        map.push_str(&format!("{} beginbfrange\n", block.len()));
        for high in block {
            map.push_str(&format!("<{high:02X}00> <{high:02X}FF> <{high:02X}00>\n"));
        }
        map.push_str("endbfrange\n");
    }
    map.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend");
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_exact_to_a_hundredth() {
        assert_eq!(num(0.0), "0");
        assert_eq!(num(12.5), "12.5");
        assert_eq!(num(-3.456), "-3.46");
        assert_eq!(num(595.2756), "595.28");
        assert_eq!(num(0.05), "0.05");
    }

    #[test]
    fn text_is_utf16_hex_and_measured_by_kind() {
        assert_eq!(hex_text("A 中"), "<004100204E2D>");
        assert_eq!(hex_text("😀"), "<003F>");
        assert_eq!(text_width("AB中"), 2.0);
    }

    /// Every object the cross-reference table lists starts at its offset, and the trailer
    /// points at the table.
    #[test]
    fn the_cross_reference_table_points_at_every_object() {
        let mut pdf = Pdf::start(Vec::new()).unwrap();
        for _ in 0..3 {
            pdf.page((100.0, 50.0), b"0 0 10 10 re f").unwrap();
        }
        let bytes = pdf.finish().unwrap();
        // The tail (from the table on) is text; the streams before it need not be.
        let tail_at = bytes.len() - 400;
        let tail = std::str::from_utf8(&bytes[tail_at..]).unwrap();
        let start: usize = tail
            .rsplit("startxref\n")
            .next()
            .and_then(|t| t.lines().next())
            .and_then(|n| n.parse().ok())
            .unwrap();
        let table = std::str::from_utf8(&bytes[start..]).unwrap();
        assert!(table.starts_with("xref\n0 13\n"), "{table}");
        let entries: Vec<&str> = table.lines().skip(3).take(12).collect();
        for (i, entry) in entries.iter().enumerate() {
            let offset: usize = entry[..10].parse().unwrap();
            let number = i + 1;
            assert!(
                bytes[offset..].starts_with(format!("{number} 0 obj\n").as_bytes()),
                "object {number} is not at {offset}"
            );
        }
        assert!(tail.contains("/Kids [7 0 R 9 0 R 11 0 R ] /Count 3"));
        assert!(tail.ends_with("%%EOF\n"));
    }
}
