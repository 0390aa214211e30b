//! Warden's core: the domain, storage, tokens, the plugin host, the OAuth grants
//! and the services the admin API, the console and the command line share.
//! Nothing here knows HTTP routing, the command line or the configuration file.

pub mod admin;
pub mod apps;
pub mod clock;
pub mod delivery;
pub mod directory;
pub mod domain;
pub mod legacy;
pub mod metrics;
pub mod oauth;
pub mod outbound;
pub mod plugins;
pub mod store;
pub mod tokens;
pub mod usage;
