//! The first approval wins, raced on the real server: two requests for the same idle asset,
//! approved at the same moment by two reviewers; exactly one executes, the other ends 已失效
//! (or is refused as no longer pending), and the asset has exactly one 领用 entry.

use crate::common::server::Server;
use crate::common::DEMO_PASSWORD;
use serde_json::{json, Value};

const ASSETS: usize = 24;

#[test]
fn two_concurrent_approvals_of_conflicting_requests_execute_exactly_one() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("db.sqlite3"), &[]);
    let admin = server.login("sysadmin", DEMO_PASSWORD);
    let manager = server.login("liusn", DEMO_PASSWORD);
    let (status, body) = server.post(
        &format!("/api/user/{admin}"),
        &json!({"name": "lisi", "password": "secret4", "entity": "示例企业",
                "department": "CST", "character": 1, "lock": false})
        .to_string(),
    );
    assert_eq!(status, 200, "{body}");
    let zhangsan = server.login("zhangsan", DEMO_PASSWORD);
    let lisi = server.login("lisi", "secret4");

    let mut pairs = Vec::new();
    for i in 0..ASSETS {
        let (status, body) = server.post(
            &format!("/api/post_asset/{admin}"),
            &crate::common::row(&format!("会议平板{i}"), "liusn", "CST").to_string(),
        );
        assert_eq!(status, 200, "{body}");
        let asset = body["data"]["id"].as_i64().unwrap();
        let ask = |session: &str| {
            let (status, body) = server.post(
                &format!("/api/requests/{session}"),
                &json!({"kind": "领用", "lines": [{"asset": asset}]}).to_string(),
            );
            assert_eq!(status, 200, "{body}");
            body["data"]["id"].as_i64().unwrap()
        };
        pairs.push((asset, ask(&zhangsan), ask(&lisi)));
    }

    // The manager approves every first request while the system admin approves every second,
    // each pair at the same moment.
    let together = std::sync::Barrier::new(2);
    let approve = |session: String, ids: Vec<i64>, server: &Server| {
        ids.into_iter()
            .map(|id| {
                together.wait();
                server.request(
                    "POST",
                    &format!("/api/requests/{session}/{id}/approve"),
                    Some("{}"),
                )
            })
            .collect::<Vec<(u16, Value)>>()
    };
    let (first, second) = std::thread::scope(|scope| {
        let a = scope.spawn(|| {
            approve(
                manager.clone(),
                pairs.iter().map(|p| p.1).collect(),
                &server,
            )
        });
        let b =
            scope.spawn(|| approve(admin.clone(), pairs.iter().map(|p| p.2).collect(), &server));
        (a.join().unwrap(), b.join().unwrap())
    });

    for (i, &(asset, a, b)) in pairs.iter().enumerate() {
        let mut executed = 0;
        for ((status, body), id) in [(&first[i], a), (&second[i], b)] {
            match status {
                200 => {
                    let state = &body["data"]["state_label"];
                    if *state == "已通过" {
                        executed += 1;
                    } else {
                        assert_eq!(*state, "已失效", "{body}");
                    }
                }
                409 => assert_eq!(body["code"], 32, "request {id}: {body}"),
                _ => panic!("request {id}: {status} {body}"),
            }
            // Whatever the answer, the request ended: approved, or invalid with its reason.
            let (_, detail) = server.get(&format!("/api/requests/{admin}/{id}"));
            let state = detail["data"]["state_label"].as_str().unwrap().to_owned();
            assert!(state == "已通过" || state == "已失效", "{detail}");
        }
        assert_eq!(executed, 1, "asset {asset}: exactly one approval executes");
        let (_, history) = server.get(&format!(
            "/api/asset_history/{admin}/{asset}?page=1&size=100"
        ));
        let taken = history["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "taken")
            .count();
        assert_eq!(taken, 1, "asset {asset}: {history}");
        let (_, found) = server.post(
            &format!("/api/search_assets/{admin}"),
            &json!({"name": format!("会议平板{i}"), "page": 1, "size": 10}).to_string(),
        );
        let holders: Vec<&Value> = found["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["id"] == asset)
            .map(|x| &x["userName"])
            .collect();
        assert!(
            holders == [&json!("zhangsan")] || holders == [&json!("lisi")],
            "asset {asset}: {found}"
        );
    }
}
