//! `add-node` and `replicate`: the join plan as a table with its steps, the lines around
//! it (question, nothing to do, done, failed) and the result's JSON.

use std::time::Duration;

use serde_json::{Value, json};

use crate::ops::join::{ClusterFunctions, Joined};
use crate::ops::membership::JoinError;
use crate::plan::check::Problem;
use crate::plan::membership::{JoinPlan, JoinStep, Role};
use crate::ui::render;

pub fn render_plan(plan: &JoinPlan) -> String {
    let n = &plan.node;
    let mut rows = vec![vec![
        match plan.role {
            Role::Master => "master".to_string(),
            Role::Replica => "replica".to_string(),
        },
        n.node.clone(),
        n.id.short().to_string(),
        n.domain.clone(),
        match &plan.master {
            Some(m) => format!(
                "of {} ({}, domain {}{})",
                m.node,
                m.id.short(),
                m.domain,
                plan.master_replicas
                    .map(|r| format!(", {r} replica(s) now"))
                    .unwrap_or_default()
            ),
            None => "no slots".into(),
        },
    ]];
    if let Some(pm) = &plan.previous_master {
        rows[0][4].push_str(&format!("; now replica of {}", pm.node));
    }
    let mut out = format!(
        "Plan: {} {}:\n\n",
        if plan.member { "re-attach" } else { "add" },
        n.node
    );
    out.push_str(&render::table(
        &["ROLE", "NODE", "ID", "DOMAIN", "MASTER"],
        rows,
    ));
    out.push_str("\n\nSteps:");
    for (i, s) in plan.steps.iter().enumerate() {
        let line = match s {
            JoinStep::CopyFunctions { from, libraries } => format!(
                "copy functions ({}) from {} (FUNCTION DUMP / RESTORE)",
                libraries.join(", "),
                from.node
            ),
            JoinStep::Meet {
                via,
                ip,
                port,
                bus_port,
            } => format!(
                "CLUSTER MEET {ip} {port} {bus_port} from {} member(s)",
                via.len()
            ),
            JoinStep::WaitKnown => {
                "wait until every member knows it; MEET again so it learns slots and roles at once"
                    .into()
            }
            JoinStep::Replicate { master } => {
                format!("CLUSTER REPLICATE {} on {}", master.id, n.node)
            }
            JoinStep::WaitSynced => "wait for the replication link and the first sync".into(),
        };
        out.push_str(&format!("\n  {}. {line}", i + 1));
    }
    if plan.role == Role::Master {
        out.push_str(&format!(
            "\n  {}. wait until every node agrees on the slot map",
            plan.steps.len() + 1
        ));
    }
    out
}

pub fn question(plan: &JoinPlan) -> &'static str {
    match (plan.member, plan.role) {
        (true, _) => "Attach this replica?",
        (false, Role::Master) => "Add this master?",
        (false, Role::Replica) => "Add this replica?",
    }
}

/// The plan changes nothing: NEW already is what was asked.
pub fn nothing(plan: &JoinPlan) -> String {
    format!(
        "{} already is a replica of {}; nothing to do.",
        plan.node.node,
        plan.master.as_ref().map(|m| m.node.as_str()).unwrap_or("?")
    )
}

