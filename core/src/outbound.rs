//! Outbound HTTP clients (webhook deliveries, OTLP export) start here: rustls
//! on ring, the crypto the server already links (no aws-lc C build), with the
//! platform's certificate roots.

pub fn client_builder() -> reqwest::ClientBuilder {
    static PROVIDER: std::sync::Once = std::sync::Once::new();
    // Err means another provider is already the default, which serves as well.
    PROVIDER.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
}
