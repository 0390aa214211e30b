//! Components built against older `warden:plugin` versions keep working.
//! A 0.3.0 or 0.2.0 grant policy gets the request without its authorization
//! details (see `bindings::v3`); 0.2.0 shares 0.3.0's types otherwise, and
//! its decisions simply hold for no time. For 0.1.0 the
//! host builds every request in the current package's types and converts it
//! here (they do not see installations), and converts their answers back.
//! This is the one file that knows the old versions.

use super::bindings::v1::{host as old_host, types as old};
use super::bindings::{host, types as new, v2, v3};
use super::sandbox::CallState;
use v3::types as v3t;

impl v3::host::Host for CallState {
    fn log(&mut self, level: v3::host::Level, message: String) {
        let level = match level {
            v3::host::Level::Debug => host::Level::Debug,
            v3::host::Level::Info => host::Level::Info,
            v3::host::Level::Warn => host::Level::Warn,
            v3::host::Level::Error => host::Level::Error,
        };
        host::Host::log(self, level, message)
    }
}

/// A grant request as 0.3.0 (and 0.2.0) components take it: without
/// `authorization-details`.
pub fn grant_request_v3(r: &new::GrantRequest) -> v3t::GrantRequest {
    v3t::GrantRequest {
        tenant: r.tenant.clone(),
        client: v3t::Client {
            id: r.client.id.clone(),
            name: r.client.name.clone(),
            metadata: r.client.metadata.clone(),
        },
        grant_type: r.grant_type.clone(),
        subject: r.subject.clone(),
        requested_scopes: r.requested_scopes.clone(),
        allowed_scopes: r.allowed_scopes.clone(),
        audience: r.audience.clone(),
        lifetime_seconds: r.lifetime_seconds,
        request_time: r.request_time,
        installation: r.installation.as_ref().map(|i| v3t::Installation {
            id: i.id.clone(),
            app: i.app.clone(),
            version: i.version,
            service_account: i.service_account.clone(),
            service_account_name: i.service_account_name.clone(),
            permissions: i.permissions.clone(),
            resources: match &i.resources {
                new::Resources::All => v3t::Resources::All,
                new::Resources::Selected(s) => v3t::Resources::Selected(
                    s.iter()
                        .map(|s| v3t::ResourceSelection {
                            type_: s.type_.clone(),
                            ids: s.ids.clone(),
                        })
                        .collect(),
                ),
            },
        }),
    }
}

pub fn grant_answer_v3(a: v3t::GrantAnswer) -> new::GrantAnswer {
    new::GrantAnswer {
        decision: grant_decision_v3(a.decision),
        cache_for: a.cache_for,
    }
}

pub fn grant_decision_v3(d: v3t::GrantDecision) -> new::GrantDecision {
    match d {
        v3t::GrantDecision::Allow(a) => new::GrantDecision::Allow(new::Allow {
            scopes: a.scopes,
            claims: a
                .claims
                .into_iter()
                .map(|c| new::JsonField {
                    name: c.name,
                    value: c.value,
                })
                .collect(),
            lifetime_seconds: a.lifetime_seconds,
        }),
        v3t::GrantDecision::Deny(d) => new::GrantDecision::Deny(new::Deny {
            code: match d.code {
                v3t::DenyCode::InvalidScope => new::DenyCode::InvalidScope,
                v3t::DenyCode::AccessDenied => new::DenyCode::AccessDenied,
                v3t::DenyCode::UnauthorizedClient => new::DenyCode::UnauthorizedClient,
                v3t::DenyCode::InvalidGrant => new::DenyCode::InvalidGrant,
            },
            description: d.description,
        }),
    }
}

impl v2::host::Host for CallState {
    fn log(&mut self, level: v2::host::Level, message: String) {
        let level = match level {
            v2::host::Level::Debug => host::Level::Debug,
            v2::host::Level::Info => host::Level::Info,
            v2::host::Level::Warn => host::Level::Warn,
            v2::host::Level::Error => host::Level::Error,
        };
        host::Host::log(self, level, message)
    }
}

/// A 0.2.0 grant decision: reused never.
pub fn grant_answer(decision: new::GrantDecision) -> new::GrantAnswer {
    new::GrantAnswer {
        decision,
        cache_for: 0,
    }
}

