//! A big key copied in pieces (steps 1-2 of the hand-off for a key whose `MIGRATE`, or
//! `DUMP` and `RESTORE`, alone would hold a node far beyond the stall budget).
//!
//! A `MIGRATE` of a 50 MB string holds its source 160-210 ms (serializing, sending, then
//! waiting while the target restores it), and its target most of that time. Instead trib
//! reads the value a piece at a time on the source (`GETRANGE`, `LRANGE`, `HSCAN`,
//! `SSCAN`, `ZSCAN`) and builds a copy on the target under a name of its own in the same
//! slot (`SET` then `APPEND`, `RPUSH`, `HSET`, `SADD`, `ZADD`), each piece sized to the
//! stall budget on each side. The copy takes the key's name in one `RENAME` (with the key's
//! time to live), and the hand-off goes on as for any batch: a replica has it, then the
//! source deletes the key unless a client touched it since it was watched.
//!
//! The key is watched on the source from the start, so a client that writes it meanwhile
//! makes the delete refused (the copy is then overwritten by the next try). The copy's
//! length is compared with the key's before the rename: a piece lost (the copy expired
//! between two pieces) is never taken for the key. The copy's name carries a time to live,
//! renewed by every piece: a copy left by trib killed half way vanishes on its own.
//!
//! Streams and module types keep `MIGRATE … COPY`, and hashes do too on servers with
//! per-field expiry (Redis 7.4+, Valkey 9+: `HSCAN` does not carry a field's time to live).

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use redis::Value;

use super::{Copied, Handoff, Lane, protocol};
use crate::cluster::{Node, NodeError, ServerError};
use crate::model::key_slot;
use crate::ops::migrate::classic::keys::SlotKeys;
use crate::ops::migrate::classic::pace::Pace;
use crate::ops::migrate::classic::route::Route;
use crate::plan::bigkeys::in_pieces;

/// Strings up to this size are read in pieces but held by trib and written to the target
/// in one `SET`: the target reads the value as it arrives, between other clients'
/// commands, into memory allocated once. Built by `APPEND`s instead, the target's copy
/// grows by reallocations that each copy all of it so far to new memory: in a 50 MB copy,
/// a dozen stalls of up to 45 ms on this 2-core VM, 220 ms in all. Larger strings still
/// go by `APPEND`, so that trib never holds more than this (about three times over while
/// the `SET` is sent).
const HOLD_UP_TO: u64 = 64 << 20;

/// How long the copy's name lives after the last piece written (a copy left behind by an
/// interrupted run expires then).
const COPY_TTL: Duration = Duration::from_secs(60);

/// The types copied in pieces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    String,
    List,
    Hash,
    Set,
    ZSet,
}

impl Kind {
    /// From `TYPE`'s reply; `None` for the types that keep `MIGRATE` (stream, modules).
    fn of(type_name: &str) -> Option<Kind> {
        match type_name {
            "string" => Some(Kind::String),
            "list" => Some(Kind::List),
            "hash" => Some(Kind::Hash),
            "set" => Some(Kind::Set),
            "zset" => Some(Kind::ZSet),
            _ => None,
        }
    }

    /// The first piece, before one was measured: bytes of a string, elements otherwise.
    fn first_piece(self) -> usize {
        match self {
            Kind::String => 64 * 1024,
            _ => 128,
        }
    }

    /// The largest piece, however fast they go.
    fn largest_piece(self) -> usize {
        match self {
            Kind::String => 4 << 20,
            _ => 8192,
        }
    }

