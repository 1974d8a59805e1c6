//! Service sessions derived on demand from (seed, index): a million sessions
//! cost no memory, only the ones added while running are stored.
//!
//! Session `i`'s create, start and stop times all grow with `i` (each lies in
//! the i-th slot of the seeded period, plus a constant), so every sort field
//! orders sessions by index, and a time window is an index range found by
//! binary search. Serving a page is O(page size) plus that search; a query
//! with other filters scans its window once and caches the matching indices
//! for the pages that follow.

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use super::data::{AgentRec, mix, naive, stream, tenant_number, uuid};
use crate::sandbox::SeedConfig;

/// The document's channels (`originType`).
pub(super) const CHANNELS: [&str; 5] = ["webim", "app", "weixin", "weibo", "phone"];
const CHANNEL_NAMES: [&str; 5] = ["网页渠道", "APP渠道", "微信公众号", "微博", "呼叫中心"];
/// Skill groups sessions are queued in.
pub(super) const QUEUES: [u32; 4] = [1, 2, 3, 4];
/// Seconds from creation to pick-up, and from pick-up to the end, on top of
/// the in-slot spread.
const WAIT: i64 = 20;
const TALK: i64 = 300;
/// Queries whose matching indices are kept.
const CACHED_QUERIES: usize = 4;
/// Index of the first session inserted at a chosen time (see
/// [`SessionSpace::insert`]): far above any seeded or added index.
const INSERTED: u64 = 1 << 40;

/// Where sessions inserted during a read go, in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Insert {
    /// Before every seeded session (an hour before the seeded period).
    Front,
    /// Halfway through the seeded period, among the seeded sessions.
    Middle,
    /// After every session there is (as sessions that finish now).
    End,
}

/// Who served sessions: the seeded agents as they were at seeding.
#[derive(Debug, Clone)]
pub(super) struct AgentRef {
    user_id: String,
    username: String,
    nicename: String,
    true_name: String,
}

impl From<&AgentRec> for AgentRef {
    fn from(a: &AgentRec) -> Self {
        Self {
            user_id: a.user_id.clone(),
            username: a.username.clone(),
            nicename: a.nicename.clone(),
            true_name: a.true_name.clone(),
        }
    }
}

/// A session's times, whole seconds since the epoch. `start` is also
/// defined for sessions never picked up (for ordering); they report none.
#[derive(Debug, Clone, Copy)]
struct Times {
    create: i64,
    start: i64,
    stop: i64,
}

/// A session's other attributes.
#[derive(Debug, Clone, Copy)]
struct Attrs {
    aborted: bool,
    channel: usize,
    queue: u32,
    agent: Option<usize>,
    satisfaction: Option<u8>,
    transfered: bool,
    callback: bool,
}

/// Which of a session's times a window or sort applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum TimeField {
    Create,
    Start,
    Stop,
}

/// A session query as the sandbox understood it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct SessionFilter {
    /// Inclusive windows in epoch milliseconds.
    pub(super) create: (Option<i64>, Option<i64>),
    pub(super) start: (Option<i64>, Option<i64>),
    pub(super) stop: (Option<i64>, Option<i64>),
    pub(super) channels: Option<Vec<usize>>,
    pub(super) customer_name: Option<String>,
    pub(super) transfered: Option<bool>,
    pub(super) callback: Option<bool>,
    pub(super) satisfaction: Option<u8>,
    pub(super) queue_ids: Option<Vec<u32>>,
    pub(super) agent_ids: Option<Vec<String>>,
    pub(super) states: Option<Vec<String>>,
    pub(super) tech_channel_id: Option<u32>,
    pub(super) tech_channel_type: Option<String>,
}

impl SessionFilter {
    /// Whether anything but the create/stop windows restricts the result.
    fn needs_scan(&self) -> bool {
        self.start != (None, None)
            || self.channels.is_some()
            || self.customer_name.is_some()
            || self.transfered.is_some()
            || self.callback.is_some()
            || self.satisfaction.is_some()
            || self.queue_ids.is_some()
            || self.agent_ids.is_some()
            || self.states.is_some()
            || self.tech_channel_id.is_some()
            || self.tech_channel_type.is_some()
    }
}

