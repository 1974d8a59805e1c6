//! The twelve endpoints, answering with the document's shapes and codes.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::Query;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use kefu_core::time::Zone;
use serde_json::{Value, json};

use super::check::{Params, fresh_any_unit, fresh_millis, md5_hex};
use super::state::{ROLE_IDS, StaffRecord, State, TenantRecord, app_key, hex_id};
use super::{EMAIL, SobotEmulator, UNION_CODE, UNION_KEY};

/// A refusal: the vendor's code and message.
type Refusal = (&'static str, String);

/// The one auth refusal the document shows (999998).
const AUTH_FAILED: &str = "请求失败!登录已失效,请重新登录!";
const TENANT_NOT_FOUND: &str = "商户不存在!";
const SEATS_EXHAUSTED: &str = "在线客服数量不足";
const EMAIL_INACTIVE: &str = "客户邮箱未激活,请激活后再次尝试修改客户信息!";

/// chatIndexPage: "目前的上限是每分钟调用 20 次".
pub(crate) const CHAT_LIMIT: usize = 20;
pub(crate) const CHAT_WINDOW: Duration = Duration::from_secs(60);

/// getStaffLogInfos answers at most a week ("最多查询一周的数据").
const WEEK_MS: i64 = 7 * 24 * 3_600_000;

fn auth_failed() -> Refusal {
    ("999998", AUTH_FAILED.to_owned())
}

fn bad(message: impl Into<String>) -> Refusal {
    ("999999", message.into())
}

/// `{"retCode", "retMsg", "msg": null}`, as every /tenantpro/open example.
fn open_refusal((code, message): Refusal) -> Value {
    json!({"retCode": code, "retMsg": message, "msg": null})
}

/// The report endpoints: tenantExportData says `ret_code`/`ret_msg`,
/// getBatchAppKey and tenantStaffJobList say `retCode`/`retMsg`.
fn report_refusal(snake: bool, (code, message): Refusal) -> Value {
    if snake {
        json!({"ret_code": code, "ret_msg": message, "item": null})
    } else {
        json!({"retCode": code, "retMsg": message})
    }
}

fn required(p: &Params, names: &[&str]) -> Result<(), Refusal> {
    match p.missing(names) {
        Some(name) => Err(bad(format!("{name} 不能为空"))),
        None => Ok(()),
    }
}

/// 220001 "[x] 的长度超过最大限制,最多允许 x 个字符".
fn lengths(p: &Params, limits: &[(&str, usize)]) -> Result<(), Refusal> {
    for (name, max) in limits {
        if p.text(name).is_some_and(|v| v.chars().count() > *max) {
            return Err((
                "220001",
                format!("[{name}] 的长度超过最大限制,最多允许 {max} 个字符"),
            ));
        }
    }
    Ok(())
}

fn date(p: &Params, name: &str) -> Result<Option<NaiveDate>, Refusal> {
    match p.text(name) {
        None => Ok(None),
        Some(t) => NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d")
            .map(Some)
            .map_err(|_| bad(format!("{name} 格式错误"))),
    }
}

fn format_local(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| {
            t.with_timezone(&Zone::CHINA.offset())
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
}

fn tenant_json(t: &TenantRecord) -> Value {
    json!({
        "companyId": t.company_id,
        "companyName": t.company_name,
        "email": t.email,
        "contactTel": t.contact_tel.clone().unwrap_or_default(),
        "contactName": t.contact_name.clone().unwrap_or_default(),
        "serviceNum": t.staff.len(),
        "maxServiceCount": t.max_count,
        "createTime": t.created_on.format("%Y-%m-%d").to_string(),
        "endTime": t.ends_on.format("%Y-%m-%d").to_string(),
        "tenantStatus": t.open,
        "appKey": t.app_key,
        "services": null,
        "customerCode": t.customer_code,
        "customfieldsCode": null,
        "customfieldsName": null,
        "provinceId": null,
        "provinceName": null,
        "cityId": null,
        "cityName": null,
        "areaId": null,
        "areaName": null
    })
}

impl SobotEmulator {
    pub(crate) fn router(self: Arc<Self>) -> Router {
        macro_rules! body_route {
            ($handler:ident) => {{
                let e = self.clone();
                post(move |body: Bytes| async move { Json(e.$handler(&Params::from_body(&body))) })
            }};
        }
        let logs = {
            let e = self.clone();
            get(
                move |Query(pairs): Query<Vec<(String, String)>>| async move {
                    Json(e.staff_log_infos(&Params::from_query(pairs)))
                },
            )
        };
        Router::new()
            .route("/tenantpro/open/getTenantList", body_route!(tenant_list))
            .route("/tenantpro/open/addTenant.json", body_route!(add_tenant))
            .route(
                "/tenantpro/open/updateTenant.json",
                body_route!(update_tenant),
            )
            .route(
                "/tenantpro/open/addServiceInfoConfim.json",
                body_route!(add_staff),
            )
            .route(
                "/tenantpro/open/updateServiceInfoConfim.json",
                body_route!(update_staff),
            )
            .route(
                "/tenantpro/open/deleteServiceInfoConfim",
                body_route!(delete_staff),
            )
            .route(
                "/tenantpro/tenantReport/tenantExportData",
                body_route!(export_data),
            )
            .route("/tenantpro/getBatchAppKey", body_route!(batch_app_key))
            .route("/tenantpro/coutomer/getStaffLogInfos", logs)
            .route(
                "/chat-third/tenant/5/user/chatIndexPage",
                body_route!(chat_index_page),
            )
            .route(
                "/tenantpro/tenantReport/tenantStaffJobList",
                body_route!(staff_job_list),
            )
    }

    fn now_ms(&self) -> i64 {
        self.clock.now_millis()
    }

    /// `unionCode`, a fresh millisecond `ts`, and `token =
    /// MD5(unionCode+ts+email+unionKey)` with the given email.
    fn signed_with_email(&self, p: &Params, email: &str) -> Result<(), Refusal> {
        if p.text("unionCode").as_deref() != Some(UNION_CODE) {
            return Err(auth_failed());
        }
        let ts_text = p.text("ts").unwrap_or_default();
        let ts: i64 = ts_text.trim().parse().map_err(|_| bad("ts 格式错误"))?;
        if !fresh_millis(ts, self.now_ms()) {
            return Err(auth_failed());
        }
        let expected = md5_hex(&[UNION_CODE, &ts_text, email, UNION_KEY]);
        if p.text("token").as_deref() != Some(expected.as_str()) {
            return Err(auth_failed());
        }
        Ok(())
    }

    /// The report `sign`, by the formula currently expected (default
    /// `MD5(unionCode+ts+unionKey)`); `ts` in seconds or milliseconds.
    fn report_signed(&self, st: &State, p: &Params, union_param: &str) -> Result<(), Refusal> {
        if p.text(union_param).as_deref() != Some(UNION_CODE) {
            return Err(auth_failed());
        }
        let ts_text = p.text("ts").unwrap_or_default();
        let ts: i64 = ts_text.trim().parse().map_err(|_| bad("ts 格式错误"))?;
        if !fresh_any_unit(ts, self.now_ms()) {
            return Err(auth_failed());
        }
        let parts: Vec<String> = st
            .report_sign_parts
            .iter()
            .map(|part| match part.as_str() {
                "unionCode" => UNION_CODE.to_owned(),
                "ts" => ts_text.clone(),
                "unionKey" => UNION_KEY.to_owned(),
                other => p.text(other).unwrap_or_default(),
            })
            .collect();
        let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
        if p.text("sign").as_deref() != Some(md5_hex(&parts).as_str()) {
            return Err(auth_failed());
        }
        Ok(())
    }

    fn today(&self) -> NaiveDate {
        Zone::CHINA.date_of(self.clock.now())
    }

    // --- /tenantpro/open ------------------------------------------------

    fn tenant_list(&self, p: &Params) -> Value {
        let st = self.state();
        let result = (|| {
            required(p, &["unionCode", "ts", "token", "email", "openStatus"])?;
            let email = p.text("email").unwrap_or_default();
            self.signed_with_email(p, &email)?;
            // "email 平台超管邮箱": only the platform super-admin may list.
            if email != EMAIL {
                return Err(auth_failed());
            }
            let open: Option<bool> = match p.text("openStatus").as_deref() {
                Some("-1") => None,
                Some("1") => Some(true),
                Some("0") => Some(false),
                _ => return Err(bad("openStatus 参数错误")),
            };
            let from = date(p, "startDate")?;
            let to = date(p, "endDate")?;
            let value = p.text("inputValue");
            let search = match (p.text("inputStatus").as_deref(), value) {
                (_, None) | (None, _) => None,
                (Some(s @ ("1" | "2" | "3" | "4")), Some(v)) => Some((s.to_owned(), v)),
                _ => return Err(bad("inputStatus 参数错误")),
            };
            let mut matching: Vec<&TenantRecord> = st
                .tenants
                .iter()
                .filter(|t| open.is_none_or(|o| t.open == o))
                .filter(|t| from.is_none_or(|d| t.created_on >= d))
                .filter(|t| to.is_none_or(|d| t.created_on <= d))
                .filter(|t| match &search {
                    None => true,
                    // "1、2、3 为模糊匹配,4 为完全匹配"
                    Some((s, v)) => match s.as_str() {
                        "1" => t.company_name.contains(v.as_str()),
                        "2" => t.email.contains(v.as_str()),
                        "3" => t
                            .contact_tel
                            .as_deref()
                            .is_some_and(|c| c.contains(v.as_str())),
                        _ => t.customer_code == *v,
                    },
                })
                .collect();
            if st.newest_first {
                matching.reverse();
            }
            let page_no = p.int("pageNo").unwrap_or(1).max(1);
            // Undocumented: 10 a page by default, at most 100.
            let page_size = p.int("pageSize").unwrap_or(10).clamp(1, 100);
            let total = matching.len() as i64;
            let skip =
                usize::try_from((page_no - 1).saturating_mul(page_size)).unwrap_or(usize::MAX);
            let items: Vec<Value> = matching
                .iter()
                .skip(skip)
                .take(usize::try_from(page_size).unwrap_or(0))
                .map(|t| tenant_json(t))
                .collect();
            Ok(json!({
                "pageNo": page_no,
                "pageCount": (total + page_size - 1) / page_size,
                "totalCount": total,
                "pageSize": null,
                "items": items,
                "item": null,
                "retCode": "200000",
                "retMsg": "成功"
            }))
        })();
        result.unwrap_or_else(|(code, message)| {
            json!({"items": null, "item": null, "retCode": code, "retMsg": message})
        })
    }

    fn add_tenant(&self, p: &Params) -> Value {
        let mut st = self.state();
        let result = (|| {
            required(
                p,
                &[
                    "unionCode",
                    "ts",
                    "token",
                    "companyName",
                    "email",
                    "maxCount",
                    "password",
                    "customerCode",
                ],
            )?;
            let email = p.text("email").unwrap_or_default();
            self.signed_with_email(p, &email)?;
            lengths(
                p,
                &[
                    ("companyName", 50),
                    ("contactName", 32),
                    ("contactTel", 20),
                    ("customerCode", 64),
                ],
            )?;
            let max_count = p
                .int("maxCount")
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| *n >= 1)
                .ok_or_else(|| bad("maxCount 参数错误"))?;
            let code = p.text("customerCode").unwrap_or_default();
            if st.tenant(&code).is_some() {
                return Err(bad("customerCode 已存在!"));
            }
            if st
                .tenants
                .iter()
                .any(|t| t.email.eq_ignore_ascii_case(&email))
            {
                return Err(bad("email 已存在!"));
            }
            if st.seats_in_use() + u64::from(max_count) > u64::from(st.platform_seats) {
                return Err(("200007", SEATS_EXHAUSTED.to_owned()));
            }
            let tenant = TenantRecord {
                company_id: hex_id(&mut st.rng),
                customer_code: code,
                company_name: p.text("companyName").unwrap_or_default(),
                email,
                password: p.text("password").unwrap_or_default(),
                max_count,
                contact_name: p.text("contactName"),
                contact_tel: p.text("contactTel"),
                icon: p.text("icon"),
                open: true,
                created_on: self.today(),
                ends_on: NaiveDate::from_ymd_opt(2099, 12, 31).unwrap_or_default(),
                app_id: hex_id(&mut st.rng),
                app_key: app_key(&mut st.rng),
                staff: Vec::new(),
            };
            let reply = json!({
                "retCode": "200000",
                "retMsg": "成功!",
                "msg": {
                    "appKey": tenant.app_key,
                    "contactName": tenant.contact_name.clone().unwrap_or_default(),
                    "sysNum": tenant.company_id
                }
            });
            st.tenants.push(tenant);
            Ok(reply)
        })();
        result.unwrap_or_else(open_refusal)
    }

    fn update_tenant(&self, p: &Params) -> Value {
        let mut st = self.state();
        let result = (|| {
            required(
                p,
                &[
                    "unionCode",
                    "ts",
                    "token",
                    "companyName",
                    "maxCount",
                    "customerCode",
                    "email",
                ],
            )?;
            let email = p.text("email").unwrap_or_default();
            self.signed_with_email(p, &email)?;
            lengths(
                p,
                &[("companyName", 50), ("contactName", 32), ("contactTel", 20)],
            )?;
            let max_count = p
                .int("maxCount")
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| *n >= 1)
                .ok_or_else(|| bad("maxCount 参数错误"))?;
            let code = p.text("customerCode").unwrap_or_default();
            let in_use = st.seats_in_use();
            let seats = u64::from(st.platform_seats);
            let t = st.tenant_mut(&code).ok_or_else(|| bad(TENANT_NOT_FOUND))?;
            // Fewer seats than staff, or more than the platform has left.
            if (max_count as usize) < t.staff.len()
                || in_use - u64::from(t.max_count) + u64::from(max_count) > seats
            {
                return Err(("200007", SEATS_EXHAUSTED.to_owned()));
            }
            t.company_name = p.text("companyName").unwrap_or_default();
            t.max_count = max_count;
            t.email = email;
            if let Some(v) = p.text("contactName") {
                t.contact_name = Some(v);
            }
            if let Some(v) = p.text("contactTel") {
                t.contact_tel = Some(v);
            }
            Ok(json!({"retCode": "200000", "retMsg": "成功", "msg": null}))
        })();
        result.unwrap_or_else(open_refusal)
    }

    fn add_staff(&self, p: &Params) -> Value {
        let mut st = self.state();
        let result = (|| {
            required(
                p,
                &[
                    "unionCode",
                    "ts",
                    "token",
                    "customerCode",
                    "nick",
                    "name",
                    "email",
                    "roleId",
                    "phoneNo",
                    "maxAcceptNum",
                ],
            )?;
            let email = p.text("email").unwrap_or_default();
            self.signed_with_email(p, &email)?;
            lengths(p, &[("nick", 32), ("name", 32), ("email", 64)])?;
            let role = p.text("roleId").unwrap_or_default();
            if !ROLE_IDS.contains(&role.as_str()) {
                return Err(bad("roleId 参数错误"));
            }
            let phone_no = p
                .text("phoneNo")
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(|| bad("phoneNo 参数错误"))?;
            let max_accept_num = p
                .int("maxAcceptNum")
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| bad("maxAcceptNum 参数错误"))?;
            let code = p.text("customerCode").unwrap_or_default();
            if st.tenant(&code).is_none() {
                return Err(bad(TENANT_NOT_FOUND));
            }
            // "客服邮箱,唯一": across the platform.
            if st
                .tenants
                .iter()
                .flat_map(|t| &t.staff)
                .any(|s| s.email.eq_ignore_ascii_case(&email))
            {
                return Err(bad("客服邮箱已存在!"));
            }
            let staff_id = hex_id(&mut st.rng);
            let t = st.tenant_mut(&code).ok_or_else(|| bad(TENANT_NOT_FOUND))?;
            if t.staff.len() >= t.max_count as usize {
                return Err(("200007", SEATS_EXHAUSTED.to_owned()));
            }
            t.staff.push(StaffRecord {
                staff_id,
                email,
                nick: p.text("nick").unwrap_or_default(),
                name: p.text("name").unwrap_or_default(),
                role_id: role,
                phone_no,
                max_accept_num,
                password: p.text("password"),
                activated: true,
            });
            Ok(json!({"retCode": "200000", "retMsg": "成功", "msg": null}))
        })();
        result.unwrap_or_else(open_refusal)
    }

    fn staff_of<'a>(
        st: &'a mut State,
        code: &str,
        email: &str,
    ) -> Result<&'a mut StaffRecord, Refusal> {
        let t = st.tenant_mut(code).ok_or_else(|| bad(TENANT_NOT_FOUND))?;
        let s = t
            .staff
            .iter_mut()
            .find(|s| s.email.eq_ignore_ascii_case(email))
            .ok_or_else(|| bad("客服不存在!"))?;
        if !s.activated {
            return Err(bad(EMAIL_INACTIVE));
        }
        Ok(s)
    }

    fn update_staff(&self, p: &Params) -> Value {
        let mut st = self.state();
        let result = (|| {
            required(
                p,
                &[
                    "unionCode",
                    "ts",
                    "token",
                    "customerCode",
                    "serviceNick",
                    "serviceName",
                    "phoneNo",
                    "maxAcceptNum",
                    "email",
                ],
            )?;
            let email = p.text("email").unwrap_or_default();
            self.signed_with_email(p, &email)?;
            lengths(p, &[("serviceNick", 32), ("serviceName", 32)])?;
            let phone_no = p
                .text("phoneNo")
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(|| bad("phoneNo 参数错误"))?;
            let max_accept_num = p
                .int("maxAcceptNum")
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| bad("maxAcceptNum 参数错误"))?;
            let code = p.text("customerCode").unwrap_or_default();
            let s = Self::staff_of(&mut st, &code, &email)?;
            s.nick = p.text("serviceNick").unwrap_or_default();
            s.name = p.text("serviceName").unwrap_or_default();
            s.phone_no = phone_no;
            s.max_accept_num = max_accept_num;
            Ok(json!({"retCode": "200000", "retMsg": "成功", "msg": null}))
        })();
        result.unwrap_or_else(open_refusal)
    }

    fn delete_staff(&self, p: &Params) -> Value {
        let mut st = self.state();
        let result = (|| {
            required(p, &["unionCode", "ts", "token", "customerCode", "email"])?;
            let email = p.text("email").unwrap_or_default();
            self.signed_with_email(p, &email)?;
            let code = p.text("customerCode").unwrap_or_default();
            Self::staff_of(&mut st, &code, &email)?;
            if let Some(t) = st.tenant_mut(&code) {
                t.staff.retain(|s| !s.email.eq_ignore_ascii_case(&email));
            }
            Ok(json!({"retCode": "200000", "retMsg": "成功", "msg": null}))
        })();
        result.unwrap_or_else(open_refusal)
    }

    // --- reports --------------------------------------------------------

    fn export_data(&self, p: &Params) -> Value {
        let st = self.state();
        let result = (|| {
            required(p, &["unionCode", "ts", "sign", "type", "date"])?;
            self.report_signed(&st, p, "unionCode")?;
            let kind = p.text("type").unwrap_or_default();
            if kind != "7" && kind != "8" {
                return Err(bad("type 参数错误"));
            }
            let day = date(p, "date")?.ok_or_else(|| bad("date 不能为空"))?;
            let (first, days) = self.seeded_period();
            if day < first || (day - first).num_days() >= i64::from(days) {
                return Err(bad("报表数据不存在!"));
            }
            let created = Zone::CHINA.start_of(day).timestamp_millis() + (24 + 2) * 3_600_000;
            let file =
                format!("https://sandbox.sobot.invalid/reports/{UNION_CODE}/{kind}/{day}.zip");
            // The type-8 example spells createTime "reateTime"; so does the sandbox.
            let created_key = if kind == "8" {
                "reateTime"
            } else {
                "createTime"
            };
            let mut item = json!({
                "filePath": file,
                "unionCode": UNION_CODE,
                "resultDate": day.format("%Y-%m-%d").to_string(),
                "taskType": kind
            });
            if let Some(obj) = item.as_object_mut() {
                obj.insert(created_key.to_owned(), Value::String(created.to_string()));
            }
            Ok(json!({"item": item, "ret_code": "000000", "ret_msg": "成功"}))
        })();
        result.unwrap_or_else(|r| report_refusal(true, r))
    }

    fn batch_app_key(&self, p: &Params) -> Value {
        let st = self.state();
        let result = (|| {
            required(p, &["unionCode", "ts", "sign"])?;
            self.report_signed(&st, p, "unionCode")?;
            let data: Vec<Value> = st
                .tenants
                .iter()
                .map(|t| {
                    json!({
                        "appId": t.app_id,
                        "appKey": t.app_key,
                        "companyId": t.company_id,
                        "companyName": t.company_name
                    })
                })
                .collect();
            // The data sits under a key equal to the unionCode's value.
            let mut reply = serde_json::Map::new();
            reply.insert(
                UNION_CODE.to_owned(),
                json!({"data": data, "time": format_local(self.now_ms())}),
            );
            reply.insert("retCode".to_owned(), json!("000000"));
            reply.insert("retMsg".to_owned(), json!("操作成功"));
            Ok(Value::Object(reply))
        })();
        result.unwrap_or_else(|r| report_refusal(false, r))
    }

    fn staff_job_list(&self, p: &Params) -> Value {
        let st = self.state();
        let result = (|| {
            required(p, &["union_code", "ts", "sign", "start_date", "end_date"])?;
            self.report_signed(&st, p, "union_code")?;
            let from = date(p, "start_date")?.ok_or_else(|| bad("start_date 不能为空"))?;
            let to = date(p, "end_date")?.ok_or_else(|| bad("end_date 不能为空"))?;
            if from > to {
                return Err(bad("start_date 不能晚于 end_date"));
            }
            // Sum each staff member's days in [start_date, end_date].
            let mut order: Vec<(String, String)> = Vec::new();
            let mut sums: BTreeMap<(String, String), [u64; 4]> = BTreeMap::new();
            for s in st
                .job_stats
                .iter()
                .filter(|s| from <= s.date && s.date <= to)
            {
                let key = (s.company_id.clone(), s.staff_id.clone());
                let e = sums.entry(key.clone()).or_insert_with(|| {
                    order.push(key);
                    [0; 4]
                });
                e[0] += s.first_response_time_set;
                e[1] += s.first_response_in60s;
                e[2] += s.transfer_first_response_count;
                e[3] += s.session_human_visitor_consult;
            }
            let items: Vec<Value> = order
                .iter()
                .filter_map(|k| sums.get(k).map(|v| (k, v)))
                .map(|((company, staff), v)| {
                    let rate = (v[1] * 100).checked_div(v[0]).unwrap_or(0);
                    json!({
                        "staffid": staff,
                        "companyid": company,
                        "first_response_time_set": v[0],
                        "transfer_first_response_count": v[2],
                        "session_human_visitor_consult": v[3],
                        // "100%", "00%" as the example writes them.
                        "first_response_in60s_rate": format!("{rate:02}%")
                    })
                })
                .collect();
            Ok(json!({"items": items, "retCode": "000000", "retMsg": "成功"}))
        })();
        result.unwrap_or_else(|r| report_refusal(false, r))
    }

    // --- getStaffLogInfos ----------------------------------------------

    fn staff_log_infos(&self, p: &Params) -> Value {
        let st = self.state();
        let result = (|| {
            required(p, &["unionCode", "ts", "token"])?;
            if p.text("unionCode").as_deref() != Some(UNION_CODE) {
                return Err(auth_failed());
            }
            let ts_text = p.text("ts").unwrap_or_default();
            let ts: i64 = ts_text.trim().parse().map_err(|_| bad("ts 格式错误"))?;
            if !fresh_millis(ts, self.now_ms()) {
                return Err(auth_failed());
            }
            if p.text("token").as_deref()
                != Some(md5_hex(&[UNION_CODE, &ts_text, UNION_KEY]).as_str())
            {
                return Err(auth_failed());
            }
            let time = |name: &str| -> Result<Option<i64>, Refusal> {
                match p.text(name) {
                    None => Ok(None),
                    Some(t) => t
                        .trim()
                        .parse()
                        .map(Some)
                        .map_err(|_| bad(format!("{name} 格式错误"))),
                }
            };
            let (start, end) = clamp_week(time("startTime")?, time("endTime")?, self.now_ms());
            Ok(json!({"items": group_logs(&st, start, end), "retCode": "200000", "retMsg": "成功"}))
        })();
        result.unwrap_or_else(
            |(code, message)| json!({"items": null, "retCode": code, "retMsg": message}),
        )
    }

    // --- chatIndexPage --------------------------------------------------

    fn chat_index_page(&self, p: &Params) -> Value {
        let mut st = self.state();
        let status = |n: i64| json!({"items": null, "status": n});
        // 2: 传参异常. The names are exact: `unionCode` is not `union_code`.
        if p.missing(&["union_code", "partnerId", "ts", "token"])
            .is_some()
        {
            return status(2);
        }
        // 3: unionCode 异常.
        if p.text("union_code").as_deref() != Some(UNION_CODE) {
            return status(3);
        }
        // 4: 每分钟调用 20 次, over a sliding minute of tokio's clock, across
        // every caller (tests may shorten the window: `chat_limit`).
        let now = tokio::time::Instant::now();
        let window = st.chat_window;
        while st
            .chat_calls
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            st.chat_calls.pop_front();
        }
        if st.chat_calls.len() >= st.chat_limit {
            st.chat_refused += 1;
            return status(4);
        }
        st.chat_calls.push_back(now);
        st.chat_admitted += 1;
        // 5: token 校验异常 (a stale ts included).
        let partner = p.text("partnerId").unwrap_or_default();
        let ts_text = p.text("ts").unwrap_or_default();
        let Ok(ts) = ts_text.trim().parse::<i64>() else {
            return status(2);
        };
        let expected = md5_hex(&[UNION_CODE, &partner, &ts_text, UNION_KEY]);
        if !fresh_millis(ts, self.now_ms()) || p.text("token").as_deref() != Some(expected.as_str())
        {
            return status(5);
        }
        let items: Vec<Value> = st
            .chats
            .iter()
            .filter(|c| c.partner_id == partner)
            .map(|c| {
                json!({
                    "unionCode": UNION_CODE,
                    "sysNum": c.sys_num,
                    "companyName": c.company_name,
                    "companyLogo": c.company_logo,
                    "visitorId": c.visitor_id,
                    "partnerId": c.partner_id,
                    "lastCid": c.last_cid,
                    "lastMsgContent": c.last_msg_content,
                    "lastMsgTime": c.last_msg_time,
                    "lastMsgType": c.last_msg_type,
                    "unReadNum": c.un_read_num
                })
            })
            .collect();
        json!({"items": items, "status": 1})
    }
}

