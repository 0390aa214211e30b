//! The device authorization grant (RFC 8628): a CLI or a TV asks for a code
//! pair, shows the person a short user code and where to type it, and polls
//! the token endpoint while the person signs in and approves on another
//! screen, in the tenant's pages.

use super::issue::{Grant, TokenResponse};
use super::target::Target;
use super::{ErrorCode, OAuth, OAuthError, Params, PresentedAuth};
use super::{id_token, refresh};
use crate::directory::TenantEntry;
use crate::domain::{Client, Scope, describe_scopes, grantable_to};
use crate::store::{DeviceCode, Session, StoreError};
use crate::tokens::{b64url, random_bytes, secret};
use ring::rand::SecureRandom;
use serde::Serialize;

pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// How long a person has to approve.
pub const DEVICE_CODE_TTL: i64 = 600;
/// The polling interval a device starts with (RFC 8628 §3.2's default).
pub const INTERVAL: i64 = 5;
/// RFC 8628 §6.1: consonants only, so no word is spelled and nothing reads
/// as another character; 20^8 codes.
const ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
const USER_CODE_LEN: usize = 8;
/// Wrong user codes allowed per client address, as for passwords, before
/// waiting (the wait grows as it does for sign-ins).
const FREE_GUESSES: i64 = 5;

/// When each pending device last polled this replica, kept in memory so a
/// poll is one read of the store: only a `slow_down` (which lengthens the
/// interval for every replica) writes.
#[derive(Default)]
pub struct Polls(std::sync::Mutex<std::collections::HashMap<Vec<u8>, i64>>);

impl Polls {
    /// Records a poll at `now_ms`; whether it came sooner than `interval_s`
    /// after the one before.
    fn poll(&self, device_hash: &[u8], now_ms: i64, interval_s: i64) -> bool {
        let mut last = self.0.lock().unwrap_or_else(|e| e.into_inner());
        // Forget devices whose codes have expired (at most once per poll
        // over 10,000 remembered, so the map stays small).
        if last.len() > 10_000 {
            last.retain(|_, &mut t| now_ms - t < DEVICE_CODE_TTL * 1000);
        }
        let before = last.insert(device_hash.to_vec(), now_ms);
        before.is_some_and(|t| now_ms - t < interval_s * 1000)
    }
}

/// RFC 8628 §3.2 response.
#[derive(Debug, Serialize)]
pub struct DeviceAuthorization {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: i64,
    pub interval: i64,
}

/// A pending request as the person sees it before approving.
pub struct DeviceRequest {
    pub client: std::sync::Arc<Client>,
    /// As shown: `XXXX-XXXX`.
    pub user_code: String,
    /// The scopes the person can grant, in the tenant's words.
    pub scopes: Vec<(String, String)>,
    /// RFC 9396 details asked for, in the tenant's words.
    pub details: Vec<crate::domain::authorization_details::Shown>,
    /// Who is signed in, as they are named.
    pub person: String,
}

/// Why a typed user code leads nowhere.
#[derive(Debug)]
pub enum UserCodeError {
    /// No pending request has it (unknown, expired, already answered).
    Unknown,
    /// Too many wrong codes from this address: wait this many seconds.
    Throttled(i64),
    Unavailable,
}

impl From<crate::directory::DirectoryError> for UserCodeError {
    fn from(e: crate::directory::DirectoryError) -> Self {
        tracing::error!(error = %e, "device client lookup failed");
        UserCodeError::Unavailable
    }
}

impl From<StoreError> for UserCodeError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "device code storage failure");
        UserCodeError::Unavailable
    }
}

/// `XXXX-XXXX` for people.
pub fn display(user_code: &str) -> String {
    let (a, b) = user_code.split_at(user_code.len().min(4));
    format!("{a}-{b}")
}

