//! `failover`: the plan as a table with each choice explained, and the lines around it.

use crate::ops::failover::FailoverError;
use crate::plan::failover::{FailoverPlan, Mode};
use crate::ui::render;

pub fn render_plan(plan: &FailoverPlan) -> String {
    let (steps, mode) = (&plan.steps, plan.mode);
    let mut out = match &plan.domain {
        Some(d) => format!(
            "Plan: move {} master(s) out of failure domain {d}, one at a time, each verified before the next ({}):\n\n",
            steps.len(),
            mode.command()
        ),
        None => format!("Plan: {}\n\n", mode.command()),
    };
    let rows = steps
        .iter()
        .map(|s| {
            vec![
                s.master.node.clone(),
                s.master.domain.clone(),
                s.promote.node.clone(),
                s.promote.domain.clone(),
                format!("{} ({})", s.slots, s.slots.len()),
            ]
        })
        .collect();
    out.push_str(&render::table(
        &["MASTER", "DOMAIN", "PROMOTE", "DOMAIN", "SLOTS"],
        rows,
    ));
    for s in steps {
        out.push_str(&format!(
            "\n\n{} in place of {}: {}",
            s.promote.node, s.master.node, s.reason
        ));
        if let Some(why) = &s.master_down {
            out.push_str(&format!("\n  the master is down: {why}"));
        }
        for n in &s.not_chosen {
            out.push_str(&format!("\n  not chosen: {}: {}", n.node, n.why));
        }
    }
    out.push_str(match mode {
        Mode::Default => "\n\nThe master pauses its clients until the replica has caught up: no acknowledged write is lost.",
        Mode::Force => "\n\nFORCE: the master is not asked; writes the replica has not received are lost. The masters still elect it.",
        Mode::Takeover => "\n\nTAKEOVER: no master is asked and no election is held; writes the replica has not received are lost.",
    });
    out
}

pub fn question(plan: &FailoverPlan) -> &'static str {
    if plan.steps.len() == 1 {
        "Fail over?"
    } else {
        "Fail over these masters, one at a time?"
    }
}

/// Nothing to do: the node already has the role asked for, or `--domain` named a domain
/// without masters owning slots.
pub fn nothing(plan: &FailoverPlan) -> String {
    match &plan.nothing {
        Some(why) => format!("{why}."),
        None => format!(
            "No master owning slots is in failure domain {}; nothing to do.",
            plan.domain.as_deref().unwrap_or("")
        ),
    }
}

/// Step `index` failed: which, how many were done before it, and whether nothing changed.
pub fn failure(plan: &FailoverPlan, index: usize, e: &FailoverError) -> String {
    let done = if index == 0 {
        String::new()
    } else {
        format!(
            " ({index} of {} failover(s) done before it)",
            plan.steps.len()
        )
    };
    let unchanged = if index == 0 && e.nothing_changed() {
        "; nothing was changed"
    } else {
        ""
    };
    let step = &plan.steps[index.min(plan.steps.len().saturating_sub(1))];
    format!(
        "failover of {} to {} did not complete: {e}{done}{unchanged}",
        step.master.node, step.promote.node
    )
}

pub fn done(plan: &FailoverPlan, took_ms: u64) -> String {
    format!(
        "Failover done: {} master(s) switched in {took_ms} ms.",
        plan.steps.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::slots::SlotRange;
    use crate::model::{NodeId, SlotSet};
    use crate::plan::failover::{Action, NodeRef, NotChosen, Step};

    fn node(n: &str, c: char) -> NodeRef {
        NodeRef {
            id: NodeId::parse(&c.to_string().repeat(40)).unwrap(),
            node: n.into(),
            addr: n.into(),
            domain: n.split(':').next().unwrap_or("").into(),
        }
    }

    fn step(master: NodeRef, promote: NodeRef, slots: (u16, u16), mode: Mode) -> Step {
        Step {
            master,
            promote,
            mode,
            command: mode.command(),
            reason: "link up, another failure domain, largest offset".into(),
            master_down: None,
            slots: SlotSet::from_ranges([SlotRange::new(slots.0, slots.1)]),
            not_chosen: vec![],
        }
    }

    #[test]
    fn one_failover() {
        let mut s = step(
            node("10.0.0.1:7000", 'a'),
            node("10.0.0.2:7001", 'b'),
            (0, 5460),
            Mode::Default,
        );
        s.not_chosen.push(NotChosen {
            node: "10.0.0.1:7001".into(),
            why: "same failure domain as the master".into(),
        });
        let plan = FailoverPlan {
            mode: Mode::Default,
            action: Action::Promote,
            domain: None,
            steps: vec![s],
            nothing: None,
        };
        assert_eq!(
            render_plan(&plan),
            "\
Plan: CLUSTER FAILOVER

MASTER         DOMAIN    PROMOTE        DOMAIN    SLOTS
10.0.0.1:7000  10.0.0.1  10.0.0.2:7001  10.0.0.2  0-5460 (5461)

10.0.0.2:7001 in place of 10.0.0.1:7000: link up, another failure domain, largest offset
  not chosen: 10.0.0.1:7001: same failure domain as the master

The master pauses its clients until the replica has caught up: no acknowledged write is lost."
        );
        assert_eq!(question(&plan), "Fail over?");
        assert_eq!(
            done(&plan, 812),
            "Failover done: 1 master(s) switched in 812 ms."
        );
    }

    #[test]
    fn domain_drain_with_force() {
        let mut a = step(
            node("10.0.0.5:7000", 'a'),
            node("10.0.0.6:7001", 'b'),
            (0, 99),
            Mode::Force,
        );
        a.master_down = Some("unreachable (connection refused)".into());
        let b = step(
            node("10.0.0.5:7002", 'c'),
            node("10.0.0.7:7003", 'd'),
            (100, 199),
            Mode::Force,
        );
        let plan = FailoverPlan {
            mode: Mode::Force,
            action: Action::Domain,
            domain: Some("10.0.0.5".into()),
            steps: vec![a, b],
            nothing: None,
        };
        assert_eq!(
            render_plan(&plan),
            "\
Plan: move 2 master(s) out of failure domain 10.0.0.5, one at a time, each verified before the next (CLUSTER FAILOVER FORCE):

MASTER         DOMAIN    PROMOTE        DOMAIN    SLOTS
10.0.0.5:7000  10.0.0.5  10.0.0.6:7001  10.0.0.6  0-99 (100)
10.0.0.5:7002  10.0.0.5  10.0.0.7:7003  10.0.0.7  100-199 (100)

10.0.0.6:7001 in place of 10.0.0.5:7000: link up, another failure domain, largest offset
  the master is down: unreachable (connection refused)

10.0.0.7:7003 in place of 10.0.0.5:7002: link up, another failure domain, largest offset

FORCE: the master is not asked; writes the replica has not received are lost. The masters still elect it."
        );
        assert_eq!(question(&plan), "Fail over these masters, one at a time?");
        let e = FailoverError::NotConnected("10.0.0.7:7003".into());
        assert_eq!(
            failure(&plan, 1, &e),
            "failover of 10.0.0.5:7002 to 10.0.0.7:7003 did not complete: 10.0.0.7:7003: not connected (it was not reached when the cluster was loaded) (1 of 2 failover(s) done before it)"
        );
        assert_eq!(
            failure(&plan, 0, &e),
            "failover of 10.0.0.5:7000 to 10.0.0.6:7001 did not complete: 10.0.0.7:7003: not connected (it was not reached when the cluster was loaded); nothing was changed"
        );
    }
}