/// One warning per master whose functions differ from those a new master gets.
pub fn functions_differ(f: &ClusterFunctions) -> Vec<String> {
    let names = |l: &[crate::plan::membership::Library]| {
        l.iter()
            .map(|x| x.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    f.differing
        .iter()
        .map(|(other, l)| {
            format!(
                "masters hold different functions: {other} has [{}], {} has [{}]; a new master gets those of {}",
                names(l),
                f.label,
                names(&f.libraries),
                f.label,
            )
        })
        .collect()
}

/// The error when applying the plan failed (with a hint when the handshake never ended).
pub fn failure(plan: &JoinPlan, e: &JoinError) -> String {
    let hint = match (
        e,
        plan.steps.iter().find_map(|s| match s {
            JoinStep::Meet { ip, bus_port, .. } => Some((ip, bus_port)),
            _ => None,
        }),
    ) {
        (JoinError::Handshake(_), Some((ip, bus))) => format!(
            " (can the members reach {}'s cluster bus at {ip}:{bus}? a firewall or a wrong cluster-announce-ip stops the handshake)",
            plan.node.node
        ),
        _ => String::new(),
    };
    format!(
        "{} did not finish: {e}{hint}",
        if plan.member { "replicate" } else { "add-node" }
    )
}

/// The last progress line once the plan is applied.
pub fn finished(plan: &JoinPlan, elapsed: Duration) -> String {
    format!(
        "{} {} in {:.2}s",
        plan.node.node,
        match &plan.master {
            Some(m) => format!("is a replica of {}, link up, first sync done,", m.node),
            None => "joined as a master without slots (give it slots with trib reshard or trib rebalance --use-empty-masters)".into(),
        },
        elapsed.as_secs_f64()
    )
}

/// The check after the change, when it found anything.
pub fn after_change(problems: &[Problem]) -> Option<String> {
    (!problems.is_empty()).then(|| {
        format!(
            "\nThe cluster after the change:\n{}",
            render::problems(problems)
        )
    })
}

/// `elapsed_ms` and `timings` (a new master's waits included).
pub fn result_json(elapsed: Duration, joined: &Joined) -> Value {
    let mut timings = serde_json::to_value(&joined.timings).unwrap_or_default();
    if let Some(t) = timings.as_object_mut() {
        if let Some(ms) = joined.waits.slots_agree_ms {
            t.insert("slots_agree_ms".into(), json!(ms));
        }
        if let Some(ms) = joined.waits.state_ok_ms {
            t.insert("state_ok_ms".into(), json!(ms));
        }
    }
    json!({"elapsed_ms": elapsed.as_millis(), "timings": timings})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NodeId;
    use crate::plan::membership::NodeRef;

    fn node(n: &str, c: char, domain: &str) -> NodeRef {
        NodeRef {
            node: n.into(),
            addr: n.into(),
            id: NodeId::parse(&c.to_string().repeat(40)).unwrap(),
            domain: domain.into(),
        }
    }

    fn master_plan() -> JoinPlan {
        let m1 = node("10.0.0.1:7000", 'a', "10.0.0.1");
        let m2 = node("10.0.0.2:7000", 'b', "10.0.0.2");
        JoinPlan {
            node: node("10.0.0.9:7000", '9', "10.0.0.9"),
            member: false,
            role: Role::Master,
            master: None,
            previous_master: None,
            master_replicas: None,
            steps: vec![
                JoinStep::CopyFunctions {
                    from: m1.clone(),
                    libraries: vec!["alib".into(), "blib".into()],
                },
                JoinStep::Meet {
                    via: vec![m1, m2],
                    ip: "10.0.0.9".into(),
                    port: 7000,
                    bus_port: 17000,
                },
                JoinStep::WaitKnown,
            ],
            warnings: vec![],
        }
    }

    #[test]
    fn master_plan_table() {
        assert_eq!(
            render_plan(&master_plan()),
            "\
Plan: add 10.0.0.9:7000:

ROLE    NODE           ID        DOMAIN    MASTER
master  10.0.0.9:7000  99999999  10.0.0.9  no slots

Steps:
  1. copy functions (alib, blib) from 10.0.0.1:7000 (FUNCTION DUMP / RESTORE)
  2. CLUSTER MEET 10.0.0.9 7000 17000 from 2 member(s)
  3. wait until every member knows it; MEET again so it learns slots and roles at once
  4. wait until every node agrees on the slot map"
        );
        assert_eq!(question(&master_plan()), "Add this master?");
    }

    #[test]
    fn repointed_replica_table() {
        let plan = JoinPlan {
            node: node("10.0.0.4:7000", 'd', "10.0.0.4"),
            member: true,
            role: Role::Replica,
            master: Some(node("10.0.0.2:7000", 'b', "10.0.0.2")),
            previous_master: Some(node("10.0.0.1:7000", 'a', "10.0.0.1")),
            master_replicas: Some(1),
            steps: vec![
                JoinStep::Replicate {
                    master: node("10.0.0.2:7000", 'b', "10.0.0.2"),
                },
                JoinStep::WaitSynced,
            ],
            warnings: vec![],
        };
        assert_eq!(
            render_plan(&plan),
            format!(
                "\
Plan: re-attach 10.0.0.4:7000:

ROLE     NODE           ID        DOMAIN    MASTER
replica  10.0.0.4:7000  dddddddd  10.0.0.4  of 10.0.0.2:7000 (bbbbbbbb, domain 10.0.0.2, 1 replica(s) now); now replica of 10.0.0.1:7000

Steps:
  1. CLUSTER REPLICATE {} on 10.0.0.4:7000
  2. wait for the replication link and the first sync",
                "b".repeat(40)
            )
        );
        assert_eq!(question(&plan), "Attach this replica?");
        assert_eq!(
            nothing(&plan),
            "10.0.0.4:7000 already is a replica of 10.0.0.2:7000; nothing to do."
        );
    }

    #[test]
    fn result_json_adds_master_waits() {
        let mut joined = Joined::default();
        joined.timings.meet_ms = 3;
        joined.waits.slots_agree_ms = Some(7);
        let v = result_json(Duration::from_millis(42), &joined);
        assert_eq!(v["elapsed_ms"], 42);
        assert_eq!(v["timings"]["meet_ms"], 3);
        assert_eq!(v["timings"]["slots_agree_ms"], 7);
        assert!(v["timings"].get("state_ok_ms").is_none());
    }
}
