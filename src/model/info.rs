//! `INFO` and `CLUSTER INFO` replies: `key:value` lines, `# Section` headers.

/// A parsed `INFO`/`CLUSTER INFO` reply: the text, and where each field's key and value
/// are in it (a full `INFO` has ~150 fields and `check` reads one per node: no map of
/// owned strings is built).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Info {
    text: String,
    fields: Vec<Field>,
}

/// Where a field is in the text: key `start..colon`, value `colon + 1..end` (12 bytes,
/// not 32: every view keeps two of these lists).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Field {
    start: u32,
    colon: u32,
    end: u32,
}

/// The lines of `text` (split at `\n`, which they do not include) with their offsets, found
/// with SIMD: `check` parses a 5 KB INFO and a `CLUSTER NODES` reply from every node.
pub(crate) fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let ends = memchr::memchr_iter(b'\n', text.as_bytes()).chain(std::iter::once(text.len()));
    let mut start = 0;
    ends.map(move |end| {
        // `\n` is ASCII: both ends are character boundaries.
        let line = (start, text.get(start..end).unwrap_or_default());
        start = end + 1;
        line
    })
}

impl Info {
    /// Parses the reply; lines without `:` and `#` comments are skipped. Never fails.
    pub fn parse(text: impl Into<String>) -> Info {
        // Owned: the reply's own buffer is kept, not copied.
        let text: String = text.into();
        // One field per line at most: sized once.
        let mut fields =
            Vec::with_capacity(memchr::memchr_iter(b'\n', text.as_bytes()).count() + 1);
        for (line_start, raw) in lines(&text) {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some(colon) = memchr::memchr(b':', line.as_bytes()) else {
                continue;
            };
            let start = line_start + (raw.len() - raw.trim_start().len());
            // Replies are capped far below 4 GiB; anything past that is not indexed.
            let (Ok(s), Ok(c), Ok(e)) = (
                u32::try_from(start),
                u32::try_from(start + colon),
                u32::try_from(start + line.len()),
            ) else {
                break;
            };
            fields.push(Field {
                start: s,
                colon: c,
                end: e,
            });
        }
        Info { text, fields }
    }

    fn entries(&self) -> impl DoubleEndedIterator<Item = (&str, &str)> {
        self.fields.iter().map(|f| {
            let at = |a: u32, b: u32| self.text.get(a as usize..b as usize).unwrap_or_default();
            (at(f.start, f.colon), at(f.colon + 1, f.end))
        })
    }

    /// The value of `key` (the last one, should the reply repeat it).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries()
            .rev()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }

    pub fn get_u64(&self, key: &str) -> Option<u64> {
        self.get(key)?.parse().ok()
    }

    /// Total keys over every `dbN:keys=…,expires=…` line.
    pub fn total_keys(&self) -> u64 {
        self.keyspace_total("keys=")
    }

    /// Total keys with a time to live over every `dbN:keys=…,expires=…` line.
    pub fn total_expires(&self) -> u64 {
        self.keyspace_total("expires=")
    }

    fn keyspace_total(&self, field: &str) -> u64 {
        // A repeated `dbN` line counts once (its last value), like `get`.
        let mut seen: Vec<&str> = Vec::new();
        self.entries()
            .rev()
            .filter(|(k, _)| {
                k.strip_prefix("db")
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            })
            .filter(|(k, _)| {
                let new = !seen.contains(k);
                seen.push(k);
                new
            })
            .filter_map(|(_, v)| {
                v.split(',')
                    .find_map(|kv| kv.strip_prefix(field))
                    .and_then(|n| n.parse::<u64>().ok())
            })
            .sum()
    }

    /// `redis_version` (or `valkey_version`) as (major, minor, patch).
    pub fn version(&self) -> Option<(u32, u32, u32)> {
        let v = self
            .get("valkey_version")
            .or_else(|| self.get("redis_version"))?;
        let mut it = v.split('.').map(|p| p.parse::<u32>().ok());
        Some((
            it.next()??,
            it.next().flatten().unwrap_or(0),
            it.next().flatten().unwrap_or(0),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_info() {
        let i = Info::parse(
            "# Server\r\nredis_version:7.0.15\r\ncluster_enabled:1\r\n\r\n# Keyspace\r\ndb0:keys=3,expires=0,avg_ttl=0\r\ndb2:keys=4,expires=1,avg_ttl=5\r\n",
        );
        assert_eq!(i.get("cluster_enabled"), Some("1"));
        assert_eq!(i.total_keys(), 7);
        assert_eq!(i.total_expires(), 1);
        assert_eq!(i.version(), Some((7, 0, 15)));
        assert_eq!(Info::parse("garbage\n:::\n").total_keys(), 0);
    }

    /// A field name as servers write them: no `:`, no line break, not a `#` comment.
    fn arb_key() -> impl Strategy<Value = String> {
        "[a-z_][a-z0-9_|.-]{0,30}".prop_filter("db lines are counted separately", |k| {
            !k.starts_with("db") && k != "redis_version" && k != "valkey_version"
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_text_never_panics(s in any::<String>()) {
            let i = Info::parse(&s);
            let _ = (i.total_keys(), i.version(), i.get_u64("used_memory"));
        }

        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..400)) {
            let i = Info::parse(String::from_utf8_lossy(&b));
            let _ = (i.total_keys(), i.version());
        }

        #[test]
        fn fields_round_trip(
            fields in proptest::collection::btree_map(arb_key(), "[ -~]{0,40}", 0..20),
            version in proptest::option::of((0u32..100, 0u32..100, 0u32..1000)),
            valkey in any::<bool>(),
            dbs in proptest::collection::btree_map(0u8..16, any::<u32>(), 0..5),
            crlf in any::<bool>(),
        ) {
            let sep = if crlf { "\r\n" } else { "\n" };
            let mut text = format!("# Server{sep}");
            for (k, v) in &fields {
                text.push_str(&format!("{k}:{v}{sep}"));
            }
            if let Some((a, b, c)) = version {
                text.push_str(&format!("redis_version:7.2.4{sep}"));
                let name = if valkey { "valkey_version" } else { "redis_version" };
                text.push_str(&format!("{name}:{a}.{b}.{c}{sep}"));
            }
            text.push_str(&format!("{sep}# Keyspace{sep}"));
            for (db, keys) in &dbs {
                text.push_str(&format!("db{db}:keys={keys},expires=0,avg_ttl=0{sep}"));
            }
            let info = Info::parse(&text);
            for (k, v) in &fields {
                prop_assert_eq!(info.get(k), Some(v.trim_end()));
            }
            prop_assert_eq!(info.version(), version);
            prop_assert_eq!(info.total_keys(), dbs.values().map(|k| u64::from(*k)).sum::<u64>());
        }

        /// Every lookup agrees with a plain map built line by line (last value wins).
        #[test]
        fn lookups_match_a_map_of_the_lines(text in "([ #a-c0-9:=,\r]{0,12}\n){0,30}") {
            let mut map = std::collections::BTreeMap::new();
            for l in text.lines().map(str::trim) {
                if l.is_empty() || l.starts_with('#') {
                    continue;
                }
                if let Some((k, v)) = l.split_once(':') {
                    map.insert(k.to_string(), v.to_string());
                }
            }
            let info = Info::parse(&text);
            for (k, v) in &map {
                prop_assert_eq!(info.get(k), Some(v.as_str()));
            }
            prop_assert_eq!(info.get("not-a-key-here"), None);
        }
    }
}
