//! Host-side bindings for the WIT package in `wit/`: the one place `bindgen!`
//! runs. Types are generated once (with the grant-policy world) and shared.

pub mod grant {
    wasmtime::component::bindgen!({
        world: "grant-policy",
        path: "../wit",
    });
}

pub mod permission {
    wasmtime::component::bindgen!({
        world: "permission-check",
        path: "../wit",
        with: {
            "warden:plugin/host": super::grant::warden::plugin::host,
            "warden:plugin/types": super::grant::warden::plugin::types,
        },
    });
}

pub mod delivery {
    wasmtime::component::bindgen!({
        world: "credential-delivery",
        path: "../wit",
        with: {
            "warden:plugin/host": super::grant::warden::plugin::host,
            "warden:plugin/types": super::grant::warden::plugin::types,
        },
    });
}

pub use grant::warden::plugin::host;
pub use grant::warden::plugin::types;
