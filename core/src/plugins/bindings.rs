//! Host-side bindings for the WIT packages: the one place `bindgen!` runs.
//! `wit/` is the current package (`warden:plugin@0.4.0`); `wit/0.3.0/`,
//! `wit/0.2.0/` and `wit/0.1.0/` the previous ones, whose components keep
//! loading (see `compat.rs`). Types are
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
            "warden:plugin/host@0.4.0": super::grant::warden::plugin::host,
            "warden:plugin/types@0.4.0": super::grant::warden::plugin::types,
        },
    });
}

pub mod delivery {
    wasmtime::component::bindgen!({
        world: "credential-delivery",
        path: "../wit",
        exports: { default: async },
        with: {
            "warden:plugin/host@0.4.0": super::grant::warden::plugin::host,
            "warden:plugin/types@0.4.0": super::grant::warden::plugin::types,
        },
    });
}

pub mod install {
    wasmtime::component::bindgen!({
        world: "install-policy",
        path: "../wit",
        exports: { default: async },
        with: {
            "warden:plugin/host@0.4.0": super::grant::warden::plugin::host,
            "warden:plugin/types@0.4.0": super::grant::warden::plugin::types,
        },
    });
}

pub mod registration {
    wasmtime::component::bindgen!({
        world: "registration-policy",
        path: "../wit",
        exports: { default: async },
        with: {
            "warden:plugin/host@0.4.0": super::grant::warden::plugin::host,
            "warden:plugin/types@0.4.0": super::grant::warden::plugin::types,
        },
    });
}

pub use grant::warden::plugin::host;
pub use grant::warden::plugin::types;

/// `warden:plugin@0.3.0`, for components built before grant policies saw
/// authorization details. Only `grant-request` changed in 0.4.0, so the
/// other worlds take 0.4.0's types (the component model checks types by
/// structure); the grant world has its own, converted in `compat.rs`.
pub mod v3 {
    pub mod grant {
        wasmtime::component::bindgen!({
            world: "grant-policy",
            path: "../wit/0.3.0",
            exports: { default: async },
        });
    }

    pub mod permission {
        wasmtime::component::bindgen!({
            world: "permission-check",
            path: "../wit/0.3.0",
            exports: { default: async },
            with: {
                "warden:plugin/host@0.3.0": super::grant::warden::plugin::host,
                "warden:plugin/types@0.3.0": crate::plugins::bindings::types,
            },
        });
    }

    pub mod delivery {
        wasmtime::component::bindgen!({
            world: "credential-delivery",
            path: "../wit/0.3.0",
            exports: { default: async },
            with: {
                "warden:plugin/host@0.3.0": super::grant::warden::plugin::host,
                "warden:plugin/types@0.3.0": crate::plugins::bindings::types,
            },
        });
    }

    pub mod install {
        wasmtime::component::bindgen!({
            world: "install-policy",
            path: "../wit/0.3.0",
            exports: { default: async },
            with: {
                "warden:plugin/host@0.3.0": super::grant::warden::plugin::host,
                "warden:plugin/types@0.3.0": crate::plugins::bindings::types,
            },
        });
    }

    pub use grant::warden::plugin::host;
    pub use grant::warden::plugin::types;
}

/// `warden:plugin@0.2.0`, for components built before decisions could be
/// reused. 0.3.0 only added types, so 0.2.0's types are 0.3.0's (the
/// component model checks types by structure): no conversion per call.
pub mod v2 {
    pub mod grant {
        wasmtime::component::bindgen!({
            world: "grant-policy",
            path: "../wit/0.2.0",
            exports: { default: async },
            with: {
                "warden:plugin/types@0.2.0": crate::plugins::bindings::v3::types,
            },
        });
    }

    pub mod permission {
        wasmtime::component::bindgen!({
            world: "permission-check",
            path: "../wit/0.2.0",
            exports: { default: async },
            with: {
                "warden:plugin/host@0.2.0": super::grant::warden::plugin::host,
                "warden:plugin/types@0.2.0": crate::plugins::bindings::types,
            },
        });
    }

    pub mod delivery {
        wasmtime::component::bindgen!({
            world: "credential-delivery",
            path: "../wit/0.2.0",
            exports: { default: async },
            with: {
                "warden:plugin/host@0.2.0": super::grant::warden::plugin::host,
                "warden:plugin/types@0.2.0": crate::plugins::bindings::types,
            },
        });
    }

    pub mod install {
        wasmtime::component::bindgen!({
            world: "install-policy",
            path: "../wit/0.2.0",
            exports: { default: async },
            with: {
                "warden:plugin/host@0.2.0": super::grant::warden::plugin::host,
                "warden:plugin/types@0.2.0": crate::plugins::bindings::types,
            },
        });
    }

    pub use grant::warden::plugin::host;
}

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
