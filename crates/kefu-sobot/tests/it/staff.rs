//! addServiceInfoConfim.json, updateServiceInfoConfim.json,
//! deleteServiceInfoConfim and the fixed roles, in merchant M001.

use std::sync::Arc;

use chrono::Duration;
use kefu_core::model::{AgentUpdate, NewAgent};
use kefu_core::{AgentAdmin, ErrorKind, FixedClock, Secret};

use crate::common::{builder, fixed_now, refusal, setup, setup_fixed};

pub fn new_agent(email: &str) -> NewAgent {
    NewAgent {
        email: email.to_owned(),
        nickname: "小智".to_owned(),
        real_name: "张三".to_owned(),
        password: Some(Secret::new("Agent-Pass-1")),
        role: "online-admin".to_owned(),
        max_sessions: 12,
        phone: Some("13912345678".to_owned()),
        agent_number: None,
    }
}

pub fn full_update(email: &str) -> AgentUpdate {
    AgentUpdate {
        email: email.to_owned(),
        nickname: Some("新昵称".to_owned()),
        real_name: Some("李四".to_owned()),
        phone: Some("13800000001".to_owned()),
        max_sessions: Some(3),
        ..AgentUpdate::default()
    }
}

#[tokio::test]
async fn add_agent_creates_staff_in_the_clients_merchant() {
    let (sb, client) = setup().await;
    assert_eq!(
        client
            .add_agent(&new_agent("new@m001.example.com"))
            .await
            .unwrap(),
        None
    );
    let s = sb
        .staff("M001", "new@m001.example.com")
        .expect("created in M001");
    assert_eq!(
        (s.nick.as_str(), s.name.as_str(), s.role_id.as_str()),
        ("小智", "张三", "2222")
    );
    assert_eq!(
        (s.phone_no, s.max_accept_num, s.password.as_deref()),
        (13_912_345_678, 12, Some("Agent-Pass-1"))
    );
    // for_tenant scopes a clone to another merchant.
    client
        .for_tenant("M002")
        .add_agent(&new_agent("new@m002.example.com"))
        .await
        .unwrap();
    assert!(sb.staff("M002", "new@m002.example.com").is_some());
    assert!(sb.staff("M001", "new@m002.example.com").is_none());
}

#[tokio::test]
async fn staff_beyond_max_count_is_a_quota_refusal() {
    let (sb, client) = setup().await;
    let t = sb.tenant("M003").unwrap();
    let client = client.for_tenant("M003");
    let free = t.max_count as usize - t.staff.len();
    for i in 0..free {
        client
            .add_agent(&new_agent(&format!("extra{i}@m003.example.com")))
            .await
            .unwrap();
    }
    let e = client
        .add_agent(&new_agent("one-too-many@m003.example.com"))
        .await
        .unwrap_err();
    assert_eq!(
        refusal(&e),
        (
            ErrorKind::QuotaExceeded,
            "200007".into(),
            "在线客服数量不足".into()
        )
    );
    assert_eq!(sb.tenant("M003").unwrap().staff.len(), t.max_count as usize);
}

#[tokio::test]
async fn add_agent_refusals() {
    let (_sb, client) = setup().await;
    let e = client
        .for_tenant("NOPE")
        .add_agent(&new_agent("a@nope.example.com"))
        .await
        .unwrap_err();
    assert_eq!(
        refusal(&e),
        (ErrorKind::NotFound, "999999".into(), "商户不存在!".into())
    );
    let e = client
        .add_agent(&new_agent("agent01@m001.example.com"))
        .await
        .unwrap_err();
    assert_eq!(refusal(&e).0, ErrorKind::AlreadyExists);
}

#[tokio::test]
async fn update_agent_sets_the_required_fields() {
    let (sb, client) = setup().await;
    client
        .update_agent(&full_update("agent01@m001.example.com"))
        .await
        .unwrap();
    let s = sb.staff("M001", "agent01@m001.example.com").unwrap();
    assert_eq!(
        (
            s.nick.as_str(),
            s.name.as_str(),
            s.phone_no,
            s.max_accept_num
        ),
        ("新昵称", "李四", 13_800_000_001, 3)
    );
}

