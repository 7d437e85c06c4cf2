//! A task's results as a file (SPEC §9): an import's failed rows with 结果, an export's records
//! with Chinese headers, each read back with csv / calamine and checked cell by cell; and the
//! round trip template → fill → upload → failed rows → fix → upload again.

use crate::common;
use crate::filekit;

// The export file's columns: the headers and the asset-view field each shows.
use assetport::columns::EXPORT_COLUMNS;
use calamine::Data;
use common::{item, row, App};
use filekit::*;
use serde_json::{json, Value};

/// The failed-rows file's header: 资产编号, the template's columns, then 结果.
fn failed_header() -> Vec<String> {
    [
        vec!["资产编号".to_owned()],
        header_row(),
        vec!["结果".to_owned()],
    ]
    .concat()
}

/// A failed row of a new asset as the file shows it: 资产编号 blank, then the cells.
fn no_id(cells: Vec<String>) -> Vec<String> {
    [vec![String::new()], cells].concat()
}

/// Uploads template-ordered rows as a CSV with a BOM; returns the finished task.
fn upload_csv(app: &App, session: &str, rows: &[Vec<String>]) -> Value {
    let mut all = vec![header_row()];
    all.extend(rows.iter().cloned());
    import_file(app, session, "?format=csv", &csv_bytes(&all, true))
}

/// Downloads an import task's failed rows in both formats and checks both hold exactly
/// `expected` (cells as text, 结果 last) under the failed-rows header.
fn assert_failed_files(app: &App, session: &str, id: i64, expected: &[Vec<String>]) {
    let mut all = vec![failed_header()];
    // A row given without 创建时间 (the last import column) has it blank in the file.
    let width = all[0].len();
    all.extend(expected.iter().cloned().map(no_id).map(|mut row| {
        if row.len() + 1 == width {
            row.insert(row.len() - 1, String::new());
        }
        row
    }));
    let csv = download(app, session, id, "csv");
    csv.expect("csv", &format!("task-{id}-failed.csv"));
    assert_eq!(read_csv(&csv.bytes), all);
    let xlsx = download(app, session, id, "xlsx");
    xlsx.expect("xlsx", &format!("task-{id}-failed.xlsx"));
    assert_eq!(texts(&read_xlsx(&xlsx.bytes)), all);
}

#[test]
fn failed_rows_of_a_file_download_as_they_were_uploaded_with_the_message() {
    let app = App::new();
    let s = app.demo("liusn");
    let uploaded = [
        "坏行一|数量型|12.5|0|5|数量型资产|带,逗号的描述|\"引号\"里|liusn|CST|",
        "好行|数量型|1|1|1|数量型资产|||liusn|CST|",
        "坏行二|条目型|很贵|1|1|条目型资产|第一行\n第二行||liusn|CST|",
        "坏行三|数量型|3|1|1|不存在的分类|||liusn|CST|",
        "坏行四|条目型|4|1|1|条目型资产|||liusn|CST|没有这个父资产",
        "|数量型|5|1|1|数量型资产|||liusn|CST|",
    ]
    .map(cells);
    let task = upload_csv(&app, &s, &uploaded);
    let id = task_id(&task);
    assert_eq!(
        (&task["number_need"], &task["number_succeed"]),
        (&json!(6), &json!(1))
    );
    let messages = [
        "第2行：资产数量不可小于1",
        "第4行：缺少字段或类型错误：[price]",
        // The quoted description spans two lines of the file.
        "第6行：未找到指定层级分类",
        "第7行：父资产不符合规范",
        "第8行：字段长度不合法：[name]",
    ];
    let rows = failed(&app, &s, id);
    let shown: Vec<String> = rows
        .iter()
        .map(|r| common::spec_message(r["message"].as_str().unwrap()))
        .collect();
    assert_eq!(shown, messages);

    // The files' 结果 holds the whole message, explanation included, a field named by its
    // column's header rather than the API's key.
    let expected: Vec<Vec<String>> = [0, 2, 3, 4, 5]
        .iter()
        .zip(&rows)
        .map(|(&i, r)| {
            let message = r["message"]
                .as_str()
                .unwrap()
                .replace("：[price]", "：「原值」")
                .replace("：[name]", "：「资产名」");
            [uploaded[i].clone(), vec![message]].concat()
        })
        .collect();
    assert_failed_files(&app, &s, id, &expected);

    // In the XLSX, numbers the file gave as text are numbers again (资产编号, 资产价值,
    // 资产数量, 使用期限: Excel flags numbers stored as text); every other cell is the text.
    let xlsx = read_xlsx(&download(&app, &s, id, "xlsx").bytes);
    for row in &xlsx[1..] {
        for (col, cell) in row.iter().enumerate() {
            match (col, cell) {
                (0 | 3 | 4 | 5, Data::Float(_) | Data::Empty) => {}
                (0 | 3 | 4 | 5, Data::String(s)) => assert!(s.parse::<f64>().is_err(), "{s}"),
                (_, Data::String(_) | Data::Empty) => {}
                other => panic!("{other:?}"),
            }
        }
    }
    assert_eq!(xlsx[1][3], Data::Float(12.5));
}

