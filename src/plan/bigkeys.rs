//! Big keys: keys whose move alone would keep their source from its clients longer than
//! the stall budget. `MIGRATE` serializes, sends and waits for the target's `RESTORE`
//! while the source serves nobody, so a key's stall grows with its size; the plan names
//! them, and the engine moves each alone, with an I/O timeout that fits its size.

use std::time::Duration;

use serde::{Serialize, Serializer};

use crate::model::NodeId;
use crate::plan::migration::MigrationPlan;

/// Bytes per second `MIGRATE` moves one key at (serialize, send, restore), measured on
/// loopback (Redis 7.0: 150–180 MB/s for 1–50 MB strings on a loaded 2-core machine). A
/// slower network only makes the real stall longer than the estimate.
pub const MIGRATE_RATE: u64 = 150_000_000;
/// The slowest transfer the I/O timeout of a big key's `MIGRATE` allows for.
pub const SLOWEST_RATE: u64 = 10_000_000;

/// What one key costs `MIGRATE` besides its bytes (the `RESTORE` command on the target,
/// reading its reply, deleting the key): about 8 µs per key for keys of a few bytes,
/// 61 to a `MIGRATE`, on a loaded 2-core machine (Redis 7.0, loopback).
pub const KEY_COST: Duration = Duration::from_micros(8);

/// How many keys of how many bytes (`MEMORY USAGE`) the scan found on one source: what
/// a batch of its keys is expected to take before one was measured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeySizes {
    pub keys: u64,
    pub bytes: u64,
}

impl KeySizes {
    /// Adds the keys of another part of the source.
    pub fn add(&mut self, other: KeySizes) {
        self.keys += other.keys;
        self.bytes = self.bytes.saturating_add(other.bytes);
    }

    /// The expected `MIGRATE` time of one key of average size; `None` without keys.
    pub fn per_key(&self) -> Option<Duration> {
        (self.keys > 0).then(|| KEY_COST + stall_of(self.bytes / self.keys))
    }
}

/// Average size of a source's moving keys up to which trib copies them itself (`DUMP`,
/// `RESTORE-ASKING`): for small keys the per-key work it spares the source is most of a
/// move. Larger keys cross twice that way (source, trib, target), which spares little
/// and, at 64 KB, made clients wait longer on the target (3.8–5.1 ms at worst against
/// 2.5–3.0 ms with `MIGRATE`, docs/benchmarks.md): they go by `MIGRATE`.
pub const RELAY_UP_TO: u64 = 8 * 1024;

/// Whether keys of a source whose average key is expected to take `per_key` (see
/// [`KeySizes::per_key`]; `None`: not sized) are relayed through trib.
pub fn relays(per_key: Option<Duration>) -> bool {
    per_key.is_none_or(|t| t <= KEY_COST + stall_of(RELAY_UP_TO))
}

/// Keys sized one by one when at most this many move; above it, an even sample of about
/// this many. Sizing costs a source about a third of what moving a small key costs
/// (`MEMORY USAGE` per key against `MIGRATE`'s per-key work), so sizing every one of a
/// million small keys would slow the whole move by a third.
pub const SIZE_ALL_UP_TO: u64 = 10_000;

/// Which listed keys of a source the scan sizes: every `stride`-th of each slot's list,
/// 1 (all of them) when at most [`SIZE_ALL_UP_TO`] keys move from it or `all` is asked.
pub fn sample_stride(moving: u64, all: bool) -> u64 {
    if all || moving <= SIZE_ALL_UP_TO {
        1
    } else {
        moving.div_ceil(SIZE_ALL_UP_TO)
    }
}

/// A slot holding at least this share (1/n) of the keys that move from its source is
/// sampled key by key; lighter slots are sampled whole (see [`Sampling`]).
const HEAVY_SHARE: u64 = 64;

/// How the scan samples one source: which of its slots it lists, and which keys of a
/// listed slot it sizes. Every key has the same chance of being sized, 1 in
/// [`sample_stride`]:
/// - a light slot (most of them) is listed one time in `stride` (every `stride`-th of
///   the source's slots with keys, in order), and then every key of it is sized. Listing
///   is most of the scan's cost (trib parses every key listed), so lists stay as short as
///   the sample: a source moving 10M keys is no longer listed in full to size 10k.
/// - a heavy slot (one holding 1/[`HEAVY_SHARE`] or more of the keys that move, e.g. a hash
///   tag's) is always listed, and every `stride`-th of its keys is sized ([`sampled`]),
///   so that one slot never makes or breaks the sample.
#[derive(Clone, Copy, Debug)]
pub struct Sampling {
    stride: u64,
    heavy_from: u64,
}

