//! chatIndexPage.

use kefu_core::model::MessageKind;
use kefu_core::{ErrorKind, SessionHistory};

use crate::common::{builder, refusal, setup};

#[tokio::test]
async fn a_customers_chats_with_every_merchant() {
    let (sb, client) = setup().await;
    let partner = &sb.sobot().partner_ids()[0];
    let chats = client.chats(partner).await.unwrap();
    let seeded = sb.sobot().chats_of(partner);
    assert!(!seeded.is_empty());
    assert_eq!(chats.len(), seeded.len());
    for (got, want) in chats.iter().zip(&seeded) {
        assert_eq!(got.company_id, want.sys_num);
        assert_eq!(
            got.company_name.as_deref(),
            Some(want.company_name.as_str())
        );
        assert_eq!(got.partner_id.as_deref(), Some(partner.as_str()));
        assert_eq!(got.last_session_id.as_deref(), Some(want.last_cid.as_str()));
        assert_eq!(
            got.last_message_at.map(|t| t.timestamp_millis()),
            Some(want.last_msg_time)
        );
        assert_eq!(
            got.last_message_kind,
            Some(MessageKind::from_code(want.last_msg_type))
        );
        assert_eq!(got.unread, Some(want.un_read_num));
        assert_eq!(got.extra["unionCode"], "10004");
    }
}

#[tokio::test]
async fn an_unknown_customer_has_no_chats() {
    let (_sb, client) = setup().await;
    assert!(client.chats("nobody").await.unwrap().is_empty());
}

#[tokio::test]
async fn status_3_and_5_are_authentication_failures() {
    let (sb, _) = setup().await;
    let wrong_code = builder(&sb).union_code("99999").build().unwrap();
    let e = wrong_code.chats("partner-001").await.unwrap_err();
    assert_eq!(
        refusal(&e),
        (
            ErrorKind::Authentication,
            "status 3".into(),
            "unionCode 异常".into()
        )
    );
    let wrong_key = builder(&sb).union_key("wrong").build().unwrap();
    let e = wrong_key.chats("partner-001").await.unwrap_err();
    assert_eq!(
        refusal(&e),
        (
            ErrorKind::Authentication,
            "status 5".into(),
            "token 校验异常".into()
        )
    );
}
