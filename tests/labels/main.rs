//! Asset labels (issue 24) through HTTP: the PDF of a label task is rendered to pixels by
//! poppler (`pdftoppm`) and read back by two decoders that know nothing of our code: `rqrr` for
//! the QR codes and zbar (`zbarimg`) for the Code128 barcodes. Each layout gives every asset
//! id back exactly once, in order, from the offset on. Bad bodies change nothing. Each test has
//! its own database.

#[path = "../common/mod.rs"]
mod common;
#[path = "../filekit/mod.rs"]
mod filekit;

use common::{row, App};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tool from Debian's packages (poppler-utils, zbar-tools); `.ci/run` installs them. Without
/// CI a missing one skips the test; under CI it fails it (a green run means the labels were
/// decoded).
fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    match found {
        Some(path) => Some(path),
        None if std::env::var_os("CI").is_some() => {
            panic!("{name} is missing: apt-get install poppler-utils zbar-tools (.ci/run does)")
        }
        None => {
            eprintln!("SKIPPED: {name} is missing (apt-get install poppler-utils zbar-tools)");
            None
        }
    }
}

/// One page rendered in grey.
struct Page {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
    file: PathBuf,
}

/// Renders every page of the PDF at `dpi` (pdftoppm), in page order.
fn render(pdf: &[u8], dpi: u32, dir: &Path) -> Vec<Page> {
    let input = dir.join("labels.pdf");
    std::fs::write(&input, pdf).unwrap();
    let status = Command::new(tool("pdftoppm").unwrap())
        .args(["-gray", "-r", &dpi.to_string()])
        .arg(&input)
        .arg(dir.join("page"))
        .status()
        .unwrap();
    assert!(status.success(), "pdftoppm failed on the label PDF");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pgm"))
        .collect();
    // page-1.pgm, page-2.pgm … (zero-padded when there are ten or more).
    files.sort();
    files.into_iter().map(read_pgm).collect()
}

/// A binary PGM (P5, 8 bits) as pdftoppm writes it.
fn read_pgm(file: PathBuf) -> Page {
    let bytes = std::fs::read(&file).unwrap();
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&bytes[start..at]).into_owned());
    }
    assert_eq!((fields[0].as_str(), fields[3].as_str()), ("P5", "255"));
    let (width, height) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let pixels = bytes[at + 1..].to_vec();
    assert_eq!(pixels.len(), width * height);
    Page {
        width,
        height,
        pixels,
        file,
    }
}

/// A layout's places as the sheets' makers give them (mm): page size, columns × rows, label
/// size, left and top margins, gap between columns.
struct Sheet {
    page: (f64, f64),
    grid: (usize, usize),
    label: (f64, f64),
    margin: (f64, f64),
    gap: f64,
}

const A4_3X8: Sheet = Sheet {
    page: (210.0, 297.0),
    grid: (3, 8),
    label: (70.0, 37.0),
    margin: (0.0, 0.5),
    gap: 0.0,
};
const A4_2X7: Sheet = Sheet {
    page: (210.0, 297.0),
    grid: (2, 7),
    label: (99.1, 38.1),
    margin: (4.65, 15.15),
    gap: 2.5,
};
const ROLL: Sheet = Sheet {
    page: (60.0, 40.0),
    grid: (1, 1),
    label: (60.0, 40.0),
    margin: (0.0, 0.0),
    gap: 0.0,
};

/// The QR code of each place of a page, read by rqrr from that place's pixels alone (rqrr
/// pairs finder patterns of neighbouring codes when given a whole sheet): None where the place
/// is empty.
fn qr_by_place(page: &Page, sheet: &Sheet) -> Vec<Option<String>> {
    let px = |mm: f64, of: f64, pixels: usize| (mm / of * pixels as f64).round() as usize;
    let mut places = Vec::new();
    for place in 0..sheet.grid.0 * sheet.grid.1 {
        let (column, row) = (place % sheet.grid.0, place / sheet.grid.0);
        let left = sheet.margin.0 + column as f64 * (sheet.label.0 + sheet.gap);
        let top = sheet.margin.1 + row as f64 * sheet.label.1;
        let x0 = px(left, sheet.page.0, page.width);
        let y0 = px(top, sheet.page.1, page.height);
        let w = px(sheet.label.0, sheet.page.0, page.width).min(page.width - x0);
        let h = px(sheet.label.1, sheet.page.1, page.height).min(page.height - y0);
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
            page.pixels[(y0 + y) * page.width + x0 + x]
        });
        let grids = image.detect_grids();
        assert!(grids.len() <= 1, "place {place}: {} QR codes", grids.len());
        places.push(grids.first().map(|grid| {
            let (_, text) = grid
                .decode()
                .unwrap_or_else(|e| panic!("place {place}: the QR code does not decode: {e:?}"));
            text
        }));
    }
    places
}

