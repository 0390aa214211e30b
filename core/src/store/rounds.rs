//! Group commit for the storage-bound paths a client drives at high rate:
//! the refresh-token grant and spending `private_key_jwt` assertions. Concurrent lookups and rotations queue here and
//! one task per kind runs whatever has queued as a single statement, so the
//! database sees one statement per round (one WAL append on SQLite, one commit
//! flush on PostgreSQL) instead of one per request. Under light load a round
//! holds one request and costs what a direct statement would.

use super::{RefreshToken, StoreError, StoreResult};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use tokio::sync::{Semaphore, mpsc, oneshot};

/// Most requests one statement carries (a rotation binds 11 parameters, far
/// inside SQLite's and PostgreSQL's limits).
pub const MAX_ROUND: usize = 64;

/// A round still running after this fails its requests (503) rather than
/// hold them, and every request queued behind it, indefinitely.
pub const ROUND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Prepared statements a connection keeps: each round size is a statement of
/// its own, next to everything else the connection runs.
pub const STATEMENT_CACHE: usize = 2 * MAX_ROUND + 128;

/// Runs one round; answers are in the order of the requests. On PostgreSQL
/// rounds run on connections that plan every execution afresh
/// (`plan_cache_mode = force_custom_plan`): a generic plan cached while
/// `refresh_tokens` was small is a materialised sequential scan joined to
/// the round's `VALUES`, which scans the whole table for every round once it
/// has grown, until the table is next analysed.
pub type RunRound<I, O> =
    Box<dyn Fn(Vec<I>) -> BoxFuture<'static, Result<Vec<O>, sqlx::Error>> + Send + Sync>;

type Pending<I, O> = (I, oneshot::Sender<StoreResult<O>>);

pub struct Rounds<I, O> {
    queue: mpsc::UnboundedSender<Pending<I, O>>,
}

impl<I: Send + 'static, O: Send + 'static> Rounds<I, O> {
    /// Starts the task that runs the rounds, at most `in_flight` at once (a
    /// second round can gather and run while the first waits on a commit);
    /// it ends when `self` is dropped.
    pub fn start(in_flight: usize, run: RunRound<I, O>) -> Self {
        let (queue, pending) = mpsc::unbounded_channel();
        tokio::spawn(run_rounds(pending, in_flight, Arc::new(run)));
        Rounds { queue }
    }

    pub async fn call(&self, request: I) -> StoreResult<O> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((request, reply))
            .map_err(|_| StoreError::Stopped)?;
        answer.await.map_err(|_| StoreError::Stopped)?
    }
}

async fn run_rounds<I: Send + 'static, O: Send + 'static>(
    mut pending: mpsc::UnboundedReceiver<Pending<I, O>>,
    in_flight: usize,
    run: Arc<RunRound<I, O>>,
) {
    let slots = Arc::new(Semaphore::new(in_flight.max(1)));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let mut round = Vec::with_capacity(MAX_ROUND);
        if pending.recv_many(&mut round, MAX_ROUND).await == 0 {
            return;
        }
        let run = run.clone();
        tokio::spawn(async move {
            run_round(round, &run).await;
            drop(slot);
        });
    }
}

async fn run_round<I, O>(round: Vec<Pending<I, O>>, run: &RunRound<I, O>) {
    let (requests, replies): (Vec<I>, Vec<_>) = round.into_iter().unzip();
    let n = requests.len();
    // A panic or a stalled database fails this round's requests, not
    // every later one.
    let running = AssertUnwindSafe(run(requests)).catch_unwind();
    match tokio::time::timeout(ROUND_TIMEOUT, running).await {
        Ok(Ok(Ok(answers))) if answers.len() == n => {
            for (answer, reply) in answers.into_iter().zip(replies) {
                // A requester that went away no longer needs its answer.
                let _ = reply.send(Ok(answer));
            }
        }
        Ok(Ok(Ok(_))) => fail(replies, || {
            StoreError::Corrupt("a round answered out of step".into())
        }),
        Ok(Ok(Err(e))) => {
            super::health::note(&e);
            let e = Arc::new(e);
            fail(replies, || StoreError::Shared(e.clone()))
        }
        Ok(Err(_panic)) => fail(replies, || StoreError::Corrupt("a round panicked".into())),
        Err(_elapsed) => fail(replies, || StoreError::TimedOut),
    }
}

