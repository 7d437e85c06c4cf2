//! Pricing on parts built here: the elements calamine keeps, zips of too many parts, long
//! texts, a real workbook.

use super::*;
use std::io::{Cursor, Write};

fn scan(parts: &[&[u8]]) -> PartScan {
    let mut scan = PartScan::new();
    for part in parts {
        scan.feed(part);
    }
    scan.finish();
    scan
}

const SST: &[u8] = b"<?xml version=\"1.0\"?><sst xmlns=\"m\" count=\"9\" uniqueCount=\"4\">\
    <si/><si></si><x:si><t>a &lt; b</t></x:si><si><r><t>b</t></r></si>\
    <sis/><!-- a comment --></sst>";

#[test]
fn counts_the_elements_calamine_keeps_by_local_name() {
    let whole = scan(&[SST]);
    assert_eq!(whole.count(Kept::SharedString), 4);
    assert_eq!(whole.unique_count, 4);
    assert_eq!(whole.bytes, SST.len() as u64);
    // The same, fed a byte at a time: chunk edges change nothing.
    let bytes: Vec<&[u8]> = SST.chunks(1).collect();
    let split = scan(&bytes);
    assert_eq!(split.counts, whole.counts);
    assert_eq!(split.unique_count, 4);
    assert_eq!(split.longest, whole.longest);

    let styles = scan(&[
        b"<styleSheet><numFmts><numFmt numFmtId=\"164\" formatCode=\"0.0\"/>\
        </numFmts><fonts><font><name val=\"Calibri\"/></font></fonts><cellXfs count=\"2\">\
        <xf/><xf numFmtId=\"164\"></xf></cellXfs><dxfs><dxf/></dxfs></styleSheet>",
    ]);
    assert_eq!(styles.count(Kept::CellStyle), 2);
    assert_eq!(styles.count(Kept::Font), 1);
    assert_eq!(styles.count(Kept::NumberFormat), 1);
    assert_eq!(styles.count(Kept::SharedString), 0);
}

#[test]
fn a_declared_unique_count_is_read_as_calamine_reads_it() {
    assert_eq!(unique_count(b" count=\"1\" uniqueCount = '12'"), 12);
    assert_eq!(unique_count(b" uniqueCount=\"7\" uniqueCount=\"9\""), 9);
    assert_eq!(unique_count(b" uniqueCount=\"x9\""), 0);
    assert_eq!(unique_count(b" xuniqueCount=\"9\""), 0);
    assert_eq!(
        unique_count(b" uniqueCount=\"99999999999999999999999\""),
        u64::MAX
    );
    // A tag longer than any spreadsheet program writes: as large as can be.
    let mut long = b"<sst a=\"".to_vec();
    long.resize(SST_TAG_MAX + 100, b'a');
    long.extend_from_slice(b"\" uniqueCount=\"1\"><si/></sst>");
    assert_eq!(scan(&[&long]).unique_count, u64::MAX);
}

/// A zip of `parts` (name, bytes), deflated.
fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in parts {
        out.start_file(*name, deflated).unwrap();
        out.write_all(bytes).unwrap();
    }
    out.finish().unwrap().into_inner()
}

fn limits(mib: u64) -> ReadLimits {
    ReadLimits {
        max_rows: 1000,
        max_unpacked: mib << 20,
    }
}

fn shared_strings(entries: usize, unique_count: usize) -> Vec<u8> {
    let mut xml = format!("<sst uniqueCount=\"{unique_count}\">").into_bytes();
    for _ in 0..entries {
        xml.extend_from_slice(b"<si/>");
    }
    xml.extend_from_slice(b"</sst>");
    xml
}

/// Why `check` refuses a zip of `parts` under a limit of `mib`.
fn refusal(parts: &[(&str, &[u8])], mib: u64) -> String {
    check(Cursor::new(&zip_of(parts)), limits(mib)).unwrap_err()
}

#[test]
fn empty_shared_strings_are_priced_by_their_number() {
    // 300,000 empty strings: 1.4 MiB, under the 2 MiB a part may unpack to, but 13 MiB held.
    let strings = shared_strings(300_000, 300_000);
    let why = refusal(&[("xl/sharedStrings.xml", &strings)], 16);
    assert!(
        why.starts_with("XLSX文件的共享字符串（sharedStrings）有300000项，读取需要约"),
        "{why}"
    );
    assert!(
        why.ends_with("超过2 MiB（设置 upload_max_unpacked_mib 的八分之一），请拆分文件后上传"),
        "{why}"
    );
    // A tenth of them fits.
    let file = zip_of(&[("xl/sharedStrings.xml", &shared_strings(30_000, 30_000))]);
    assert_eq!(check(Cursor::new(&file), limits(16)), Ok(()));
    // So does a part named elsewhere: it is priced all the same.
    let file = zip_of(&[("xl/worksheets/sharedStrings.xml", &strings)]);
    assert!(check(Cursor::new(&file), limits(16)).is_err());
    // A few strings that announce a billion: calamine would reserve room for them all.
    let why = refusal(
        &[("xl/sharedStrings.xml", &shared_strings(3, 1_000_000_000))],
        16,
    );
    assert!(why.contains("有1000000000项"), "{why}");
}

