//! Comparing a key's value on two nodes, for BUSYKEY decisions (reshard, fix, import).
//!
//! `DUMP` payloads are compared first by callers; they differ for equal hashes and sets
//! stored as hash tables (iteration order is per server), so a content comparison
//! decides in the end.

use redis::Value;

use crate::cluster::{Node, NodeError};

/// One command, preceded by `ASKING` in the same pipeline when `asking` (reading a key
/// of a slot the node is importing).
async fn query(n: &Node, cmd: &redis::Cmd, asking: bool) -> Result<Value, NodeError> {
    if !asking {
        return n.query::<Value>(cmd).await;
    }
    let mut pipe = redis::pipe();
    pipe.cmd("ASKING").add_command(cmd.clone());
    let mut replies = n.pipeline(&pipe).await?;
    replies.pop().unwrap_or(Ok(Value::Nil))
}

fn text(v: Value) -> String {
    match v {
        Value::SimpleString(s) => s,
        Value::BulkString(b) => String::from_utf8_lossy(&b).into_owned(),
        Value::Okay => "OK".into(),
        other => format!("{other:?}"),
    }
}

/// True when `key` has the same type and contents on both nodes (order-insensitive for
/// hashes and sets). Streams and module types only compare equal by `DUMP` payload.
/// `asking_a`/`asking_b`: read through `ASKING` on that node (it imports the key's slot,
/// or may: `ASKING` is harmless on the slot's owner).
pub async fn same_contents(
    a: &Node,
    b: &Node,
    key: &[u8],
    asking_a: bool,
    asking_b: bool,
) -> Result<bool, NodeError> {
    let mut type_cmd = redis::cmd("TYPE");
    type_cmd.arg(key);
    let (ta, tb) =
        futures::try_join!(query(a, &type_cmd, asking_a), query(b, &type_cmd, asking_b))?;
    let (ta, tb) = (text(ta), text(tb));
    if ta != tb {
        return Ok(false);
    }
    let mut cmd = match ta.as_str() {
        "string" => redis::cmd("GET"),
        "hash" => redis::cmd("HGETALL"),
        "set" => redis::cmd("SMEMBERS"),
        "list" => redis::cmd("LRANGE"),
        "zset" => redis::cmd("ZRANGE"),
        _ => return Ok(false),
    };
    cmd.arg(key);
    match ta.as_str() {
        "list" => {
            cmd.arg(0).arg(-1);
        }
        "zset" => {
            cmd.arg(0).arg(-1).arg("WITHSCORES");
        }
        _ => {}
    }
    let (va, vb) = futures::try_join!(query(a, &cmd, asking_a), query(b, &cmd, asking_b))?;
    Ok(canonical(va, &ta) == canonical(vb, &ta))
}

/// A reply in a comparable form: hash fields and set members sorted.
fn canonical(v: Value, ty: &str) -> Vec<Vec<u8>> {
    let items: Vec<Vec<u8>> = match v {
        Value::Array(items) | Value::Set(items) => items
            .into_iter()
            .map(|i| match i {
                Value::BulkString(b) => b,
                other => format!("{other:?}").into_bytes(),
            })
            .collect(),
        Value::Map(pairs) => pairs
            .into_iter()
            .flat_map(|(k, v)| [k, v])
            .map(|i| match i {
                Value::BulkString(b) => b,
                other => format!("{other:?}").into_bytes(),
            })
            .collect(),
        Value::BulkString(b) => vec![b],
        other => vec![format!("{other:?}").into_bytes()],
    };
    match ty {
        "hash" => {
            let mut pairs: Vec<Vec<u8>> = items
                .chunks(2)
                .map(|p| {
                    let mut joined = p[0].clone();
                    joined.push(0);
                    joined.extend_from_slice(p.get(1).map(Vec::as_slice).unwrap_or(&[]));
                    joined
                })
                .collect();
            pairs.sort();
            pairs
        }
        "set" => {
            let mut m = items;
            m.sort();
            m
        }
        _ => items,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_sets_compare_in_any_order() {
        let b = |s: &str| Value::BulkString(s.as_bytes().to_vec());
        let h1 = Value::Array(vec![b("f1"), b("1"), b("f2"), b("2")]);
        let h2 = Value::Array(vec![b("f2"), b("2"), b("f1"), b("1")]);
        assert_eq!(canonical(h1.clone(), "hash"), canonical(h2, "hash"));
        let h3 = Value::Array(vec![b("f1"), b("2"), b("f2"), b("1")]);
        assert_ne!(canonical(h1, "hash"), canonical(h3, "hash"));
        let s1 = Value::Array(vec![b("x"), b("y")]);
        let s2 = Value::Array(vec![b("y"), b("x")]);
        assert_eq!(canonical(s1.clone(), "set"), canonical(s2.clone(), "set"));
        assert_ne!(canonical(s1, "list"), canonical(s2, "list"));
    }
}
