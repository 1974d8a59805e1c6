//! `kefu roles list`.

use super::Context;
use crate::exit::Failure;

/// Lists the roles agents can hold (Sobot: its four fixed roles).
pub async fn list(ctx: &Context) -> Result<(), Failure> {
    let roles = ctx.client.agents().list_roles().await?;
    ctx.print_list(&roles)
}
