//! The Sobot sandbox itself, spoken to with plain HTTP: it must be as strict
//! and as quirky as the document, or the client tests prove nothing.
#![cfg(feature = "sandbox")]

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use kefu_core::FixedClock;
use kefu_testkit::sandbox::SeedConfig;
use kefu_testkit::sandbox::sobot::{
    self, EMAIL, SobotEmulator, SobotSandbox, UNION_CODE, UNION_KEY,
};
use kefu_testkit::sandbox::{Emulator, Fault};
use md5::{Digest, Md5};
use serde_json::{Value, json};

fn md5_hex(parts: &[&str]) -> String {
    let mut h = Md5::new();
    for p in parts {
        h.update(p.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// 2024-05-25T00:00:00Z: the sandbox's "now".
fn now_ms() -> i64 {
    Utc.with_ymd_and_hms(2024, 5, 25, 0, 0, 0)
        .single()
        .expect("valid")
        .timestamp_millis()
}

async fn start() -> SobotSandbox {
    let clock = Arc::new(FixedClock::at_millis(now_ms()));
    sobot::start_with_clock(SeedConfig::default(), clock)
        .await
        .expect("starts")
}

async fn post(sb: &SobotSandbox, path: &str, body: Value) -> Value {
    reqwest::Client::new()
        .post(format!("{}{path}", sb.base_url()))
        .json(&body)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON answer")
}

async fn staff_logs(sb: &SobotSandbox, range: &[(&str, i64)]) -> Value {
    let ts = now_ms().to_string();
    let mut query = vec![
        ("unionCode".to_owned(), UNION_CODE.to_owned()),
        ("token".to_owned(), md5_hex(&[UNION_CODE, &ts, UNION_KEY])),
        ("ts".to_owned(), ts),
    ];
    query.extend(range.iter().map(|(k, v)| ((*k).to_owned(), v.to_string())));
    reqwest::Client::new()
        .get(format!(
            "{}/tenantpro/coutomer/getStaffLogInfos",
            sb.base_url()
        ))
        .query(&query)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON answer")
}

fn log_times(answer: &Value) -> Vec<i64> {
    let mut times: Vec<i64> = answer["items"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| {
            c["companyStaffInfos"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .flat_map(|s| s["staffLogInfos"].as_array().cloned().unwrap_or_default())
        .filter_map(|e| e["datetime"].as_i64())
        .collect();
    times.sort_unstable();
    times
}

fn staff_body(email: &str, ts: i64) -> Value {
    json!({
        "unionCode": UNION_CODE,
        "ts": ts,
        "token": md5_hex(&[UNION_CODE, &ts.to_string(), email, UNION_KEY]),
        "customerCode": "M001",
        "nick": "n", "name": "m", "email": email, "roleId": "1111",
        "phoneNo": 13_800_000_000u64, "maxAcceptNum": 5
    })
}

#[tokio::test]
async fn a_three_week_question_gets_the_last_week_only() {
    let sb = start().await;
    let day = Duration::days(1).num_milliseconds();
    let start = Utc
        .with_ymd_and_hms(2024, 5, 1, 0, 0, 0)
        .single()
        .expect("valid")
        .timestamp_millis();
    let end = start + 21 * day;
    let answer = staff_logs(&sb, &[("startTime", start), ("endTime", end)]).await;
    assert_eq!(answer["retCode"], "200000");
    let times = log_times(&answer);
    let all = sb.sobot().status_logs_between(start, end + 1);
    assert!(
        all.iter().any(|e| e.datetime < end - 7 * day),
        "the seed spans three weeks"
    );
    // Rule 1: "以结束时间为准, 向前推一周重置开始时间".
    let last_week: Vec<i64> = all
        .iter()
        .map(|e| e.datetime)
        .filter(|t| *t >= end - 7 * day)
        .collect();
    assert_eq!(times, last_week);

    // Rule 3: only the start: the week after it.
    let times = log_times(&staff_logs(&sb, &[("startTime", start)]).await);
    assert!(times.iter().all(|t| (start..=start + 7 * day).contains(t)) && !times.is_empty());
    // Rule 4: only the end: the week before it.
    let times = log_times(&staff_logs(&sb, &[("endTime", end)]).await);
    assert!(times.iter().all(|t| (end - 7 * day..=end).contains(t)) && !times.is_empty());
    // Rule 2: neither: the week up to now.
    let times = log_times(&staff_logs(&sb, &[]).await);
    assert!(
        times
            .iter()
            .all(|t| (now_ms() - 7 * day..=now_ms()).contains(t))
            && !times.is_empty()
    );
}

#[tokio::test]
async fn signatures_and_ts_are_checked() {
    let sb = start().await;
    let ok = post(
        &sb,
        "/tenantpro/open/addServiceInfoConfim.json",
        staff_body("a1@m001.example.com", now_ms()),
    )
    .await;
    assert_eq!(ok["retCode"], "200000", "{ok}");

    let mut forged = staff_body("a2@m001.example.com", now_ms());
    forged["token"] = json!(md5_hex(&[
        UNION_CODE,
        &now_ms().to_string(),
        EMAIL,
        UNION_KEY
    ]));
    let refused = post(&sb, "/tenantpro/open/addServiceInfoConfim.json", forged).await;
    assert_eq!(
        refused,
        json!({"retCode": "999998", "retMsg": "请求失败!登录已失效,请重新登录!", "msg": null})
    );

    let stale_ts = now_ms() - sobot::TS_TOLERANCE_MS - 1;
    let stale = post(
        &sb,
        "/tenantpro/open/addServiceInfoConfim.json",
        staff_body("a3@m001.example.com", stale_ts),
    )
    .await;
    assert_eq!(stale["retCode"], "999998");
    assert!(
        sb.staff("M001", "a2@m001.example.com").is_none()
            && sb.staff("M001", "a3@m001.example.com").is_none()
    );
}

#[tokio::test]
async fn parameter_names_are_exact() {
    let sb = start().await;
    let ts = now_ms().to_string();
    let sign = md5_hex(&[UNION_CODE, &ts, UNION_KEY]);
    // tenantStaffJobList wants union_code.
    let wrong = json!({"unionCode": UNION_CODE, "ts": ts, "sign": sign, "start_date": "2024-05-02", "end_date": "2024-05-02"});
    let answer = post(&sb, "/tenantpro/tenantReport/tenantStaffJobList", wrong).await;
    assert_eq!(
        answer,
        json!({"retCode": "999999", "retMsg": "union_code 不能为空"})
    );
    let right = json!({"union_code": UNION_CODE, "ts": ts, "sign": sign, "start_date": "2024-05-02", "end_date": "2024-05-02"});
    let answer = post(&sb, "/tenantpro/tenantReport/tenantStaffJobList", right).await;
    assert_eq!(answer["retCode"], "000000");
    assert!(
        answer["items"][0]["first_response_in60s_rate"]
            .as_str()
            .is_some_and(|r| r.ends_with('%'))
    );

    // chatIndexPage: union_code, not unionCode: status 2.
    let token = md5_hex(&[UNION_CODE, "partner-001", &ts, UNION_KEY]);
    let wrong = json!({"unionCode": UNION_CODE, "partnerId": "partner-001", "ts": now_ms(), "token": token});
    assert_eq!(
        post(&sb, "/chat-third/tenant/5/user/chatIndexPage", wrong).await,
        json!({"items": null, "status": 2})
    );
    let right = json!({"union_code": UNION_CODE, "partnerId": "partner-001", "ts": now_ms(), "token": token});
    let answer = post(&sb, "/chat-third/tenant/5/user/chatIndexPage", right).await;
    assert_eq!(answer["status"], 1);
    assert!(!answer["items"].as_array().expect("items").is_empty());
}

#[tokio::test]
async fn answers_have_the_documents_shapes() {
    let sb = start().await;
    let ts = now_ms().to_string();
    let sign = md5_hex(&[UNION_CODE, &ts, UNION_KEY]);
    // getBatchAppKey nests its data under the unionCode's value.
    let keys = post(
        &sb,
        "/tenantpro/getBatchAppKey",
        json!({"unionCode": UNION_CODE, "ts": ts, "sign": sign}),
    )
    .await;
    assert_eq!(keys["retCode"], "000000");
    assert_eq!(keys[UNION_CODE]["data"].as_array().map(Vec::len), Some(12));
    assert_eq!(keys[UNION_CODE]["time"], "2024-05-25 08:00:00");
    // tenantExportData: ret_code, and type 8 spells createTime "reateTime".
    let export = |kind: &str| json!({"unionCode": UNION_CODE, "ts": ts, "sign": sign, "type": kind, "date": "2024-05-03"});
    let seven = post(&sb, "/tenantpro/tenantReport/tenantExportData", export("7")).await;
    assert_eq!(seven["ret_code"], "000000");
    assert!(seven["item"]["createTime"].is_string());
    let eight = post(&sb, "/tenantpro/tenantReport/tenantExportData", export("8")).await;
    assert!(eight["item"]["reateTime"].is_string() && eight["item"]["createTime"].is_null());
    // Seconds are accepted on the report endpoints.
    let secs = (now_ms() / 1000).to_string();
    let sign_s = md5_hex(&[UNION_CODE, &secs, UNION_KEY]);
    let keys = post(
        &sb,
        "/tenantpro/getBatchAppKey",
        json!({"unionCode": UNION_CODE, "ts": secs, "sign": sign_s}),
    )
    .await;
    assert_eq!(keys["retCode"], "000000");
}

#[tokio::test]
async fn staff_beyond_max_count_and_reset() {
    let sb = start().await;
    let t = sb.tenant("M001").expect("seeded");
    let free = t.max_count as usize - t.staff.len();
    for i in 0..free {
        let a = post(
            &sb,
            "/tenantpro/open/addServiceInfoConfim.json",
            staff_body(&format!("f{i}@m001.example.com"), now_ms()),
        )
        .await;
        assert_eq!(a["retCode"], "200000");
    }
    let full = post(
        &sb,
        "/tenantpro/open/addServiceInfoConfim.json",
        staff_body("over@m001.example.com", now_ms()),
    )
    .await;
    assert_eq!(
        full,
        json!({"retCode": "200007", "retMsg": "在线客服数量不足", "msg": null})
    );
    sb.reset();
    assert_eq!(sb.tenant("M001"), Some(t));
    assert!(sb.log().is_empty());
}

#[tokio::test]
async fn twenty_chat_calls_a_minute() {
    let sb = start().await;
    let ts = now_ms().to_string();
    let token = md5_hex(&[UNION_CODE, "partner-002", &ts, UNION_KEY]);
    let body = json!({"union_code": UNION_CODE, "partnerId": "partner-002", "ts": now_ms(), "token": token});
    for _ in 0..20 {
        assert_eq!(
            post(&sb, "/chat-third/tenant/5/user/chatIndexPage", body.clone()).await["status"],
            1
        );
    }
    assert_eq!(
        post(&sb, "/chat-third/tenant/5/user/chatIndexPage", body.clone()).await["status"],
        4
    );
    assert_eq!(sb.chat_calls_refused(), 1);
    sb.control("clear_chat_limit", Value::Null)
        .expect("known action");
    assert_eq!(
        post(&sb, "/chat-third/tenant/5/user/chatIndexPage", body).await["status"],
        1
    );
}

#[tokio::test]
async fn the_seed_is_deterministic() {
    let a = SobotEmulator::new(SeedConfig::default());
    let b = SobotEmulator::new(SeedConfig::default());
    assert_eq!(a.dump(), b.dump());
    assert_eq!(a.status_logs(), b.status_logs());
    let c = SobotEmulator::new(SeedConfig {
        seed: 7,
        ..SeedConfig::default()
    });
    assert_ne!(a.tenants(), c.tenants());
    let small = SobotEmulator::new(SeedConfig {
        tenants: 0,
        agents: 0,
        ..SeedConfig::default()
    });
    assert!(small.tenants().is_empty() && small.partner_ids().is_empty());
}

#[tokio::test]
async fn env_points_kefu_at_the_sandbox() {
    let sb = start().await;
    let env: std::collections::HashMap<String, String> = sb.env().into_iter().collect();
    assert_eq!(env["KEFU_VENDOR"], "sobot");
    assert_eq!(env["KEFU_SOBOT_BASE_URL"], sb.base_url());
    assert_eq!(env["KEFU_SOBOT_UNION_CODE"], UNION_CODE);
    assert_eq!(env["KEFU_SOBOT_UNION_KEY"], UNION_KEY);
    assert_eq!(env["KEFU_SOBOT_EMAIL"], EMAIL);
    assert_eq!(env["KEFU_SOBOT_CUSTOMER_CODE"], "M001");
}

#[tokio::test]
async fn vendor_controls_over_http() {
    let sb = start().await;
    let http = reqwest::Client::new();
    let before = sb.sobot().status_logs().len();
    let r = http
        .post(format!(
            "{}/__sandbox/vendor/add_status_logs",
            sb.base_url()
        ))
        .json(&json!({"entries": [{"datetime": now_ms(), "action": "离线"}]}))
        .send()
        .await
        .expect("sent");
    assert!(r.status().is_success());
    assert_eq!(sb.sobot().status_logs().len(), before + 1);
    let r = http
        .post(format!("{}/__sandbox/vendor/no_such_thing", sb.base_url()))
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), 400);
    let state: Value = http
        .get(format!("{}/__sandbox/state", sb.base_url()))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(state["union_code"], UNION_CODE);
}

#[tokio::test]
async fn faults_apply_before_the_emulator() {
    let sb = start().await;
    sb.chaos().inject(Fault::Status { status: 503 }, 1);
    let r = reqwest::Client::new()
        .post(format!("{}/tenantpro/getBatchAppKey", sb.base_url()))
        .json(&json!({}))
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), 503);
    // An empty body is simply missing every parameter.
    let answer = post(&sb, "/tenantpro/getBatchAppKey", json!({})).await;
    assert_eq!(answer["retCode"], "999999");
}