/// Every session: `seeded` derived ones, then the added ones.
#[derive(Debug)]
pub(super) struct SessionSpace {
    seed: u64,
    seeded: u64,
    start: i64,
    span: i64,
    agents: Vec<AgentRef>,
    added: Vec<Times>,
    /// Sessions inserted at a chosen time, index `INSERTED + k`: they break
    /// "index order is time order", so pages merge them in by time.
    inserted: Vec<Times>,
    cache: Vec<(String, Arc<Vec<u64>>)>,
}

impl SessionSpace {
    pub(super) fn new(config: &SeedConfig, agents: &[AgentRec]) -> Self {
        Self {
            seed: config.seed,
            seeded: config.sessions as u64,
            start: config.start.timestamp(),
            span: i64::from(config.days.max(1)) * 86_400,
            agents: agents.iter().map(AgentRef::from).collect(),
            added: Vec::new(),
            inserted: Vec::new(),
            cache: Vec::new(),
        }
    }

    /// Sessions in all.
    pub(super) fn len(&self) -> u64 {
        self.base_len() + self.inserted.len() as u64
    }

    /// Seeded and added sessions: those whose index order is time order.
    fn base_len(&self) -> u64 {
        self.seeded + self.added.len() as u64
    }

    /// Every index, seeded and added first, then the inserted ones.
    pub(super) fn indices(&self) -> impl Iterator<Item = u64> + use<> {
        (0..self.base_len()).chain(INSERTED..INSERTED + self.inserted.len() as u64)
    }

    /// Inserts `count` sessions all created in the same second, `at`
    /// (front, middle or end); returns the number of sessions in all.
    pub(super) fn insert(&mut self, count: usize, at: Insert, now: i64) -> u64 {
        let create = match at {
            Insert::Front => self.start - 3600,
            Insert::Middle => self.start + self.span / 2,
            Insert::End => {
                let last = self
                    .added
                    .last()
                    .map_or(self.start + self.span, |t| t.create)
                    .max(
                        self.inserted
                            .iter()
                            .map(|t| t.create)
                            .max()
                            .unwrap_or(i64::MIN),
                    );
                now.max(last + 1)
            }
        };
        for _ in 0..count {
            self.inserted.push(Times {
                create,
                start: create + WAIT,
                stop: create + WAIT + TALK,
            });
        }
        self.cache.clear();
        self.len()
    }

    /// Sessions added while running.
    pub(super) fn added(&self) -> usize {
        self.added.len()
    }

    /// Start of slot `i` of the seeded period.
    fn slot(&self, i: u64) -> i64 {
        let offset = i128::from(i) * i128::from(self.span) / i128::from(self.seeded.max(1));
        self.start + offset as i64
    }

    fn times(&self, i: u64) -> Times {
        if i >= INSERTED {
            return self
                .inserted
                .get((i - INSERTED) as usize)
                .copied()
                .unwrap_or(Times {
                    create: 0,
                    start: 0,
                    stop: 0,
                });
        }
        if i >= self.seeded {
            return self
                .added
                .get((i - self.seeded) as usize)
                .copied()
                .unwrap_or(Times {
                    create: 0,
                    start: 0,
                    stop: 0,
                });
        }
        let slot = self.slot(i);
        let width = (self.slot(i + 1) - slot).max(0) as u64;
        let h = mix(self.seed, stream::SESSION_TIME, i);
        let mut spread = [h & 0xffff, (h >> 16) & 0xffff, (h >> 32) & 0xffff]
            .map(|r| (r * width / 0x1_0000) as i64);
        spread.sort_unstable();
        Times {
            create: slot + spread[0],
            start: slot + spread[1] + WAIT,
            stop: slot + spread[2] + WAIT + TALK,
        }
    }

    fn time(&self, field: TimeField, i: u64) -> i64 {
        let t = self.times(i);
        match field {
            TimeField::Create => t.create,
            TimeField::Start => t.start,
            TimeField::Stop => t.stop,
        }
    }

