//! Hostile input from the wire: every response decoder of both vendors fed
//! arbitrary bytes and mutations of the documents' own examples (wrong
//! types, missing fields, huge numbers, deep nesting, invalid UTF-8).
//!
//! Each decoder must return (never panic), and a decode error must carry a
//! bounded excerpt with no credential in it. What decodes is then put
//! through the arithmetic the library does on it (token lifetimes, time
//! windows around record times, the pager's totals and de-duplication):
//! none of it may panic either, whatever number the server sent. CI runs a quick pass;
//! `cargo xtask fuzz` runs many more cases (`KEFU_FUZZ_CASES`) in release.
#![allow(clippy::unwrap_used)]

use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use kefu::model::ReportKind;
use kefu::paging::{Page, Pager};
use kefu::time::Zone;
use kefu::{Error, easemob, sobot};
use kefu::{Secret, Vendor};
use kefu_http::WireResponse;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

type Decoder = (&'static str, fn(&[u8]) -> kefu::Result<()>);

/// The time arithmetic the library does with instants a server sent.
fn time_arithmetic(times: impl IntoIterator<Item = DateTime<Utc>>) {
    let now = Utc::now();
    let mut all: Vec<DateTime<Utc>> = times.into_iter().collect();
    all.push(now);
    let (lo, hi) = (all.iter().min().copied(), all.iter().max().copied());
    for &t in &all {
        let _ = kefu::time::saturating_add(t, StdDuration::from_secs(u64::MAX));
        let _ = kefu::time::checked_add(t, StdDuration::from_secs(7 * 86_400));
        let _ = (t - now, now - t);
        let _ = kefu::time::Zone::CHINA.date_of(t);
        let token =
            easemob::AccessToken::new(Secret::new("fuzz-token"), t, StdDuration::from_secs(7200));
        let _ = (token.is_fresh(now), token.is_usable(t));
    }
    if let (Some(lo), Some(hi)) = (lo, hi) {
        // The session walk's sub-windows, and Sobot's week windows when the
        // request budget would allow them.
        let _ = kefu::time::split_inclusive(lo, hi, 32);
        if (hi - lo).num_days() / 7 < 1_000 {
            let _ = sobot::week_windows(lo, hi);
        }
    }
}

/// The pager over a page a server sent, served again and again: it must
/// end (an error or the records once), never panic or run on.
fn page_arithmetic<T: kefu::paging::Unique + Clone + Send + Sync + 'static>(page: Page<T>) {
    for concurrency in [1, 4] {
        let p = page.clone();
        let stream = Pager::new(Vendor::Easemob, 1, 50)
            .concurrency(concurrency)
            .max_pages(5)
            .stream(move |_| futures_util::future::ready(Ok(p.clone())));
        // Every page is ready at once: the whole walk runs in one poll.
        let n = futures_util::FutureExt::now_or_never(stream.count()).unwrap_or(usize::MAX);
        assert!(
            n <= page.items.len() + 1,
            "{n} items from one page repeated"
        );
    }
}

fn em(status: u16, body: &[u8]) -> WireResponse {
    WireResponse::new(status, body.to_vec())
}