#[tokio::test]
async fn update_and_delete_refusals_keep_the_vendor_words() {
    let (sb, client) = setup().await;
    // The last seeded staff member of each merchant never activated the email.
    let inactive = "agent25@m001.example.com";
    assert!(!sb.staff("M001", inactive).unwrap().activated);
    let words = "客户邮箱未激活,请激活后再次尝试修改客户信息!";
    let e = client
        .update_agent(&full_update(inactive))
        .await
        .unwrap_err();
    assert_eq!(
        refusal(&e),
        (ErrorKind::Vendor, "999999".into(), words.into())
    );
    let e = client.delete_agent(inactive).await.unwrap_err();
    assert_eq!(
        refusal(&e),
        (ErrorKind::Vendor, "999999".into(), words.into())
    );

    let e = client
        .for_tenant("NOPE")
        .update_agent(&full_update("a@b.example.com"))
        .await
        .unwrap_err();
    assert_eq!(
        refusal(&e),
        (ErrorKind::NotFound, "999999".into(), "商户不存在!".into())
    );
    let e = client
        .for_tenant("NOPE")
        .delete_agent("a@b.example.com")
        .await
        .unwrap_err();
    assert_eq!(refusal(&e).0, ErrorKind::NotFound);
    let e = client
        .delete_agent("nobody@m001.example.com")
        .await
        .unwrap_err();
    assert_eq!(refusal(&e).0, ErrorKind::NotFound);
}

#[tokio::test]
async fn delete_agent_removes_the_staff_member() {
    let (sb, client) = setup().await;
    client
        .delete_agent("agent02@m001.example.com")
        .await
        .unwrap();
    assert!(sb.staff("M001", "agent02@m001.example.com").is_none());
}

#[tokio::test]
async fn roles_are_the_four_fixed_ones_without_io() {
    let (sb, client) = setup().await;
    let roles = client.list_roles().await.unwrap();
    let got: Vec<(&str, &str, &str)> = roles
        .iter()
        .map(|r| {
            (
                r.id.as_str(),
                r.name.as_str(),
                r.extra["alias"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("1111", "在线客服", "online-agent"),
            ("2222", "在线管理员", "online-admin"),
            ("5555", "工单客服", "ticket-agent"),
            ("8888", "工单管理员", "ticket-admin"),
        ]
    );
    assert!(sb.log().is_empty());
}

#[tokio::test]
async fn a_wrong_union_key_is_an_authentication_failure() {
    let (sb, _) = setup().await;
    let client = builder(&sb).union_key("not-the-key").build().unwrap();
    let e = client
        .add_agent(&new_agent("x@m001.example.com"))
        .await
        .unwrap_err();
    assert_eq!(
        refusal(&e),
        (
            ErrorKind::Authentication,
            "999998".into(),
            "请求失败!登录已失效,请重新登录!".into()
        )
    );
    // Refusals are final: one request, not retried.
    assert_eq!(sb.log().len(), 1);
    assert!(sb.staff("M001", "x@m001.example.com").is_none());
}

#[tokio::test]
async fn a_stale_ts_is_refused() {
    let (sb, _client, _clock) = setup_fixed().await;
    // The client's clock runs six minutes behind the sandbox's.
    let behind = Arc::new(FixedClock::new(fixed_now() - Duration::minutes(6)));
    let late = builder(&sb).clock(behind).build().unwrap();
    let e = late
        .delete_agent("agent03@m001.example.com")
        .await
        .unwrap_err();
    assert_eq!(refusal(&e).0, ErrorKind::Authentication);
    // Four minutes behind is within the tolerance.
    let close = Arc::new(FixedClock::new(fixed_now() - Duration::minutes(4)));
    builder(&sb)
        .clock(close)
        .build()
        .unwrap()
        .delete_agent("agent03@m001.example.com")
        .await
        .unwrap();
}
