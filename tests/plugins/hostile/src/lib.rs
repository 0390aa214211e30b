//! A grant policy that misbehaves in the way its binding config names:
//! "loop", "memory", "recursion", "trap", "panic", "huge-output",
//! "reserved-claim", "widen", "escape" (tries files, env, network, clock), or
//! anything else to behave.

wit_bindgen::generate!({ world: "grant-policy", path: "../../../wit" });

use warden::plugin::types::{Allow, GrantDecision, JsonField};

struct Hostile;

fn allow(scopes: Vec<String>, claims: Vec<JsonField>) -> GrantDecision {
    GrantDecision::Allow(Allow { scopes, claims, lifetime_seconds: None })
}

#[inline(never)]
fn recurse(n: u64, sink: &mut [u64; 64]) -> u64 {
    sink[(n % 64) as usize] = n;
    if n == u64::MAX { return 0; }
    recurse(n + 1, sink) + sink[(n % 7) as usize]
}

impl Guest for Hostile {
    // Its decision is never reused: it depends on the time (legacy-sunset)
    // or on nothing a cache could key (hostile).
    fn evaluate(request: GrantRequest, config: String) -> GrantAnswer {
        GrantAnswer { decision: Hostile::decide(request, config), cache_for: 0 }
    }
}

impl Hostile {
    fn decide(request: GrantRequest, config: String) -> GrantDecision {
        let mode = config.trim().trim_matches(|c| c == '"' || c == '{' || c == '}').to_string();
        match mode.as_str() {
            "loop" => {
                let mut x: u64 = 0;
                loop {
                    x = x.wrapping_add(std::hint::black_box(1));
                    std::hint::black_box(x);
                }
            }
            "memory" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "recursion" => {
                let mut sink = [0u64; 64];
                let n = recurse(0, &mut sink);
                allow(vec![n.to_string()], vec![])
            }
            "trap" => core::arch::wasm32::unreachable(),
            "panic" => panic!("policy panicked on purpose"),
            "huge-output" => {
                let claims = (0..10_000)
                    .map(|i| JsonField { name: format!("c{i}"), value: format!("\"{}\"", "x".repeat(64)) })
                    .collect();
                allow(request.requested_scopes, claims)
            }
            "reserved-claim" => allow(request.requested_scopes, vec![JsonField { name: "sub".into(), value: "\"admin\"".into() }]),
            "widen" => allow(request.allowed_scopes, vec![]),
            "escape" => {
                let file = std::fs::read_to_string("/etc/passwd").is_ok();
                let env = std::env::vars().count() > 0;
                let net = std::net::TcpStream::connect("127.0.0.1:5432").is_ok();
                let clock = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                let report = format!("{{\"file\":{file},\"env\":{env},\"net\":{net},\"clock\":{clock}}}");
                allow(request.requested_scopes, vec![JsonField { name: "escape".into(), value: report }])
            }
            _ => allow(request.requested_scopes, vec![]),
        }
    }
}

export!(Hostile);
