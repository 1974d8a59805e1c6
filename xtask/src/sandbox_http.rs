//! The sandbox's control routes (`/__sandbox/...`) as `bench` drives them:
//! a blocking ureq client, plain HTTP on loopback.

use std::sync::OnceLock;

use crate::{Error, Result};

fn agent() -> &'static ureq::Agent {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    AGENT.get_or_init(|| {
        ureq::Agent::config_builder()
            // The answer's body goes into the error message.
            .http_status_as_error(false)
            // Loopback: a proxy from the environment must not intercept it.
            .proxy(None)
            .build()
            .into()
    })
}

/// `method path` against the sandbox at `base_url`; the body of a 2xx
/// answer, else an error with the status and the body.
pub(crate) fn http(base_url: &str, method: &str, path: &str, body: Option<&str>) -> Result<String> {
    if !base_url.starts_with("http://") {
        return Err(Error(format!("not a loopback http URL: {base_url}")));
    }
    let url = format!("{}{path}", base_url.trim_end_matches('/'));
    let agent = agent();
    let answer = match (method, body) {
        ("GET", None) => agent.get(&url).call(),
        ("DELETE", None) => agent.delete(&url).call(),
        ("POST", body) => agent
            .post(&url)
            .header("Content-Type", "application/json")
            .send(body.unwrap_or("")),
        _ => {
            return Err(Error(format!(
                "{method} {path}: not a request the sandbox's control routes take"
            )));
        }
    };
    let mut answer = answer.map_err(|e| Error(format!("{method} {path}: {e}")))?;
    let status = answer.status();
    let content = answer
        .body_mut()
        .read_to_string()
        .map_err(|e| Error(format!("{method} {path}: reading the answer: {e}")))?;
    if !status.is_success() {
        return Err(Error(format!(
            "{method} {path} answered {}: {content}",
            status.as_u16()
        )));
    }
    Ok(content)
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;

    use super::*;

    /// One answer on a loopback port; returns the base URL and the request
    /// line the server saw (once joined).
    fn serve_once(answer: &'static str) -> (String, std::thread::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let server = std::thread::spawn(move || {
            let (stream, _) = listener.accept().expect("accept");
            let mut reader = BufReader::new(stream);
            let mut head = String::new();
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).expect("read");
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().expect("length");
                }
                if line == "\r\n" || line.is_empty() {
                    break;
                }
                head.push_str(&line);
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).expect("body");
            reader
                .get_mut()
                .write_all(answer.as_bytes())
                .expect("write");
            format!(
                "{}{}",
                head.lines().next().unwrap_or(""),
                String::from_utf8_lossy(&body)
            )
        });
        (base, server)
    }

    #[test]
    fn reads_a_chunked_answer_whole() {
        let (base, server) = serve_once(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
             4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n",
        );
        let body = http(
            &base,
            "POST",
            "/__sandbox/chaos",
            Some("{\"latency_ms\": 20}"),
        )
        .expect("answer");
        assert_eq!(body, "Wikipedia");
        assert_eq!(
            server.join().expect("server"),
            "POST /__sandbox/chaos HTTP/1.1{\"latency_ms\": 20}"
        );
    }

    #[test]
    fn a_refusal_is_an_error_with_status_and_body() {
        let (base, server) = serve_once(
            "HTTP/1.1 404 Not Found\r\nContent-Length: 7\r\nConnection: close\r\n\r\nno such",
        );
        let e = http(&base, "DELETE", "/__sandbox/requests", None).expect_err("404");
        assert_eq!(e.0, "DELETE /__sandbox/requests answered 404: no such");
        server.join().expect("server");
        assert!(http("https://x", "GET", "/", None).is_err());
    }
}
