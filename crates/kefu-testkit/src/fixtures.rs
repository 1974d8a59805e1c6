//! The vendor documents' own request and response examples, verbatim.
//!
//! One constant per file of `fixtures/`; `fixtures/README.md` says where in
//! which document each came from. Two examples are not valid JSON as
//! published ([`INVALID_VERBATIM`]); each has a `*_CORRECTED` sibling with
//! the smallest fix, described in the README.
//!
//! ```
//! use kefu_testkit::fixtures::{self, sobot};
//!
//! let v: serde_json::Value = serde_json::from_str(sobot::GET_TENANT_LIST_RESPONSE).unwrap();
//! assert_eq!(v["retCode"], "200000");
//! assert!(fixtures::get("easemob/roles.response.json").is_some());
//! ```

// One macro builds both the constants and `all()`, so the list cannot miss a
// constant; a test checks it against the directory as well.
macro_rules! fixtures {
    ($(
        $(#[$mod_doc:meta])*
        mod $vendor:ident {
            $( $(#[$doc:meta])* $name:ident = $file:literal; )*
        }
    )*) => {
        $(
            $(#[$mod_doc])*
            pub mod $vendor {
                $(
                    $(#[$doc])*
                    pub const $name: &str = include_str!(concat!(
                        env!("CARGO_MANIFEST_DIR"), "/fixtures/", stringify!($vendor), "/", $file
                    ));
                )*
            }
        )*

        const ALL: &[(&str, &str)] = &[
            $( $( (concat!(stringify!($vendor), "/", $file), $vendor::$name), )* )*
        ];
    };
}

fixtures! {
    /// Sobot (智齿) 电商平台 API, `vendor-docs/000_e0cf58112cd14262.txt`.
    mod sobot {
        /// getTenantList 返回示例.
        GET_TENANT_LIST_RESPONSE = "get_tenant_list.response.json";
        /// addTenant.json success.
        ADD_TENANT_RESPONSE_OK = "add_tenant.response.ok.json";
        /// addTenant.json `999999` customerCode 已存在!
        ADD_TENANT_RESPONSE_EXISTS = "add_tenant.response.exists.json";
        /// addTenant.json `200007` 在线客服数量不足.
        ADD_TENANT_RESPONSE_QUOTA = "add_tenant.response.quota.json";
        /// updateTenant.json success.
        UPDATE_TENANT_RESPONSE_OK = "update_tenant.response.ok.json";
        /// updateTenant.json `999999` 商户不存在!
        UPDATE_TENANT_RESPONSE_NOT_FOUND = "update_tenant.response.not_found.json";
        /// updateTenant.json `200007` 在线客服数量不足.
        UPDATE_TENANT_RESPONSE_QUOTA = "update_tenant.response.quota.json";
        /// addServiceInfoConfim.json success.
        ADD_SERVICE_INFO_RESPONSE_OK = "add_service_info.response.ok.json";
        /// addServiceInfoConfim.json `999999` 商户不存在!
        ADD_SERVICE_INFO_RESPONSE_NOT_FOUND = "add_service_info.response.not_found.json";
        /// addServiceInfoConfim.json `999998` 登录已失效.
        ADD_SERVICE_INFO_RESPONSE_SESSION_EXPIRED = "add_service_info.response.session_expired.json";
        /// updateServiceInfoConfim.json success.
        UPDATE_SERVICE_INFO_RESPONSE_OK = "update_service_info.response.ok.json";
        /// updateServiceInfoConfim.json `999999` 商户不存在!
        UPDATE_SERVICE_INFO_RESPONSE_NOT_FOUND = "update_service_info.response.not_found.json";
        /// updateServiceInfoConfim.json `999999` 客户邮箱未激活.
        UPDATE_SERVICE_INFO_RESPONSE_EMAIL_INACTIVE = "update_service_info.response.email_inactive.json";
        /// deleteServiceInfoConfim 请求示例, **not valid JSON** (stray `1`).
        DELETE_SERVICE_INFO_REQUEST = "delete_service_info.request.json";
        /// [`DELETE_SERVICE_INFO_REQUEST`] with the stray `1` removed.
        DELETE_SERVICE_INFO_REQUEST_CORRECTED = "delete_service_info.request.corrected.json";
        /// deleteServiceInfoConfim success.
        DELETE_SERVICE_INFO_RESPONSE_OK = "delete_service_info.response.ok.json";
        /// deleteServiceInfoConfim `999999` 商户不存在!
        DELETE_SERVICE_INFO_RESPONSE_NOT_FOUND = "delete_service_info.response.not_found.json";
        /// deleteServiceInfoConfim `999999` 客户邮箱未激活.
        DELETE_SERVICE_INFO_RESPONSE_EMAIL_INACTIVE = "delete_service_info.response.email_inactive.json";
        /// tenantExportData 请求示例 of the type-7 (会话统计) section.
        TENANT_EXPORT_DATA_TYPE7_REQUEST = "tenant_export_data.type7.request.json";
        /// tenantExportData 返回示例, type 7.
        TENANT_EXPORT_DATA_TYPE7_RESPONSE = "tenant_export_data.type7.response.json";
        /// tenantExportData 请求示例 of the type-8 (响应时间) section; it says
        /// `"type":"7"`, as the document does.
        TENANT_EXPORT_DATA_TYPE8_REQUEST = "tenant_export_data.type8.request.json";
        /// tenantExportData 返回示例, type 8 (with the `reateTime` misspelling).
        TENANT_EXPORT_DATA_TYPE8_RESPONSE = "tenant_export_data.type8.response.json";
        /// getBatchAppKey 请求示例.
        GET_BATCH_APP_KEY_REQUEST = "get_batch_app_key.request.json";
        /// getBatchAppKey 返回示例, **not valid JSON** (trailing comma).
        GET_BATCH_APP_KEY_RESPONSE = "get_batch_app_key.response.json";
        /// [`GET_BATCH_APP_KEY_RESPONSE`] without the trailing comma.
        GET_BATCH_APP_KEY_RESPONSE_CORRECTED = "get_batch_app_key.response.corrected.json";
        /// getStaffLogInfos 返回示例.
        GET_STAFF_LOG_INFOS_RESPONSE = "get_staff_log_infos.response.json";
        /// chatIndexPage 响应格式.
        CHAT_INDEX_PAGE_RESPONSE = "chat_index_page.response.json";
        /// tenantStaffJobList 请求示例.
        TENANT_STAFF_JOB_LIST_REQUEST = "tenant_staff_job_list.request.json";
        /// tenantStaffJobList 返回示例.
        TENANT_STAFF_JOB_LIST_RESPONSE = "tenant_staff_job_list.response.json";
    }

    /// Easemob Kefu (环信客服云) API开放平台, `vendor-docs/001_46112f4e30a00181.txt`.
    mod easemob {
        /// accessToken Request body (carries `tenantId`).
        ACCESS_TOKEN_REQUEST = "access_token.request.json";
        /// accessToken curl `-d` body (no `tenantId`: it is in the path).
        ACCESS_TOKEN_REQUEST_CURL = "access_token.request.curl.json";
        /// accessToken Response示例.
        ACCESS_TOKEN_RESPONSE = "access_token.response.json";
        /// GET agents (search) Response示例.
        AGENTS_SEARCH_RESPONSE = "agents_search.response.json";
        /// POST agent Request body.
        AGENT_ADD_REQUEST = "agent_add.request.json";
        /// POST agent Response示例.
        AGENT_ADD_RESPONSE = "agent_add.response.json";
        /// PUT agent Request body.
        AGENT_UPDATE_REQUEST = "agent_update.request.json";
        /// PUT agent Response示例.
        AGENT_UPDATE_RESPONSE = "agent_update.response.json";
        /// GET roles Response示例.
        ROLES_RESPONSE = "roles.response.json";
        /// PUT agent/password Request body.
        AGENT_PASSWORD_REQUEST = "agent_password.request.json";
        /// PUT agent/password Response示例.
        AGENT_PASSWORD_RESPONSE = "agent_password.response.json";
        /// DELETE agent Request body.
        AGENT_DELETE_REQUEST = "agent_delete.request.json";
        /// DELETE agent Response示例.
        AGENT_DELETE_RESPONSE = "agent_delete.response.json";
        /// PUT agent/disable Request body.
        AGENT_DISABLE_REQUEST = "agent_disable.request.json";
        /// PUT agent/disable Response示例.
        AGENT_DISABLE_RESPONSE = "agent_disable.response.json";
        /// PUT agent/enable Request body.
        AGENT_ENABLE_REQUEST = "agent_enable.request.json";
        /// PUT agent/enable Response示例.
        AGENT_ENABLE_RESPONSE = "agent_enable.response.json";
        /// GET serviceSessionHistorys Response示例.
        SERVICE_SESSION_HISTORYS_RESPONSE = "service_session_historys.response.json";
    }
}

/// Fixtures that are not valid JSON as the document prints them, each with a
/// `.corrected.json` sibling (see `fixtures/README.md`).
pub const INVALID_VERBATIM: &[&str] = &[
    "sobot/delete_service_info.request.json",
    "sobot/get_batch_app_key.response.json",
];

/// Every fixture as `(name, text)`, the name being its path under
/// `fixtures/` (`sobot/get_tenant_list.response.json`).
pub fn all() -> &'static [(&'static str, &'static str)] {
    ALL
}

/// One fixture by its name in [`all`].
pub fn get(name: &str) -> Option<&'static str> {
    ALL.iter().find(|(n, _)| *n == name).map(|(_, text)| *text)
}

/// The name of the `.corrected.json` sibling of an invalid fixture.
pub fn corrected_name(name: &str) -> Option<String> {
    name.strip_suffix(".json")
        .map(|stem| format!("{stem}.corrected.json"))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    fn parses(text: &str) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_str(text)
    }

    #[test]
    fn every_valid_fixture_parses() {
        for (name, text) in all() {
            if INVALID_VERBATIM.contains(name) {
                continue;
            }
            if let Err(e) = parses(text) {
                panic!("{name} is not valid JSON: {e}");
            }
        }
    }

    #[test]
    fn invalid_fixtures_do_not_parse_and_their_corrections_do() {
        for name in INVALID_VERBATIM {
            let text = get(name).unwrap_or_else(|| panic!("{name} is not a fixture"));
            assert!(
                parses(text).is_err(),
                "{name} parses: it needs no corrected sibling"
            );

            let fixed_name = corrected_name(name).unwrap_or_else(|| panic!("{name} is not .json"));
            let fixed = get(&fixed_name).unwrap_or_else(|| panic!("{fixed_name} is missing"));
            assert!(parses(fixed).is_ok(), "{fixed_name} does not parse");

            // The README promises a one-line change and nothing else.
            let changed = text
                .lines()
                .zip(fixed.lines())
                .filter(|(a, b)| a != b)
                .count();
            assert_eq!(text.lines().count(), fixed.lines().count(), "{fixed_name}");
            assert_eq!(changed, 1, "{fixed_name} should change exactly one line");
        }
    }

    #[test]
    fn all_lists_exactly_the_files_on_disk_and_the_readme_names_them() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut on_disk = BTreeSet::new();
        for vendor in ["sobot", "easemob"] {
            let dir = std::fs::read_dir(root.join(vendor)).expect("fixtures dir");
            for entry in dir {
                let file = entry.expect("dir entry").file_name();
                on_disk.insert(format!("{vendor}/{}", file.to_string_lossy()));
            }
        }
        let listed: BTreeSet<String> = all().iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(listed.len(), all().len(), "a fixture is listed twice");
        assert_eq!(listed, on_disk);

        let readme = std::fs::read_to_string(root.join("README.md")).expect("README");
        for name in &listed {
            let file = name.split_once('/').map_or(name.as_str(), |(_, f)| f);
            assert!(
                readme.contains(&format!("`{file}`")),
                "README does not list {name}"
            );
        }
    }

    #[test]
    fn invalid_fixtures_fail_for_the_reason_the_readme_gives() {
        let err = |text| parses(text).map(drop).expect_err("invalid").to_string();
        assert!(err(sobot::DELETE_SERVICE_INFO_REQUEST).contains("expected `,` or `}`"));
        assert!(err(sobot::GET_BATCH_APP_KEY_RESPONSE).contains("trailing comma"));
    }

    #[test]
    fn verbatim_quirks_are_kept() {
        // Guards against someone "tidying" a fixture.
        assert!(sobot::TENANT_EXPORT_DATA_TYPE8_RESPONSE.contains("\"reateTime\""));
        assert!(sobot::GET_BATCH_APP_KEY_RESPONSE.contains("},\n        ],"));
        assert!(sobot::DELETE_SERVICE_INFO_REQUEST.contains("@qq.com\"1\n"));
        assert!(sobot::CHAT_INDEX_PAGE_RESPONSE.contains("\n\t    {\n"));
        assert!(sobot::ADD_TENANT_RESPONSE_OK.starts_with("{\n\n    \"retCode\""));
        assert!(easemob::ACCESS_TOKEN_REQUEST.contains("\"tenantId\""));
        assert!(!easemob::ACCESS_TOKEN_REQUEST_CURL.contains("\"tenantId\""));
    }
}
