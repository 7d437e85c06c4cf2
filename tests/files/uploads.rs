//! Excel and CSV through HTTP (SPEC §9): the import template, uploads as a raw body or a
//! multipart form (XLSX built with rust_xlsxwriter, CSV with and without BOM, reordered and
//! English headers), line numbers in failed rows, unreadable files, roles, and a large upload.
//! Downloads and the fix-and-upload-again round trip: downloads.rs.

use crate::common;
use crate::filekit;

use calamine::Data;
use common::{App, ADMIN_PASSWORD};
use filekit::*;
use serde_json::{json, Value};

#[test]
fn csv_template_has_the_headers_and_an_example_that_imports() {
    let app = App::new();
    let s = app.demo("liusn");
    let file = template(&app, &s, "csv");
    file.expect("csv", "asset-template.csv");
    let rows = read_csv(&file.bytes);
    assert_eq!(rows.len(), 2, "headers and one example row: {rows:?}");
    assert_eq!(rows[0], TEMPLATE_HEADERS);
    let example = &rows[1];
    assert_eq!(example.len(), 12);
    assert!(
        ["条目型", "数量型"].contains(&example[1].as_str()),
        "{example:?}"
    );

    // No ?format: CSV.
    let plain = fetch(&app, &format!("/api/asset_template/{s}"));
    plain.expect("csv", "asset-template.csv");
    assert_eq!(plain.bytes, file.bytes);

    // Uploaded back exactly as downloaded, the example row becomes an asset.
    let task = import_file(&app, &s, "?format=csv", &file.bytes);
    assert_eq!(
        (
            &task["number_need"],
            &task["number_succeed"],
            &task["finish"]
        ),
        (&json!(1), &json!(1), &json!(1))
    );
    assert_eq!(task["port_type"], 1);
    assert_made_from(&asset(&app, &s, &example[0]), example);
}

#[test]
fn xlsx_template_has_the_headers_numbers_as_numbers_and_an_example_that_imports() {
    let app = App::new();
    let s = app.demo("liusn");
    let file = template(&app, &s, "xlsx");
    file.expect("xlsx", "asset-template.xlsx");
    assert!(file.bytes.starts_with(b"PK\x03\x04"));
    let rows = read_xlsx(&file.bytes);
    assert_eq!(rows.len(), 2, "{rows:?}");
    for (cell, header) in rows[0].iter().zip(TEMPLATE_HEADERS) {
        assert_eq!(cell, &Data::String(header.into()));
    }
    assert_eq!(rows[0].len(), 12);
    let example = &texts(&rows)[1];
    assert!(
        ["条目型", "数量型"].contains(&example[1].as_str()),
        "{example:?}"
    );
    // 原值, 资产数量, 使用期限 are numeric cells: Excel does not flag "number stored as text".
    for cell in &rows[1][2..=4] {
        assert!(matches!(cell, Data::Float(_)), "{cell:?}");
    }

    let csv = template(&app, &s, "csv");
    assert_eq!(
        read_csv(&csv.bytes)[1]
            .iter()
            .map(|c| c.parse::<f64>().map(|f| f.to_string()).unwrap_or(c.clone()))
            .collect::<Vec<_>>(),
        *example,
        "both templates carry the same example"
    );

    // Uploaded back as downloaded (the format sniffed from the bytes).
    let task = import_file(&app, &s, "", &file.bytes);
    assert_eq!(
        (
            &task["number_need"],
            &task["number_succeed"],
            &task["finish"]
        ),
        (&json!(1), &json!(1), &json!(1))
    );
    assert_made_from(&asset(&app, &s, &example[0]), example);
}

