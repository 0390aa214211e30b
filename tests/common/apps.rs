//! What the app tests share: the Procore-style manifest, a server with it
//! registered, installing it, its tokens and AuthZEN answers, and the
//! integrator's hook (tests/py/app_receiver.py).

use super::*;
use serde_json::{Value, json};

/// A Procore-style data-connection app: a tenant permission, a project
/// permission, an optional one; Provet's 10-hour tokens.
pub fn manifest() -> Value {
    json!({
        "slug": "docs-sync",
        "name": "Docs Sync",
        "description": "Keeps project documents in sync with your document system.",
        "publisher": {"name": "Acme Integrations", "url": "https://acme.example", "email": "dev@acme.example"},
        "listed": true,
        "hook_url": "http://127.0.0.1:9/hook",
        "access_token_ttl": 36000,
        "credentials": "push",
        "resource_types": [{"type": "project", "name": "Projects"}],
        "permissions": [
            {"name": "directory:read", "level": "tenant", "description": "Read the company directory"},
            {"name": "documents:write", "level": "resource", "resource_type": "project",
             "description": "Upload and change documents"},
            {"name": "budget:read", "level": "resource", "resource_type": "project",
             "description": "Read budgets", "required": false}
        ]
    })
}

pub async fn setup(db: &Db) -> (Server, AdminApi) {
    db.create_tenant("acme", &[]);
    let server = Server::start_with(db, &[("WARDEN_ADMIN_TOKEN", ADMIN_TOKEN)], &[]).await;
    let api = AdminApi::of(&server);
    let r = api.post("/apps", manifest()).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let secret = r.body["webhook_secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"), "{secret}");
    let r = api
        .put(
            "/tenants/acme/resources",
            json!([
                {"type": "project", "id": "p1", "name": "Harbour Tower"},
                {"type": "project", "id": "p2", "name": "North Bridge"},
                {"type": "project", "id": "p3", "name": "Old Mill"}
            ]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body.as_array().unwrap().len(), 3);
    (server, api)
}

pub async fn install(api: &AdminApi, resources: Value) -> Value {
    let r = api
        .post(
            "/tenants/acme/installations",
            json!({"app": "docs-sync", "resources": resources, "installed_by": "ada@acme.example"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

pub async fn installation_token(server: &Server, inst: &Value, scope: Option<&str>) -> Reply {
    let mut form = vec![("grant_type", "client_credentials")];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    post_form(
        &format!("{}/token", server.issuer("acme")),
        Some((
            inst["client_id"].as_str().unwrap(),
            inst["client_secret"].as_str().unwrap(),
        )),
        &form,
    )
    .await
}

pub async fn evaluate(
    server: &Server,
    bearer: &str,
    subject: &str,
    action: &str,
    project: &str,
) -> bool {
    let r = http()
        .post(format!("{}/access/v1/evaluation", server.issuer("acme")))
        .bearer_auth(bearer)
        .json(&json!({
            "subject": {"type": "service_account", "id": subject},
            "action": {"name": action},
            "resource": {"type": "project", "id": project}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    body["decision"].as_bool().unwrap()
}

pub async fn introspect_active(server: &Server, inst: &Value, token: &str) -> bool {
    let r = post_form(
        &format!("{}/introspect", server.issuer("acme")),
        Some((
            inst["client_id"].as_str().unwrap(),
            inst["client_secret"].as_str().unwrap(),
        )),
        &[("token", token)],
    )
    .await;
    r.body["active"] == true
}

pub async fn introspected_by(server: &Server, rs: &(String, String), token: &str) -> bool {
    let r = post_form(
        &format!("{}/introspect", server.issuer("acme")),
        Some((&rs.0, &rs.1)),
        &[("token", token)],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["active"] == true
}

/// The integrator's hook (tests/py/app_receiver.py), running until dropped.
pub struct PyReceiver {
    pub dir: tempfile::TempDir,
    pub _process: tokio::process::Child,
    pub port: u16,
    pub public_jwk: Value,
}

impl PyReceiver {
    pub async fn start() -> PyReceiver {
        Self::start_with_key("X25519").await
    }

    /// A receiver whose encryption key is of `kind`: X25519, P-256 or RSA.
    pub async fn start_with_key(kind: &str) -> PyReceiver {
        let dir = tempfile::tempdir().unwrap();
        let process = tokio::process::Command::new(python())
            .arg(py_dir().join("app_receiver.py"))
            .env("RECEIVER_DIR", dir.path())
            .env("RECEIVER_KEY", kind)
            .kill_on_drop(true)
            .spawn()
            .expect("start the receiver");
        let port_file = dir.path().join("port");
        assert!(
            eventually(std::time::Duration::from_secs(20), || async {
                port_file.exists()
            })
            .await,
            "the receiver did not start"
        );
        let port = std::fs::read_to_string(&port_file)
            .unwrap()
            .parse()
            .unwrap();
        let public_jwk =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("public.jwk")).unwrap())
                .unwrap();
        PyReceiver {
            dir,
            _process: process,
            port,
            public_jwk,
        }
    }

    pub fn events(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.path().join("events.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    pub async fn wait_for(&self, n: usize) -> Vec<Value> {
        let arrived = eventually(std::time::Duration::from_secs(20), || async {
            self.events().len() >= n
        })
        .await;
        assert!(arrived, "expected {n} events, got {:?}", self.events());
        self.events()
    }
}

pub async fn usage_of(api: &AdminApi, id: &str) -> Value {
    let r = api
        .get(&format!("/tenants/acme/installations/{id}/usage"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["totals"].clone()
}
