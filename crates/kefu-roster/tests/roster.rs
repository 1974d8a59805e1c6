//! Rosters against the real vendor sandboxes on loopback.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use kefu_core::{AgentAdmin, Error, Operation, Secret};
use kefu_easemob::EasemobBuilder;
use kefu_http::{Exchange, ExchangeObserver, Hooks, RetryPolicy, TransportConfig};
use kefu_roster::{Action, Outcome, PlanOptions, Roster, RosterError, apply, plan};
use kefu_sobot::SobotBuilder;
use kefu_testkit::sandbox::easemob::{self, EasemobSandbox};
use kefu_testkit::sandbox::{Fault, SeedConfig, sobot};

fn transport(hooks: Hooks) -> TransportConfig {
    TransportConfig {
        retry: RetryPolicy {
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            jitter: false,
            ..RetryPolicy::default()
        },
        request_timeout: Some(Duration::from_secs(10)),
        hooks,
        ..TransportConfig::default()
    }
}

fn lookup(env: Vec<(String, String)>) -> impl Fn(&str) -> Option<String> {
    move |k| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
}

async fn easemob_setup(hooks: Hooks) -> (EasemobSandbox, Arc<dyn AgentAdmin>) {
    let sb = easemob::start(SeedConfig {
        agents: 4,
        ..SeedConfig::default()
    })
    .await
    .unwrap();
    let client = EasemobBuilder::from_lookup(lookup(sb.env()))
        .transport(transport(hooks))
        .build()
        .unwrap();
    (sb, Arc::new(client))
}

fn roster(text: &str) -> Roster {
    Roster::parse(text.as_bytes()).unwrap()
}

fn writes(sb: &EasemobSandbox) -> usize {
    sb.requests()
        .iter()
        .filter(|r| r.method != "GET" && !r.path.ends_with("/accessToken"))
        .count()
}

fn password() -> Secret {
    Secret::new("Start-Pass-2024")
}

#[tokio::test]
async fn easemob_full_diff_then_a_second_apply_does_nothing() {
    let (sb, admin) = easemob_setup(Hooks::default()).await;
    let names = sb.easemob().usernames();
    let (keep, change, disable) = (&names[0], &names[1], &names[2]);
    let file = format!(
        "email,nickname,name,role,max_sessions,enabled\n\
         {keep},,,,,\n\
         {change},Renamed,,,17,\n\
         {disable},,,,,no\n\
         new.agent@shop.example,New,New Agent,agent,5,yes\n"
    );
    let r = roster(&file);
    let p = plan(&*admin, &r, PlanOptions { prune: true })
        .await
        .unwrap();
    let actions: Vec<(String, Action)> = p
        .items
        .iter()
        .map(|i| (i.email.clone(), i.action))
        .collect();
    assert_eq!(actions[0], (keep.clone(), Action::None));
    assert_eq!(actions[1], (change.clone(), Action::Update));
    assert_eq!(actions[2], (disable.clone(), Action::Disable));
    assert_eq!(
        actions[3],
        ("new.agent@shop.example".to_owned(), Action::Create)
    );
    assert_eq!(actions[4], (names[3].clone(), Action::Delete), "prune");
    assert_eq!(p.items.len(), 5);
    let ch = &p.items[1].changes_json();
    assert_eq!(ch["nickname"][1].as_deref(), Some("Renamed"));
    assert_eq!(ch["max_sessions"][1].as_deref(), Some("17"));
    assert!(
        !ch.contains_key("name"),
        "an empty cell leaves the field alone"
    );
    assert_eq!(writes(&sb), 0, "planning wrote something");

    let done = apply(&*admin, &p, Some(&password())).await;
    let outcomes: Vec<Outcome> = done.iter().map(|a| a.outcome).collect();
    assert_eq!(
        outcomes,
        [
            Outcome::Unchanged,
            Outcome::Updated,
            Outcome::Disabled,
            Outcome::Created,
            Outcome::Deleted
        ],
        "{:?}",
        done.iter()
            .map(|a| a.error.as_ref().map(ToString::to_string))
            .collect::<Vec<_>>()
    );
    let new = sb.agent("new.agent@shop.example").unwrap();
    assert_eq!(new["nicename"], "New");
    assert_eq!(sb.agent(change).unwrap()["nicename"], "Renamed");
    assert_eq!(sb.agent(disable).unwrap()["status"], "Disable");
    assert!(sb.agent(&names[3]).is_none());

    // The same file again: nothing to do, nothing written.
    let before = writes(&sb);
    let again = plan(&*admin, &r, PlanOptions { prune: true })
        .await
        .unwrap();
    assert_eq!(again.pending(), 0, "{:?}", again.items);
    let done = apply(&*admin, &again, Some(&password())).await;
    assert!(done.iter().all(|a| a.outcome == Outcome::Unchanged));
    assert_eq!(writes(&sb), before);
}