#[test]
fn xlsx_upload_with_numeric_cells_and_failed_rows_with_their_sheet_row() {
    let app = App::new();
    let s = app.demo("liusn");
    // A title-less layout: the header is the first row with text (row 2 here).
    let mut rows = vec![TEMPLATE_HEADERS.iter().map(|h| t(h)).collect::<Vec<_>>()];
    let line = |cells: &[Cell]| cells.to_vec();
    rows.push(line(&[
        t("投影仪"),
        t("数量型"),
        n(12.5),
        n(3.0),
        n(5.0),
        t("数量型资产"),
        t("会议室用"),
        t("B座2楼"),
        t("liusn"),
        t("CST"),
    ]));
    rows.push(line(&[
        t("笔记本"),
        t("条目型"),
        n(8999.99),
        n(1.0),
        n(3.0),
        t("条目型资产"),
        Cell::Empty,
        Cell::Empty,
        t("zhangsan"),
        t("CST"),
        Cell::Empty,
    ]));
    rows.push(vec![]); // an empty sheet row: skipped, still counted
    rows.push(line(&[
        t("坏键盘"),
        t("条目型"),
        n(80.0),
        n(2.0),
        n(1.0),
        t("条目型资产"),
        t("说明"),
        Cell::Empty,
        t("nobody"),
        t("CST"),
    ]));
    rows.push(line(&[
        t("鼠标"),
        t("条目型"),
        n(20.0),
        n(1.0),
        n(1.0),
        t("条目型资产"),
        Cell::Empty,
        Cell::Empty,
        t("liusn"),
        t("CST"),
        t("笔记本"),
    ]));
    let bytes = build_xlsx(1, &rows);
    let task = import_file(&app, &s, "?format=xlsx", &bytes);
    assert_eq!(
        (
            &task["number_need"],
            &task["number_succeed"],
            &task["finish"]
        ),
        (&json!(4), &json!(3), &json!(2))
    );

    assert_made_from(
        &asset(&app, &s, "投影仪"),
        &cells("投影仪|数量型|12.5|3|5|数量型资产|会议室用|B座2楼|liusn|CST|"),
    );
    let laptop = asset(&app, &s, "笔记本");
    assert_made_from(
        &laptop,
        &cells("笔记本|条目型|8999.99|1|3|条目型资产|||zhangsan|CST|"),
    );
    assert_eq!(laptop["status"], 2, "owned by staff: in use");
    assert_made_from(
        &asset(&app, &s, "鼠标"),
        &cells("鼠标|条目型|20|1|1|条目型资产|||liusn|CST|笔记本"),
    );

    // The failed row as the file gave it (cells as text), its message naming sheet row 6.
    let failed = failed(&app, &s, task_id(&task));
    let mut expected = row_object(&cells("坏键盘|条目型|80|2|1|条目型资产|说明||nobody|CST|"));
    expected["message"] =
        json!("第6行：仅数量型资产的数量可大于1；未找到该资产挂账人（本企业没有用户“nobody”）");
    assert_eq!(failed, vec![expected]);
}

/// Reordered Chinese headers, an unknown column, quoted fields with commas and quotes, CRLF,
/// blank trailing lines; with a BOM.
const CHINESE_CSV: &str = "所属部门,挂账人,备注,资产名,资产数量,资产价值,资产类型,使用期限,所属品类,位置信息,描述信息\r\n\
    CST,liusn,随便写,\"桌子, \"\"大号\"\"\",2,99.99,数量型,8,数量型资产,\"A座,3楼\",\"带\"\"引号\"\"的, 描述\"\r\n\
    软件组,zhangsan,,白板,1,300,数量型,2,数量型资产,,\r\n\
    CST,zhangsan,,显示器,1,1500,条目型,3,条目型资产,,\r\n\
    \r\n,,,,,,,,,,\r\n  ,\r\n\r\n";

/// English headers in any case and order, the optional 父资产 naming an asset of an earlier
/// line; no BOM, LF line ends, blank trailing lines.
const ENGLISH_CSV: &str = "assetTree,Department,USER,name,assetclass,price,count,deadline,description,position,parent,comment\n\
    条目型资产,CST,liusn,服务器,1,20000,1,6,\"机房,一号柜\",,,x\n\
    条目型资产,CST,liusn,硬盘,1,800.5,1,4,,,服务器,y\n\
    数量型资产,CST,liusn, 网线 ,0,3.2,100,2,,,,\n\
    \n\n\n";

