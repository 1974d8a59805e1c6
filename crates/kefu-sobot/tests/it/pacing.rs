//! chatIndexPage's 20 calls a minute, under tokio's paused clock: the
//! client waits instead of being refused with status 4.

use std::time::Duration;

use futures_util::future::join_all;
use kefu_core::{ErrorKind, SessionHistory};
use kefu_http::TransportConfig;
use kefu_testkit::sandbox::SeedConfig;
use kefu_testkit::sandbox::sobot;
use tokio::time::Instant;

use crate::common::builder;

#[tokio::test(start_paused = true)]
async fn sixty_calls_are_paced_without_a_refusal() {
    let sb = sobot::start(SeedConfig::default()).await.unwrap();
    // No timers in the transport: under paused time they would fire at once
    // while real loopback I/O is in flight.
    let client = builder(&sb)
        .transport(TransportConfig::without_timers())
        .build()
        .unwrap();
    let partners = sb.sobot().partner_ids();
    let t0 = Instant::now();
    for i in 0..60 {
        client.chats(&partners[i % partners.len()]).await.unwrap();
    }
    let elapsed = t0.elapsed();
    assert_eq!(sb.chat_calls_refused(), 0);
    assert_eq!(sb.chat_calls_admitted(), 60);
    // Three bursts of 20, two full windows of 61 s apart.
    assert!(elapsed >= Duration::from_secs(122), "{elapsed:?}");
    // After the first burst, the sustained rate stays just under the limit.
    let per_minute = 40.0 / (elapsed.as_secs_f64() / 60.0);
    eprintln!(
        "60 chat calls in {elapsed:?} of virtual time: {per_minute:.2} calls a minute sustained"
    );
    assert!(
        (19.0..=20.0).contains(&per_minute),
        "{per_minute:.2} calls a minute"
    );
}

#[tokio::test(start_paused = true)]
async fn clones_share_one_pacer() {
    let sb = sobot::start(SeedConfig::default()).await.unwrap();
    let client = builder(&sb)
        .transport(TransportConfig::without_timers())
        .build()
        .unwrap();
    let a = client.for_tenant("M001");
    let b = client.for_tenant("M002");
    let t0 = Instant::now();
    let calls = (0..30).map(|i| {
        let c = if i % 2 == 0 { a.clone() } else { b.clone() };
        async move { c.chats("partner-001").await }
    });
    for r in join_all(calls).await {
        r.unwrap();
    }
    assert_eq!(sb.chat_calls_refused(), 0);
    assert!(t0.elapsed() >= Duration::from_secs(61));
}

#[tokio::test]
async fn without_the_pacer_the_vendor_refuses_with_status_4() {
    let sb = sobot::start(SeedConfig::default()).await.unwrap();
    // A pace far above the limit proves the pacer above is what prevents it.
    let client = builder(&sb)
        .chat_pace(1000, Duration::from_secs(60))
        .build()
        .unwrap();
    let mut refused = None;
    for i in 0..21 {
        if let Err(e) = client.chats("partner-001").await {
            refused = Some((i, e));
            break;
        }
    }
    let (i, e) = refused.expect("the 21st call is refused");
    assert_eq!(i, 20);
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    assert_eq!(e.vendor_error().unwrap().code, "status 4");
    // Refused once, then tried again after waiting its turn, a bounded
    // number of times, all inside the vendor's minute.
    assert_eq!(
        sb.chat_calls_refused(),
        1 + kefu_sobot::pacing::REFUSALS_RETRIED as usize
    );
}

#[tokio::test]
async fn a_refused_call_waits_its_turn_and_is_tried_again() {
    let sb = sobot::start(SeedConfig::default()).await.unwrap();
    sb.set_chat_limit(1, Duration::from_millis(500));
    // Someone outside our budget spends the vendor's window.
    let outsider = builder(&sb).build().unwrap();
    outsider.chats("partner-001").await.unwrap();
    let client = builder(&sb)
        .chat_pace(1, Duration::from_millis(400))
        .build()
        .unwrap();
    let t0 = std::time::Instant::now();
    let chats = client
        .chats("partner-001")
        .await
        .expect("retried until admitted");
    assert!(!chats.is_empty());
    assert!(sb.chat_calls_refused() >= 1, "the first try was refused");
    assert_eq!(sb.chat_calls_admitted(), 2);
    assert!(t0.elapsed() >= Duration::from_millis(400), "it waited");
}

/// Two clients (as two processes would) sharing one store keep the
/// vendor's window between them; each pacing itself alone does not.
#[tokio::test]
async fn clients_sharing_a_store_share_one_budget() {
    use std::sync::Arc;

    use kefu_core::shared::{MemoryStore, SharedStore};

    async fn run(sb: &sobot::SobotSandbox, store: Option<Arc<dyn SharedStore>>) -> usize {
        sb.set_chat_limit(4, Duration::from_millis(1000));
        let refused_before = sb.chat_calls_refused();
        let clients: Vec<_> = (0..2)
            .map(|_| {
                let mut b = builder(sb).chat_pace(4, Duration::from_millis(1500));
                if let Some(store) = &store {
                    b = b.shared_store(store.clone());
                }
                b.build().unwrap()
            })
            .collect();
        let calls = (0..6).map(|i| {
            let c = clients[i % 2].clone();
            async move { c.chats("partner-001").await }
        });
        let _ = join_all(calls).await;
        sb.chat_calls_refused() - refused_before
    }

    let sb = sobot::start(SeedConfig::default()).await.unwrap();
    let store: Arc<dyn SharedStore> = Arc::new(MemoryStore::new());
    assert_eq!(
        run(&sb, Some(store)).await,
        0,
        "one shared budget: no refusal"
    );
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(
        run(&sb, None).await > 0,
        "two budgets overrun the vendor's window"
    );
}
