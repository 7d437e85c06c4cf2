//! The readers and writers of files on bytes in memory: every format both ways, the limits,
//! the messages a bad file gets.

use super::read::cell_text;
use super::write::write_xlsx_with_limit;
use super::*;
use calamine::{Reader, Xlsx};
use rust_xlsxwriter::Workbook;
use serde_json::Value;
use std::io::Cursor;
use std::io::Read;

fn read_all(format: Format, bytes: &[u8]) -> Result<Vec<(u64, String)>, FileError<()>> {
    let mut rows = Vec::new();
    let n = read_rows(format, bytes, ReadLimits::default(), |r: UploadRow| {
        // Every row read says where its values stand, unless one had to be escaped.
        match &r.spans {
            Some(spans) => assert_eq!(
                crate::rows::Fields::from_spans(&r.json, spans),
                crate::rows::Fields::read(&r.json),
                "{}",
                r.json
            ),
            None => assert!(r.json.contains('\\'), "{}", r.json),
        }
        rows.push((r.line, r.json));
        Ok::<(), ()>(())
    })?;
    assert_eq!(n.rows, rows.len() as u64);
    Ok(rows)
}

#[test]
fn a_row_read_is_its_fields_without_reading_its_json_again() {
    let header: Vec<&str> = IMPORT_COLUMNS.iter().map(|c| c.header).collect();
    let full: Vec<String> = (0..header.len()).map(|i| format!("v{i}")).collect();
    let name = IMPORT_COLUMNS
        .iter()
        .position(|c| c.field == "name")
        .unwrap();
    let only_name = |text: &str| {
        let mut cells = vec![""; header.len()];
        cells[name] = text;
        cells.join(",")
    };
    let csv = format!(
        "{}\n{}\n{}\n{}\n",
        header.join(","),
        full.join(","),
        only_name(" 电脑 "),
        only_name("\"a\"\"b\"")
    );
    let mut spans = Vec::new();
    read_rows(Format::Csv, csv.as_bytes(), ReadLimits::default(), |r| {
        spans.push(r.spans.map(|s| s.iter().filter(|s| s.is_some()).count()));
        Ok::<(), ()>(())
    })
    .unwrap();
    // Every field of the full row; the blank optional ones left out of the second; the
    // third's quote escaped.
    let required = IMPORT_COLUMNS.iter().filter(|c| !c.optional).count();
    assert_eq!(spans, [Some(header.len()), Some(required), None]);
    read_all(Format::Csv, csv.as_bytes()).unwrap();
}

fn lines_of(csv: &str) -> Vec<u64> {
    let rows = read_all(Format::Csv, csv.as_bytes()).unwrap();
    rows.iter().map(|r| r.0).collect()
}

fn unreadable(result: Result<Vec<(u64, String)>, FileError<()>>) -> String {
    match result {
        Err(FileError::Unreadable(reason)) => reason,
        other => panic!("expected Unreadable, got {other:?}"),
    }
}

/// Every sheet of an XLSX as (name, rows of cell texts).
fn xlsx_sheets(bytes: Vec<u8>) -> Vec<(String, Vec<Vec<String>>)> {
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    let names = workbook.sheet_names();
    names
        .into_iter()
        .map(|name| {
            let range = workbook.worksheet_range(&name).unwrap();
            let rows = range
                .rows()
                .map(|r| r.iter().map(|c| c.to_string()).collect())
                .collect();
            (name, rows)
        })
        .collect()
}

fn file_bytes(mut file: std::fs::File) -> Vec<u8> {
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).unwrap();
    bytes
}

fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    assert!(bytes.starts_with(UTF8_BOM));
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[3..])
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

/// One expected row, cells separated by '|'.
fn cells(row: &str) -> Vec<String> {
    row.split('|').map(String::from).collect()
}

/// The template's header of older versions (资产价值 is now an alias of 原值; no 创建时间).
const HEADER: &str =
    "资产名,资产类型,资产价值,资产数量,使用期限,所属品类,描述信息,位置信息,挂账人,所属部门,父资产";

