//! An install-policy plugin that misbehaves as its binding config's `mode`
//! says: "trap", or "drop-required" (tries to leave out a required
//! permission); anything else allows the install as asked.

wit_bindgen::generate!({ world: "install-policy", path: "../../../wit" });

struct HostileInstall;

impl Guest for HostileInstall {
    fn review(request: InstallRequest, config: String) -> InstallDecision {
        if config.contains("trap") {
            core::arch::wasm32::unreachable()
        } else if config.contains("drop-required") {
            InstallDecision::Allow(request.approving)
        } else {
            InstallDecision::Allow(vec![])
        }
    }
}

export!(HostileInstall);