    fn attrs(&self, i: u64) -> Attrs {
        let h = mix(self.seed, stream::SESSION, i);
        // Added sessions arrive finished and served.
        let aborted = i < self.seeded && h.is_multiple_of(25);
        let agent =
            (!aborted && !self.agents.is_empty()).then(|| (h >> 8) as usize % self.agents.len());
        let rated = (h >> 20) % 10 < 7;
        Attrs {
            aborted,
            channel: (h >> 4) as usize % CHANNELS.len(),
            queue: QUEUES[(h >> 24) as usize % QUEUES.len()],
            agent,
            satisfaction: (!aborted && rated).then_some(((h >> 28) % 6) as u8),
            transfered: !aborted && (h >> 32).is_multiple_of(10),
            callback: (h >> 36).is_multiple_of(20),
        }
    }

    /// Appends `count` sessions that finished `now` (never before the seeded
    /// ones, so the time order holds); returns how many there are in all.
    pub(super) fn add(&mut self, count: usize, now: i64) -> u64 {
        let floor = self.start + self.span + WAIT + TALK + 1;
        for _ in 0..count {
            let last = self.added.last().map_or(i64::MIN, |t| t.stop);
            let stop = now.max(floor).max(last);
            self.added.push(Times {
                create: stop - TALK - WAIT,
                start: stop - TALK,
                stop,
            });
        }
        self.cache.clear();
        self.len()
    }

    /// `serviceSessionId` of session `i`.
    pub(super) fn id(&self, i: u64) -> String {
        uuid(self.seed, stream::SESSION_ID, i)
    }

    fn customer_name(&self, i: u64) -> String {
        format!("访客{:06}", mix(self.seed, stream::CUSTOMER, i) % 1_000_000)
    }