/// A 0.2.0 permission decision: reused never.
pub fn permission_answer(d: new::PermissionDecision) -> new::PermissionAnswer {
    new::PermissionAnswer {
        decision: d.decision,
        reason: d.reason,
        cache_for: 0,
    }
}

impl old_host::Host for CallState {
    fn log(&mut self, level: old_host::Level, message: String) {
        let level = match level {
            old_host::Level::Debug => host::Level::Debug,
            old_host::Level::Info => host::Level::Info,
            old_host::Level::Warn => host::Level::Warn,
            old_host::Level::Error => host::Level::Error,
        };
        host::Host::log(self, level, message)
    }
}

impl old::Host for CallState {}

pub fn grant_request(r: &new::GrantRequest) -> old::GrantRequest {
    old::GrantRequest {
        tenant: r.tenant.clone(),
        client: old::Client {
            id: r.client.id.clone(),
            name: r.client.name.clone(),
            metadata: r.client.metadata.clone(),
        },
        grant_type: r.grant_type.clone(),
        subject: r.subject.clone(),
        requested_scopes: r.requested_scopes.clone(),
        allowed_scopes: r.allowed_scopes.clone(),
        audience: r.audience.clone(),
        lifetime_seconds: r.lifetime_seconds,
        request_time: r.request_time,
    }
}

pub fn grant_decision(d: old::GrantDecision) -> new::GrantAnswer {
    grant_answer(match d {
        old::GrantDecision::Allow(a) => new::GrantDecision::Allow(new::Allow {
            scopes: a.scopes,
            claims: a
                .claims
                .into_iter()
                .map(|c| new::JsonField {
                    name: c.name,
                    value: c.value,
                })
                .collect(),
            lifetime_seconds: a.lifetime_seconds,
        }),
        old::GrantDecision::Deny(d) => new::GrantDecision::Deny(new::Deny {
            code: match d.code {
                old::DenyCode::InvalidScope => new::DenyCode::InvalidScope,
                old::DenyCode::AccessDenied => new::DenyCode::AccessDenied,
                old::DenyCode::UnauthorizedClient => new::DenyCode::UnauthorizedClient,
                old::DenyCode::InvalidGrant => new::DenyCode::InvalidGrant,
            },
            description: d.description,
        }),
    })
}

pub fn evaluation(e: &new::Evaluation) -> old::Evaluation {
    old::Evaluation {
        subject: old::Subject {
            type_: e.subject.type_.clone(),
            id: e.subject.id.clone(),
            properties: e.subject.properties.clone(),
        },
        action: old::Action {
            name: e.action.name.clone(),
            properties: e.action.properties.clone(),
        },
        resource: old::Resource {
            type_: e.resource.type_.clone(),
            id: e.resource.id.clone(),
            properties: e.resource.properties.clone(),
        },
        context: e.context.clone(),
    }
}

pub fn permission_decision(d: old::PermissionDecision) -> new::PermissionAnswer {
    new::PermissionAnswer {
        decision: d.decision,
        reason: d.reason,
        cache_for: 0,
    }
}

/// A 0.1.0 plugin sees only client credential events.
pub fn credential_event(e: &new::CredentialEvent) -> old::CredentialEvent {
    old::CredentialEvent {
        kind: match e.kind {
            new::CredentialEventKind::Created => old::CredentialEventKind::Created,
            new::CredentialEventKind::Rotated => old::CredentialEventKind::Rotated,
            new::CredentialEventKind::Revoked => old::CredentialEventKind::Revoked,
        },
        tenant: e.tenant.clone(),
        client_id: e.client_id.clone(),
        client_name: e.client_name.clone(),
        client_secret: e.client_secret.clone(),
        token_endpoint: e.token_endpoint.clone(),
        hook_url: e.hook_url.clone(),
        app_metadata: e.app_metadata.clone(),
        occurred_at: e.occurred_at,
        event_id: e.event_id.clone(),
    }
}

pub fn deliveries(ds: Vec<old::Delivery>) -> Vec<new::Delivery> {
    ds.into_iter()
        .map(|d| new::Delivery {
            url: d.url,
            headers: d
                .headers
                .into_iter()
                .map(|h| new::Header {
                    name: h.name,
                    value: h.value,
                })
                .collect(),
            body: d.body,
        })
        .collect()
}
