//! What an uploaded XLSX would cost to read, measured ahead of calamine: calamine reads only
//! what has been priced (`xlsx_gate.rs`). Each part is unpacked into a counter, a buffer at a
//! time, so memory stays flat: the sizes a zip declares can lie, what comes out of the
//! decompressor cannot.
//!
//! Bytes alone are not enough. calamine keeps one value per shared string and per cell style for
//! as long as it reads the file, and an empty one is 5 bytes in the file (`<si/>`, `<xf/>`) but
//! 24 bytes (a string) or hundreds (a style) in memory: 53 million empty shared strings, 265 MB
//! unpacked and under the byte cap, once took the server from 51 to 1,277 MiB. So the elements
//! calamine keeps are counted and priced, with the part's bytes, against the cap of a part held
//! in memory (an eighth of `upload_max_unpacked_mib`).

use super::xlsx_gate::{self, Gate};
use super::ReadLimits;
use std::io::{Read, Seek, SeekFrom};
use std::mem::size_of;

/// What calamine keeps a value of, by the element that makes it (matched by local name, as
/// calamine matches them).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kept {
    /// `<si>` of the shared strings: a `String` each.
    SharedString,
    /// `<xf>` of the cell formats: a `Style` each, with its own copy of a font name and a number
    /// format code.
    CellStyle,
    /// `<font>`, `<fill>`, `<border>` and `<numFmt>`: kept while the styles are read.
    Font,
    Fill,
    Border,
    NumberFormat,
}

const KEPT: [(&[u8], Kept); 6] = [
    (b"si", Kept::SharedString),
    (b"xf", Kept::CellStyle),
    (b"font", Kept::Font),
    (b"fill", Kept::Fill),
    (b"border", Kept::Border),
    (b"numFmt", Kept::NumberFormat),
];

/// A heap allocation's header and rounding, beyond the bytes it holds (glibc: 8 and up to 15,
/// at least 32 in all).
const ALLOCATION: u64 = 32;

/// Bytes calamine holds for one element of `kind`. `longest` is the part's longest stretch
/// between two `<`, which bounds any one attribute value (a font name, a format code) that is
/// copied into each style. A shared string's text is charged with the part's bytes, where its
/// tags (`<si><t></t></si>`, 16 bytes) cover its allocation's header and rounding but 16.
fn cost(kind: Kept, longest: u64) -> u64 {
    let copy = longest + ALLOCATION;
    match kind {
        Kept::SharedString => size_of::<String>() as u64 + 16,
        Kept::CellStyle => size_of::<calamine::Style>() as u64 + 8 + 2 * copy,
        Kept::Font => size_of::<calamine::Font>() as u64 + copy,
        Kept::Fill => size_of::<calamine::Fill>() as u64,
        Kept::Border => size_of::<calamine::Borders>() as u64,
        Kept::NumberFormat => 2 * (size_of::<String>() as u64 + copy) + 16,
    }
}

/// A start tag of `<sst>` longer than this is not from a spreadsheet program: its
/// `uniqueCount` is taken as unknown, i.e. as large as can be.
const SST_TAG_MAX: usize = 64 << 10;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    Text,
    Name,
    SstTag,
}

/// One part, scanned as it is unpacked.
#[derive(Debug)]
struct PartScan {
    bytes: u64,
    counts: [u64; KEPT.len()],
    /// The longest stretch between two `<` (a text, or a tag with its attributes): what the XML
    /// reader holds at once in a streamed part.
    longest: u64,
    /// The largest `uniqueCount` of an `<sst>`: calamine reserves room for that many strings
    /// before it reads one (a huge one would abort the process on a failed allocation).
    unique_count: u64,
    run: u64,
    state: State,
    /// The element name being read, after its last `:` (its local name), at most 8 bytes.
    name: [u8; 8],
    name_len: usize,
    name_overflow: bool,
    sst_tag: Vec<u8>,
}