#[test]
fn failed_rows_of_a_json_import_download_with_numbers_and_class_names() {
    let app = App::new();
    let s = app.demo("liusn");
    let mut quantity = row("椅子", "liusn", "CST");
    quantity["price"] = json!(12.5);
    quantity["count"] = json!(3);
    quantity["user"] = json!("nobody");
    quantity["description"] = json!("办公,会议");
    let mut single = item("电脑");
    single["count"] = json!(2);
    single["parent"] = json!(999_999);
    single["position"] = json!("A座");
    let mut odd = item("奇怪");
    odd["assetClass"] = json!("条目型");
    odd["price"] = json!("-1");
    odd["description"] = Value::Null;
    let task = app.import(&s, &json!([quantity, single, odd]));
    let id = task_id(&task);
    assert_eq!(task["number_failed"], 3);

    let expected = [
        "椅子|数量型|12.5|3|10|默认分类|办公,会议||nobody|CST||第…",
        "电脑|条目型|100|2|5|条目型资产||A座|liusn|CST|999999|第…",
        "奇怪|条目型|-1|1|5|条目型资产|||liusn|CST||第…",
    ];
    let messages: Vec<String> = failed(&app, &s, id)
        .iter()
        .map(|r| r["message"].as_str().unwrap().to_owned())
        .collect();
    // A JSON import has no file lines: the message is the rule alone.
    assert_eq!(
        messages,
        [
            "未找到该资产挂账人（本企业没有用户“nobody”）",
            "仅数量型资产的数量可大于1；父资产不符合规范（编号“999999”不是部门「CST」在用的条目型资产）",
            "原值不可为负"
        ]
    );
    let expected: Vec<Vec<String>> = expected
        .iter()
        .zip(&messages)
        .map(|(r, m)| cells(&r.replace("第…", m)))
        .collect();
    assert_failed_files(&app, &s, id, &expected);

    // Numbers sent as numbers are numeric cells; 0/1 became 数量型/条目型 (after 资产编号).
    let xlsx = read_xlsx(&download(&app, &s, id, "xlsx").bytes);
    assert_eq!(xlsx[1][3], Data::Float(12.5));
    assert_eq!(xlsx[1][4], Data::Float(3.0));
    assert_eq!(xlsx[2][11], Data::Float(999_999.0));
    assert_eq!(xlsx[3][3], Data::Float(-1.0));
    assert_eq!(xlsx[1][2], Data::String("数量型".into()));

    // A task without failed rows downloads as the header alone.
    let clean = app.import(&s, &json!([item("新电脑")]));
    assert_failed_files(&app, &s, task_id(&clean), &[]);
}

/// Asserts a cell shows a record's field: coded fields by their Chinese name, numbers by value
/// (a numeric cell in XLSX), text as is.
fn assert_shows(cell: &Data, record: &Value, field: &str) {
    let value = &record[field];
    let names: &[&str] = match field {
        "assetClass" => &["数量型", "条目型"],
        "expire" => &["否", "是"],
        "status" => &["", "闲置", "使用中", "维保中"],
        _ => &[],
    };
    match value {
        // Dates are date cells; an unset warning (-1) is an empty cell.
        Value::String(_) if field == "create_time" => {
            assert!(matches!(cell, Data::DateTime(_)), "{field}: {cell:?}");
        }
        Value::Number(n) if n.as_i64() == Some(-1) && field.starts_with("warning") => {
            assert_eq!(cell, &Data::Empty, "{field} of {record}");
        }
        Value::Number(_) if !names.is_empty() => {
            let name = names[value.as_u64().unwrap() as usize];
            assert_eq!(cell, &Data::String(name.into()), "{field} of {record}");
        }
        Value::Number(v) => {
            assert_eq!(
                cell,
                &Data::Float(v.as_f64().unwrap()),
                "{field} of {record}"
            )
        }
        Value::String(s) if s.is_empty() => assert_eq!(cell.to_string(), "", "{field}"),
        Value::String(s) => assert_eq!(cell, &Data::String(s.clone()), "{field} of {record}"),
        Value::Null => assert_eq!(cell, &Data::Empty, "{field} of {record}"),
        other => panic!("{field}: {other}"),
    }
}

