//! Hash slots: the 16384-slot space, sets of slots, and the key → slot function.

use std::fmt;
use std::sync::Arc;

use serde::{Serialize, Serializer};

use super::intern::Interner;

/// Number of hash slots in Redis Cluster.
pub const SLOT_COUNT: u16 = 16384;

const WORDS: usize = SLOT_COUNT as usize / 64;

/// An inclusive range of slots, `start..=end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SlotRange {
    pub start: u16,
    pub end: u16,
}

impl SlotRange {
    pub fn new(start: u16, end: u16) -> SlotRange {
        debug_assert!(start <= end && end < SLOT_COUNT);
        SlotRange { start, end }
    }

    pub fn len(&self) -> usize {
        (self.end - self.start) as usize + 1
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    /// Parses `A-B` or `A`, checking bounds.
    pub fn parse(s: &str) -> Option<SlotRange> {
        let (a, b) = match s.split_once('-') {
            Some((a, b)) => (a.trim().parse::<u16>().ok()?, b.trim().parse::<u16>().ok()?),
            None => {
                let a = s.trim().parse::<u16>().ok()?;
                (a, a)
            }
        };
        (a <= b && b < SLOT_COUNT).then_some(SlotRange { start: a, end: b })
    }
}

impl fmt::Display for SlotRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.start == self.end {
            write!(f, "{}", self.start)
        } else {
            write!(f, "{}-{}", self.start, self.end)
        }
    }
}

impl Serialize for SlotRange {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A set of slots, stored as a 16384-bit bitmap (2 KiB), allocated on the first insert:
/// most sets in a view are empty (replicas, other nodes' markers), and a 60-node cluster
/// has 3600 `CLUSTER NODES` entries to parse per `check`. Clones share the bitmap until
/// one of them changes (copy on write), and sets parsed from the same text share it too
/// (see [`SlotSet::interned`]): every node's view lists every master's slots, so a
/// cluster of n nodes would otherwise hold n × masters bitmaps (15 MB at 120 nodes).
#[derive(Clone)]
pub struct SlotSet {
    bits: Option<Arc<[u64; WORDS]>>,
}

/// Bitmaps of the sets parsed from each slot text (see [`SlotSet::interned`]).
static INTERNED: Interner<[u64; WORDS]> = Interner::new();

/// The words of an empty set.
static NO_BITS: [u64; WORDS] = [0; WORDS];

impl PartialEq for SlotSet {
    fn eq(&self, other: &SlotSet) -> bool {
        // Sets parsed from the same text share their bitmap: no need to compare 2 KiB.
        let same = match (&self.bits, &other.bits) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        same || self.words() == other.words()
    }
}

impl Eq for SlotSet {}

impl std::hash::Hash for SlotSet {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.words().hash(state);
    }
}

impl Default for SlotSet {
    fn default() -> Self {
        SlotSet::new()
    }
}

impl SlotSet {
    pub fn new() -> SlotSet {
        SlotSet { bits: None }
    }

    fn words(&self) -> &[u64; WORDS] {
        self.bits.as_deref().unwrap_or(&NO_BITS)
    }

    fn words_mut(&mut self) -> &mut [u64; WORDS] {
        Arc::make_mut(self.bits.get_or_insert_with(|| Arc::new([0; WORDS])))
    }

    /// The set `build` makes from `text` (e.g. the slot ranges of a `CLUSTER NODES` line),
    /// sharing its bitmap with every other live set built from the same text. `build` runs
    /// only when no such set is alive; its errors are passed through.
    pub fn interned<E>(
        text: &str,
        build: impl FnOnce() -> Result<SlotSet, E>,
    ) -> Result<SlotSet, E> {
        if let Some(bits) = INTERNED.get(text) {
            return Ok(SlotSet { bits: Some(bits) });
        }
        let set = build()?;
        if let Some(bits) = &set.bits {
            INTERNED.insert(text, bits);
        }
        Ok(set)
    }

