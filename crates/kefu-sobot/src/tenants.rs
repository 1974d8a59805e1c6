//! Merchant tenants: getTenantList, addTenant.json, updateTenant.json,
//! getBatchAppKey.

use std::sync::Arc;

use async_trait::async_trait;
use kefu_core::model::{
    AppKey, NewTenant, Tenant, TenantCreated, TenantQuery, TenantSearch, TenantStatus, TenantUpdate,
};
use kefu_core::paging::{Page, Pager};
use kefu_core::{Error, Operation, RecordStream, Result, TenantAdmin, validate};
use kefu_http::{Effect, WireRequest};

use crate::SobotClient;
use crate::auth::{SignInput, email_token};
use crate::decode::{self, TenantPage};
use crate::wire::{AddTenantBody, AppKeyBody, TenantListBody, UpdateTenantBody};

const TENANT_LIST: &str = "/tenantpro/open/getTenantList";
const ADD_TENANT: &str = "/tenantpro/open/addTenant.json";
const UPDATE_TENANT: &str = "/tenantpro/open/updateTenant.json";
const APP_KEYS: &str = "/tenantpro/getBatchAppKey";

/// Tenants asked per page when the query does not say (the document gives
/// no default or maximum).
pub const DEFAULT_TENANT_PAGE_SIZE: u32 = 50;

/// A stop against a server that never ends a list.
const MAX_PAGES: u32 = 100_000;

/// The filters of one listing, checked and spelled for the wire.
#[derive(Debug, Clone)]
struct ListFilter {
    start_date: Option<String>,
    end_date: Option<String>,
    input_status: Option<&'static str>,
    input_value: Option<String>,
    open_status: &'static str,
    page_size: u32,
}

impl ListFilter {
    fn new(query: &TenantQuery) -> Result<Self> {
        if let (Some(from), Some(to)) = (query.from, query.to) {
            validate::ordered("startDate", &from, &to)?;
        }
        let (input_status, input_value) = match &query.search {
            None => (None, None),
            // "1-商户企业名称,2-商户联系账号,3-商户超管电话,4-外部 id"
            Some(search) => {
                let (code, value) = match search {
                    TenantSearch::Name(v) => ("1", v),
                    TenantSearch::Account(v) => ("2", v),
                    TenantSearch::Phone(v) => ("3", v),
                    TenantSearch::ExternalId(v) => ("4", v),
                };
                validate::non_empty("inputValue", value)?;
                (Some(code), Some(value.clone()))
            }
        };
        let page_size = query.page_size.unwrap_or(DEFAULT_TENANT_PAGE_SIZE);
        validate::at_least("pageSize", i64::from(page_size), 1)?;
        Ok(Self {
            start_date: query.from.map(|d| d.format("%Y-%m-%d").to_string()),
            end_date: query.to.map(|d| d.format("%Y-%m-%d").to_string()),
            input_status,
            input_value,
            // "商户状态:-1:全部,1:开启 0:停用"
            open_status: match query.status {
                TenantStatus::All => "-1",
                TenantStatus::Open => "1",
                TenantStatus::Closed => "0",
            },
            page_size,
        })
    }
}

impl SobotClient {
    async fn tenant_page(&self, filter: &ListFilter, page_no: u32) -> Result<TenantPage> {
        let s = &self.shared;
        let ts = self.ts_millis();
        // getTenantList signs with the platform super-admin's email.
        let body = TenantListBody {
            union_code: &s.union_code,
            ts,
            token: email_token(&s.union_code, &ts.to_string(), &s.email, &s.union_key),
            email: &s.email,
            start_date: filter.start_date.clone(),
            end_date: filter.end_date.clone(),
            input_status: filter.input_status,
            input_value: filter.input_value.as_deref(),
            open_status: filter.open_status,
            page_no,
            page_size: filter.page_size,
        };
        let request = WireRequest::post(Operation::ListTenants, TENANT_LIST)
            .idempotent(true)
            .json(&body);
        let zone = s.zone;
        self.call(request, |b| decode::tenant_page(b, zone)).await
    }

    /// Looks a tenant up by its customerCode (search type 4, "完全匹配").
    async fn find_tenant(&self, customer_code: &str) -> Result<Option<Tenant>> {
        let query = TenantQuery {
            search: Some(TenantSearch::ExternalId(customer_code.to_owned())),
            ..TenantQuery::default()
        };
        let filter = ListFilter::new(&query)?;
        let page = self.tenant_page(&filter, 1).await?;
        Ok(page.items.into_iter().find(|t| {
            t.customer_code
                .as_deref()
                .is_none_or(|c| c == customer_code)
        }))
    }
}

