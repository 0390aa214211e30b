//! Usage per installation: tokens issued, token requests denied, AuthZEN
//! evaluations, last token time — per day. Counted in memory on the request
//! path (no database write per token) and added to the stored totals every
//! flush interval and at a clean shutdown; a process killed with `kill -9`
//! loses at most one interval of its own counts.
//!
//! Hourly quotas ride on the same counts: tokens per installation and clock
//! hour are flushed too, and a replica admits a token while what it knows of
//! the hour — its own tokens exactly, other replicas' as of their last flush —
//! stays under the quota.

use crate::clock::Clock;
use crate::store::{HourlyRow, LegacyUse, Store, StoreResult, UsageRow};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;

/// Counts per key (an installation or a legacy client) and day.
type PerDay = HashMap<String, BTreeMap<i64, Counts>>;

/// One installation's tokens in the current clock hour.
#[derive(Clone, Copy, Debug, Default)]
struct Hour {
    hour: i64,
    /// Admitted here and not flushed yet.
    unflushed: i64,
    /// The stored total for the hour (every replica's flushes) when last read.
    stored: i64,
    /// Whether `stored` was read for this hour (only installations with a quota).
    known: bool,
}

/// The quota is used up: seconds until the next clock hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaExceeded {
    pub retry_after: u64,
}

/// What one installation (or legacy client) did on one day, not yet flushed.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    tokens: i64,
    denied: i64,
    evaluations: i64,
    decisions_reused: i64,
    last_token_at: Option<i64>,
}

pub struct Usage {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    /// installation id → day → counts.
    pending: Mutex<PerDay>,
    /// installation id → this hour's tokens.
    hours: Mutex<HashMap<String, Hour>>,
    /// Legacy client id → day → counts (`tokens`: uses, `last_token_at`: last use).
    legacy: Mutex<PerDay>,
    /// Legacy clients warned today (day, client id): one audit record a day each.
    warned: Mutex<std::collections::HashSet<(i64, String)>>,
    /// One flush at a time, so a shutdown flush waits for a periodic one.
    flushing: tokio::sync::Mutex<()>,
}

impl Usage {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Arc<Usage> {
        Arc::new(Usage {
            store,
            clock,
            pending: Mutex::new(HashMap::new()),
            hours: Mutex::new(HashMap::new()),
            legacy: Mutex::new(HashMap::new()),
            warned: Mutex::new(Default::default()),
            flushing: tokio::sync::Mutex::new(()),
        })
    }

    /// Adds to today's counts of `key` in `map`.
    fn count(&self, map: &Mutex<PerDay>, key: &str, add: impl FnOnce(&mut Counts, i64)) {
        let now = self.clock.now();
        let mut map = map.lock().expect("usage counts");
        let days = match map.get_mut(key) {
            Some(days) => days,
            None => map.entry(key.to_string()).or_default(),
        };
        add(days.entry(now.div_euclid(DAY)).or_default(), now);
    }

    /// Takes one token of the installation's hourly `quota` (released again
    /// if the token is not issued). The first token of an hour on this
    /// replica reads the hour's stored total once; later ones read nothing.
    pub async fn admit(&self, installation: &str, quota: i64) -> Result<(), QuotaExceeded> {
        let now = self.clock.now();
        let hour = now.div_euclid(HOUR);
        let retry_after = (HOUR - now.rem_euclid(HOUR)) as u64;
        let known = self
            .hours
            .lock()
            .expect("hourly counts")
            .get(installation)
            .is_some_and(|h| h.hour == hour && h.known);
        let stored = if known {
            None
        } else {
            // A database that cannot answer leaves the replica on its own counts.
            self.store
                .hourly_tokens(installation, hour)
                .await
                .inspect_err(
                    |e| tracing::warn!(error = %e, "cannot read an installation's hourly tokens"),
                )
                .ok()
        };
        let mut hours = self.hours.lock().expect("hourly counts");
        let h = Self::this_hour(&mut hours, installation, hour);
        if let Some(stored) = stored {
            h.stored = h.stored.max(stored);
            h.known = true;
        }
        if h.stored + h.unflushed >= quota {
            return Err(QuotaExceeded { retry_after });
        }
        h.unflushed += 1;
        Ok(())
    }

    /// Gives back a token `admit` took whose request then failed.
    pub fn release(&self, installation: &str) {
        let hour = self.clock.now().div_euclid(HOUR);
        let mut hours = self.hours.lock().expect("hourly counts");
        if let Some(h) = hours.get_mut(installation)
            && h.hour == hour
            && h.unflushed > 0
        {
            h.unflushed -= 1;
        }
    }

