//! One customer's merchant conversations: chatIndexPage.

use async_trait::async_trait;
use kefu_core::model::ChatSummary;
use kefu_core::{Error, Operation, Result, SessionHistory, validate};
use kefu_http::WireRequest;

use crate::SobotClient;
use crate::auth::chat_token;
use crate::decode;
use crate::wire::ChatBody;

const CHAT_INDEX_PAGE: &str = "/chat-third/tenant/5/user/chatIndexPage";

#[async_trait]
impl SessionHistory for SobotClient {
    /// chatIndexPage for the platform customer `partner_id`.
    ///
    /// Paced below the vendor's 20 calls a minute by a pacer every clone of
    /// this client shares, so a burst waits instead of being refused with
    /// status 4. `ts` is taken after the wait, so it is fresh when sent.
    ///
    /// A refusal all the same (status 4: callers outside the budget) has
    /// spent its place in the budget; the call waits one interval and its
    /// turn again, up to [`REFUSALS_RETRIED`](crate::pacing::REFUSALS_RETRIED)
    /// times, then returns the refusal.
    async fn chats(&self, partner_id: &str) -> Result<Vec<ChatSummary>> {
        validate::non_empty("partnerId", partner_id)?;
        let mut refusals = 0;
        loop {
            match self.chats_once(partner_id).await {
                Err(Error::RateLimited { .. }) if refusals < crate::pacing::REFUSALS_RETRIED => {
                    refusals += 1;
                    tracing::debug!(
                        refusals,
                        "chatIndexPage refused for the rate; waiting for the budget"
                    );
                    tokio::time::sleep(self.shared.chat_budget.interval()).await;
                }
                other => return other,
            }
        }
    }
}

impl SobotClient {
    /// One paced chatIndexPage call.
    async fn chats_once(&self, partner_id: &str) -> Result<Vec<ChatSummary>> {
        let s = &self.shared;
        s.chat_pacer.acquire().await;
        let ts = self.ts_millis();
        let body = ChatBody {
            union_code: &s.union_code,
            partner_id,
            ts,
            token: chat_token(&s.union_code, partner_id, &ts.to_string(), &s.union_key),
        };
        // A read, although a POST: safe to repeat.
        // Retries wait on the same pacer, so a 5xx storm cannot push the
        // client over 20 a minute either.
        let request = WireRequest::post(Operation::ListChats, CHAT_INDEX_PAGE)
            .idempotent(true)
            .pace_retries(s.chat_pacer.clone())
            .json(&body);
        let zone = s.zone;
        self.call(request, |b| decode::chats(b, zone)).await
    }
}