fn fail<O>(replies: Vec<oneshot::Sender<StoreResult<O>>>, error: impl Fn() -> StoreError) {
    for reply in replies {
        let _ = reply.send(Err(error()));
    }
}

/// Spend `spent_hash` and store `successor` in its place.
pub struct Rotation {
    pub spent_hash: Vec<u8>,
    pub successor: RefreshToken,
}

/// `$from, $from+1, …` for `n` parameters.
fn placeholders(sql: &mut String, from: usize, n: usize) {
    for k in 0..n {
        if k > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("${}", from + k));
    }
}

/// Looks up `n` refresh tokens by hash, with their family's resources and
/// details. Spent = revoked (`used_at` set) or has a successor (whose
/// creation, in ms, is when it was spent). Rows from before `created_ms`
/// existed fall back to whole seconds.
pub fn lookup_sql(n: usize) -> String {
    let mut sql = String::from(
        "SELECT r.token_hash, r.family_id, r.tenant, r.client_id, r.user_id, r.scopes, r.auth_time, r.created_at, \
         COALESCE(r.created_ms, r.created_at * 1000) AS created_ms, \
         r.expires_at, r.family_expires_at, r.access_jti, r.access_expires_at, \
         COALESCE(r.used_at * 1000, (SELECT COALESCE(c.created_ms, c.created_at * 1000) FROM refresh_tokens c \
         WHERE c.parent_hash = r.token_hash)) AS spent_at_ms, \
         g.authorization_details AS family_details, g.resources AS family_resources \
         FROM refresh_tokens r LEFT JOIN refresh_family_grants g ON g.family_id = r.family_id \
         WHERE r.token_hash IN (",
    );
    placeholders(&mut sql, 1, n);
    sql.push(')');
    sql
}

/// Each looked-up hash's row, in request order.
pub fn align_lookups(hashes: &[Vec<u8>], rows: Vec<RefreshToken>) -> Vec<Option<RefreshToken>> {
    hashes
        .iter()
        .map(|h| rows.iter().find(|r| &r.token_hash == h).cloned())
        .collect()
}

/// Stores `n` successors, the same text for both backends. A successor goes
/// in only while its parent is live (not revoked: `expires_at = 0` marks a
/// revoked family); the unique `parent_hash` turns away a second successor of
/// one parent, whether it races in this round, another replica's, or later.
pub fn rotation_sql(n: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO refresh_tokens (token_hash, family_id, tenant, client_id, user_id, scopes, auth_time, \
         created_at, expires_at, family_expires_at, created_ms, access_jti, access_expires_at, parent_hash) \
         SELECT column1, column2, column3, column4, column5, column6, column7, column8, column9, column10, \
         column11, column12, column13, column14 \
         FROM (VALUES ",
    );
    for i in 0..n {
        sql.push_str(if i == 0 { "(" } else { ", (" });
        placeholders(&mut sql, i * 14 + 1, 14);
        sql.push(')');
    }
    sql.push_str(
        ") AS successor WHERE EXISTS (SELECT 1 FROM refresh_tokens parent \
         WHERE parent.token_hash = successor.column14 AND parent.used_at IS NULL AND parent.expires_at > 0) \
         ON CONFLICT DO NOTHING RETURNING token_hash",
    );
    sql
}

/// Whether each rotation's successor went in, given the hashes stored.
pub fn align_rotations(round: &[Rotation], stored: Vec<Vec<u8>>) -> Vec<bool> {
    round
        .iter()
        .map(|r| stored.contains(&r.successor.token_hash))
        .collect()
}

