//! The Sobot sandbox's data: records, and the deterministic seed.

use std::collections::VecDeque;

use chrono::{Days, NaiveDate};
use kefu_core::time::Zone;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::sandbox::SeedConfig;

/// A merchant tenant, with its staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenantRecord {
    /// `companyId` (also `sysNum`).
    pub company_id: String,
    /// `customerCode`, the platform's own id of the merchant.
    pub customer_code: String,
    /// `companyName`.
    pub company_name: String,
    /// The merchant super-admin's `email`.
    pub email: String,
    /// The super-admin `password` as received (a sandbox keeps it to prove it arrived).
    pub password: String,
    /// `maxCount`: staff seats.
    pub max_count: u32,
    /// `contactName`.
    pub contact_name: Option<String>,
    /// `contactTel`.
    pub contact_tel: Option<String>,
    /// `icon`.
    pub icon: Option<String>,
    /// `tenantStatus`: open (true) or closed.
    pub open: bool,
    /// `createTime`.
    pub created_on: NaiveDate,
    /// `endTime`.
    pub ends_on: NaiveDate,
    /// `appId`.
    pub app_id: String,
    /// `appKey`.
    pub app_key: String,
    /// The merchant's staff.
    pub staff: Vec<StaffRecord>,
}

/// A staff member (客服) of a merchant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffRecord {
    /// `staffId`.
    pub staff_id: String,
    /// `email`, unique.
    pub email: String,
    /// `nick` / `serviceNick`.
    pub nick: String,
    /// `name` / `serviceName`.
    pub name: String,
    /// `roleId`: 1111, 2222, 5555 or 8888.
    pub role_id: String,
    /// `phoneNo`.
    pub phone_no: u64,
    /// `maxAcceptNum`.
    pub max_accept_num: u32,
    /// `password`, when one was given.
    pub password: Option<String>,
    /// Whether the staff email was activated (edits and deletes of an
    /// inactive one are refused: 客户邮箱未激活).
    pub activated: bool,
}

/// One staff status change (getStaffLogInfos).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct StatusLogEntry {
    /// `datetime`, epoch ms.
    pub datetime: i64,
    /// `companyId`.
    pub company_id: String,
    /// `staffId`.
    pub staff_id: String,
    /// `operationAction` (在线, 忙碌, 离线).
    pub action: String,
    /// `source`: 0 pc, 2 app.
    pub source: i64,
}

/// One customer's conversation with one merchant (chatIndexPage).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatRecord {
    /// `partnerId`, the platform's customer id.
    pub partner_id: String,
    /// `sysNum`, the merchant's company id.
    pub sys_num: String,
    /// `companyName`.
    pub company_name: String,
    /// `companyLogo`.
    pub company_logo: String,
    /// `visitorId`.
    pub visitor_id: String,
    /// `lastCid`.
    pub last_cid: String,
    /// `lastMsgContent`.
    pub last_msg_content: String,
    /// `lastMsgTime`, epoch ms.
    pub last_msg_time: i64,
    /// `lastMsgType`: 0 text, 1 image, 2 voice, other rich.
    pub last_msg_type: i64,
    /// `unReadNum`.
    pub un_read_num: u32,
}

/// One staff member's figures of one day (tenantStaffJobList sums them
/// over the asked range).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobStat {
    /// The day (UTC+8).
    pub date: NaiveDate,
    /// `companyid`.
    pub company_id: String,
    /// `staffid`.
    pub staff_id: String,
    /// `first_response_time_set`.
    pub first_response_time_set: u64,
    /// Of those, answered within 60 s (gives `first_response_in60s_rate`).
    pub first_response_in60s: u64,
    /// `transfer_first_response_count`.
    pub transfer_first_response_count: u64,
    /// `session_human_visitor_consult`.
    pub session_human_visitor_consult: u64,
}

/// The four roles of the document.
pub(crate) const ROLE_IDS: [&str; 4] = ["1111", "2222", "5555", "8888"];

