//! unionKey, tokens, signs and passwords never show in Debug, errors or logs.

use std::io::Write;
use std::sync::{Arc, Mutex};

use kefu_core::model::ReportKind;
use kefu_core::{AgentAdmin, Reports, SessionHistory, TenantAdmin};
use kefu_testkit::sandbox::Fault;
use kefu_testkit::sandbox::sobot::UNION_KEY;
use tracing_subscriber::fmt::MakeWriter;

use crate::common::{builder, setup};
use crate::staff::new_agent;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn no_secret_in_debug_errors_or_logs() {
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("kefu_sobot=trace,kefu_http=trace,kefu_core=trace")
        .with_writer(logs.clone())
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let (sb, client) = setup().await;
    let mut printed = vec![
        format!("{client:?}"),
        format!("{:?}", builder(&sb)),
        format!("{client:#?}"),
    ];

    // Successful calls of every signing scheme, then failures of each kind.
    client.app_keys().await.unwrap();
    client.chats("partner-001").await.unwrap();
    let agent = new_agent("secret-test@m001.example.com");
    client.add_agent(&agent).await.unwrap();
    printed.push(format!("{agent:?}"));
    let wrong = builder(&sb)
        .union_key("another-secret-key")
        .build()
        .unwrap();
    printed.push(format!("{wrong:?}"));
    let errors = vec![
        wrong
            .add_agent(&new_agent("x@m001.example.com"))
            .await
            .unwrap_err(),
        wrong.chats("partner-001").await.unwrap_err(),
        wrong
            .export_report(
                ReportKind::Sessions,
                chrono::NaiveDate::from_ymd_opt(2024, 5, 2).unwrap(),
            )
            .await
            .unwrap_err(),
        {
            sb.chaos().inject(Fault::Html, 3);
            client.app_keys().await.unwrap_err()
        },
        {
            sb.chaos().inject(Fault::DropAfter, 1);
            client
                .add_agent(&new_agent("y@m001.example.com"))
                .await
                .unwrap_err()
        },
        {
            sb.chaos().inject(Fault::Status { status: 500 }, 3);
            let from = chrono::DateTime::from_timestamp(1_714_600_000, 0).unwrap();
            let mut s = client
                .agent_status_log(from, from + chrono::Duration::days(1))
                .unwrap();
            futures_util::StreamExt::next(&mut s)
                .await
                .unwrap()
                .unwrap_err()
        },
    ];
    for e in &errors {
        printed.push(format!("{e}"));
        printed.push(format!("{e:?}"));
    }
    drop(_guard);

    // Every token and sign the sandbox saw, the key, and the passwords.
    let mut secrets: Vec<String> = vec![
        UNION_KEY.to_owned(),
        "another-secret-key".to_owned(),
        "Agent-Pass-1".to_owned(),
    ];
    for r in sb.requests() {
        if let Some(body) = r.json() {
            for k in ["token", "sign"] {
                if let Some(v) = body[k].as_str() {
                    secrets.push(v.to_owned());
                }
            }
        }
        if let Some(v) = r.query_param("token") {
            secrets.push(v.to_owned());
        }
    }
    assert!(secrets.len() > 8, "{secrets:?}");
    let logged = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    // Span capture depends on tracing's process-wide interest cache, which
    // other tests' threads share; the retry events always reach us.
    assert!(
        logged.contains("retrying"),
        "tracing was captured: {logged}"
    );
    for text in printed.iter().chain([&logged]) {
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{secret:?} leaked into {text}"
            );
        }
    }
}