impl PartScan {
    fn new() -> PartScan {
        PartScan {
            bytes: 0,
            counts: [0; KEPT.len()],
            longest: 0,
            unique_count: 0,
            run: 0,
            state: State::Text,
            name: [0; 8],
            name_len: 0,
            name_overflow: false,
            sst_tag: Vec::new(),
        }
    }

    /// Every element start is `<` and a name, so none is missed; a `<si` inside a comment is
    /// counted too, which only errs on the safe side.
    fn feed(&mut self, chunk: &[u8]) {
        self.bytes += chunk.len() as u64;
        let mut i = 0;
        while i < chunk.len() {
            if self.state == State::Text {
                match memchr::memchr(b'<', &chunk[i..]) {
                    Some(at) => {
                        self.run += at as u64;
                        i += at;
                    }
                    None => {
                        self.run += (chunk.len() - i) as u64;
                        return;
                    }
                }
            }
            let b = chunk[i];
            i += 1;
            if b == b'<' {
                if self.state == State::SstTag {
                    self.end_sst_tag();
                }
                self.longest = self.longest.max(self.run);
                self.run = 0;
                self.state = State::Name;
                self.name_len = 0;
                self.name_overflow = false;
                continue;
            }
            self.run += 1;
            match self.state {
                State::Text => {}
                State::Name => match b {
                    b' ' | b'\t' | b'\r' | b'\n' | b'/' | b'>' => {
                        let name = &self.name[..self.name_len];
                        let sst = !self.name_overflow && name == b"sst";
                        if !self.name_overflow {
                            if let Some(k) = KEPT.iter().position(|(n, _)| *n == name) {
                                self.counts[k] += 1;
                            }
                        }
                        self.state = State::Text;
                        if sst {
                            self.sst_tag.clear();
                            self.state = State::SstTag;
                            if b == b'>' {
                                self.end_sst_tag();
                            }
                        }
                    }
                    b':' => {
                        self.name_len = 0;
                        self.name_overflow = false;
                    }
                    _ if self.name_len < self.name.len() => {
                        self.name[self.name_len] = b;
                        self.name_len += 1;
                    }
                    _ => self.name_overflow = true,
                },
                State::SstTag if b == b'>' => self.end_sst_tag(),
                State::SstTag if self.sst_tag.len() < SST_TAG_MAX => self.sst_tag.push(b),
                State::SstTag => {
                    self.unique_count = u64::MAX;
                    self.state = State::Text;
                }
            }
        }
    }

    fn end_sst_tag(&mut self) {
        self.unique_count = self.unique_count.max(unique_count(&self.sst_tag));
        self.sst_tag = Vec::new();
        self.state = State::Text;
    }

    /// No element calamine keeps seen (yet).
    fn keeps_nothing(&self) -> bool {
        self.counts.iter().all(|&n| n == 0) && self.unique_count == 0
    }

    fn finish(&mut self) {
        self.longest = self.longest.max(self.run);
    }

    fn count(&self, kind: Kept) -> u64 {
        KEPT.iter()
            .zip(self.counts)
            .filter(|((_, k), _)| *k == kind)
            .map(|(_, n)| n)
            .sum()
    }

    /// The strings calamine makes room for: as many as it finds, or as it is told, whichever
    /// is more.
    fn shared_strings(&self) -> u64 {
        self.count(Kept::SharedString).max(self.unique_count)
    }

    /// Bytes calamine holds for the elements it keeps, by kind.
    fn kept_bytes(&self, kind: Kept) -> u64 {
        let n = match kind {
            Kept::SharedString => self.shared_strings(),
            _ => self.count(kind),
        };
        n.saturating_mul(cost(kind, self.longest))
    }

    fn all_kept_bytes(&self) -> u64 {
        KEPT.iter()
            .map(|(_, k)| self.kept_bytes(*k))
            .fold(0, u64::saturating_add)
    }
}

