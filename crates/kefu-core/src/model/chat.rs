use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::Extra;

/// One merchant conversation of a customer (Sobot `chatIndexPage` item).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatSummary {
    /// Merchant company id (`sysNum`).
    pub company_id: String,
    /// Merchant name.
    pub company_name: Option<String>,
    /// Merchant logo URL.
    pub company_logo: Option<String>,
    /// Visitor id.
    pub visitor_id: Option<String>,
    /// The customer's id on the platform (`partnerId`).
    pub partner_id: Option<String>,
    /// Latest conversation id (`lastCid`).
    pub last_session_id: Option<String>,
    /// Latest message kind.
    pub last_message_kind: Option<MessageKind>,
    /// Latest message text (when it is text).
    pub last_message: Option<String>,
    /// Latest message time.
    #[serde(serialize_with = "super::instant::option")]
    pub last_message_at: Option<DateTime<Utc>>,
    /// Unread messages.
    pub unread: Option<u32>,
    /// Vendor fields not mapped above.
    #[serde(default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// A message's kind (Sobot `lastMsgType`: 0 text, 1 image, 2 voice, other rich).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "code")]
pub enum MessageKind {
    /// 0.
    Text,
    /// 1.
    Image,
    /// 2.
    Voice,
    /// Anything else, with its code.
    Rich(i64),
}

impl MessageKind {
    /// From the vendor code.
    pub fn from_code(code: i64) -> Self {
        match code {
            0 => Self::Text,
            1 => Self::Image,
            2 => Self::Voice,
            other => Self::Rich(other),
        }
    }
}