#[test]
fn csv_uploads_with_and_without_bom_in_any_column_order() {
    let app = App::new();
    let s = app.demo("liusn");
    let with_bom = [BOM, CHINESE_CSV.as_bytes()].concat();
    let task = import_file(&app, &s, "?format=csv", &with_bom);
    assert_eq!(
        (
            &task["number_need"],
            &task["number_succeed"],
            &task["finish"]
        ),
        (&json!(3), &json!(2), &json!(2))
    );
    assert_made_from(
        &asset(&app, &s, "桌子, \"大号\""),
        &cells("桌子, \"大号\"|数量型|99.99|2|8|数量型资产|带\"引号\"的, 描述|A座,3楼|liusn|CST|"),
    );
    assert_made_from(
        &asset(&app, &s, "显示器"),
        &cells("显示器|条目型|1500|1|3|条目型资产|||zhangsan|CST|"),
    );
    // The unknown 备注 column is not part of the row; blank cells of optional columns are absent.
    let failed = failed(&app, &s, task_id(&task));
    assert_eq!(
        failed,
        vec![json!({
            "department": "软件组", "user": "zhangsan", "name": "白板", "count": "1",
            "price": "300", "assetClass": "数量型", "deadline": "2", "assetTree": "数量型资产",
            "message": "第3行：指定资产挂账人不处于当前部门（“zhangsan”属于部门「CST」，资产在部门「软件组」）"
        })]
    );

    // Without a BOM and without ?format (sniffed: not a zip, so CSV).
    let task = import_file(&app, &s, "", ENGLISH_CSV.as_bytes());
    assert_eq!(
        (
            &task["number_need"],
            &task["number_succeed"],
            &task["finish"]
        ),
        (&json!(3), &json!(3), &json!(1))
    );
    assert_made_from(
        &asset(&app, &s, "服务器"),
        &cells("服务器|1|20000|1|6|条目型资产|机房,一号柜||liusn|CST|"),
    );
    assert_made_from(
        &asset(&app, &s, "硬盘"),
        &cells("硬盘|1|800.5|1|4|条目型资产|||liusn|CST|服务器"),
    );
    assert_made_from(
        &asset(&app, &s, "网线"),
        &cells("网线|0|3.2|100|2|数量型资产|||liusn|CST|"),
    );
    assert_eq!(asset_total(&app, &s), 5);
}

#[test]
fn failed_rows_name_the_line_of_the_file() {
    let app = App::new();
    let s = app.demo("liusn");
    let good = "好的,数量型,1,1,1,数量型资产,,,liusn,CST,";
    let csv = [
        "资产名,资产类型,资产价值,资产数量,使用期限,所属品类,描述信息,位置信息,挂账人,所属部门,父资产",
        good,
        "",
        "无主,数量型,1,1,1,数量型资产,,,nobody,CST,",
        "零个,数量型,1,0,1,数量型资产,\"两行的",
        "描述\",,liusn,CST,",
        "无部门,数量型,1,1,1,数量型资产,,,liusn,火星部,",
        ",,,,,,,,,,",
        "负价,数量型,-5,1,-1,数量型资产,,,liusn,CST,",
        good,
        "错价,数量型,很贵,1,1,数量型资产,,,liusn,CST,",
        "",
        "",
    ];
    let expected = [
        "第4行：未找到该资产挂账人",
        "第5行：资产数量不可小于1",
        "第7行：对应部门不存在",
        "第9行：原值不可为负；资产使用期限不可为负",
        "第11行：缺少字段或类型错误：[price]",
    ];
    for (text, query) in [(csv.join("\n"), "?format=csv"), (csv.join("\r\n"), "")] {
        let task = import_file(&app, &s, query, text.as_bytes());
        assert_eq!(
            (&task["number_need"], &task["number_succeed"]),
            (&json!(7), &json!(2))
        );
        let messages: Vec<Value> = failed(&app, &s, task_id(&task))
            .iter()
            .map(|r| common::spec_message(r["message"].as_str().unwrap()).into())
            .collect();
        assert_eq!(messages, expected.map(Value::from));
    }

    // Fixed through PUT /failed_task, the rows still failing keep the line they came from.
    let tasks = app.get(&format!("/api/async_task/{s}")).ok().clone();
    let id = tasks.as_array().unwrap().last().unwrap()["id"]
        .as_i64()
        .unwrap();
    let mut rows = failed(&app, &s, id);
    rows[0]["user"] = json!("liusn");
    rows[2]["department"] = json!("CST");
    app.put(&format!("/failed_task/{s}/{id}"), &json!(rows))
        .ok();
    let task = app.wait_task(&s, id);
    assert_eq!(
        (&task["number_need"], &task["number_succeed"]),
        (&json!(7), &json!(4))
    );
    let messages: Vec<Value> = failed(&app, &s, id)
        .iter()
        .map(|r| common::spec_message(r["message"].as_str().unwrap()).into())
        .collect();
    assert_eq!(messages, [expected[1], expected[3], expected[4]]);
}