impl Sampling {
    /// For a source moving `moving` keys; `all`: every key is sized.
    pub fn new(moving: u64, all: bool) -> Sampling {
        Sampling {
            stride: sample_stride(moving, all),
            heavy_from: (moving / HEAVY_SHARE).max(1),
        }
    }

    /// Whether some keys are left unsized.
    pub fn is_sample(&self) -> bool {
        self.stride > 1
    }

    /// Whether the scan lists the `position`-th of the source's slots with keys, which
    /// holds `keys`.
    pub fn lists(&self, position: usize, keys: u64) -> bool {
        self.stride == 1 || keys >= self.heavy_from || (position as u64).is_multiple_of(self.stride)
    }

    /// Whether the scan sizes the `index`-th listed key of `slot`, which holds `keys`.
    pub fn sizes(&self, index: usize, slot: u16, keys: u64) -> bool {
        keys < self.heavy_from || sampled(index, slot, self.stride)
    }
}

/// Whether the `index`-th listed key of `slot` is sized under `stride`: every
/// `stride`-th, starting at a place that differs from slot to slot, so that a slot with
/// fewer keys than the stride is not always skipped. Spread over the whole list: Redis
/// lists a slot's newest keys first, and big keys are often old ones.
pub fn sampled(index: usize, slot: u16, stride: u64) -> bool {
    (index as u64 + u64::from(slot)).is_multiple_of(stride.max(1))
}

/// How many of the keys that move the scan sized: all of them, or a sample.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KeysSized {
    /// Keys sized (`MEMORY USAGE`).
    pub sized: u64,
    /// Keys the moving slots held when the scan counted them.
    pub moving: u64,
    /// Whether only a sample was sized (every n-th key of each slot).
    pub sample: bool,
}

impl KeysSized {
    pub fn add(&mut self, other: KeysSized) {
        self.sized += other.sized;
        self.moving += other.moving;
        self.sample |= other.sample;
    }
}

/// A plan's scan in JSON: `big_keys`, `atomic` (the servers move the slots, so there
/// was no scan), and `keys_sized` when the scan ran.
pub fn scan_of<S: Serializer>(m: &MigrationPlan, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(None)?;
    map.serialize_entry("big_keys", &m.big_keys)?;
    map.serialize_entry("atomic", &m.atomic)?;
    if let Some(sized) = &m.sized {
        map.serialize_entry("keys_sized", sized)?;
    }
    map.end()
}

/// A key whose move would stall its source for longer than the budget.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BigKey {
    #[serde(serialize_with = "lossy")]
    pub key: Vec<u8>,
    pub slot: u16,
    /// The source master.
    pub from: NodeId,
    pub from_node: String,
    /// `MEMORY USAGE` of the key on the source (bytes, sampled for aggregates).
    pub bytes: u64,
    /// The longest it is expected to block the source, in milliseconds: a piece's (the
    /// budget) when copied in pieces, else its whole `MIGRATE`'s.
    pub stall_ms: u64,
    /// Its type on the source (`TYPE`), when it could be read.
    #[serde(rename = "type")]
    pub type_name: Option<String>,
    /// Copied a piece at a time, each within the budget (see [`in_pieces`]), rather than
    /// moved whole.
    pub in_pieces: bool,
}

fn lossy<S: Serializer>(key: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&String::from_utf8_lossy(key))
}

impl BigKey {
    /// The key as text (bytes that are not UTF-8 replaced).
    pub fn name(&self) -> String {
        String::from_utf8_lossy(&self.key).into_owned()
    }

    /// Its type on the source; `pieces` (see [`in_pieces`]): copied a piece at a time,
    /// each stalling the source at most `budget`.
    pub fn typed(&mut self, type_name: Option<String>, pieces: bool, budget: Duration) {
        self.in_pieces = pieces;
        if pieces {
            self.stall_ms = budget.as_millis().max(1) as u64;
        }
        self.type_name = type_name;
    }
}

/// Whether a big key of type `type_name` (`TYPE`'s reply) is copied in pieces: read a
/// piece at a time on the source and built on the target, each piece within the budget.
/// Strings, lists, sets and sorted sets are; hashes unless the server keeps a time to
/// live per field (`hash_field_ttls`: a field's would be lost); streams and module types
/// are moved whole.
pub fn in_pieces(type_name: &str, hash_field_ttls: bool) -> bool {
    match type_name {
        "string" | "list" | "set" | "zset" => true,
        "hash" => !hash_field_ttls,
        _ => false,
    }
}

/// How long moving `bytes` is expected to block the source.
pub fn stall_of(bytes: u64) -> Duration {
    Duration::from_secs_f64(bytes as f64 / MIGRATE_RATE as f64)
}