/// Everything the sandbox knows, behind one lock.
#[derive(Debug)]
pub(crate) struct State {
    pub tenants: Vec<TenantRecord>,
    pub logs: Vec<StatusLogEntry>,
    pub chats: Vec<ChatRecord>,
    pub job_stats: Vec<JobStat>,
    /// Seats the platform may hand out over all its tenants (addTenant and
    /// updateTenant answer 200007 beyond it).
    pub platform_seats: u32,
    /// The report `sign` formula the sandbox expects, as part names.
    pub report_sign_parts: Vec<String>,
    /// chatIndexPage calls admitted in the last minute (tokio's clock).
    pub chat_calls: VecDeque<tokio::time::Instant>,
    /// chatIndexPage calls admitted per `chat_window` (the document's 20).
    pub chat_limit: usize,
    /// The window of `chat_limit` (the document's minute; tests shorten it).
    pub chat_window: std::time::Duration,
    pub chat_refused: usize,
    pub chat_admitted: usize,
    /// New ids come from here, so a run is reproducible.
    pub rng: StdRng,
    /// getTenantList lists newest first (the document does not say which
    /// order the vendor uses; tests try both).
    pub newest_first: bool,
}

impl State {
    pub fn tenant(&self, customer_code: &str) -> Option<&TenantRecord> {
        self.tenants
            .iter()
            .find(|t| t.customer_code == customer_code)
    }

    pub fn tenant_mut(&mut self, customer_code: &str) -> Option<&mut TenantRecord> {
        self.tenants
            .iter_mut()
            .find(|t| t.customer_code == customer_code)
    }

    pub fn seats_in_use(&self) -> u64 {
        self.tenants.iter().map(|t| u64::from(t.max_count)).sum()
    }
}

pub(crate) fn hex_id(rng: &mut StdRng) -> String {
    format!("{:016x}{:016x}", rng.r#gen::<u64>(), rng.r#gen::<u64>())
}

pub(crate) fn app_key(rng: &mut StdRng) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..12)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

