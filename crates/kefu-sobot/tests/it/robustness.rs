//! Nothing a server sends makes a decoder panic: arbitrary bytes, and
//! arbitrary JSON shaped like the answers (right keys, wrong everything).

use kefu_core::model::ReportKind;
use kefu_core::time::Zone;
use kefu_sobot::decode;
use proptest::prelude::*;
use serde_json::{Map, Value};

const KEYS: &[&str] = &[
    "retCode",
    "ret_code",
    "retMsg",
    "ret_msg",
    "item",
    "items",
    "msg",
    "status",
    "10004",
    "data",
    "time",
    "pageNo",
    "pageCount",
    "totalCount",
    "companyId",
    "companyStaffInfos",
    "staffId",
    "staffLogInfos",
    "datetime",
    "createTime",
    "reateTime",
    "filePath",
    "taskType",
    "lastMsgTime",
    "lastMsgType",
    "staffid",
    "first_response_in60s_rate",
    "tenantStatus",
];

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop_oneof![
            Just("200000"),
            Just("000000"),
            Just("999999"),
            Just("1"),
            Just("100%"),
            Just(""),
            Just("x")
        ]
        .prop_map(Value::from),
        ".{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(|pairs| {
                Value::Object(
                    pairs
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect::<Map<_, _>>(),
                )
            }),
        ]
    })
}

fn decode_all(body: &[u8]) {
    let _ = decode::tenant_page(body, Zone::CHINA);
    let _ = decode::tenant_created(body);
    let _ = decode::ack(body);
    let _ = decode::app_keys(body, "10004");
    let _ = decode::staff_logs(body);
    let _ = decode::chats(body, Zone::CHINA);
    let _ = decode::agent_stats(body);
    let _ = decode::report_export(body, ReportKind::Sessions, Zone::CHINA);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..256)) {
        decode_all(&body);
    }

    #[test]
    fn arbitrary_answer_shapes_never_panic(value in json()) {
        decode_all(value.to_string().as_bytes());
    }
}
