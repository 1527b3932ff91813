//! Sharing what was parsed from equal text. Every node's `CLUSTER NODES` describes every
//! node, so a cluster of n nodes gives n² lines that are mostly the same n lines: parsed
//! once and shared, the views of a 1000-node cluster take megabytes, not gigabytes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

/// Text → the value parsed from it, while anything still holds that value. Values are
/// held weakly: the table never keeps one alive, and dead keys are swept as it grows.
pub(crate) struct Interner<T> {
    table: Mutex<Option<Table<T>>>,
}

struct Table<T> {
    map: HashMap<Box<str>, Weak<T>>,
    /// Size at which dead keys are swept next.
    sweep_at: usize,
}

/// Keys kept before the first sweep.
const FIRST_SWEEP: usize = 1024;

impl<T> Interner<T> {
    pub(crate) const fn new() -> Interner<T> {
        Interner {
            table: Mutex::new(None),
        }
    }

    /// The live value parsed from `key`, if any.
    pub(crate) fn get(&self, key: &str) -> Option<Arc<T>> {
        let guard = self.table.lock().ok()?;
        guard.as_ref()?.map.get(key)?.upgrade()
    }

    /// Shares `value` under `key` from now on.
    pub(crate) fn insert(&self, key: &str, value: &Arc<T>) {
        let Ok(mut guard) = self.table.lock() else {
            return; // poisoned: values are still correct, just not shared
        };
        let table = guard.get_or_insert_with(|| Table {
            map: HashMap::new(),
            sweep_at: FIRST_SWEEP,
        });
        if table.map.len() >= table.sweep_at {
            table.map.retain(|_, w| w.strong_count() > 0);
            // Amortized: the next sweep waits until the table doubles again.
            table.sweep_at = (table.map.len() * 2).max(FIRST_SWEEP);
        }
        table.map.insert(key.into(), Arc::downgrade(value));
    }

    /// The live value for `key`, else what `build` makes (shared from now on). `build`
    /// runs without the table locked; its errors are passed through.
    pub(crate) fn get_or_try_insert<E>(
        &self,
        key: &str,
        build: impl FnOnce() -> Result<T, E>,
    ) -> Result<Arc<T>, E> {
        if let Some(found) = self.get(key) {
            return Ok(found);
        }
        let value = Arc::new(build()?);
        self.insert(key, &value);
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_keys_share_while_alive() {
        static T: Interner<String> = Interner::new();
        let a = T
            .get_or_try_insert("k", || Ok::<_, ()>("v".to_string()))
            .unwrap();
        let b = T
            .get_or_try_insert("k", || Err("must not build twice"))
            .unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        drop((a, b));
        assert!(T.get("k").is_none());
        assert_eq!(
            T.get_or_try_insert("k", || Err::<String, _>("built")),
            Err("built")
        );
    }

    #[test]
    fn sweeps_dead_keys_and_keeps_live_ones() {
        static T: Interner<usize> = Interner::new();
        let live: Vec<Arc<usize>> = (0..10)
            .map(|i| {
                T.get_or_try_insert(&format!("live{i}"), || Ok::<_, ()>(i))
                    .unwrap()
            })
            .collect();
        for i in 0..5 * FIRST_SWEEP {
            T.get_or_try_insert(&format!("dead{i}"), || Ok::<_, ()>(i))
                .unwrap();
        }
        let guard = T.table.lock().unwrap();
        let table = guard.as_ref().unwrap();
        assert!(
            table.map.len() < 2 * FIRST_SWEEP + 10,
            "{}",
            table.map.len()
        );
        drop(guard);
        for (i, v) in live.iter().enumerate() {
            assert!(Arc::ptr_eq(v, &T.get(&format!("live{i}")).unwrap()));
        }
    }
}
