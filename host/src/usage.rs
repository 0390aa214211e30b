//! Usage per installation: tokens issued, token requests denied, AuthZEN
//! evaluations, last token time — per day. Counted in memory on the request
//! path (no database write per token) and added to the stored totals every
//! flush interval and at a clean shutdown; a process killed with `kill -9`
//! loses at most one interval of its own counts.

use crate::clock::Clock;
use crate::store::{Store, StoreResult, UsageRow};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const DAY: i64 = 86_400;

/// What one installation did on one day, not yet flushed.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    tokens: i64,
    denied: i64,
    evaluations: i64,
    last_token_at: Option<i64>,
}

pub struct Usage {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    /// installation id → day → counts.
    pending: Mutex<HashMap<String, BTreeMap<i64, Counts>>>,
    /// One flush at a time, so a shutdown flush waits for a periodic one.
    flushing: tokio::sync::Mutex<()>,
}

impl Usage {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Arc<Usage> {
        Arc::new(Usage {
            store,
            clock,
            pending: Mutex::new(HashMap::new()),
            flushing: tokio::sync::Mutex::new(()),
        })
    }

    fn count(&self, installation: &str, add: impl FnOnce(&mut Counts, i64)) {
        let now = self.clock.now();
        let mut pending = self.pending.lock().expect("usage counts");
        let days = match pending.get_mut(installation) {
            Some(days) => days,
            None => pending.entry(installation.to_string()).or_default(),
        };
        add(days.entry(now.div_euclid(DAY)).or_default(), now);
    }

    pub fn token_issued(&self, installation: &str) {
        self.count(installation, |c, now| {
            c.tokens += 1;
            c.last_token_at = Some(now);
        });
    }

    pub fn token_denied(&self, installation: &str) {
        self.count(installation, |c, _| c.denied += 1);
    }

    pub fn evaluated(&self, installation: &str) {
        self.count(installation, |c, _| c.evaluations += 1);
    }

    fn take(&self) -> Vec<UsageRow> {
        let pending = std::mem::take(&mut *self.pending.lock().expect("usage counts"));
        pending
            .into_iter()
            .flat_map(|(installation_id, days)| {
                days.into_iter().map(move |(day, c)| UsageRow {
                    installation_id: installation_id.clone(),
                    day,
                    tokens: c.tokens,
                    denied: c.denied,
                    evaluations: c.evaluations,
                    last_token_at: c.last_token_at,
                })
            })
            .collect()
    }

    /// Adds what was counted since the last flush to the stored totals. On
    /// failure the counts are kept for the next attempt.
    pub async fn flush(&self) -> StoreResult<()> {
        let _one = self.flushing.lock().await;
        let rows = self.take();
        if rows.is_empty() {
            return Ok(());
        }
        if let Err(e) = self.store.add_usage(&rows).await {
            let mut pending = self.pending.lock().expect("usage counts");
            for r in rows {
                let c = pending
                    .entry(r.installation_id)
                    .or_default()
                    .entry(r.day)
                    .or_default();
                c.tokens += r.tokens;
                c.denied += r.denied;
                c.evaluations += r.evaluations;
                c.last_token_at = c.last_token_at.max(r.last_token_at);
            }
            return Err(e);
        }
        Ok(())
    }

    /// Flushes every `every` for as long as the process runs.
    pub fn spawn(self: &Arc<Self>, every: Duration) {
        let me = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = me.flush().await {
                    tracing::warn!(error = %e, "cannot store installation usage; will retry");
                }
            }
        });
    }

    /// An installation's usage for the last `days` days (today included),
    /// every day listed: the stored totals plus what this replica has not
    /// flushed yet (other replicas' counts arrive within their flush interval).
    pub async fn report(&self, installation: &str, days: i64) -> StoreResult<serde_json::Value> {
        let today = self.clock.now().div_euclid(DAY);
        let rows = self.rows(installation, today, days).await?;
        Ok(by_day(installation, rows, today, days))
    }

    async fn rows(&self, installation: &str, today: i64, days: i64) -> StoreResult<Vec<UsageRow>> {
        let since = today - days.max(1) + 1;
        let mut rows: BTreeMap<i64, UsageRow> = self
            .store
            .usage(installation, since)
            .await?
            .into_iter()
            .map(|r| (r.day, r))
            .collect();
        if let Some(pending) = self.pending.lock().expect("usage counts").get(installation) {
            for (day, c) in pending.range(since..) {
                let r = rows.entry(*day).or_insert_with(|| UsageRow {
                    installation_id: installation.into(),
                    day: *day,
                    ..Default::default()
                });
                r.tokens += c.tokens;
                r.denied += c.denied;
                r.evaluations += c.evaluations;
                r.last_token_at = r.last_token_at.max(c.last_token_at);
            }
        }
        Ok(rows.into_values().collect())
    }
}

/// Most days a usage report covers.
pub const MAX_DAYS: i64 = 366;

/// The report's JSON: one entry per day, oldest first, and totals.
fn by_day(installation: &str, rows: Vec<UsageRow>, today: i64, days: i64) -> serde_json::Value {
    let first = today - days.max(1) + 1;
    let mut rows = rows.into_iter().peekable();
    let mut list = Vec::new();
    let (mut tokens, mut denied, mut evaluations, mut last) = (0, 0, 0, None);
    for day in first..=today {
        let r = match rows.peek() {
            Some(r) if r.day == day => rows.next().unwrap_or_default(),
            _ => UsageRow::default(),
        };
        tokens += r.tokens;
        denied += r.denied;
        evaluations += r.evaluations;
        last = last.max(r.last_token_at);
        let (y, m, d) = crate::clock::civil_from_days(day);
        list.push(serde_json::json!({
            "date": format!("{y:04}-{m:02}-{d:02}"),
            "tokens": r.tokens, "denied": r.denied, "evaluations": r.evaluations,
        }));
    }
    serde_json::json!({
        "installation": installation,
        "days": list,
        "totals": {"tokens": tokens, "denied": denied, "evaluations": evaluations},
        "last_token_at": last,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_lists_every_day_and_adds_them_up() {
        let row = |day, tokens, last| UsageRow {
            installation_id: "in_1".into(),
            day,
            tokens,
            denied: 1,
            evaluations: 0,
            last_token_at: last,
        };
        let v = by_day(
            "in_1",
            vec![row(20_000, 5, Some(7)), row(20_002, 2, Some(9))],
            20_002,
            3,
        );
        let days = v["days"].as_array().unwrap();
        assert_eq!(days.len(), 3);
        assert_eq!(days[0]["date"], "2024-10-04");
        assert_eq!(days[1]["tokens"], 0);
        assert_eq!(v["totals"]["tokens"], 7);
        assert_eq!(v["totals"]["denied"], 2);
        assert_eq!(v["last_token_at"], 9);
    }
}
