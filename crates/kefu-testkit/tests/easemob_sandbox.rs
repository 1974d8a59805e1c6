//! The Easemob sandbox itself, spoken to over plain HTTP: it must behave as
//! the vendor's document says, since every client test trusts it.
#![cfg(feature = "sandbox")]

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use kefu_testkit::fixtures::easemob as fx;
use kefu_testkit::sandbox::SeedConfig;
use kefu_testkit::sandbox::easemob::{self, CLIENT_ID, EasemobSandbox, SECRET_ID, TENANT_ID};
use serde_json::{Value, json};

struct Api {
    sandbox: EasemobSandbox,
    http: reqwest::Client,
}

impl Api {
    async fn start(config: SeedConfig) -> Self {
        Self {
            sandbox: easemob::start(config).await.expect("sandbox"),
            http: reqwest::Client::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.base_url())
    }

    async fn token(&self) -> String {
        let (status, body) = self
            .send(
                "POST",
                &format!("/api/tenant/{TENANT_ID}/accessToken"),
                None,
                Some(json!({"clientId": CLIENT_ID, "secretId": SECRET_ID})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["entity"]["accessToken"]
            .as_str()
            .expect("token")
            .to_owned()
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.header("Kefu-Token", t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("send");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.send("GET", path, Some(token), None).await
    }

    async fn call(&self, method: &str, rest: &str, token: &str, body: Value) -> (u16, Value) {
        self.send(
            method,
            &format!("/api/tenants/{TENANT_ID}/{rest}"),
            Some(token),
            Some(body),
        )
        .await
    }
}

fn code(body: &Value) -> &str {
    body["errorCode"].as_str().unwrap_or("")
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

fn fixture(text: &str) -> Value {
    serde_json::from_str(text).expect("fixture")
}

#[tokio::test]
async fn tokens_are_issued_only_for_the_right_tenant_and_credentials() {
    let api = Api::start(SeedConfig::default()).await;
    let path = format!("/api/tenant/{TENANT_ID}/accessToken");
    let cases = [
        (
            path.as_str(),
            json!({"clientId": CLIENT_ID, "secretId": "wrong"}),
            401,
            "API_004",
        ),
        (
            path.as_str(),
            json!({"clientId": "wrong", "secretId": SECRET_ID}),
            401,
            "API_004",
        ),
        (
            "/api/tenant/2/accessToken",
            json!({"clientId": CLIENT_ID, "secretId": SECRET_ID}),
            401,
            "API_003",
        ),
        // The document's Request body form carries tenantId: it must match.
        (
            path.as_str(),
            json!({"tenantId": 2, "clientId": CLIENT_ID, "secretId": SECRET_ID}),
            401,
            "API_003",
        ),
        (
            path.as_str(),
            json!({"clientId": CLIENT_ID}),
            400,
            "API_001",
        ),
    ];
    let refused = cases.len();
    for (path, body, status, expected) in cases {
        let (s, b) = api.send("POST", path, None, Some(body.clone())).await;
        assert_eq!((s, code(&b)), (status, expected), "{body}");
        assert_eq!(b["status"], "FAIL");
        assert!(
            b["errorDescription"]
                .as_str()
                .is_some_and(|d| !d.is_empty())
        );
    }
    // Without Content-Type: application/json.
    let resp = api
        .http
        .post(api.url(&path))
        .body(json!({"clientId": CLIENT_ID, "secretId": SECRET_ID}).to_string())
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status().as_u16(), 400);

    let (s, b) = api
        .send(
            "POST",
            &path,
            None,
            Some(json!({"tenantId": 1, "clientId": CLIENT_ID, "secretId": SECRET_ID})),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(keys(&b), keys(&fixture(fx::ACCESS_TOKEN_RESPONSE)));
    assert_eq!(b["entity"]["expireTime"], 7200);
    assert_eq!(b["entity"]["accessToken"].as_str().map(str::len), Some(32));
    assert_eq!(api.sandbox.token_requests(), refused + 2);
}

#[tokio::test]
async fn every_tenant_call_checks_the_token_and_the_tenant() {
    let api = Api::start(SeedConfig::default()).await;
    let (s, b) = api.get("/api/tenants/1/roles", "no-such-token").await;
    assert_eq!((s, code(&b)), (401, "API_002"));
    let (s, b) = api.send("GET", "/api/tenants/1/roles", None, None).await;
    assert_eq!((s, code(&b)), (401, "API_002"));

    let token = api.token().await;
    let (s, b) = api.get("/api/tenants/2/roles", &token).await;
    assert_eq!((s, code(&b)), (401, "API_003"));
    let (s, b) = api.get("/api/tenants/1/roles", &token).await;
    assert_eq!(s, 200);
    assert_eq!(
        b,
        fixture(fx::ROLES_RESPONSE),
        "roles are the document's example"
    );

    assert_eq!(api.sandbox.expire_tokens(), 1);
    let (s, b) = api.get("/api/tenants/1/roles", &token).await;
    assert_eq!((s, code(&b)), (401, "API_002"));
    let fresh = api.token().await;
    assert_ne!(fresh, token);
    assert_eq!(api.get("/api/tenants/1/roles", &fresh).await.0, 200);
}

#[tokio::test]
async fn tokens_die_at_their_expire_time() {
    let api = Api::start(SeedConfig::default()).await;
    let (_, r) = api
        .send(
            "POST",
            "/__sandbox/vendor/token_ttl",
            None,
            Some(json!({"seconds": 1})),
        )
        .await;
    assert_eq!(r["expireTime"], 1);
    let token = api.token().await;
    assert_eq!(api.get("/api/tenants/1/roles", &token).await.0, 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (s, b) = api.get("/api/tenants/1/roles", &token).await;
    assert_eq!((s, code(&b)), (401, "API_002"));
}

#[tokio::test]
async fn an_agent_round_trips_through_every_agent_endpoint() {
    let api = Api::start(SeedConfig::default()).await;
    let t = api.token().await;
    let add = fixture(fx::AGENT_ADD_REQUEST);
    let (s, b) = api.call("POST", "agent", &t, add.clone()).await;
    assert_eq!(s, 200, "{b}");
    // The add answer has the document's fields, exactly.
    assert_eq!(
        keys(&b["entity"]),
        keys(&fixture(fx::AGENT_ADD_RESPONSE)["entity"])
    );
    assert_eq!(b["entity"]["maxServiceSessionCount"], 10);
    assert_eq!(b["entity"]["roles"], "admin,agent");
    assert_eq!(b["entity"]["password"], "");
    let (s, b) = api.call("POST", "agent", &t, add).await;
    assert_eq!((s, code(&b)), (400, "API_103"));

    let (s, b) = api
        .get(
            "/api/tenants/1/agents?page=0&size=10&keyValue=32273591@qq.com",
            &t,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["entities"].as_array().map(Vec::len), Some(1));
    let doc = fixture(fx::AGENTS_SEARCH_RESPONSE);
    assert!(keys(&doc).is_subset(&keys(&b)));
    assert!(
        keys(&doc["entities"][0]).is_subset(&keys(&b["entities"][0])),
        "{}",
        b["entities"][0]
    );
    assert_eq!(
        (
            b["first"].clone(),
            b["last"].clone(),
            b["totalElements"].clone()
        ),
        (json!(true), json!(true), json!(1))
    );

    let (s, _) = api
        .call("PUT", "agent", &t, fixture(fx::AGENT_UPDATE_REQUEST))
        .await;
    assert_eq!(s, 200);
    let agent = api.sandbox.agent("32273591@qq.com").expect("agent");
    assert_eq!(
        (agent["nicename"].as_str(), agent["trueName"].as_str()),
        (Some("环环"), Some("小环"))
    );
    // `maxServiceSessionCount: null` left it alone.
    assert_eq!(agent["maxServiceSessionCount"], 10);

    assert_eq!(
        api.call(
            "PUT",
            "agent/disable",
            &t,
            fixture(fx::AGENT_DISABLE_REQUEST)
        )
        .await
        .0,
        200
    );
    assert_eq!(
        api.sandbox.agent("32273591@qq.com").expect("agent")["status"],
        "Disable"
    );
    assert_eq!(
        api.call("PUT", "agent/enable", &t, fixture(fx::AGENT_ENABLE_REQUEST))
            .await
            .0,
        200
    );
    assert_eq!(
        api.sandbox.agent("32273591@qq.com").expect("agent")["status"],
        "Enable"
    );
    assert_eq!(
        api.call(
            "PUT",
            "agent/password",
            &t,
            fixture(fx::AGENT_PASSWORD_REQUEST)
        )
        .await
        .0,
        200
    );
    assert_eq!(
        api.sandbox.agent("32273591@qq.com").expect("agent")["password"],
        "qwe123456"
    );

    assert_eq!(
        api.call("DELETE", "agent", &t, fixture(fx::AGENT_DELETE_REQUEST))
            .await
            .0,
        200
    );
    assert!(api.sandbox.agent("32273591@qq.com").is_none());
    let (s, b) = api
        .call("DELETE", "agent", &t, fixture(fx::AGENT_DELETE_REQUEST))
        .await;
    assert_eq!((s, code(&b)), (400, "API_104"));
}

#[tokio::test]
async fn agent_bodies_are_checked_with_the_documents_codes() {
    let api = Api::start(SeedConfig::default()).await;
    let t = api.token().await;
    let before = api.sandbox.agent("agent001@example.com").expect("seeded");
    let good = fixture(fx::AGENT_ADD_REQUEST);
    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    let cases = [
        ("POST", "agent", with("nicename", json!("")), "API_102"),
        (
            "POST",
            "agent",
            with("username", json!("not-an-email")),
            "API_001",
        ),
        (
            "POST",
            "agent",
            with("password", json!("short7!")),
            "API_108",
        ),
        ("POST", "agent", with("roleId", json!(null)), "API_106"),
        ("POST", "agent", with("roleId", json!(99)), "API_107"),
        (
            "POST",
            "agent",
            with("maxServiceSessionCount", json!("ten")),
            "API_001",
        ),
        (
            "POST",
            "agent",
            with("username", json!("agent001@example.com")),
            "API_103",
        ),
        (
            "PUT",
            "agent",
            json!({"username": "nobody@example.com"}),
            "API_104",
        ),
        (
            "PUT",
            "agent",
            json!({"username": "agent001@example.com", "nicename": ""}),
            "API_102",
        ),
        (
            "PUT",
            "agent",
            json!({"username": "foreign@example.com"}),
            "API_105",
        ),
        (
            "PUT",
            "agent/password",
            json!({"username": "agent001@example.com", "password": "1234567"}),
            "API_108",
        ),
        (
            "PUT",
            "agent/disable",
            json!({"username": "nobody@example.com"}),
            "API_104",
        ),
        ("PUT", "agent/enable", json!({}), "API_001"),
        // Agent 0 is the seeded tenant's only admin.
        (
            "DELETE",
            "agent",
            json!({"username": "admin@example.com"}),
            "API_109",
        ),
    ];
    for (method, rest, body, expected) in cases {
        let (s, b) = api.call(method, rest, &t, body.clone()).await;
        assert_eq!((s, code(&b)), (400, expected), "{method} {rest} {body}");
    }
    // Nothing refused changed anything.
    assert!(api.sandbox.agent("32273591@qq.com").is_none());
    assert_eq!(api.sandbox.agent("agent001@example.com"), Some(before));
}

#[tokio::test]
async fn page_rules_of_both_lists() {
    let api = Api::start(SeedConfig::default()).await;
    let t = api.token().await;
    let cases = [
        ("/api/tenants/1/agents?page=-1&size=10&keyValue=", "API_111"),
        ("/api/tenants/1/agents?page=0&size=51&keyValue=", "API_112"),
        ("/api/tenants/1/agents?page=0&size=10", "API_001"),
        ("/api/tenants/1/agents?size=10&keyValue=", "API_001"),
        ("/api/tenants/1/agents?page=x&size=10&keyValue=", "API_001"),
        ("/api/tenants/1/serviceSessionHistorys?page=0", "API_111"),
        (
            "/api/tenants/1/serviceSessionHistorys?per_page=51",
            "API_112",
        ),
        (
            "/api/tenants/1/serviceSessionHistorys?sortField=agent",
            "API_001",
        ),
        (
            "/api/tenants/1/serviceSessionHistorys?sortOrder=up",
            "API_001",
        ),
        (
            "/api/tenants/1/serviceSessionHistorys?stopDateFrom=yesterday",
            "API_001",
        ),
        (
            "/api/tenants/1/serviceSessionHistorys?originType=fax",
            "API_001",
        ),
        (
            "/api/tenants/1/serviceSessionHistorys?page=1&page=2",
            "API_001",
        ),
    ];
    for (path, expected) in cases {
        let (s, b) = api.get(path, &t).await;
        assert_eq!((s, code(&b)), (400, expected), "{path}");
    }
    // 50 is allowed (the table: "默认并且最大为50").
    assert_eq!(
        api.get("/api/tenants/1/serviceSessionHistorys?per_page=50", &t)
            .await
            .0,
        200
    );
    assert_eq!(
        api.get("/api/tenants/1/agents?page=0&size=50&keyValue=", &t)
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn agent_pages_end_with_last_while_total_pages_lies_as_in_the_document() {
    let api = Api::start(SeedConfig {
        agents: 25,
        ..SeedConfig::default()
    })
    .await;
    let t = api.token().await;
    let mut seen = Vec::new();
    for page in 0.. {
        let (_, b) = api
            .get(
                &format!("/api/tenants/1/agents?page={page}&size=10&keyValue="),
                &t,
            )
            .await;
        seen.extend(
            b["entities"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| a["username"].clone()),
        );
        assert_eq!(b["number"], page);
        assert_ne!(
            b["totalPages"], 3,
            "the sandbox mimics the document's unreliable totalPages"
        );
        if b["last"] == true {
            assert_eq!(page, 2);
            break;
        }
    }
    assert_eq!(seen.len(), 25);
    // Fuzzy search over username, trueName, mobilePhone, agentNumber.
    let (_, b) = api
        .get("/api/tenants/1/agents?page=0&size=50&keyValue=1003", &t)
        .await;
    assert_eq!(b["entities"][0]["username"], "agent003@example.com");
}

#[tokio::test]
async fn sessions_look_like_the_document_and_are_seeded_deterministically() {
    let a = Api::start(SeedConfig::default()).await;
    let b = Api::start(SeedConfig::default()).await;
    let c = Api::start(SeedConfig {
        seed: 7,
        ..SeedConfig::default()
    })
    .await;
    assert_eq!(a.sandbox.session_ids(), b.sandbox.session_ids());
    assert_ne!(a.sandbox.session_ids(), c.sandbox.session_ids());
    assert_eq!(a.sandbox.session_ids().len(), 500);

    let t = a.token().await;
    let (s, body) = a
        .get(
            "/api/tenants/1/serviceSessionHistorys?page=1&per_page=5",
            &t,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(body["entity"]["total_entries"], 500);
    let items = body["entity"]["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(items.len(), 5);
    let doc = fixture(fx::SERVICE_SESSION_HISTORYS_RESPONSE);
    assert_eq!(
        keys(&items[0]),
        keys(&doc["entity"]["items"][0]),
        "the document's fields, exactly"
    );
    // Newest stop time first by default.
    let ids = a.sandbox.session_ids();
    assert_eq!(items[0]["serviceSessionId"], ids[499]);
    let stop = items[0]["stopDateTime"].as_str().unwrap_or("");
    assert_eq!(
        stop.len(),
        "2018-04-19 15:00:59".len(),
        "naive local time: {stop}"
    );
    assert!(
        items
            .iter()
            .all(|i| i["summarys"].is_array() && i["originType"].is_array())
    );
    // Same seed, same records.
    let t2 = b.token().await;
    let (_, again) = b
        .get(
            "/api/tenants/1/serviceSessionHistorys?page=1&per_page=5",
            &t2,
        )
        .await;
    assert_eq!(again, body);
}

#[tokio::test]
async fn session_filters_select_what_they_name() {
    let api = Api::start(SeedConfig::default()).await;
    let t = api.token().await;
    let all = |q: &str| {
        let path = format!("/api/tenants/1/serviceSessionHistorys?per_page=50&sortOrder=asc{q}");
        let api = &api;
        let t = &t;
        async move {
            let (s, b) = api.get(&path, t).await;
            assert_eq!(s, 200, "{path}: {b}");
            b["entity"].clone()
        }
    };
    let webim = all("&originType=webim").await;
    let n = webim["total_entries"].as_u64().unwrap_or(0);
    assert!(n > 0 && n < 500);
    assert!(
        webim["items"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|i| i["originType"][0] == "webim")
    );

    let rated = all("&enquirySummary=5").await;
    assert!(
        rated["items"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|i| i["enquirySummary"] == "5")
    );

    let aborted = all("&state=Abort").await;
    assert!(
        aborted["items"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|i| i["state"] == "Abort" && i["startDateTime"].is_null())
    );

    // A stop window in UTC: 2024-05-10 00:00 to 23:59:59.999 in UTC+8.
    let day =
        all("&stopDateFrom=2024-05-09T16%3A00%3A00.000Z&stopDateTo=2024-05-10T15%3A59%3A59.999Z")
            .await;
    let k = day["total_entries"].as_u64().unwrap_or(0);
    assert!(k > 5 && k < 40, "{k}");
    assert!(day["items"].as_array().into_iter().flatten().all(|i| {
        i["stopDateTime"]
            .as_str()
            .is_some_and(|s| s.starts_with("2024-05-10"))
    }));

    // The example's empty filters and queueId=0 mean "all".
    let empty = all(
        "&originType=&customerName=&agentIds=&queueIds=&queueId=0&isAgent=false&enquirySummary=",
    )
    .await;
    assert_eq!(empty["total_entries"], 500);
}

#[tokio::test]
async fn sessions_added_now_land_after_the_seeded_ones() {
    let api = Api::start(SeedConfig::default()).await;
    let t = api.token().await;
    let (_, r) = api
        .send(
            "POST",
            "/__sandbox/vendor/add_sessions",
            None,
            Some(json!({"count": 3})),
        )
        .await;
    assert_eq!(r["total"], 503);
    assert_eq!(api.sandbox.add_sessions(2), 505);
    let (_, b) = api
        .get("/api/tenants/1/serviceSessionHistorys?per_page=5", &t)
        .await;
    let ids = api.sandbox.session_ids();
    assert_eq!(b["entity"]["total_entries"], 505);
    assert_eq!(b["entity"]["items"][0]["serviceSessionId"], ids[504]);

    let (_, tr) = api
        .send("POST", "/__sandbox/vendor/token_requests", None, None)
        .await;
    assert_eq!(tr["token_requests"], 1);
    let (s, _) = api
        .send("POST", "/__sandbox/vendor/launch_rockets", None, None)
        .await;
    assert_eq!(s, 400);
    let (_, e) = api
        .send("POST", "/__sandbox/vendor/expire_tokens", None, None)
        .await;
    assert_eq!(e["expired"], 1);

    api.sandbox.reset();
    assert_eq!(api.sandbox.session_ids().len(), 500);
    assert_eq!(api.sandbox.token_requests(), 0);
    assert!(api.sandbox.requests().is_empty());
}

#[tokio::test]
async fn a_million_sessions_are_served_page_by_page_without_being_built() {
    let api = Api::start(SeedConfig {
        sessions: 1_000_000,
        ..SeedConfig::default()
    })
    .await;
    let t = api.token().await;
    let started = Instant::now();
    let (s, b) = api
        .get(
            "/api/tenants/1/serviceSessionHistorys?page=9000&per_page=50&sortOrder=asc&stopDateFrom=2024-05-05T00%3A00%3A00.000Z",
            &t,
        )
        .await;
    assert_eq!(s, 200);
    let total = b["entity"]["total_entries"].as_u64().unwrap_or(0);
    assert!(total > 800_000 && total < 900_000, "{total}");
    assert_eq!(b["entity"]["items"].as_array().map(Vec::len), Some(50));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let state = api.get("/__sandbox/state", "").await.1;
    assert_eq!(state["sessions"]["total"], 1_000_000);
}

#[tokio::test]
async fn env_points_kefu_at_the_sandbox() {
    let api = Api::start(SeedConfig::default()).await;
    let env: std::collections::HashMap<String, String> = api.sandbox.env().into_iter().collect();
    assert_eq!(env["KEFU_VENDOR"], "easemob");
    assert_eq!(env["KEFU_EASEMOB_BASE_URL"], api.sandbox.base_url());
    assert_eq!(env["KEFU_EASEMOB_TENANT_ID"], TENANT_ID);
    assert_eq!(env["KEFU_EASEMOB_CLIENT_ID"], CLIENT_ID);
    assert_eq!(env["KEFU_EASEMOB_SECRET_ID"], SECRET_ID);
}

#[tokio::test]
async fn wrong_methods_and_paths_are_refused() {
    let api = Api::start(SeedConfig::default()).await;
    let t = api.token().await;
    assert_eq!(
        api.send("GET", "/api/tenants/1/agent", Some(&t), None)
            .await
            .0,
        405
    );
    assert_eq!(
        api.send(
            "POST",
            "/api/tenants/1/agent/disable",
            Some(&t),
            Some(json!({}))
        )
        .await
        .0,
        405
    );
    // The token path is singular `tenant`; the plural one does not exist.
    assert_eq!(
        api.send("POST", "/api/tenants/1/accessToken", None, Some(json!({})))
            .await
            .0,
        404
    );
}