#[test]
fn export_records_download_with_chinese_headers() {
    let app = App::new();
    let s = app.demo("liusn");
    let post = |body: &Value| {
        app.post(&format!("/api/post_asset/{s}"), body).ok()["id"]
            .as_i64()
            .expect("asset id")
    };
    let mut server = item("服务器");
    server["price"] = json!(12345.67);
    server["description"] = json!("机房,一号柜\n\"主\"机");
    server["position"] = json!("B1");
    let server = post(&server);
    let mut disk = item("硬盘");
    disk["parent"] = json!(server);
    let disk = post(&disk);
    let mut chairs = row("椅子", "zhangsan", "CST");
    chairs["deadline"] = json!(0);
    chairs["count"] = json!(25);
    let chairs = post(&chairs);
    let old = post(&item("旧电脑"));
    app.put(&format!("/api/expire_asset/{s}"), &json!([old]))
        .ok();

    let body = json!([disk, server, "abc", chairs, 987_654, old.to_string()]);
    let id = task_id(app.post(&format!("/api/export_task/{s}"), &body).ok());
    let task = app.wait_task(&s, id);
    assert_eq!(
        (&task["number_need"], &task["number_succeed"]),
        (&json!(6), &json!(4))
    );
    let records = app.get(&format!("/api/export_task/{s}/{id}")).ok().clone();
    let records = records.as_array().unwrap();
    let ids: Vec<i64> = records.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [disk, server, chairs, old]);
    assert_eq!(records[0]["parentName"], "服务器");
    assert_eq!(records[3]["expire"], 1);

    let headers: Vec<&str> = EXPORT_COLUMNS.iter().map(|c| c.export_header()).collect();
    let csv = download(&app, &s, id, "csv");
    csv.expect("csv", &format!("task-{id}-export.csv"));
    let csv = read_csv(&csv.bytes);
    let xlsx = download(&app, &s, id, "xlsx");
    xlsx.expect("xlsx", &format!("task-{id}-export.xlsx"));
    // Opened in Excel: the header row stays in view (a frozen pane) and columns are sized by
    // what they hold (资产名 wider than 资产编号).
    let mut book = zip::ZipArchive::new(std::io::Cursor::new(xlsx.bytes.clone())).unwrap();
    let mut sheet_xml = String::new();
    std::io::Read::read_to_string(
        &mut book.by_name("xl/worksheets/sheet1.xml").unwrap(),
        &mut sheet_xml,
    )
    .unwrap();
    assert!(sheet_xml.contains(r#"state="frozen""#), "{sheet_xml:.400}");
    assert!(
        sheet_xml.contains(r#"<col min="1" max="1" width="10.7"#),
        "{sheet_xml:.600}"
    );
    assert!(
        sheet_xml.contains(r#"<col min="3" max="3" width="24.7"#),
        "{sheet_xml:.600}"
    );
    let xlsx = read_xlsx(&xlsx.bytes);
    assert_eq!(csv[0], headers);
    assert_eq!(texts(&xlsx)[0], headers);
    assert_eq!(
        (csv.len(), xlsx.len()),
        (5, 5),
        "header and one line per record"
    );
    for (i, record) in records.iter().enumerate() {
        for (col, field) in EXPORT_COLUMNS.iter().map(|c| c.view).enumerate() {
            assert_shows(&xlsx[i + 1][col], record, field);
            // The CSV shows the same as the XLSX (numbers compared by value).
            let text = &csv[i + 1][col];
            match (&xlsx[i + 1][col], text.parse::<f64>()) {
                (Data::Float(v), Ok(parsed)) => assert_eq!(*v, parsed, "{field}"),
                (Data::DateTime(d), _) => {
                    // Excel's day number counts from 1899-12-30.
                    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap();
                    let day = epoch + chrono::Duration::days(d.as_f64() as i64);
                    assert_eq!(&day.to_string(), text, "{field} of {record}");
                }
                (cell, _) => assert_eq!(&cell.to_string(), text, "{field} of {record}"),
            }
        }
    }
    // Money with two decimals, as in the XLSX's number format.
    for line in &csv[1..] {
        for col in [5, 14] {
            let (_, cents) = line[col].split_once('.').expect("decimals");
            assert_eq!(cents.len(), 2, "{}", line[col]);
        }
    }
    assert_eq!(csv[2][5], "12345.67");
    assert_eq!(csv[1][14], "100.00");
    assert_eq!(csv[4][8], "是");
    assert_eq!(csv[3][18], "使用中", "owned by staff");

    // An export of nothing downloads as the header alone.
    let id = task_id(app.post(&format!("/api/export_task/{s}"), &json!([])).ok());
    app.wait_task(&s, id);
    assert_eq!(
        read_csv(&download(&app, &s, id, "csv").bytes),
        vec![headers]
    );
}

/// Template → fill (some rows bad) → upload → download failed rows → fix → upload as a new
/// task → every row succeeds; in one format throughout.
fn round_trip(format: &str) {
    let app = App::new();
    let s = app.demo("liusn");
    let file = template(&app, &s, format);
    let template_rows = match format {
        "csv" => read_csv(&file.bytes),
        _ => texts(&read_xlsx(&file.bytes)),
    };
    assert_eq!(template_rows[0], TEMPLATE_HEADERS);
    let mut filled = template_rows.clone();
    filled.extend(
        [
            "笔记本|条目型|6999|1|3|条目型资产|16寸||liusn|CST|",
            "白板|数量型|150.5|2|5|数量型资产|||nobody|CST|",
            "鼠标|条目型|49.9|1|2|条目型资产|||liusn|CST|笔记本",
            "键盘|条目型|99|3|2|条目型资产|||liusn|CST|笔记本",
            "投影仪|数量型|3000|1|6|没有的分类|会议室|A座|zhangsan|CST|",
        ]
        .map(cells),
    );
    let upload_rows = |rows: &[Vec<String>]| match format {
        "csv" => csv_bytes(rows, true),
        // Numbers as numeric cells, as a user typing into Excel makes them.
        _ => build_xlsx(
            0,
            &rows
                .iter()
                .map(|r| {
                    r.iter()
                        .map(|c| match c.parse::<f64>() {
                            Ok(v) => n(v),
                            Err(_) if c.is_empty() => Cell::Empty,
                            Err(_) => t(c),
                        })
                        .collect()
                })
                .collect::<Vec<_>>(),
        ),
    };
    let first = import_file(&app, &s, "", &upload_rows(&filled));
    assert_eq!(
        (
            &first["number_need"],
            &first["number_succeed"],
            &first["finish"]
        ),
        (&json!(6), &json!(3), &json!(2))
    );
    let first_id = task_id(&first);

    let download = download(&app, &s, first_id, format);
    download.expect(format, &format!("task-{first_id}-failed.{format}"));
    let mut failed_rows = match format {
        "csv" => read_csv(&download.bytes),
        _ => texts(&read_xlsx(&download.bytes)),
    };
    let expected: Vec<Vec<String>> = [
        (3, "第4行：未找到该资产挂账人（本企业没有用户“nobody”）"),
        (5, "第6行：仅数量型资产的数量可大于1"),
        (
            6,
            "第7行：未找到指定层级分类（分类“没有的分类”不在部门「CST」的分类树中）",
        ),
    ]
    .iter()
    .map(|(i, m)| {
        let mut cells = filled[*i].clone();
        cells.resize(TEMPLATE_HEADERS.len(), String::new());
        no_id([cells, vec![m.to_string()]].concat())
    })
    .collect();
    assert_eq!(failed_rows[0], failed_header());
    assert_eq!(failed_rows[1..], expected);

    // Fix the cells the messages point at (past 资产编号); the 结果 column stays and is
    // ignored on upload, and the blank 资产编号 makes each row a new asset again.
    failed_rows[1][9] = "zhangsan".into();
    failed_rows[2][4] = "1".into();
    failed_rows[3][6] = "数量型资产".into();
    let second = import_file(&app, &s, "", &upload_rows(&failed_rows));
    let second_id = task_id(&second);
    assert_ne!(second_id, first_id, "a new task");
    assert_eq!(
        (
            &second["number_need"],
            &second["number_succeed"],
            &second["finish"]
        ),
        (&json!(3), &json!(3), &json!(1))
    );
    assert_failed_files(&app, &s, second_id, &[]);
    // The first task is as it was.
    let again = app.wait_task(&s, first_id);
    assert_eq!(
        (&again["number_succeed"], &again["finish"]),
        (&json!(3), &json!(2))
    );

    assert_eq!(asset_total(&app, &s), 6, "three, then the three fixed");
    let mut made = vec![template_rows[1].clone()];
    made.extend(filled[2..].iter().cloned());
    made[2][8] = "zhangsan".into();
    made[4][3] = "1".into();
    made[5][5] = "数量型资产".into();
    for cells in &made {
        assert_made_from(&asset(&app, &s, &cells[0]), cells);
    }
}

#[test]
fn round_trip_through_csv() {
    round_trip("csv");
}

#[test]
fn round_trip_through_xlsx() {
    round_trip("xlsx");
}