    /// First index whose `field` time (in ms) is not below `ms`.
    fn first_at_or_after(&self, field: TimeField, ms: i64) -> u64 {
        let (mut lo, mut hi) = (0, self.base_len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.time(field, mid) * 1000 < ms {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The index range the windows allow (start uses its ordering time).
    fn range(&self, f: &SessionFilter) -> (u64, u64) {
        let mut lo = 0;
        let mut hi = self.base_len();
        for (field, (from, to)) in [
            (TimeField::Create, f.create),
            (TimeField::Start, f.start),
            (TimeField::Stop, f.stop),
        ] {
            if let Some(from) = from {
                lo = lo.max(self.first_at_or_after(field, from));
            }
            if let Some(to) = to {
                hi = hi.min(self.first_at_or_after(field, to.saturating_add(1)));
            }
        }
        (lo, hi.max(lo))
    }

    fn matches(&self, f: &SessionFilter, i: u64) -> bool {
        let a = self.attrs(i);
        let agent_id = a
            .agent
            .and_then(|n| self.agents.get(n))
            .map(|r| r.user_id.as_str());
        // A start window leaves out sessions never picked up.
        (f.start == (None, None) || !a.aborted)
            && f.channels.as_ref().is_none_or(|c| c.contains(&a.channel))
            && f.customer_name
                .as_ref()
                .is_none_or(|n| self.customer_name(i).contains(n.as_str()))
            && f.transfered.is_none_or(|t| t == a.transfered)
            && f.callback.is_none_or(|c| c == a.callback)
            && f.satisfaction.is_none_or(|s| a.satisfaction == Some(s))
            && f.queue_ids.as_ref().is_none_or(|q| q.contains(&a.queue))
            && f.agent_ids
                .as_ref()
                .is_none_or(|ids| agent_id.is_some_and(|id| ids.iter().any(|x| x == id)))
            && f.states
                .as_ref()
                .is_none_or(|s| s.iter().any(|x| x == state(&a)))
            && f.tech_channel_id
                .is_none_or(|t| t as usize == a.channel + 1)
            && f.tech_channel_type.as_ref().is_none_or(|t| t == "easemob")
    }

    /// Whether inserted session `i` lies in every window of `f`.
    fn in_windows(&self, f: &SessionFilter, i: u64) -> bool {
        [
            (TimeField::Create, f.create),
            (TimeField::Start, f.start),
            (TimeField::Stop, f.stop),
        ]
        .into_iter()
        .all(|(field, (from, to))| {
            let ms = self.time(field, i).saturating_mul(1000);
            from.is_none_or(|f| f <= ms) && to.is_none_or(|t| ms <= t)
        })
    }

    /// Total matching, and the indices of page `page` (from 1) of
    /// `per_page`, ordered by `sort` (ties by index).
    pub(super) fn page(
        &mut self,
        f: &SessionFilter,
        page: u64,
        per_page: u64,
        descending: bool,
        sort: TimeField,
    ) -> (u64, Vec<u64>) {
        let (lo, hi) = self.range(f);
        let offset = (page.saturating_sub(1)).saturating_mul(per_page);
        if !self.inserted.is_empty() {
            // Inserted sessions merged in by time: every matching index,
            // sorted (tests insert few; this is O(window)).
            let mut all: Vec<u64> = if f.needs_scan() {
                self.matching(f, lo, hi).to_vec()
            } else {
                (lo..hi).collect()
            };
            all.extend(
                (INSERTED..INSERTED + self.inserted.len() as u64)
                    .filter(|&i| self.in_windows(f, i) && self.matches(f, i)),
            );
            all.sort_by_key(|&i| (self.time(sort, i), i));
            if descending {
                all.reverse();
            }
            let total = all.len() as u64;
            let indices = all
                .into_iter()
                .skip(usize::try_from(offset).unwrap_or(usize::MAX))
                .take(per_page as usize)
                .collect();
            return (total, indices);
        }
        if !f.needs_scan() {
            let total = hi - lo;
            let take = total.saturating_sub(offset).min(per_page);
            let indices = (0..take)
                .map(|k| {
                    if descending {
                        hi - 1 - offset - k
                    } else {
                        lo + offset + k
                    }
                })
                .collect();
            return (total, indices);
        }
        let matched = self.matching(f, lo, hi);
        let total = matched.len() as u64;
        let take = total.saturating_sub(offset).min(per_page) as usize;
        let offset = offset.min(total) as usize;
        let indices = if descending {
            matched
                .iter()
                .rev()
                .skip(offset)
                .take(take)
                .copied()
                .collect()
        } else {
            matched.iter().skip(offset).take(take).copied().collect()
        };
        (total, indices)
    }

    fn matching(&mut self, f: &SessionFilter, lo: u64, hi: u64) -> Arc<Vec<u64>> {
        let key = format!("{f:?}");
        if let Some((_, hit)) = self.cache.iter().find(|(k, _)| *k == key) {
            return hit.clone();
        }
        let found: Arc<Vec<u64>> = Arc::new((lo..hi).filter(|i| self.matches(f, *i)).collect());
        if self.cache.len() >= CACHED_QUERIES {
            self.cache.remove(0);
        }
        self.cache.push((key, found.clone()));
        found
    }

    /// Session `i` in the shape of the document's example.
    pub(super) fn record(&self, i: u64) -> Value {
        serde_json::to_value(self.view(i)).unwrap_or(Value::Null)
    }

    /// Session `i` ready to serialize, without building a JSON tree first:
    /// what [`SessionSpace::record`] holds, written in the same order.
    pub(super) fn view(&self, i: u64) -> SessionView<'_> {
        let a = self.attrs(i);
        let t = self.times(i);
        let agent = a.agent.and_then(|n| self.agents.get(n));
        let customer = self.customer_name(i);
        let visitor_id = uuid(self.seed, stream::VISITOR, i);
        let (summarys, summarys_detail) = match a.satisfaction {
            Some(s) if s < 3 => (COMPLAINT, "投诉"),
            Some(_) => (CONSULTING, "咨询,售前"),
            None => (NO_SUMMARY, ""),
        };
        let id = self.id(i);
        SessionView {
            agentLastMessageDate: agent.map(|_| naive(t.stop - 5)),
            agentQueueSet: (),
            agentUserId: agent.map(|r| r.user_id.as_str()),
            agentUserNiceName: agent.map(|r| r.nicename.as_str()),
            agentUserSet: agent.map(|r| {
                [SessionAgentView {
                    nicename: &r.nicename,
                    tenantId: super::TENANT_ID,
                    trueName: &r.true_name,
                    userId: &r.user_id,
                    username: &r.username,
                }]
            }),
            agentUserTrueName: agent.map(|r| r.true_name.as_str()),
            agentUserType: 1,
            chatGroupId: mix(self.seed, stream::SESSION_ID, i) >> 2,
            chatMessages: (),
            comment: if a.transfered { "转接" } else { "" },
            createDatetime: naive(t.create),
            customer: CustomerView {
                customerId: uuid(self.seed, stream::CUSTOMER, i),
                customerNiceName: customer.clone(),
                customerTrueName: (),
            },
            // A string, as in the document.
            enquiryDetail: a.satisfaction.map(|s| if s >= 4 { "满意" } else { "一般" }),
            enquirySummary: a.satisfaction.map(|s| s.to_string()),
            enquiryTagNames: (),
            enquiryTags: (),
            fromAgentCallback: a.callback,
            lastChatMessage: (),
            messageDetail: (),
            messageSeqId: 1 + mix(self.seed, stream::SESSION, i) % 60,
            originType: [CHANNELS[a.channel]],
            queueId: a.queue,
            recordFileUrl: (CHANNELS[a.channel] == "phone" && !a.aborted)
                .then(|| format!("{id}.wav")),
            serviceSessionId: id,
            startDateTime: (!a.aborted).then(|| naive(t.start)),
            state: state(&a),
            stopDateTime: naive(t.stop),
            summarys,
            summarysDetail: summarys_detail,
            techChannelId: a.channel + 1,
            techChannelName: CHANNEL_NAMES[a.channel],
            techChannelType: "easemob",
            tenantId: tenant_number(),
            transfered: a.transfered,
            visitorUser: VisitorView {
                nicename: customer,
                username: format!("visitor_{}", &visitor_id[..8]),
                userId: visitor_id,
            },
            visitorUserTags: (),
        }
    }
}

/// A session as the route writes it. Field names are the vendor's, in the
/// byte order a JSON map sorts keys, so the text is exactly what the same
/// record as a [`Value`] serializes to (a test holds it so).
#[allow(non_snake_case)]
#[derive(Debug, Serialize)]
pub(super) struct SessionView<'a> {
    agentLastMessageDate: Option<String>,
    agentQueueSet: (),
    agentUserId: Option<&'a str>,
    agentUserNiceName: Option<&'a str>,
    agentUserSet: Option<[SessionAgentView<'a>; 1]>,
    agentUserTrueName: Option<&'a str>,
    agentUserType: u8,
    chatGroupId: u64,
    chatMessages: (),
    comment: &'static str,
    createDatetime: String,
    customer: CustomerView,
    enquiryDetail: Option<&'static str>,
    enquirySummary: Option<String>,
    enquiryTagNames: (),
    enquiryTags: (),
    fromAgentCallback: bool,
    lastChatMessage: (),
    messageDetail: (),
    messageSeqId: u64,
    originType: [&'static str; 1],
    queueId: u32,
    recordFileUrl: Option<String>,
    serviceSessionId: String,
    startDateTime: Option<String>,
    state: &'static str,
    stopDateTime: String,
    summarys: &'static [&'static [SummaryTag]],
    summarysDetail: &'static str,
    techChannelId: usize,
    techChannelName: &'static str,
    techChannelType: &'static str,
    tenantId: u64,
    transfered: bool,
    visitorUser: VisitorView,
    visitorUserTags: (),
}

#[allow(non_snake_case)]
#[derive(Debug, Serialize)]
struct SessionAgentView<'a> {
    nicename: &'a str,
    tenantId: &'static str,
    trueName: &'a str,
    userId: &'a str,
    username: &'a str,
}

#[allow(non_snake_case)]
#[derive(Debug, Serialize)]
struct CustomerView {
    customerId: String,
    customerNiceName: String,
    customerTrueName: (),
}

#[allow(non_snake_case)]
#[derive(Debug, Serialize)]
struct VisitorView {
    nicename: String,
    userId: String,
    username: String,
}

/// A tag of `summarys`.
#[allow(non_snake_case)]
#[derive(Debug, Serialize)]
pub(super) struct SummaryTag {
    color: u8,
    id: u32,
    name: &'static str,
    parentId: u32,
}

const COMPLAINT: &[&[SummaryTag]] = &[&[SummaryTag {
    color: 1,
    id: 123,
    name: "投诉",
    parentId: 0,
}]];
const CONSULTING: &[&[SummaryTag]] = &[&[
    SummaryTag {
        color: 2,
        id: 124,
        name: "咨询",
        parentId: 0,
    },
    SummaryTag {
        color: 3,
        id: 125,
        name: "售前",
        parentId: 124,
    },
]];
const NO_SUMMARY: &[&[SummaryTag]] = &[];

fn state(a: &Attrs) -> &'static str {
    if a.aborted { "Abort" } else { "Terminal" }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::sandbox::easemob::data::seed_agents;