#[test]
fn multipart_uploads_take_the_file_field_and_its_format() {
    let app = App::new();
    let s = app.demo("liusn");
    let csv = format!(
        "{}\n甲,数量型,1,1,1,数量型资产,,,liusn,CST,\n",
        TEMPLATE_HEADERS.join(",")
    );
    let xlsx = build_xlsx(
        0,
        &[
            TEMPLATE_HEADERS.iter().map(|h| t(h)).collect(),
            vec![
                t("乙"),
                t("条目型"),
                n(2.0),
                n(1.0),
                n(1.0),
                t("条目型资产"),
                Cell::Empty,
                Cell::Empty,
                t("liusn"),
                t("CST"),
            ],
        ],
    );
    let note: Part = ("note", None, "备注文字".as_bytes());
    let forms: [(&str, Vec<Part>, &str); 5] = [
        // The format from the file name; other form fields are ignored.
        (
            "",
            vec![note, ("file", Some("assets.csv"), csv.as_bytes())],
            "甲",
        ),
        ("", vec![("upload", Some("资产.XLSX"), &xlsx), note], "乙"),
        // No extension: sniffed.
        ("", vec![("file", Some("assets"), &xlsx)], "乙"),
        // ?format wins over the name.
        (
            "?format=xlsx",
            vec![("file", Some("data.bin"), &xlsx)],
            "乙",
        ),
        (
            "?format=csv",
            vec![("file", Some("a.xlsx"), csv.as_bytes())],
            "甲",
        ),
    ];
    for (i, (query, parts, name)) in forms.iter().enumerate() {
        let id = task_id(upload_form(&app, &s, query, parts).ok());
        let task = app.wait_task(&s, id);
        assert_eq!(
            (&task["number_need"], &task["number_succeed"]),
            (&json!(1), &json!(1)),
            "form {i}"
        );
        let names: Vec<Value> = app.assets(&s).iter().map(|a| a["name"].clone()).collect();
        assert_eq!(names.len(), i + 1);
        assert!(names.contains(&json!(name)));
    }

    // A form without a file, or a browser's "no file chosen" (empty filename), makes no task.
    let before = app.digest();
    let no_file = upload_form(&app, &s, "", &[note]);
    refused(&no_file, "上传的表单中没有文件");
    let not_chosen = upload_form(&app, &s, "", &[note, ("file", Some(""), b"")]);
    refused(&not_chosen, "上传的表单中没有文件");
    let res = app
        .client
        .post(format!("/api/asset_file/{s}"))
        .header(
            rocket::http::ContentType::new("multipart", "form-data")
                .with_params(("boundary", BOUNDARY)),
        )
        .body("this is not a multipart body")
        .dispatch();
    assert_eq!(res.status().code, 400);
    let body: Value = serde_json::from_str(&res.into_string().unwrap()).unwrap();
    assert_eq!(body["code"], -2);
    assert_eq!(before, app.digest());
}

