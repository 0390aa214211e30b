//! Decisions a plugin lets the host reuse (`cache-for` in `warden:plugin@0.3.0`).
//!
//! An entry is keyed by the binding that decided (a number given to each
//! loaded `BoundPlugin`, so rebinding, a new configuration or a reloaded
//! tenant never meets an old entry) and a SHA-256 of every input field the
//! plugin saw except the per-request ones (the WIT documents which), plus the
//! installation's change counters. The cache is bounded in entries and
//! bytes; the least recently used entries go first, so a flood of distinct
//! inputs costs plugin calls, never unbounded memory.

use super::installation::InstallationInfo;
use super::{BoundPlugin, Hook, PluginError, PluginHost};
use hashlink::LruCache;
use ring::digest::{Context, SHA256};
use std::any::Any;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Shards cut lock contention between cores; each holds a share of the bounds.
const SHARDS: usize = 16;

/// What one entry costs beyond its decision: key, links, expiry, map slot.
const ENTRY_OVERHEAD: usize = 160;

/// The operator's bounds and the default cap on `cache-for`.
#[derive(Clone, Copy, Debug)]
pub struct CacheOptions {
    pub max_entries: usize,
    pub max_bytes: usize,
    /// The longest a decision is reused when the tenant sets no cap.
    pub max_age: Duration,
}

impl Default for CacheOptions {
    fn default() -> Self {
        CacheOptions {
            max_entries: 100_000,
            max_bytes: 64 << 20,
            max_age: Duration::from_secs(300),
        }
    }
}

/// A decision the host keeps, as enforced (never the plugin's raw answer):
/// any hook's, so the cache knows no hook's types (each hook's module says
/// how its decisions are kept, with `Reusable`).
#[derive(Clone)]
pub struct Cached {
    decision: Arc<dyn Any + Send + Sync>,
    /// About what the decision holds on the heap.
    heap: usize,
}

impl Cached {
    pub fn new<T: Any + Send + Sync>(decision: T, heap: usize) -> Cached {
        Cached {
            decision: Arc::new(decision),
            heap,
        }
    }

    /// The decision, if it is a `T` (keys of different hooks never meet,
    /// but a wrong type reads as a miss, never as a wrong answer).
    fn get<T: Any + Clone>(&self) -> Option<T> {
        self.decision.downcast_ref::<T>().cloned()
    }
}

/// A decision of a hook whose plugins may let the host reuse it.
pub trait Reusable: Clone + Send + Sync + 'static {
    const HOOK: Hook;
    /// About what the decision holds on the heap, for the cache's bound.
    fn heap_size(&self) -> usize;
}

