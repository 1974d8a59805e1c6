//! A vendor that misbehaves where it hurts: sessions inserted while a
//! window is being paged, sorting before the pages already read (offset
//! paging then repeats a record), pages repeated outright.

mod common;

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use common::{Kind, TestDb, count_rows, ids, june};
use futures_util::StreamExt;
use kefu::model::{Role, Session, SessionQuery};
use kefu::{
    AgentAdmin, Capabilities, Provider, RecordStream, Reports, SessionHistory, TenantAdmin, Vendor,
};
use kefu_sync::{Controls, Options, Source, Stream, run};

#[derive(Debug, Default)]
struct Shifty {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    sessions: Mutex<Vec<Session>>,
    /// Inserted after the first page of the next listing is served.
    pending: Mutex<Vec<Session>>,
    /// What `list_roles` answers.
    roles: Mutex<Vec<Role>>,
    /// Added to the first page of every listing, whatever its window.
    always: Mutex<Vec<Session>>,
    /// The start of every window listed, in order.
    listed: Mutex<Vec<DateTime<Utc>>>,
}

fn session(id: &str, stop: DateTime<Utc>) -> Session {
    Session {
        id: id.to_owned(),
        stopped_at: Some(stop),
        ..Session::default()
    }
}

impl Provider for Shifty {
    fn vendor(&self) -> Vendor {
        Vendor::Easemob
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities::new(Vendor::Easemob, &[])
    }
}
impl TenantAdmin for Shifty {}
#[async_trait]
impl AgentAdmin for Shifty {
    async fn list_roles(&self) -> kefu::Result<Vec<Role>> {
        Ok(self.inner.roles.lock().expect("lock").clone())
    }
}
impl Reports for Shifty {}

#[async_trait]
impl SessionHistory for Shifty {
    fn sessions(&self, query: &SessionQuery) -> kefu::Result<RecordStream<Session>> {
        let (from, to) = (query.from.unwrap_or_default(), query.to.unwrap_or_default());
        self.inner.listed.lock().expect("lock").push(from);
        let me = self.inner.clone();
        // Offset paging, 50 a page, ascending by stop time, both ends
        // inclusive, recomputed on every page as a real server would.
        let pages = futures_util::stream::unfold(0usize, move |page| {
            let me = me.clone();
            async move {
                let mut rows: Vec<Session> = {
                    let mut all = me.sessions.lock().expect("lock");
                    if page == 1 {
                        all.extend(me.pending.lock().expect("lock").drain(..));
                        all.sort_by_key(|s| s.stopped_at);
                    }
                    all.iter()
                        .filter(|s| s.stopped_at.is_some_and(|t| t >= from && t <= to))
                        .skip(page * 50)
                        .take(50)
                        .cloned()
                        .collect()
                };
                if page == 0 {
                    rows.extend(me.always.lock().expect("lock").iter().cloned());
                }
                (!rows.is_empty()).then(|| {
                    (
                        futures_util::stream::iter(rows.into_iter().map(Ok)),
                        page + 1,
                    )
                })
            }
        });
        Ok(pages.flatten().boxed())
    }
}

fn fake() -> Arc<Shifty> {
    Arc::new(Shifty::default())
}

fn source(f: &Arc<Shifty>) -> Source {
    Source::new(
        Vendor::Easemob,
        "1",
        f.clone(),
        f.clone(),
        f.clone(),
        f.clone(),
    )
}

async fn inserts_before_read_pages(t: &TestDb) {
    let f = fake();
    let until = june();
    // 120 sessions in the last 50 minutes before `until`.
    {
        let mut s = f.inner.sessions.lock().expect("lock");
        for i in 0..120 {
            s.push(session(
                &format!("s{i:03}"),
                until - Duration::minutes(50) + Duration::seconds(i * 20),
            ));
        }
    }
    // While the window is paged, two sessions appear that sort first.
    f.inner.pending.lock().expect("lock").extend([
        session("late-a", until - Duration::minutes(55)),
        session("late-b", until - Duration::minutes(54)),
    ]);
    let db = t.open().await;
    let mut o = Options::new(vec![Stream::Sessions], until);
    o.since = until - Duration::hours(2);
    let report = run(&db, &source(&f), &o, &Controls::default())
        .await
        .expect("first");
    let s = &report.streams[0];
    assert!(s.complete);
    // The shift repeated records on later pages: fetched more than stored.
    assert!(s.fetched > s.inserted, "{s:?}");
    let (rows, distinct) = count_rows(&db, "easemob_sessions", "1").await;
    assert_eq!(rows, distinct, "no duplicates");
    assert_eq!(rows, 120, "the late ones sorted before the pages read");

    // The next run's look-back reads them.
    let mut o2 = o.clone();
    o2.now = until + Duration::minutes(1);
    o2.until = o2.now;
    let report = run(&db, &source(&f), &o2, &Controls::default())
        .await
        .expect("second");
    assert_eq!(report.streams[0].inserted, 2, "{:?}", report.streams[0]);
    let mut want: Vec<String> = f
        .inner
        .sessions
        .lock()
        .expect("lock")
        .iter()
        .map(|s| s.id.clone())
        .collect();
    want.sort();
    assert_eq!(ids(&db, "easemob_sessions", "1").await, want);
    db.close().await;
}
both!(shift_sqlite, shift_postgres, inserts_before_read_pages);

