//! `call`: the plan (for a command that changes something, or `--dry-run`) and the
//! replies, as tables and as JSON.

use redis::Value;
use serde::Serialize;
use serde_json::json;

use crate::cluster::NodeError;
use crate::cluster::command_info::Effect;
use crate::model::view::NodeView;
use crate::ops::broadcast::{reply_json, reply_text};
use crate::ui::render;

/// What `call` will run, where.
#[derive(Clone, Debug, Serialize)]
pub struct CallPlan {
    pub command: Vec<String>,
    pub nodes: Vec<CallTarget>,
    #[serde(serialize_with = "effect_json")]
    pub effect: Effect,
    pub unreachable: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CallTarget {
    pub node: String,
    pub id: String,
    pub role: &'static str,
}

impl CallTarget {
    pub fn of(v: &NodeView) -> CallTarget {
        CallTarget {
            node: v.label.clone(),
            id: v.id.to_string(),
            role: if v.is_master() { "master" } else { "replica" },
        }
    }
}

fn effect_json<S: serde::Serializer>(e: &Effect, s: S) -> Result<S::Ok, S::Error> {
    match e {
        Effect::Reads => s.serialize_str("reads"),
        Effect::Unknown => s.serialize_str("unknown"),
        Effect::Changes(_) => s.serialize_str("changes"),
    }
}

/// The command as typed (arguments with spaces quoted).
pub fn command_line(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if a.is_empty() || a.contains(char::is_whitespace) {
                format!("{a:?}")
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn plan(plan: &CallPlan) -> String {
    let why = match &plan.effect {
        Effect::Changes(reason) => format!(" It may change them: {reason}."),
        Effect::Reads => " It only reads.".into(),
        Effect::Unknown => " The server does not know this command.".into(),
    };
    let rows = plan
        .nodes
        .iter()
        .map(|t| vec![t.node.clone(), t.role.into()])
        .collect();
    format!(
        "Plan: run `{}` on {} node(s).{why}\n\n{}",
        command_line(&plan.command),
        plan.nodes.len(),
        render::table(&["NODE", "ROLE"], rows)
    )
}

pub fn replies_table(plan: &CallPlan, replies: &[Result<Value, NodeError>]) -> String {
    let rows = plan
        .nodes
        .iter()
        .zip(replies)
        .map(|(t, r)| {
            let reply = match r {
                Ok(v) => reply_text(v),
                Err(e) => format!("(error) {}", e.reason()),
            };
            vec![t.node.clone(), t.role.into(), reply]
        })
        .collect();
    render::table(&["NODE", "ROLE", "REPLY"], rows)
}

pub fn replies_json(
    plan: &CallPlan,
    replies: &[Result<Value, NodeError>],
) -> Vec<serde_json::Value> {
    plan.nodes
        .iter()
        .zip(replies)
        .map(|(t, r)| match r {
            Ok(v) => json!({"node": t.node, "id": t.id, "role": t.role, "reply": reply_json(v)}),
            Err(e) => json!({"node": t.node, "id": t.id, "role": t.role, "error": e.reason()}),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plan `call` shows before a changing command: a reviewed diff when it changes.
    #[test]
    fn call_plan_snapshot() {
        let target = |node: &str, role| CallTarget {
            node: node.into(),
            id: "a".repeat(40),
            role,
        };
        let p = CallPlan {
            command: vec!["CONFIG".into(), "SET".into(), "save".into(), "".into()],
            nodes: vec![
                target("10.0.0.1:6379", "master"),
                target("10.0.0.2:6379", "replica"),
            ],
            effect: Effect::Changes("the server flags config|set `admin`".into()),
            unreachable: vec![],
        };
        assert_eq!(
            plan(&p),
            "Plan: run `CONFIG SET save \"\"` on 2 node(s). It may change them: the server flags config|set `admin`.

NODE           ROLE
10.0.0.1:6379  master
10.0.0.2:6379  replica"
        );
    }
}