/// What a person typed, as stored: letters of the alphabet only, upper
/// case; dashes and spaces are ignored. `None` if it cannot be a code.
pub fn normalize(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == USER_CODE_LEN && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

fn user_code(rng: &dyn SecureRandom) -> String {
    let mut bytes = [0u8; USER_CODE_LEN];
    loop {
        rng.fill(&mut bytes).expect("the system RNG works");
        // 240 = 12 * 20: rejecting the rest keeps every letter equally likely.
        if bytes.iter().all(|&b| b < 240) {
            return bytes
                .iter()
                .map(|&b| ALPHABET[(b % 20) as usize] as char)
                .collect();
        }
    }
}

impl OAuth {
    /// RFC 8628 §3.1–3.2: the device's request.
    pub async fn device_authorization(
        &self,
        tenant: &str,
        auth: PresentedAuth,
        params: &Params,
    ) -> Result<DeviceAuthorization, OAuthError> {
        let entry = self.tenant(tenant).await?;
        let client = self.authenticate(&entry, auth, params).await?;
        if !client.allows_grant(DEVICE_CODE_GRANT) {
            return Err(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                "this client may not use the device authorization grant",
            ));
        }
        let scope = match params.get("scope").map(Scope::parse) {
            None => client.default_scopes.clone(),
            Some(Ok(s)) if s.is_subset_of(&client.scopes) => s,
            Some(_) => {
                return Err(OAuthError::new(
                    ErrorCode::InvalidScope,
                    "the requested scope exceeds what this app may ask for",
                ));
            }
        };
        let target = Target::of_params(&entry, &client, params)?;
        let scope = target.scope(&entry, scope, params.get("scope").is_some())?;
        let (authorization_details, resources) = target.stored();
        let now = self.clock.now();
        let device_code = b64url(&random_bytes::<32>(&self.rng));
        // A taken user code (one in 20^8 per live code) is drawn again.
        for _ in 0..5 {
            let row = DeviceCode {
                device_hash: secret::hash(&device_code).to_vec(),
                user_code: user_code(&self.rng),
                tenant: entry.tenant.slug.clone(),
                client_id: client.client_id.clone(),
                scopes: scope.to_string(),
                created_at: now,
                expires_at: now + DEVICE_CODE_TTL,
                interval_s: INTERVAL,
                status: "pending".into(),
                user_id: None,
                auth_time: None,
                authorization_details: authorization_details.clone(),
                resources: resources.clone(),
            };
            match self.store.create_device_code(&row).await {
                Ok(()) => {
                    let shown = display(&row.user_code);
                    let verification_uri = format!("{}/device", entry.issuer);
                    return Ok(DeviceAuthorization {
                        device_code,
                        verification_uri_complete: format!("{verification_uri}?user_code={shown}"),
                        verification_uri,
                        user_code: shown,
                        expires_in: DEVICE_CODE_TTL,
                        interval: INTERVAL,
                    });
                }
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(OAuthError::new(
            ErrorCode::TemporarilyUnavailable,
            "no user code could be drawn; try again",
        ))
    }

    /// The pending request a person's typed code names. Wrong codes are
    /// counted per client address: guessing is throttled like passwords.
    pub async fn device_request(
        &self,
        tenant: &str,
        typed: &str,
        session: &Session,
        address: &str,
    ) -> Result<DeviceRequest, UserCodeError> {
        let now = self.clock.now();
        let key = format!("device:{address}");
        if let Some(wait) = self.throttled(std::slice::from_ref(&key), now).await? {
            return Err(UserCodeError::Throttled(wait));
        }
        let found = match normalize(typed) {
            Some(code) => self.store.device_code_by_user_code(tenant, &code).await?,
            None => None,
        };
        let live = found.filter(|d| d.status == "pending" && d.expires_at > now);
        let client = match &live {
            Some(d) => self.directory.client(&d.client_id).await?,
            None => None,
        };
        let (Some(d), Some(client)) = (live, client) else {
            self.count_failure(&key, FREE_GUESSES, now).await?;
            tracing::info!(tenant, "unknown device user code");
            return Err(UserCodeError::Unknown);
        };
        let user = self
            .store
            .user(&session.user_id)
            .await?
            .ok_or(UserCodeError::Unknown)?;
        let known = self.store.scope_descriptions(tenant).await?;
        let requested = Scope::parse(&d.scopes).unwrap_or_default();
        let entry = self
            .directory
            .tenant(tenant, now)
            .await?
            .ok_or(UserCodeError::Unknown)?;
        let target = Target::from_stored(d.authorization_details.as_deref(), &d.resources);
        Ok(DeviceRequest {
            client,
            user_code: display(&d.user_code),
            scopes: describe_scopes(&grantable_to(&requested, user.is_admin), &known),
            details: crate::domain::authorization_details::describe(
                &target.details,
                &entry.resources,
            ),
            person: user.display_name.unwrap_or(user.username),
        })
    }

    /// The person's answer. Approving grants what they may grant and is
    /// remembered as their consent (so the account page can revoke it).
    /// `false` when the request is no longer pending.
    pub async fn device_decide(
        &self,
        tenant: &str,
        typed: &str,
        session: &Session,
        approve: bool,
    ) -> Result<bool, StoreError> {
        let now = self.clock.now();
        let Some(code) = normalize(typed) else {
            return Ok(false);
        };
        let Some(d) = self.store.device_code_by_user_code(tenant, &code).await? else {
            return Ok(false);
        };
        if !approve {
            return self
                .store
                .decide_device_code(tenant, &code, None, now)
                .await;
        }
        let Some(user) = self.store.user(&session.user_id).await? else {
            return Ok(false);
        };
        let granted = grantable_to(&Scope::parse(&d.scopes).unwrap_or_default(), user.is_admin);
        let decided = self
            .store
            .decide_device_code(
                tenant,
                &code,
                Some((&user.id, &granted.to_string(), session.auth_time)),
                now,
            )
            .await?;
        if decided {
            self.remember_consent(tenant, &user.id, &d.client_id, &granted, now)
                .await?;
            tracing::info!(tenant, user = %user.id, client_id = %d.client_id, "device approved");
        }
        Ok(decided)
    }
}

/// RFC 8628 §3.4–3.5: the device's poll at the token endpoint.
pub async fn grant(
    oauth: &OAuth,
    tenant: &TenantEntry,
    client: &Client,
    device_code: &str,
    resources: &[String],
    jkt: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    if !client.allows_grant(DEVICE_CODE_GRANT) {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "this client may not use the device authorization grant",
        ));
    }
    let hash = secret::hash(device_code);
    let d = oauth
        .store
        .device_code(&hash)
        .await?
        .filter(|d| d.tenant == tenant.tenant.slug && d.client_id == client.client_id)
        .ok_or_else(|| OAuthError::new(ErrorCode::InvalidGrant, "the device_code is invalid"))?;
    let now_ms = oauth.clock.now_ms();
    if d.expires_at * 1000 <= now_ms {
        return Err(OAuthError::new(
            ErrorCode::ExpiredToken,
            "the device_code has expired: start again",
        ));
    }
    match d.status.as_str() {
        "pending" => {
            // A poll sooner than the interval asks the device to slow down,
            // and the interval grows for the polls after it.
            let slowed = oauth.device_polls.poll(&hash, now_ms, d.interval_s);
            if slowed {
                oauth.store.slow_down_device_code(&hash).await?;
            }
            Err(match slowed {
                true => OAuthError::new(
                    ErrorCode::SlowDown,
                    format!("poll at most every {} seconds", d.interval_s + 5),
                ),
                false => OAuthError::new(
                    ErrorCode::AuthorizationPending,
                    "the person has not approved yet",
                ),
            })
        }
        "denied" => Err(OAuthError::new(
            ErrorCode::AccessDenied,
            "the person denied the request",
        )),
        "approved" if oauth.store.spend_device_code(&hash).await? => {
            issue(oauth, tenant, client, &d, resources, jkt).await
        }
        _ => Err(OAuthError::new(
            ErrorCode::InvalidGrant,
            "the device_code was already used",
        )),
    }
}