/// The `record` column as JSON text, on either database.
fn record_text(db: &kefu_sync::Db) -> &'static str {
    match db.dialect() {
        kefu_sync::Dialect::Sqlite => "record",
        kefu_sync::Dialect::Postgres => "record::text",
    }
}

/// How often the window starting at `from` was listed.
fn listings(f: &Shifty, from: DateTime<Utc>) -> usize {
    let listed = f.inner.listed.lock().expect("lock");
    listed.iter().filter(|t| **t == from).count()
}

/// A session whose stop time moved past the cursor (reopened, say) is in
/// the table already when a later window lists it. PostgreSQL inserts the
/// rows of windows past the cursor without `ON CONFLICT`; the insert fails
/// on it, and that window (only that one) is rolled back and read again
/// with upserts: the session is stored once, as it is now. SQLite reads
/// every window once.
async fn a_record_that_moved_past_the_cursor_is_stored_once(t: &TestDb) {
    let f = fake();
    let until = june();
    {
        let mut s = f.inner.sessions.lock().expect("lock");
        for i in 0..100 {
            s.push(session(
                &format!("s{i:03}"),
                until - Duration::minutes(60) + Duration::seconds(i * 30 + 7),
            ));
        }
    }
    let db = t.open().await;
    let mut o = Options::new(vec![Stream::Sessions], until);
    o.since = until - Duration::hours(1);
    o.window = Some(Duration::minutes(30));
    let r = run(&db, &source(&f), &o, &Controls::default())
        .await
        .expect("first");
    assert_eq!(r.streams[0].inserted, 100, "{:?}", r.streams[0]);

    // s000 moves two hours ahead, past the cursor and its look-back, into
    // the window that starts at `until` + 2 h, among ten new sessions.
    let moved_to = until + Duration::hours(2) + Duration::minutes(7);
    {
        let mut s = f.inner.sessions.lock().expect("lock");
        s[0].stopped_at = Some(moved_to);
        s[0].comment = Some("reopened".to_owned());
        for i in 0..10 {
            s.push(session(
                &format!("n{i}"),
                moved_to - Duration::minutes(5) + Duration::seconds(i * 60),
            ));
        }
        s.sort_by_key(|x| x.stopped_at);
    }
    let mut o2 = o.clone();
    o2.now = until + Duration::hours(3);
    o2.until = o2.now;
    let r = run(&db, &source(&f), &o2, &Controls::default())
        .await
        .expect("second");
    assert!(r.error.is_none(), "{:?}", r.error);
    let s = &r.streams[0];
    assert!(s.complete, "{s:?}");
    assert_eq!((s.inserted, s.updated), (10, 1), "{s:?}");
    assert_eq!(count_rows(&db, "easemob_sessions", "1").await, (110, 110));
    let record: String = sqlx::query_scalar(&format!(
        "SELECT {} FROM easemob_sessions WHERE id = 's000'",
        record_text(&db)
    ))
    .fetch_one(db.pool())
    .await
    .expect("s000");
    let stored: Session = serde_json::from_str(&record).expect("a session");
    assert_eq!(stored.comment.as_deref(), Some("reopened"));
    assert_eq!(stored.stopped_at, Some(moved_to));

    // The look-back's windows and the ones before the moved session were
    // read once; the one holding it twice on PostgreSQL.
    let again = usize::from(db.dialect() == kefu_sync::Dialect::Postgres);
    for k in 0..5 {
        let from = until - Duration::hours(1) + Duration::minutes(30 * k);
        assert_eq!(listings(&f, from), 1 + usize::from(k < 2), "window {k}");
    }
    assert_eq!(listings(&f, until + Duration::hours(2)), 1 + again);
    db.close().await;
}
both!(
    moved_sqlite,
    moved_postgres,
    a_record_that_moved_past_the_cursor_is_stored_once
);

