//! The relay: trib copies a batch itself (steps 1-2 of the hand-off, see the parent
//! module) instead of having the source `MIGRATE` it.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use redis::Value;

use super::{Copied, Handoff, Lane, protocol};
use crate::cluster::commands::cmd;
use crate::cluster::{NodeError, ServerError};
use crate::model::info::Info;
use crate::ops::migrate::classic::keys::SlotKeys;
use crate::ops::migrate::classic::pace::Pace;
use crate::ops::migrate::classic::route::Route;

/// A key as its source's `DUMP` and `PTTL` gave it.
struct Dumped<'g> {
    key: &'g Vec<u8>,
    /// Milliseconds left, 0 for none.
    ttl: u64,
    payload: Vec<u8>,
}

/// `RESTORE`'s TTL for a key of `PTTL` `pttl`: -1 (none) is 0; a key about to expire
/// keeps 1 ms, as `MIGRATE` gives it (0 would mean none).
fn restore_ttl(pttl: i64) -> u64 {
    if pttl < 0 { 0 } else { pttl.max(1) as u64 }
}

/// Whether a `DUMP` payload comes out byte for byte the same from any server holding the
/// same value: every type but the hash-table encodings of sets and hashes (RDB types 2
/// and 4), whose order depends on the server's hash seed, and module types (6, 7).
pub(super) fn dump_is_canonical(payload: &[u8]) -> bool {
    !matches!(payload.first(), Some(2 | 4 | 6 | 7) | None)
}

/// A key the source no longer has: `ASK` (a migrating source sends the client on).
fn gone(e: &NodeError) -> bool {
    matches!(e.server(), Some(ServerError::Ask { .. }))
}

