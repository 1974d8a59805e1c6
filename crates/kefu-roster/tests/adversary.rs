//! Rosters against a vendor that misbehaves on purpose: pages repeated,
//! emails in another case, answers lost after the write happened.

#![allow(clippy::unwrap_used)]

use std::sync::Mutex;

use async_trait::async_trait;
use kefu_core::model::{Agent, AgentQuery, AgentUpdate, NewAgent};
use kefu_core::{
    AgentAdmin, Capabilities, Error, Operation, Provider, RecordStream, Result, Secret, Vendor,
};
use kefu_roster::{Action, Outcome, PlanOptions, Roster, apply, plan};

#[derive(Debug, Default)]
struct Flaky {
    listed: Vec<Agent>,
    calls: Mutex<Vec<String>>,
    /// Every add is carried out, then its answer is lost.
    lose_adds: bool,
}

impl Provider for Flaky {
    fn vendor(&self) -> Vendor {
        Vendor::Easemob
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities::new(
            Vendor::Easemob,
            &[
                Operation::ListAgents,
                Operation::AddAgent,
                Operation::UpdateAgent,
                Operation::DeleteAgent,
                Operation::EnableAgent,
                Operation::DisableAgent,
            ],
        )
    }
}

#[async_trait]
impl AgentAdmin for Flaky {
    fn list_agents(&self, _: &AgentQuery) -> Result<RecordStream<Agent>> {
        // Every agent twice, as a server repeating its pages would.
        let twice: Vec<Result<Agent>> = self
            .listed
            .iter()
            .chain(self.listed.iter())
            .cloned()
            .map(Ok)
            .collect();
        Ok(Box::pin(futures_util::stream::iter(twice)))
    }
    async fn add_agent(&self, agent: &NewAgent) -> Result<Option<Agent>> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("add {}", agent.email));
        if self.lose_adds {
            return Err(Error::OutcomeUnknown {
                vendor: Vendor::Easemob,
                operation: Operation::AddAgent,
                message: "answer lost".into(),
            });
        }
        Ok(None)
    }
    async fn update_agent(&self, u: &AgentUpdate) -> Result<()> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("update {} {:?}", u.email, u.nickname));
        Ok(())
    }
    async fn disable_agent(&self, email: &str) -> Result<()> {
        self.calls.lock().unwrap().push(format!("disable {email}"));
        Ok(())
    }
}

fn agent(email: &str, nickname: &str) -> Agent {
    Agent {
        email: email.to_owned(),
        nickname: Some(nickname.to_owned()),
        enabled: Some(true),
        ..Agent::default()
    }
}

#[tokio::test]
async fn repeated_pages_and_other_cases_do_not_double_anything() {
    let admin = Flaky {
        listed: vec![
            agent("Alice@Shop.example", "Alice"),
            agent("bob@shop.example", "Bob"),
        ],
        ..Flaky::default()
    };
    let roster = Roster::parse(
        "email,nickname\nalice@shop.example,Alice\nBOB@shop.example,Robert\n".as_bytes(),
    )
    .unwrap();
    let p = plan(&admin, &roster, PlanOptions { prune: true })
        .await
        .unwrap();
    let actions: Vec<Action> = p.items.iter().map(|i| i.action).collect();
    // Nobody to delete: both listed agents are named (whatever the case),
    // however often the server repeated them.
    assert_eq!(actions, [Action::None, Action::Update]);
    apply(&admin, &p, None).await;
    assert_eq!(
        *admin.calls.lock().unwrap(),
        ["update bob@shop.example Some(\"Robert\")"]
    );
}

#[tokio::test]
async fn a_lost_create_is_unknown_and_never_repeated() {
    let admin = Flaky {
        lose_adds: true,
        ..Flaky::default()
    };
    let roster = Roster::parse(
        "email,nickname,name,role,max_sessions,enabled\nnew@shop.example,N,N N,agent,2,no\n"
            .as_bytes(),
    )
    .unwrap();
    let p = plan(&admin, &roster, PlanOptions::default()).await.unwrap();
    let done = apply(&admin, &p, Some(&Secret::new("Start-Pass-1"))).await;
    assert_eq!(done[0].outcome, Outcome::Unknown);
    assert!(matches!(done[0].error, Some(Error::OutcomeUnknown { .. })));
    // One add, and no disable of an agent that may not exist.
    assert_eq!(*admin.calls.lock().unwrap(), ["add new@shop.example"]);
}
