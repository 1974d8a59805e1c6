//! `kefu chats list`.

use super::Context;
use crate::cli::ChatsListArgs;
use crate::exit::Failure;

/// Lists one customer's conversations with every merchant.
pub async fn list(ctx: &Context, args: ChatsListArgs) -> Result<(), Failure> {
    kefu::validate::non_empty("--partner-id", &args.partner_id)?;
    let chats = ctx.client.sessions().chats(&args.partner_id).await?;
    ctx.print_list(&chats)
}