    /// The command giving the value's length (bytes or elements).
    fn len_command(self) -> &'static str {
        match self {
            Kind::String => "STRLEN",
            Kind::List => "LLEN",
            Kind::Hash => "HLEN",
            Kind::Set => "SCARD",
            Kind::ZSet => "ZCARD",
        }
    }

    /// Whether a piece is an element's two parts (field and value, member and score).
    fn pairs(self) -> bool {
        matches!(self, Kind::Hash | Kind::ZSet)
    }

    /// The read of `n` units from `at` (a byte or element offset, or a scan cursor).
    fn read(self, key: &[u8], at: u64, n: usize) -> redis::Cmd {
        let last = at.saturating_add(n.max(1) as u64 - 1);
        match self {
            Kind::String => {
                let mut c = redis::cmd("GETRANGE");
                c.arg(key).arg(at).arg(last);
                c
            }
            Kind::List => {
                let mut c = redis::cmd("LRANGE");
                c.arg(key).arg(at).arg(last);
                c
            }
            Kind::Hash | Kind::Set | Kind::ZSet => {
                let name = match self {
                    Kind::Hash => "HSCAN",
                    Kind::Set => "SSCAN",
                    _ => "ZSCAN",
                };
                let mut c = redis::cmd(name);
                c.arg(key).arg(at).arg("COUNT").arg(n.max(1));
                c
            }
        }
    }

    /// The piece read from `at` with `n` units asked.
    fn piece(self, at: u64, n: usize, reply: Value) -> Result<Piece, String> {
        let more = |got: usize| (got >= n).then(|| at + n as u64);
        match (self, reply) {
            (Kind::String, Value::BulkString(data)) => Ok(Piece {
                units: data.len(),
                next: more(data.len()),
                items: vec![data],
            }),
            (Kind::List, Value::Array(items)) => {
                let items = bulk_strings(items)?;
                Ok(Piece {
                    units: items.len(),
                    next: more(items.len()),
                    items,
                })
            }
            (Kind::Hash | Kind::Set | Kind::ZSet, Value::Array(mut parts)) if parts.len() == 2 => {
                let items = match parts.pop() {
                    Some(Value::Array(items)) => bulk_strings(items)?,
                    other => return Err(format!("scan page: {other:?}")),
                };
                let cursor = match parts.pop() {
                    Some(Value::BulkString(c)) => String::from_utf8_lossy(&c)
                        .parse::<u64>()
                        .map_err(|e| format!("scan cursor: {e}"))?,
                    other => return Err(format!("scan cursor: {other:?}")),
                };
                if self.pairs() && items.len() % 2 != 0 {
                    return Err("scan page with an odd number of items".to_string());
                }
                let units = if self.pairs() {
                    items.len() / 2
                } else {
                    items.len()
                };
                Ok(Piece {
                    units,
                    next: (cursor != 0).then_some(cursor),
                    items,
                })
            }
            (_, other) => Err(format!("{other:?}")),
        }
    }

    /// The write of a piece's items to `copy` (`None`: nothing to write); `first`: the
    /// first piece of a string, which creates the copy.
    fn write(self, copy: &[u8], first: bool, items: Vec<Vec<u8>>) -> Option<redis::Cmd> {
        if items.is_empty() || (self == Kind::String && !first && items[0].is_empty()) {
            return None;
        }
        let name = match self {
            Kind::String if first => "SET",
            Kind::String => "APPEND",
            Kind::List => "RPUSH",
            Kind::Hash => "HSET",
            Kind::Set => "SADD",
            Kind::ZSet => "ZADD",
        };
        let mut c = redis::cmd(name);
        c.arg(copy);
        if self == Kind::ZSet {
            // ZSCAN gives member, score; ZADD takes score, member.
            let mut items = items.into_iter();
            while let (Some(member), Some(score)) = (items.next(), items.next()) {
                c.arg(score).arg(member);
            }
        } else {
            for i in items {
                c.arg(i);
            }
        }
        Some(c)
    }
}

fn bulk_strings(items: Vec<Value>) -> Result<Vec<Vec<u8>>, String> {
    items
        .into_iter()
        .map(|v| match v {
            Value::BulkString(b) => Ok(b),
            other => Err(format!("element: {other:?}")),
        })
        .collect()
}

/// One piece read from the source: what to write, how many units (bytes or elements) it
/// holds, and where the next one starts (`None`: it was the last).
struct Piece {
    items: Vec<Vec<u8>>,
    units: usize,
    next: Option<u64>,
}

/// The name of the copy of a key of `slot` while it is built: the same slot (a hash tag),
/// so that it can be renamed to the key; the same for every key of the slot (big keys move
/// one at a time).
pub(super) fn copy_name(slot: u16) -> Vec<u8> {
    (0u32..)
        .map(|i| format!("trib:partial-copy:{{{i}}}").into_bytes())
        .find(|k| key_slot(k) == slot)
        .unwrap_or_default()
}

