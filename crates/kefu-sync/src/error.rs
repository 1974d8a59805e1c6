//! One error for a sync: the vendor's, the database's, or bad input.

use std::borrow::Cow;

/// What can go wrong in a sync.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The vendor call failed (carries the vendor's code and message).
    #[error(transparent)]
    Vendor(#[from] kefu_core::Error),
    /// The database refused or could not be reached. The message never holds
    /// the connection URL (it may carry a password).
    #[error("database: {0}")]
    Database(String),
    /// Bad input: nothing was read or written.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The option or field at fault.
        field: Cow<'static, str>,
        /// Why.
        reason: String,
    },
    /// The database was written by a newer kefu than this one.
    #[error("the database has schema version {found}; this kefu knows up to {known}: upgrade kefu")]
    SchemaTooNew {
        /// The version found.
        found: i64,
        /// The newest this build knows.
        known: i64,
    },
}

impl SyncError {
    /// Bad input naming `field`.
    pub fn invalid(field: impl Into<Cow<'static, str>>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl From<sqlx::Error> for SyncError {
    fn from(e: sqlx::Error) -> Self {
        // sqlx's messages name the server's refusal, never the URL.
        Self::Database(e.to_string())
    }
}

/// `Result` with [`SyncError`].
pub type Result<T, E = SyncError> = std::result::Result<T, E>;
