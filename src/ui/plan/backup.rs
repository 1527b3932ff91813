//! `backup`: the plan (`--dry-run`), the result table, its JSON, and `cluster.json`.

use std::time::Duration;

use serde_json::{Value, json};

use crate::model::view::ClusterView;
use crate::ops::backup::{BackupDone, BackupFile, BackupPlan};
use crate::ui::render;

pub fn plan(plan: &BackupPlan) -> String {
    let rows = plan
        .masters
        .iter()
        .map(|m| vec![m.master.clone(), m.file.clone()])
        .collect();
    format!(
        "Plan: fetch {} snapshot(s) into {} and write cluster.json:\n\n{}",
        plan.masters.len(),
        plan.dir.display(),
        render::table(&["MASTER", "FILE"], rows)
    )
}

pub fn result(plan: &BackupPlan, done: &BackupDone, took: Duration) -> String {
    let rows = done
        .files
        .iter()
        .map(|f| vec![f.master.clone(), f.file.clone(), render::bytes(f.bytes)])
        .collect();
    format!(
        "{}\n\n{} snapshot(s) and cluster.json in {} ({:.2}s)",
        render::table(&["MASTER", "FILE", "SIZE"], rows),
        done.files.len(),
        plan.dir.display(),
        took.as_secs_f64()
    )
}

pub fn result_json(plan: &BackupPlan, done: &BackupDone) -> Value {
    json!({
        "dir": plan.dir.display().to_string(),
        "files": done.files,
        "layout": "cluster.json",
        "layout_bytes": done.layout_bytes,
        "failed": done.failed,
    })
}

/// `cluster.json`: the masters (each with its RDB file) and every node.
pub fn layout_json(view: &ClusterView, files: &[BackupFile]) -> serde_json::Value {
    json!({
        "format": 1,
        "taken_at_unix": std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        "masters": render::masters_json(view).into_iter().map(|mut m| {
            let id = m["id"].as_str().unwrap_or("").to_string();
            m["rdb"] = json!(files.iter().find(|f| f.id == id).map(|f| f.file.clone()));
            m
        }).collect::<Vec<_>>(),
        "nodes": render::nodes_json(view),
    })
}