/// The `uniqueCount` attribute of an `<sst>` start tag (the text after the name), the largest if
/// it is given more than once; 0 when absent or not a number, as calamine then reserves nothing.
fn unique_count(tag: &[u8]) -> u64 {
    const KEY: &[u8] = b"uniqueCount";
    let mut largest = 0;
    let mut from = 0;
    while let Some(at) = tag[from..]
        .windows(KEY.len())
        .position(|w| w == KEY)
        .map(|p| p + from)
    {
        from = at + KEY.len();
        if at > 0 && !tag[at - 1].is_ascii_whitespace() {
            continue;
        }
        let rest = &tag[from..];
        let rest = rest.trim_ascii_start();
        let Some(rest) = rest.strip_prefix(b"=") else {
            continue;
        };
        let rest = rest.trim_ascii_start();
        let Some((&quote, rest)) = rest.split_first() else {
            continue;
        };
        if quote != b'"' && quote != b'\'' {
            continue;
        }
        let Some(end) = rest.iter().position(|&b| b == quote) else {
            continue;
        };
        let value = &rest[..end];
        let digits = value.strip_prefix(b"+").unwrap_or(value);
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            continue;
        }
        let n = digits.iter().fold(0u64, |n, d| {
            n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
        });
        largest = largest.max(n);
    }
    largest
}

/// Bytes as MiB, whole or to a tenth.
pub(super) fn mib(bytes: u64) -> String {
    if bytes.is_multiple_of(1 << 20) {
        format!("{}", bytes >> 20)
    } else {
        format!("{:.1}", bytes as f64 / f64::from(1 << 20))
    }
}

/// Parts a workbook may hold. Excel writes a few dozen; the zip reader keeps a record of every
/// entry of the central directory in memory (a few hundred bytes each) before any part can be
/// measured, so a small zip of millions of empty entries would take gigabytes by itself.
const MAX_PARTS: u64 = 10_000;

/// The number of entries a zip's end records declare (the zip64 record's where the classic one
/// says it overflowed), read from the end of the file; None where there is no readable record
/// (the zip reader then refuses the file in its own words).
fn declared_entries<R: Read + Seek>(reader: &mut R) -> Option<u64> {
    const RECORD: u64 = 22;
    let len = reader.seek(SeekFrom::End(0)).ok()?;
    // The record, and a comment of up to 65,535 bytes after it.
    let tail_len = len.min(RECORD + 65_535);
    reader.seek(SeekFrom::Start(len - tail_len)).ok()?;
    let mut tail = vec![0u8; tail_len as usize];
    reader.read_exact(&mut tail).ok()?;
    let at = tail.windows(4).rposition(|w| w == b"PK\x05\x06")?;
    let record = tail.get(at..at + RECORD as usize)?;
    let entries = u16::from_le_bytes([record[10], record[11]]);
    if entries != u16::MAX {
        return Some(u64::from(entries));
    }
    // Zip64: a locator just before the record points at the zip64 record.
    let locator = tail.get(at.checked_sub(20)?..at)?;
    if &locator[..4] != b"PK\x06\x07" {
        return None;
    }
    let offset = u64::from_le_bytes(locator[8..16].try_into().ok()?);
    reader.seek(SeekFrom::Start(offset)).ok()?;
    let mut zip64 = [0u8; 56];
    reader.read_exact(&mut zip64).ok()?;
    if &zip64[..4] != b"PK\x06\x06" {
        return None;
    }
    Some(u64::from_le_bytes(zip64[32..40].try_into().ok()?))
}

/// Refuses an XLSX whose parts unpack to more than the limit, or would take more memory than a
/// part may while calamine reads it (`price` without a gate: the tests').
#[cfg(test)]
pub(super) fn check<R: Read + Seek>(reader: R, limits: ReadLimits) -> Result<(), String> {
    price(reader, limits, None)
}

