//! The replay server's matching rules on a hand-made recording folder.
#![cfg(feature = "sandbox")]
#![allow(clippy::unwrap_used)]

use kefu_testkit::sandbox::Sandbox;
use kefu_testkit::sandbox::replay::Replay;
use serde_json::{Value, json};

fn record(dir: &std::path::Path, name: &str, value: Value) {
    std::fs::write(dir.join(name), serde_json::to_vec_pretty(&value).unwrap()).unwrap();
}

fn exchange(path: &str, body: Value, answer: Value) -> Value {
    json!({"vendor": "sobot", "operation": "tenants.list", "attempt": 1, "method": "POST",
           "path": path, "query": [["page", "1"], ["token", "***"]], "body": body,
           "status": 200, "answer": answer, "error": null, "elapsed_ms": 3, "sent": true})
}

#[tokio::test]
async fn matches_by_route_and_fields_that_matter_in_order_then_repeats_the_last() {
    let dir = tempfile::tempdir().unwrap();
    let body = |page: u32| json!({"unionCode": "u1", "email": "ops@platform.example", "ts": 1, "token": "***", "pageNo": page});
    record(
        dir.path(),
        "000001-POST-a.json",
        exchange("/a", body(1), json!({"n": 1})),
    );
    record(
        dir.path(),
        "000002-POST-a.json",
        exchange("/a", body(1), json!({"n": 2})),
    );
    record(
        dir.path(),
        "000003-POST-a.json",
        exchange("/a", body(2), json!({"n": 3})),
    );
    // A held-back dry-run request is not served.
    let mut held = exchange("/b", body(1), Value::Null);
    held["sent"] = json!(false);
    held["status"] = Value::Null;
    record(dir.path(), "000004-POST-b.json", held);
    std::fs::write(dir.path().join(".000005-POST-a.json.tmp"), "{half").unwrap();

    let replay = Replay::load(dir.path()).unwrap();
    assert_eq!(replay.recordings().len(), 3);
    let server = Sandbox::start(replay.clone()).await.unwrap();
    let env: std::collections::HashMap<String, String> = server.env().into_iter().collect();
    assert_eq!(env["KEFU_SOBOT_UNION_CODE"], "u1");
    assert_eq!(env["KEFU_SOBOT_EMAIL"], "ops@platform.example");

    let http = reqwest::Client::new();
    let post = |path: &str, page: u32, ts: u64, token: &str| {
        http.post(format!("{}{path}?page=1&token={token}", server.base_url()))
            .json(&json!({"unionCode": "u1", "email": "ops@platform.example", "ts": ts, "token": token, "pageNo": page}))
            .send()
    };
    // Another ts and token (volatile, masked): still a match, in recorded order.
    let n = |r: reqwest::Response| async move { r.json::<Value>().await.unwrap()["n"].clone() };
    assert_eq!(n(post("/a", 1, 99, "sig-a").await.unwrap()).await, 1);
    assert_eq!(n(post("/a", 2, 100, "sig-b").await.unwrap()).await, 3);
    assert_eq!(n(post("/a", 1, 101, "sig-c").await.unwrap()).await, 2);
    // All used: the last match again.
    assert_eq!(n(post("/a", 1, 102, "sig-d").await.unwrap()).await, 2);
    // A field that matters differs: no recording, 404, listed.
    let miss = post("/a", 7, 1, "x").await.unwrap();
    assert_eq!(miss.status(), 404);
    let miss_b = post("/b", 1, 1, "x").await.unwrap();
    assert_eq!(miss_b.status(), 404);
    assert_eq!(replay.misses(), ["POST /a", "POST /b"]);
    assert_eq!(replay.used(), 3);
    server.stop().await;
}

#[test]
fn an_empty_or_broken_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    assert!(Replay::load(dir.path()).is_err());
    std::fs::write(dir.path().join("000001-GET-x.json"), "{not json").unwrap();
    let e = Replay::load(dir.path()).unwrap_err();
    assert!(e.to_string().contains("000001-GET-x.json"), "{e}");
}
