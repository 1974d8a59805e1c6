//! Running the real `kefu` binary in isolation: a clean environment, a
//! temporary HOME, and helpers for `sandbox serve` children, a tripwire
//! port and the sandbox's control endpoints.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command as StdCommand, Output, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;

/// A temporary HOME / XDG_CONFIG_HOME, so no developer config leaks in.
pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp home"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `kefu` with only HOME and XDG_CONFIG_HOME set.
    pub fn kefu(&self) -> Command {
        let mut cmd = Command::cargo_bin("kefu").expect("kefu binary");
        cmd.env_clear()
            .env("HOME", self.path())
            .env("XDG_CONFIG_HOME", self.path().join(".config"))
            .current_dir(self.path())
            .timeout(Duration::from_secs(30));
        cmd
    }

    /// The same as a std command (for children we signal or wait on).
    pub fn kefu_std(&self) -> StdCommand {
        let mut cmd = StdCommand::cargo_bin("kefu").expect("kefu binary");
        cmd.env_clear()
            .env("HOME", self.path())
            .env("XDG_CONFIG_HOME", self.path().join(".config"))
            .current_dir(self.path());
        cmd
    }

    /// Names of the files in `dir`.
    pub fn files_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

/// What a finished command printed.
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    pub fn of(out: Output) -> Self {
        Self {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// The contract's error shape: stdout empty, stderr one `kefu:` line
    /// and at most one `hint:` line.
    pub fn assert_error(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        assert!(
            self.stdout.is_empty(),
            "stdout must stay clean on errors: {}",
            self.stdout
        );
        // A warning (a password given on the command line) may come first.
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .skip_while(|l| l.starts_with("kefu: warning: "))
            .collect();
        assert!(
            !lines.is_empty() && lines.len() <= 2,
            "stderr must be one line plus an optional hint: {:?}",
            self.stderr
        );
        assert!(lines[0].starts_with("kefu: "), "{:?}", self.stderr);
        if let Some(hint) = lines.get(1) {
            assert!(hint.starts_with("hint: "), "{:?}", self.stderr);
        }
        self
    }

    /// A failure as `-o format` reports it: the readable line for `table`
    /// and `csv`; one JSON error object on stderr for `json` and `jsonl`
    /// (contract v2). Either way stdout stays empty.
    #[allow(dead_code)]
    pub fn assert_failed_as(&self, format: &str, code: i32) -> &Self {
        if !matches!(format, "json" | "jsonl") {
            return self.assert_error(code);
        }
        assert_eq!(self.code, code, "exit code\nstderr: {}", self.stderr);
        assert!(self.stdout.is_empty(), "{format}: stdout {:?}", self.stdout);
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .skip_while(|l| l.starts_with("kefu: warning: "))
            .collect();
        assert_eq!(
            lines.len(),
            1,
            "one JSON object on stderr: {:?}",
            self.stderr
        );
        let e: Value = serde_json::from_str(lines[0]).expect("a JSON error object");
        assert_eq!(e["error"]["exit"], code, "{e}");
        self
    }

    pub fn assert_ok(&self) -> &Self {
        assert_eq!(
            self.code, 0,
            "exit code\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }

    pub fn jsonl(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| {
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}"))
            })
            .collect()
    }

    pub fn csv(&self) -> (Vec<String>, Vec<Vec<String>>) {
        let mut r = csv::Reader::from_reader(self.stdout.as_bytes());
        let headers = r
            .headers()
            .expect("csv header")
            .iter()
            .map(str::to_owned)
            .collect();
        let rows = r
            .records()
            .map(|row| row.expect("csv row").iter().map(str::to_owned).collect())
            .collect();
        (headers, rows)
    }
}

/// Runs `kefu args` with `env` on top of the isolated environment.
pub fn run(home: &Home, env: &[(&str, &str)], args: &[&str]) -> Ran {
    let mut cmd = home.kefu();
    for (k, v) in env {
        cmd.env(k, v);
    }
    Ran::of(cmd.args(args).output().expect("run kefu"))
}

/// `kefu --sandbox --vendor V args`.
pub fn sandboxed(home: &Home, vendor: &str, args: &[&str]) -> Ran {
    let mut all = vec!["--sandbox", "--vendor", vendor];
    all.extend_from_slice(args);
    run(home, &[], &all)
}

/// A loopback port that is bound but never accepts: a connection attempt
/// sits in its backlog, where `touched` finds it.
pub struct Tripwire(TcpListener);

impl Tripwire {
    pub fn new() -> Self {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind tripwire");
        l.set_nonblocking(true).expect("nonblocking");
        Self(l)
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.0.local_addr().expect("addr"))
    }

    pub fn touched(&self) -> bool {
        self.0.accept().is_ok()
    }

    /// Complete settings of `vendor` pointing at the tripwire.
    pub fn env(&self, vendor: &str) -> Vec<(String, String)> {
        let url = self.url();
        let pairs: Vec<(&str, &str)> = if vendor == "sobot" {
            vec![
                ("KEFU_VENDOR", "sobot"),
                ("KEFU_SOBOT_BASE_URL", &url),
                ("KEFU_SOBOT_UNION_CODE", "10004"),
                ("KEFU_SOBOT_UNION_KEY", "tripwire-union-key"),
                ("KEFU_SOBOT_EMAIL", "admin@platform.example.com"),
                ("KEFU_SOBOT_CUSTOMER_CODE", "M001"),
            ]
        } else {
            vec![
                ("KEFU_VENDOR", "easemob"),
                ("KEFU_EASEMOB_BASE_URL", &url),
                ("KEFU_EASEMOB_TENANT_ID", "1"),
                ("KEFU_EASEMOB_CLIENT_ID", "tripwire-client"),
                ("KEFU_EASEMOB_SECRET_ID", "tripwire-secret"),
            ]
        };
        pairs
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }
}

