//! Typed cluster-administration commands. How each command is spelled lives here, once:
//! [`cmd`] builds them (for callers that batch them in pipelines), and the `impl Node`
//! below sends one and decodes its reply.

use std::time::Duration;

use redis::Value;

use super::conn::{Node, Secret};
use super::error::{NodeError, NodeErrorKind};
use crate::model::NodeId;

/// What `CLUSTER SETSLOT <slot> …` sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetSlot<'a> {
    /// `IMPORTING <source>` (on the target).
    Importing(&'a NodeId),
    /// `MIGRATING <target>` (on the source).
    Migrating(&'a NodeId),
    /// `NODE <owner>`: the slot's owner.
    Node(&'a NodeId),
    /// `STABLE`: clears importing / migrating.
    Stable,
}

/// How a `MIGRATE` source authenticates to the target.
#[derive(Clone, Copy, Debug)]
pub enum MigrateAuth<'a> {
    /// `AUTH password` (the default user; Redis 5 knows no other form).
    Password(&'a Secret),
    /// `AUTH2 user password` (Redis ≥ 6).
    User(&'a str, &'a Secret),
}

/// The fixed part of a `MIGRATE host port "" 0 timeout [COPY] [REPLACE] [AUTH…] KEYS …`.
#[derive(Clone, Copy, Debug)]
pub struct Migrate<'a> {
    /// Where the source reaches the target.
    pub host: &'a str,
    pub port: u16,
    /// The source's I/O timeout towards the target.
    pub timeout: Duration,
    /// Keep the keys on the source (`COPY`).
    pub copy: bool,
    /// Overwrite existing keys on the target (`REPLACE`).
    pub replace: bool,
    pub auth: Option<MigrateAuth<'a>>,
}

/// A successful `MIGRATE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MigrateReply {
    /// Moved (or copied).
    Ok,
    /// `NOKEY`: none of the keys existed on the source.
    NoKey,
}

/// Builders of the commands, for pipelines.
pub mod cmd {
    use redis::Cmd;

    use super::{Migrate, MigrateAuth, SetSlot};
    use crate::model::NodeId;

    fn cluster(sub: &str) -> Cmd {
        let mut c = redis::cmd("CLUSTER");
        c.arg(sub);
        c
    }

    /// `CLUSTER SETSLOT slot IMPORTING|MIGRATING|NODE id` or `… STABLE`.
    pub fn setslot(slot: u16, action: SetSlot<'_>) -> Cmd {
        let mut c = cluster("SETSLOT");
        c.arg(slot);
        match action {
            SetSlot::Importing(id) => c.arg("IMPORTING").arg(id.as_str()),
            SetSlot::Migrating(id) => c.arg("MIGRATING").arg(id.as_str()),
            SetSlot::Node(id) => c.arg("NODE").arg(id.as_str()),
            SetSlot::Stable => c.arg("STABLE"),
        };
        c
    }

    /// `CLUSTER COUNTKEYSINSLOT slot`.
    pub fn countkeysinslot(slot: u16) -> Cmd {
        let mut c = cluster("COUNTKEYSINSLOT");
        c.arg(slot);
        c
    }

    /// `CLUSTER GETKEYSINSLOT slot count`.
    pub fn getkeysinslot(slot: u16, count: usize) -> Cmd {
        let mut c = cluster("GETKEYSINSLOT");
        c.arg(slot).arg(count);
        c
    }

    /// `MEMORY USAGE key`: the key's bytes (aggregates sampled, the server's default 5).
    pub fn memory_usage(key: &[u8]) -> Cmd {
        let mut c = redis::cmd("MEMORY");
        c.arg("USAGE").arg(key);
        c
    }

    /// `MIGRATE host port "" 0 timeout [COPY] [REPLACE] [AUTH pw | AUTH2 user pw] KEYS k…`.
    pub fn migrate(m: &Migrate<'_>, keys: &[Vec<u8>]) -> Cmd {
        let mut c = redis::cmd("MIGRATE");
        c.arg(m.host)
            .arg(m.port)
            .arg("")
            .arg(0)
            .arg(m.timeout.as_millis() as u64);
        if m.copy {
            c.arg("COPY");
        }
        if m.replace {
            c.arg("REPLACE");
        }
        match m.auth {
            Some(MigrateAuth::Password(pw)) => {
                c.arg("AUTH").arg(pw.expose());
            }
            Some(MigrateAuth::User(user, pw)) => {
                c.arg("AUTH2").arg(user).arg(pw.expose());
            }
            None => {}
        }
        c.arg("KEYS");
        for k in keys {
            c.arg(k.as_slice());
        }
        c
    }