#[async_trait]
impl TenantAdmin for SobotClient {
    /// Every page of getTenantList, in order, through the shared
    /// [`Pager`]: once page 1 tells the `pageCount`, the other pages are
    /// fetched `page_concurrency` at a time (default 4).
    ///
    /// Pages are walked by the answer's `pageCount` (the document leaves the
    /// server's page-size limit open, so a page shorter than asked does not
    /// mean the end: each page says whether it is the last by its own
    /// `pageCount`, and one that says more follow while the first's count
    /// is done is followed); without a `pageCount`, until a short or empty
    /// page.
    fn list_tenants(&self, query: &TenantQuery) -> Result<RecordStream<Tenant>> {
        let filter = Arc::new(ListFilter::new(query)?);
        let client = self.clone();
        let size = filter.page_size;
        let pages = Pager::new(kefu_core::Vendor::Sobot, 1, size)
            .short_pages_end(false)
            .concurrency(self.shared.page_concurrency)
            .max_pages(MAX_PAGES)
            .stream(move |page_no| {
                let client = client.clone();
                let filter = filter.clone();
                kefu_http::on_task(kefu_core::Vendor::Sobot, async move {
                    let page = client.tenant_page(&filter, page_no).await?;
                    let last = match page.page_count {
                        Some(count) => page_no >= count,
                        None => page.items.len() < size as usize,
                    };
                    Ok(Page {
                        total: None,
                        pages: page.page_count,
                        last: Some(last),
                        // totalCount: a change while the list is read is
                        // noticed, and the pages read again in order.
                        count: page.total_count,
                        items: page.items,
                    })
                })
            })
            // The document does not say in which order getTenantList lists. If
            // the vendor lists newest first, a tenant opened while we page shifts
            // the later pages and repeats records: the pager hands each tenant
            // out once, by companyId.
            ;
        Ok(pages)
    }

    /// addTenant.json. Not idempotent: a failure that may have been carried
    /// out is reconciled through getTenantList by customerCode.
    async fn add_tenant(&self, tenant: &NewTenant) -> Result<TenantCreated> {
        validate::non_empty("customerCode", &tenant.customer_code)?;
        validate::non_empty("companyName", &tenant.name)?;
        validate::email("email", &tenant.email)?;
        validate::at_least("maxCount", i64::from(tenant.max_agents), 1)?;
        // "password String 必选 客服登录密码"
        let password = match &tenant.password {
            Some(p) if !p.expose().trim().is_empty() => p.clone(),
            _ => return Err(Error::invalid("password", "is required by addTenant.json")),
        };
        let s = &self.shared;
        let ts = self.ts_millis();
        let body = AddTenantBody {
            union_code: &s.union_code,
            ts,
            token: email_token(&s.union_code, &ts.to_string(), &tenant.email, &s.union_key),
            company_name: &tenant.name,
            email: &tenant.email,
            max_count: tenant.max_agents,
            password,
            contact_name: tenant.contact_name.as_deref(),
            contact_tel: tenant.contact_tel.as_deref(),
            customer_code: &tenant.customer_code,
            icon: tenant.icon.as_deref(),
        };
        let request = WireRequest::post(Operation::AddTenant, ADD_TENANT)
            .idempotent(false)
            .json(&body);
        self.write(
            request,
            decode::tenant_created,
            Some(|| self.added_effect(tenant)),
        )
        .await
    }

    /// updateTenant.json. Idempotent: it sets absolute values, so repeating
    /// it converges on the same state and answers the same.
    async fn update_tenant(&self, update: &TenantUpdate) -> Result<()> {
        validate::non_empty("customerCode", &update.customer_code)?;
        validate::non_empty("companyName", &update.name)?;
        validate::email("email", &update.email)?;
        validate::at_least("maxCount", i64::from(update.max_agents), 1)?;
        let s = &self.shared;
        let ts = self.ts_millis();
        // "email String 必选 商户的超管邮箱": the token signs with it.
        let body = UpdateTenantBody {
            union_code: &s.union_code,
            ts,
            token: email_token(&s.union_code, &ts.to_string(), &update.email, &s.union_key),
            company_name: &update.name,
            max_count: update.max_agents,
            contact_name: update.contact_name.as_deref(),
            contact_tel: update.contact_tel.as_deref(),
            customer_code: &update.customer_code,
            email: &update.email,
        };
        let request = WireRequest::post(Operation::UpdateTenant, UPDATE_TENANT)
            .idempotent(true)
            .json(&body);
        self.call(request, decode::ack).await
    }

    /// getBatchAppKey.
    async fn app_keys(&self) -> Result<Vec<AppKey>> {
        let s = &self.shared;
        let ts = self.report_ts();
        let sign = s.report_sign.sign(&SignInput {
            operation: Operation::ListAppKeys,
            path: APP_KEYS,
            union_code: &s.union_code,
            ts: &ts,
            union_key: &s.union_key,
            params: &[],
        });
        let body = AppKeyBody {
            union_code: &s.union_code,
            ts: &ts,
            sign,
        };
        let request = WireRequest::post(Operation::ListAppKeys, APP_KEYS)
            .idempotent(true)
            .json(&body);
        let union_code = s.union_code.clone();
        self.call(request, |b| decode::app_keys(b, &union_code))
            .await
    }
}

impl SobotClient {
    /// What became of an add whose answer was lost: the tenant listed under
    /// its customerCode with the email asked is the add's effect; with
    /// another email it may predate the call. Proven absent, repeating is
    /// safe (a duplicate would be refused with "customerCode 已存在!").
    async fn added_effect(&self, tenant: &NewTenant) -> Result<Effect<TenantCreated>> {
        Ok(match self.find_tenant(&tenant.customer_code).await? {
            Some(found)
                if found
                    .email
                    .as_deref()
                    .is_none_or(|e| e.eq_ignore_ascii_case(&tenant.email)) =>
            {
                let mut extra = kefu_core::Extra::new();
                extra.insert("reconciled".to_owned(), serde_json::Value::Bool(true));
                Effect::Seen(TenantCreated {
                    app_key: found.app_key,
                    contact_name: found.contact_name,
                    company_id: Some(found.company_id).filter(|c| !c.is_empty()),
                    extra,
                })
            }
            Some(_) => Effect::Conflicting(
                "a tenant with this customerCode exists but with another email".to_owned(),
            ),
            None => Effect::NotSeen,
        })
    }
}
