//! `INFO` / `CLUSTER INFO` replies: raw text never panics; fields written the way Redis
//! writes them are read back exactly.
#![no_main]

use std::collections::BTreeMap;

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use trib::model::info::Info;

#[derive(Arbitrary, Debug)]
struct Input {
    fields: Vec<(String, String)>,
    version: Option<(u8, u8, u16)>,
    dbs: Vec<(u8, u32)>,
    crlf: bool,
}

fuzz_target!(|data: &[u8]| {
    // The input as a raw reply: every getter on whatever it parsed.
    let text = String::from_utf8_lossy(data);
    let raw = Info::parse(&*text);
    let _ = raw.total_keys();
    if let Some((major, _, _)) = raw.version() {
        let v = raw
            .get("valkey_version")
            .or(raw.get("redis_version"))
            .expect("a version field");
        assert_eq!(v.split('.').next().map(str::parse::<u32>), Some(Ok(major)));
    }
    assert_eq!(Info::parse(&*text), raw, "deterministic");

    let Ok(input) = Input::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };

    // Well-formed fields: `key:value` lines under `# Section` headers.
    let sep = if input.crlf { "\r\n" } else { "\n" };
    let mut text = format!("# Server{sep}");
    let mut want: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in &input.fields {
        let k: String = k.chars().filter(|c| !c.is_control() && *c != ':').collect();
        let k = k.trim().to_string();
        let v: String = v.chars().filter(|c| !c.is_control()).collect();
        let v = v.trim().to_string();
        if k.is_empty() || k.starts_with('#') || k.starts_with("db") {
            continue;
        }
        if k == "redis_version" || k == "valkey_version" {
            continue;
        }
        text.push_str(&format!("{k}:{v}{sep}"));
        want.insert(k, v);
    }
    if let Some((a, b, c)) = input.version {
        text.push_str(&format!("redis_version:{a}.{b}.{c}{sep}"));
    }
    text.push_str(&format!("{sep}# Keyspace{sep}"));
    let mut dbs: BTreeMap<u8, u32> = BTreeMap::new();
    for (db, keys) in &input.dbs {
        let db = db % 16;
        text.push_str(&format!("db{db}:keys={keys},expires=0,avg_ttl=0{sep}"));
        dbs.insert(db, *keys);
    }
    let info = Info::parse(&*text);
    for (k, v) in &want {
        assert_eq!(info.get(k), Some(v.as_str()), "{k:?} in {text:?}");
        if let Ok(n) = v.parse::<u64>()
            && v.bytes().all(|b| b.is_ascii_digit())
        {
            assert_eq!(info.get_u64(k), Some(n));
        }
    }
    assert_eq!(
        info.version(),
        input
            .version
            .map(|(a, b, c)| (u32::from(a), u32::from(b), u32::from(c)))
    );
    // The last line for a database wins, as in a map.
    let total: u64 = dbs.values().map(|k| u64::from(*k)).sum();
    assert_eq!(info.total_keys(), total, "{text:?}");
});