    /// `RESTORE-ASKING key ttl payload [REPLACE]`: a key copied from its source's `DUMP`
    /// (`ttl` in milliseconds, 0 for none), accepted by a node that imports its slot.
    pub fn restore_asking(key: &[u8], ttl_ms: u64, payload: &[u8], replace: bool) -> Cmd {
        let mut c = redis::cmd("RESTORE-ASKING");
        c.arg(key).arg(ttl_ms).arg(payload);
        if replace {
            c.arg("REPLACE");
        }
        c
    }

    /// `CLUSTER MIGRATESLOTS SLOTSRANGE a b [c d …] NODE target [SLOTSRANGE … NODE …]`
    /// (Valkey 9): one job per target.
    pub fn migrateslots(jobs: &[(&NodeId, Vec<(u16, u16)>)]) -> Cmd {
        let mut c = cluster("MIGRATESLOTS");
        for (to, ranges) in jobs {
            c.arg("SLOTSRANGE");
            for (a, b) in ranges {
                c.arg(*a).arg(*b);
            }
            c.arg("NODE").arg(to.as_str());
        }
        c
    }

    /// `CLUSTER GETSLOTMIGRATIONS` (Valkey 9).
    pub fn getslotmigrations() -> Cmd {
        cluster("GETSLOTMIGRATIONS")
    }

    /// `CLUSTER CANCELSLOTMIGRATIONS` (Valkey 9): cancels every migration the node runs.
    pub fn cancelslotmigrations() -> Cmd {
        cluster("CANCELSLOTMIGRATIONS")
    }

    /// `CLUSTER BUMPEPOCH`.
    pub fn bumpepoch() -> Cmd {
        cluster("BUMPEPOCH")
    }

    /// `CLUSTER REPLICATE master`.
    pub fn replicate(master: &NodeId) -> Cmd {
        let mut c = cluster("REPLICATE");
        c.arg(master.as_str());
        c
    }

    /// `CLUSTER SET-CONFIG-EPOCH epoch`.
    pub fn set_config_epoch(epoch: u64) -> Cmd {
        let mut c = cluster("SET-CONFIG-EPOCH");
        c.arg(epoch);
        c
    }

    /// `CLUSTER ADDSLOTSRANGE start end …` when `range`, else `CLUSTER ADDSLOTS` with
    /// every slot listed (servers before Redis 7.0).
    pub fn addslots(slots: &[crate::model::SlotRange], range: bool) -> Cmd {
        if range {
            let mut c = cluster("ADDSLOTSRANGE");
            for r in slots {
                c.arg(r.start).arg(r.end);
            }
            c
        } else {
            let mut c = cluster("ADDSLOTS");
            for r in slots {
                for s in r.start..=r.end {
                    c.arg(s);
                }
            }
            c
        }
    }

    /// `CLUSTER MEET ip port bus_port`.
    pub fn meet(ip: &str, port: u16, bus_port: u16) -> Cmd {
        let mut c = cluster("MEET");
        c.arg(ip).arg(port).arg(bus_port);
        c
    }

    /// `CLUSTER FORGET id`.
    pub fn forget(id: &NodeId) -> Cmd {
        let mut c = cluster("FORGET");
        c.arg(id.as_str());
        c
    }

    /// `CLUSTER FAILOVER [FORCE|TAKEOVER]` (`option` as given).
    pub fn failover(option: Option<&str>) -> Cmd {
        let mut c = cluster("FAILOVER");
        if let Some(opt) = option {
            c.arg(opt);
        }
        c
    }

    /// `FUNCTION LIST WITHCODE`.
    pub fn function_list_withcode() -> Cmd {
        let mut c = redis::cmd("FUNCTION");
        c.arg("LIST").arg("WITHCODE");
        c
    }

    /// `CONFIG GET name`.
    pub fn config_get(name: &str) -> Cmd {
        let mut c = redis::cmd("CONFIG");
        c.arg("GET").arg(name);
        c
    }

    /// `CONFIG SET name value`.
    pub fn config_set(name: &str, value: impl redis::ToRedisArgs) -> Cmd {
        let mut c = redis::cmd("CONFIG");
        c.arg("SET").arg(name).arg(value);
        c
    }

    /// `FUNCTION DUMP`.
    pub fn function_dump() -> Cmd {
        let mut c = redis::cmd("FUNCTION");
        c.arg("DUMP");
        c
    }