/// Why a copy in pieces stopped before the rename.
enum Stop {
    /// The key is gone from the source (deleted or expired): nothing to copy.
    Gone,
    /// A client changed the key meanwhile (its type, or its length): copied again.
    Changed,
    /// Its type is not copied in pieces (a client replaced the value since it was
    /// looked at): `MIGRATE` instead.
    Unsuited,
    /// trib may not run one of the commands (`NOPERM`): `MIGRATE` instead, from now on.
    Refused(NodeError),
    /// Another error, for the caller.
    Failed(NodeError),
}

impl Stop {
    /// An error reading the key on the source.
    fn reading(e: NodeError) -> Stop {
        match e.server() {
            Some(ServerError::Ask { .. } | ServerError::TryAgain) => Stop::Gone,
            Some(ServerError::NoPerm) => Stop::Refused(e),
            // E.g. WRONGTYPE: a client replaced the value.
            Some(_) => Stop::Changed,
            None => Stop::Failed(e),
        }
    }

    /// An error writing the copy on the target.
    fn writing(e: NodeError) -> Stop {
        match e.server() {
            Some(ServerError::NoPerm) => Stop::Refused(e),
            _ => Stop::Failed(e),
        }
    }
}

/// The time to live the key gets on the target: what `PTTL` said on the source, less the
/// time since; a key about to expire keeps 1 ms, as `MIGRATE` gives it.
fn ttl_left(pttl: Option<u64>, since: Duration) -> Option<u64> {
    pttl.map(|ms| {
        ms.saturating_sub(u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
            .max(1)
    })
}

/// Renames the copy to the key on the target, with the key's time to live, if the copy
/// is whole (its length is the key's); 1 when renamed, 0 when the target holds a key of
/// that name (kept unless `replace`), -1 when the copy is missing or not whole.
///
/// A script, keys as arguments: on a slot being imported a command naming two keys, one
/// missing, is refused (`TRYAGAIN`), so `RENAME` alone could never create the key; in the
/// script the key exists (an empty placeholder, never seen: the script runs at once)
/// before the rename overwrites it.
const RENAME_SCRIPT: &str = "local copy, key = ARGV[1], ARGV[2]
if redis.call('EXISTS', copy) == 0 or redis.call(ARGV[3], copy) ~= tonumber(ARGV[4]) then
  return -1
end
if redis.call('EXISTS', key) == 1 then
  if ARGV[5] ~= 'replace' then return 0 end
else
  redis.call('SET', key, '')
end
redis.call('RENAME', copy, key)
if ARGV[6] == '' then
  redis.call('PERSIST', key)
else
  redis.call('PEXPIRE', key, ARGV[6])
end
return 1";

/// [`RENAME_SCRIPT`] for `copy` of `key` (`len` long), its time to live `ttl` (ms).
fn rename_script(
    copy: &[u8],
    key: &[u8],
    kind: Kind,
    len: i64,
    replace: bool,
    ttl: Option<u64>,
) -> redis::Cmd {
    let mut c = redis::cmd("EVAL");
    c.arg(RENAME_SCRIPT)
        .arg(0)
        .arg(copy)
        .arg(key)
        .arg(kind.len_command())
        .arg(len)
        .arg(if replace { "replace" } else { "" })
        .arg(ttl.map(|t| t.to_string()).unwrap_or_default());
    c
}

impl Handoff {
    /// Steps 1-2 for one big key (`group`: one slot, one key) in pieces; `None` when its
    /// type (or trib's permissions) calls for `MIGRATE … COPY` instead. The key stays
    /// watched on the source; its copy is watched on the target (and the target's offset
    /// read, with replicas) once renamed.
    pub(super) async fn pieces_copy<'g>(
        &self,
        route: &Route<'_>,
        pace: &Pace,
        lane: &Lane,
        group: &'g [SlotKeys],
        deadline: Duration,
    ) -> Result<Option<Copied<'g>>, NodeError> {
        let [(slot, keys)] = group else {
            return Ok(None);
        };
        let [key] = keys.as_slice() else {
            return Ok(None);
        };
        let nothing = |result: Result<u64, NodeError>| Copied {
            results: vec![result],
            keys: Vec::new(),
            payloads: Vec::new(),
            target_watched: false,
            offset: None,
        };
        let copy = copy_name(*slot);
        match self
            .copy_in_pieces(route, pace, lane, *slot, key, &copy, deadline)
            .await
        {
            Ok(offset) => Ok(Some(Copied {
                results: vec![Ok(1)],
                keys: vec![key],
                payloads: Vec::new(),
                target_watched: true,
                offset,
            })),
            Err(stop) => {
                if !matches!(&stop, Stop::Failed(e) if e.is_unreachable()) {
                    // Best effort: else it expires on its own.
                    let mut pipe = redis::pipe();
                    pipe.cmd("ASKING").cmd("UNLINK").arg(copy.as_slice());
                    let _ = lane.target.pipeline_within(&pipe, deadline).await;
                }
                match stop {
                    Stop::Gone => {
                        // Maybe expired but not yet deleted: only a MIGRATE deletes it
                        // (see `by_migrate`).
                        self.migrate_next_time(*slot);
                        Ok(Some(nothing(Ok(0))))
                    }
                    Stop::Changed => Ok(Some(nothing(Ok(0)))),
                    Stop::Unsuited => Ok(None),
                    Stop::Refused(e) => {
                        if self.pieces.swap(false, Ordering::Relaxed) {
                            tracing::warn!(
                                "{e}: trib's user may not copy big keys in pieces; {} moves them to {} with MIGRATE instead",
                                route.source.label,
                                route.target.label
                            );
                        }
                        Ok(None)
                    }
                    Stop::Failed(e) => Err(e),
                }
            }
        }
    }

    /// Watches `key` on the source, copies it piece by piece to `copy` on the target, and
    /// renames the copy to the key there; the target's offset after it, with replicas.
    #[allow(clippy::too_many_arguments)]
    async fn copy_in_pieces(
        &self,
        route: &Route<'_>,
        pace: &Pace,
        lane: &Lane,
        slot: u16,
        key: &[u8],
        copy: &[u8],
        deadline: Duration,
    ) -> Result<Option<u64>, Stop> {
        // 1. Watched from now on; its type and time to live.
        let mut pipe = redis::pipe();
        pipe.cmd("ASKING").cmd("WATCH").arg(key);
        pipe.cmd("ASKING").cmd("TYPE").arg(key);
        pipe.cmd("ASKING").cmd("PTTL").arg(key);
        // Its length, if a string (else an error, not looked at).
        pipe.cmd("ASKING").cmd("STRLEN").arg(key);
        let replies = lane
            .source
            .pipeline_within(&pipe, deadline)
            .await
            .map_err(Stop::Failed)?;
        let ttl_read = Instant::now();
        let mut replies = replies.into_iter().skip(1).step_by(2);
        let (watch, kind, pttl, strlen) = (
            replies.next(),
            replies.next(),
            replies.next(),
            replies.next(),
        );
        let kind = match (watch, kind) {
            (Some(Ok(_)), Some(Ok(Value::SimpleString(t)))) if t == "none" => {
                return Err(Stop::Gone);
            }
            (Some(Ok(_)), Some(Ok(Value::SimpleString(t)))) => {
                match self.suited(route.source, &t).await {
                    Some(k) => k,
                    None => return Err(Stop::Unsuited),
                }
            }
            (Some(Err(e)), _) | (_, Some(Err(e))) => return Err(Stop::reading(e)),
            other => {
                return Err(Stop::Failed(protocol(
                    route.source,
                    &format!("unexpected reply to WATCH/TYPE: {other:?}"),
                )));
            }
        };
        let pttl = match pttl {
            Some(Ok(Value::Int(-2))) => return Err(Stop::Gone),
            Some(Ok(Value::Int(ms))) => u64::try_from(ms).ok(),
            Some(Err(e)) => return Err(Stop::reading(e)),
            other => {
                return Err(Stop::Failed(protocol(
                    route.source,
                    &format!("unexpected reply to PTTL: {other:?}"),
                )));
            }
        };
        tracing::debug!(
            "slot {slot}: copying big key {} ({kind:?}) in pieces as {}",
            String::from_utf8_lossy(key),
            String::from_utf8_lossy(copy)
        );

        // 2. The pieces: the source reads the next while the target writes this one.
        let reading = Pace::new(pace.budget());
        let writing = Pace::new(pace.budget());
        let size = || match (
            reading.fitting(kind.largest_piece()),
            writing.fitting(kind.largest_piece()),
        ) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a.min(kind.first_piece()),
            (None, None) => kind.first_piece(),
        };
        let mut clear = redis::pipe();
        clear.cmd("ASKING").cmd("UNLINK").arg(copy);
        let (cleared, first) = futures::join!(
            lane.target.pipeline_within(&clear, deadline),
            self.read_piece(route, lane, &reading, kind, key, 0, size(), deadline)
        );
        cleared.map_err(Stop::writing)?;
        let mut piece = first?;
        let mut copied = 0u64;
        let mut created = false;
        // A string up to HOLD_UP_TO is held here and written in one SET (see there).
        let mut held = match strlen {
            Some(Ok(Value::Int(n))) if kind == Kind::String && n as u64 <= HOLD_UP_TO => {
                Some(Vec::with_capacity(n as usize))
            }
            _ => None,
        };
        loop {
            let next = piece.next;
            let mut units = piece.units;
            copied += units as u64;
            let items = std::mem::take(&mut piece.items);
            let write = match held.as_mut() {
                Some(h) => {
                    items.iter().for_each(|i| h.extend_from_slice(i));
                    match (next, held.take()) {
                        (None, Some(whole)) => {
                            units = whole.len();
                            kind.write(copy, true, vec![whole])
                        }
                        (_, h) => {
                            held = h;
                            None
                        }
                    }
                }
                None => kind.write(copy, !created, items),
            };
            let n = size();
            let (written, read) = futures::join!(
                async {
                    match write {
                        Some(w) => self
                            .write_piece(route, lane, &writing, units, w, copy, deadline)
                            .await
                            .map(|()| true),
                        None => Ok(false),
                    }
                },
                async {
                    match next {
                        Some(at) => Some(
                            self.read_piece(route, lane, &reading, kind, key, at, n, deadline)
                                .await,
                        ),
                        None => None,
                    }
                }
            );
            created |= written?;
            match read {
                Some(p) => piece = p?,
                None => break,
            }
        }

        // 3. The copy is whole (as long as the key is now), and takes the key's name
        //    unless the target has a key of that name (BUSYKEY, compared by the caller)
        //    other than trib's own copy from an earlier try (overwritten).
        let mut len = redis::cmd(kind.len_command());
        len.arg(key);
        let mut src = redis::pipe();
        src.cmd("ASKING").add_command(len);
        let key_len = match lane
            .source
            .pipeline_within(&src, deadline)
            .await
            .map_err(Stop::Failed)?
            .pop()
        {
            Some(Ok(Value::Int(n))) => n,
            Some(Err(e)) => return Err(Stop::reading(e)),
            other => {
                return Err(Stop::Failed(protocol(
                    route.source,
                    &format!("unexpected reply to {}: {other:?}", kind.len_command()),
                )));
            }
        };
        let replace = route.opts.replace || self.must_replace(slot);
        let ttl = ttl_left(pttl, ttl_read.elapsed());
        let mut pipe = redis::pipe();
        pipe.cmd("ASKING")
            .add_command(rename_script(copy, key, kind, key_len, replace, ttl));
        pipe.cmd("ASKING").cmd("WATCH").arg(key);
        let with_role = !self.replicas.is_empty();
        if with_role {
            pipe.cmd("ROLE");
        }
        let permit = route.gate.enter_target(Some(pace.budget())).await;
        let replies = lane.target.pipeline_within(&pipe, deadline).await;
        drop(permit);
        let mut replies = replies.map_err(Stop::writing)?;
        let offset = if with_role {
            Some(self.offset(route, replies.pop()).map_err(Stop::Failed)?)
        } else {
            None
        };
        // ASKING, the script, ASKING, WATCH.
        let mut replies = replies.into_iter().skip(1).step_by(2);
        let (renamed, watched) = (replies.next(), replies.next());
        if let Some(Err(e)) = watched {
            return Err(Stop::writing(e));
        }
        match renamed {
            Some(Ok(Value::Int(1))) => Ok(offset),
            Some(Ok(Value::Int(0))) => Err(Stop::Failed(busy(route.target))),
            Some(Ok(Value::Int(_))) => {
                tracing::debug!(
                    "slot {slot}: the copy of {} is not as long as the key ({key_len}, {copied} copied): copied again",
                    String::from_utf8_lossy(key)
                );
                Err(Stop::Changed)
            }
            Some(Err(e)) => Err(Stop::writing(e)),
            other => Err(Stop::Failed(protocol(
                route.target,
                &format!("unexpected reply to the rename: {other:?}"),
            ))),
        }
    }

    /// Reads `n` units of `key` from `at` on the source, through its gate.
    #[allow(clippy::too_many_arguments)]
    async fn read_piece(
        &self,
        route: &Route<'_>,
        lane: &Lane,
        pace: &Pace,
        kind: Kind,
        key: &[u8],
        at: u64,
        n: usize,
        deadline: Duration,
    ) -> Result<Piece, Stop> {
        let mut pipe = redis::pipe();
        pipe.cmd("ASKING").add_command(kind.read(key, at, n));
        let permit = route.gate.enter_source(pace.estimate(n)).await;
        let started = Instant::now();
        let replies = lane.source.pipeline_within(&pipe, deadline).await;
        let took = started.elapsed();
        drop(permit);
        let reply = match replies.map_err(Stop::Failed)?.pop() {
            Some(Ok(v)) => v,
            Some(Err(e)) => return Err(Stop::reading(e)),
            None => {
                return Err(Stop::Failed(protocol(route.source, "no reply to a read")));
            }
        };
        let piece = kind
            .piece(at, n, reply)
            .map_err(|e| Stop::Failed(protocol(route.source, &e)))?;
        pace.observe(piece.units, took);
        Ok(piece)
    }

    /// Writes a piece of `units` units to the copy on the target, through its gate, and
    /// renews the copy's time to live.
    #[allow(clippy::too_many_arguments)]
    async fn write_piece(
        &self,
        route: &Route<'_>,
        lane: &Lane,
        pace: &Pace,
        units: usize,
        write: redis::Cmd,
        copy: &[u8],
        deadline: Duration,
    ) -> Result<(), Stop> {
        let mut pipe = redis::pipe();
        pipe.cmd("ASKING").add_command(write);
        pipe.cmd("ASKING")
            .cmd("PEXPIRE")
            .arg(copy)
            .arg(COPY_TTL.as_millis() as u64);
        let permit = route.gate.enter_target(pace.estimate(units)).await;
        let started = Instant::now();
        let replies = lane.target.pipeline_owned(pipe, deadline).await;
        let took = started.elapsed();
        drop(permit);
        for r in replies.map_err(Stop::writing)? {
            r.map_err(Stop::writing)?;
        }
        pace.observe(units, took);
        Ok(())
    }

    /// Whether `key` is copied in pieces: its type allows (looked at now).
    pub(super) async fn copies_in_pieces(&self, source: &Node, key: &[u8]) -> bool {
        let mut pipe = redis::pipe();
        pipe.cmd("ASKING").cmd("TYPE").arg(key);
        match source.pipeline(&pipe).await.map(|mut r| r.pop()) {
            Ok(Some(Ok(Value::SimpleString(t)))) => self.suited(source, &t).await.is_some(),
            _ => false,
        }
    }

    /// The kind of a value of type `type_name` (`TYPE`'s reply), if copied in pieces.
    async fn suited(&self, source: &Node, type_name: &str) -> Option<Kind> {
        let ttls = type_name == "hash"
            && *self
                .field_ttls
                .get_or_init(|| source.hash_field_ttls())
                .await;
        if in_pieces(type_name, ttls) {
            Kind::of(type_name)
        } else {
            None
        }
    }
}