#[test]
fn unreadable_files_are_refused_with_the_reason_and_make_no_task() {
    let app = App::new();
    let s = app.demo("liusn");
    let before = app.digest();
    let header = TEMPLATE_HEADERS.join(",");
    let xlsx_without_columns =
        build_xlsx(0, &[vec![t("资产名"), t("资产价值")], vec![t("x"), n(1.0)]]);
    let gbk_header: &[u8] = b"\xD7\xCA\xB2\xFA\xC3\xFB,\xD7\xCA\xB2\xFA\xC0\xE0\xD0\xCD\n";
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "?format=xlsx",
            b"this is not an xlsx file".to_vec(),
            "无法读取XLSX文件：文件不是有效的xlsx格式",
        ),
        (
            "?format=xlsx",
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 an old .xls".to_vec(),
            "不支持旧版Excel（.xls）文件，请另存为.xlsx后上传",
        ),
        // Without ?format=, an old .xls is told to be saved as .xlsx, not called bad UTF-8.
        (
            "",
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 an old .xls".to_vec(),
            "不支持旧版Excel（.xls）文件，请另存为.xlsx后上传",
        ),
        (
            "?format=xlsx",
            Vec::new(),
            "无法读取XLSX文件：文件不是有效的xlsx格式",
        ),
        ("?format=csv", Vec::new(), "文件没有表头行"),
        ("", Vec::new(), "文件没有表头行"),
        ("?format=csv", BOM.to_vec(), "文件没有表头行"),
        ("", b"\r\n\r\n,,,\r\n".to_vec(), "文件没有表头行"),
        (
            "?format=csv",
            "资产名,资产价值,所属部门,描述信息\n椅子,1,CST,\n".into(),
            "缺少必需的列：资产类型, 资产数量, 使用期限, 所属品类, 挂账人",
        ),
        (
            "?format=xlsx",
            xlsx_without_columns,
            "缺少必需的列：资产类型, 资产数量, 使用期限, 所属品类, 挂账人, 所属部门",
        ),
        (
            "?format=csv",
            format!("{header},name\n").into(),
            "列重复：资产名",
        ),
        (
            "?format=pdf",
            format!("{header}\n").into(),
            "不支持的文件格式：pdf，只支持 csv 或 xlsx",
        ),
    ];
    for (query, bytes, info) in &cases {
        refused(&upload(&app, &s, query, bytes), info);
    }
    // A CSV saved in GBK instead of UTF-8.
    let gbk = upload(&app, &s, "?format=csv", gbk_header);
    assert_eq!((gbk.status.code, gbk.code()), (400, -2));
    assert!(
        gbk.info().starts_with("文件不是UTF-8编码"),
        "{}",
        gbk.info()
    );
    assert_eq!(before, app.digest(), "no task, no row");
    assert!(app
        .get(&format!("/api/async_task/{s}"))
        .ok()
        .as_array()
        .unwrap()
        .is_empty());

    // A bad ?format on the template and on a download is refused the same way.
    let bad = fetch(&app, &format!("/api/asset_template/{s}?format=pdf"));
    refused(&bad.answer(), "不支持的文件格式：pdf，只支持 csv 或 xlsx");

    // A header and nothing else (blank lines aside) is refused: no task of no rows, shown as a
    // green 成功 (issue 13).
    let counts = app.table_counts();
    let empty = upload(&app, &s, "", format!("{header}\r\n\r\n").as_bytes());
    refused(&empty, "文件中没有数据行");
    assert_eq!(app.table_counts(), counts);
    let row = "椅子,数量型,1,1,1,数量型资产,,,liusn,CST,";
    let task = import_file(&app, &s, "", format!("{header}\r\n{row}\r\n").as_bytes());
    let bad = download(&app, &s, task_id(&task), "doc");
    refused(&bad.answer(), "不支持的文件格式：doc，只支持 csv 或 xlsx");
}