    /// Every slot.
    pub fn full() -> SlotSet {
        SlotSet {
            bits: Some(Arc::new([u64::MAX; WORDS])),
        }
    }

    pub fn from_ranges<I: IntoIterator<Item = SlotRange>>(ranges: I) -> SlotSet {
        let mut set = SlotSet::new();
        for r in ranges {
            set.insert_range(r);
        }
        set
    }

    /// Inserts a slot; slots ≥ 16384 are ignored (callers validate first).
    pub fn insert(&mut self, slot: u16) {
        if slot < SLOT_COUNT {
            self.words_mut()[slot as usize / 64] |= 1 << (slot % 64);
        }
    }

    pub fn remove(&mut self, slot: u16) {
        if slot < SLOT_COUNT
            && let Some(bits) = self.bits.as_mut()
        {
            Arc::make_mut(bits)[slot as usize / 64] &= !(1 << (slot % 64));
        }
    }

    /// Inserts `start..=end` (clipped to the slot space), a word at a time.
    pub fn insert_range(&mut self, r: SlotRange) {
        let end = r.end.min(SLOT_COUNT - 1);
        if r.start > end {
            return;
        }
        let (first, last) = (usize::from(r.start) / 64, usize::from(end) / 64);
        let bits = self.words_mut();
        for (w, word) in bits.iter_mut().enumerate().take(last + 1).skip(first) {
            let lo = if w == first { r.start % 64 } else { 0 };
            let hi = if w == last { end % 64 } else { 63 };
            // Bits lo..=hi set.
            *word |= (u64::MAX >> (63 - hi)) & (u64::MAX << lo);
        }
    }

    pub fn contains(&self, slot: u16) -> bool {
        slot < SLOT_COUNT && self.words()[slot as usize / 64] & (1 << (slot % 64)) != 0
    }

    pub fn len(&self) -> usize {
        self.words().iter().map(|w| w.count_ones() as usize).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.words().iter().all(|w| *w == 0)
    }

    pub fn union_with(&mut self, other: &SlotSet) {
        let Some(theirs) = other.bits.as_deref() else {
            return;
        };
        for (a, b) in self.words_mut().iter_mut().zip(theirs.iter()) {
            *a |= *b;
        }
    }

    pub fn intersection(&self, other: &SlotSet) -> SlotSet {
        if self.bits.is_none() || other.bits.is_none() {
            return SlotSet::new();
        }
        let mut out = self.clone();
        for (a, b) in out.words_mut().iter_mut().zip(other.words().iter()) {
            *a &= *b;
        }
        out
    }

    /// Slots in `self` that are not in `other`.
    pub fn difference(&self, other: &SlotSet) -> SlotSet {
        let mut out = self.clone();
        if let (Some(mine), Some(theirs)) = (out.bits.as_mut(), other.bits.as_deref()) {
            for (a, b) in Arc::make_mut(mine).iter_mut().zip(theirs.iter()) {
                *a &= !*b;
            }
        }
        out
    }

    /// Slots not in this set.
    pub fn complement(&self) -> SlotSet {
        let mut out = self.clone();
        for w in out.words_mut().iter_mut() {
            *w = !*w;
        }
        out
    }

    /// The slots, ascending (skipping empty words).
    pub fn iter(&self) -> impl Iterator<Item = u16> + '_ {
        self.words().iter().enumerate().flat_map(|(w, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                if rest == 0 {
                    return None;
                }
                let bit = rest.trailing_zeros();
                rest &= rest - 1;
                Some((w * 64) as u16 + bit as u16)
            })
        })
    }

    /// The set as maximal contiguous ranges, ascending; full and empty words are taken
    /// whole.
    pub fn ranges(&self) -> Vec<SlotRange> {
        let mut out: Vec<SlotRange> = Vec::new();
        let mut extend = |start: u16, end: u16| match out.last_mut() {
            Some(r) if r.end + 1 == start => r.end = end,
            _ => out.push(SlotRange { start, end }),
        };
        for (w, &word) in self.words().iter().enumerate() {
            let base = (w * 64) as u16;
            if word == u64::MAX {
                extend(base, base + 63);
                continue;
            }
            let mut rest = word;
            while rest != 0 {
                let lo = rest.trailing_zeros();
                // Length of the run of ones starting at `lo`.
                let run = (!(rest >> lo)).trailing_zeros();
                let hi = lo + run - 1;
                extend(base + lo as u16, base + hi as u16);
                rest &= if hi == 63 { 0 } else { u64::MAX << (hi + 1) };
            }
        }
        out
    }
}

