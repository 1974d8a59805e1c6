use async_trait::async_trait;

use crate::model::{ChatSummary, Session, SessionQuery};
use crate::{Error, Operation, Provider, RecordStream, Result};

/// Service-session history.
///
/// Defaults fail with [`Error::Unsupported`] without I/O.
#[async_trait]
pub trait SessionHistory: Provider {
    /// Every session matching `query`, all pages, as a stream; each session
    /// that existed when the stream began appears exactly once.
    fn sessions(&self, query: &SessionQuery) -> Result<RecordStream<Session>> {
        let _ = query;
        Err(Error::unsupported(self.vendor(), Operation::ListSessions))
    }

    /// One customer's conversations with every merchant, by the platform's
    /// customer id.
    async fn chats(&self, partner_id: &str) -> Result<Vec<ChatSummary>> {
        let _ = partner_id;
        Err(Error::unsupported(self.vendor(), Operation::ListChats))
    }
}
