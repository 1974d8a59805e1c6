//! One customer's merchant conversations: chatIndexPage.

use async_trait::async_trait;
use kefu_core::model::ChatSummary;
use kefu_core::{Operation, Result, SessionHistory, validate};
use kefu_http::WireRequest;

use crate::SobotClient;
use crate::decode;
use crate::sign::chat_token;
use crate::wire::ChatBody;

const CHAT_INDEX_PAGE: &str = "/chat-third/tenant/5/user/chatIndexPage";

#[async_trait]
impl SessionHistory for SobotClient {
    /// chatIndexPage for the platform customer `partner_id`.
    ///
    /// Paced below the vendor's 20 calls a minute by a pacer every clone of
    /// this client shares, so a burst waits instead of being refused with
    /// status 4. `ts` is taken after the wait, so it is fresh when sent.
    async fn chats(&self, partner_id: &str) -> Result<Vec<ChatSummary>> {
        validate::non_empty("partnerId", partner_id)?;
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
        self.call(&request, |b| decode::chats(b, zone)).await
    }
}
