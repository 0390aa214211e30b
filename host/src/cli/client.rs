//! `warden client …`: OAuth clients.

use super::{admin, open_store, print, scope, words};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::domain::{Client, NewClient};
use clap::Subcommand;
use serde_json::json;

/// `warden client create`'s arguments.
#[derive(clap::Args)]
pub struct CreateArgs {
    #[arg(long)]
    pub tenant: String,
    #[arg(long)]
    pub name: String,
    /// Space- or comma-separated.
    #[arg(long, default_value = "client_credentials")]
    pub grant_types: String,
    /// Every scope the client may be granted, space-separated.
    #[arg(long, default_value = "")]
    pub scopes: String,
    /// Scopes granted when a request names none (default: all of --scopes).
    #[arg(long)]
    pub default_scopes: Option<String>,
    /// An RFC 8707 resource the client may request (repeatable; none = any).
    #[arg(long = "resource")]
    pub resources: Vec<String>,
    /// Access-token lifetime in seconds for this client.
    #[arg(long)]
    pub access_token_ttl: Option<i64>,
    /// JSON object of free-form metadata.
    #[arg(long, default_value = "{}")]
    pub metadata: String,
    /// Where the authorization endpoint may send users back (repeatable).
    #[arg(long = "redirect-uri")]
    pub redirect_uris: Vec<String>,
    /// Where OIDC RP-initiated logout may send users afterwards (repeatable).
    #[arg(long = "post-logout-redirect-uri")]
    pub post_logout_redirect_uris: Vec<String>,
    /// A native app or SPA: no secret, PKCE required.
    #[arg(long)]
    pub public: bool,
    /// A JWK Set file (`-`: standard input) of the client's public keys:
    /// it authenticates with private_key_jwt and gets no secret.
    #[arg(long)]
    pub jwks: Option<std::path::PathBuf>,
    /// Authorization requests only through the pushed authorization
    /// request endpoint (RFC 9126).
    #[arg(long)]
    pub require_par: bool,
    /// Every access token DPoP-bound: token requests without a DPoP
    /// proof are refused (RFC 9449 §5.2).
    #[arg(long)]
    pub require_dpop: bool,
    /// An RFC 9396 authorization_details type the client may ask for
    /// (repeatable); one of the tenant's resource servers must take it.
    #[arg(long = "authorization-details-type")]
    pub authorization_details_types: Vec<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand)]
pub enum ClientCmd {
    /// Register a confidential client; prints its secret once.
    Create(Box<CreateArgs>),
    /// List a tenant's clients (never their secrets).
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
    /// Issue a new secret; the previous one stays valid for the overlap.
    RotateSecret {
        client_id: String,
        /// Seconds the previous secret keeps working (default: secret_rotation_overlap).
        #[arg(long)]
        overlap: Option<i64>,
        #[arg(long)]
        json: bool,
    },
    /// Delete a client; its secret stops working at once.
    Delete { client_id: String },
}

pub async fn run(cmd: ClientCmd, config: Config) -> anyhow::Result<()> {
    let now = SystemClock.now();
    match cmd {
        ClientCmd::Create(args) => create(&config, *args).await,
        ClientCmd::List { tenant, json } => list(&config, tenant, json).await,
        ClientCmd::RotateSecret {
            client_id,
            overlap,
            json,
        } => rotate_secret(&config, client_id, overlap, json).await,
        ClientCmd::Delete { client_id } => {
            admin(&config)
                .await?
                .delete_client(&client_id, super::CLI_ACTOR, now)
                .await?;
            println!("deleted client {client_id}");
            Ok(())
        }
    }
}

