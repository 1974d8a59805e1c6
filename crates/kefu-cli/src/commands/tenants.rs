//! `kefu tenants list|add|update|app-keys` (Sobot merchant tenants).

use kefu::Operation;
use kefu::model::{NewTenant, TenantQuery, TenantSearch, TenantStatus, TenantUpdate};

use super::Context;
use crate::cli::{
    TenantStatusArg, TenantsAddArgs, TenantsCommand, TenantsListArgs, TenantsUpdateArgs,
};
use crate::exit::Failure;
use crate::records::Outcome;
use crate::window;

/// Runs one `tenants` command.
pub async fn run(ctx: &Context, command: TenantsCommand) -> Result<(), Failure> {
    match command {
        TenantsCommand::List(args) => list(ctx, args).await,
        TenantsCommand::Add(args) => add(ctx, args).await,
        TenantsCommand::Update(args) => update(ctx, args).await,
        TenantsCommand::AppKeys => {
            let keys = ctx.client.tenants().app_keys().await?;
            ctx.print_list(&keys)
        }
    }
}

async fn list(ctx: &Context, args: TenantsListArgs) -> Result<(), Failure> {
    let query = query(args)?;
    let stream = ctx.client.tenants().list_tenants(&query)?;
    ctx.print_stream(stream).await.map(drop)
}

/// The query of `tenants list`; dates checked before anything is sent.
fn query(args: TenantsListArgs) -> Result<TenantQuery, Failure> {
    let from = args
        .from
        .as_deref()
        .map(|d| window::date("--from", d))
        .transpose()?;
    let to = args
        .to
        .as_deref()
        .map(|d| window::date("--to", d))
        .transpose()?;
    if let (Some(f), Some(t), Some(ft), Some(tt)) = (&from, &to, &args.from, &args.to) {
        window::ordered(f, t, (ft, tt))?;
    }
    // clap lets at most one of these through (they form one group).
    let search = args
        .name
        .map(TenantSearch::Name)
        .or(args.account.map(TenantSearch::Account))
        .or(args.phone.map(TenantSearch::Phone))
        .or(args.external_id.map(TenantSearch::ExternalId));
    Ok(TenantQuery {
        status: match args.status {
            TenantStatusArg::All => TenantStatus::All,
            TenantStatusArg::Open => TenantStatus::Open,
            TenantStatusArg::Closed => TenantStatus::Closed,
        },
        from,
        to,
        search,
        page_size: None,
    })
}

async fn add(ctx: &Context, args: TenantsAddArgs) -> Result<(), Failure> {
    let tenant = NewTenant {
        customer_code: args.customer_code,
        name: args.name,
        email: args.email,
        password: Some(crate::ops::required_password(
            args.password,
            args.password_stdin,
        )?),
        max_agents: args.max_agents,
        contact_name: args.contact_name,
        contact_tel: args.contact_tel,
        icon: args.icon,
    };
    let created = ctx.client.tenants().add_tenant(&tenant).await?;
    ctx.print_one(&created)
}

async fn update(ctx: &Context, args: TenantsUpdateArgs) -> Result<(), Failure> {
    let update = TenantUpdate {
        customer_code: args.customer_code,
        name: args.name,
        email: args.email,
        max_agents: args.max_agents,
        contact_name: args.contact_name,
        contact_tel: args.contact_tel,
    };
    ctx.client.tenants().update_tenant(&update).await?;
    ctx.print_one(&Outcome::ok(Operation::UpdateTenant, &update.customer_code))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> TenantsListArgs {
        TenantsListArgs {
            status: TenantStatusArg::Open,
            from: Some("2024-05-01".into()),
            to: Some("2024-05-31".into()),
            name: None,
            account: None,
            phone: None,
            external_id: Some("ext-1".into()),
        }
    }

    #[test]
    fn the_query_carries_status_dates_and_search() {
        let q = query(args()).expect("query");
        assert_eq!(q.status, TenantStatus::Open);
        assert_eq!(q.search, Some(TenantSearch::ExternalId("ext-1".into())));
        assert_eq!(q.to.map(|d| d.to_string()).as_deref(), Some("2024-05-31"));
    }

    #[test]
    fn reversed_or_bad_dates_are_refused() {
        let mut a = args();
        a.from = Some("2024-06-01".into());
        assert!(matches!(query(a), Err(Failure::Kefu(e)) if e.field() == Some("--from")));
        let mut a = args();
        a.to = Some("31/05/2024".into());
        assert!(matches!(query(a), Err(Failure::Kefu(e)) if e.field() == Some("--to")));
    }
}