fn template_header() -> String {
    TEMPLATE_COLUMNS
        .iter()
        .map(|c| c.header)
        .collect::<Vec<_>>()
        .join("|")
}

#[test]
fn format_from_query() {
    assert_eq!(Format::from_query(None), Ok(Format::Csv));
    assert_eq!(Format::from_query(Some("CSV")), Ok(Format::Csv));
    assert_eq!(Format::from_query(Some("Xlsx")), Ok(Format::Xlsx));
    let err = Format::from_query(Some("xyz")).unwrap_err();
    assert_eq!(err, "不支持的文件格式：xyz，只支持 csv 或 xlsx");
    assert_eq!(Format::Xlsx.extension(), "xlsx");
    assert!(Format::Csv.content_type().starts_with("text/csv"));
}

/// The demo's example: CST's 数量型资产 (quantity assets only) and liusn.
fn example() -> crate::db::org::TemplateExample {
    crate::db::org::TemplateExample {
        department: "CST".into(),
        category: "数量型资产".into(),
        class: Some(0),
        user: "liusn".into(),
    }
}

#[test]
fn a_template_without_an_example_is_its_header_alone() {
    for format in [Format::Csv, Format::Xlsx] {
        let bytes = template(format, None).unwrap();
        assert_eq!(read_all(format, &bytes).unwrap(), vec![], "{format:?}");
    }
    let item = crate::db::org::TemplateExample {
        class: Some(1),
        category: "电脑".into(),
        ..example()
    };
    let cells = example_cells(&item);
    let at = |field: &str| {
        &cells[TEMPLATE_COLUMNS
            .iter()
            .position(|c| c.field == field)
            .unwrap()]
    };
    assert_eq!(
        (at("assetClass").as_str(), at("count").as_str()),
        ("条目型", "1")
    );
    assert_eq!(at("assetTree"), "电脑");
}

#[test]
fn csv_template_round_trips() {
    let bytes = template(Format::Csv, Some(&example())).unwrap();
    assert!(bytes.starts_with(UTF8_BOM));
    let rows = read_all(Format::Csv, &bytes).unwrap();
    let expected = r#"{"name":"办公椅","assetClass":"数量型","price":"120.50","count":"10","deadline":"5","assetTree":"数量型资产","description":"人体工学椅","position":"A座301","user":"liusn","department":"CST"}"#;
    assert_eq!(rows, vec![(2, expected.to_string())]);
}

#[test]
fn xlsx_template_round_trips() {
    let bytes = template(Format::Xlsx, Some(&example())).unwrap();
    let rows = read_all(Format::Xlsx, &bytes).unwrap();
    let expected = r#"{"name":"办公椅","assetClass":"数量型","price":"120.5","count":"10","deadline":"5","assetTree":"数量型资产","description":"人体工学椅","position":"A座301","user":"liusn","department":"CST"}"#;
    assert_eq!(rows, vec![(2, expected.to_string())]);
    let sheets = xlsx_sheets(bytes);
    assert_eq!(sheets[0].1[0], cells(&template_header()));
}

#[test]
fn csv_with_and_without_bom() {
    let body = format!("{HEADER}\n椅子,1,5,1,3,条目型资产,,,u1,D1,7\n");
    let expected = r#"{"name":"椅子","assetClass":"1","price":"5","count":"1","deadline":"3","assetTree":"条目型资产","user":"u1","department":"D1","parent":"7"}"#;
    let plain = read_all(Format::Csv, body.as_bytes()).unwrap();
    assert_eq!(plain, vec![(2, expected.to_string())]);
    let with_bom = [UTF8_BOM, body.as_bytes()].concat();
    assert_eq!(read_all(Format::Csv, &with_bom).unwrap(), plain);
}