async fn create(config: &Config, args: CreateArgs) -> anyhow::Result<()> {
    let CreateArgs {
        tenant,
        name,
        grant_types,
        scopes,
        default_scopes,
        resources,
        access_token_ttl,
        metadata,
        redirect_uris,
        post_logout_redirect_uris,
        public: public_client,
        jwks,
        require_par,
        require_dpop,
        authorization_details_types,
        json,
    } = args;
    let now = SystemClock.now();
    let public = config.public_url_or(config.listen);
    let jwks = match jwks {
        None => None,
        Some(file) => Some(
            serde_json::from_slice::<serde_json::Value>(&super::read_input(&file)?)
                .map_err(|e| anyhow::anyhow!("--jwks {} is not JSON: {e}", file.display()))?,
        ),
    };
    let metadata: serde_json::Value = serde_json::from_str(&metadata)
        .map_err(|e| anyhow::anyhow!("--metadata is not valid JSON: {e}"))?;
    if !metadata.is_object() {
        anyhow::bail!("--metadata must be a JSON object");
    }
    let new = NewClient {
        tenant,
        name,
        grant_types: words(&grant_types),
        scopes: scope(&scopes, "--scopes")?,
        default_scopes: default_scopes
            .as_deref()
            .map(|s| scope(s, "--default-scopes"))
            .transpose()?,
        resources,
        access_token_ttl,
        metadata,
        redirect_uris,
        post_logout_redirect_uris,
        public: public_client,
        jwks,
        require_pushed_authorization_requests: require_par,
        dpop_bound_access_tokens: require_dpop,
        authorization_details_types,
    };
    let (client, secret) = admin(config)
        .await?
        .create_client(new, super::CLI_ACTOR, now)
        .await?;
    let token_endpoint = format!("{public}/t/{}/token", client.tenant);
    let secret = secret.map(|s| s.0);
    let text = created_text(&client, secret.as_deref());
    print(
        json,
        json!({
            "client_id": client.client_id, "client_secret": secret, "tenant": client.tenant,
            "name": client.name, "grant_types": client.grant_types, "scopes": client.scopes.to_string(),
            "redirect_uris": client.redirect_uris, "public": client.public,
            "require_pushed_authorization_requests": client.require_pushed_authorization_requests,
            "dpop_bound_access_tokens": client.dpop_bound_access_tokens,
            "authorization_details_types": client.authorization_details_types,
            "token_endpoint": token_endpoint,
        }),
        text,
    );
    Ok(())
}

async fn list(config: &Config, tenant: String, json: bool) -> anyhow::Result<()> {
    let (store, tenant) = (&*open_store(config).await?, &tenant);
    let clients = super::every(
        |p| async move { crate::admin::list_clients(store, tenant, &p).await },
        |c| (c.created_at, c.client_id.clone()),
    )
    .await?;
    let rows: Vec<_> = clients
                .iter()
                .map(|c| json!({"client_id": c.client_id, "name": c.name, "grant_types": c.grant_types, "scopes": c.scopes.to_string()}))
                .collect();
    let text = clients
        .iter()
        .map(|c| format!("{}\t{}\t{}", c.client_id, c.name, c.scopes))
        .collect::<Vec<_>>()
        .join("\n");
    print(
        json,
        json!(rows),
        if text.is_empty() {
            "no clients".into()
        } else {
            text
        },
    );
    Ok(())
}

async fn rotate_secret(
    config: &Config,
    client_id: String,
    overlap: Option<i64>,
    json: bool,
) -> anyhow::Result<()> {
    let now = SystemClock.now();
    let overlap = overlap.unwrap_or(config.secret_rotation_overlap);
    let (secret, until) = admin(&config)
        .await?
        .rotate_client_secret(&client_id, overlap, super::CLI_ACTOR, now)
        .await?;
    print(
        json,
        json!({"client_id": client_id, "client_secret": secret.0, "previous_secret_valid_until": until}),
        format!(
            "new client_secret: {}\nthe previous secret works for {overlap} more seconds",
            secret.0
        ),
    );
    Ok(())
}

/// What `client create` says: the secret only now, or how it authenticates.
fn created_text(client: &Client, secret: Option<&str>) -> String {
    match secret {
        Some(s) => format!(
            "created client {} in tenant {}\nclient_id:     {}\nclient_secret: {s}\n(the secret is shown only now; store it safely)",
            client.name, client.tenant, client.client_id
        ),
        None if client.jwks.is_some() => format!(
            "created client {} in tenant {}\nclient_id: {} (no secret: it authenticates with private_key_jwt)",
            client.name, client.tenant, client.client_id
        ),
        None => format!(
            "created public client {} in tenant {}\nclient_id: {} (no secret: use PKCE)",
            client.name, client.tenant, client.client_id
        ),
    }
}