impl PluginHost {
    /// The one rule of reuse for every hook: a live decision kept for `key`
    /// (then `true`), else `call` — whose answer is kept for the `cache-for`
    /// it gave, at most the tenant's `cap` (the operator's when it set none).
    /// Until a binding's plugin first answers with a `cache-for`, its calls
    /// skip computing the key.
    pub(super) async fn reused_or_called<T, Fut>(
        &self,
        bound: &BoundPlugin,
        cap: Option<Duration>,
        key: impl Fn() -> Key,
        call: impl FnOnce() -> Fut,
    ) -> Result<(T, bool), PluginError>
    where
        T: Reusable,
        Fut: std::future::Future<Output = Result<(T, u32), PluginError>>,
    {
        let hold = cap.unwrap_or(self.decisions.options().max_age);
        let looked_up = (!hold.is_zero() && bound.reuses.load(Ordering::Relaxed)).then(&key);
        let kept = looked_up.as_ref().and_then(|k| self.decisions.get(k));
        if let Some(d) = kept.and_then(|c| c.get::<T>()) {
            crate::metrics::plugin_decision_reused(T::HOOK.as_str());
            return Ok((d, true));
        }
        let (decision, cache_for) = call().await?;
        if cache_for > 0 && !hold.is_zero() {
            bound.reuses.store(true, Ordering::Relaxed);
            let hold = hold.min(Duration::from_secs(cache_for.into()));
            let key = looked_up.unwrap_or_else(key);
            let heap = decision.heap_size();
            self.decisions
                .put(key, Cached::new(decision.clone(), heap), hold);
        }
        Ok((decision, false))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    binding: u64,
    digest: [u8; 32],
}

struct Entry {
    decision: Cached,
    expires: Instant,
    bytes: usize,
}

#[derive(Default)]
struct Shard {
    map: Option<LruCache<Key, Entry>>,
    bytes: usize,
}

pub struct DecisionCache {
    shards: Box<[Mutex<Shard>]>,
    options: CacheOptions,
    entries: AtomicU64,
    bytes: AtomicU64,
}

/// What `/metrics` shows of the cache.
#[derive(Clone, Copy, Debug)]
pub struct CacheUse {
    pub entries: u64,
    pub bytes: u64,
}

/// A number for each loaded binding: entries of an older load never match.
pub fn next_binding_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl DecisionCache {
    pub fn new(options: CacheOptions) -> DecisionCache {
        DecisionCache {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            options,
            entries: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
        }
    }

    pub fn options(&self) -> CacheOptions {
        self.options
    }

    pub fn usage(&self) -> CacheUse {
        CacheUse {
            entries: self.entries.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
        }
    }

    fn shard(&self, key: &Key) -> &Mutex<Shard> {
        &self.shards[usize::from(key.digest[0]) % SHARDS]
    }

    /// A live decision for `key`, if one was kept.
    pub fn get(&self, key: &Key) -> Option<Cached> {
        let mut shard = self.shard(key).lock().expect("decision cache");
        let map = shard.map.as_mut()?;
        let entry = map.get(key)?;
        if entry.expires > Instant::now() {
            return Some(entry.decision.clone());
        }
        let gone = map.remove(key).map_or(0, |e| e.bytes);
        shard.bytes -= gone;
        drop(shard);
        self.entries.fetch_sub(1, Ordering::Relaxed);
        self.bytes.fetch_sub(gone as u64, Ordering::Relaxed);
        None
    }

    /// Keeps `decision` for `hold`, evicting the least recently used
    /// entries beyond the bounds. A decision bigger than a shard's share of
    /// the bytes is not kept.
    pub fn put(&self, key: Key, decision: Cached, hold: Duration) {
        let bytes = ENTRY_OVERHEAD + decision.heap;
        let max_entries = self.options.max_entries.div_ceil(SHARDS);
        let max_bytes = self.options.max_bytes / SHARDS;
        if hold.is_zero() || max_entries == 0 || bytes > max_bytes {
            return;
        }
        let entry = Entry {
            decision,
            expires: Instant::now() + hold,
            bytes,
        };
        let (mut entries, mut size) = (1i64, bytes as i64);
        {
            let mut guard = self.shard(&key).lock().expect("decision cache");
            let shard = &mut *guard;
            let map = shard.map.get_or_insert_with(LruCache::new_unbounded);
            if let Some(old) = map.insert(key, entry) {
                entries -= 1;
                size -= old.bytes as i64;
                shard.bytes -= old.bytes;
            }
            shard.bytes += bytes;
            while map.len() > max_entries || shard.bytes > max_bytes {
                let Some((_, out)) = map.remove_lru() else {
                    break;
                };
                shard.bytes -= out.bytes;
                entries -= 1;
                size -= out.bytes as i64;
            }
        }
        add(&self.entries, entries);
        add(&self.bytes, size);
    }
}

fn add(counter: &AtomicU64, delta: i64) {
    if delta >= 0 {
        counter.fetch_add(delta as u64, Ordering::Relaxed);
    } else {
        counter.fetch_sub(delta.unsigned_abs(), Ordering::Relaxed);
    }
}

/// Feeds fields into the key's hash: each one length-prefixed, so that no
/// two different inputs write the same bytes.
pub(super) struct KeyHash(Context);

impl KeyHash {
    pub(super) fn new(hook: &str) -> KeyHash {
        let mut h = KeyHash(Context::new(&SHA256));
        h.str(hook);
        h
    }

    fn bytes(&mut self, b: &[u8]) {
        self.0.update(&(b.len() as u64).to_le_bytes());
        self.0.update(b);
    }

