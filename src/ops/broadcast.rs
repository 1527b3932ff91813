//! Running one command on many nodes at once.

use futures::future::join_all;
use redis::Value;

use crate::cluster::{Node, NodeError};

/// Runs `cmd` on every node concurrently; one result per node, in order.
pub async fn run_everywhere(nodes: &[Node], cmd: &redis::Cmd) -> Vec<Result<Value, NodeError>> {
    join_all(nodes.iter().map(|n| n.query::<Value>(cmd))).await
}

/// A reply as redis-cli would print it, on one line.
pub fn reply_text(v: &Value) -> String {
    match v {
        Value::Nil => "(nil)".into(),
        Value::Int(i) => i.to_string(),
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        Value::SimpleString(s) => s.clone(),
        Value::Okay => "OK".into(),
        Value::Double(d) => d.to_string(),
        Value::Boolean(b) => b.to_string(),
        Value::VerbatimString { text, .. } => text.clone(),
        Value::BigNumber(n) => format!("{n:?}"),
        Value::Array(items) | Value::Set(items) => {
            let inner: Vec<String> = items.iter().map(reply_text).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Map(kv) => {
            let inner: Vec<String> = kv
                .iter()
                .map(|(k, v)| format!("{}: {}", reply_text(k), reply_text(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
        Value::Attribute { data, .. } => reply_text(data),
        Value::Push { data, .. } => {
            let inner: Vec<String> = data.iter().map(reply_text).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::ServerError(e) => format!("(error) {e:?}"),
        _ => format!("{v:?}"),
    }
}

/// A reply as JSON: strings, numbers, arrays, objects.
pub fn reply_json(v: &Value) -> serde_json::Value {
    use serde_json::json;
    match v {
        Value::Nil => serde_json::Value::Null,
        Value::Int(i) => json!(i),
        Value::Double(d) => json!(d),
        Value::Boolean(b) => json!(b),
        Value::Array(items) | Value::Set(items) => {
            serde_json::Value::Array(items.iter().map(reply_json).collect())
        }
        Value::Map(kv) => serde_json::Value::Array(
            kv.iter()
                .map(|(k, v)| json!([reply_json(k), reply_json(v)]))
                .collect(),
        ),
        other => json!(reply_text(other)),
    }
}
