//! `warden plugin new`: writes a starter kit (one hook, one language) with
//! the WIT it builds against, from the templates in `kits/`.

use crate::plugins::Hook;
use std::path::Path;

/// The languages a kit can be written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    Rust,
    Python,
    Js,
}

/// The package version the kits' tool pins are tested with.
const COMPONENTIZE_PY: &str = "0.25.1";
const COMPONENTIZE_QJS: &str = "0.4.5";

const WIT: &str = include_str!("../../../wit/plugin.wit");

fn source(lang: Lang, hook: Hook) -> &'static str {
    use Hook::*;
    match (lang, hook) {
        (Lang::Rust, GrantPolicy) => include_str!("../../../kits/rust/grant-policy.rs"),
        (Lang::Rust, PermissionCheck) => include_str!("../../../kits/rust/permission-check.rs"),
        (Lang::Rust, CredentialDelivery) => {
            include_str!("../../../kits/rust/credential-delivery.rs")
        }
        (Lang::Rust, InstallPolicy) => include_str!("../../../kits/rust/install-policy.rs"),
        (Lang::Rust, RegistrationPolicy) => {
            include_str!("../../../kits/rust/registration-policy.rs")
        }
        (Lang::Python, GrantPolicy) => include_str!("../../../kits/python/grant-policy.py"),
        (Lang::Python, PermissionCheck) => {
            include_str!("../../../kits/python/permission-check.py")
        }
        (Lang::Python, CredentialDelivery) => {
            include_str!("../../../kits/python/credential-delivery.py")
        }
        (Lang::Python, InstallPolicy) => include_str!("../../../kits/python/install-policy.py"),
        (Lang::Python, RegistrationPolicy) => {
            include_str!("../../../kits/python/registration-policy.py")
        }
        (Lang::Js, GrantPolicy) => include_str!("../../../kits/js/grant-policy.js"),
        (Lang::Js, PermissionCheck) => include_str!("../../../kits/js/permission-check.js"),
        (Lang::Js, CredentialDelivery) => include_str!("../../../kits/js/credential-delivery.js"),
        (Lang::Js, InstallPolicy) => include_str!("../../../kits/js/install-policy.js"),
        (Lang::Js, RegistrationPolicy) => include_str!("../../../kits/js/registration-policy.js"),
    }
}

/// A request the hook receives, for `warden plugin test --input`.
fn sample_input(hook: Hook) -> serde_json::Value {
    use serde_json::json;
    let installation = json!({"id": "in_1", "app": "docs-sync", "version": 1, "service_account": "usr_1",
        "service_account_name": "docs-sync-0a0b0c0d", "permissions": ["documents:write"],
        "resources": {"project": ["p1"]}});
    match hook {
        Hook::GrantPolicy => {
            json!({"tenant": "acme", "client": {"id": "cl_1", "name": "Billing", "metadata": {}},
            "grant_type": "client_credentials", "subject": "cl_1", "requested_scopes": ["read", "write"],
            "allowed_scopes": ["read", "write"], "audience": ["https://api.acme.test"],
            "lifetime_seconds": 3600, "request_time": 1795000000})
        }
        Hook::PermissionCheck => json!({"subject": {"type": "service_account", "id": "usr_1"},
            "action": {"name": "documents:write"}, "resource": {"type": "project", "id": "p1"},
            "context": {}, "installation": installation}),
        Hook::CredentialDelivery => json!({"type": "installation.created", "tenant": "acme",
            "issuer": "https://auth.example/t/acme", "installation": installation, "status": "active",
            "sequence": 1, "installed_by": "ada", "detail": {},
            "hook_url": "https://hooks.docs-sync.example/warden", "occurred_at": 1795000000, "event_id": "evt_1"}),
        Hook::InstallPolicy => json!({"kind": "install", "tenant": "acme", "app": "docs-sync",
            "app_name": "Docs Sync", "version": 1, "publisher": {"name": "Acme Integrations"}, "listed": true,
            "permissions": [{"name": "documents:write", "level": "resource", "resource_type": "project",
                             "description": "Upload documents", "required": false}],
            "approving": ["documents:write"], "resources": {"project": ["p1"]}, "actor": "ada",
            "request_time": 1795000000}),
        Hook::RegistrationPolicy => json!({"kind": "dynamic", "tenant": "acme",
            "client_name": "Assistant tools", "redirect_uris": ["http://127.0.0.1:33418/callback"],
            "grant_types": ["authorization_code", "refresh_token"], "scopes": ["read"],
            "token_endpoint_auth_method": "none", "metadata": {"client_name": "Assistant tools"},
            "source": "203.0.113.7", "request_time": 1795000000}),
    }
}

