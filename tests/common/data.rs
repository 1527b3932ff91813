//! Keys written straight to their slots' owners and read back from them (no redirection):
//! setup and checks for moves of slots with keys.

use std::collections::BTreeMap;

use super::redis::RedisNode;
use super::view::slot_map;

/// A plain connection to `addr` (no password, no TLS).
pub fn connect_addr(addr: &str) -> ::redis::Connection {
    ::redis::Client::open(format!("redis://{addr}/"))
        .and_then(|c| c.get_connection())
        .unwrap_or_else(|e| panic!("connecting to {addr}: {e}"))
}

/// `kvs` grouped by the address owning each key's slot in `map`.
fn by_owner<'a, T>(
    map: &[Option<String>],
    kvs: impl IntoIterator<Item = &'a T>,
    key: impl Fn(&T) -> &str,
) -> BTreeMap<String, Vec<&'a T>>
where
    T: 'a,
{
    let mut per: BTreeMap<String, Vec<&T>> = BTreeMap::new();
    for kv in kvs {
        let slot = trib::model::key_slot(key(kv).as_bytes());
        let owner = map[usize::from(slot)]
            .clone()
            .unwrap_or_else(|| panic!("nobody owns slot {slot}"));
        per.entry(owner).or_default().push(kv);
    }
    per
}

/// Writes `n` keys `{prefix}{i}` = `v{i}` through their owners (from `nodes[0]`'s view),
/// pipelined; returns them in order.
pub fn fill(nodes: &[RedisNode], prefix: &str, n: usize) -> Vec<(String, String)> {
    let all: Vec<(String, String)> = (0..n)
        .map(|i| (format!("{prefix}{i}"), format!("v{i}")))
        .collect();
    let map = slot_map(&nodes[0]);
    for (addr, kvs) in by_owner(&map, &all, |kv| &kv.0) {
        let mut c = connect_addr(&addr);
        for chunk in kvs.chunks(1000) {
            let mut p = ::redis::pipe();
            for (k, v) in chunk.iter().copied() {
                p.cmd("SET").arg(k).arg(v).ignore();
            }
            p.query::<()>(&mut c)
                .unwrap_or_else(|e| panic!("writing keys on {addr}: {e}"));
        }
    }
    all
}

/// Every key is on its slot's owner (from `nodes[0]`'s view), read directly (no
/// redirection), with its value.
pub fn verify_on_owners(nodes: &[RedisNode], kvs: &[(String, String)]) {
    let map = slot_map(&nodes[0]);
    for (addr, kvs) in by_owner(&map, kvs, |kv| &kv.0) {
        let mut c = connect_addr(&addr);
        for chunk in kvs.chunks(1000) {
            let mut p = ::redis::pipe();
            for (k, _) in chunk.iter().copied() {
                p.cmd("GET").arg(k);
            }
            let got: Vec<Option<String>> = p
                .query(&mut c)
                .unwrap_or_else(|e| panic!("reading keys on {addr}: {e}"));
            for ((k, v), g) in chunk.iter().copied().zip(got) {
                assert_eq!(g.as_deref(), Some(v.as_str()), "{k} on its owner {addr}");
            }
        }
    }
}

/// Puts `key`=`value` on `node` although `node` does not own its slot (IMPORTING + ASKING).
pub fn plant(node: &RedisNode, owner: &RedisNode, key: &str, value: &str) {
    let slot = trib::model::key_slot(key.as_bytes()).to_string();
    node.cmd(&["CLUSTER", "SETSLOT", &slot, "IMPORTING", &owner.node_id()]);
    let mut c = connect_addr(&node.addr());
    ::redis::cmd("ASKING").query::<()>(&mut c).unwrap();
    ::redis::cmd("SET")
        .arg(key)
        .arg(value)
        .query::<()>(&mut c)
        .unwrap();
    node.cmd(&["CLUSTER", "SETSLOT", &slot, "STABLE"]);
}

/// A key of slot `slot` named after `name` (with a hash tag).
pub fn key_in(slot: u16, name: &str) -> String {
    (0..)
        .map(|i| format!("{{t{i}}}{name}"))
        .find(|k| trib::model::key_slot(k.as_bytes()) == slot)
        .unwrap()
}