    fn space(sessions: usize) -> SessionSpace {
        let config = SeedConfig {
            sessions,
            ..SeedConfig::default()
        };
        SessionSpace::new(&config, &seed_agents(&config))
    }

    /// The record as it was built before [`SessionView`]: a JSON tree.
    fn json_record(s: &SessionSpace, i: u64) -> Value {
        let a = s.attrs(i);
        let t = s.times(i);
        let agent = a.agent.and_then(|n| s.agents.get(n));
        let customer = s.customer_name(i);
        let visitor_id = uuid(s.seed, stream::VISITOR, i);
        let summarys = match a.satisfaction {
            Some(s) if s < 3 => json!([[{"id": 123, "name": "投诉", "color": 1, "parentId": 0}]]),
            Some(_) => {
                json!([[{"id": 124, "name": "咨询", "color": 2, "parentId": 0}, {"id": 125, "name": "售前", "color": 3, "parentId": 124}]])
            }
            None => json!([]),
        };
        let summarys_detail = match a.satisfaction {
            Some(s) if s < 3 => "投诉",
            Some(_) => "咨询,售前",
            None => "",
        };
        json!({
            "serviceSessionId": s.id(i),
            "tenantId": tenant_number(),
            "techChannelId": a.channel + 1,
            "queueId": a.queue,
            "state": state(&a),
            "chatGroupId": mix(s.seed, stream::SESSION_ID, i) >> 2,
            "messageSeqId": 1 + mix(s.seed, stream::SESSION, i) % 60,
            "agentUserId": agent.map(|r| r.user_id.clone()),
            "agentUserNiceName": agent.map(|r| r.nicename.clone()),
            "agentUserTrueName": agent.map(|r| r.true_name.clone()),
            "agentUserType": 1,
            "createDatetime": naive(t.create),
            "startDateTime": (!a.aborted).then(|| naive(t.start)),
            "agentLastMessageDate": agent.map(|_| naive(t.stop - 5)),
            "stopDateTime": naive(t.stop),
            "techChannelType": "easemob",
            "summarys": summarys,
            // A string, as in the document.
            "enquirySummary": a.satisfaction.map(|s| s.to_string()),
            "enquiryDetail": a.satisfaction.map(|s| if s >= 4 { "满意" } else { "一般" }),
            "techChannelName": CHANNEL_NAMES[a.channel],
            "originType": [CHANNELS[a.channel]],
            "comment": if a.transfered { "转接" } else { "" },
            "visitorUser": {
                "userId": visitor_id,
                "nicename": customer,
                "username": format!("visitor_{}", &visitor_id[..8]),
            },
            "customer": {
                "customerId": uuid(s.seed, stream::CUSTOMER, i),
                "customerNiceName": customer,
                "customerTrueName": null,
            },
            "messageDetail": null,
            "recordFileUrl": (CHANNELS[a.channel] == "phone" && !a.aborted).then(|| format!("{}.wav", s.id(i))),
            "fromAgentCallback": a.callback,
            "transfered": a.transfered,
            "visitorUserTags": null,
            "enquiryTags": null,
            "chatMessages": null,
            "lastChatMessage": null,
            "agentUserSet": agent.map(|r| vec![json!({
                "userId": r.user_id,
                "username": r.username,
                "nicename": r.nicename,
                "trueName": r.true_name,
                "tenantId": crate::sandbox::easemob::TENANT_ID,
            })]),
            "agentQueueSet": null,
            "enquiryTagNames": null,
            "summarysDetail": summarys_detail,
        })
    }

