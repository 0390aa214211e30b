//! Whether storage keeps writes now. A read still answers on a full disk or
//! a read-only volume, so readiness goes by the storage faults the process
//! has met lately, on any path (requests, rounds, upkeep), not by a ping.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long after the last storage fault the process reports not ready.
pub const FAULT_HOLDS_FOR: Duration = Duration::from_secs(3);

/// Milliseconds since `start()` of the last fault, plus one; 0 if none yet.
static LAST_FAULT: AtomicU64 = AtomicU64::new(0);

fn start() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

/// Records `e` if it says storage is failing, rather than that a request was wrong.
pub fn note(e: &sqlx::Error) {
    if is_fault(e) {
        let at = start().elapsed().as_millis() as u64 + 1;
        LAST_FAULT.store(at, Ordering::Relaxed);
    }
}

/// Whether a storage fault was met within `FAULT_HOLDS_FOR`.
pub fn faulty() -> bool {
    let last = LAST_FAULT.load(Ordering::Relaxed);
    last != 0
        && Duration::from_millis((start().elapsed().as_millis() as u64 + 1).saturating_sub(last))
            < FAULT_HOLDS_FOR
}

fn is_fault(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => {
            let code = d.code();
            let code = code.as_deref().unwrap_or_default();
            if code.len() == 5 {
                // PostgreSQL's SQLSTATE classes: connection exception,
                // insufficient resources (disk full), operator intervention
                // (a shutdown), system error (I/O).
                ["08", "53", "57", "58"].iter().any(|c| code.starts_with(c))
            } else {
                // SQLite's result codes (an extended one keeps its primary in
                // the low byte): READONLY, IOERR, CORRUPT, FULL, CANTOPEN, NOTADB.
                code.parse::<i32>()
                    .is_ok_and(|n| matches!(n & 0xff, 8 | 10 | 11 | 13 | 14 | 26))
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_connection_is_a_fault_and_a_missing_row_is_not() {
        assert!(is_fault(&sqlx::Error::PoolTimedOut));
        assert!(!is_fault(&sqlx::Error::RowNotFound));
    }
}