/// Runs `kefu args` with `env` (owned pairs).
pub fn run_with(home: &Home, env: &[(String, String)], args: &[&str]) -> Ran {
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    run(home, &pairs, args)
}

/// A `kefu sandbox serve` child; killed when dropped.
pub struct Served {
    pub child: Child,
    pub vendor: String,
    pub base_url: String,
    pub env: BTreeMap<String, String>,
    pub first_line: Value,
    pub first_line_raw: String,
    _stdout: BufReader<ChildStdout>,
}

impl Served {
    pub fn start(home: &Home, vendor: &str, extra: &[&str]) -> Self {
        let mut cmd = home.kefu_std();
        cmd.args(["sandbox", "serve", "--vendor", vendor])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().expect("spawn sandbox serve");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("first line");
        let first_line: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("first line not JSON ({e}): {line:?}"));
        let env = first_line["env"]
            .as_object()
            .expect("env object")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().expect("string value").to_owned()))
            .collect();
        Self {
            vendor: first_line["vendor"].as_str().expect("vendor").to_owned(),
            base_url: first_line["base_url"]
                .as_str()
                .expect("base_url")
                .to_owned(),
            env,
            first_line,
            first_line_raw: line,
            child,
            _stdout: stdout,
        }
    }

    pub fn env_pairs(&self) -> Vec<(String, String)> {
        self.env
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// `METHOD path` on the sandbox, with an optional JSON body; the answer's body.
    pub fn control(&self, method: &str, path: &str, body: Option<&str>) -> String {
        http(&self.base_url, method, path, body)
    }

    /// The request log.
    pub fn requests(&self) -> Vec<Value> {
        let text = self.control("GET", "/__sandbox/requests", None);
        serde_json::from_str::<Vec<Value>>(&text)
            .unwrap_or_else(|e| panic!("log not JSON ({e}): {text}"))
    }

    /// Waits until a logged request's path contains `needle`.
    pub fn wait_for_request(&self, needle: &str, timeout: Duration) {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if self
                .requests()
                .iter()
                .any(|r| r["path"].as_str().is_some_and(|p| p.contains(needle)))
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("no request to {needle} within {timeout:?}");
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 exchange (the tests have no HTTP client crate).
pub fn http(base_url: &str, method: &str, path: &str, body: Option<&str>) -> String {
    let host = base_url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).expect("connect to sandbox");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let body = body.unwrap_or("");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("read");
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(response.len(), |i| i + 4);
    let head = String::from_utf8_lossy(&response[..split]).to_ascii_lowercase();
    let body = &response[split..];
    let body = if head.contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_vec()
    };
    String::from_utf8_lossy(&body).into_owned()
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = String::from_utf8_lossy(&rest[..eol]).trim().to_owned();
        let n = usize::from_str_radix(&size, 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        let data = &rest[eol + 2..];
        out.extend_from_slice(&data[..n.min(data.len())]);
        rest = data.get(n + 2..).unwrap_or(&[]);
    }
    out
}

/// A path in `home` as a string argument.
pub fn arg(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Where files of a test go.
pub fn out_dir(home: &Home) -> PathBuf {
    let dir = home.path().join("out");
    std::fs::create_dir_all(&dir).expect("out dir");
    dir
}