/// The document's four rules for getStaffLogInfos' range, in milliseconds:
/// 1) both given and more than a week apart: the start moves to a week
///    before the end; 2) neither: the week up to now; 3) only the start: the
///    week after it; 4) only the end: the week before it. Both ends
///    inclusive.
pub(crate) fn clamp_week(start: Option<i64>, end: Option<i64>, now_ms: i64) -> (i64, i64) {
    match (start, end) {
        (Some(s), Some(e)) if e - s > WEEK_MS => (e - WEEK_MS, e),
        (Some(s), Some(e)) => (s, e),
        (None, None) => (now_ms - WEEK_MS, now_ms),
        (Some(s), None) => (s, s + WEEK_MS),
        (None, Some(e)) => (e - WEEK_MS, e),
    }
}

/// One staff member's entries: `(staffId, staffLogInfos)`.
type StaffLogs = (String, Vec<Value>);

/// `items[].companyStaffInfos[].staffLogInfos[]` for `[start, end]`.
fn group_logs(st: &State, start: i64, end: i64) -> Vec<Value> {
    let mut companies: Vec<(String, Vec<StaffLogs>)> = Vec::new();
    for e in st
        .logs
        .iter()
        .filter(|e| start <= e.datetime && e.datetime <= end)
    {
        let company = match companies.iter_mut().position(|(c, _)| *c == e.company_id) {
            Some(i) => &mut companies[i].1,
            None => {
                companies.push((e.company_id.clone(), Vec::new()));
                let last = companies.len() - 1;
                &mut companies[last].1
            }
        };
        let entry = json!({
            "datetime": e.datetime,
            "datetimeFormat": format_local(e.datetime),
            "source": e.source,
            "operationAction": e.action
        });
        match company.iter_mut().find(|(s, _)| *s == e.staff_id) {
            Some((_, logs)) => logs.push(entry),
            None => company.push((e.staff_id.clone(), vec![entry])),
        }
    }
    companies
        .into_iter()
        .map(|(company, staff)| {
            let staff: Vec<Value> = staff
                .into_iter()
                .map(|(id, logs)| json!({"staffId": id, "staffLogInfos": logs}))
                .collect();
            json!({"companyId": company, "companyStaffInfos": staff})
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_clamping_rules() {
        let day = 24 * 3_600_000;
        let now = 100 * day;
        // 1) three weeks asked: the last week of it.
        assert_eq!(
            clamp_week(Some(0), Some(21 * day), now),
            (14 * day, 21 * day)
        );
        // exactly a week is not "超过1周".
        assert_eq!(clamp_week(Some(0), Some(7 * day), now), (0, 7 * day));
        // 2) neither: the week up to now.
        assert_eq!(clamp_week(None, None, now), (93 * day, now));
        // 3) only the start: a week after it.
        assert_eq!(clamp_week(Some(day), None, now), (day, 8 * day));
        // 4) only the end: a week before it.
        assert_eq!(clamp_week(None, Some(9 * day), now), (2 * day, 9 * day));
    }
}
