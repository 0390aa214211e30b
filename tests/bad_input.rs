//! Every bad input gets an RFC 6749 error body with the right status — never a
//! 500, a panic or a hang.

mod common;
use common::*;

on_both_backends!(
    malformed_requests_get_invalid_request,
    wrong_credentials_get_invalid_client,
    unsupported_grants_and_tenants,
    garbage_never_causes_a_server_error,
    every_response_carries_security_headers
);

async fn send_raw(
    url: &str,
    content_type: Option<&str>,
    auth: Option<&str>,
    body: Vec<u8>,
) -> Reply {
    let mut req = http().post(url).body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    Reply::from(req.send().await.unwrap()).await
}

const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

async fn malformed_requests_get_invalid_request(db: Db) {
    db.create_tenant("acme", &[]);
    let (id, secret) = db.create_client("acme", "read", &[]);
    let server = Server::start(&db).await;
    let auth = basic(&id, &secret);
    for endpoint in ["token", "introspect", "revoke"] {
        let url = format!("{}/{endpoint}", server.issuer("acme"));
        let ok_body = b"grant_type=client_credentials&token=x".to_vec();
        let cases: Vec<(&str, Option<&str>, Option<String>, Vec<u8>)> = vec![
            (
                "wrong content type",
                Some("application/json"),
                Some(auth.clone()),
                br#"{"grant_type":"client_credentials"}"#.to_vec(),
            ),
            ("no content type", None, Some(auth.clone()), ok_body.clone()),
            (
                "repeated parameter",
                FORM,
                Some(auth.clone()),
                b"grant_type=client_credentials&token=x&token=y&grant_type=client_credentials"
                    .to_vec(),
            ),
            (
                "non-UTF-8",
                FORM,
                Some(auth.clone()),
                b"grant_type=client_credentials&token=%ff%fe".to_vec(),
            ),
            (
                "raw non-UTF-8 bytes",
                FORM,
                Some(auth.clone()),
                b"grant_type=client_credentials&token=\xff\xfe".to_vec(),
            ),
            (
                "broken percent escape",
                FORM,
                Some(auth.clone()),
                b"grant_type=client_credentials&token=%G1".to_vec(),
            ),
            (
                "oversized body",
                FORM,
                Some(auth.clone()),
                format!(
                    "grant_type=client_credentials&token={}",
                    "a".repeat(100_000)
                )
                .into_bytes(),
            ),
            (
                "bad Basic base64",
                FORM,
                Some("Basic %%%".into()),
                ok_body.clone(),
            ),
            (
                "Basic without colon",
                FORM,
                Some(format!("Basic {}", base64_of("nocolon"))),
                ok_body.clone(),
            ),
            (
                "Basic with empty id",
                FORM,
                Some(format!("Basic {}", base64_of(":secret"))),
                ok_body.clone(),
            ),
            (
                "Basic with invalid UTF-8",
                FORM,
                Some(format!("Basic {}", base64_bytes(b"\xff\xfe:x"))),
                ok_body.clone(),
            ),
            (
                "other scheme",
                FORM,
                Some("Bearer abc".into()),
                ok_body.clone(),
            ),
            (
                "both auth methods",
                FORM,
                Some(auth.clone()),
                format!(
                    "grant_type=client_credentials&token=x&client_id={id}&client_secret={secret}"
                )
                .into_bytes(),
            ),
        ];
        for (what, ct, a, body) in cases {
            let r = send_raw(&url, ct, a.as_deref(), body).await;
            assert_eq!(r.status, 400, "{endpoint}: {what}: {}", r.text);
            assert_eq!(
                r.body["error"], "invalid_request",
                "{endpoint}: {what}: {}",
                r.text
            );
            assert_eq!(
                r.header("cache-control"),
                Some("no-store"),
                "{endpoint}: {what}"
            );
        }
    }
    let url = format!("{}/token", server.issuer("acme"));
    let r = send_raw(&url, FORM, Some(&auth), b"scope=read".to_vec()).await;
    r.assert_error(400, "invalid_request");
    assert!(
        r.body["error_description"]
            .as_str()
            .unwrap()
            .contains("grant_type")
    );
    let r = send_raw(
        &format!("{}/introspect", server.issuer("acme")),
        FORM,
        Some(&auth),
        b"".to_vec(),
    )
    .await;
    r.assert_error(400, "invalid_request");
}

fn base64_of(s: &str) -> String {
    base64_bytes(s.as_bytes())
}

fn base64_bytes(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

async fn wrong_credentials_get_invalid_client(db: Db) {
    db.create_tenant("acme", &[]);
    let (id, secret) = db.create_client("acme", "read", &[]);
    let server = Server::start(&db).await;
    let url = format!("{}/token", server.issuer("acme"));
    let cc = [("grant_type", "client_credentials")];
    let cases = [
        ("wrong secret", Some((id.as_str(), "wsec_wrong"))),
        ("unknown client", Some(("cl_nobody", secret.as_str()))),
        ("no credentials", None),
    ];
    let mut descriptions = Vec::new();
    for (what, auth) in cases {
        let r = post_form(&url, auth, &cc).await;
        assert_eq!(r.status, 401, "{what}: {}", r.text);
        assert_eq!(r.body["error"], "invalid_client", "{what}");
        assert_eq!(
            r.header("www-authenticate"),
            Some("Basic realm=\"warden\""),
            "{what}"
        );
        descriptions.push(r.body["error_description"].clone());
    }
    // Nothing tells an attacker whether the client exists.
    assert!(descriptions.windows(2).all(|w| w[0] == w[1]));
    // client_id alone (a public client) is not enough.
    let r = post_form(
        &url,
        None,
        &[("grant_type", "client_credentials"), ("client_id", &id)],
    )
    .await;
    r.assert_error(401, "invalid_client");
    let r = post_form(
        &url,
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", "nope"),
        ],
    )
    .await;
    r.assert_error(401, "invalid_client");
}