#[test]
fn cell_styles_and_long_texts_are_priced() {
    let mut styles = b"<styleSheet><cellXfs>".to_vec();
    for _ in 0..20_000 {
        styles.extend_from_slice(b"<xf/>");
    }
    styles.extend_from_slice(b"</cellXfs></styleSheet>");
    let why = refusal(&[("xl/styles.xml", &styles)], 16);
    assert!(
        why.starts_with("XLSX文件的样式（styles）有20000项"),
        "{why}"
    );

    // One text of 1 MiB in a worksheet: streamed, but held whole while it is read.
    let mut sheet = b"<worksheet><sheetData><row><c t=\"inlineStr\"><is><t>".to_vec();
    sheet.resize(sheet.len() + (1 << 20), b'a');
    sheet.extend_from_slice(b"</t></is></c></row></sheetData></worksheet>");
    let file = zip_of(&[("xl/worksheets/sheet1.xml", &sheet)]);
    let why = check(Cursor::new(&file), limits(16)).unwrap_err();
    assert!(
        why.starts_with("XLSX文件的工作表中有一段文本或标签解压后长达"),
        "{why}"
    );
    assert_eq!(check(Cursor::new(&file), limits(64)), Ok(()));
}

#[test]
fn a_zip_of_too_many_parts_is_refused_before_its_directory_is_read() {
    // Over 65,535 entries: the count is in the zip64 record.
    for entries in [10_001, 70_000] {
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for i in 0..entries {
            out.start_file(format!("{i}"), stored).unwrap();
        }
        let file = out.finish().unwrap().into_inner();
        assert_eq!(declared_entries(&mut Cursor::new(&file)), Some(entries));
        let refused = check(Cursor::new(&file), limits(64)).unwrap_err();
        assert!(refused.contains(&format!("有{entries}个部件")), "{refused}");
    }
    // A workbook of a few parts is counted and passes on; what is no zip is left to the
    // reader.
    let small = zip_of(&[("a", b"x"), ("b", b"y")]);
    assert_eq!(declared_entries(&mut Cursor::new(&small)), Some(2));
    assert_eq!(declared_entries(&mut Cursor::new(b"not a zip")), None);
    assert_eq!(check(Cursor::new(b"not a zip"), limits(1)), Ok(()));
}

#[test]
fn a_real_workbook_passes() {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for r in 0..1000 {
        sheet.write_string(r, 0, format!("资产-{r}")).unwrap();
        sheet.write_number(r, 1, f64::from(r)).unwrap();
    }
    let file = book.save_to_buffer().unwrap();
    assert_eq!(check(Cursor::new(&file), limits(1)), Ok(()));
}

#[test]
fn a_worksheet_is_passed_on_only_as_far_as_it_is_priced_and_within_the_limits() {
    // A thousand rows, then one text too long to hold (an eighth of 16 MiB is 2 MiB, four
    // times 1 MiB is more), then more rows.
    let mut sheet = b"<worksheet><sheetData>".to_vec();
    for r in 1..=1000 {
        sheet.extend_from_slice(format!("<row r=\"{r}\"><c><v>{r}</v></c></row>").as_bytes());
    }
    let long_at = sheet.len() as u64;
    sheet.extend_from_slice(b"<row><c t=\"inlineStr\"><is><t>");
    sheet.resize(sheet.len() + (1 << 20), b'a');
    sheet.extend_from_slice(b"</t></is></c></row>");
    for _ in 0..1000 {
        sheet.extend_from_slice(b"<row><c><v>1</v></c></row>");
    }
    sheet.extend_from_slice(b"</sheetData></worksheet>");
    let file = zip_of(&[("xl/worksheets/sheet1.xml", &sheet)]);
    let gate = Gate::default();
    let why = price(Cursor::new(&file), limits(16), Some(&gate)).unwrap_err();
    assert!(why.contains("一段文本或标签"), "{why}");
    // What calamine may read of the part unpacks to no more than the rows before the text and
    // as much of the text as the limit allows (a quarter of 2 MiB), give or take the margin.
    let mut zip = zip::ZipArchive::new(Cursor::new(&file)).unwrap();
    let start = zip.by_index_raw(0).unwrap().data_start().unwrap();
    let priced = gate.priced_to(0).unwrap();
    assert!(priced > start, "nothing passed on");
    let mut inflate = flate2::Decompress::new(false);
    let mut out = vec![0u8; 4 << 20];
    let _ = inflate.decompress(
        &file[start as usize..priced as usize],
        &mut out,
        flate2::FlushDecompress::None,
    );
    let readable = inflate.total_out();
    assert!(readable >= long_at / 2, "{readable} < {long_at}");
    assert!(readable <= long_at + (512 << 10) + (1 << 20), "{readable}");
    // Without a limit crossed, the whole part is passed on.
    let gate = Gate::default();
    let small = zip_of(&[("xl/worksheets/sheet1.xml", &sheet[..long_at as usize])]);
    price(Cursor::new(&small), limits(16), Some(&gate)).unwrap();
    let part = zip::ZipArchive::new(Cursor::new(&small))
        .unwrap()
        .by_index_raw(0)
        .map(|p| p.data_start().unwrap() + p.compressed_size())
        .unwrap();
    assert_eq!(gate.priced_to(0), Some(part));
}
