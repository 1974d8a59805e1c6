//! Service-session history (`serviceSessionHistorys`), every filter of the
//! document, paged from 1 with at most 50 a page.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kefu_core::model::{Session, SessionQuery, SessionTime, SortOrder};
use kefu_core::paging::Page;
use kefu_core::{Error, Operation, RecordStream, Result, SessionHistory, validate};
use kefu_http::WireRequest;

use crate::client::EasemobClient;
use crate::decode;

/// The document's `per_page`: "默认并且最大为50".
pub const MAX_SESSION_PAGE_SIZE: u32 = 50;

/// The parameters the pager sets on every page; a caller may not.
const PAGING: &[&str] = &["page", "per_page"];

/// The window's parameters for each session time (document names: the
/// start window is `beginDate`/`endDate`, the others `...From`/`...To`),
/// and the matching `sortField`.
pub(crate) fn window_names(by: SessionTime) -> (&'static str, &'static str, &'static str) {
    match by {
        SessionTime::Stopped => ("stopDateFrom", "stopDateTo", "stopDateTime"),
        SessionTime::Started => ("beginDate", "endDate", "startDateTime"),
        // The document spells this sort field with a lowercase t.
        SessionTime::Created => ("createDateFrom", "createDateTo", "createDatetime"),
    }
}

/// `2018-06-16T23:59:59.000Z`: UTC with milliseconds, as the document shows.
pub(crate) fn vendor_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Ids sent comma-joined (the example sends `state=Terminal%2CAbort`); an id
/// with a comma would split, an empty one would mean nothing.
fn id_list(field: &'static str, ids: &[String], digits_only: bool) -> Result<Option<String>> {
    for id in ids {
        if id.trim().is_empty() || id.contains(',') {
            return Err(Error::invalid(field, format!("{id:?} is not an id")));
        }
        if digits_only {
            validate::digits(field, id)?;
        }
    }
    Ok((!ids.is_empty()).then(|| ids.join(",")))
}

/// The page size and every query parameter but `page`, in the document's
/// table order, checked before anything is sent.
pub(crate) fn session_params(query: &SessionQuery) -> Result<(u32, Vec<(String, String)>)> {
    let per_page = query.page_size.unwrap_or(MAX_SESSION_PAGE_SIZE);
    validate::in_range(
        "per_page",
        i64::from(per_page),
        1,
        i64::from(MAX_SESSION_PAGE_SIZE),
    )?;
    let (from_name, to_name, sort_field) = window_names(query.by);
    if let (Some(from), Some(to)) = (query.from, query.to) {
        validate::ordered(from_name, &from, &to)?;
    }
    if let Some(score) = query.satisfaction {
        // "值为:0,1,2,3,4,5".
        validate::in_range("enquirySummary", i64::from(score), 0, 5)?;
    }

    let mut params: Vec<(String, String)> = Vec::new();
    let mut push = |name: &str, value: String| params.push((name.to_owned(), value));
    push("per_page", per_page.to_string());
    if let Some(channel) = query.channel {
        push("originType", channel.as_str().to_owned());
    }
    if let Some(name) = query.customer_name.as_deref().filter(|n| !n.is_empty()) {
        push("customerName", name.to_owned());
    }
    if let Some(transferred) = query.transferred {
        // Spelled `transfered` by the vendor.
        push("transfered", transferred.to_string());
    }
    if let Some(callback) = query.from_agent_callback {
        push("fromAgentCallback", callback.to_string());
    }
    if let Some(score) = query.satisfaction {
        push("enquirySummary", score.to_string());
    }
    // queueIds is typed int; agent ids are user ids (uuids).
    if let Some(ids) = id_list("queueIds", &query.queue_ids, true)? {
        push("queueIds", ids);
    }
    if let Some(from) = query.from {
        push(from_name, vendor_time(from));
    }
    if let Some(to) = query.to {
        push(to_name, vendor_time(to));
    }
    if let Some(ids) = id_list("agentIds", &query.agent_ids, false)? {
        push("agentIds", ids);
    }
    push("sortField", sort_field.to_owned());
    // Ascending by default: sessions that arrive during an export land after
    // the pages being read instead of shifting them.
    let order = match query.order {
        SortOrder::Ascending => "asc",
        SortOrder::Descending => "desc",
    };
    push("sortOrder", order.to_owned());

    for (name, value) in &query.vendor_params {
        if name.trim().is_empty() {
            return Err(Error::invalid("vendor_params", "a parameter has no name"));
        }
        if PAGING.contains(&name.as_str()) {
            return Err(Error::invalid(name.clone(), "is set by the pager"));
        }
        if params.iter().any(|(n, _)| n == name) {
            return Err(Error::invalid(name.clone(), "is already set by the query"));
        }
        params.push((name.clone(), value.clone()));
    }
    Ok((per_page, params))
}