async fn unsupported_grants_and_tenants(db: Db) {
    db.create_tenant("acme", &[]);
    let (id, secret) = db.create_client("acme", "read", &[]);
    let server = Server::start(&db).await;
    let url = format!("{}/token", server.issuer("acme"));
    for grant in ["password", "implicit", "token", "urn:example:unknown"] {
        let r = post_form(
            &url,
            Some((&id, &secret)),
            &[("grant_type", grant), ("username", "u"), ("password", "p")],
        )
        .await;
        r.assert_error(400, "unsupported_grant_type");
    }
    // Supported, but malformed without its code.
    let r = post_form(
        &url,
        Some((&id, &secret)),
        &[("grant_type", "authorization_code")],
    )
    .await;
    r.assert_error(400, "invalid_request");
    let r = post_form(
        &format!("{}/token", server.issuer("nobody")),
        Some((&id, &secret)),
        &[("grant_type", "client_credentials")],
    )
    .await;
    r.assert_error(404, "invalid_request");
    let r = get_json(&format!(
        "{}/.well-known/openid-configuration",
        server.issuer("nobody")
    ))
    .await;
    assert_eq!(r.status, 404);
    let r = get_json(&format!("{}/nowhere", server.base)).await;
    assert_eq!(r.status, 404);
    let r = Reply::from(http().get(&url).send().await.unwrap()).await;
    assert_eq!(r.status, 405);
}

async fn garbage_never_causes_a_server_error(db: Db) {
    db.create_tenant("acme", &[]);
    let (id, secret) = db.create_client("acme", "read", &[]);
    let server = Server::start(&db).await;
    let auth = basic(&id, &secret);
    let mut seed: u64 = 0x2545F4914F6CDD1D;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let fragments: [&[u8]; 12] = [
        b"grant_type=",
        b"client_credentials",
        b"&",
        b"=",
        b"%",
        b"%ff",
        b"+",
        b"scope=",
        b"resource=",
        b"token=",
        b"\x00",
        b"\xc3(",
    ];
    for i in 0..300 {
        let mut body = Vec::new();
        for _ in 0..(next() % 12) {
            body.extend_from_slice(fragments[(next() % 12) as usize]);
        }
        let endpoint = ["token", "introspect", "revoke"][i % 3];
        let a = if i % 2 == 0 {
            Some(auth.as_str())
        } else {
            None
        };
        let r = send_raw(
            &format!("{}/{endpoint}", server.issuer("acme")),
            FORM,
            a,
            body.clone(),
        )
        .await;
        assert!(
            r.status < 500,
            "{endpoint} answered {} to {:?}: {}",
            r.status,
            String::from_utf8_lossy(&body),
            r.text
        );
        if r.status >= 400 {
            assert!(r.body["error"].is_string(), "{endpoint}: {}", r.text);
        }
    }
    // And the server is still fine.
    token(&server, "acme", &id, &secret, &[]).await;
}

/// Fills a route's path parameters: `{tenant}` names the test's tenant,
/// any other names nothing.
fn fill(path: &str) -> String {
    path.split('/')
        .map(|seg| match seg {
            "{tenant}" => "acme",
            s if s.starts_with('{') => "nope",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Every route the server serves, with path parameters filled in: the
/// browser-facing ones read from the routers' source and the admin API's from
/// its checked-in OpenAPI contract (tests/openapi.rs keeps that in step with
/// the code), so a new route is covered the day it is added.
fn declared_routes() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut routes = Vec::new();
    for (file, prefix) in [("mod.rs", ""), ("console/mod.rs", "/t/acme/console")] {
        let text = std::fs::read_to_string(root.join("src/http").join(file)).unwrap();
        for piece in text.split(".route(").skip(1) {
            // A route named by a constant (the demo's hook, served only
            // with --demo) is not among the ones every server answers.
            if !piece.trim_start().starts_with('"') {
                continue;
            }
            let path = piece.trim_start().trim_start_matches('"');
            routes.push(format!(
                "{prefix}{}",
                fill(&path[..path.find('"').unwrap()])
            ));
        }
    }
    let contract: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("../openapi/admin-v1.json")).unwrap(),
    )
    .unwrap();
    let admin = contract["paths"].as_object().unwrap();
    assert!(admin.len() > 30, "the contract lists {} paths", admin.len());
    routes.extend(admin.keys().map(|p| fill(p)));
    routes
}

async fn every_response_carries_security_headers(db: Db) {
    db.create_tenant("acme", &[]);
    let server = Server::start(&db).await;
    let mut paths = declared_routes();
    // Fallbacks and error pages too: the scanner found the tenant 404 bare.
    paths.extend([
        "/t/acme/".into(),
        "/nowhere".into(),
        "/admin/v1/nowhere".into(),
        "/t/nope/authorize".into(),
    ]);
    let client = client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut checked = 0;
    for path in &paths {
        for method in ["GET", "POST", "PUT", "DELETE", "OPTIONS"] {
            let r = client
                .request(method.parse().unwrap(), format!("{}{path}", server.base))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("x=1")
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let h = r.headers();
            let has = |name: &str, want: &str| {
                h.get(name)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.contains(want))
            };
            assert!(
                has("content-security-policy", "frame-ancestors 'none'")
                    && has("x-frame-options", "DENY")
                    && has("x-content-type-options", "nosniff")
                    && has("referrer-policy", "no-referrer"),
                "{method} {path} ({status}) lacks a security header: {h:?}"
            );
            assert!(status < 500, "{method} {path} answered {status}");
            checked += 1;
        }
    }
    assert!(checked >= 150, "{checked}");
}
