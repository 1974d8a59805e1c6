//! Every response example of the document, decoded with the client's own
//! decoders and snapshotted as the normalized result (or error).

use kefu_core::Result;
use kefu_core::model::ReportKind;
use kefu_core::time::Zone;
use kefu_sobot::decode;
use kefu_testkit::fixtures::sobot as doc;
use kefu_testkit::snapshot::normalized;
use serde::Serialize;
use serde_json::{Value, json};

/// A result as JSON: the records, or the error's kind, code and message.
fn outcome<T: Serialize>(r: Result<T>) -> Value {
    match r {
        Ok(v) => normalized(&v),
        Err(e) => json!({
            "error": format!("{:?}", e.kind()),
            "code": e.vendor_error().map(|v| v.code.clone()),
            "message": e.vendor_error().map(|v| v.message.clone()),
        }),
    }
}

#[test]
fn get_tenant_list() {
    let page = decode::tenant_page(doc::GET_TENANT_LIST_RESPONSE.as_bytes(), Zone::CHINA).unwrap();
    assert_eq!(
        (page.page_no, page.page_count, page.total_count),
        (Some(1), Some(1), Some(3))
    );
    insta::assert_json_snapshot!("example.getTenantList", normalized(&page.items));
}

#[test]
fn add_tenant() {
    insta::assert_json_snapshot!(
        "example.addTenant.json",
        json!({
            "ok": outcome(decode::tenant_created(doc::ADD_TENANT_RESPONSE_OK.as_bytes())),
            "exists": outcome(decode::tenant_created(doc::ADD_TENANT_RESPONSE_EXISTS.as_bytes())),
            "quota": outcome(decode::tenant_created(doc::ADD_TENANT_RESPONSE_QUOTA.as_bytes())),
        })
    );
}

#[test]
fn acknowledged_writes() {
    let ack = |text: &str| outcome(decode::ack(text.as_bytes()));
    insta::assert_json_snapshot!(
        "example.acks",
        json!({
            "updateTenant.json": [
                ack(doc::UPDATE_TENANT_RESPONSE_OK),
                ack(doc::UPDATE_TENANT_RESPONSE_NOT_FOUND),
                ack(doc::UPDATE_TENANT_RESPONSE_QUOTA),
            ],
            "addServiceInfoConfim.json": [
                ack(doc::ADD_SERVICE_INFO_RESPONSE_OK),
                ack(doc::ADD_SERVICE_INFO_RESPONSE_NOT_FOUND),
                ack(doc::ADD_SERVICE_INFO_RESPONSE_SESSION_EXPIRED),
            ],
            "updateServiceInfoConfim.json": [
                ack(doc::UPDATE_SERVICE_INFO_RESPONSE_OK),
                ack(doc::UPDATE_SERVICE_INFO_RESPONSE_NOT_FOUND),
                ack(doc::UPDATE_SERVICE_INFO_RESPONSE_EMAIL_INACTIVE),
            ],
            "deleteServiceInfoConfim": [
                ack(doc::DELETE_SERVICE_INFO_RESPONSE_OK),
                ack(doc::DELETE_SERVICE_INFO_RESPONSE_NOT_FOUND),
                ack(doc::DELETE_SERVICE_INFO_RESPONSE_EMAIL_INACTIVE),
            ],
        })
    );
}

#[test]
fn tenant_export_data() {
    insta::assert_json_snapshot!(
        "example.tenantExportData",
        json!({
            "type7": outcome(decode::report_export(
                doc::TENANT_EXPORT_DATA_TYPE7_RESPONSE.as_bytes(),
                ReportKind::Sessions,
                Zone::CHINA
            )),
            "type8": outcome(decode::report_export(
                doc::TENANT_EXPORT_DATA_TYPE8_RESPONSE.as_bytes(),
                ReportKind::ResponseTimes,
                Zone::CHINA
            )),
        })
    );
}

#[test]
fn get_batch_app_key() {
    // As published, with its trailing comma: undecodable, and no panic.
    let verbatim =
        decode::app_keys(doc::GET_BATCH_APP_KEY_RESPONSE.as_bytes(), "10004").unwrap_err();
    assert_eq!(verbatim.kind(), kefu_core::ErrorKind::Decode);
    let keys = decode::app_keys(
        doc::GET_BATCH_APP_KEY_RESPONSE_CORRECTED.as_bytes(),
        "10004",
    );
    insta::assert_json_snapshot!("example.getBatchAppKey", outcome(keys));
}

#[test]
fn get_staff_log_infos() {
    let logs = decode::staff_logs(doc::GET_STAFF_LOG_INFOS_RESPONSE.as_bytes());
    insta::assert_json_snapshot!("example.getStaffLogInfos", outcome(logs));
}

#[test]
fn chat_index_page() {
    let chats = decode::chats(doc::CHAT_INDEX_PAGE_RESPONSE.as_bytes(), Zone::CHINA);
    insta::assert_json_snapshot!("example.chatIndexPage", outcome(chats));
}

#[test]
fn tenant_staff_job_list() {
    let stats = decode::agent_stats(doc::TENANT_STAFF_JOB_LIST_RESPONSE.as_bytes());
    insta::assert_json_snapshot!("example.tenantStaffJobList", outcome(stats));
}
