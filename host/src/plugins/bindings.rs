//! Host-side bindings for the WIT packages: the one place `bindgen!` runs.
//! `wit/` is the current package (`warden:plugin@0.2.0`); `wit/0.1.0/` the
//! previous one, whose components keep loading (see `compat.rs`). Types are
//! generated once per package (with its grant-policy world) and shared.
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
            "warden:plugin/host@0.2.0": super::grant::warden::plugin::host,
            "warden:plugin/types@0.2.0": super::grant::warden::plugin::types,
        },
    });
}

pub mod delivery {
    wasmtime::component::bindgen!({
        world: "credential-delivery",
        path: "../wit",
        exports: { default: async },
        with: {
            "warden:plugin/host@0.2.0": super::grant::warden::plugin::host,
            "warden:plugin/types@0.2.0": super::grant::warden::plugin::types,
        },
    });
}

pub mod install {
    wasmtime::component::bindgen!({
        world: "install-policy",
        path: "../wit",
        exports: { default: async },
        with: {
            "warden:plugin/host@0.2.0": super::grant::warden::plugin::host,
            "warden:plugin/types@0.2.0": super::grant::warden::plugin::types,
        },
    });
}

pub use grant::warden::plugin::host;
pub use grant::warden::plugin::types;

/// `warden:plugin@0.1.0`, for components built before apps.
pub mod v1 {
    pub mod grant {
        wasmtime::component::bindgen!({
            world: "grant-policy",
            path: "../wit/0.1.0",
            exports: { default: async },
        });
    }

    pub mod permission {
        wasmtime::component::bindgen!({
            world: "permission-check",
            path: "../wit/0.1.0",
            exports: { default: async },
            with: {
                "warden:plugin/host@0.1.0": super::grant::warden::plugin::host,
                "warden:plugin/types@0.1.0": super::grant::warden::plugin::types,
            },
        });
    }

    pub mod delivery {
        wasmtime::component::bindgen!({
            world: "credential-delivery",
            path: "../wit/0.1.0",
            exports: { default: async },
            with: {
                "warden:plugin/host@0.1.0": super::grant::warden::plugin::host,
                "warden:plugin/types@0.1.0": super::grant::warden::plugin::types,
            },
        });
    }

    pub use grant::warden::plugin::host;
    pub use grant::warden::plugin::types;
}
