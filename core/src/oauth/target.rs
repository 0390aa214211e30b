//! What a grant is for beyond its scope: RFC 8707 resources (the tokens'
//! audience) and RFC 9396 authorization details, checked once here for the
//! authorization, device, pushed and token endpoints alike, then carried
//! from the request to its code, its refresh tokens and every access token.

use super::{ErrorCode, OAuthError, Params};
use crate::directory::TenantEntry;
use crate::domain::authorization_details::{self, Requested};
use crate::domain::resource_server::{self, ResourceServer};
use crate::domain::{Client, Scope, validate_resource};
use serde_json::{Map, Value};

/// Resources and details of one grant.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Target {
    /// The audience: resources named, then those the details are for.
    pub resources: Vec<String>,
    pub details: Vec<Map<String, Value>>,
}

impl Target {
    /// What an authorization request's `params` ask for.
    pub fn of_params(
        tenant: &TenantEntry,
        client: &Client,
        params: &Params,
    ) -> Result<Target, OAuthError> {
        let resources: Vec<String> = params.all("resource").map(str::to_string).collect();
        Self::requested(
            tenant,
            client,
            &resources,
            params.get("authorization_details"),
        )
    }

    /// `resource` and `authorization_details` as asked for, each refused
    /// with RFC 8707's and RFC 9396's own errors.
    pub fn requested(
        tenant: &TenantEntry,
        client: &Client,
        asked: &[String],
        details: Option<&str>,
    ) -> Result<Target, OAuthError> {
        let mut resources: Vec<String> = Vec::new();
        for r in asked {
            check_resource(tenant, client, r)?;
            if !resources.contains(r) {
                resources.push(r.clone());
            }
        }
        let details = match details {
            None => Requested::default(),
            Some(_) if client.installation.is_some() => {
                return Err(OAuthError::new(
                    ErrorCode::InvalidAuthorizationDetails,
                    "an installation's authorization details come from what the tenant's admin approved",
                ));
            }
            Some(text) => authorization_details::parse(
                text,
                &tenant.resources,
                &client.authorization_details_types,
            )
            .map_err(|e| OAuthError::new(ErrorCode::InvalidAuthorizationDetails, e))?,
        };
        for r in details.resources {
            if !resources.contains(&r) {
                resources.push(r);
            }
        }
        Ok(Target {
            resources,
            details: details.details,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.resources.is_empty() && self.details.is_empty()
    }

    /// RFC 8707 §2.2: the scope a grant for these resources may carry. An
    /// explicit scope a named resource does not offer is refused; the
    /// client's defaults are narrowed to what they offer.
    pub fn scope(
        &self,
        tenant: &TenantEntry,
        scope: Scope,
        explicit: bool,
    ) -> Result<Scope, OAuthError> {
        let named: Vec<&ResourceServer> = self
            .resources
            .iter()
            .filter_map(|r| resource_server::find(&tenant.resources, r))
            .collect();
        let Some(offered) = resource_server::offered_scopes(&named) else {
            return Ok(scope);
        };
        match scope.iter().find(|s| !offered.iter().any(|o| o == s)) {
            Some(s) if explicit => Err(OAuthError::new(
                ErrorCode::InvalidScope,
                format!("scope {s} is not offered by the requested resources"),
            )),
            _ => Ok(Scope::from_valid(
                scope
                    .iter()
                    .filter(|s| offered.iter().any(|o| o == s))
                    .map(str::to_string),
            )),
        }
    }

    /// RFC 8707 §2.2: a token request may name fewer of the granted
    /// resources for this access token; never others.
    pub fn audience(&self, asked: &[String]) -> Result<Vec<String>, OAuthError> {
        match asked.iter().find(|r| !self.resources.contains(r)) {
            Some(r) => Err(OAuthError::new(
                ErrorCode::InvalidTarget,
                format!("resource {r} was not part of this grant"),
            )),
            None if asked.is_empty() => Ok(self.resources.clone()),
            None => Ok(asked.to_vec()),
        }
    }

    /// As stored beside a code or a refresh-token family.
    pub fn stored(&self) -> (Option<String>, String) {
        let details =
            (!self.details.is_empty()).then(|| Value::from(self.details.clone()).to_string());
        (details, self.resources.join(" "))
    }

    pub fn from_stored(details: Option<&str>, resources: &str) -> Target {
        Target {
            resources: resources
                .split(' ')
                .filter(|r| !r.is_empty())
                .map(str::to_string)
                .collect(),
            details: authorization_details::from_stored(details),
        }
    }

    /// The `authorization_details` claim and response member, if any.
    pub fn details_value(&self) -> Option<Value> {
        (!self.details.is_empty()).then(|| Value::from(self.details.clone()))
    }
}

/// RFC 8707 §2: an absolute URI without a fragment; when the tenant
/// registered resources, one of them (or one the client is set up for);
/// when the client lists resources, one of those.
fn check_resource(tenant: &TenantEntry, client: &Client, r: &str) -> Result<(), OAuthError> {
    validate_resource(r).map_err(|e| OAuthError::new(ErrorCode::InvalidTarget, e))?;
    let listed = client.resources.iter().any(|c| c == r);
    if !client.resources.is_empty() && !listed {
        return Err(OAuthError::new(
            ErrorCode::InvalidTarget,
            format!("this client may not request tokens for resource {r}"),
        ));
    }
    let registered = resource_server::find(&tenant.resources, r).is_some();
    if !tenant.resources.is_empty() && !registered && !listed {
        return Err(OAuthError::new(
            ErrorCode::InvalidTarget,
            format!("resource {r} is not one of this tenant's resource servers"),
        ));
    }
    Ok(())
}
