//! From an answer to a decoded value or a typed error.

use kefu_core::{Error, Result};
use kefu_http::{WireResponse, status_error};
use serde::de::DeserializeOwned;

use crate::VENDOR;

/// A 2xx JSON body as `T`; anything else by its HTTP status.
pub(crate) fn decode<T: DeserializeOwned>(response: &WireResponse) -> Result<T> {
    if !response.is_success() {
        return Err(status_error(VENDOR, response));
    }
    serde_json::from_slice(&response.body)
        .map_err(|e| Error::decode(VENDOR, e.to_string(), &response.body))
}