/// The target has a key of that name that trib did not put there.
fn busy(target: &Node) -> NodeError {
    NodeError::new(
        &target.label,
        crate::cluster::NodeErrorKind::Server {
            error: ServerError::BusyKey,
            code: "BUSYKEY".to_string(),
            detail: "the target holds a key of that name (big key copied in pieces)".to_string(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copy_shares_the_key_slot() {
        for slot in [0u16, 1, 999, 8000, 16383] {
            let name = copy_name(slot);
            assert_eq!(key_slot(&name), slot);
            assert!(name.starts_with(b"trib:partial-copy:{"));
        }
        assert_eq!(copy_name(42), copy_name(42), "the same name every time");
    }

    #[test]
    fn pieces_say_where_the_next_starts() {
        let s = Kind::String
            .piece(0, 4, Value::BulkString(b"abcd".to_vec()))
            .unwrap();
        assert_eq!((s.units, s.next), (4, Some(4)));
        let s = Kind::String
            .piece(4, 4, Value::BulkString(b"ef".to_vec()))
            .unwrap();
        assert_eq!((s.units, s.next), (2, None), "short: the last");
        let l = Kind::List
            .piece(
                10,
                2,
                Value::Array(vec![
                    Value::BulkString(b"a".to_vec()),
                    Value::BulkString(b"b".to_vec()),
                ]),
            )
            .unwrap();
        assert_eq!((l.units, l.next), (2, Some(12)));
        let page = |cursor: &str, items: &[&str]| {
            Value::Array(vec![
                Value::BulkString(cursor.as_bytes().to_vec()),
                Value::Array(
                    items
                        .iter()
                        .map(|i| Value::BulkString(i.as_bytes().to_vec()))
                        .collect(),
                ),
            ])
        };
        let h = Kind::Hash.piece(0, 10, page("17", &["f", "v"])).unwrap();
        assert_eq!((h.units, h.next), (1, Some(17)));
        let z = Kind::ZSet.piece(17, 10, page("0", &["m", "1.5"])).unwrap();
        assert_eq!((z.units, z.next), (1, None), "cursor 0: the last");
        assert!(Kind::Hash.piece(0, 10, page("0", &["f"])).is_err());
        assert!(Kind::Set.piece(0, 10, Value::Nil).is_err());
    }

    #[test]
    fn writes_build_the_copy() {
        let args = |c: redis::Cmd| -> Vec<Vec<u8>> {
            c.args_iter()
                .map(|a| match a {
                    redis::Arg::Simple(b) => b.to_vec(),
                    _ => Vec::new(),
                })
                .collect()
        };
        let v = |s: &str| s.as_bytes().to_vec();
        let w = Kind::String.write(b"c", true, vec![v("ab")]).unwrap();
        assert_eq!(args(w), vec![v("SET"), v("c"), v("ab")]);
        let w = Kind::String.write(b"c", false, vec![v("cd")]).unwrap();
        assert_eq!(args(w), vec![v("APPEND"), v("c"), v("cd")]);
        assert!(Kind::String.write(b"c", false, vec![v("")]).is_none());
        assert!(
            Kind::String.write(b"c", true, vec![v("")]).is_some(),
            "an empty string is still created"
        );
        let w = Kind::ZSet
            .write(b"c", false, vec![v("m1"), v("1.5"), v("m2"), v("-inf")])
            .unwrap();
        assert_eq!(
            args(w),
            vec![v("ZADD"), v("c"), v("1.5"), v("m1"), v("-inf"), v("m2")]
        );
        assert!(Kind::Set.write(b"c", false, Vec::new()).is_none());
    }

    #[test]
    fn the_key_keeps_what_is_left_of_its_time_to_live() {
        assert_eq!(ttl_left(None, Duration::from_secs(3)), None);
        assert_eq!(ttl_left(Some(10_000), Duration::from_secs(3)), Some(7_000));
        assert_eq!(ttl_left(Some(1_000), Duration::from_secs(3)), Some(1));
    }

    #[test]
    fn streams_and_modules_keep_migrate() {
        assert_eq!(Kind::of("stream"), None);
        assert_eq!(Kind::of("ReJSON-RL"), None);
        assert_eq!(Kind::of("zset"), Some(Kind::ZSet));
    }
}