#[test]
fn csv_reordered_english_headers_and_unknown_column() {
    let body = "department, USER ,保修期,deadline,count,price,assetclass,assetTree,Name\r\n\
                D1,u1,ignored,3,2, 9.5 ,0,数量型资产,桌子\r\n";
    let rows = read_all(Format::Csv, body.as_bytes()).unwrap();
    let expected = r#"{"name":"桌子","assetClass":"0","price":"9.5","count":"2","deadline":"3","assetTree":"数量型资产","user":"u1","department":"D1"}"#;
    assert_eq!(rows, vec![(2, expected.to_string())]);
}

#[test]
fn synonyms_import_and_unknown_headers_are_named() {
    // 资产名称, 分类, 描述, 购入日期: synonyms; 保修期 and 供应商: not the import's; the full
    // export's 剩余年限 is the vocabulary's own word, not reported.
    let body = "资产名称,资产类型,原值,资产数量,使用期限,分类,所属部门,挂账人,描述,\
                保修期,购入日期,剩余年限,供应商,保修期\n\
                桌子,0,9.5,2,3,数量型资产,D1,u1,旧,3年,2021/3/5,2,某公司,\n";
    let mut rows = Vec::new();
    let read = read_rows::<(), _>(Format::Csv, body.as_bytes(), ReadLimits::default(), |r| {
        rows.push(r.json);
        Ok(())
    })
    .unwrap();
    assert_eq!(read.rows, 1);
    assert_eq!(read.unread_columns, ["保修期", "供应商"]);
    let expected = r#"{"name":"桌子","assetClass":"0","price":"9.5","count":"2","deadline":"3","assetTree":"数量型资产","description":"旧","user":"u1","department":"D1","create_time":"2021/3/5"}"#;
    assert_eq!(rows, [expected]);
}

#[test]
fn blank_csv_lines_are_skipped_and_lines_counted() {
    let body = format!(
        "{HEADER}\na,0,1,1,1,t,,,u,d,\n,,,,,,,,,,\n\n  , ,\nb,0,1,1,1,t,,,u,d,\n,,,,,,,,,,\n\n"
    );
    assert_eq!(lines_of(&body), vec![2, 6]);
    // Excel writes CRLF; truly empty lines count too.
    let crlf = body.replace('\n', "\r\n");
    assert_eq!(lines_of(&crlf), vec![2, 6]);
    let body = format!("\n{HEADER}\n\n\na,0,1,1,1,t,,,u,d,\r\n\r\nb,0,1,1,1,t,,,u,d,");
    assert_eq!(lines_of(&body), vec![5, 7]);
}

#[test]
fn required_cell_empty_is_kept_as_empty_string() {
    let body = "name,assetClass,price,count,deadline,assetTree,user,department,position\n,0,1,1,1,t,u,d,\n";
    let rows = read_all(Format::Csv, body.as_bytes()).unwrap();
    let expected = r#"{"name":"","assetClass":"0","price":"1","count":"1","deadline":"1","assetTree":"t","user":"u","department":"d"}"#;
    assert_eq!(rows, vec![(2, expected.to_string())]);
}

#[test]
fn csv_quoted_field_with_comma_quote_and_newline() {
    let body =
        format!("{HEADER}\n\"a, \"\"b\"\"\nc\",0,1,1,1,t,\"x\ny\",,u,d,\nz,0,1,1,1,t,,,u,d,\n");
    let rows = read_all(Format::Csv, body.as_bytes()).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].0, 2);
    let first: Value = serde_json::from_str(&rows[0].1).unwrap();
    assert_eq!(first["name"], "a, \"b\"\nc");
    assert_eq!(first["description"], "x\ny");
    assert_eq!(rows[1].0, 5, "line where the next record starts");
}

#[test]
fn missing_required_columns_are_named() {
    let body = "资产类型,资产价值,资产数量,使用期限,所属品类,所属部门\n0,1,1,1,t,d\n";
    let reason = unreadable(read_all(Format::Csv, body.as_bytes()));
    assert_eq!(reason, "缺少必需的列：资产名, 挂账人");
    let reason = unreadable(read_all(Format::Csv, b"name,name\n"));
    assert_eq!(reason, "列重复：资产名");
    assert_eq!(unreadable(read_all(Format::Csv, b"\n\n")), "文件没有表头行");
    assert_eq!(
        unreadable(read_all(Format::Xlsx, &[])),
        "无法读取XLSX文件：文件不是有效的xlsx格式"
    );
}