    /// `FUNCTION RESTORE payload`.
    pub fn function_restore(payload: &[u8]) -> Cmd {
        let mut c = redis::cmd("FUNCTION");
        c.arg("RESTORE").arg(payload);
        c
    }

    /// `COMMAND INFO name` (`name` as `CONTAINER|SUB` for subcommands).
    pub fn command_info(name: &str) -> Cmd {
        let mut c = redis::cmd("COMMAND");
        c.arg("INFO").arg(name);
        c
    }

    /// `PING`.
    pub fn ping() -> Cmd {
        redis::cmd("PING")
    }
}

/// The keys of a `CLUSTER GETKEYSINSLOT` reply.
pub fn keys_of(v: Value) -> Result<Vec<Vec<u8>>, String> {
    match v {
        Value::Array(items) => items
            .into_iter()
            .map(|k| match k {
                Value::BulkString(b) => Ok(b),
                Value::SimpleString(s) => Ok(s.into_bytes()),
                other => Err(format!("GETKEYSINSLOT returned {other:?}")),
            })
            .collect(),
        other => Err(format!("GETKEYSINSLOT returned {other:?}")),
    }
}

/// The count of a `CLUSTER COUNTKEYSINSLOT` reply; anything but an integer counts 0.
pub fn count_of(v: &Value) -> u64 {
    match v {
        Value::Int(n) => (*n).max(0) as u64,
        _ => 0,
    }
}

/// The value of a `CONFIG GET name` reply (RESP2 pair or RESP3 map); `None` when the
/// parameter is unknown.
pub fn config_value(v: &Value) -> Option<&Value> {
    match v {
        Value::Array(items) => items.get(1),
        Value::Map(m) => m.first().map(|(_, x)| x),
        _ => None,
    }
}

/// Whether a `COMMAND INFO name` reply describes the command: servers without it answer
/// `[nil]`.
pub fn command_listed(reply: &Value) -> bool {
    matches!(reply, Value::Array(v) if v.first().is_some_and(|x| *x != Value::Nil))
}

impl Node {
    fn protocol(&self, why: String) -> NodeError {
        NodeError::new(&self.label, NodeErrorKind::Protocol(why))
    }

    /// `CLUSTER SETSLOT`.
    pub async fn setslot(&self, slot: u16, action: SetSlot<'_>) -> Result<(), NodeError> {
        self.ok(&cmd::setslot(slot, action)).await
    }

    /// `CLUSTER COUNTKEYSINSLOT`.
    pub async fn count_keys_in_slot(&self, slot: u16) -> Result<u64, NodeError> {
        let v: Value = self.query(&cmd::countkeysinslot(slot)).await?;
        Ok(count_of(&v))
    }

    /// `CLUSTER GETKEYSINSLOT`: up to `count` keys of `slot`.
    pub async fn keys_in_slot(&self, slot: u16, count: usize) -> Result<Vec<Vec<u8>>, NodeError> {
        let v: Value = self.query(&cmd::getkeysinslot(slot, count)).await?;
        keys_of(v).map_err(|e| self.protocol(e))
    }

    /// `MIGRATE … KEYS keys`, waiting up to `reply_within` for the reply (the source
    /// itself waits up to `m.timeout` for the target).
    pub async fn migrate(
        &self,
        m: &Migrate<'_>,
        keys: &[Vec<u8>],
        reply_within: Duration,
    ) -> Result<MigrateReply, NodeError> {
        let v: Value = self
            .query_within(&cmd::migrate(m, keys), reply_within)
            .await?;
        Ok(match v {
            Value::SimpleString(s) if s == "NOKEY" => MigrateReply::NoKey,
            _ => MigrateReply::Ok,
        })
    }

    /// `CLUSTER MIGRATESLOTS` (Valkey 9): starts one atomic migration job per target.
    pub async fn migrate_slots(
        &self,
        jobs: &[(&NodeId, Vec<(u16, u16)>)],
    ) -> Result<(), NodeError> {
        self.ok(&cmd::migrateslots(jobs)).await
    }

    /// `CLUSTER GETSLOTMIGRATIONS` (Valkey 9), as sent.
    pub async fn slot_migrations(&self) -> Result<Value, NodeError> {
        self.query(&cmd::getslotmigrations()).await
    }

    /// `CLUSTER CANCELSLOTMIGRATIONS` (Valkey 9).
    pub async fn cancel_slot_migrations(&self) -> Result<(), NodeError> {
        self.ok(&cmd::cancelslotmigrations()).await
    }