    #[test]
    fn the_view_writes_what_the_json_tree_wrote() {
        let s = space(3000);
        for i in (0..3000).step_by(7).chain([0, 1, 2, 2999]) {
            let tree = json_record(&s, i);
            assert_eq!(s.record(i), tree, "{i}");
            // Same bytes: the view's fields are in the map's key order.
            assert_eq!(
                serde_json::to_string(&s.view(i)).ok(),
                serde_json::to_string(&tree).ok(),
                "{i}"
            );
        }
    }

    #[test]
    fn naive_times_read_as_chrono_writes_them() {
        for secs in [
            0,
            1_714_492_800,
            1_717_199_999,
            -86_400 * 800_000,
            253_402_300_799,
            253_402_300_800,
        ] {
            let chrono = chrono::DateTime::<chrono::Utc>::from_timestamp(secs + 8 * 3600, 0)
                .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                .unwrap_or_default();
            assert_eq!(naive(secs), chrono, "{secs}");
        }
    }

    #[test]
    fn times_grow_with_the_index_for_every_field() {
        for n in [1, 7, 500, 100_000] {
            let s = space(n);
            let step = (n as u64 / 1000).max(1);
            let mut prev = s.times(0);
            for i in (step..n as u64).step_by(step as usize) {
                let t = s.times(i);
                assert!(
                    t.create >= prev.create && t.start >= prev.start && t.stop >= prev.stop,
                    "{n} {i}"
                );
                assert!(t.create <= t.start && t.start <= t.stop);
                prev = t;
            }
        }
    }