/// Every response decoder, each behind one signature.
const DECODERS: &[Decoder] = &[
    ("sobot.tenant_page", |b| {
        sobot::decode::tenant_page(b, Zone::CHINA).map(|p| {
            page_arithmetic(Page {
                items: p.items,
                total: None,
                pages: p.page_count,
                last: None,
                count: p.total_count,
            })
        })
    }),
    ("sobot.tenant_created", |b| {
        sobot::decode::tenant_created(b).map(drop)
    }),
    ("sobot.ack", |b| sobot::decode::ack(b)),
    ("sobot.app_keys", |b| {
        sobot::decode::app_keys(b, "10004").map(drop)
    }),
    ("sobot.staff_logs", |b| {
        sobot::decode::staff_logs(b).map(|logs| time_arithmetic(logs.iter().filter_map(|l| l.at)))
    }),
    ("sobot.chats", |b| {
        sobot::decode::chats(b, Zone::CHINA).map(drop)
    }),
    ("sobot.agent_stats", |b| {
        sobot::decode::agent_stats(b).map(drop)
    }),
    ("sobot.report_export", |b| {
        sobot::decode::report_export(b, ReportKind::Sessions, Zone::CHINA).map(drop)
    }),
    ("easemob.access_token", |b| {
        easemob::decode::access_token(&em(200, b)).map(|g| {
            for at in [
                Utc::now(),
                DateTime::<Utc>::MAX_UTC,
                DateTime::<Utc>::MIN_UTC,
            ] {
                let t = easemob::AccessToken::new(g.token.clone(), at, g.expires_in);
                let _ = (
                    t.is_fresh(at),
                    t.is_usable(at),
                    t.is_fresh(DateTime::<Utc>::MAX_UTC),
                );
            }
        })
    }),
    ("easemob.access_token.401", |b| {
        easemob::decode::access_token(&em(401, b)).map(drop)
    }),
    ("easemob.acknowledged", |b| {
        easemob::decode::acknowledged(&em(200, b))
    }),
    ("easemob.acknowledged.400", |b| {
        easemob::decode::acknowledged(&em(400, b))
    }),
    ("easemob.agents_page", |b| {
        easemob::decode::agents_page(&em(200, b), Zone::CHINA).map(page_arithmetic)
    }),
    ("easemob.added_agent", |b| {
        easemob::decode::added_agent(&em(200, b), Zone::CHINA).map(drop)
    }),
    ("easemob.roles", |b| {
        easemob::decode::roles(&em(200, b), Zone::CHINA).map(drop)
    }),
    ("easemob.sessions_page", |b| {
        easemob::decode::sessions_page(&em(200, b), Zone::CHINA).map(|p| {
            time_arithmetic(
                p.items
                    .iter()
                    .flat_map(|s| [s.created_at, s.started_at, s.stopped_at])
                    .flatten(),
            );
            page_arithmetic(p)
        })
    }),
    ("easemob.sessions_page.502", |b| {
        easemob::decode::sessions_page(&em(502, b), Zone::CHINA).map(drop)
    }),
];

/// Words that must never reach an error message (the fixtures' credential values).
const SECRETS: &[&str] = &[
    "ca906984-80f1-41b0-a272-6000df3f76c4",
    "4313913457bfd684eccbbb7405ba074f",
    "qwe12345",
];

fn check_all(body: &[u8]) {
    for (name, decode) in DECODERS {
        // A panic fails the property (proptest catches it and shrinks).
        if let Err(e) = decode(body) {
            let text = e.to_string();
            assert!(
                text.len() <= 2_000,
                "{name}: unbounded message ({} bytes)",
                text.len()
            );
            if let Error::Decode { excerpt, .. } = &e {
                assert!(
                    excerpt.chars().count() <= 140,
                    "{name}: excerpt of {} chars",
                    excerpt.chars().count()
                );
            }
            for s in SECRETS {
                assert!(
                    !text.contains(s),
                    "{name}: a credential reached the error: {text}"
                );
            }
        }
    }
}

fn cases() -> u32 {
    std::env::var("KEFU_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(96)
}

/// The documents' examples, parsed (the corrected sibling where the verbatim one is invalid).
fn fixture_values() -> Vec<Value> {
    kefu_testkit::fixtures::all()
        .iter()
        .filter_map(|(_, text)| serde_json::from_str(text).ok())
        .collect()
}

/// A replacement value of the wrong type, huge, empty or deeply nested.
fn hostile_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(json!("")),
        Just(json!(-1)),
        Just(json!(u64::MAX)),
        Just(json!(i64::MIN)),
        // Seconds past chrono's range once added to now (10^13 s).
        Just(json!(10_000_000_000_000u64)),
        Just(json!(-10_000_000_000_000i64)),
        Just(json!(1e308)),
        Just(json!("99999999999999999999999999")),
        Just(json!(true)),
        Just(json!([])),
        Just(json!({})),
        Just(json!([[[[[[[[[[1]]]]]]]]]])),
        Just(json!("2018-13-45 99:99:99")),
        Just(json!("API_002")),
        any::<i64>().prop_map(|n| json!(n)),
        ".{0,40}".prop_map(Value::String),
    ]
}

