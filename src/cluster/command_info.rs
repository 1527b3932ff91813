//! What the server says of a command (`COMMAND INFO`): whether running it may change
//! anything, so that `trib call` confirms writes and runs reads at once. The decision
//! comes from the server's own flags and ACL categories, never from a list of names.

use redis::Value;

use super::{Node, NodeError};

/// A command's flags and ACL categories as the server reports them (the subcommand's
/// where the server knows subcommands, Redis ≥ 7).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommandFlags {
    /// `name` or `name|subcommand`.
    pub name: String,
    pub flags: Vec<String>,
    pub categories: Vec<String>,
}

/// Why a command needs confirming, or not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Only reads: run at once.
    Reads,
    /// May change data or the server (the reason names the flag or category).
    Changes(String),
    /// The server does not know the command: every node will reject it.
    Unknown,
}

/// Flags that mark a command that may change data, the server or its clients:
/// `write` (data), `admin` (configuration, persistence, shutdown, clients: Redis
/// gives `CONFIG GET` the same flags as `CONFIG SET`, so both count), `may_replicate`.
const CHANGING_FLAGS: [&str; 3] = ["write", "admin", "may_replicate"];
/// ACL categories of the same kind; `@scripting` because a script may write.
/// (`@admin` and `@dangerous` are not: they also hold reads such as `ROLE`, `INFO`
/// and `KEYS`; the commands of theirs that change something carry a changing flag.)
const CHANGING_CATEGORIES: [&str; 2] = ["@write", "@scripting"];

impl CommandFlags {
    /// What running the command may do.
    pub fn effect(&self) -> Effect {
        if let Some(f) = self
            .flags
            .iter()
            .find(|f| CHANGING_FLAGS.contains(&f.as_str()))
        {
            return Effect::Changes(format!("the server flags {} `{f}`", self.name));
        }
        if let Some(c) = self
            .categories
            .iter()
            .find(|c| CHANGING_CATEGORIES.contains(&c.as_str()))
        {
            return Effect::Changes(format!("the server puts {} in {c}", self.name));
        }
        Effect::Reads
    }

    /// Parses one entry of a `COMMAND INFO` reply (`nil` for an unknown command).
    pub fn parse(entry: &Value) -> Option<CommandFlags> {
        let Value::Array(items) = entry else {
            return None;
        };
        let text = |v: &Value| match v {
            Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
            Value::SimpleString(s) | Value::VerbatimString { text: s, .. } => Some(s.clone()),
            Value::Okay => Some("OK".into()),
            _ => None,
        };
        let list = |v: Option<&Value>| match v {
            Some(Value::Array(a)) | Some(Value::Set(a)) => a
                .iter()
                .filter_map(text)
                .map(|s| s.to_ascii_lowercase())
                .collect(),
            _ => Vec::new(),
        };
        Some(CommandFlags {
            name: items.first().and_then(text)?.to_ascii_lowercase(),
            flags: list(items.get(2)),
            categories: list(items.get(6)),
        })
    }
}

impl Node {
    /// `COMMAND INFO` for `args`' command (and its subcommand, where the server has
    /// subcommands): the most specific entry the server knows; `None` when it knows
    /// neither.
    pub async fn command_flags(&self, args: &[String]) -> Result<Option<CommandFlags>, NodeError> {
        let Some(name) = args.first() else {
            return Ok(None);
        };
        let mut cmd = redis::cmd("COMMAND");
        cmd.arg("INFO").arg(name);
        if let Some(sub) = args.get(1) {
            cmd.arg(format!("{name}|{sub}"));
        }
        let reply: Value = self.query(&cmd).await?;
        let entries = match reply {
            Value::Array(e) => e,
            _ => Vec::new(),
        };
        Ok(entries.iter().rev().find_map(CommandFlags::parse))
    }

    /// Whether the server keeps a time to live per hash field (it knows `HPEXPIRE`: Redis
    /// 7.4+, Valkey 9+); when it cannot be asked, yes.
    pub async fn hash_field_ttls(&self) -> bool {
        self.command_flags(&["HPEXPIRE".to_string()])
            .await
            .map_or(true, |f| f.is_some())
    }

    /// What `args` would do on this node, from the server's own flags.
    pub async fn command_effect(&self, args: &[String]) -> Result<Effect, NodeError> {
        Ok(self
            .command_flags(args)
            .await?
            .map_or(Effect::Unknown, |f| f.effect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(name: &str, flags: &[&str], categories: &[&str]) -> CommandFlags {
        CommandFlags {
            name: name.into(),
            flags: flags.iter().map(|s| s.to_string()).collect(),
            categories: categories.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Flags and categories as Redis 7.0 reports them.
    #[test]
    fn writes_and_admin_commands_change_reads_do_not() {
        let cases = [
            (
                flags(
                    "flushall",
                    &["write"],
                    &["@keyspace", "@write", "@slow", "@dangerous"],
                ),
                true,
            ),
            (
                flags(
                    "config|set",
                    &["admin", "noscript", "loading", "stale"],
                    &["@admin", "@slow", "@dangerous"],
                ),
                true,
            ),
            (
                flags(
                    "shutdown",
                    &["admin", "noscript", "loading", "stale", "no_multi"],
                    &["@admin", "@slow", "@dangerous"],
                ),
                true,
            ),
            (
                flags(
                    "eval",
                    &[
                        "noscript",
                        "stale",
                        "skip_monitor",
                        "no_mandatory_keys",
                        "movablekeys",
                    ],
                    &["@slow", "@scripting"],
                ),
                true,
            ),
            (
                flags(
                    "publish",
                    &["pubsub", "loading", "stale", "fast", "may_replicate"],
                    &["@pubsub", "@fast"],
                ),
                true,
            ),
            (
                flags("info", &["loading", "stale"], &["@slow", "@dangerous"]),
                false,
            ),
            (
                flags(
                    "keys",
                    &["readonly"],
                    &["@keyspace", "@read", "@slow", "@dangerous"],
                ),
                false,
            ),
            (
                flags(
                    "dbsize",
                    &["readonly", "fast"],
                    &["@keyspace", "@read", "@fast"],
                ),
                false,
            ),
            (flags("ping", &["fast"], &["@fast", "@connection"]), false),
            (
                flags("cluster|myid", &["loading", "stale"], &["@slow"]),
                false,
            ),
        ];
        for (f, changes) in cases {
            assert_eq!(
                matches!(f.effect(), Effect::Changes(_)),
                changes,
                "{}: {:?}",
                f.name,
                f.effect()
            );
        }
    }

    #[test]
    fn parses_a_command_info_entry() {
        let bulk = |s: &str| Value::BulkString(s.as_bytes().to_vec());
        let entry = Value::Array(vec![
            bulk("config|set"),
            Value::Int(-4),
            Value::Array(vec![
                Value::SimpleString("admin".into()),
                Value::SimpleString("noscript".into()),
            ]),
            Value::Int(0),
            Value::Int(0),
            Value::Int(0),
            Value::Array(vec![Value::SimpleString("@admin".into())]),
        ]);
        let f = CommandFlags::parse(&entry).unwrap();
        assert_eq!(f.name, "config|set");
        assert_eq!(f.flags, vec!["admin", "noscript"]);
        assert_eq!(f.categories, vec!["@admin"]);
        assert_eq!(CommandFlags::parse(&Value::Nil), None);
    }
}