    pub(super) fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    pub(super) fn num(&mut self, n: i64) {
        self.0.update(&n.to_le_bytes());
    }

    pub(super) fn list(&mut self, l: &[String]) {
        self.num(l.len() as i64);
        for s in l {
            self.str(s);
        }
    }

    pub(super) fn installation(
        &mut self,
        i: Option<&InstallationInfo>,
        state: Option<InstallationState>,
    ) {
        let Some(i) = i else {
            return self.num(-1);
        };
        self.str(&i.id);
        self.str(&i.app);
        self.num(i64::from(i.version));
        self.str(&i.service_account);
        self.str(&i.service_account_name);
        self.list(&i.permissions);
        self.str(&serde_json::to_string(&i.resources).unwrap_or_default());
        let s = state.unwrap_or_default();
        self.num(s.sequence);
        self.num(s.revision);
        self.num(i64::from(s.suspended));
        self.num(i64::from(s.uninstalled));
    }

    pub(super) fn finish(self, binding: u64) -> Key {
        let mut digest = [0u8; 32];
        digest.copy_from_slice(self.0.finish().as_ref());
        Key { binding, digest }
    }
}

/// What the host knows of an installation beyond what the plugin sees:
/// every change to it bumps one of these, and so misses the cache.
#[derive(Clone, Copy, Debug, Default)]
pub struct InstallationState {
    pub sequence: i64,
    pub revision: i64,
    pub suspended: bool,
    pub uninstalled: bool,
}

impl From<&crate::domain::installation::Installation> for InstallationState {
    fn from(i: &crate::domain::installation::Installation) -> Self {
        InstallationState {
            sequence: i.sequence,
            revision: i.revision,
            suspended: i.suspended_by.is_some(),
            uninstalled: i.uninstalled_at.is_some(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deny(text: &str) -> Cached {
        Cached::new(text.to_string(), text.len())
    }

    fn key(n: u64) -> Key {
        let mut h = KeyHash::new("test");
        h.num(n as i64);
        h.finish(1)
    }

    #[test]
    fn a_flood_of_distinct_inputs_stays_within_the_bounds() {
        let cache = DecisionCache::new(CacheOptions {
            max_entries: 1_000,
            max_bytes: 1 << 30,
            max_age: Duration::from_secs(60),
        });
        for n in 0..1_000_000 {
            cache.put(key(n), deny("no"), Duration::from_secs(60));
        }
        let used = cache.usage();
        assert!(used.entries <= 1_000 + SHARDS as u64, "{used:?}");
        // The newest are kept, the oldest went first.
        assert!(cache.get(&key(999_999)).is_some());
        assert!(cache.get(&key(0)).is_none());

        let cache = DecisionCache::new(CacheOptions {
            max_entries: 1_000_000,
            max_bytes: 1 << 20,
            max_age: Duration::from_secs(60),
        });
        let long = "x".repeat(500);
        for n in 0..100_000 {
            cache.put(key(n), deny(&long), Duration::from_secs(60));
        }
        assert!(cache.usage().bytes <= 1 << 20, "{:?}", cache.usage());
    }

    #[test]
    fn entries_expire_and_zero_holds_nothing() {
        let cache = DecisionCache::new(CacheOptions::default());
        cache.put(key(1), deny("a"), Duration::ZERO);
        assert!(cache.get(&key(1)).is_none());
        cache.put(key(2), deny("b"), Duration::from_millis(20));
        assert!(cache.get(&key(2)).is_some());
        std::thread::sleep(Duration::from_millis(30));
        assert!(cache.get(&key(2)).is_none());
        assert_eq!(cache.usage().entries, 0);
        assert_eq!(cache.usage().bytes, 0);
    }

    #[test]
    fn fields_do_not_run_into_each_other() {
        let mut a = KeyHash::new("h");
        a.str("ab");
        a.str("c");
        let mut b = KeyHash::new("h");
        b.str("a");
        b.str("bc");
        assert_ne!(a.finish(1), b.finish(1));
        let mut c = KeyHash::new("h");
        c.str("ab");
        assert_ne!(c.finish(1), {
            let mut d = KeyHash::new("h");
            d.str("ab");
            d.finish(2)
        });
    }
}