#[test]
fn only_managers_and_system_admins_of_the_entity_use_files() {
    let app = App::new();
    let liusn = app.demo("liusn");
    let csv = format!(
        "{}\n甲,数量型,1,1,1,数量型资产,,,liusn,CST,\n",
        TEMPLATE_HEADERS.join(",")
    );
    let task = import_file(&app, &liusn, "", csv.as_bytes());
    let id = task_id(&task);
    let (admin2, wangwu, _) = app.second_entity();
    let foreign = task_id(
        app.post(&format!("/api/export_task/{wangwu}"), &json!([]))
            .ok(),
    );

    let staff = app.demo("zhangsan");
    let root = app.login("admin", ADMIN_PASSWORD);
    let before = app.digest();
    for s in [&staff, &root] {
        for format in ["csv", "xlsx"] {
            template(&app, s, format).answer().err(403, 1, "你无此权限");
            download(&app, s, id, format)
                .answer()
                .err(403, 1, "你无此权限");
        }
        upload(&app, s, "", csv.as_bytes()).err(403, 1, "你无此权限");
        upload_form(&app, s, "", &[("file", Some("a.csv"), csv.as_bytes())]).err(
            403,
            1,
            "你无此权限",
        );
    }
    // Another entity's task, an unknown one and a non-number are all "no such task".
    for (s, task) in [
        (&admin2, id.to_string()),
        (&wangwu, id.to_string()),
        (&liusn, foreign.to_string()),
        (&liusn, "999999".into()),
        (&liusn, "abc".into()),
    ] {
        let path = format!("/api/async_task/{s}/{task}/file?format=csv");
        fetch(&app, &path)
            .answer()
            .err(404, 6, "对应id的异步任务不存在");
    }
    // A session that is not 32 letters/digits.
    template(&app, "short", "csv")
        .answer()
        .err(401, 2, "用户的会话标识符信息不正确");
    upload(&app, "short", "", csv.as_bytes()).err(401, 2, "用户的会话标识符信息不正确");
    assert_eq!(before, app.digest());

    // The entity's system admin uploads files and sees the manager's task files.
    let sysadmin = app.demo("sysadmin");
    let form = upload_form(
        &app,
        &sysadmin,
        "",
        &[("file", Some("a.csv"), csv.as_bytes())],
    );
    let task = app.wait_task(&sysadmin, task_id(form.ok()));
    assert_eq!(
        (&task["number_succeed"], &task["manager"]),
        (&json!(1), &json!("sysadmin"))
    );
    let file = download(&app, &sysadmin, id, "csv");
    file.expect("csv", &format!("task-{id}-failed.csv"));
    assert_eq!(
        read_csv(&file.bytes),
        vec![[vec!["资产编号".into()], header_row(), vec!["结果".into()]].concat()]
    );
}

#[test]
fn a_20000_row_csv_becomes_one_task_with_the_right_counts() {
    let app = App::new();
    let s = app.demo("liusn");
    let mut csv = String::from("\u{feff}");
    csv.push_str(&TEMPLATE_HEADERS.join(","));
    csv.push_str("\r\n");
    for i in 0..20_000 {
        let user = if i % 1000 == 999 { "nobody" } else { "liusn" };
        csv.push_str(&format!(
            "资产{i},数量型,{}.{:02},{},5,数量型资产,\"第{i}件, 批量\",仓库,{user},CST,\r\n",
            i % 500,
            i % 100,
            1 + i % 9
        ));
    }
    let id = task_id(upload(&app, &s, "?format=csv", csv.as_bytes()).ok());
    let task = app.wait_task(&s, id);
    assert_eq!(
        (
            &task["number_need"],
            &task["number_succeed"],
            &task["finish"]
        ),
        (&json!(20_000), &json!(19_980), &json!(2))
    );
    assert_eq!(asset_total(&app, &s), 19_980);
    let messages: Vec<Value> = failed(&app, &s, id)
        .iter()
        .map(|r| r["message"].clone())
        .collect();
    let expected: Vec<Value> = (0..20)
        .map(|k| {
            let line = 1000 * k + 999 + 2;
            json!(format!(
                "第{line}行：未找到该资产挂账人（本企业没有用户“nobody”）"
            ))
        })
        .collect();
    assert_eq!(messages, expected);
    let sample = asset(&app, &s, "资产12345");
    assert_made_from(
        &sample,
        &cells("资产12345|数量型|345.45|7|5|数量型资产|第12345件, 批量|仓库|liusn|CST|"),
    );
}