/// `check`, telling `gate` how far each part is priced, so calamine may read behind the pricing
/// (`xlsx_gate.rs`): the parts calamine keeps whole first, each passed on when all of it is
/// priced, then the worksheets, passed on as they are priced while nothing in them is kept and
/// no text of them is too long.
pub(super) fn price<R: Read + Seek>(
    mut reader: R,
    limits: ReadLimits,
    gate: Option<&Gate>,
) -> Result<(), String> {
    if let Some(parts) = declared_entries(&mut reader).filter(|n| *n > MAX_PARTS) {
        return Err(format!(
            "XLSX文件中有{parts}个部件，超过{MAX_PARTS}个，不是Excel保存的工作簿，请另存为.xlsx后上传"
        ));
    }
    reader
        .seek(SeekFrom::Start(0))
        .map_err(|e| format!("无法读取XLSX文件：{e}"))?;
    let Ok(mut zip) = zip::ZipArchive::new(reader) else {
        // Not a zip: calamine says so in its own words (an old .xls, a broken file).
        return Ok(());
    };
    let too_big = || {
        format!(
            "XLSX文件解压后超过{} MiB（设置 upload_max_unpacked_mib），请拆分文件后上传",
            limits.max_unpacked >> 20
        )
    };
    let in_memory_cap = limits.max_unpacked / 8;
    let too_costly = |what: &str, held: u64| {
        format!(
            "XLSX文件的{what}，读取需要约{} MiB内存，超过{} MiB（设置 upload_max_unpacked_mib 的八分之一），请拆分文件后上传",
            mib(held.div_ceil(1 << 20) << 20),
            mib(in_memory_cap)
        )
    };
    let ranges = xlsx_gate::compressed_ranges(&mut zip)?;
    if let Some(gate) = gate {
        gate.parts(&ranges);
    }
    // Worksheets are streamed; every other part calamine keeps whole in memory.
    let streamed: Vec<bool> = (0..zip.len())
        .map(|i| {
            zip.name_for_index(i)
                .is_some_and(|n| n.is_ok_and(|n| n.starts_with("xl/worksheets/")))
        })
        .collect();
    let mut order: Vec<usize> = (0..zip.len()).collect();
    order.sort_by_key(|&i| streamed[i]);
    let mut total = 0u64;
    for i in order {
        let cap = if streamed[i] {
            limits.max_unpacked - total
        } else {
            in_memory_cap.min(limits.max_unpacked - total)
        };
        let mut scan = PartScan::new();
        xlsx_gate::unpack(&mut zip, i, |piece, taken| {
            scan.feed(piece);
            if scan.bytes > cap {
                return Err(too_big());
            }
            // What a worksheet holds at once so far (no kept element, the longest text):
            // within the cap, calamine may stream it as far as it is priced.
            if let (Some(gate), true) = (gate, streamed[i] && scan.keeps_nothing()) {
                if scan.longest.max(scan.run).saturating_mul(4) <= in_memory_cap {
                    let start = ranges[i].0;
                    gate.priced(i, start + taken.saturating_sub(xlsx_gate::MARGIN));
                }
            }
            Ok(())
        })?;
        scan.finish();
        let kept = scan.all_kept_bytes();
        // A part with elements calamine keeps is read whole, wherever it lies in the zip; a
        // worksheet holds one text or tag at a time (in the reader's buffer, unescaped, as a
        // cell's value and as its text here).
        let held = if streamed[i] && kept == 0 {
            scan.longest.saturating_mul(4)
        } else {
            kept.saturating_add(scan.bytes)
        };
        if held > in_memory_cap {
            let strings = scan.shared_strings();
            let styles = [
                Kept::CellStyle,
                Kept::Font,
                Kept::Fill,
                Kept::Border,
                Kept::NumberFormat,
            ];
            let what = if kept == 0 {
                format!(
                    "工作表中有一段文本或标签解压后长达{} MiB",
                    mib(scan.longest.div_ceil(1 << 20) << 20)
                )
            } else if scan.kept_bytes(Kept::SharedString) * 2 >= kept {
                format!("共享字符串（sharedStrings）有{strings}项")
            } else {
                let n: u64 = styles.iter().map(|k| scan.count(*k)).sum();
                format!("样式（styles）有{n}项")
            };
            return Err(too_costly(&what, held));
        }
        if let Some(gate) = gate {
            gate.priced(i, ranges[i].1);
        }
        total += scan.bytes;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