/// The smallest size that counts as big under `budget`.
pub fn big_from(budget: Duration) -> u64 {
    (budget.as_secs_f64() * MIGRATE_RATE as f64).ceil() as u64
}

/// The I/O timeout a big key's `MIGRATE` gets: the transfer at [`SLOWEST_RATE`], and never
/// less than `floor` (what every batch gets).
pub fn io_timeout_for(bytes: u64, floor: Duration) -> Duration {
    floor.max(Duration::from_secs_f64(bytes as f64 / SLOWEST_RATE as f64))
}

/// Keeps the keys of `sizes` (key, slot, source, its label, bytes) that are big under
/// `budget`, biggest first.
pub fn big_keys(
    sizes: impl IntoIterator<Item = (Vec<u8>, u16, NodeId, String, u64)>,
    budget: Duration,
) -> Vec<BigKey> {
    let from = big_from(budget);
    let mut big: Vec<BigKey> = sizes
        .into_iter()
        .filter(|(_, _, _, _, bytes)| *bytes >= from)
        .map(|(key, slot, id, label, bytes)| BigKey {
            key,
            slot,
            from: id,
            from_node: label,
            bytes,
            stall_ms: stall_of(bytes).as_millis().max(1) as u64,
            type_name: None,
            in_pieces: false,
        })
        .collect();
    big.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.key.cmp(&b.key)));
    big
}

#[cfg(test)]
mod tests {

    /// Sizes the keys of a source with `slots` (keys per slot) as the scan does: how
    /// many are listed and how many sized.
    fn sample(slots: &[u64], all: bool) -> (u64, u64) {
        let moving = slots.iter().sum();
        let how = Sampling::new(moving, all);
        let (mut listed, mut sized) = (0, 0);
        for (position, keys) in slots.iter().enumerate() {
            if how.lists(position, *keys) {
                listed += keys;
                sized += (0..*keys as usize)
                    .filter(|i| how.sizes(*i, position as u16, *keys))
                    .count() as u64;
            }
        }
        (listed, sized)
    }

    #[test]
    fn light_slots_are_sampled_whole_and_heavy_ones_key_by_key() {
        // 1000 slots of 61 keys: a seventh of the slots listed, each key of them sized.
        let (listed, sized) = sample(&[61; 1000], false);
        assert_eq!((listed, sized), (143 * 61, 143 * 61));
        assert!(Sampling::new(61_000, false).is_sample());
        // Asked for all, or few keys: everything listed and sized.
        assert_eq!(sample(&[61; 1000], true), (61_000, 61_000));
        assert_eq!(sample(&[10; 1000], false), (10_000, 10_000));
        assert!(!Sampling::new(10_000, false).is_sample());
        // A heavy slot (a hash tag holding 50,000 of 111,000 keys) is listed and sampled
        // at the same rate as the rest: about a twelfth of every part is sized.
        let mut slots = vec![61; 1000];
        slots[500] = 50_000;
        let (listed, sized) = sample(&slots, false);
        let stride = 111_000u64.div_ceil(SIZE_ALL_UP_TO);
        assert_eq!(stride, 12);
        assert!((50_000..50_000 + 61_000 / 10).contains(&listed), "{listed}");
        let expected = 111_000 / stride;
        assert!(
            sized.abs_diff(expected) < expected / 10,
            "{sized} against {expected}"
        );
    }

    use super::*;

    #[test]
    fn small_keys_are_relayed_larger_ones_migrated() {
        let per_key = |bytes: u64| {
            KeySizes {
                keys: 10,
                bytes: 10 * bytes,
            }
            .per_key()
        };
        assert!(relays(None), "not sized: relayed");
        assert!(relays(per_key(32)));
        assert!(relays(per_key(RELAY_UP_TO)));
        assert!(!relays(per_key(RELAY_UP_TO + 100)));
        assert!(!relays(per_key(65_536)));
    }
    use proptest::prelude::*;

    fn id() -> NodeId {
        NodeId::parse(&"a".repeat(40)).unwrap()
    }

    #[test]
    fn keys_over_the_budget_are_big() {
        let five = Duration::from_millis(5);
        // 5 ms at 150 MB/s: 750 KB.
        assert_eq!(big_from(five), 750_000);
        let sizes = vec![
            (b"small".to_vec(), 1, id(), "n".into(), 2_048),
            (b"edge".to_vec(), 2, id(), "n".into(), 750_000),
            (b"huge".to_vec(), 3, id(), "n".into(), 50_000_000),
        ];
        let big = big_keys(sizes, five);
        let names: Vec<String> = big.iter().map(BigKey::name).collect();
        assert_eq!(names, ["huge", "edge"]);
        assert_eq!(big[0].stall_ms, 333);
        assert_eq!(big[1].stall_ms, 5);
        // JSON names the key as text.
        let v = serde_json::to_value(&big[0]).unwrap();
        assert_eq!(v["key"], "huge");
        assert_eq!(v["bytes"], 50_000_000);
        assert_eq!(v["stall_ms"], 333);
    }

