//! Tables and plan rendering (plain text, no colour codes: safe to paste and grep).

use comfy_table::{CellAlignment, ContentArrangement, Table, presets};
use serde_json::{Value, json};

use crate::model::view::ClusterView;

use crate::plan::check::{Problem, Severity};

/// A kubectl-style table: header row, columns separated by spaces, no borders.
pub fn table(headers: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut t = Table::new();
    t.load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(headers.iter().map(|h| h.to_string()).collect::<Vec<_>>());
    for row in rows {
        t.add_row(row);
    }
    for col in t.column_iter_mut() {
        col.set_cell_alignment(CellAlignment::Left);
        col.set_padding((0, 2));
    }
    t.lines()
        .map(|l| l.trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// `check`'s closing line: healthy or not, how many nodes, errors and warnings.
pub fn check_summary(nodes: usize, problems: &[Problem]) -> String {
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    format!(
        "{}: {nodes} node(s), {errors} error(s), {} warning(s)",
        if errors == 0 {
            "[OK] healthy"
        } else {
            "[ERR] not healthy"
        },
        problems.len() - errors
    )
}

/// A wait as a person says it: `90s` as "1m30s", `10m` as "10m", `2.5s` as "2.5s".
pub fn duration(d: std::time::Duration) -> String {
    if d.as_secs() >= 60 && d.subsec_nanos() == 0 {
        let (m, s) = (d.as_secs() / 60, d.as_secs() % 60);
        if s == 0 {
            format!("{m}m")
        } else {
            format!("{m}m{s}s")
        }
    } else {
        format!("{}s", d.as_secs_f64())
    }
}

/// Problems as `[ERR] message` / `[WARN] message` lines.
pub fn problems(list: &[Problem]) -> String {
    list.iter()
        .map(|p| {
            let tag = match p.severity {
                Severity::Error => "[ERR]",
                Severity::Warning => "[WARN]",
            };
            format!("{tag} {}", p.message)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A byte count in human units.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "K", "M", "G", "T"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n}B")
    } else {
        format!("{v:.1}{}", UNITS[u])
    }
}

fn role_of(view: &ClusterView, v: &crate::model::view::NodeView) -> String {
    match v.myself() {
        Some(m) if m.flags.master => "master".into(),
        Some(m) => match &m.master_id {
            Some(id) => format!(
                "replica of {}",
                view.node(id)
                    .map(|n| n.label.clone())
                    .unwrap_or_else(|| id.short().to_string())
            ),
            None => "replica".into(),
        },
        None => "?".into(),
    }
}

/// Every node: address, ID, role, domain, slots, keys; unreachable ones last.
pub fn nodes_table(view: &ClusterView) -> String {
    let mut rows: Vec<Vec<String>> = Vec::new();
    for v in &view.nodes {
        let slots = v.myself().map(|m| m.slots.clone()).unwrap_or_default();
        rows.push(vec![
            v.label.clone(),
            v.id.short().to_string(),
            role_of(view, v),
            v.domain.clone(),
            if slots.is_empty() {
                "-".into()
            } else {
                format!("{} ({})", slots, slots.len())
            },
            v.keys().to_string(),
        ]);
    }
    for u in &view.unreachable {
        rows.push(vec![
            u.label.clone(),
            u.id.as_ref()
                .map(|i| i.short().to_string())
                .unwrap_or_else(|| "?".into()),
            "unreachable".into(),
            "-".into(),
            "-".into(),
            "-".into(),
        ]);
    }
    table(&["NODE", "ID", "ROLE", "DOMAIN", "SLOTS", "KEYS"], rows)
}

/// The `nodes` array of `check --json`.
pub fn nodes_json(view: &ClusterView) -> Vec<Value> {
    let mut out: Vec<Value> = view
        .nodes
        .iter()
        .map(|v| {
            let me = v.myself();
            json!({
                "node": v.label,
                "addr": v.addr.to_string(),
                "id": v.id,
                "reachable": true,
                "role": if v.is_master() { "master" } else { "replica" },
                "master_id": me.and_then(|m| m.master_id.clone()),
                "domain": v.domain,
                "slots": me.map(|m| m.slots.clone()).unwrap_or_default(),
                "slot_count": me.map(|m| m.slots.len()).unwrap_or(0),
                "keys": v.keys(),
                "cluster_state": v.cluster_info.get("cluster_state"),
                "config_epoch": me.map(|m| m.config_epoch),
            })
        })
        .collect();
    out.extend(
        view.unreachable
            .iter()
            .map(|u| json!({"node": u.label, "id": u.id, "reachable": false, "error": u.error})),
    );
    out
}

/// One row per master, with its replicas listed in the row.
pub fn masters_table(view: &ClusterView) -> String {
    let rows = view
        .masters()
        .into_iter()
        .map(|m| {
            let slots = m.myself().map(|e| e.slots.clone()).unwrap_or_default();
            let replicas: Vec<String> = view
                .replicas_of(&m.id)
                .iter()
                .map(|r| format!("{} [{}]", r.label, r.domain))
                .collect();
            vec![
                m.label.clone(),
                m.id.short().to_string(),
                m.domain.clone(),
                format!(
                    "{} ({:.1}%)",
                    slots.len(),
                    slots.len() as f64 * 100.0 / 16384.0
                ),
                m.keys().to_string(),
                if replicas.is_empty() {
                    "-".into()
                } else {
                    replicas.join(", ")
                },
                m.used_memory().map(bytes).unwrap_or_else(|| "?".into()),
            ]
        })
        .collect();
    table(
        &[
            "MASTER", "ID", "DOMAIN", "SLOTS", "KEYS", "REPLICAS", "MEMORY",
        ],
        rows,
    )
}

/// The `masters` array of `info --json`.
pub fn masters_json(view: &ClusterView) -> Vec<Value> {
    view.masters()
        .into_iter()
        .map(|m| {
            let slots = m.myself().map(|e| e.slots.clone()).unwrap_or_default();
            json!({
                "node": m.label,
                "addr": m.addr.to_string(),
                "id": m.id,
                "domain": m.domain,
                "slots": slots,
                "slot_count": slots.len(),
                "keys": m.keys(),
                "used_memory": m.used_memory(),
                "replicas": view.replicas_of(&m.id).iter().map(|r| json!({
                    "node": r.label,
                    "addr": r.addr.to_string(),
                    "id": r.id,
                    "domain": r.domain,
                    "keys": r.keys(),
                    "link": r.info.get("master_link_status"),
                })).collect::<Vec<_>>(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {

    #[test]
    fn waits_are_said_in_minutes_and_seconds() {
        use std::time::Duration;
        assert_eq!(duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(duration(Duration::from_secs(600)), "10m");
        assert_eq!(duration(Duration::from_millis(2500)), "2.5s");
        assert_eq!(duration(Duration::from_secs(5)), "5s");
    }

    use super::*;

    #[test]
    fn renders_table_without_borders() {
        let t = table(&["A", "BB"], vec![vec!["x".into(), "yy".into()]]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("A"));
        assert!(lines[1].starts_with("x"));
        assert_eq!(bytes(512), "512B");
        assert_eq!(bytes(2048), "2.0K");
    }
}
