//! Nothing a server sends makes the decoders panic: any JSON in any field,
//! any bytes as a body, any HTTP status.

use kefu_core::time::Zone;
use kefu_easemob::decode;
use kefu_http::WireResponse;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Field names the decoders look for, so generated records hit them with
/// every kind of value, plus a few others.
const KEYS: &[&str] = &[
    "status",
    "entity",
    "entities",
    "items",
    "total_entries",
    "last",
    "accessToken",
    "expireTime",
    "userId",
    "username",
    "nicename",
    "trueName",
    "mobilePhone",
    "agentNumber",
    "roles",
    "roleList",
    "role_name",
    "role_id",
    "maxServiceSessionCount",
    "createDateTime",
    "lastUpdateDateTime",
    "created_at",
    "serviceSessionId",
    "summarys",
    "originType",
    "enquirySummary",
    "agentUserSet",
    "visitorUser",
    "customer",
    "stopDateTime",
    "transfered",
    "errorCode",
    "id",
    "parentId",
    "x",
];

fn key() -> impl Strategy<Value = String> {
    prop::sample::select(KEYS).prop_map(str::to_owned)
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "[ -~]{0,16}".prop_map(Value::String),
        prop::sample::select(vec![
            "OK",
            "FAIL",
            "API_104",
            "10",
            "",
            "2018-04-19 15:00:59",
            "2018-03-23T16:02:02.000+0800",
            "Enable",
            "admin,agent"
        ])
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..10)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn every_decoder(response: &WireResponse) {
    let _ = decode::access_token(response);
    let _ = decode::acknowledged(response);
    let _ = decode::agents_page(response, Zone::CHINA);
    let _ = decode::added_agent(response, Zone::CHINA);
    let _ = decode::roles(response, Zone::CHINA);
    let _ = decode::sessions_page(response, Zone::CHINA);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_json_answer_is_decoded_or_refused_without_panicking(body in json_value(), status in prop::sample::select(vec![200u16, 400, 401, 404, 500, 502])) {
        every_decoder(&WireResponse::new(status, serde_json::to_vec(&body).unwrap_or_default()));
        // The same value wrapped where records are expected.
        let wrapped = json!({"status": "OK", "entity": {"items": [body.clone()], "accessToken": body.clone()}, "entities": [body.clone()]});
        every_decoder(&WireResponse::new(200, serde_json::to_vec(&wrapped).unwrap_or_default()));
        if let Value::Object(record) = body {
            let _ = decode::agent(record.clone(), Zone::CHINA);
            let _ = decode::role(record.clone(), Zone::CHINA);
            let _ = decode::session(record, Zone::CHINA);
        }
    }

    #[test]
    fn any_bytes_are_decoded_or_refused_without_panicking(body in prop::collection::vec(any::<u8>(), 0..256), status in 100u16..600) {
        every_decoder(&WireResponse::new(status, body));
    }
}

#[test]
fn a_refusal_names_the_code_whatever_carries_it() {
    let shapes = [
        json!({"status": "FAIL", "errorCode": "API_104", "errorDescription": "agent user not exist"}),
        json!({"code": "API_104", "message": "agent user not exist"}),
        json!({"status": "FAIL", "entity": {"error": "API_104", "msg": "agent user not exist"}}),
        json!({"error": {"error_code": "API_104", "error_description": "agent user not exist"}}),
    ];
    for shape in shapes {
        for status in [200, 400, 404, 500] {
            let e =
                decode::acknowledged(&WireResponse::new(status, shape.to_string())).unwrap_err();
            let v = e
                .vendor_error()
                .unwrap_or_else(|| panic!("{shape} {status}: {e}"));
            assert_eq!(
                (v.code.as_str(), v.message.as_str()),
                ("API_104", "agent user not exist"),
                "{shape}"
            );
            assert_eq!(e.kind(), kefu_core::ErrorKind::NotFound);
        }
    }
}
