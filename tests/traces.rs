//! Traces from the real binary to an OTLP/HTTP receiver in the test, decoded
//! as a collector would: a token request continues the caller's
//! `traceparent`, and its spans nest request → grant → plugin call; an
//! admin call's store operation nests under its request; background polls
//! start no traces; no secret reaches an attribute; a clean shutdown
//! flushes what is batched.

mod common;
use common::*;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the receiver got: each span with its resource's service.name.
#[derive(Clone, Default)]
struct Collector {
    spans: Arc<Mutex<Vec<(String, Span)>>>,
    content_types: Arc<Mutex<Vec<String>>>,
}

impl Collector {
    async fn start(&self) -> String {
        let me = self.clone();
        let app = axum::Router::new().route(
            "/v1/traces",
            axum::routing::post(
                move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                    let me = me.clone();
                    async move {
                        me.content_types
                            .lock()
                            .unwrap()
                            .push(headers["content-type"].to_str().unwrap_or("").to_string());
                        let request =
                            ExportTraceServiceRequest::decode(body).expect("OTLP protobuf");
                        for resource in request.resource_spans {
                            let service = resource
                                .resource
                                .iter()
                                .flat_map(|r| &r.attributes)
                                .find(|kv| kv.key == "service.name")
                                .map(|kv| text(kv.value.as_ref().and_then(|v| v.value.as_ref())))
                                .unwrap_or_default();
                            for scope in resource.scope_spans {
                                for span in scope.spans {
                                    me.spans.lock().unwrap().push((service.clone(), span));
                                }
                            }
                        }
                        (
                            [("content-type", "application/x-protobuf")],
                            Vec::<u8>::new(),
                        )
                    }
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        url
    }

    fn spans(&self) -> Vec<Span> {
        self.spans
            .lock()
            .unwrap()
            .iter()
            .map(|(_, s)| s.clone())
            .collect()
    }
}

fn text(v: Option<&AnyValue>) -> String {
    match v {
        Some(AnyValue::StringValue(s)) => s.clone(),
        Some(AnyValue::IntValue(i)) => i.to_string(),
        Some(AnyValue::BoolValue(b)) => b.to_string(),
        Some(AnyValue::DoubleValue(d)) => d.to_string(),
        other => format!("{other:?}"),
    }
}

fn attribute(span: &Span, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .map(|kv| text(kv.value.as_ref().and_then(|v| v.value.as_ref())))
}

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_nest_from_request_to_plugin_and_store() {
    let db = Db::new(Backend::Sqlite).await.unwrap();
    db.create_tenant("acme", &[]);
    let (id, secret) = db.create_client("acme", "read write", &[]);
    add_and_bind_plugin(
        &db,
        "acme",
        "grant-policy",
        "scope-policy",
        "scopes",
        r#"{"allowed_scopes": ["read"]}"#,
    );
    let collector = Collector::default();
    let endpoint = collector.start().await;
    let server = Server::start_with(
        &db,
        &[
            ("WARDEN_ADMIN_TOKEN", ADMIN_TOKEN),
            ("WARDEN_OTLP_ENDPOINT", &endpoint),
            // Export batches quickly.
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ],
        &[],
    )
    .await;

    // A token request from a caller that is itself traced.
    let r = http()
        .post(format!("{}/token", server.issuer("acme")))
        .header("authorization", basic(&id, &secret))
        .header("traceparent", format!("00-{TRACE_ID}-{CALLER_SPAN}-01"))
        .form(&[("grant_type", "client_credentials"), ("scope", "read")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let access_token = r.json::<serde_json::Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    // A caller without trace context: a new trace. The policy refuses the scope.
    post_form(
        &format!("{}/token", server.issuer("acme")),
        Some((&id, &secret)),
        &[("grant_type", "client_credentials"), ("scope", "write")],
    )
    .await
    .assert_error(400, "invalid_scope");
    // A wrong secret: refused before any grant.
    post_form(
        &format!("{}/token", server.issuer("acme")),
        Some((&id, "not-the-secret")),
        &[("grant_type", "client_credentials")],
    )
    .await
    .assert_error(401, "invalid_client");
    // An admin call that writes to the store.
    let created = AdminApi::of(&server)
        .post("/tenants", serde_json::json!({"slug": "globex"}))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    // Background polls run meanwhile (directory, outbox, upkeep, every second).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // A clean shutdown sends what is still batched.
    server.stop().await;

    let spans = collector.spans();
    assert!(
        collector
            .content_types
            .lock()
            .unwrap()
            .iter()
            .all(|c| c == "application/x-protobuf")
    );
    assert!(
        collector
            .spans
            .lock()
            .unwrap()
            .iter()
            .all(|(s, _)| s == "warden"),
        "service.name is warden"
    );
    let hex_id = |b: &[u8]| hex::encode(b);
    let named = |name: &str, trace: &str| -> Vec<Span> {
        spans
            .iter()
            .filter(|s| s.name == name && hex_id(&s.trace_id) == trace)
            .cloned()
            .collect()
    };

    // The caller's trace: request → grant → plugin.
    let request = named("request", TRACE_ID);
    assert_eq!(
        request.len(),
        1,
        "one request span in the caller's trace: {spans:#?}"
    );
    let request = &request[0];
    assert_eq!(
        hex_id(&request.parent_span_id),
        CALLER_SPAN,
        "continues the caller's span"
    );
    assert_eq!(
        attribute(request, "route").as_deref(),
        Some("/t/{tenant}/token")
    );
    assert_eq!(attribute(request, "method").as_deref(), Some("POST"));
    assert_eq!(attribute(request, "status").as_deref(), Some("200"));
    assert_eq!(attribute(request, "tenant").as_deref(), Some("acme"));
    assert_eq!(attribute(request, "client_id"), Some(id.clone()));
    let grant = named("grant", TRACE_ID);
    assert_eq!(grant.len(), 1, "{spans:#?}");
    let grant = &grant[0];
    assert_eq!(grant.parent_span_id, request.span_id, "grant under request");
    assert_eq!(
        attribute(grant, "grant_type").as_deref(),
        Some("client_credentials")
    );
    let plugin = named("plugin", TRACE_ID);
    assert_eq!(plugin.len(), 1, "{spans:#?}");
    let plugin = &plugin[0];
    assert_eq!(
        plugin.parent_span_id, grant.span_id,
        "plugin call under grant"
    );
    assert_eq!(attribute(plugin, "hook").as_deref(), Some("grant-policy"));
    assert_eq!(attribute(plugin, "plugin").as_deref(), Some("scopes@1"));
    assert!(plugin.start_time_unix_nano >= grant.start_time_unix_nano);
    assert!(plugin.end_time_unix_nano <= grant.end_time_unix_nano);
    assert!(grant.end_time_unix_nano <= request.end_time_unix_nano);

    // Without a caller: a new trace from the request; the policy's refusal
    // is the grant's error.
    let root = |status: &str| -> Span {
        let found: Vec<&Span> = spans
            .iter()
            .filter(|s| s.name == "request" && attribute(s, "status").as_deref() == Some(status))
            .collect();
        assert_eq!(found.len(), 1, "one {status} request: {spans:#?}");
        assert!(
            found[0].parent_span_id.is_empty(),
            "a new trace starts at the request"
        );
        assert_ne!(hex_id(&found[0].trace_id), TRACE_ID);
        found[0].clone()
    };
    let denied = root("400");
    let denied_grant = named("grant", &hex_id(&denied.trace_id));
    assert_eq!(denied_grant.len(), 1, "{spans:#?}");
    assert_eq!(
        attribute(&denied_grant[0], "error").as_deref(),
        Some("invalid_scope")
    );
    let denied_plugin = named("plugin", &hex_id(&denied.trace_id));
    assert_eq!(denied_plugin[0].parent_span_id, denied_grant[0].span_id);
    // A client that fails to authenticate gets no further than its request.
    let unauthenticated = root("401");
    assert!(named("grant", &hex_id(&unauthenticated.trace_id)).is_empty());
    assert_eq!(
        attribute(&unauthenticated, "tenant").as_deref(),
        Some("acme")
    );

    // The admin call: the store write under the request.
    let admin = spans
        .iter()
        .find(|s| {
            s.name == "request" && attribute(s, "route").as_deref() == Some("/admin/v1/tenants")
        })
        .unwrap_or_else(|| panic!("no admin request span: {spans:#?}"));
    let store = spans
        .iter()
        .find(|s| s.name == "store.create_tenant")
        .unwrap_or_else(|| panic!("no store span: {spans:#?}"));
    assert_eq!(store.trace_id, admin.trace_id);
    assert_eq!(
        store.parent_span_id, admin.span_id,
        "store call under the request"
    );

    // Polls with no request around them start no traces.
    for s in spans.iter().filter(|s| s.name.starts_with("store.")) {
        assert!(!s.parent_span_id.is_empty(), "a root store span: {s:#?}");
    }
    // Nothing secret in any attribute, event or name.
    let everything = format!("{spans:?}");
    for secret in [secret.as_str(), access_token.as_str(), ADMIN_TOKEN] {
        assert!(!everything.contains(secret), "a secret reached a span");
    }
}

/// Tracing is off unless an endpoint is set, and a bad one stops `serve`
/// with a readable message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_endpoint_is_refused_at_start() {
    let db = Db::new(Backend::Sqlite).await.unwrap();
    for (var, value, says) in [
        ("WARDEN_OTLP_ENDPOINT", "collector:4318", "otlp_endpoint"),
        ("WARDEN_OTLP_SAMPLE_RATIO", "1.5", "otlp_sample_ratio"),
    ] {
        let mut env = db.env();
        env.push((
            "WARDEN_OTLP_ENDPOINT".into(),
            "http://127.0.0.1:4318".into(),
        ));
        env.push((var.into(), value.into()));
        let out = cli_with(db.dir.path(), &env, &["serve", "--listen", "127.0.0.1:0"]);
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}