impl Handoff {
    /// Steps 1-2 through trib: on the source, `WATCH` each slot's keys, `DUMP` and `PTTL`
    /// each; on the target, `RESTORE-ASKING` each key found, `WATCH` the copies (and its
    /// offset, with replicas). The source serializes while other batches restore on the
    /// target, where a `MIGRATE` would hold it until the target answered. Keys gone from
    /// the source meanwhile are left out; a slot whose keys cannot all be watched (one
    /// vanished: `TRYAGAIN`) copies nothing this time and is listed again.
    ///
    /// While the source holds no key with a time to live, `PTTL` is left out: an `INFO
    /// keyspace` after the `DUMP`s says whether that still holds. If it shows `expires=0`,
    /// no key dumped had one then; a key given one since is watched (the delete is
    /// refused). Else the batch asks `PTTL` after all, and so do the next ones.
    pub(super) async fn relay_copy<'g>(
        &self,
        route: &Route<'_>,
        pace: &Pace,
        lane: &Lane,
        group: &'g [SlotKeys],
        deadline: Duration,
    ) -> Result<Copied<'g>, NodeError> {
        let ttls = self.ttls.load(Ordering::Relaxed);
        let mut pipe = redis::pipe();
        for (_, keys) in group {
            // The source owns the slot: a key it still has is served, without ASKING.
            let mut watch = redis::cmd("WATCH");
            for k in keys {
                watch.arg(k.as_slice());
            }
            pipe.add_command(watch);
            for k in keys {
                pipe.cmd("DUMP").arg(k.as_slice());
                if ttls {
                    pipe.cmd("PTTL").arg(k.as_slice());
                }
            }
        }
        if !ttls {
            pipe.cmd("INFO").arg("keyspace");
        }
        let keys: usize = group.iter().map(|(_, k)| k.len()).sum();
        // Each node's gate is charged that node's own measured time (until measured, the
        // pair's pace: the slower side's).
        let permit = route
            .gate
            .enter_source(self.dumps.estimate_or(keys, pace))
            .await;
        let started = Instant::now();
        let replies = lane.source.pipeline_owned(pipe, deadline).await;
        let dumped_in = started.elapsed();
        drop(permit);
        let mut replies = replies?;
        self.dumps.observe(keys, dumped_in);
        // Without PTTL: whether keys with a time to live appeared (then asked below).
        let ask_ttls = !ttls
            && match replies.pop() {
                Some(Ok(Value::BulkString(text))) => {
                    Info::parse(String::from_utf8_lossy(&text)).total_expires() > 0
                }
                _ => true,
            };
        let mut replies = replies.into_iter();
        let mut results: Vec<Result<u64, NodeError>> = Vec::with_capacity(group.len());
        let mut found: Vec<Vec<Dumped<'g>>> = Vec::with_capacity(group.len());
        for (slot, keys) in group {
            let mut result = Ok(0);
            let mut mine = Vec::with_capacity(keys.len());
            let mut skip = match replies.next() {
                Some(Ok(_)) => false,
                Some(Err(e)) if gone(&e) || e.server() == Some(&ServerError::TryAgain) => {
                    self.migrate_next_time(*slot);
                    true
                }
                Some(Err(e)) => {
                    result = Err(e);
                    true
                }
                None => return Err(protocol(route.source, "missing replies to DUMP")),
            };
            for k in keys {
                let dump = replies.next();
                let ttl = if ttls {
                    replies.next()
                } else {
                    Some(Ok(Value::Int(-1)))
                };
                if skip {
                    continue;
                }
                match (dump, ttl) {
                    (Some(Ok(Value::BulkString(payload))), Some(Ok(Value::Int(ttl))))
                        if ttl != -2 =>
                    {
                        mine.push(Dumped {
                            key: k,
                            ttl: restore_ttl(ttl),
                            payload,
                        });
                    }
                    // Deleted or expired since it was listed (and deleted by this look).
                    (Some(Ok(Value::Nil)), _) | (_, Some(Ok(Value::Int(-2)))) => {}
                    (Some(Err(e)), _) | (_, Some(Err(e))) if gone(&e) => {
                        self.migrate_next_time(*slot)
                    }
                    (Some(Err(e)), _) | (_, Some(Err(e))) => {
                        result = Err(e);
                        mine.clear();
                        skip = true;
                    }
                    other => {
                        return Err(protocol(
                            route.source,
                            &format!("unexpected reply to DUMP/PTTL: {other:?}"),
                        ));
                    }
                }
            }
            results.push(result);
            found.push(mine);
        }
        if ask_ttls {
            self.ttls.store(true, Ordering::Relaxed);
            match self.ask_ttls(route, lane, &mut found, deadline).await {
                Ok(()) => {}
                Err(e) if e.server() == Some(&ServerError::NoPerm) => {
                    self.refuse_relay(route, &e);
                    found.iter_mut().for_each(Vec::clear);
                }
                Err(e) => return Err(e),
            }
        }
        // Refused for want of permission: nothing copied, the slots go again by MIGRATE.
        for (r, mine) in results.iter_mut().zip(found.iter_mut()) {
            if let Err(e) = r
                && e.server() == Some(&ServerError::NoPerm)
            {
                self.refuse_relay(route, e);
                *r = Ok(0);
                mine.clear();
            }
        }
        let restoring: usize = found.iter().map(Vec::len).sum();
        if restoring == 0 {
            pace.observe(keys, dumped_in);
            return Ok(Copied {
                results,
                keys: Vec::new(),
                payloads: Vec::new(),
                target_watched: false,
                offset: None,
            });
        }

        let mut pipe = redis::pipe();
        for ((slot, _), mine) in group.iter().zip(&found) {
            let replace = route.opts.replace || self.must_replace(*slot);
            for d in mine {
                pipe.add_command(cmd::restore_asking(d.key, d.ttl, &d.payload, replace));
            }
        }
        // Watched from now on: the copies whose DUMP may differ from the source's
        // (hash tables: another server orders them differently). The others are compared
        // by their DUMP if a client deletes their original meanwhile (`drop_vanished`).
        let watched: Vec<(usize, usize)> = found
            .iter()
            .enumerate()
            .flat_map(|(i, mine)| {
                mine.iter()
                    .enumerate()
                    .filter(|(_, d)| !dump_is_canonical(&d.payload))
                    .map(move |(j, _)| (i, j))
            })
            .collect();
        for (i, j) in &watched {
            pipe.cmd("ASKING")
                .cmd("WATCH")
                .arg(found[*i][*j].key.as_slice());
        }
        let with_role = !self.replicas.is_empty();
        if with_role {
            pipe.cmd("ROLE");
        }
        let permit = route
            .gate
            .enter_target(self.restores.estimate_or(restoring, pace))
            .await;
        let started = Instant::now();
        let replies = lane.target.pipeline_owned(pipe, deadline).await;
        let restored_in = started.elapsed();
        drop(permit);
        if replies.is_ok() {
            self.restores.observe(restoring, restored_in);
        }
        // Sized by the slower side: that is how long a client waits behind a batch.
        pace.observe(restoring, dumped_in.max(restored_in));
        let mut replies = replies?;
        let offset = if with_role {
            Some(self.offset(route, replies.pop())?)
        } else {
            None
        };
        // Per slot its first error, per key whether it is on the target now (restored,
        // and watched when it must be).
        let mut errors: Vec<Option<NodeError>> = Vec::with_capacity(group.len());
        let mut there: Vec<Vec<bool>> = Vec::with_capacity(group.len());
        let mut replies = replies.into_iter();
        for mine in &found {
            let mut first = None;
            let mut ok = Vec::with_capacity(mine.len());
            for _ in mine {
                match replies.next() {
                    Some(Ok(_)) => ok.push(true),
                    Some(Err(e)) => {
                        first.get_or_insert(e);
                        ok.push(false);
                    }
                    None => ok.push(false),
                }
            }
            errors.push(first);
            there.push(ok);
        }
        let target_watched = !watched.is_empty();
        for (i, j) in watched {
            for r in [replies.next(), replies.next()] {
                if let Some(Err(e)) = r {
                    errors[i].get_or_insert(e);
                    there[i][j] = false;
                }
            }
        }
        // Keys on the target leave the source, also in a slot with an error (a key that
        // was there before, BUSYKEY, compared by the caller): only the failed ones stay.
        let mut copied: Vec<&Vec<u8>> = Vec::with_capacity(restoring);
        let mut payloads: Vec<Vec<u8>> = Vec::with_capacity(restoring);
        for (((result, mine), error), ok) in results.iter_mut().zip(found).zip(errors).zip(there) {
            let mut n = 0;
            for (d, ok) in mine.into_iter().zip(ok) {
                if ok {
                    copied.push(d.key);
                    payloads.push(d.payload);
                    n += 1;
                }
            }
            match error {
                // Not restored for want of permission: the source keeps the keys, they go
                // again by MIGRATE.
                Some(e) if e.server() == Some(&ServerError::NoPerm) => {
                    self.refuse_relay(route, &e);
                    *result = Ok(n);
                }
                Some(e) => *result = Err(e),
                None if n > 0 => *result = Ok(n),
                None => {}
            }
        }
        Ok(Copied {
            results,
            keys: copied,
            payloads,
            target_watched,
            offset,
        })
    }

    /// The times to live of keys dumped without them (still watched: one changed since
    /// makes the delete refused). A key gone meanwhile is left out.
    async fn ask_ttls(
        &self,
        route: &Route<'_>,
        lane: &Lane,
        found: &mut [Vec<Dumped<'_>>],
        deadline: Duration,
    ) -> Result<(), NodeError> {
        let mut pipe = redis::pipe();
        for d in found.iter().flatten() {
            pipe.cmd("PTTL").arg(d.key.as_slice());
        }
        let replies = lane.source.pipeline_owned(pipe, deadline).await?;
        let mut replies = replies.into_iter();
        for mine in found.iter_mut() {
            let mut kept = Vec::with_capacity(mine.len());
            for mut d in mine.drain(..) {
                match replies.next() {
                    Some(Ok(Value::Int(-2))) => {}
                    Some(Ok(Value::Int(ttl))) => {
                        d.ttl = restore_ttl(ttl);
                        kept.push(d);
                    }
                    Some(Err(e)) if gone(&e) => {}
                    Some(Err(e)) => return Err(e),
                    other => {
                        return Err(protocol(
                            route.source,
                            &format!("unexpected reply to PTTL: {other:?}"),
                        ));
                    }
                }
            }
            *mine = kept;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_ttls_keep_what_pttl_said() {
        assert_eq!(restore_ttl(-1), 0, "no expiry");
        assert_eq!(restore_ttl(0), 1, "about to expire: 0 would mean none");
        assert_eq!(restore_ttl(1), 1);
        assert_eq!(restore_ttl(3_600_000), 3_600_000);
    }

    #[test]
    fn only_hash_tables_and_modules_dump_differently() {
        // RDB types: 0 string, 2 set (hash table), 4 hash (hash table), 5 skiplist
        // sorted set (saved in score order), 6/7 module, 11 intset, 14/18 quicklist,
        // 16 listpack hash, 17 listpack sorted set, 19 stream.
        for t in [0u8, 5, 11, 14, 16, 17, 18, 19] {
            assert!(dump_is_canonical(&[t, 1, 2]), "type {t}");
        }
        for t in [2u8, 4, 6, 7] {
            assert!(!dump_is_canonical(&[t, 1, 2]), "type {t}");
        }
        assert!(!dump_is_canonical(&[]));
    }
}
