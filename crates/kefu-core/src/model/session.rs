use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::Extra;
use crate::error::{Error, Result};

/// A finished (or aborted) service session (Easemob `serviceSessionHistorys` item).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// `serviceSessionId`.
    pub id: String,
    /// Tenant id.
    pub tenant_id: Option<String>,
    /// `Terminal`, `Abort`, ...
    pub state: Option<String>,
    /// Channels (`originType`: webim, app, weixin, weibo, phone).
    pub channels: Vec<String>,
    /// Skill group (`queueId`).
    pub queue_id: Option<String>,
    /// The agent who served it (`agentUserId`).
    pub agent_id: Option<String>,
    /// That agent's nickname.
    pub agent_nickname: Option<String>,
    /// Every agent involved (`agentUserSet`).
    pub agents: Vec<SessionAgent>,
    /// The visitor (`visitorUser`).
    pub visitor: Option<Party>,
    /// The customer (`customer`).
    pub customer: Option<Party>,
    /// Created (`createDatetime`).
    #[serde(serialize_with = "super::instant::option")]
    pub created_at: Option<DateTime<Utc>>,
    /// Picked up by an agent (`startDateTime`).
    #[serde(serialize_with = "super::instant::option")]
    pub started_at: Option<DateTime<Utc>>,
    /// Ended (`stopDateTime`).
    #[serde(serialize_with = "super::instant::option")]
    pub stopped_at: Option<DateTime<Utc>>,
    /// Satisfaction score 0-5 (`enquirySummary`).
    pub satisfaction: Option<u8>,
    /// Satisfaction comment (`enquiryDetail`).
    pub satisfaction_detail: Option<String>,
    /// Session tags (`summarys`), grouped as the vendor groups them.
    pub summaries: Vec<Vec<SummaryTag>>,
    /// Agent's note (`comment`).
    pub comment: Option<String>,
    /// Transferred between agents.
    pub transferred: Option<bool>,
    /// Call-back (true) or inbound (false).
    pub from_agent_callback: Option<bool>,
    /// Vendor fields not mapped above.
    #[serde(default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// An agent taking part in a session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionAgent {
    /// `userId`.
    pub id: String,
    /// `username`.
    pub email: Option<String>,
    /// `nicename`.
    pub nickname: Option<String>,
    /// `trueName`.
    pub real_name: Option<String>,
}

/// A visitor or customer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    /// Vendor id.
    pub id: Option<String>,
    /// Nickname.
    pub nickname: Option<String>,
    /// Username or real name.
    pub name: Option<String>,
}

/// A session tag.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SummaryTag {
    /// Tag id.
    pub id: String,
    /// Tag name.
    pub name: Option<String>,
    /// Parent tag id.
    pub parent_id: Option<String>,
    /// Vendor fields not mapped above (`color`, ...).
    #[serde(default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// Which of a session's times a window applies to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum SessionTime {
    /// When it ended (default: finished sessions only).
    #[default]
    Stopped,
    /// When an agent picked it up.
    Started,
    /// When it was created.
    Created,
}

impl FromStr for SessionTime {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "stop" | "stopped" => Ok(Self::Stopped),
            "start" | "started" => Ok(Self::Started),
            "create" | "created" => Ok(Self::Created),
            _ => Err(Error::invalid(
                "by",
                format!("must be stop, start or create, not {s:?}"),
            )),
        }
    }
}

/// A session channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// Web (`webim`).
    Web,
    /// Mobile app (`app`).
    App,
    /// WeChat (`weixin`).
    Weixin,
    /// Weibo (`weibo`).
    Weibo,
    /// Call centre (`phone`).
    Phone,
}

impl Channel {
    /// The vendor's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Web => "webim",
            Self::App => "app",
            Self::Weixin => "weixin",
            Self::Weibo => "weibo",
            Self::Phone => "phone",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Channel {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "webim" => Ok(Self::Web),
            "app" => Ok(Self::App),
            "weixin" => Ok(Self::Weixin),
            "weibo" => Ok(Self::Weibo),
            "phone" => Ok(Self::Phone),
            _ => Err(Error::invalid(
                "channel",
                format!("must be webim, app, weixin, weibo or phone, not {s:?}"),
            )),
        }
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortOrder {
    /// Oldest first (default: new sessions land after the pages being read).
    #[default]
    Ascending,
    /// Newest first.
    Descending,
}

/// Which sessions to fetch: a time window and every filter the vendor offers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionQuery {
    /// Which time the window applies to.
    pub by: SessionTime,
    /// Window start (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Window end (inclusive).
    pub to: Option<DateTime<Utc>>,
    /// Channel.
    pub channel: Option<Channel>,
    /// Customer nickname.
    pub customer_name: Option<String>,
    /// Transferred or not.
    pub transferred: Option<bool>,
    /// Call-back or inbound.
    pub from_agent_callback: Option<bool>,
    /// Satisfaction score 0-5.
    pub satisfaction: Option<u8>,
    /// Skill groups.
    pub queue_ids: Vec<String>,
    /// Agents.
    pub agent_ids: Vec<String>,
    /// Sort direction over the window's time.
    pub order: SortOrder,
    /// Page size (vendor maximum when `None`).
    pub page_size: Option<u32>,
    /// Vendor parameters beyond the documented table (`state`, `isAgent`,
    /// `techChannelId`, ...), sent verbatim.
    pub vendor_params: Vec<(String, String)>,
}

impl SessionQuery {
    /// Sessions that ended within `[from, to]`.
    pub fn stopped_between(from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        Self {
            by: SessionTime::Stopped,
            from: Some(from),
            to: Some(to),
            ..Self::default()
        }
    }
}

impl crate::paging::Unique for Session {
    /// `serviceSessionId`.
    fn unique_id(&self) -> Option<&str> {
        Some(self.id.as_str()).filter(|id| !id.is_empty())
    }
}