#[test]
fn unreadable_files() {
    let reason = unreadable(read_all(Format::Xlsx, b"this is not a zip file at all"));
    assert!(reason.starts_with("无法读取XLSX文件"), "{reason}");
    let reason = unreadable(read_all(
        Format::Xlsx,
        b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest",
    ));
    assert!(reason.contains(".xls"), "{reason}");
    // "资产名" in GBK.
    let reason = unreadable(read_all(Format::Csv, b"\xD7\xCA\xB2\xFA\xC3\xFB\n"));
    assert!(reason.starts_with("文件不是UTF-8编码"), "{reason}");
}

#[test]
fn sink_error_stops_reading() {
    let body = format!("{HEADER}\na,0,1,1,1,t,,,u,d,\nb,0,1,1,1,t,,,u,d,\n");
    let mut seen = 0;
    let result = read_rows(Format::Csv, body.as_bytes(), ReadLimits::default(), |_| {
        seen += 1;
        Err("full")
    });
    assert_eq!(result, Err(FileError::Sink("full")));
    assert_eq!(seen, 1);
}

#[test]
fn xlsx_cells_become_strings() {
    let mut workbook = Workbook::new();
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    let sheet = workbook.add_worksheet();
    // A blank first row and a title-less layout: the header is the first row with text.
    let header = "count,price,name,资产类型,deadline,所属品类,user,department,描述信息";
    for (c, h) in header.split(',').enumerate() {
        sheet.write_string(1, c as u16, h).unwrap();
    }
    sheet.write_number(2, 0, 10.0).unwrap();
    sheet.write_number(2, 1, 12.5).unwrap();
    sheet.write_string(2, 2, " 电脑 ").unwrap();
    sheet.write_boolean(2, 3, true).unwrap();
    sheet
        .write_number_with_format(2, 4, 45943.0, &date)
        .unwrap();
    sheet.write_string(2, 5, "t").unwrap();
    sheet.write_string(2, 6, "u").unwrap();
    sheet.write_number(2, 7, -3.0).unwrap();
    sheet.write_string(3, 8, "   ").unwrap(); // whitespace only: skipped
    sheet.write_string(4, 2, "only name").unwrap();
    let bytes = workbook.save_to_buffer().unwrap();
    let rows = read_all(Format::Xlsx, &bytes).unwrap();
    let first = r#"{"name":"电脑","assetClass":"true","price":"12.5","count":"10","deadline":"2025-10-13","assetTree":"t","user":"u","department":"-3"}"#;
    let last = r#"{"name":"only name","assetClass":"","price":"","count":"","deadline":"","assetTree":"","user":"","department":""}"#;
    assert_eq!(rows, vec![(3, first.to_string()), (5, last.to_string())]);
}

