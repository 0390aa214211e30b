//! `warden user …`: a tenant's end users.

use super::{CLI_ACTOR, admin, open_store, print};
use crate::admin::Actor;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use anyhow::Context;
use clap::Subcommand;
use serde_json::json;

#[derive(Subcommand)]
pub enum UserCmd {
    /// Create a user; the password is read from standard input (one line).
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: Option<String>,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        /// May be granted administrative scopes (never through a personal access token).
        #[arg(long)]
        admin: bool,
        #[arg(long)]
        json: bool,
    },
    /// List a tenant's users.
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
    /// Set a new password (read from standard input); ends the user's sessions.
    SetPassword {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        username: String,
    },
    /// Delete a user with their sessions and consents.
    Delete {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        username: String,
    },
    /// Describe a scope in plain words for the consent page.
    DescribeScope {
        #[arg(long)]
        tenant: String,
        scope: String,
        description: String,
    },
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']).to_string();
    if password.is_empty() {
        anyhow::bail!(
            "give the password on standard input, e.g. `printf '%s\\n' \"$PASSWORD\" | warden user create …`"
        );
    }
    Ok(password)
}

pub async fn run(cmd: UserCmd, config: Config) -> anyhow::Result<()> {
    match cmd {
        UserCmd::Create {
            tenant,
            username,
            email,
            name,
            admin: is_admin,
            json,
        } => create(&config, tenant, username, email, name, is_admin, json).await,
        UserCmd::List { tenant, json } => list(&config, tenant, json).await,
        UserCmd::SetPassword { tenant, username } => set_password(&config, tenant, username).await,
        UserCmd::Delete { tenant, username } => {
            admin(&config)
                .await?
                .delete_user(
                    &tenant,
                    &username,
                    Actor::Operator(CLI_ACTOR),
                    SystemClock.now(),
                )
                .await?;
            println!("deleted user {username}");
            Ok(())
        }
        UserCmd::DescribeScope {
            tenant,
            scope,
            description,
        } => {
            crate::admin::describe_scope(
                &*open_store(&config).await?,
                &tenant,
                &scope,
                &description,
                CLI_ACTOR,
                SystemClock.now(),
            )
            .await?;
            println!("scope {scope} is shown as: {description}");
            Ok(())
        }
    }
}

async fn create(
    config: &Config,
    tenant: String,
    username: String,
    email: Option<String>,
    name: Option<String>,
    is_admin: bool,
    json: bool,
) -> anyhow::Result<()> {
    let now = SystemClock.now();
    let password = read_password()?;
    let new = crate::admin::NewUser {
        tenant,
        username,
        password,
        email,
        display_name: name,
        is_admin,
    };
    let user = admin(&config)
        .await?
        .create_user(new, Actor::Operator(CLI_ACTOR), now)
        .await?;
    print(
        json,
        json!({"id": user.id, "tenant": user.tenant, "username": user.username, "email": user.email, "name": user.display_name, "admin": user.is_admin}),
        format!(
            "created user {} ({}) in tenant {}",
            user.username, user.id, user.tenant
        ),
    );
    Ok(())
}

async fn list(config: &Config, tenant: String, json: bool) -> anyhow::Result<()> {
    let (store, tenant) = (&*open_store(config).await?, &tenant);
    let users = super::every(
        |p| async move { crate::admin::list_users(store, tenant, &p).await },
        |u| u.username.clone(),
    )
    .await?;
    let rows: Vec<_> = users
                .iter()
                .map(|u| json!({"id": u.id, "username": u.username, "email": u.email, "name": u.display_name, "admin": u.is_admin,
                                "service_account": u.is_service_account(), "installation": u.installation}))
                .collect();
    let text = users
        .iter()
        .map(|u| {
            format!(
                "{}\t{}\t{}{}",
                u.id,
                u.username,
                u.email.as_deref().unwrap_or(""),
                if u.is_service_account() {
                    "\tservice account"
                } else {
                    ""
                }
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    print(
        json,
        json!(rows),
        if text.is_empty() {
            "no users".into()
        } else {
            text
        },
    );
    Ok(())
}

async fn set_password(config: &Config, tenant: String, username: String) -> anyhow::Result<()> {
    let password = read_password()?;
    admin(&config)
        .await?
        .set_password(
            &tenant,
            &username,
            password,
            Actor::Operator(CLI_ACTOR),
            SystemClock.now(),
        )
        .await?;
    println!("password changed for {username}; their sessions have ended");
    Ok(())
}