impl SlotSet {
    /// For messages: the set as [`Display`](fmt::Display) prints it when it has at most
    /// `max` ranges, else its first `max` ranges and how many slots and ranges it has in
    /// all (`0-6,8-13,… (2487 slots in 412 ranges)`).
    pub fn brief(&self, max: usize) -> String {
        let ranges = self.ranges();
        if ranges.len() <= max {
            return self.to_string();
        }
        let head: Vec<String> = ranges[..max].iter().map(|r| r.to_string()).collect();
        format!(
            "{},… ({} slots in {} ranges)",
            head.join(","),
            self.len(),
            ranges.len()
        )
    }
}

impl fmt::Display for SlotSet {
    /// `0-5460,5462` style; `-` for the empty set.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ranges = self.ranges();
        if ranges.is_empty() {
            return f.write_str("-");
        }
        for (i, r) in ranges.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for SlotSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SlotSet[{self}]")
    }
}

impl Serialize for SlotSet {
    /// Serialized as a list of ranges: `["0-5460", "5462"]`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.ranges())
    }
}

/// CRC16/XMODEM as used by Redis Cluster.
fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in data {
        crc ^= (b as u16) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// The hash slot of a key, honouring `{hash tags}`.
pub fn key_slot(key: &[u8]) -> u16 {
    let hashed = match key.iter().position(|&b| b == b'{') {
        Some(open) => match key[open + 1..].iter().position(|&b| b == b'}') {
            Some(len) if len > 0 => &key[open + 1..open + 1 + len],
            _ => key,
        },
        None => key,
    };
    crc16(hashed) % SLOT_COUNT
}

#[cfg(test)]
mod tests {
    #[test]
    fn brief_shortens_long_sets() {
        let s =
            super::SlotSet::from_ranges((0..10).map(|i| super::SlotRange::new(i * 10, i * 10 + 1)));
        assert_eq!(s.brief(20), s.to_string());
        assert_eq!(s.brief(2), "0-1,10-11,… (20 slots in 10 ranges)");
    }

    use super::*;

    #[test]
    fn sets_from_the_same_text_share_their_bitmap_until_one_changes() {
        let build = || Ok::<_, ()>(SlotSet::from_ranges([SlotRange::new(0, 99)]));
        let a = SlotSet::interned("0-99 test-share", build).unwrap();
        let mut b = SlotSet::interned("0-99 test-share", || Err(())).unwrap();
        assert!(Arc::ptr_eq(
            a.bits.as_ref().unwrap(),
            b.bits.as_ref().unwrap()
        ));
        b.remove(5);
        assert!(a.contains(5) && !b.contains(5));
        assert_eq!((a.len(), b.len()), (100, 99));
        // Once no set uses it, the text is built again.
        drop((a, b));
        assert!(SlotSet::interned("0-99 test-share", || Err(())).is_err());
    }
    use proptest::prelude::*;

    #[test]
    fn key_slot_matches_redis() {
        // Values from `CLUSTER KEYSLOT` on Redis 7.0.
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b"bar"), 5061);
        assert_eq!(key_slot(b"123456789"), 12739);
        assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"user1000"));
        assert_eq!(key_slot(b"foo{}{bar}"), key_slot(b"foo{}{bar}"));
        assert_ne!(key_slot(b"foo{}{bar}"), key_slot(b"bar"));
        assert_eq!(key_slot(b"foo{{bar}}zap"), key_slot(b"{bar"));
    }

    #[test]
    fn display_and_ranges() {
        let mut s = SlotSet::new();
        assert_eq!(s.to_string(), "-");
        s.insert_range(SlotRange::new(0, 5460));
        s.insert(5462);
        assert_eq!(s.to_string(), "0-5460,5462");
        assert_eq!(s.len(), 5462);
        assert_eq!(SlotSet::full().len(), 16384);
        assert_eq!(SlotRange::parse("5-3"), None);
        assert_eq!(SlotRange::parse("16384"), None);
        assert_eq!(SlotRange::parse("7"), Some(SlotRange::new(7, 7)));
    }

    proptest! {
        #[test]
        fn range_parse_never_panics_and_checks_bounds(s in "\\PC{0,20}|[0-9 -]{0,14}") {
            if let Some(r) = SlotRange::parse(&s) {
                prop_assert!(r.start <= r.end && r.end < SLOT_COUNT);
            }
        }

        #[test]
        fn range_display_round_trips(a in 0..SLOT_COUNT, b in 0..SLOT_COUNT) {
            let r = SlotRange::new(a.min(b), a.max(b));
            prop_assert_eq!(SlotRange::parse(&r.to_string()), Some(r));
        }

        #[test]
        fn set_display_round_trips(slots in proptest::collection::vec(0u16..SLOT_COUNT, 0..100)) {
            let s = SlotSet::from_ranges(slots.iter().map(|x| SlotRange::new(*x, *x)));
            let text = s.to_string();
            let back = if text == "-" {
                SlotSet::new()
            } else {
                SlotSet::from_ranges(text.split(',').map(|p| SlotRange::parse(p).unwrap()))
            };
            prop_assert_eq!(back, s);
        }

        #[test]
        fn ranges_round_trip(slots in proptest::collection::vec(0u16..SLOT_COUNT, 0..300)) {
            let mut s = SlotSet::new();
            for x in &slots { s.insert(*x); }
            let back = SlotSet::from_ranges(s.ranges());
            prop_assert_eq!(&back, &s);
            prop_assert_eq!(s.len(), s.ranges().iter().map(|r| r.len()).sum::<usize>());
            prop_assert_eq!(s.complement().len() + s.len(), SLOT_COUNT as usize);
        }

        /// The word-at-a-time `insert_range`, `iter` and `ranges` agree with slot-by-slot
        /// definitions.
        #[test]
        fn word_operations_match_slot_by_slot(
            ranges in proptest::collection::vec((0u16..SLOT_COUNT, 0u16..3000), 0..20)
        ) {
            let mut fast = SlotSet::new();
            let mut naive = vec![false; SLOT_COUNT as usize];
            for (start, len) in &ranges {
                let end = start.saturating_add(*len);
                fast.insert_range(SlotRange { start: *start, end });
                for x in *start..=end.min(SLOT_COUNT - 1) {
                    naive[x as usize] = true;
                }
            }
            let listed: Vec<u16> = fast.iter().collect();
            let expected: Vec<u16> = (0..SLOT_COUNT).filter(|x| naive[*x as usize]).collect();
            prop_assert_eq!(&listed, &expected);
            let mut runs: Vec<SlotRange> = Vec::new();
            for x in expected {
                match runs.last_mut() {
                    Some(r) if r.end + 1 == x => r.end = x,
                    _ => runs.push(SlotRange { start: x, end: x }),
                }
            }
            prop_assert_eq!(fast.ranges(), runs);
        }
    }

    #[test]
    fn whole_space_is_one_range() {
        assert_eq!(
            SlotSet::full().ranges(),
            vec![SlotRange::new(0, SLOT_COUNT - 1)]
        );
        let mut s = SlotSet::new();
        s.insert_range(SlotRange::new(63, 64));
        s.insert_range(SlotRange::new(16383, 16383));
        assert_eq!(s.to_string(), "63-64,16383");
    }
}