const FAILED_ROWS: [(&str, &str); 3] = [
    (
        r#"{"name":"椅子","assetClass":0,"price":12.5,"count":"3","deadline":5,"assetTree":"t","description":null,"user":"u","department":"d","parent":"p,\"q\"","extra":1}"#,
        "未找到该资产挂账人；原值不可为负",
    ),
    (
        r#"{"name":"x","assetClass":1,"price":[1,2],"count":true}"#,
        "缺少字段或类型错误：price",
    ),
    (r#"[1,2]"#, "缺少字段或类型错误：name"),
];

fn failed_expected() -> Vec<Vec<String>> {
    vec![
        cells(&format!("资产编号|{}|结果", template_header())),
        cells(&format!(
            "|椅子|数量型|12.5|3|5|t|||u|d|p,\"q\"||{}",
            FAILED_ROWS[0].1
        )),
        cells(&format!(
            "|x|条目型|[1,2]|true|||||||||{}",
            FAILED_ROWS[1].1
        )),
        cells(&format!("|||||||||||||{}", FAILED_ROWS[2].1)),
    ]
}

fn failed_rows() -> impl Iterator<Item = Result<(String, String), String>> {
    FAILED_ROWS
        .iter()
        .map(|(j, m)| Ok((j.to_string(), m.to_string())))
}

const EXPORT_ROW: &str = r#"{"id":7,"parentName":"","name":"电脑","assetClass":1,"userName":"u","price":1234.5,"description":"d","position":null,"expire":0,"count":1,"assetTree":"条目型资产","departmentName":"D","create_time":"2024-01-02","deadline":5,"initial_price":2000,"warning_amount":-1,"warning_date":-1,"expire_date":4,"status":3}"#;

fn export_expected() -> Vec<Vec<String>> {
    let header: Vec<&str> = EXPORT_COLUMNS.iter().map(|c| c.export_header()).collect();
    vec![
        cells(&header.join("|")),
        // No warning set (-1) shows as an empty cell.
        cells("7||电脑|条目型|u|1234.5|d||否|1|条目型资产|D|2024-01-02|5|2000|||4|维保中"),
        cells("8|||数量型|||||是||||||||||闲置"),
    ]
}

fn export_rows() -> impl Iterator<Item = Result<(String, String), String>> {
    let second = r#"{"id":8,"assetClass":0,"expire":1,"status":1}"#;
    [EXPORT_ROW, second]
        .into_iter()
        .map(|j| Ok((j.to_string(), "ignored".to_string())))
}

#[test]
fn csv_output_round_trips() {
    let mut out = Vec::new();
    write_csv(Sheet::Failed, failed_rows(), &mut out).unwrap();
    assert_eq!(csv_rows(&out), failed_expected());
    let mut out = Vec::new();
    write_csv(Sheet::Export, export_rows(), &mut out).unwrap();
    let mut expected = export_expected();
    // Money with two decimals, as the XLSX's number format shows it.
    expected[1][5] = "1234.50".into();
    expected[1][14] = "2000.00".into();
    assert_eq!(csv_rows(&out), expected);
}

#[test]
fn failed_csv_reimports() {
    let mut out = Vec::new();
    write_csv(Sheet::Failed, failed_rows().take(1), &mut out).unwrap();
    let rows = read_all(Format::Csv, &out).unwrap();
    let expected = r#"{"name":"椅子","assetClass":"数量型","price":"12.5","count":"3","deadline":"5","assetTree":"t","user":"u","department":"d","parent":"p,\"q\""}"#;
    assert_eq!(rows, vec![(2, expected.to_string())]);
}

#[test]
fn xlsx_output_round_trips() {
    let file = write_xlsx(Sheet::Failed, failed_rows()).unwrap();
    let sheets = xlsx_sheets(file_bytes(file));
    assert_eq!(sheets.len(), 1);
    assert_eq!(sheets[0].1, failed_expected());
    let file = write_xlsx(Sheet::Export, export_rows()).unwrap();
    let sheets = xlsx_sheets(file_bytes(file));
    let mut expected = export_expected();
    // 创建时间 is a real date: Excel's day number, shown as yyyy-mm-dd.
    expected[1][12] = "45293".into();
    assert_eq!(sheets[0].1, expected);
}

#[test]
fn writers_stop_on_row_error() {
    let rows = failed_rows().take(1).chain([Err("数据库错误".to_string())]);
    assert_eq!(
        write_csv(Sheet::Failed, rows, Vec::new()),
        Err("数据库错误".to_string())
    );
    let rows = failed_rows().take(1).chain([Err("数据库错误".to_string())]);
    assert_eq!(write_xlsx(Sheet::Failed, rows).unwrap_err(), "数据库错误");
}

#[test]
fn long_text_is_cut_to_excel_limit() {
    let long = "长".repeat(XLSX_MAX_CHARS + 10);
    let json = serde_json::json!({ "name": long }).to_string();
    let file = write_xlsx(Sheet::Failed, [Ok((json, String::new()))].into_iter()).unwrap();
    let sheets = xlsx_sheets(file_bytes(file));
    assert_eq!(sheets[0].1[1][1].chars().count(), XLSX_MAX_CHARS);
}

#[test]
fn xlsx_spills_to_new_worksheets() {
    let rows = (0..7).map(|i| Ok((format!(r#"{{"id":{i}}}"#), String::new())));
    let file = write_xlsx_with_limit(Sheet::Export, rows, 3).unwrap();
    let sheets = xlsx_sheets(file_bytes(file));
    let names: Vec<&str> = sheets.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(names, ["Sheet1", "Sheet2", "Sheet3", "Sheet4"]);
    let ids: Vec<Vec<&str>> = sheets
        .iter()
        .map(|(_, rows)| {
            assert_eq!(rows[0][0], "资产编号");
            rows[1..].iter().map(|r| r[0].as_str()).collect()
        })
        .collect();
    assert_eq!(
        ids,
        [vec!["0", "1"], vec!["2", "3"], vec!["4", "5"], vec!["6"]]
    );
}

#[test]
fn xlsx_spills_past_excel_row_limit() {
    let rows = (0..1_100_000u32).map(|i| Ok((format!(r#"{{"id":{i}}}"#), String::new())));
    let file = write_xlsx(Sheet::Export, rows).unwrap();
    let bytes = file_bytes(file);
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    assert_eq!(workbook.sheet_names(), ["Sheet1", "Sheet2"]);
    let mut cells = workbook.worksheet_cells_reader("Sheet2").unwrap();
    let mut rows = 0;
    let mut last = String::new();
    while let Some(cell) = cells.next_cell().unwrap() {
        if cell.get_position().1 == 0 {
            rows += 1;
            last = cell_text(cell.get_value());
        }
    }
    assert_eq!(rows, 1 + 1_100_000 - (XLSX_MAX_ROWS - 1));
    assert_eq!(last, "1099999");
}

#[test]
fn rows_laid_out_away_from_their_reading_are_the_rows_read_within_the_same_limit() {
    let body = format!("{HEADER}\na,0,1,1,1,t,,,u,d,\n\" b\"\"c \",0,1,1,1,t,说明,,u,d,\n");
    let mut read = Vec::new();
    read_rows(Format::Csv, body.as_bytes(), ReadLimits::default(), |r| {
        read.push(r);
        Ok::<(), ()>(())
    })
    .unwrap();
    let raw_rows = |limits| {
        let mut raw = Vec::new();
        let found = read_raw_rows(Format::Csv, body.as_bytes(), (limits, None), |r| {
            raw.push(r);
            Ok::<(), ()>(())
        })
        .unwrap();
        assert_eq!(found.rows, 2);
        raw
    };
    let mut layout = Layout::new(ReadLimits::default());
    let laid: Vec<UploadRow> = raw_rows(ReadLimits::default())
        .into_iter()
        .map(|r| layout.row(r).unwrap())
        .collect();
    assert_eq!(laid, read);
    assert_eq!(laid[1].line, 3);

    // The text of all rows is limited as they are laid out: here, past the first row.
    let limits = ReadLimits {
        max_unpacked: read[0].json.len() as u64 + 1,
        ..ReadLimits::default()
    };
    let mut layout = Layout::new(limits);
    let mut laid = raw_rows(limits).into_iter().map(|r| layout.row(r));
    assert_eq!(laid.next(), Some(Ok(read[0].clone())));
    let why = laid.next().unwrap().unwrap_err();
    assert!(why.contains("upload_max_unpacked_mib"), "{why}");
    // Read and laid out in one go, the file is refused for the same reason.
    let refused = read_rows(Format::Csv, body.as_bytes(), limits, |_| Ok::<(), ()>(()));
    assert_eq!(refused, Err(FileError::Unreadable(why)));
}
