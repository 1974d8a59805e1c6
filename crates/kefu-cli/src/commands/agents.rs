//! `kefu agents list|add|update|delete|enable|disable|set-password` (and
//! `plan|apply`, in `roster`).

use std::sync::Arc;

use kefu::model::{AgentQuery, AgentUpdate, NewAgent};
use kefu::{AgentAdmin, Operation};

use super::Context;
use crate::cli::{AgentsAddArgs, AgentsCommand, AgentsDeleteArgs, AgentsUpdateArgs};
use crate::exit::Failure;
use crate::records::Outcome;

/// Runs one `agents` command.
pub async fn run(ctx: &Context, command: AgentsCommand) -> Result<(), Failure> {
    match command {
        AgentsCommand::List(args) => {
            let query = AgentQuery {
                search: args.search,
                page_size: None,
            };
            let stream = ctx.client.agents().list_agents(&query)?;
            ctx.print_stream(stream).await.map(drop)
        }
        AgentsCommand::Add(args) => add(ctx, args).await,
        AgentsCommand::Plan(args) => {
            super::roster::plan(ctx, scoped(ctx, args.tenant.clone())?, args).await
        }
        AgentsCommand::Apply(args) => {
            let admin = scoped(ctx, args.roster.tenant.clone())?;
            super::roster::apply(ctx, admin, args).await
        }
        AgentsCommand::Update(args) => update(ctx, args).await,
        AgentsCommand::Delete(AgentsDeleteArgs { email, tenant }) => {
            scoped(ctx, tenant)?.delete_agent(&email).await?;
            ctx.print_one(&Outcome::ok(Operation::DeleteAgent, &email))
        }
        AgentsCommand::Enable(args) => {
            ctx.client.agents().enable_agent(&args.email).await?;
            ctx.print_one(&Outcome::ok(Operation::EnableAgent, &args.email))
        }
        AgentsCommand::Disable(args) => {
            ctx.client.agents().disable_agent(&args.email).await?;
            ctx.print_one(&Outcome::ok(Operation::DisableAgent, &args.email))
        }
        AgentsCommand::SetPassword(args) => {
            let password = crate::ops::required_password(args.password, args.password_stdin)?;
            ctx.client
                .agents()
                .set_agent_password(&args.email, &password)
                .await?;
            ctx.print_one(&Outcome::ok(Operation::SetAgentPassword, &args.email))
        }
    }
}

async fn add(ctx: &Context, args: AgentsAddArgs) -> Result<(), Failure> {
    let password = crate::ops::required_password(args.password, args.password_stdin)?;
    let admin = scoped(ctx, args.tenant)?;
    let agent = NewAgent {
        email: args.email,
        nickname: args.nickname,
        real_name: args.name,
        password: Some(password),
        // A well-known name or an id: the vendor resolves it.
        role: args.role,
        max_sessions: args.max_sessions,
        phone: args.phone,
        agent_number: args.agent_number,
    };
    match admin.add_agent(&agent).await? {
        Some(created) => ctx.print_one(&created),
        None => ctx.print_one(&Outcome::ok(Operation::AddAgent, &agent.email)),
    }
}

async fn update(ctx: &Context, args: AgentsUpdateArgs) -> Result<(), Failure> {
    let admin = scoped(ctx, args.tenant)?;
    let update = AgentUpdate {
        email: args.email,
        nickname: args.nickname,
        real_name: args.name,
        phone: args.phone,
        role: args.role,
        max_sessions: args.max_sessions,
        agent_number: args.agent_number,
    };
    admin.update_agent(&update).await?;
    ctx.print_one(&Outcome::ok(Operation::UpdateAgent, &update.email))
}

/// The agent admin for `--tenant` (see [`crate::vendors::scoped`]).
pub(super) fn scoped(
    ctx: &Context,
    tenant: Option<String>,
) -> Result<Arc<dyn AgentAdmin>, Failure> {
    crate::vendors::scoped(&ctx.client, &ctx.settings, tenant)
}