/// Every QR code of the pages, in order of page and place.
fn qr_codes(pages: &[Page], sheet: &Sheet) -> Vec<i64> {
    pages
        .iter()
        .flat_map(|page| qr_by_place(page, sheet))
        .flatten()
        .map(|text| text.parse().unwrap())
        .collect()
}

/// The Code128 barcodes of a page (zbar), as read.
fn barcodes(page: &Page) -> Vec<String> {
    let out = Command::new(tool("zbarimg").unwrap())
        .args(["-q", "--raw", "-Sdisable", "-Scode128.enable"])
        .arg(&page.file)
        .output()
        .unwrap();
    // zbarimg exits 4 when it finds no symbol at all.
    assert!(
        out.status.success() || out.status.code() == Some(4),
        "zbarimg: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The text of the PDF (pdftotext), to see the names, departments and positions.
fn pdf_text(pdf: &[u8], dir: &Path) -> String {
    let input = dir.join("text.pdf");
    std::fs::write(&input, pdf).unwrap();
    let out = Command::new(tool("pdftotext").unwrap())
        .arg(&input)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Creates a label task as `session` with `body`, waits for it; its record.
fn labels(app: &App, session: &str, body: &Value) -> Value {
    let a = app.post(&format!("/api/label_task/{session}"), body);
    let id = a.ok()["id"].as_i64().expect("task id");
    app.wait_task(session, id)
}

fn pdf_of(app: &App, session: &str, task: i64) -> Vec<u8> {
    let d = filekit::fetch(app, &format!("/api/label_task/{session}/{task}/file"));
    assert_eq!(d.status.code, 200, "{}", String::from_utf8_lossy(&d.bytes));
    assert_eq!(d.content_type, "application/pdf");
    assert_eq!(
        d.disposition,
        format!("attachment; filename=\"task-{task}-labels.pdf\"")
    );
    assert!(d.bytes.starts_with(b"%PDF-1.4"));
    d.bytes
}

/// `n` assets of CST with names, positions and (every third) a long name.
fn assets(app: &App, session: &str, n: usize) -> Vec<i64> {
    (0..n)
        .map(|i| {
            let name = if i % 3 == 0 {
                format!("联想 ThinkPad X1 Carbon 第{i}代 笔记本电脑（研发部借用）")
            } else {
                format!("显示器{i}")
            };
            let mut r = row(&name, "liusn", "CST");
            r["position"] = json!(format!("A座3楼 30{i}室"));
            app.create_asset(session, &r)
        })
        .collect()
}

/// 30 labels on A4 3×8 from the sixth place on: page 1 holds 19 of them, page 2 the other 11;
/// the QR code and the barcode of each decode to its asset id, each in the place it belongs.
#[test]
fn labels_on_a4_3x8_decode_back_to_the_asset_ids_in_place_from_the_offset() {
    if tool("pdftoppm").is_none() || tool("zbarimg").is_none() {
        return;
    }
    let app = App::new();
    let liusn = app.demo("liusn");
    let ids = assets(&app, &liusn, 30);
    let task = labels(
        &app,
        &liusn,
        &json!({"ids": ids, "layout": "a4-3x8", "offset": 5}),
    );
    assert_eq!(
        (&task["kind"], &task["number_succeed"], &task["finish"]),
        (&json!("label"), &json!(30), &json!(1)),
        "{task}"
    );
    assert!(task["actions"]
        .as_array()
        .unwrap()
        .contains(&json!("download")));
    let pdf = pdf_of(&app, &liusn, task["id"].as_i64().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let pages = render(&pdf, 300, dir.path());
    assert_eq!(pages.len(), 2);
    let mut places = Vec::new();
    let mut bars = Vec::new();
    for (p, page) in pages.iter().enumerate() {
        for (place, text) in qr_by_place(page, &A4_3X8).into_iter().enumerate() {
            if let Some(text) = text {
                places.push((text.parse::<i64>().unwrap(), p, place));
            }
        }
        bars.extend(barcodes(page));
    }
    let expected: Vec<(i64, usize, usize)> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, (i + 5) / 24, (i + 5) % 24))
        .collect();
    assert_eq!(places, expected, "QR codes by (id, page, place)");
    let mut bars: Vec<i64> = bars.iter().map(|b| b.parse().unwrap()).collect();
    bars.sort();
    assert_eq!(bars, ids, "Code128 barcodes");

    let text = pdf_text(&pdf, dir.path());
    for needle in [
        "显示器1",
        "编号 2",
        "A座3楼 301室",
        "CST",
        "联想 ThinkPad X1",
    ] {
        assert!(
            text.contains(needle),
            "{needle} not in the labels' text:\n{text}"
        );
    }
    // A name too long for the label is cut with an ellipsis, never drawn over its neighbour.
    assert!(text.contains('…'), "{text}");

    // What the QR code says is what the stocktake's scan takes: the decoded text counts the
    // asset.
    let stocktake = app.post(
        &format!("/api/stocktake/{liusn}"),
        &json!({"name": "标签盘点", "filter": {"department": "CST"}}),
    );
    let stocktake = stocktake.ok()["id"].as_i64().unwrap();
    let first = qr_by_place(&pages[0], &A4_3X8)[5]
        .clone()
        .expect("a code at place 6");
    let scan = app.post(
        &format!("/api/stocktake/{liusn}/{stocktake}/scan"),
        &json!({"code": first}),
    );
    assert_eq!(
        (&scan.ok()["result_label"], &scan.ok()["line"]["asset"]),
        (&json!("相符"), &json!(ids[0])),
        "{:?}",
        scan.body
    );
}

/// A search's assets on A4 2×7, and on a label printer's roll (one label a page): every label
/// decodes, by QR and by barcode. An id that is not an asset, or is another company's, is a
/// failed row with its reason, and the PDF holds the others.
#[test]
fn a_search_and_the_other_layouts_decode_and_bad_ids_are_failed_rows() {
    if tool("pdftoppm").is_none() || tool("zbarimg").is_none() {
        return;
    }
    let app = App::new();
    let liusn = app.demo("liusn");
    let ids = assets(&app, &liusn, 16);
    // 显示器N: 10 of the 16 (the others are the long names).
    let shown: Vec<i64> = ids
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 3 != 0)
        .map(|(_, id)| *id)
        .collect();
    for (layout, sheet) in [("a4-2x7", A4_2X7), ("roll-60x40", ROLL)] {
        let per_page = sheet.grid.0 * sheet.grid.1;
        let task = labels(
            &app,
            &liusn,
            &json!({"filter": {"name": "显示器"}, "layout": layout}),
        );
        assert_eq!(task["number_succeed"], 10, "{task}");
        let pdf = pdf_of(&app, &liusn, task["id"].as_i64().unwrap());
        let dir = tempfile::tempdir().unwrap();
        let pages = render(&pdf, 300, dir.path());
        assert_eq!(pages.len(), 10_usize.div_ceil(per_page), "{layout}");
        // In order, from the first place on.
        assert_eq!(qr_codes(&pages, &sheet), shown, "{layout}: QR codes");
        let mut bars: Vec<i64> = Vec::new();
        for page in &pages {
            bars.extend(barcodes(page).iter().map(|b| b.parse::<i64>().unwrap()));
        }
        bars.sort();
        assert_eq!(bars, shown, "{layout}: barcodes");
    }

    // An id that is no asset, text that is no id, and an asset of another company.
    let (_, _, other) = app.second_entity();
    let task = labels(
        &app,
        &liusn,
        &json!({"ids": [ids[1], 999_999, "abc", other, ids[2]]}),
    );
    assert_eq!(
        (
            &task["number_succeed"],
            &task["number_failed"],
            &task["finish"]
        ),
        (&json!(2), &json!(3), &json!(2)),
        "{task}"
    );
    let id = task["id"].as_i64().unwrap();
    let failed = app.get(&format!("/api/export_task/{liusn}/{id}/failed"));
    let messages: Vec<String> = failed
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {}", f["value"], f["message"].as_str().unwrap()))
        .collect();
    assert_eq!(
        messages,
        [
            "999999 资产不存在",
            "\"abc\" 资产编号不合法",
            &format!("{other} 资产不存在"),
        ],
    );
    let pdf = pdf_of(&app, &liusn, id);
    let dir = tempfile::tempdir().unwrap();
    let pages = render(&pdf, 300, dir.path());
    assert_eq!(qr_codes(&pages, &A4_3X8), [ids[1], ids[2]]);
}

/// Every malformed body is refused with the envelope's -2 and a message naming what is wrong,
/// and creates no task; a task with no label to print, a task that is not a label task and
/// another department's task are refused too.
#[test]
fn bad_label_requests_are_refused_and_change_nothing() {
    let app = App::new();
    let liusn = app.demo("liusn");
    let ids = assets(&app, &liusn, 2);
    let before = app.digest();
    for (body, why) in [
        ("{}", "ids"),
        (r#"{"ids": [1], "filter": {}}"#, "ids"),
        (r#"{"ids": []}"#, "没有要打印标签的资产"),
        (r#"{"ids": {"a": 1}}"#, "[ids]（须为资产编号数组）"),
        (r#"{"ids": "1,2"}"#, "[ids]（须为资产编号数组）"),
        ("null", "[body]（请求体须为对象"),
        ("[]", "[body]（请求体须为对象"),
        (
            r#"{"ids": [1], "layout": "a5"}"#,
            "a4-3x8、a4-2x7 或 roll-60x40",
        ),
        (r#"{"ids": [1], "layout": 3}"#, "layout"),
        (r#"{"ids": [1], "offset": 24}"#, "0到23"),
        (r#"{"ids": [1], "offset": -1}"#, "0到23"),
        (r#"{"ids": [1], "offset": "2"}"#, "0到23"),
        (r#"{"ids": [1], "layout": "a4-2x7", "offset": 14}"#, "0到13"),
        (
            r#"{"ids": [1], "layout": "roll-60x40", "offset": 1}"#,
            "0到0",
        ),
        (r#"{"ids": [1], "copies": 2}"#, "未知字段「copies」"),
        (r#"{"filter": {"name": "没有这种资产"}}"#, "没有找到资产"),
        (r#"{"filter": {"price_inf": "x"}}"#, "filter"),
        ("[1, 2]", "ids"),
        ("{not json", "JSON"),
        ("", "JSON"),
    ] {
        let a = app.post_raw(&format!("/api/label_task/{liusn}"), body);
        assert_eq!((a.status.code, a.code()), (400, -2), "{body}: {:?}", a.body);
        assert!(a.info().contains(why), "{body}: {}", a.info());
    }
    assert_eq!(
        app.digest(),
        before,
        "a refused label request changed the database"
    );

    // Every id fails: the task ends, and its PDF is refused with the reason.
    let task = labels(&app, &liusn, &json!({"ids": [999_998]}));
    let id = task["id"].as_i64().unwrap();
    let d = filekit::fetch(&app, &format!("/api/label_task/{liusn}/{id}/file"));
    let a = d.answer();
    assert_eq!(a.code(), 20, "{:?}", a.body);
    assert!(a.info().contains("没有可打印的标签"), "{}", a.info());

    // An export is not a label task.
    let export = app.post(&format!("/api/export_task/{liusn}"), &json!([ids[0]]));
    let export = export.ok()["id"].as_i64().unwrap();
    app.wait_task(&liusn, export);
    let d = filekit::fetch(&app, &format!("/api/label_task/{liusn}/{export}/file"));
    assert_eq!(d.answer().code(), -2);
    assert!(d.answer().info().contains("不是标签任务"));

    // Staff print no labels; another company's admin does not see the task.
    let staff = app.demo("zhangsan");
    let a = app.post(
        &format!("/api/label_task/{staff}"),
        &json!({"ids": [ids[0]]}),
    );
    assert_eq!(a.status.code, 403, "{:?}", a.body);
    let good = labels(&app, &liusn, &json!({"ids": [ids[0]]}));
    let good = good["id"].as_i64().unwrap();
    let (stranger, _, _) = app.second_entity();
    let d = filekit::fetch(&app, &format!("/api/label_task/{stranger}/{good}/file"));
    assert_eq!(d.answer().code(), 6, "{:?}", d.answer().body);
    let d = filekit::fetch(&app, &format!("/api/label_task/{liusn}/x/file"));
    assert_eq!(d.answer().code(), 6);
}
