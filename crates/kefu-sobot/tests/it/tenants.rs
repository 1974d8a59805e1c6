//! getTenantList, addTenant.json, updateTenant.json, getBatchAppKey.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use futures_util::TryStreamExt;
use kefu_core::model::{NewTenant, Tenant, TenantQuery, TenantSearch, TenantStatus, TenantUpdate};
use kefu_core::{ErrorKind, Secret, TenantAdmin};
use kefu_testkit::sandbox::SeedConfig;
use kefu_testkit::sandbox::sobot;

use crate::common::{builder, refusal, setup};

async fn list(client: &impl TenantAdmin, query: TenantQuery) -> Vec<Tenant> {
    client
        .list_tenants(&query)
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

fn new_tenant(code: &str) -> NewTenant {
    NewTenant {
        customer_code: code.to_owned(),
        name: format!("新商户 {code}"),
        email: format!("boss@{}.example.com", code.to_lowercase()),
        password: Some(Secret::new("Init-Pass-1")),
        max_agents: 5,
        contact_name: Some("王五".to_owned()),
        contact_tel: Some("13900000000".to_owned()),
        icon: None,
    }
}

#[tokio::test]
async fn every_page_is_read_in_order() {
    let (sb, client) = setup().await;
    let query = TenantQuery {
        page_size: Some(5),
        ..TenantQuery::default()
    };
    let tenants = list(&client, query).await;
    let expected: Vec<String> = sb.tenants().into_iter().map(|t| t.company_id).collect();
    assert_eq!(
        tenants
            .iter()
            .map(|t| t.company_id.clone())
            .collect::<Vec<_>>(),
        expected
    );
    let pages: Vec<i64> = sb
        .log()
        .to_route("POST", "/tenantpro/open/getTenantList")
        .iter()
        .map(|r| r.json().unwrap()["pageNo"].as_i64().unwrap())
        .collect();
    assert_eq!(pages, vec![1, 2, 3]);
    // Every field the sandbox knows arrives mapped.
    let first = &tenants[0];
    let seeded = sb.tenant("M001").unwrap();
    assert_eq!(first.customer_code.as_deref(), Some("M001"));
    assert_eq!(first.name, seeded.company_name);
    assert_eq!(first.max_agents, Some(seeded.max_count));
    assert_eq!(first.agents_in_use, Some(seeded.staff.len() as u32));
    assert_eq!(first.created_on, Some(seeded.created_on));
    assert_eq!(first.app_key.as_deref(), Some(seeded.app_key.as_str()));
    assert_eq!(first.enabled, Some(true));
    assert!(
        first.extra.contains_key("provinceId"),
        "unmapped fields are kept: {:?}",
        first.extra
    );
}

#[tokio::test]
async fn a_server_page_shorter_than_asked_does_not_end_the_list() {
    // The sandbox serves at most 100 a page; asking 500 must still read all.
    let config = SeedConfig {
        tenants: 250,
        agents: 1,
        ..SeedConfig::default()
    };
    let sb = sobot::start(config).await.unwrap();
    let client = builder(&sb).build().unwrap();
    let query = TenantQuery {
        page_size: Some(500),
        ..TenantQuery::default()
    };
    let tenants = list(&client, query).await;
    let ids: BTreeSet<String> = tenants.iter().map(|t| t.company_id.clone()).collect();
    assert_eq!((tenants.len(), ids.len()), (250, 250));
    assert_eq!(sb.log().len(), 3);
}

#[tokio::test]
async fn every_filter_reaches_the_vendor() {
    let (sb, client) = setup().await;
    let all = sb.tenants();
    let open = list(
        &client,
        TenantQuery {
            status: TenantStatus::Open,
            ..TenantQuery::default()
        },
    )
    .await;
    let closed = list(
        &client,
        TenantQuery {
            status: TenantStatus::Closed,
            ..TenantQuery::default()
        },
    )
    .await;
    assert_eq!(open.len(), all.iter().filter(|t| t.open).count());
    assert_eq!(closed.len(), all.iter().filter(|t| !t.open).count());
    assert!(!closed.is_empty() && closed.iter().all(|t| t.enabled == Some(false)));

    let from = all[2].created_on;
    let to = all[4].created_on;
    let in_range = list(
        &client,
        TenantQuery {
            from: Some(from),
            to: Some(to),
            ..TenantQuery::default()
        },
    )
    .await;
    assert_eq!(
        in_range
            .iter()
            .map(|t| t.customer_code.clone().unwrap())
            .collect::<Vec<_>>(),
        vec!["M003", "M004", "M005"]
    );

    let by_code = list(
        &client,
        TenantQuery {
            search: Some(TenantSearch::ExternalId("M007".into())),
            ..TenantQuery::default()
        },
    )
    .await;
    assert_eq!(by_code.len(), 1);
    assert_eq!(by_code[0].customer_code.as_deref(), Some("M007"));
    // 1 is a fuzzy name match: 样例商户1x.
    let by_name = list(
        &client,
        TenantQuery {
            search: Some(TenantSearch::Name("商户1".into())),
            ..TenantQuery::default()
        },
    )
    .await;
    assert_eq!(by_name.len(), 3);
    let by_account = list(
        &client,
        TenantQuery {
            search: Some(TenantSearch::Account("m012".into())),
            ..TenantQuery::default()
        },
    )
    .await;
    assert_eq!(by_account.len(), 1);
    let by_phone = list(
        &client,
        TenantQuery {
            search: Some(TenantSearch::Phone("13100000011".into())),
            ..TenantQuery::default()
        },
    )
    .await;
    assert_eq!(by_phone.len(), 1);

    let bodies: Vec<serde_json::Value> = sb.requests().iter().filter_map(|r| r.json()).collect();
    assert!(bodies.iter().any(|b| b["openStatus"] == "0"));
    assert!(
        bodies
            .iter()
            .any(|b| b["startDate"] == from.to_string() && b["endDate"] == to.to_string())
    );
    for (status, value) in [
        ("4", "M007"),
        ("1", "商户1"),
        ("2", "m012"),
        ("3", "13100000011"),
    ] {
        assert!(
            bodies
                .iter()
                .any(|b| b["inputStatus"] == status && b["inputValue"] == value),
            "{status}"
        );
    }
}

#[tokio::test]
async fn add_tenant_opens_it_with_what_was_sent() {
    let (sb, client) = setup().await;
    let created = client.add_tenant(&new_tenant("SHOP42")).await.unwrap();
    let stored = sb.tenant("SHOP42").expect("the sandbox has it");
    assert_eq!(created.app_key.as_deref(), Some(stored.app_key.as_str()));
    assert_eq!(
        created.company_id.as_deref(),
        Some(stored.company_id.as_str())
    );
    assert_eq!(created.contact_name.as_deref(), Some("王五"));
    assert_eq!(stored.password, "Init-Pass-1");
    assert_eq!(stored.max_count, 5);
    assert_eq!(stored.email, "boss@shop42.example.com");
    // It now lists like any other.
    let found = list(
        &client,
        TenantQuery {
            search: Some(TenantSearch::ExternalId("SHOP42".into())),
            ..TenantQuery::default()
        },
    )
    .await;
    assert_eq!(found.len(), 1);
}

#[tokio::test]
async fn add_tenant_refusals_are_typed_with_the_vendor_words() {
    let (sb, client) = setup().await;
    let e = client.add_tenant(&new_tenant("M001")).await.unwrap_err();
    assert_eq!(
        refusal(&e),
        (
            ErrorKind::AlreadyExists,
            "999999".into(),
            "customerCode 已存在!".into()
        )
    );

    let mut greedy = new_tenant("GREEDY");
    greedy.max_agents = 1_000_000;
    let e = client.add_tenant(&greedy).await.unwrap_err();
    assert_eq!(
        refusal(&e),
        (
            ErrorKind::QuotaExceeded,
            "200007".into(),
            "在线客服数量不足".into()
        )
    );

    let mut long = new_tenant("LONG");
    long.name = "名".repeat(51);
    let e = client.add_tenant(&long).await.unwrap_err();
    // 220001 is the caller's input at fault: invalid input naming the
    // vendor's field, with the code and message kept in the reason.
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(e.field(), Some("companyName"));
    assert!(
        e.to_string()
            .contains("220001: [companyName] 的长度超过最大限制,最多允许 50 个字符"),
        "{e}"
    );
    assert!(sb.tenant("GREEDY").is_none() && sb.tenant("LONG").is_none());
}

#[tokio::test]
async fn update_tenant_sets_every_field() {
    let (sb, client) = setup().await;
    let update = TenantUpdate {
        customer_code: "M002".into(),
        name: "改名商户".into(),
        email: "new-admin@m002.example.com".into(),
        max_agents: 40,
        contact_name: Some("赵六".into()),
        contact_tel: Some("13700000000".into()),
    };
    client.update_tenant(&update).await.unwrap();
    let t = sb.tenant("M002").unwrap();
    assert_eq!(
        (
            t.company_name.as_str(),
            t.email.as_str(),
            t.max_count,
            t.contact_name.as_deref(),
            t.contact_tel.as_deref()
        ),
        (
            "改名商户",
            "new-admin@m002.example.com",
            40,
            Some("赵六"),
            Some("13700000000")
        )
    );
}

#[tokio::test]
async fn update_tenant_refusals() {
    let (sb, client) = setup().await;
    let mut update = TenantUpdate {
        customer_code: "NOPE".into(),
        name: "x".into(),
        email: "a@b.example.com".into(),
        max_agents: 5,
        contact_name: None,
        contact_tel: None,
    };
    let e = client.update_tenant(&update).await.unwrap_err();
    assert_eq!(
        refusal(&e),
        (ErrorKind::NotFound, "999999".into(), "商户不存在!".into())
    );
    // Fewer seats than the merchant's staff.
    update.customer_code = "M001".into();
    update.max_agents = 1;
    let e = client.update_tenant(&update).await.unwrap_err();
    assert_eq!(refusal(&e).0, ErrorKind::QuotaExceeded);
    assert_ne!(sb.tenant("M001").unwrap().max_count, 1);
}

#[tokio::test]
async fn app_keys_are_unnested_from_the_union_code() {
    let (sb, client) = setup().await;
    let keys = client.app_keys().await.unwrap();
    let expected: Vec<(String, String, String)> = sb
        .tenants()
        .into_iter()
        .map(|t| (t.app_id, t.app_key, t.company_id))
        .collect();
    let got: Vec<(String, String, String)> = keys
        .iter()
        .map(|k| (k.app_id.clone(), k.app_key.clone(), k.company_id.clone()))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(keys[0].company_name.as_deref(), Some("样例商户01"));
    // The answer's time is kept with each record.
    assert!(
        keys[0]
            .extra
            .get("time")
            .and_then(|t| t.as_str())
            .is_some_and(|t| t.len() == 19)
    );
}

#[tokio::test]
async fn the_created_date_is_a_date() {
    let (_sb, client) = setup().await;
    let tenants = list(&client, TenantQuery::default()).await;
    assert_eq!(tenants[0].created_on, NaiveDate::from_ymd_opt(2024, 5, 1));
    assert_eq!(tenants[0].ends_on, NaiveDate::from_ymd_opt(2099, 12, 31));
}

/// Tenants opened while a listing pages through must neither repeat nor
/// push anyone out, whichever order the vendor lists in (the document does
/// not say): every tenant that existed when the listing began appears
/// exactly once.
#[tokio::test]
async fn tenants_opened_during_a_listing_neither_repeat_nor_drop_anyone() {
    use futures_util::StreamExt;
    for newest_first in [false, true] {
        let sb = sobot::start(SeedConfig {
            tenants: 30,
            agents: 1,
            ..SeedConfig::default()
        })
        .await
        .unwrap();
        sb.sobot().set_newest_first(newest_first);
        let client = builder(&sb).build().unwrap();
        let before: BTreeSet<String> = sb.tenants().into_iter().map(|t| t.company_id).collect();
        let query = TenantQuery {
            page_size: Some(10),
            ..TenantQuery::default()
        };
        let mut stream = client.list_tenants(&query).unwrap();
        let mut seen = vec![stream.next().await.unwrap().unwrap().company_id];
        for i in 0..7 {
            client
                .add_tenant(&new_tenant(&format!("MID{i}")))
                .await
                .unwrap();
        }
        while let Some(t) = stream.next().await {
            seen.push(t.unwrap().company_id);
        }
        let unique: BTreeSet<String> = seen.iter().cloned().collect();
        assert_eq!(
            unique.len(),
            seen.len(),
            "newest_first={newest_first}: a tenant was listed twice"
        );
        assert!(
            before.is_subset(&unique),
            "newest_first={newest_first}: a tenant was dropped"
        );
    }
}

/// Once page 1 tells the page count, the other pages are fetched several at
/// a time (default 4) through the shared pager, still handed out in order.
#[tokio::test]
async fn pages_after_the_first_are_fetched_several_at_a_time() {
    let sb = sobot::start(SeedConfig {
        tenants: 45,
        agents: 1,
        ..SeedConfig::default()
    })
    .await
    .unwrap();
    let expected: Vec<String> = sb.tenants().into_iter().map(|t| t.company_id).collect();
    let query = TenantQuery {
        page_size: Some(5),
        ..TenantQuery::default()
    };
    sb.sandbox()
        .chaos()
        .set_latency(std::time::Duration::from_millis(150));
    let client = builder(&sb).build().unwrap();
    let started = std::time::Instant::now();
    let all = list(&client, query.clone()).await;
    let elapsed = started.elapsed();
    let ids: Vec<String> = all.into_iter().map(|t| t.company_id).collect();
    assert_eq!(ids, expected);
    // Nine pages one after another take 1.35 s; page 1 then eight, four at
    // a time, about 0.45 s.
    assert!(
        elapsed < std::time::Duration::from_millis(1000),
        "{elapsed:?}"
    );
    let sequential = builder(&sb).page_concurrency(1).build().unwrap();
    let started = std::time::Instant::now();
    assert_eq!(list(&sequential, query).await.len(), 45);
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(1350),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_tenant_page_served_again_and_again_is_an_error_not_success() {
    for concurrency in [1, 4] {
        let (sb, _) = setup().await;
        let client = builder(&sb).page_concurrency(concurrency).build().unwrap();
        let query = TenantQuery {
            page_size: Some(5),
            ..TenantQuery::default()
        };
        let mut stream = client.list_tenants(&query).unwrap();
        let mut n = 0;
        let error = loop {
            match futures_util::StreamExt::next(&mut stream).await {
                Some(Ok(_)) => {
                    n += 1;
                    if n == 1 {
                        sb.sandbox()
                            .chaos()
                            .inject(kefu_testkit::sandbox::Fault::Replay, 1_000);
                    }
                }
                Some(Err(e)) => break e,
                None => panic!("x{concurrency}: success after {n} tenants"),
            }
        };
        assert_eq!(error.kind(), ErrorKind::Decode, "{error}");
        assert!(error.to_string().contains("repeats 5 records"), "{error}");
        assert_eq!(n, 5);
    }
}