/// A kit written to disk: where, and how to build it.
pub struct Kit {
    /// The commands that build it, run inside its directory.
    pub build: Vec<String>,
    /// The component the build writes, relative to the kit's directory.
    pub output: String,
}

/// The language's own files (source, build manifest) and how to build them.
fn language_files(name: &str, lang: Lang, hook: Hook) -> (Vec<(&'static str, String)>, Kit) {
    let world = hook.as_str();
    let code = source(lang, hook).replace("{{name}}", name);
    let file_stem = name.replace('-', "_");
    match lang {
        Lang::Rust => (
            vec![
                (
                    "Cargo.toml",
                    include_str!("../../../kits/rust/Cargo.toml").replace("{{name}}", name),
                ),
                (
                    ".cargo/config.toml",
                    include_str!("../../../kits/rust/config.toml").to_string(),
                ),
                ("src/lib.rs", code),
            ],
            Kit {
                build: vec![
                    "rustup target add wasm32-wasip2".into(),
                    "cargo build --release --target wasm32-wasip2".into(),
                ],
                output: format!("target/wasm32-wasip2/release/{file_stem}.wasm"),
            },
        ),
        Lang::Python => (
            vec![
                ("app.py", code),
                (
                    "requirements.txt",
                    format!("componentize-py=={COMPONENTIZE_PY}\n"),
                ),
            ],
            Kit {
                build: vec![
                    "pip install -r requirements.txt".into(),
                    format!(
                        "componentize-py -d wit -w {world} componentize app -o {file_stem}.wasm"
                    ),
                ],
                output: format!("{file_stem}.wasm"),
            },
        ),
        Lang::Js => {
            let build = format!(
                "componentize-qjs --wit wit --world {world} --js policy.js --sync -o {file_stem}.wasm"
            );
            let package = serde_json::json!({
                "name": name,
                "private": true,
                "type": "module",
                "scripts": { "build": build },
                "devDependencies": { "componentize-qjs": COMPONENTIZE_QJS },
            });
            (
                vec![
                    ("policy.js", code),
                    ("package.json", format!("{package:#}\n")),
                ],
                Kit {
                    build: vec!["npm install".into(), "npm run build".into()],
                    output: format!("{file_stem}.wasm"),
                },
            )
        }
    }
}

/// Writes the kit for `hook` in `lang` into `dir` (which must not exist or
/// be empty), naming the plugin `name`.
pub fn write(dir: &Path, name: &str, lang: Lang, hook: Hook) -> anyhow::Result<Kit> {
    let valid = (1..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !valid {
        anyhow::bail!(
            "invalid plugin name {name:?}: use 1-64 lowercase letters, digits and -, starting with a letter"
        );
    }
    if dir.exists()
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        anyhow::bail!(
            "{} already exists and is not empty: choose another directory",
            dir.display()
        );
    }
    let world = hook.as_str();
    let (files, kit) = language_files(name, lang, hook);
    let setup = match lang {
        Lang::Python => "In a virtualenv (`python3 -m venv .venv && . .venv/bin/activate`), build:",
        Lang::Js => "With Node.js and npm, build:",
        Lang::Rust => "Build:",
    };
    let readme = format!(
        "# {name}\n\nA Warden `{world}` plugin. The hook's types and what the host does with the \
         answer are documented in `wit/plugin.wit`.\n\n{setup}\n\n```sh\n{}\n```\n\nTry it without a \
         server, then register and bind it:\n\n```sh\nwarden plugin test {out} --hook {world} --input request.json\n\
         warden plugin add {out} --name {name}\nwarden plugin bind --tenant TENANT --hook {world} --plugin {name}\n```\n",
        kit.build.join("\n"),
        out = kit.output,
    );
    let mut files = files;
    files.push(("wit/plugin.wit", WIT.to_string()));
    files.push(("README.md", readme));
    files.push(("request.json", format!("{:#}\n", sample_input(hook))));
    for (path, text) in files {
        let path = dir.join(path);
        let parent = path.parent().expect("kit files live in directories");
        std::fs::create_dir_all(parent)
            .and_then(|()| std::fs::write(&path, text))
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    }
    Ok(kit)
}
