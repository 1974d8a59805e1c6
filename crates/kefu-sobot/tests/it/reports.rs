//! tenantStaffJobList, tenantExportData (type 7 / 8), the report `sign`.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use kefu_core::model::ReportKind;
use kefu_core::{ErrorKind, Reports, TenantAdmin};
use kefu_sobot::TsUnit;
use kefu_sobot::auth::{SignInput, md5_hex};
use serde_json::json;

use crate::common::{builder, refusal, setup};

fn date(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 5, d).unwrap()
}

#[tokio::test]
async fn agent_stats_sum_the_days_asked() {
    let (sb, client) = setup().await;
    let stats = client.agent_stats(date(2), date(4)).await.unwrap();
    let mut want: BTreeMap<(String, String), [u64; 4]> = BTreeMap::new();
    for s in sb
        .sobot()
        .job_stats()
        .into_iter()
        .filter(|s| date(2) <= s.date && s.date <= date(4))
    {
        let e = want.entry((s.company_id, s.staff_id)).or_default();
        e[0] += s.first_response_time_set;
        e[1] += s.first_response_in60s;
        e[2] += s.transfer_first_response_count;
        e[3] += s.session_human_visitor_consult;
    }
    assert_eq!(stats.len(), want.len());
    for s in &stats {
        let w = want[&(s.company_id.clone(), s.agent_id.clone())];
        assert_eq!(s.first_responses, Some(w[0]));
        assert_eq!(s.transfer_first_responses, Some(w[2]));
        assert_eq!(s.valid_consultations, Some(w[3]));
        let pct = (w[1] * 100).checked_div(w[0]).unwrap_or(0);
        assert_eq!(s.first_response_in_60s_percent, Some(pct as f64));
    }
    let body = sb.requests()[0].json().unwrap();
    assert_eq!(
        (body["start_date"].as_str(), body["end_date"].as_str()),
        (Some("2024-05-02"), Some("2024-05-04"))
    );
}

#[tokio::test]
async fn both_report_exports() {
    let (sb, client) = setup().await;
    for kind in [ReportKind::Sessions, ReportKind::ResponseTimes] {
        let r = client.export_report(kind, date(5)).await.unwrap();
        assert_eq!(r.kind, kind);
        assert_eq!(r.date, Some(date(5)));
        let url = r.file_url.unwrap();
        assert!(
            url.ends_with(&format!("/{}/2024-05-05.zip", kind.code())),
            "{url}"
        );
        // Type 8 says reateTime; both decode to the same instant.
        assert_eq!(
            r.created_at.unwrap().to_rfc3339(),
            "2024-05-05T18:00:00+00:00"
        );
        assert_eq!(r.extra["unionCode"], "10004");
    }
    let types: Vec<String> = sb
        .requests()
        .iter()
        .map(|r| r.json().unwrap()["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(types, vec!["7", "8"]);
}

#[tokio::test]
async fn an_export_outside_the_data_is_not_found() {
    let (_sb, client) = setup().await;
    let e = client
        .export_report(ReportKind::Sessions, date(1).pred_opt().unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        refusal(&e),
        (
            ErrorKind::NotFound,
            "999999".into(),
            "报表数据不存在!".into()
        )
    );
}

#[tokio::test]
async fn report_ts_may_be_sent_in_seconds() {
    let (sb, _) = setup().await;
    let client = builder(&sb).ts_unit(TsUnit::Seconds).build().unwrap();
    client.app_keys().await.unwrap();
    let ts = sb.requests()[0].json().unwrap()["ts"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(ts.len(), 10, "{ts}");
}

#[tokio::test]
async fn the_report_sign_formula_can_be_replaced() {
    let (sb, client) = setup().await;
    // Sobot tells this platform another order; the default no longer passes.
    sb.control(
        "report_sign",
        json!({"parts": ["unionKey", "unionCode", "ts", "type"]}),
    )
    .unwrap();
    let e = client
        .export_report(ReportKind::Sessions, date(5))
        .await
        .unwrap_err();
    assert_eq!(refusal(&e).0, ErrorKind::Authentication);
    let custom = builder(&sb)
        .report_sign(Arc::new(|i: &SignInput<'_>| {
            let kind = i
                .params
                .iter()
                .find(|(k, _)| *k == "type")
                .map(|(_, v)| *v)
                .unwrap_or("");
            md5_hex(&[i.union_key.expose(), i.union_code, i.ts, kind])
        }))
        .build()
        .unwrap();
    custom
        .export_report(ReportKind::Sessions, date(5))
        .await
        .unwrap();
}

#[tokio::test]
async fn agent_stats_refusal_uses_the_endpoints_envelope() {
    let (sb, _) = setup().await;
    let client = builder(&sb).union_key("wrong").build().unwrap();
    let e = client.agent_stats(date(2), date(2)).await.unwrap_err();
    assert_eq!(refusal(&e).0, ErrorKind::Authentication);
    let e = client
        .export_report(ReportKind::ResponseTimes, date(2))
        .await
        .unwrap_err();
    assert_eq!(refusal(&e).1, "999998");
}