/// Asked to (`check_duplicate=true`), an upload that would create assets and has the content
/// (whatever its name) of a file imported for real in the last day is refused with code 16,
/// naming the first task, and stores nothing (issue 13 (7), issue 22 (5)). A dry run, a file
/// whose rows update (each names its 资产编号), other content, or not asking: a task as always.
#[test]
fn a_second_upload_of_the_same_content_the_same_day_is_pointed_out_when_it_would_create() {
    let app = App::new();
    let s = app.demo("liusn");
    let csv = format!(
        "{}\n重复椅,数量型,1,1,1,数量型资产,,,liusn,CST,\n",
        TEMPLATE_HEADERS.join(",")
    );
    let send = |query: &str, name: &str, body: &str| {
        upload_form(&app, &s, query, &[("file", Some(name), body.as_bytes())])
    };
    let first = task_id(send("?check_duplicate=true", "清单.csv", &csv).ok());
    app.wait_task(&s, first);
    let before = app.table_counts();
    for name in ["清单.csv", "清单 - 副本.csv"] {
        let again = send("?check_duplicate=true", name, &csv);
        assert_eq!(
            (again.status.code, again.code()),
            (409, 16),
            "{:?}",
            again.body
        );
        assert!(
            again.info().starts_with("同样内容的文件已于")
                && again.info().contains(&format!("（任务 #{first}）")),
            "{}",
            again.info()
        );
        assert_eq!(app.table_counts(), before);
    }
    send("?check_duplicate=maybe", "清单.csv", &csv).err(
        400,
        -2,
        "缺少字段或类型错误：[check_duplicate]（true 或 false）",
    );
    // A dry run of it writes nothing and is not asked about.
    let dry = task_id(send("?check_duplicate=true&dry_run=true", "清单.csv", &csv).ok());
    assert_eq!(app.wait_task(&s, dry)["number_succeed"], 1);
    // An update file (its rows name 资产编号), uploaded twice: it changes the same asset again.
    let found = app.post(
        &format!("/api/search_assets/{s}"),
        &json!({"page": 1, "name": "重复椅"}),
    );
    let id = found.ok()[0]["id"].as_i64().unwrap();
    let update = format!(
        "资产编号,{}\n{id},重复椅,数量型,1,2,1,数量型资产,,,liusn,CST,\n",
        TEMPLATE_HEADERS.join(",")
    );
    for _ in 0..2 {
        let task = task_id(send("?check_duplicate=true", "编辑后重新导入.csv", &update).ok());
        assert_eq!(app.wait_task(&s, task)["number_succeed"], 1);
    }
    // Other content, or not asking: a task as always.
    let other_content = csv.replace("重复椅", "另一把椅");
    for (query, body) in [
        ("?check_duplicate=true", other_content.as_str()),
        ("", csv.as_str()),
    ] {
        let id = task_id(send(query, "清单.csv", body).ok());
        assert_eq!(app.wait_task(&s, id)["number_succeed"], 1);
    }
}

