//! What the console tests share: two tenants with their admins and people,
//! two apps and 1,000 projects, and a signed-in browser session that posts
//! the console's forms.

use super::*;
use serde_json::{Value, json};

pub const PASSWORD: &str = "correct horse battery staple";

pub fn docs_sync(hook: &str) -> Value {
    json!({
        "slug": "docs-sync",
        "name": "Docs Sync <b>bold</b>",
        "description": "Keeps your project documents in sync. <script>alert(1)</script>",
        "publisher": {"name": "Acme Integrations", "url": "https://acme.example", "email": "dev@acme.example"},
        "logo_url": "https://cdn.acme.example/docs-sync.png",
        "homepage_url": "https://acme.example/docs-sync",
        "setup_instructions": "1. Open **Docs Sync**\n2. Pick a folder\n\n<img src=x onerror=alert(1)>",
        "listed": true,
        "hook_url": hook,
        "resource_types": [{"type": "project", "name": "Projects"}],
        "permissions": [
            {"name": "directory:read", "level": "tenant", "description": "Read the company directory"},
            {"name": "documents:write", "level": "resource", "resource_type": "project", "description": "Upload documents"},
            {"name": "budget:read", "level": "resource", "resource_type": "project", "description": "Read budgets", "required": false}
        ]
    })
}

pub fn time_tracker(hook: &str) -> Value {
    json!({
        "slug": "time-tracker", "name": "Time Tracker", "listed": true,
        "description": "Timesheets for your crews.",
        "publisher": {"name": "Clockwork Ltd"},
        "hook_url": hook,
        "permissions": [{"name": "timesheets:read", "level": "tenant", "description": "Read timesheets"}]
    })
}

/// Tenant acme (admin alice, user bob), tenant globex (admin carol), two
/// apps, 1,000 projects, a legacy client; the server with its admin API.
pub async fn setup(db: &Db, hook: &str, extra_env: &[(&str, &str)]) -> (Server, AdminApi) {
    db.create_tenant("acme", &[]);
    db.create_tenant("globex", &[]);
    create_user(
        db,
        "acme",
        "alice",
        PASSWORD,
        &["--admin", "--name", "Alice Admin"],
    );
    create_user(db, "acme", "bob", PASSWORD, &["--name", "Bob Builder"]);
    create_user(db, "globex", "carol", PASSWORD, &["--admin"]);
    let mut env = vec![
        ("WARDEN_ADMIN_TOKEN", ADMIN_TOKEN),
        ("WARDEN_DELIVERY_POLL_MS", "100"),
    ];
    env.extend_from_slice(extra_env);
    let server = Server::start_with(db, &env, &[]).await;
    let api = AdminApi::of(&server);
    for m in [docs_sync(hook), time_tracker(hook)] {
        let r = api.post("/apps", m).await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let names = ["Harbour", "North", "Tower", "Bridge"];
    let projects: Vec<Value> = (0..1000)
        .map(|i| json!({"type": "project", "id": format!("p{i}"), "name": format!("Project {} {i}", names[i % 4])}))
        .collect();
    let r = api.put("/tenants/acme/resources", json!(projects)).await;
    assert_eq!(r.status, 200, "resources stored");
    (server, api)
}

/// A signed-in browser session (cookie jar) on a tenant.
pub struct Session {
    base: String,
    pub tenant: String,
    pub client: reqwest::Client,
    csrf: String,
    /// The CSRF cookie's value (what the form token is bound to, with the session).
    binding: String,
    /// The session cookie's value, to replay it where a browser would not.
    cookie: String,
}

pub async fn sign_in(server: &Server, tenant: &str, username: &str) -> Session {
    let client = browser();
    let r = client
        .get(format!("{}/t/{tenant}/console", server.base))
        .send()
        .await
        .unwrap();
    let binding = set_cookie_value(&r, "warden_csrf").expect("a CSRF cookie");
    let page = r.text().await.unwrap();
    let csrf = hidden_field(&page, "csrf");
    let r = client
        .post(format!("{}/t/{tenant}/login", server.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(encode_form(&[
            ("csrf", &csrf),
            ("continue", ""),
            ("return", "console"),
            ("username", username),
            ("password", PASSWORD),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{username} signs in");
    let cookie = set_cookie_value(&r, "warden_session").expect("a session cookie");
    // Forms carry a token bound to the session: the one on a signed-in page
    // (the sign-out page has a form for every user, admin or not).
    let page = client
        .get(format!("{}/t/{tenant}/logout", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_field(&page, "csrf");
    Session {
        base: server.base.clone(),
        tenant: tenant.into(),
        client,
        csrf,
        binding,
        cookie,
    }
}

pub fn set_cookie_value(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_string())
}

impl Session {
    /// This session's own cookies, sent to tenant acme's console anyway (a
    /// browser would not: they are scoped to their tenant's path).
    pub async fn replayed(
        &self,
        method: reqwest::Method,
        path: &str,
        form: &[(&str, &str)],
    ) -> (u16, String) {
        let mut fields = vec![("csrf", self.csrf.as_str())];
        fields.extend_from_slice(form);
        let r = client_builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .request(method, format!("{}/t/acme/console{path}", self.base))
            .header(
                "cookie",
                format!(
                    "warden_session={}; warden_csrf={}",
                    self.cookie, self.binding
                ),
            )
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode_form(&fields))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        let r = self
            .client
            .get(format!("{}/t/acme/console{path}", self.base))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// POSTs a console form of tenant acme with this session's cookies and
    /// `csrf` (this session's token unless given).
    pub async fn post(
        &self,
        path: &str,
        form: &[(&str, &str)],
        csrf: Option<&str>,
    ) -> (u16, String) {
        let mut fields = vec![("csrf", csrf.unwrap_or(&self.csrf))];
        fields.extend_from_slice(form);
        let r = self
            .client
            .post(format!("{}/t/acme/console{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode_form(&fields))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }
}
