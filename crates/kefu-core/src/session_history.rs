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

    /// How many sessions match `query` by the vendor's own count, read
    /// cheaply (one small request), without listing them; `Ok(None)` when
    /// the vendor gives no such count (the default, without I/O).
    ///
    /// The paging fields of `query` (`page_size`) are ignored. `kefu sync
    /// verify` compares it with the rows stored for a window, and falls back
    /// to comparing ids when it is `None`.
    async fn session_total(&self, query: &SessionQuery) -> Result<Option<u64>> {
        let _ = query;
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Capabilities, Vendor};

    /// A vendor that implements none of the trait.
    #[derive(Debug)]
    struct Bare;

    impl Provider for Bare {
        fn vendor(&self) -> Vendor {
            Vendor::Sobot
        }
        fn capabilities(&self) -> Capabilities {
            Capabilities::new(Vendor::Sobot, &[])
        }
    }

    impl SessionHistory for Bare {}

    #[test]
    fn a_vendor_without_totals_says_none_rather_than_failing() {
        let total = futures_executor::block_on(Bare.session_total(&SessionQuery::default()));
        assert_eq!(total.ok(), Some(None));
    }
}