/// An operator who deletes a stream's state to sync it again from the
/// start finds every row once: PostgreSQL takes the first window for new,
/// fails on the first batch, and reads that window again with upserts;
/// the rows that are there are left as they are.
async fn a_reset_cursor_over_stored_rows_duplicates_nothing(t: &TestDb) {
    let f = fake();
    let until = june();
    {
        let mut s = f.inner.sessions.lock().expect("lock");
        for i in 0..1200 {
            s.push(session(
                &format!("s{i:04}"),
                until - Duration::minutes(50) + Duration::seconds(i * 2),
            ));
        }
    }
    let db = t.open().await;
    let mut o = Options::new(vec![Stream::Sessions], until);
    o.since = until - Duration::hours(1);
    o.window = Some(Duration::hours(2));
    run(&db, &source(&f), &o, &Controls::default())
        .await
        .expect("first");
    sqlx::query("DELETE FROM kefu_sync_state")
        .execute(db.pool())
        .await
        .expect("reset");
    let r = run(&db, &source(&f), &o, &Controls::default())
        .await
        .expect("again");
    assert!(r.error.is_none(), "{:?}", r.error);
    let s = &r.streams[0];
    assert!(s.complete, "{s:?}");
    assert_eq!((s.fetched, s.inserted, s.updated), (1200, 0, 0), "{s:?}");
    assert_eq!(count_rows(&db, "easemob_sessions", "1").await, (1200, 1200));
    let again = usize::from(db.dialect() == kefu_sync::Dialect::Postgres);
    assert_eq!(listings(&f, o.since), 2 + again);
    db.close().await;
}
both!(
    reset_sqlite,
    reset_postgres,
    a_reset_cursor_over_stored_rows_duplicates_nothing
);

/// A record changed at the vendor is updated in place, once.
#[tokio::test]
async fn changed_records_are_updated_in_place() {
    let t = TestDb::new(Kind::Sqlite, "changed").await.expect("db");
    let f = fake();
    let until = june();
    f.inner
        .sessions
        .lock()
        .expect("lock")
        .push(session("x", until - Duration::minutes(10)));
    let db = t.open().await;
    let mut o = Options::new(vec![Stream::Sessions], until);
    o.since = until - Duration::hours(1);
    run(&db, &source(&f), &o, &Controls::default())
        .await
        .expect("first");
    f.inner.sessions.lock().expect("lock")[0].comment = Some("rated later".to_owned());
    let report = run(&db, &source(&f), &o, &Controls::default())
        .await
        .expect("second");
    assert_eq!(
        (report.streams[0].inserted, report.streams[0].updated),
        (0, 1)
    );
    assert_eq!(count_rows(&db, "easemob_sessions", "1").await, (1, 1));
    db.close().await;
}

/// Daily figures the vendor corrects or withdraws are corrected or
/// withdrawn: days inside the look-back are replaced whole.
#[derive(Debug, Default)]
struct Figures {
    /// Answers of successive calls for the same day.
    answers: Mutex<Vec<Vec<kefu::model::AgentStats>>>,
}

impl Provider for Figures {
    fn vendor(&self) -> Vendor {
        Vendor::Sobot
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities::new(Vendor::Sobot, &[])
    }
}
impl TenantAdmin for Figures {}
impl AgentAdmin for Figures {}
impl SessionHistory for Figures {}

#[async_trait]
impl Reports for Figures {
    async fn agent_stats(
        &self,
        _from: chrono::NaiveDate,
        _to: chrono::NaiveDate,
    ) -> kefu::Result<Vec<kefu::model::AgentStats>> {
        let mut answers = self.answers.lock().expect("lock");
        Ok(if answers.len() > 1 {
            answers.remove(0)
        } else {
            answers.first().cloned().unwrap_or_default()
        })
    }
}

fn figure(agent: &str, consultations: u64) -> kefu::model::AgentStats {
    kefu::model::AgentStats {
        agent_id: agent.to_owned(),
        company_id: "c1".to_owned(),
        valid_consultations: Some(consultations),
        ..Default::default()
    }
}