/// Walks to the `pick`-th node (pre-order) and mutates it.
fn mutate(v: &mut Value, pick: &mut usize, op: u8, replacement: &Value) -> bool {
    if *pick == 0 {
        match (op % 3, &mut *v) {
            (0, Value::Object(map)) if !map.is_empty() => {
                let key = map.keys().next().cloned().unwrap();
                map.remove(&key);
            }
            (1, Value::Array(items)) => items.push(replacement.clone()),
            _ => *v = replacement.clone(),
        }
        return true;
    }
    *pick -= 1;
    match v {
        Value::Object(map) => map.values_mut().any(|c| mutate(c, pick, op, replacement)),
        Value::Array(items) => items.iter_mut().any(|c| mutate(c, pick, op, replacement)),
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..2048)) {
        check_all(&body);
    }

    #[test]
    fn mutated_examples_never_panic(
        which in any::<prop::sample::Index>(),
        pick in 0usize..200,
        op in any::<u8>(),
        replacement in hostile_value(),
        rounds in 1usize..4,
    ) {
        let fixtures = fixture_values();
        let mut v = which.get(&fixtures).clone();
        for r in 0..rounds {
            let mut p = pick.wrapping_mul(r + 1) % 200;
            mutate(&mut v, &mut p, op.wrapping_add(r as u8), &replacement);
        }
        check_all(serde_json::to_string(&v).unwrap().as_bytes());
    }

    #[test]
    fn invalid_utf8_inside_examples_never_panics(which in any::<prop::sample::Index>(), at in any::<prop::sample::Index>(), junk in prop::collection::vec(0x80u8..=0xff, 1..6)) {
        let fixtures = kefu_testkit::fixtures::all();
        let text = which.get(fixtures).1.as_bytes();
        let mut body = text.to_vec();
        let i = at.index(body.len().max(1)).min(body.len());
        body.splice(i..i, junk);
        check_all(&body);
    }
}

#[test]
fn a_token_lifetime_of_ten_trillion_seconds_is_no_panic() {
    for secs in ["10000000000000", "9000000000000000", "18446744073709551615"] {
        let body = format!(
            r#"{{"status":"OK","entity":{{"accessToken":"t0k3n-value","expireTime":{secs}}}}}"#
        );
        check_all(body.as_bytes());
    }
    // Record times at the edges of what a server may send.
    check_all(br#"{"status":"OK","entity":{"total_entries":1,"items":[{"serviceSessionId":"s","createDatetime":"9999-12-31 23:59:59","startDateTime":"0001-01-01 00:00:00","stopDateTime":"262143-12-31 23:59:59"}]}}"#);
    check_all(br#"{"items":[{"companyId":"c","companyStaffInfos":[{"staffId":"s","staffLogInfos":[{"datetime":8210266876799999,"operationAction":"x"},{"datetime":-8334601228800000,"operationAction":"y"}]}]}],"retCode":"200000"}"#);
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    for depth in [200usize, 100_000] {
        let body = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        check_all(body.as_bytes());
        let body = format!(r#"{{"items":{}1{}}}"#, "[".repeat(depth), "]".repeat(depth));
        check_all(body.as_bytes());
    }
}

#[test]
fn every_example_decodes_with_at_least_one_decoder() {
    // Sanity for the fuzzer: the unmutated examples are understood, so the
    // mutations start from inputs that reach deep into the decoders.
    let mut understood = 0;
    for v in fixture_values() {
        let body = serde_json::to_vec(&v).unwrap();
        if DECODERS.iter().any(|(_, d)| d(&body).is_ok()) {
            understood += 1;
        }
    }
    assert!(understood >= 20, "only {understood} examples decoded");
}

#[test]
fn huge_declared_counts_allocate_nothing_up_front() {
    let mut m = Map::new();
    m.insert("status".into(), json!("OK"));
    m.insert(
        "entity".into(),
        json!({"total_entries": u64::MAX, "items": []}),
    );
    check_all(&serde_json::to_vec(&Value::Object(m)).unwrap());
    check_all(br#"{"pageNo":1,"pageCount":4294967295,"totalCount":18446744073709551615,"items":[],"retCode":"200000"}"#);
}