    #[test]
    fn a_source_s_average_key_sets_the_first_estimate() {
        assert_eq!(KeySizes::default().per_key(), None);
        // Every key up to the limit, or when asked; above it about the limit in all.
        assert_eq!(sample_stride(SIZE_ALL_UP_TO, false), 1);
        assert_eq!(sample_stride(SIZE_ALL_UP_TO + 1, false), 2);
        assert_eq!(sample_stride(61_000, false), 7);
        assert_eq!(sample_stride(61_000, true), 1);
        // Every key of every slot with stride 1; with stride 7, a seventh of a long list,
        // and a slot of fewer keys than the stride is sized in some slots, not in all.
        assert!((0..100).all(|i| sampled(i, 5, 1)));
        assert_eq!((0..700).filter(|i| sampled(*i, 3, 7)).count(), 100);
        let short = (0..7u16).filter(|s| sampled(0, *s, 7)).count();
        assert_eq!(short, 1);
        let mut tiny = KeySizes {
            keys: 1000,
            bytes: 64_000,
        };
        // 64 bytes a key: the per-key cost, and under a microsecond for the bytes.
        let t = tiny.per_key().unwrap();
        assert!(
            t >= KEY_COST && t < KEY_COST + Duration::from_micros(1),
            "{t:?}"
        );
        // 64 KB values: their bytes dominate (437 µs at 150 MB/s).
        tiny.add(KeySizes {
            keys: 1000,
            bytes: 65_536_000,
        });
        let mixed = tiny.per_key().unwrap();
        assert!(
            mixed > Duration::from_micros(200) && mixed < Duration::from_micros(240),
            "{mixed:?}"
        );
    }

    #[test]
    fn big_keys_of_most_types_are_copied_in_pieces() {
        for t in ["string", "list", "set", "zset", "hash"] {
            assert!(in_pieces(t, false), "{t}");
        }
        assert!(
            !in_pieces("hash", true),
            "a field's time to live would be lost"
        );
        assert!(in_pieces("zset", true));
        for t in ["stream", "ReJSON-RL", "none"] {
            assert!(!in_pieces(t, false), "{t}");
        }
        let mut k = big_keys(
            [(b"k".to_vec(), 7, id(), String::new(), 50_000_000)],
            Duration::from_millis(2),
        )
        .remove(0);
        assert_eq!(k.stall_ms, 333);
        k.typed(Some("stream".into()), false, Duration::from_millis(2));
        assert_eq!(
            (k.stall_ms, k.in_pieces),
            (333, false),
            "moved whole: its MIGRATE"
        );
        k.typed(Some("list".into()), true, Duration::from_millis(2));
        assert_eq!(
            (k.stall_ms, k.in_pieces),
            (2, true),
            "in pieces: one piece's"
        );
        let v = serde_json::to_value(&k).unwrap();
        assert_eq!(
            (v["type"].as_str(), v["in_pieces"].as_bool()),
            (Some("list"), Some(true))
        );
    }

    #[test]
    fn big_keys_get_the_time_their_size_needs() {
        let two = Duration::from_secs(2);
        assert_eq!(io_timeout_for(1_000_000, two), two);
        assert_eq!(io_timeout_for(50_000_000, two), Duration::from_secs(5));
        assert_eq!(io_timeout_for(600_000_000, two), Duration::from_secs(60));
    }

    proptest! {
        #[test]
        fn big_means_over_the_budget(bytes in proptest::collection::vec(0u64..200_000_000, 0..200), ms in 1u64..1000) {
            let budget = Duration::from_millis(ms);
            let sizes = bytes.iter().enumerate().map(|(i, b)| (i.to_string().into_bytes(), 0, id(), String::new(), *b));
            let big = big_keys(sizes, budget);
            let slack = Duration::from_micros(1);
            // Every key named is over the budget, every key left out under it.
            prop_assert!(big.iter().all(|k| stall_of(k.bytes) + slack >= budget));
            let named = big.len();
            let under = bytes.iter().filter(|b| stall_of(**b) < budget.saturating_sub(slack)).count();
            prop_assert!(named + under <= bytes.len());
            prop_assert!(named + under + bytes.iter().filter(|b| (stall_of(**b).as_nanos() as i128 - budget.as_nanos() as i128).abs() <= 1000).count() >= bytes.len());
            prop_assert!(big.windows(2).all(|w| w[0].bytes >= w[1].bytes));
        }
    }
}
