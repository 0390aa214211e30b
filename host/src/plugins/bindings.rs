//! Host-side bindings for the WIT package in `wit/`: the one place `bindgen!`
//! runs. Types are generated once (with the grant-policy world) and shared.
//! Exports are async so a plugin runs on a fiber inside the request's task and
//! yields to other requests at every epoch tick.

pub mod grant {
    wasmtime::component::bindgen!({
        world: "grant-policy",
        path: "../wit",
        exports: { default: async },
    });
}

pub mod permission {
    wasmtime::component::bindgen!({
        world: "permission-check",
        path: "../wit",
        exports: { default: async },
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
        exports: { default: async },
        with: {
            "warden:plugin/host": super::grant::warden::plugin::host,
            "warden:plugin/types": super::grant::warden::plugin::types,
        },
    });
}

pub use grant::warden::plugin::host;
pub use grant::warden::plugin::types;