async fn days_are_replaced_whole(t: &TestDb) {
    let f = Arc::new(Figures::default());
    // One day, read twice: first two agents, then one corrected, one gone.
    f.answers
        .lock()
        .expect("lock")
        .extend([vec![figure("a", 3), figure("b", 5)], vec![figure("a", 4)]]);
    let src = Source::new(
        Vendor::Sobot,
        "10004",
        f.clone(),
        f.clone(),
        f.clone(),
        f.clone(),
    );
    let db = t.open().await;
    let now = june();
    let mut o = Options::new(vec![Stream::AgentStats], now);
    o.since = now - Duration::hours(1);
    let r = run(&db, &src, &o, &Controls::default())
        .await
        .expect("first");
    assert_eq!(
        (r.streams[0].inserted, r.streams[0].updated),
        (2, 0),
        "{:?}",
        r.streams[0]
    );
    let r = run(&db, &src, &o, &Controls::default())
        .await
        .expect("second");
    assert_eq!(
        (r.streams[0].inserted, r.streams[0].updated),
        (0, 1),
        "{:?}",
        r.streams[0]
    );
    assert_eq!(count_rows(&db, "sobot_agent_stats", "10004").await, (1, 1));
    db.close().await;
}
both!(days_sqlite, days_postgres, days_are_replaced_whole);

/// Text a careless vendor sends (tabs, line ends, backslashes, quotes, the
/// `\N` of PostgreSQL's COPY, non-ASCII) is stored exactly as `-o json`
/// prints it, and a key listed twice in one window (the copies in
/// different batches, the record changed in between) is one row holding the
/// last copy.
async fn hostile_text_and_repeats_in_one_window(t: &TestDb) {
    let f = fake();
    let until = june();
    let nasty = "tab\there\nline\r\nback\\slash \\N \"quoted\" 客服 😀 \\t";
    let start = until - Duration::minutes(50);
    let mut all = Vec::new();
    for i in 0..1100 {
        let mut s = session(&format!("s{i:04}\t\\N"), start + Duration::seconds(i));
        s.comment = Some(format!("{nasty} #{i}"));
        s.agent_nickname = Some("\\".repeat(i as usize % 5));
        all.push(s);
    }
    // s0000 again at the end of the window, changed: two batches later.
    let mut again = all[0].clone();
    again.stopped_at = Some(start + Duration::seconds(1200));
    again.comment = Some(format!("{nasty} changed"));
    all.push(again);
    *f.inner.sessions.lock().expect("lock") = all.clone();

    let db = t.open().await;
    let mut o = Options::new(vec![Stream::Sessions], until);
    o.since = until - Duration::hours(1);
    o.window = Some(Duration::hours(2));
    let r = run(&db, &source(&f), &o, &Controls::default())
        .await
        .expect("sync");
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(r.streams[0].fetched, 1101);
    // The repeat, in a later batch of the same window, is upserted there:
    // the window is not read again.
    assert_eq!(listings(&f, o.since), 1);
    assert_eq!(r.streams[0].inserted, 1100, "{:?}", r.streams[0]);
    assert_eq!(count_rows(&db, "easemob_sessions", "1").await, (1100, 1100));

    // Every stored record reads back as the session it came from.
    use sqlx::Row as _;
    let text = record_text(&db);
    let stored: Vec<(String, String)> = sqlx::query(&format!(
        "SELECT id, {text} FROM easemob_sessions WHERE account = '1' ORDER BY id"
    ))
    .fetch_all(db.pool())
    .await
    .expect("records")
    .iter()
    .map(|row| (row.get(0), row.get(1)))
    .collect();
    let mut stored = stored;
    stored.sort();
    // The first copy of s0000 is gone; the changed one, last in `all`, stays.
    let mut expected: Vec<Session> = all[1..].to_vec();
    expected.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(stored.len(), expected.len());
    for ((id, record), want) in stored.iter().zip(&expected) {
        assert_eq!(id, &want.id);
        let got: Session = serde_json::from_str(record).expect("a stored record is a session");
        assert_eq!(&got, want);
    }
    // A second run inserts nothing and leaves the same records. Both
    // databases write batch by batch, so the first copy of s0000 is written
    // back and then replaced by the last within the window's transaction,
    // and counts as updated twice (docs/sync.md, "Counting inserted vs
    // updated").
    let r = run(&db, &source(&f), &o, &Controls::default())
        .await
        .expect("again");
    let expected_updates = 2;
    assert_eq!(
        (r.streams[0].inserted, r.streams[0].updated),
        (0, expected_updates)
    );
    let again: Vec<String> = sqlx::query(&format!(
        "SELECT {text} FROM easemob_sessions WHERE account = '1' ORDER BY id"
    ))
    .fetch_all(db.pool())
    .await
    .expect("records")
    .iter()
    .map(|row| row.get(0))
    .collect();
    let mut before: Vec<String> = stored.into_iter().map(|(_, r)| r).collect();
    let mut after = again;
    before.sort();
    after.sort();
    assert_eq!(before, after, "the second run left every record as it was");
    db.close().await;
}
both!(
    hostile_text_sqlite,
    hostile_text_postgres,
    hostile_text_and_repeats_in_one_window
);