/// The seeded state: the same `config` always gives the same data.
pub(crate) fn seed(config: &SeedConfig) -> State {
    let mut rng = StdRng::seed_from_u64(config.seed);
    let zone = Zone::CHINA;
    let first_day = zone.date_of(config.start);
    let days = config.days.max(1);
    let ends_on = NaiveDate::from_ymd_opt(2099, 12, 31).unwrap_or(first_day);
    let mut tenants = Vec::with_capacity(config.tenants);
    for i in 1..=config.tenants {
        let code = format!("M{i:03}");
        let staff = (1..=config.agents)
            .map(|j| StaffRecord {
                staff_id: hex_id(&mut rng),
                email: format!("agent{j:02}@m{i:03}.example.com"),
                nick: format!("客服{j:02}"),
                name: format!("员工{i:03}-{j:02}"),
                role_id: ROLE_IDS[j % ROLE_IDS.len()].to_owned(),
                phone_no: 13_800_000_000 + (i as u64) * 1000 + j as u64,
                max_accept_num: rng.gen_range(5..=20),
                password: None,
                // The last staff member of each merchant never activated
                // their email (for the 客户邮箱未激活 refusal).
                activated: !(j == config.agents && config.agents >= 2),
            })
            .collect();
        tenants.push(TenantRecord {
            company_id: hex_id(&mut rng),
            customer_code: code,
            company_name: format!("样例商户{i:02}"),
            email: format!("admin@m{i:03}.example.com"),
            password: "seeded".to_owned(),
            max_count: u32::try_from(config.agents + 3).unwrap_or(u32::MAX),
            contact_name: Some(format!("联系人{i:02}")),
            contact_tel: Some(format!("131{i:08}")),
            icon: None,
            open: i % 4 != 0,
            created_on: first_day
                .checked_add_days(Days::new(((i - 1) as u64) % u64::from(days)))
                .unwrap_or(first_day),
            ends_on,
            app_id: hex_id(&mut rng),
            app_key: app_key(&mut rng),
            staff,
        });
    }

    // Status changes: each day, two staff of each merchant go online in the
    // morning and busy or offline a few hours later.
    let mut logs = Vec::new();
    let start_ms = zone.start_of(first_day).timestamp_millis();
    const HOUR: i64 = 3_600_000;
    for d in 0..i64::from(days) {
        for t in &tenants {
            if t.staff.is_empty() {
                continue;
            }
            for _ in 0..2 {
                let s = &t.staff[rng.gen_range(0..t.staff.len())];
                let online = start_ms + d * 24 * HOUR + 8 * HOUR + rng.gen_range(0..4 * HOUR);
                let later = online + rng.gen_range(HOUR..4 * HOUR);
                let source = if rng.gen_bool(0.5) { 0 } else { 2 };
                logs.push(StatusLogEntry {
                    datetime: online,
                    company_id: t.company_id.clone(),
                    staff_id: s.staff_id.clone(),
                    action: "在线".to_owned(),
                    source,
                });
                logs.push(StatusLogEntry {
                    datetime: later,
                    company_id: t.company_id.clone(),
                    staff_id: s.staff_id.clone(),
                    action: if rng.gen_bool(0.5) {
                        "忙碌"
                    } else {
                        "离线"
                    }
                    .to_owned(),
                    source,
                });
            }
        }
    }
    logs.sort();

    // Chats: a customer per 50 seeded sessions, each talking to up to four merchants.
    let mut chats = Vec::new();
    let partners = (config.sessions / 50).clamp(1, 500);
    let period_ms = i64::from(days) * 24 * HOUR;
    if !tenants.is_empty() {
        for p in 1..=partners {
            let n = rng.gen_range(1..=tenants.len().min(4));
            let first = rng.gen_range(0..tenants.len());
            for k in 0..n {
                let t = &tenants[(first + k) % tenants.len()];
                let kind = rng.gen_range(0..4i64);
                chats.push(ChatRecord {
                    partner_id: format!("partner-{p:03}"),
                    sys_num: t.company_id.clone(),
                    company_name: t.company_name.clone(),
                    company_logo: format!(
                        "https://sandbox.sobot.invalid/logo/{}.png",
                        t.customer_code
                    ),
                    visitor_id: hex_id(&mut rng),
                    last_cid: hex_id(&mut rng),
                    last_msg_content: if kind == 0 {
                        "您好,请问还有货吗?".to_owned()
                    } else {
                        String::new()
                    },
                    last_msg_time: start_ms + rng.gen_range(0..period_ms),
                    last_msg_type: if kind == 3 { 5 } else { kind },
                    un_read_num: rng.gen_range(0..5),
                });
            }
        }
    }

    // Daily figures of every activated staff member.
    let mut job_stats = Vec::new();
    for d in 0..u64::from(days) {
        let date = first_day
            .checked_add_days(Days::new(d))
            .unwrap_or(first_day);
        for t in &tenants {
            for s in t.staff.iter().filter(|s| s.activated) {
                let first = rng.gen_range(0..8u64);
                job_stats.push(JobStat {
                    date,
                    company_id: t.company_id.clone(),
                    staff_id: s.staff_id.clone(),
                    first_response_time_set: first,
                    first_response_in60s: rng.gen_range(0..=first),
                    transfer_first_response_count: rng.gen_range(0..3),
                    session_human_visitor_consult: first + rng.gen_range(0..4),
                });
            }
        }
    }

    let in_use: u64 = tenants.iter().map(|t| u64::from(t.max_count)).sum();
    State {
        tenants,
        logs,
        chats,
        job_stats,
        platform_seats: u32::try_from(in_use + 100).unwrap_or(u32::MAX),
        report_sign_parts: vec!["unionCode".into(), "ts".into(), "unionKey".into()],
        chat_calls: VecDeque::new(),
        chat_limit: super::routes::CHAT_LIMIT,
        chat_window: super::routes::CHAT_WINDOW,
        chat_refused: 0,
        chat_admitted: 0,
        rng,
        newest_first: false,
    }
}