/// `GET /api/columns`: the one column table, for every logged-in role; the session rules as
/// everywhere.
#[test]
fn the_columns_are_served_to_every_role() {
    let app = App::new();
    let table = serde_json::to_value(assetport::columns::COLUMNS).unwrap();
    let sessions = [
        app.demo("zhangsan"),
        app.demo("liusn"),
        app.demo("sysadmin"),
        app.login("admin", ADMIN_PASSWORD),
    ];
    for s in &sessions {
        assert_eq!(app.get(&format!("/api/columns/{s}")).ok(), &table);
    }
    // The page labels `expire` as the files do.
    let columns = table.as_array().unwrap();
    let expire = columns.iter().find(|c| c["field"] == "expire").unwrap();
    assert_eq!(
        (&expire["header"], &expire["import"], &expire["export"]),
        (&json!("是否清退"), &Value::Null, &json!(8))
    );
    app.get("/api/columns/short")
        .err(401, 2, "用户的会话标识符信息不正确");
    app.get(&format!("/api/columns/{}", "a".repeat(32)))
        .err(401, 1, "你无此权限");
    app.put("/api/logout", &json!({ "session": sessions[0] }))
        .ok();
    app.get(&format!("/api/columns/{}", sessions[0]))
        .err(401, 1, "你无此权限");
}

/// Issue 22 (9): the template's example row is built from the caller's own department, one of
/// its categories and its people, so it names nothing the database lacks and imports as it
/// stands; a company with no department gets the header alone.
#[test]
fn the_template_example_is_the_callers_own_data() {
    let app = App::new();
    let admin = app.demo("sysadmin");
    app.post(
        &format!("/api/user/{admin}"),
        &json!({"name": "wangwei", "password": "secret5", "entity": "示例企业",
                "department": "软件组", "character": 2, "lock": false}),
    )
    .ok();
    let wangwei = app.login("wangwei", "secret5");
    let (admin2, wangwu, _) = app.second_entity();
    // (user, session, the department and owner the example must name)
    for (who, s, department, owner) in [
        ("the manager of 软件组", &wangwei, "软件组", "wangwei"),
        ("the demo's manager", &app.demo("liusn"), "CST", "liusn"),
        ("the other company's manager", &wangwu, "销售部", "wangwu"),
        ("the other company's admin", &admin2, "销售部", "wangwu"),
    ] {
        let rows = read_csv(&template(&app, s, "csv").bytes);
        assert_eq!(rows.len(), 2, "{who}: {rows:?}");
        let example = &rows[1];
        assert_eq!(
            (example[9].as_str(), example[8].as_str()),
            (department, owner),
            "{who}: {example:?}"
        );
        // Its category is one of that department's.
        let tree = app.get(&format!(
            "/api/asset_tree_root/{s}/{}",
            common::enc(department)
        ));
        assert!(
            tree.body
                .to_string()
                .contains(&format!("\"{}\"", example[5])),
            "{who}: {} not in {}",
            example[5],
            tree.body
        );
        // As it stands, it imports (a dry run: nothing is written).
        let task = import_file(
            &app,
            s,
            "?format=csv&dry_run=true",
            &template(&app, s, "csv").bytes,
        );
        assert_eq!(task["number_succeed"], 1, "{who}: {task}");
        let xlsx = import_file(&app, s, "?dry_run=true", &template(&app, s, "xlsx").bytes);
        assert_eq!(xlsx["number_succeed"], 1, "{who}: {xlsx}");
    }

    // A new company without departments: the header alone, nothing invented.
    let root = app.login("admin", ADMIN_PASSWORD);
    app.post(&format!("/api/entity/{root}"), &json!({"name": "空企业"}))
        .ok();
    app.post(
        &format!("/api/user/{root}"),
        &json!({"name": "admin3", "password": "secret6", "entity": "空企业",
                "department": "", "character": 3, "lock": false}),
    )
    .ok();
    let admin3 = app.login("admin3", "secret6");
    for format in ["csv", "xlsx"] {
        let file = template(&app, &admin3, format);
        let rows = match format {
            "csv" => read_csv(&file.bytes).len(),
            _ => read_xlsx(&file.bytes).len(),
        };
        assert_eq!(rows, 1, "{format}");
    }
}