/// NUL characters from a careless vendor: PostgreSQL's `jsonb` refuses the
/// `\u0000` escape and its `text` refuses the byte, so one such session
/// would fail its window on every run. Every database stores it: in
/// `record`, PostgreSQL keeps U+FFFD where the vendor sent NUL (SQLite
/// keeps the record exactly); an id with a NUL is stored with U+FFFD on
/// both, so `verify` agrees with itself. Text that only looks like the
/// escape (a backslash, then `u0000`) is left alone. Snapshots (written
/// another way) too.
async fn nul_characters_are_stored(t: &TestDb) {
    let f = fake();
    let until = june();
    let start = until - Duration::minutes(30);
    let mut nul_comment = session("nul-comment", start);
    nul_comment.comment = Some("a\0b".to_owned());
    nul_comment.agent_nickname = Some("\0".to_owned());
    let mut looks_like = session("looks-like", start + Duration::seconds(1));
    looks_like.comment = Some("\\u0000 and \\\\u0000".to_owned());
    let nul_id = session("x\0y", start + Duration::seconds(2));
    *f.inner.sessions.lock().expect("lock") =
        vec![nul_comment.clone(), looks_like.clone(), nul_id.clone()];
    *f.inner.roles.lock().expect("lock") = vec![Role {
        id: "r\0".to_owned(),
        name: "na\0me".to_owned(),
        ..Role::default()
    }];

    let db = t.open().await;
    let mut o = Options::new(vec![Stream::Sessions, Stream::Roles], until);
    o.since = until - Duration::hours(1);
    let r = run(&db, &source(&f), &o, &Controls::default())
        .await
        .expect("sync");
    assert!(r.error.is_none(), "{:?}", r.error);
    assert!(r.streams[0].complete, "{:?}", r.streams[0]);
    assert_eq!(r.streams[0].inserted, 3, "{:?}", r.streams[0]);
    assert!(r.streams[1].complete, "{:?}", r.streams[1]);
    assert_eq!(ids(&db, "easemob_roles", "1").await, ["r\u{fffd}"]);
    assert_eq!(
        ids(&db, "easemob_sessions", "1").await,
        ["looks-like", "nul-comment", "x\u{fffd}y"]
    );

    use sqlx::Row as _;
    let postgres = db.dialect() == kefu_sync::Dialect::Postgres;
    let text = if postgres { "record::text" } else { "record" };
    let record = |id: &'static str| {
        let sql = format!("SELECT {text} FROM easemob_sessions WHERE id = $1");
        let db = &db;
        async move {
            let json: String = sqlx::query(&sql)
                .bind(id)
                .fetch_one(db.pool())
                .await
                .expect("record")
                .get(0);
            serde_json::from_str::<Session>(&json).expect("a session")
        }
    };
    let stored = record("nul-comment").await;
    if postgres {
        assert_eq!(stored.comment.as_deref(), Some("a\u{fffd}b"));
        assert_eq!(stored.agent_nickname.as_deref(), Some("\u{fffd}"));
    } else {
        assert_eq!(stored, nul_comment);
    }
    assert_eq!(record("looks-like").await, looks_like);

    // Nothing changes on a second run, and verify finds nothing missing.
    let again = run(&db, &source(&f), &o, &Controls::default())
        .await
        .expect("again");
    assert_eq!(
        (again.streams[0].inserted, again.streams[0].updated),
        (0, 0)
    );
    assert_eq!(
        (again.streams[1].inserted, again.streams[1].updated),
        (0, 0)
    );
    let diffs = kefu_sync::verify(&db, &source(&f), &o, None, None)
        .await
        .expect("verify");
    assert!(diffs.is_empty(), "{diffs:?}");
    db.close().await;
}
both!(nul_sqlite, nul_postgres, nul_characters_are_stored);