    fn this_hour<'a>(
        hours: &'a mut HashMap<String, Hour>,
        installation: &str,
        hour: i64,
    ) -> &'a mut Hour {
        if !hours.contains_key(installation) {
            hours.insert(installation.to_string(), Hour::default());
        }
        let h = hours.get_mut(installation).expect("inserted above");
        if h.hour != hour {
            *h = Hour {
                hour,
                ..Hour::default()
            };
        }
        h
    }

    /// A legacy client asked for a token.
    pub fn legacy_used(&self, client_id: &str) {
        self.count(&self.legacy, client_id, |c, now| {
            c.tokens += 1;
            c.last_token_at = Some(now);
        });
    }

    /// True the first time today (on this replica) a legacy client is warned.
    pub fn first_warning_today(&self, client_id: &str) -> bool {
        let today = self.clock.now().div_euclid(DAY);
        let mut warned = self.warned.lock().expect("legacy warnings");
        warned.retain(|(day, _)| *day == today);
        warned.insert((today, client_id.to_string()))
    }

    fn take_legacy(&self) -> Vec<LegacyUse> {
        let pending = std::mem::take(&mut *self.legacy.lock().expect("usage counts"));
        pending
            .into_iter()
            .flat_map(|(client_id, days)| {
                days.into_iter().map(move |(day, c)| LegacyUse {
                    client_id: client_id.clone(),
                    day,
                    uses: c.tokens,
                    last_used_at: c.last_token_at,
                })
            })
            .collect()
    }

    /// Legacy clients' uses since `since_day`: stored plus this replica's
    /// unflushed ones, summed per client as (uses, last use).
    pub async fn legacy_report(
        &self,
        since_day: i64,
    ) -> StoreResult<HashMap<String, (i64, Option<i64>)>> {
        let mut out: HashMap<String, (i64, Option<i64>)> = HashMap::new();
        for u in self.store.legacy_uses(since_day).await? {
            let e = out.entry(u.client_id).or_default();
            e.0 += u.uses;
            e.1 = e.1.max(u.last_used_at);
        }
        for (client, days) in self.legacy.lock().expect("usage counts").iter() {
            for c in days.range(since_day..).map(|(_, c)| c) {
                let e = out.entry(client.clone()).or_default();
                e.0 += c.tokens;
                e.1 = e.1.max(c.last_token_at);
            }
        }
        Ok(out)
    }

    pub fn token_issued(&self, installation: &str) {
        self.count(&self.pending, installation, |c, now| {
            c.tokens += 1;
            c.last_token_at = Some(now);
        });
    }

    pub fn token_denied(&self, installation: &str) {
        self.count(&self.pending, installation, |c, _| c.denied += 1);
    }

    pub fn evaluated(&self, installation: &str) {
        self.count(&self.pending, installation, |c, _| c.evaluations += 1);
    }

    /// A decision about the installation answered without a plugin call.
    pub fn decision_reused(&self, installation: &str) {
        self.count(&self.pending, installation, |c, _| c.decisions_reused += 1);
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
                    decisions_reused: c.decisions_reused,
                    last_token_at: c.last_token_at,
                })
            })
            .collect()
    }

    /// This hour's unflushed tokens, now counted as stored (the flush adds
    /// them to the database); installations with a quota read the hour's
    /// total back after the flush.
    fn take_hours(&self) -> Vec<HourlyRow> {
        let mut hours = self.hours.lock().expect("hourly counts");
        let current = self.clock.now().div_euclid(HOUR);
        hours.retain(|_, h| h.hour >= current - 1);
        hours
            .iter_mut()
            .filter(|(_, h)| h.unflushed > 0)
            .map(|(id, h)| {
                let tokens = std::mem::take(&mut h.unflushed);
                h.stored += tokens;
                HourlyRow {
                    installation_id: id.clone(),
                    hour: h.hour,
                    tokens,
                }
            })
            .collect()
    }

    /// Adds what was counted since the last flush to the stored totals, then
    /// refreshes what this replica knows of other replicas' hourly tokens.
    /// On failure the counts are kept for the next attempt.
    pub async fn flush(&self) -> StoreResult<()> {
        let _one = self.flushing.lock().await;
        let rows = self.take();
        let hours = self.take_hours();
        if (!rows.is_empty() || !hours.is_empty())
            && let Err(e) = self.store.add_usage(&rows, &hours).await
        {
            self.put_back(rows, hours);
            return Err(e);
        }
        let legacy = self.take_legacy();
        if !legacy.is_empty()
            && let Err(e) = self.store.add_legacy_use(&legacy).await
        {
            let mut pending = self.legacy.lock().expect("usage counts");
            for u in legacy {
                let c = pending
                    .entry(u.client_id)
                    .or_default()
                    .entry(u.day)
                    .or_default();
                c.tokens += u.uses;
                c.last_token_at = c.last_token_at.max(u.last_used_at);
            }
            return Err(e);
        }
        let quota_holders: Vec<(String, i64)> = self
            .hours
            .lock()
            .expect("hourly counts")
            .iter()
            .filter(|(_, h)| h.known)
            .map(|(id, h)| (id.clone(), h.hour))
            .collect();
        for (id, hour) in quota_holders {
            let stored = self.store.hourly_tokens(&id, hour).await?;
            if let Some(h) = self.hours.lock().expect("hourly counts").get_mut(&id)
                && h.hour == hour
            {
                h.stored = h.stored.max(stored);
            }
        }
        Ok(())
    }

    /// Counts whose flush failed wait for the next one.
    fn put_back(&self, rows: Vec<UsageRow>, hours: Vec<HourlyRow>) {
        {
            let mut pending_hours = self.hours.lock().expect("hourly counts");
            for r in hours {
                if let Some(h) = pending_hours.get_mut(&r.installation_id)
                    && h.hour == r.hour
                {
                    h.unflushed += r.tokens;
                    h.stored -= r.tokens;
                }
            }
        }
        {
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
                c.decisions_reused += r.decisions_reused;
                c.last_token_at = c.last_token_at.max(r.last_token_at);
            }
        }
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
    pub async fn report(&self, installation: &str, days: i64) -> StoreResult<UsageReport> {
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
                r.decisions_reused += c.decisions_reused;
                r.last_token_at = r.last_token_at.max(c.last_token_at);
            }
        }
        Ok(rows.into_values().collect())
    }
}

