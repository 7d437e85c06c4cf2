//! The labels phase, on a server and database of its own: L assets imported, then a label task
//! of every one of them (a search of their department) on A4 3×8 and its PDF downloaded in full. `labels_per_s`
//! counts from the POST to the PDF's last byte: the snapshots a batch per transaction, then the
//! drawing (QR code, Code128, text) as the PDF is sent.

use crate::harness::*;
use serde_json::json;
use std::time::Instant;

pub(crate) fn labels(rows: usize) {
    println!("label_rows={rows}");
    let phase = Phase::start("labels.sqlite3", "lab", rows);
    let (server, session) = (&phase.server, &phase.session);
    let client = &server.client;

    server.reset_peak();
    let started = Instant::now();
    let body = json!({"filter": {"department": "CST"}, "layout": "a4-3x8"}).to_string();
    let id = client.post_task(&format!("/api/label_task/{session}"), body.as_bytes());
    let task = client.wait(session, id);
    assert_eq!(task["number_succeed"], rows as i64, "{task}");
    let snapshotted = started.elapsed().as_secs_f64();
    let (status, pdf) = client.get(&format!("/api/label_task/{session}/{id}/file"));
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(
        status,
        200,
        "{}",
        String::from_utf8_lossy(&pdf[..pdf.len().min(300)])
    );
    // The body as sent (chunked): the PDF's first and last bytes are near its ends.
    let has = |part: &[u8], what: &[u8]| part.windows(what.len()).any(|w| w == what);
    assert!(
        has(&pdf[..32.min(pdf.len())], b"%PDF-")
            && has(&pdf[pdf.len().saturating_sub(32)..], b"%%EOF")
    );
    println!("labels_task_seconds={snapshotted:.3}");
    println!("labels_pdf_seconds={:.3}", seconds - snapshotted);
    println!("labels_pdf_mb={:.1}", pdf.len() as f64 / 1_048_576.0);
    println!("labels_per_s={:.0}", rows as f64 / seconds);
    println!("labels_peak_rss_mb={:.0}", server.peak_rss_mb());
}
