//! Base URLs: https everywhere, plain http only to this machine.

use std::net::IpAddr;

use kefu_core::{Error, Result};
use url::{Host, Url};

/// Parses a vendor base URL. `key` names the setting in the error
/// (`KEFU_EASEMOB_BASE_URL`, `base_url`).
///
/// Plain `http://` is accepted only for a loopback host (127.0.0.0/8, ::1,
/// `localhost`), so a sandbox works and no credential ever crosses a network
/// in the clear.
pub fn parse_base_url(key: &'static str, text: &str) -> Result<Url> {
    let url = Url::parse(text.trim())
        .map_err(|e| Error::config(key, format!("{text:?} is not a URL: {e}")))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(Error::config(
                key,
                format!(
                    "plain http is only allowed for a loopback host, not {:?}; use https",
                    url.host_str().unwrap_or("")
                ),
            ));
        }
        other => {
            return Err(Error::config(
                key,
                format!("scheme {other:?} is not http(s)"),
            ));
        }
    }
    if url.host().is_none() {
        return Err(Error::config(key, "has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::config(key, "must not carry credentials"));
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_http_only_on_loopback() {
        assert!(parse_base_url("b", "https://kefu.easemob.com").is_ok());
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "http://localhost:1",
            "http://[::1]:9",
        ] {
            assert!(parse_base_url("b", ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://kefu.easemob.com",
            "http://10.0.0.1",
            "http://127.0.0.1.nip.io",
            "ftp://x.com",
            "not a url",
            "https://u:p@x.com",
        ] {
            let e = parse_base_url("KEFU_EASEMOB_BASE_URL", bad).unwrap_err();
            assert!(
                e.to_string().contains("KEFU_EASEMOB_BASE_URL"),
                "{bad}: {e}"
            );
        }
    }
}