    /// `CLUSTER BUMPEPOCH`; its reply (`BUMPED n` or `STILL n`) is not needed.
    pub async fn bump_epoch(&self) -> Result<(), NodeError> {
        let _: Value = self.query(&cmd::bumpepoch()).await?;
        Ok(())
    }

    /// `PING`.
    pub async fn ping(&self) -> Result<(), NodeError> {
        let _: Value = self.query(&cmd::ping()).await?;
        Ok(())
    }

    /// `CONFIG GET name`: the value, `None` when the server does not know the parameter.
    pub async fn config_get(&self, name: &str) -> Result<Option<Value>, NodeError> {
        let v: Value = self.query(&cmd::config_get(name)).await?;
        Ok(config_value(&v).cloned())
    }

    /// `CONFIG SET name value`.
    pub async fn config_set(
        &self,
        name: &str,
        value: impl redis::ToRedisArgs,
    ) -> Result<(), NodeError> {
        self.ok(&cmd::config_set(name, value)).await
    }

    /// `cluster-node-timeout` in ms; `None` when CONFIG is not allowed or unparsable.
    pub async fn node_timeout(&self) -> Option<u64> {
        let value = self.config_get("cluster-node-timeout").await.ok()??;
        redis::from_redis_value::<String>(value).ok()?.parse().ok()
    }

    /// `CONFIG SET cluster-node-timeout ms`.
    pub async fn set_node_timeout(&self, ms: u64) -> Result<(), NodeError> {
        self.config_set("cluster-node-timeout", ms).await
    }

    /// `FUNCTION DUMP`: every library, serialized.
    pub async fn function_dump(&self) -> Result<Vec<u8>, NodeError> {
        self.query(&cmd::function_dump()).await
    }

    /// `FUNCTION RESTORE payload`.
    pub async fn function_restore(&self, payload: &[u8]) -> Result<(), NodeError> {
        self.ok(&cmd::function_restore(payload)).await
    }

    /// Whether the server has the command (`COMMAND INFO`; `CONTAINER|SUB` for
    /// subcommands).
    pub async fn has_command(&self, name: &str) -> Result<bool, NodeError> {
        let v: Value = self.query(&cmd::command_info(name)).await?;
        Ok(command_listed(&v))
    }

    /// `CLUSTER REPLICATE master`.
    pub async fn replicate(&self, master: &NodeId) -> Result<(), NodeError> {
        self.ok(&cmd::replicate(master)).await
    }

