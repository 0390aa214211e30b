//! Logs and, when `otlp_endpoint` is set, traces. Every `tracing` span of
//! `serve` (request → grant → plugin call → store) becomes an OpenTelemetry
//! span, batched and sent over OTLP/HTTP (protobuf) to a collector; a
//! request's W3C `traceparent` is continued (see `http::trace`). The
//! exporter sends through the host's own reqwest on the server's runtime.

use crate::config::{Config, LogFormat, Otlp};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry::trace::{Link, SpanKind, TraceContextExt, TraceId};
use opentelemetry_http::{Bytes, HttpError, Request, Response};
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::trace::{
    Sampler, SamplingDecision, SamplingResult, SdkTracerProvider, ShouldSample,
};
use std::time::Duration;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Flushes spans still batched when dropped through [`Telemetry::shutdown`].
pub struct Telemetry {
    traces: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Sends what is still batched (at most the export timeout) and stops.
    pub async fn shutdown(self) {
        if let Some(provider) = self.traces {
            // The batch thread waits on exports that run on this runtime.
            let flushed = tokio::task::spawn_blocking(move || provider.shutdown()).await;
            if let Ok(Err(e)) = flushed {
                eprintln!("warden: traces not all exported at shutdown: {e}");
            }
        }
    }
}

/// Installs the process's subscriber: logs to stderr at `config.log`
/// (`warn` for a one-shot command unless asked), plus traces when `serve`
/// has an OTLP endpoint.
pub fn init(config: &Config, verbose: bool, serving: bool) -> anyhow::Result<Telemetry> {
    // A one-shot command prints its answer; its progress (a plugin compiled,
    // …) is noise unless the operator asked for a log level.
    let level = match config.log.as_str() {
        "info" if !verbose => "warn",
        other => other,
    };
    let filter = EnvFilter::try_new(format!("{level},sqlx=warn"))
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    // Colours only for a person at a terminal: a file or a pipe gets plain text.
    let logs = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let logs = match config.log_format {
        LogFormat::Json => logs
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_filter(filter)
            .boxed(),
        LogFormat::Pretty => logs.compact().with_filter(filter).boxed(),
    };
    let (traces, provider) = match (&config.otlp, serving) {
        (Some(otlp), true) => {
            let provider = tracer_provider(otlp)?;
            let layer = tracing_opentelemetry::layer()
                .with_tracer(provider.tracer("warden"))
                .with_location(false)
                .with_threads(false)
                .with_tracked_inactivity(false)
                .with_filter(tracing_subscriber::filter::filter_fn(|meta| {
                    // Warden's spans at any level; warnings and errors (a
                    // plugin failed closed, …) become span events. Info
                    // events (every request's `handled`) are in the logs.
                    if meta.is_span() {
                        meta.target().starts_with("warden")
                    } else {
                        *meta.level() <= tracing::Level::WARN
                    }
                }));
            opentelemetry::global::set_text_map_propagator(
                opentelemetry_sdk::propagation::TraceContextPropagator::new(),
            );
            (Some(layer), Some(provider))
        }
        _ => (None, None),
    };
    tracing_subscriber::registry()
        .with(logs)
        .with(traces)
        .try_init()
        .map_err(|e| anyhow::anyhow!("cannot install the log subscriber: {e}"))?;
    Ok(Telemetry { traces: provider })
}

fn tracer_provider(otlp: &Otlp) -> anyhow::Result<SdkTracerProvider> {
    let http = Exporter {
        client: crate::outbound::client_builder()
            .timeout(EXPORT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| anyhow::anyhow!("cannot build the OTLP HTTP client: {e}"))?,
        runtime: tokio::runtime::Handle::current(),
    };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(http)
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .with_endpoint(otlp.traces_url())
        .with_timeout(EXPORT_TIMEOUT)
        .build()
        .map_err(|e| anyhow::anyhow!("cannot set up the OTLP exporter: {e}"))?;
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(otlp.service_name.clone())
        .with_attribute(opentelemetry::KeyValue::new(
            "service.version",
            env!("CARGO_PKG_VERSION"),
        ))
        .build();
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_sampler(Requests {
            ratio: Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(otlp.sample_ratio))),
        })
        .with_resource(resource)
        .build())
}

/// Traces start at requests: a caller's sampling decision stands and new
/// traces are sampled at the ratio, but a store call with no parent (the
/// directory poll, the outbox poll, upkeep: every second on every replica)
/// starts none.
#[derive(Clone, Debug)]
struct Requests {
    ratio: Sampler,
}

impl ShouldSample for Requests {
    fn should_sample(
        &self,
        parent: Option<&opentelemetry::Context>,
        trace_id: TraceId,
        name: &str,
        kind: &SpanKind,
        attributes: &[opentelemetry::KeyValue],
        links: &[Link],
    ) -> SamplingResult {
        let root = !parent.is_some_and(|cx| cx.has_active_span());
        if root && name.starts_with("store.") {
            return SamplingResult {
                decision: SamplingDecision::Drop,
                attributes: vec![],
                trace_state: Default::default(),
            };
        }
        self.ratio
            .should_sample(parent, trace_id, name, kind, attributes, links)
    }
}

const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// The OTLP exporter's HTTP client: the batch processor runs on its own
/// thread, so each export is spawned onto the server's runtime.
#[derive(Debug)]
struct Exporter {
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

#[async_trait::async_trait]
impl opentelemetry_http::HttpClient for Exporter {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let client = self.client.clone();
        let (parts, body) = request.into_parts();
        let sent = self.runtime.spawn(async move {
            let reply = client
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await?;
            let status = reply.status();
            let headers = reply.headers().clone();
            let body = reply.bytes().await?;
            let mut response = Response::new(body);
            *response.status_mut() = status;
            *response.headers_mut() = headers;
            Ok::<_, reqwest::Error>(response)
        });
        Ok(sent.await??)
    }
}