impl EasemobClient {
    pub(crate) async fn sessions_page(
        &self,
        page: u32,
        params: &[(String, String)],
    ) -> Result<Page<Session>> {
        let zone = self.zone();
        let request = params.iter().fold(
            WireRequest::get(
                Operation::ListSessions,
                self.tenant_path("serviceSessionHistorys"),
            )
            .query("page", page.to_string()),
            |r, (name, value)| r.query(name, value),
        );
        self.call(request, |r| decode::sessions_page(r, zone)).await
    }
}

#[async_trait]
impl SessionHistory for EasemobClient {
    /// GET `/api/tenants/{tenantId}/serviceSessionHistorys`, `per_page` at
    /// most 50 (default 50), walked by time rather than by offset (see
    /// `walk.rs`): up to `page_concurrency` time slices in flight, handed out
    /// in order, each session once. Unset filters are not sent.
    fn sessions(&self, query: &SessionQuery) -> Result<RecordStream<Session>> {
        let (per_page, params) = session_params(query)?;
        let (from_name, to_name, _) = window_names(query.by);
        let plan = crate::walk::Plan {
            by: query.by,
            descending: query.order == SortOrder::Descending,
            per_page,
            params,
            from_name,
            to_name,
        };
        Ok(crate::walk::sessions(
            self.clone(),
            query,
            plan,
            self.inner.page_concurrency,
        ))
    }

    /// The answer's `entity.total_entries` ("查询到的历史会话条数") for
    /// `query`: one request, `page=1` with `per_page=1` (the smallest the
    /// document allows), the one record it carries ignored. `None` when
    /// the answer has no count.
    async fn session_total(&self, query: &SessionQuery) -> Result<Option<u64>> {
        let query = SessionQuery {
            page_size: Some(1),
            ..query.clone()
        };
        let (_, params) = session_params(&query)?;
        Ok(self.sessions_page(1, &params).await?.total)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use kefu_core::model::Channel;

    use super::*;

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2018, 6, 16, h, 0, 0)
            .single()
            .unwrap_or_default()
    }

    #[test]
    fn times_are_utc_with_millis() {
        assert_eq!(vendor_time(t(23)), "2018-06-16T23:00:00.000Z");
    }

    #[test]
    fn each_window_names_its_own_from_field() {
        for (by, field) in [
            (SessionTime::Stopped, "stopDateFrom"),
            (SessionTime::Started, "beginDate"),
            (SessionTime::Created, "createDateFrom"),
        ] {
            let q = SessionQuery {
                by,
                from: Some(t(2)),
                to: Some(t(1)),
                ..SessionQuery::default()
            };
            assert_eq!(session_params(&q).unwrap_err().field(), Some(field));
        }
    }

    #[test]
    fn bad_filters_name_the_vendor_field() {
        let cases: Vec<(SessionQuery, &str)> = vec![
            (
                SessionQuery {
                    page_size: Some(51),
                    ..Default::default()
                },
                "per_page",
            ),
            (
                SessionQuery {
                    page_size: Some(0),
                    ..Default::default()
                },
                "per_page",
            ),
            (
                SessionQuery {
                    satisfaction: Some(6),
                    ..Default::default()
                },
                "enquirySummary",
            ),
            (
                SessionQuery {
                    queue_ids: vec!["a".into()],
                    ..Default::default()
                },
                "queueIds",
            ),
            (
                SessionQuery {
                    agent_ids: vec!["a,b".into()],
                    ..Default::default()
                },
                "agentIds",
            ),
            (
                SessionQuery {
                    vendor_params: vec![("page".into(), "3".into())],
                    ..Default::default()
                },
                "page",
            ),
            (
                SessionQuery {
                    channel: Some(Channel::Web),
                    vendor_params: vec![("originType".into(), "app".into())],
                    ..Default::default()
                },
                "originType",
            ),
        ];
        for (q, field) in cases {
            assert_eq!(
                session_params(&q).unwrap_err().field(),
                Some(field),
                "{q:?}"
            );
        }
    }
}