    /// `CLUSTER FORGET id`.
    pub async fn forget(&self, id: &NodeId) -> Result<(), NodeError> {
        self.ok(&cmd::forget(id)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(c: &redis::Cmd) -> Vec<String> {
        c.args_iter()
            .map(|a| match a {
                redis::Arg::Simple(b) => String::from_utf8_lossy(b).into_owned(),
                _ => "<cursor>".into(),
            })
            .collect()
    }

    fn bulk(s: &str) -> Value {
        Value::BulkString(s.as_bytes().to_vec())
    }

    fn id(c: char) -> NodeId {
        NodeId::parse(&c.to_string().repeat(40)).unwrap()
    }

    #[test]
    fn setslot_spelling() {
        let a = id('a');
        assert_eq!(
            args(&cmd::setslot(7, SetSlot::Importing(&a))),
            ["CLUSTER", "SETSLOT", "7", "IMPORTING", a.as_str()]
        );
        assert_eq!(
            args(&cmd::setslot(7, SetSlot::Migrating(&a))),
            ["CLUSTER", "SETSLOT", "7", "MIGRATING", a.as_str()]
        );
        assert_eq!(
            args(&cmd::setslot(7, SetSlot::Node(&a))),
            ["CLUSTER", "SETSLOT", "7", "NODE", a.as_str()]
        );
        assert_eq!(
            args(&cmd::setslot(7, SetSlot::Stable)),
            ["CLUSTER", "SETSLOT", "7", "STABLE"]
        );
    }

    #[test]
    fn migrate_spelling() {
        let pw = Secret::new("pw");
        let mut m = Migrate {
            host: "10.0.0.1",
            port: 7000,
            timeout: Duration::from_millis(2500),
            copy: false,
            replace: false,
            auth: None,
        };
        let keys = vec![b"a".to_vec(), b"b".to_vec()];
        assert_eq!(
            args(&cmd::migrate(&m, &keys)),
            [
                "MIGRATE", "10.0.0.1", "7000", "", "0", "2500", "KEYS", "a", "b"
            ]
        );
        m.copy = true;
        m.replace = true;
        m.auth = Some(MigrateAuth::User("u", &pw));
        assert_eq!(
            args(&cmd::migrate(&m, &keys[..1])),
            [
                "MIGRATE", "10.0.0.1", "7000", "", "0", "2500", "COPY", "REPLACE", "AUTH2", "u",
                "pw", "KEYS", "a"
            ]
        );
        m.auth = Some(MigrateAuth::Password(&pw));
        m.copy = false;
        assert_eq!(
            args(&cmd::migrate(&m, &keys[..1])),
            [
                "MIGRATE", "10.0.0.1", "7000", "", "0", "2500", "REPLACE", "AUTH", "pw", "KEYS",
                "a"
            ]
        );
    }

    #[test]
    fn migrateslots_spelling() {
        let (a, b) = (id('a'), id('b'));
        assert_eq!(
            args(&cmd::migrateslots(&[
                (&a, vec![(0, 9), (20, 20)]),
                (&b, vec![(100, 200)])
            ])),
            [
                "CLUSTER",
                "MIGRATESLOTS",
                "SLOTSRANGE",
                "0",
                "9",
                "20",
                "20",
                "NODE",
                a.as_str(),
                "SLOTSRANGE",
                "100",
                "200",
                "NODE",
                b.as_str()
            ]
        );
    }

    #[test]
    fn other_spellings() {
        assert_eq!(
            args(&cmd::getkeysinslot(5, 100)),
            ["CLUSTER", "GETKEYSINSLOT", "5", "100"]
        );
        assert_eq!(
            args(&cmd::countkeysinslot(5)),
            ["CLUSTER", "COUNTKEYSINSLOT", "5"]
        );
        assert_eq!(
            args(&cmd::config_set("cluster-node-timeout", 499)),
            ["CONFIG", "SET", "cluster-node-timeout", "499"]
        );
        assert_eq!(
            args(&cmd::config_get("primaryauth")),
            ["CONFIG", "GET", "primaryauth"]
        );
        assert_eq!(
            args(&cmd::function_restore(b"x")),
            ["FUNCTION", "RESTORE", "x"]
        );
        assert_eq!(args(&cmd::failover(None)), ["CLUSTER", "FAILOVER"]);
        assert_eq!(
            args(&cmd::failover(Some("TAKEOVER"))),
            ["CLUSTER", "FAILOVER", "TAKEOVER"]
        );
        assert_eq!(
            args(&cmd::meet("10.0.0.1", 7000, 17000)),
            ["CLUSTER", "MEET", "10.0.0.1", "7000", "17000"]
        );
    }

    #[test]
    fn migrateslots_is_detected_by_command_info() {
        // `COMMAND INFO CLUSTER|MIGRATESLOTS` as recorded (RESP2): Redis 5.0.6, 6.2.14 and
        // 7.0.15 answer `[nil]`; Valkey 9.1.2 describes the command.
        let old = Value::Array(vec![Value::Nil]);
        assert!(!command_listed(&old));
        let valkey9 = Value::Array(vec![Value::Array(vec![
            bulk("cluster|migrateslots"),
            Value::Int(-4),
            Value::Array(vec![Value::SimpleString("admin".into())]),
            Value::Int(0),
            Value::Int(0),
            Value::Int(0),
        ])]);
        assert!(command_listed(&valkey9));
        assert!(!command_listed(&Value::Array(vec![])));
        assert!(!command_listed(&Value::Okay));
    }

    #[test]
    fn replies_decode() {
        assert_eq!(
            keys_of(Value::Array(vec![
                bulk("a"),
                Value::SimpleString("b".into())
            ])),
            Ok(vec![b"a".to_vec(), b"b".to_vec()])
        );
        assert!(keys_of(Value::Int(1)).is_err());
        assert_eq!(count_of(&Value::Int(3)), 3);
        assert_eq!(count_of(&Value::Int(-1)), 0);
        assert_eq!(count_of(&Value::Nil), 0);
        let pair = Value::Array(vec![bulk("primaryauth"), bulk("x")]);
        assert_eq!(config_value(&pair), Some(&bulk("x")));
        let map = Value::Map(vec![(bulk("primaryauth"), bulk(""))]);
        assert_eq!(config_value(&map), Some(&bulk("")));
        assert_eq!(config_value(&Value::Array(vec![])), None);
    }
}