/// Records `n` client assertions as spent (key, expiry), the same text for
/// both backends; the ones already spent are turned away.
pub fn assertion_sql(n: usize) -> String {
    let mut sql = String::from("INSERT INTO client_assertions (assertion_key, expires_at) VALUES ");
    for i in 0..n {
        sql.push_str(if i == 0 { "(" } else { ", (" });
        placeholders(&mut sql, i * 2 + 1, 2);
        sql.push(')');
    }
    sql.push_str(" ON CONFLICT DO NOTHING RETURNING assertion_key");
    sql
}

/// Whether each assertion was spent by its own request: it went in, and no
/// earlier request of the round carried the same key.
pub fn align_assertions(round: &[(String, i64)], stored: Vec<String>) -> Vec<bool> {
    round
        .iter()
        .enumerate()
        .map(|(i, (key, _))| stored.contains(key) && !round[..i].iter().any(|(k, _)| k == key))
        .collect()
}

/// The rounds of the refresh-token grant and of client-assertion spending.
pub struct GroupCommits {
    pub lookups: Rounds<Vec<u8>, Option<RefreshToken>>,
    pub rotations: Rounds<Rotation, bool>,
    pub assertions: Rounds<(String, i64), bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_assertion_spent_twice_in_one_round_counts_once() {
        let round = vec![
            ("a".to_string(), 1),
            ("b".to_string(), 1),
            ("a".to_string(), 1),
        ];
        assert_eq!(
            align_assertions(&round, vec!["a".into()]),
            [true, false, false],
            "b was spent before; the second a is a replay"
        );
        assert!(
            assertion_sql(2).ends_with(
                "VALUES ($1, $2), ($3, $4) ON CONFLICT DO NOTHING RETURNING assertion_key"
            )
        );
    }
    use std::sync::Mutex;

    /// Doubles each request and records the size of every round.
    fn doubling(sizes: Arc<Mutex<Vec<usize>>>) -> Rounds<i64, i64> {
        Rounds::start(
            2,
            Box::new(move |round: Vec<i64>| {
                sizes.lock().unwrap().push(round.len());
                Box::pin(async move {
                    if round.contains(&-1) {
                        return Err(sqlx::Error::PoolTimedOut);
                    }
                    if round.contains(&-2) {
                        panic!("a round panicked");
                    }
                    if round.contains(&-3) {
                        std::future::pending::<()>().await;
                    }
                    Ok(round.iter().map(|n| n * 2).collect())
                })
            }),
        )
    }

    #[tokio::test]
    async fn concurrent_requests_share_rounds_and_get_their_own_answers() {
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let rounds = doubling(sizes.clone());
        let answers = futures_util::future::join_all((0..200).map(|n| rounds.call(n))).await;
        for (n, answer) in answers.into_iter().enumerate() {
            assert_eq!(answer.unwrap(), 2 * n as i64);
        }
        let sizes = sizes.lock().unwrap();
        assert_eq!(sizes.iter().sum::<usize>(), 200);
        assert!(sizes.iter().all(|s| *s <= MAX_ROUND), "{sizes:?}");
        assert!(sizes.len() < 200, "requests were not grouped: {sizes:?}");
    }

    #[tokio::test]
    async fn a_failed_or_panicking_round_fails_only_its_own_requests() {
        let rounds = doubling(Arc::new(Mutex::new(Vec::new())));
        let panicked = rounds.call(-2).await;
        let failed = rounds.call(-1).await;
        assert!(matches!(failed, Err(StoreError::Shared(_))), "{failed:?}");
        assert!(
            matches!(panicked, Err(StoreError::Corrupt(_))),
            "{panicked:?}"
        );
        assert_eq!(rounds.call(21).await.unwrap(), 42);
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_round_times_out_and_the_next_one_runs() {
        let rounds = doubling(Arc::new(Mutex::new(Vec::new())));
        let stalled = rounds.call(-3).await;
        assert!(matches!(stalled, Err(StoreError::TimedOut)), "{stalled:?}");
        assert_eq!(rounds.call(4).await.unwrap(), 8);
    }
}