/// Most days a usage report covers.
pub const MAX_DAYS: i64 = 366;

/// The report's JSON: one entry per day, oldest first, and totals.
/// An installation's use, day by day (UTC) and in total.
#[derive(Debug, serde::Serialize)]
pub struct UsageReport {
    pub installation: String,
    /// Oldest first, every day listed.
    pub days: Vec<UsageDay>,
    pub totals: UsageTotals,
    pub last_token_at: Option<i64>,
}

#[derive(Debug, serde::Serialize)]
pub struct UsageDay {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub tokens: i64,
    /// Token requests refused (quota, suspension, policy).
    pub denied: i64,
    /// AuthZEN evaluations answered.
    pub evaluations: i64,
    /// Token and permission decisions the tenant's plugins let the server
    /// reuse, answered without calling them (`cache-for`).
    pub decisions_reused: i64,
}

#[derive(Debug, serde::Serialize)]
pub struct UsageTotals {
    pub tokens: i64,
    pub denied: i64,
    pub evaluations: i64,
    pub decisions_reused: i64,
}

fn by_day(installation: &str, rows: Vec<UsageRow>, today: i64, days: i64) -> UsageReport {
    let first = today - days.max(1) + 1;
    let mut rows = rows.into_iter().peekable();
    let mut list = Vec::new();
    let (mut tokens, mut denied, mut evaluations, mut last) = (0, 0, 0, None);
    let mut decisions_reused = 0;
    for day in first..=today {
        let r = match rows.peek() {
            Some(r) if r.day == day => rows.next().unwrap_or_default(),
            _ => UsageRow::default(),
        };
        tokens += r.tokens;
        denied += r.denied;
        evaluations += r.evaluations;
        decisions_reused += r.decisions_reused;
        last = last.max(r.last_token_at);
        let (y, m, d) = crate::clock::civil_from_days(day);
        list.push(UsageDay {
            date: format!("{y:04}-{m:02}-{d:02}"),
            tokens: r.tokens,
            denied: r.denied,
            evaluations: r.evaluations,
            decisions_reused: r.decisions_reused,
        });
    }
    UsageReport {
        installation: installation.to_string(),
        days: list,
        totals: UsageTotals {
            tokens,
            denied,
            evaluations,
            decisions_reused,
        },
        last_token_at: last,
    }
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
            decisions_reused: 0,
            last_token_at: last,
        };
        let v = serde_json::json!(by_day(
            "in_1",
            vec![row(20_000, 5, Some(7)), row(20_002, 2, Some(9))],
            20_002,
            3,
        ));
        let days = v["days"].as_array().unwrap();
        assert_eq!(days.len(), 3);
        assert_eq!(days[0]["date"], "2024-10-04");
        assert_eq!(days[1]["tokens"], 0);
        assert_eq!(v["totals"]["tokens"], 7);
        assert_eq!(v["totals"]["denied"], 2);
        assert_eq!(v["last_token_at"], 9);
    }
}