    #[test]
    fn a_window_is_an_index_range_and_pages_cover_it_once() {
        let mut s = space(1234);
        let from = s.times(100).stop * 1000;
        let to = s.times(900).stop * 1000;
        let f = SessionFilter {
            stop: (Some(from), Some(to)),
            ..SessionFilter::default()
        };
        let (total, _) = s.page(&f, 1, 50, false, TimeField::Stop);
        let brute = (0..s.len())
            .filter(|i| (from..=to).contains(&(s.times(*i).stop * 1000)))
            .count() as u64;
        assert_eq!(total, brute);
        let mut seen = Vec::new();
        for p in 1..=total.div_ceil(50) {
            seen.extend(s.page(&f, p, 50, false, TimeField::Stop).1);
        }
        let mut sorted = seen.clone();
        sorted.dedup();
        assert_eq!(sorted.len() as u64, total);
        assert_eq!(seen, sorted);
    }

    #[test]
    fn filters_scan_once_and_agree_with_the_records() {
        let mut s = space(600);
        let f = SessionFilter {
            channels: Some(vec![0]),
            ..SessionFilter::default()
        };
        let (total, page) = s.page(&f, 1, 50, true, TimeField::Stop);
        assert!(total > 0 && total < 600);
        for i in page {
            assert_eq!(s.record(i)["originType"][0], "webim");
        }
        assert_eq!(s.cache.len(), 1);
    }

    #[test]
    fn added_sessions_come_last_in_every_order() {
        let mut s = space(10);
        let last = s.times(9);
        s.add(3, 0);
        assert_eq!(s.len(), 13);
        for i in 10..13 {
            let t = s.times(i);
            assert!(t.create > last.create && t.start > last.start && t.stop > last.stop);
        }
    }
}