/// Tokens for the approving person, as the code flow issues them.
async fn issue(
    oauth: &OAuth,
    tenant: &TenantEntry,
    client: &Client,
    d: &DeviceCode,
    resources: &[String],
    jkt: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let user_id = d.user_id.as_deref().ok_or_else(OAuthError::server_error)?;
    let user = oauth
        .store
        .user(user_id)
        .await?
        .ok_or_else(|| OAuthError::new(ErrorCode::InvalidGrant, "the user no longer exists"))?;
    let scope = Scope::parse(&d.scopes).map_err(|_| OAuthError::server_error())?;
    let auth_time = d.auth_time.unwrap_or(d.created_at);
    let target = Target::from_stored(d.authorization_details.as_deref(), &d.resources);
    let mut response = oauth
        .issue_access_token(Grant {
            tenant,
            client,
            grant_type: DEVICE_CODE_GRANT,
            subject: &user.id,
            scope,
            audience: target.audience(resources)?,
            details: target.details.clone(),
            claims: Default::default(),
            installation: None,
            jkt,
        })
        .await?;
    let granted = Scope::parse(&response.scope).unwrap_or_default();
    if client.allows_grant("refresh_token") {
        refresh::issue(
            oauth,
            tenant,
            client,
            refresh::Granted {
                user_id: &user.id,
                scope: &granted,
                auth_time,
                target: &target,
            },
            jkt,
            &mut response,
        )
        .await?;
    }
    id_token::add(
        oauth,
        tenant,
        client,
        &user,
        &granted,
        auth_time,
        None,
        &mut response,
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_are_eight_unambiguous_letters() {
        let rng = ring::rand::SystemRandom::new();
        for _ in 0..200 {
            let c = user_code(&rng);
            assert_eq!(c.len(), 8);
            assert!(c.bytes().all(|b| ALPHABET.contains(&b)), "{c}");
            assert_eq!(normalize(&display(&c)).as_deref(), Some(c.as_str()));
        }
    }

    #[test]
    fn polls_sooner_than_the_interval_are_slowed() {
        let polls = Polls::default();
        assert!(!polls.poll(b"a", 0, 5), "a first poll");
        assert!(polls.poll(b"a", 4_999, 5), "too soon");
        assert!(!polls.poll(b"a", 9_999, 5), "an interval after the last");
        assert!(!polls.poll(b"b", 10_000, 5), "each device its own");
    }

    #[test]
    fn typed_codes_are_forgiving_about_case_and_dashes_only() {
        assert_eq!(normalize("bcdf-ghjk").as_deref(), Some("BCDFGHJK"));
        assert_eq!(normalize("BCDF GHJK").as_deref(), Some("BCDFGHJK"));
        // Vowels and digits are never in a code.
        assert_eq!(normalize("BCDF-GHJA"), None);
        assert_eq!(normalize("BCDF-GHJ0"), None);
        assert_eq!(normalize("BCDF-GHJ"), None);
        assert_eq!(normalize(""), None);
    }
}
