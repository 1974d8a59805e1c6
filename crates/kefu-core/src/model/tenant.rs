use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{Extra, Secret};

/// A merchant tenant of a platform (Sobot `getTenantList` item).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tenant {
    /// Vendor company id (`companyId`).
    pub company_id: String,
    /// Company name (`companyName`).
    pub name: String,
    /// Super-admin email (`email`).
    pub email: Option<String>,
    /// The platform's own id of this merchant (`customerCode`).
    pub customer_code: Option<String>,
    /// Contact person (`contactName`).
    pub contact_name: Option<String>,
    /// Contact phone (`contactTel`).
    pub contact_tel: Option<String>,
    /// Agents in use (`serviceNum`).
    pub agents_in_use: Option<u32>,
    /// Agent seats (`maxServiceCount`).
    pub max_agents: Option<u32>,
    /// Day the tenant was created (`createTime`, a date).
    pub created_on: Option<NaiveDate>,
    /// Day the tenant's service ends (`endTime`, a date).
    pub ends_on: Option<NaiveDate>,
    /// Open (`tenantStatus: true`) or closed.
    pub enabled: Option<bool>,
    /// The tenant's app key (`appKey`).
    pub app_key: Option<String>,
    /// Vendor fields not mapped above.
    #[serde(default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// Which tenants to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TenantStatus {
    /// Open and closed.
    #[default]
    All,
    /// Open only.
    Open,
    /// Closed only.
    Closed,
}

/// One search over tenants; the vendor matches 1-3 fuzzily and 4 exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "by", content = "value")]
pub enum TenantSearch {
    /// Company name, fuzzy.
    Name(String),
    /// Contact account, fuzzy.
    Account(String),
    /// Super-admin phone, fuzzy.
    Phone(String),
    /// External id, exact.
    ExternalId(String),
}

/// A tenant listing query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantQuery {
    /// Status filter.
    pub status: TenantStatus,
    /// Created on or after.
    pub from: Option<NaiveDate>,
    /// Created on or before.
    pub to: Option<NaiveDate>,
    /// One search.
    pub search: Option<TenantSearch>,
    /// Page size (vendor default when `None`).
    pub page_size: Option<u32>,
}

/// A tenant to open.
#[derive(Debug, Clone, Default)]
pub struct NewTenant {
    /// The platform's own unique id of this merchant (`customerCode`).
    pub customer_code: String,
    /// Company name.
    pub name: String,
    /// Super-admin email, unique.
    pub email: String,
    /// Super-admin password.
    pub password: Option<Secret>,
    /// Agent seats, at least 1.
    pub max_agents: u32,
    /// Contact person.
    pub contact_name: Option<String>,
    /// Contact phone.
    pub contact_tel: Option<String>,
    /// Icon URL.
    pub icon: Option<String>,
}

/// What the vendor answers when a tenant is opened.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TenantCreated {
    /// The new tenant's app key.
    pub app_key: Option<String>,
    /// Its contact person as stored.
    pub contact_name: Option<String>,
    /// Its company id (`sysNum`).
    pub company_id: Option<String>,
    /// Vendor fields not mapped above.
    #[serde(default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// A change to a tenant; the vendor requires every non-optional field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantUpdate {
    /// Which tenant (`customerCode`).
    pub customer_code: String,
    /// Company name.
    pub name: String,
    /// Super-admin email.
    pub email: String,
    /// Agent seats, at least 1.
    pub max_agents: u32,
    /// Contact person.
    pub contact_name: Option<String>,
    /// Contact phone.
    pub contact_tel: Option<String>,
}

/// A tenant's app credentials (Sobot `getBatchAppKey`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AppKey {
    /// `appId`.
    pub app_id: String,
    /// `appKey`.
    pub app_key: String,
    /// `companyId`.
    pub company_id: String,
    /// `companyName`.
    pub company_name: Option<String>,
    /// Vendor fields not mapped above.
    #[serde(default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

impl crate::paging::Unique for Tenant {
    /// `companyId`.
    fn unique_id(&self) -> Option<&str> {
        Some(self.company_id.as_str()).filter(|id| !id.is_empty())
    }
}