#[tokio::test]
async fn a_lost_create_answer_never_creates_twice() {
    let (sb, admin) = easemob_setup(Hooks::default()).await;
    let r =
        roster("email,nickname,name,role,max_sessions\nlost@shop.example,Lost,Lost One,agent,3\n");
    let p = plan(&*admin, &r, PlanOptions::default()).await.unwrap();
    // The add is served, then the connection breaks before the answer.
    sb.chaos().inject(Fault::DropAfter, 1);
    let done = apply(&*admin, &p, Some(&password())).await;
    assert_eq!(done[0].outcome, Outcome::Created, "{:?}", done[0].error);
    let adds = sb
        .requests()
        .iter()
        .filter(|q| q.method == "POST" && q.path.ends_with("/agent"))
        .count();
    assert_eq!(adds, 1, "the create was repeated");
    // And a second apply sees it there.
    let again = plan(&*admin, &r, PlanOptions::default()).await.unwrap();
    assert_eq!(again.items[0].action, Action::None);
}

#[tokio::test]
async fn new_agents_without_the_fields_an_add_needs_are_bad_rows() {
    let (sb, admin) = easemob_setup(Hooks::default()).await;
    let r = roster("email,nickname\nx@shop.example,X\ny@shop.example,\n");
    match plan(&*admin, &r, PlanOptions::default()).await {
        Err(RosterError::BadRows(p)) => {
            assert_eq!(p.iter().map(|p| p.line).collect::<Vec<_>>(), [2, 3]);
            assert!(
                p[0].message.contains("name, role, max_sessions"),
                "{}",
                p[0]
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(writes(&sb), 0);
}

#[derive(Default)]
struct Held(std::sync::Mutex<Vec<Exchange>>);
impl ExchangeObserver for Held {
    fn exchange(&self, e: &Exchange) {
        self.0.lock().unwrap().push(e.clone());
    }
}

#[tokio::test]
async fn a_dry_run_apply_sends_no_write_and_shows_every_request() {
    let held = Arc::new(Held::default());
    let (sb, admin) = easemob_setup(Hooks {
        observers: Vec::new(),
        dry_run: Some(held.clone()),
    })
    .await;
    let name = sb.easemob().usernames()[0].clone();
    let r = roster(&format!(
        "email,nickname,name,role,max_sessions,enabled\n{name},Other,,,,no\nd@shop.example,D,D D,agent,2,no\n"
    ));
    let p = plan(&*admin, &r, PlanOptions::default()).await.unwrap();
    let done = apply(&*admin, &p, Some(&password())).await;
    assert!(
        done.iter().all(|a| a.outcome == Outcome::DryRun),
        "{done:?}"
    );
    assert_eq!(writes(&sb), 0);
    let held = held.0.lock().unwrap();
    let routes: Vec<String> = held
        .iter()
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    assert_eq!(
        routes,
        [
            "PUT /api/tenants/1/agent",
            "PUT /api/tenants/1/agent/disable",
            "POST /api/tenants/1/agent",
            "PUT /api/tenants/1/agent/disable",
        ]
        .map(|r| r.replace(
            "/1/",
            &format!(
                "/{}/",
                sb.env()
                    .iter()
                    .find(|(k, _)| k == "KEFU_EASEMOB_TENANT_ID")
                    .unwrap()
                    .1
            )
        ))
    );
    assert!(
        !serde_json::to_string(&*held)
            .unwrap()
            .contains("Start-Pass-2024")
    );
}

#[tokio::test]
async fn sobot_rows_are_add_or_update_and_prune_is_refused() {
    let sb = sobot::start(SeedConfig::default()).await.unwrap();
    let client = SobotBuilder::from_lookup(lookup(sb.env()))
        .transport(transport(Hooks::default()))
        .build()
        .unwrap();
    let code = sb
        .env()
        .into_iter()
        .find(|(k, _)| k == "KEFU_SOBOT_CUSTOMER_CODE")
        .map(|(_, v)| v);
    let code = code.unwrap_or_else(|| "M001".to_owned());
    let admin: Arc<dyn AgentAdmin> = Arc::new(client.for_tenant(code.clone()));
    let r = roster(
        "email,nickname,name,role,max_sessions,phone\n\
         fresh@shop.example,Fresh,Fresh One,online-agent,4,13100000000\n",
    );
    let e = plan(&*admin, &r, PlanOptions { prune: true })
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            RosterError::Kefu(Error::Unsupported {
                operation: Operation::ListAgents,
                ..
            })
        ),
        "{e}"
    );
    assert!(sb.requests().is_empty(), "refusing prune sent something");
    let p = plan(&*admin, &r, PlanOptions::default()).await.unwrap();
    assert!(!p.from_list);
    let first = apply(&*admin, &p, Some(&password())).await;
    assert_eq!(first[0].outcome, Outcome::Created, "{:?}", first[0].error);
    // Again: it exists now, so it is updated in place, never added twice.
    let second = apply(&*admin, &p, Some(&password())).await;
    assert_eq!(second[0].outcome, Outcome::Updated, "{:?}", second[0].error);
    assert!(sb.sobot().staff(&code, "fresh@shop.example").is_some());
    let incomplete = roster("email,nickname\nx@shop.example,X\n");
    assert!(matches!(
        plan(&*admin, &incomplete, PlanOptions::default()).await,
        Err(RosterError::BadRows(_))
    ));
}