/// Times no database column can hold alike: year 0 (PostgreSQL has no year
/// 0), a year before 4713 BC (PostgreSQL's first), years of five digits
/// (RFC 3339 text no longer sorts as time does in SQLite). A vendor that
/// answers a window with such a session gets it stored, its record as
/// sent, its time column empty; the window and the next run go on.
async fn unrepresentable_times_leave_the_column_empty(t: &TestDb) {
    let f = fake();
    let until = june();
    let at = |y: i32| {
        chrono::NaiveDate::from_ymd_opt(y, 1, 1)
            .expect("date")
            .and_hms_opt(0, 0, 0)
            .expect("time")
            .and_utc()
    };
    // The fake answers a window with what lies in it; these three are put
    // in the answer of every page as a careless server might.
    let good = session("good", until - Duration::minutes(10));
    let odd: Vec<Session> = [0, -5000, 10_000]
        .into_iter()
        .map(|y| session(&format!("year{y}"), at(y)))
        .collect();
    *f.inner.sessions.lock().expect("lock") = vec![good];
    *f.inner.always.lock().expect("lock") = odd.clone();

    let db = t.open().await;
    let mut o = Options::new(vec![Stream::Sessions], until);
    o.since = until - Duration::hours(1);
    let r = run(&db, &source(&f), &o, &Controls::default())
        .await
        .expect("sync");
    assert!(r.error.is_none(), "{:?}", r.error);
    assert!(r.streams[0].complete, "{:?}", r.streams[0]);
    assert_eq!(
        ids(&db, "easemob_sessions", "1").await,
        ["good", "year-5000", "year0", "year10000"]
    );
    use sqlx::Row as _;
    let empty: i64 = sqlx::query(
        "SELECT COUNT(*) FROM easemob_sessions WHERE stopped_at IS NULL AND id LIKE 'year%'",
    )
    .fetch_one(db.pool())
    .await
    .expect("count")
    .get(0);
    assert_eq!(empty, 3);
    let again = run(&db, &source(&f), &o, &Controls::default())
        .await
        .expect("again");
    assert!(again.error.is_none(), "{:?}", again.error);
    assert_eq!(
        (again.streams[0].inserted, again.streams[0].updated),
        (0, 0)
    );
    db.close().await;
}
both!(
    odd_times_sqlite,
    odd_times_postgres,
    unrepresentable_times_leave_the_column_empty
);

/// An id longer than a PostgreSQL index entry holds (about 2,700 bytes)
/// would fail its window on every run. Both databases store it under the
/// same shortened key (its first 960 bytes, `…`, the MD5 of the whole); the
/// record keeps the whole id, a second run changes nothing, and `verify`
/// finds nothing missing.
async fn over_long_ids_are_stored_under_a_shortened_key(t: &TestDb) {
    let f = fake();
    let until = june();
    let long: String = (0..4000u32)
        .map(|i| char::from_digit((i * 7 + i / 13) % 16, 16).expect("hex"))
        .collect();
    let s = session(&long, until - Duration::minutes(5));
    *f.inner.sessions.lock().expect("lock") =
        vec![s.clone(), session("short", until - Duration::minutes(4))];

    let db = t.open().await;
    let mut o = Options::new(vec![Stream::Sessions], until);
    o.since = until - Duration::hours(1);
    let r = run(&db, &source(&f), &o, &Controls::default())
        .await
        .expect("sync");
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(r.streams[0].inserted, 2, "{:?}", r.streams[0]);
    let stored = ids(&db, "easemob_sessions", "1").await;
    let key = stored
        .iter()
        .find(|k| k.contains('…'))
        .expect("the long one");
    assert!(key.len() <= kefu_sync::row::MAX_KEY_BYTES, "{}", key.len());
    assert!(long.starts_with(key.split('…').next().expect("head")));

    use sqlx::Row as _;
    let text = record_text(&db);
    let json: String = sqlx::query(&format!(
        "SELECT {text} FROM easemob_sessions WHERE id = $1"
    ))
    .bind(key.as_str())
    .fetch_one(db.pool())
    .await
    .expect("record")
    .get(0);
    assert_eq!(serde_json::from_str::<Session>(&json).expect("session"), s);

    let again = run(&db, &source(&f), &o, &Controls::default())
        .await
        .expect("again");
    assert_eq!(
        (again.streams[0].inserted, again.streams[0].updated),
        (0, 0)
    );
    let diffs = kefu_sync::verify(&db, &source(&f), &o, None, None)
        .await
        .expect("verify");
    assert!(diffs.is_empty(), "{diffs:?}");
    db.close().await;
}
both!(
    long_id_sqlite,
    long_id_postgres,
    over_long_ids_are_stored_under_a_shortened_key
);
