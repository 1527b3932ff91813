//! `import`: the plan as a table (with warnings about the source) and as JSON, the
//! result lines, and the progress (a bar, or a plain line at most every second).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Serialize, Serializer};
use serde_json::{Value, json};

use super::Shown;
use crate::ops::Reporter;
use crate::ops::import::{ImportReport, SourceInfo};
use crate::ops::import_source::ImportJob;
use crate::plan::import::{ImportPlan, Mode};
use crate::ui::{Printer, TermReporter, render};

/// The plan as printed: the table, then a warning per other database holding keys.
pub fn shown(plan: &ImportPlan, source: &SourceInfo, label: &str) -> Vec<Shown> {
    let mut out = vec![Shown::Out(render_plan(plan, source))];
    for (db, n) in &source.other_dbs {
        out.push(Shown::Warn(format!(
            "{label}: {db} holds {n} key(s); only db0 is imported (a cluster has one database)"
        )));
    }
    out
}

pub fn render_plan(plan: &ImportPlan, source: &SourceInfo) -> String {
    let rows = plan
        .masters
        .iter()
        .map(|m| {
            vec![
                m.label.clone(),
                m.id.short().to_string(),
                m.slots.to_string(),
                format!("{}:{}", m.host, m.port),
            ]
        })
        .collect();
    let how = match plan.mode {
        Mode::Move => "move (keys are deleted from the source once in the cluster)",
        Mode::Copy => "copy (the source keeps its keys)",
    };
    format!(
        "Plan: import from {} (Redis {}, {} key(s)) into {} master(s)\n  mode: {how}\n  existing keys with other values: {}\n  MIGRATE batches of up to {} key(s), issued on the source\n\n{}",
        plan.source,
        source.version,
        plan.source_keys,
        plan.masters.len(),
        if plan.replace {
            "replaced (--replace)"
        } else {
            "stop the import and name them"
        },
        plan.batch,
        render::table(&["MASTER", "ID", "SLOTS", "SOURCE CONNECTS TO"], rows)
    )
}

pub fn plan_json(plan: &ImportPlan, source: &SourceInfo) -> Value {
    json!({
        "source": plan.source,
        "source_version": source.version,
        "source_keys": plan.source_keys,
        "mode": plan.mode,
        "replace": plan.replace,
        "batch": plan.batch,
        "masters": plan.masters,
    })
}

/// A job serializes as its documented JSON ([`plan_json`]).
impl Serialize for ImportJob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        plan_json(&self.plan, &self.source.info).serialize(s)
    }
}

/// The confirmation question; `None` when the source holds no keys.
pub fn question(plan: &ImportPlan, label: &str) -> Option<String> {
    let verb = match plan.mode {
        Mode::Move => "Move",
        Mode::Copy => "Copy",
    };
    (plan.source_keys > 0).then(|| {
        format!(
            "{verb} {} key(s) from {label} into the cluster?",
            plan.source_keys
        )
    })
}

pub fn nothing_to_import(label: &str) -> String {
    format!("{label} holds no keys: nothing to import.")
}

/// What the import did, with its rate (the `[OK]` line, and the end of an error).
pub fn summary(report: &ImportReport, mode: Mode) -> String {
    let done = report.keys_moved + report.keys_skipped_identical;
    let secs = report.elapsed_ms as f64 / 1000.0;
    let rate = if secs > 0.0 { done as f64 / secs } else { 0.0 };
    format!(
        "{} key(s) {}, {} already in the cluster with the same value{}, in {secs:.2}s ({rate:.0} keys/s)",
        report.keys_moved,
        match mode {
            Mode::Move => "moved",
            Mode::Copy => "copied",
        },
        report.keys_skipped_identical,
        match mode {
            Mode::Move => " (deleted from the source)",
            Mode::Copy => "",
        },
    )
}

/// The error of an import that stopped (`error` names what stopped it).
pub fn stopped(error: &str, summary: &str) -> String {
    format!(
        "import stopped: {error}\n{summary}; re-run the same command to continue (keys already imported are not imported twice)"
    )
}

/// An import stopped by SIGINT/SIGTERM between batches: how far it got.
pub fn interrupted(summary: &str) -> String {
    format!(
        "import stopped between batches: {summary}; re-run the same command to continue (keys already imported are not imported twice)"
    )
}

pub fn keys_left(left: u64, label: &str) -> String {
    format!(
        "{left} key(s) are still on {label} (written during the import?); stop the writers and re-run to move them"
    )
}

/// Progress as a bar on a terminal; otherwise a plain line at most every second with
/// keys done / total, the rate and the ETA.
pub struct ImportReporter {
    inner: TermReporter,
    term: bool,
    quiet: bool,
    last: Mutex<Option<Instant>>,
}

impl ImportReporter {
    pub fn new(printer: &Printer) -> ImportReporter {
        ImportReporter {
            inner: TermReporter::new(printer),
            term: printer.term,
            quiet: printer.quiet,
            last: Mutex::new(None),
        }
    }
}

impl Reporter for ImportReporter {
    fn step(&self, msg: &str) {
        self.inner.step(msg);
    }

    fn progress(&self, what: &str, done: usize, total: usize, note: &str) {
        if self.term {
            return self.inner.progress(what, done, total, note);
        }
        if self.quiet {
            return;
        }
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        if last.is_some_and(|t| t.elapsed() < Duration::from_secs(1)) {
            return;
        }
        *last = Some(Instant::now());
        if note.is_empty() {
            eprintln!("... {what}: {done}/{total}");
        } else {
            eprintln!("... {what}: {done}/{total} ({note})");
        }
    }

    fn finish(&self, msg: &str) {
        self.inner.finish(msg);
    }

    fn warn(&self, msg: &str) {
        self.inner.warn(msg);
    }
}

#[cfg(test)]
mod tests {
    //! Snapshots: a change in how a plan looks is a reviewed diff.

    use super::*;
    use crate::model::NodeId;
    use crate::plan::import::ImportTarget;

    fn plan(mode: Mode, replace: bool) -> ImportPlan {
        let target = |i: u8, slots: usize| ImportTarget {
            id: NodeId::parse(&format!("{i:x}").repeat(40)).unwrap(),
            label: format!("redis-{i}:6379"),
            host: format!("10.0.1.{i}"),
            port: 6379,
            slots,
        };
        ImportPlan {
            source: "legacy:6379".into(),
            source_keys: 120_000,
            mode,
            replace,
            batch: 1000,
            masters: vec![target(1, 5461), target(2, 5461), target(3, 5462)],
            owner: vec![],
        }
    }

    fn source() -> SourceInfo {
        SourceInfo {
            version: "6.2.14".into(),
            role: "master".into(),
            master: None,
            cluster_enabled: false,
            keys: 120_000,
            other_dbs: vec![("db1".into(), 7)],
        }
    }

    #[test]
    fn move_plan_snapshot() {
        let shown = shown(&plan(Mode::Move, false), &source(), "legacy:6379");
        assert_eq!(shown.len(), 2);
        assert_eq!(shown[0], Shown::Out(MOVE.into()), "\n{:?}", shown[0]);
        assert_eq!(
            shown[1],
            Shown::Warn(
                "legacy:6379: db1 holds 7 key(s); only db0 is imported (a cluster has one database)"
                    .into()
            )
        );
    }

    const MOVE: &str = r#"Plan: import from legacy:6379 (Redis 6.2.14, 120000 key(s)) into 3 master(s)
  mode: move (keys are deleted from the source once in the cluster)
  existing keys with other values: stop the import and name them
  MIGRATE batches of up to 1000 key(s), issued on the source

MASTER        ID        SLOTS  SOURCE CONNECTS TO
redis-1:6379  11111111  5461   10.0.1.1:6379
redis-2:6379  22222222  5461   10.0.1.2:6379
redis-3:6379  33333333  5462   10.0.1.3:6379"#;

    #[test]
    fn copy_plan_snapshot() {
        let text = render_plan(&plan(Mode::Copy, true), &source());
        assert_eq!(text, COPY, "\n{text}");
    }

    const COPY: &str = r#"Plan: import from legacy:6379 (Redis 6.2.14, 120000 key(s)) into 3 master(s)
  mode: copy (the source keeps its keys)
  existing keys with other values: replaced (--replace)
  MIGRATE batches of up to 1000 key(s), issued on the source

MASTER        ID        SLOTS  SOURCE CONNECTS TO
redis-1:6379  11111111  5461   10.0.1.1:6379
redis-2:6379  22222222  5461   10.0.1.2:6379
redis-3:6379  33333333  5462   10.0.1.3:6379"#;

    #[test]
    fn question_and_results() {
        assert_eq!(
            question(&plan(Mode::Copy, false), "legacy:6379").as_deref(),
            Some("Copy 120000 key(s) from legacy:6379 into the cluster?")
        );
        let mut empty = plan(Mode::Move, false);
        empty.source_keys = 0;
        assert_eq!(question(&empty, "legacy:6379"), None);
        let report = ImportReport {
            keys_moved: 1500,
            keys_skipped_identical: 500,
            keys_remaining: Some(0),
            passes: 1,
            elapsed_ms: 2000,
        };
        let moved = summary(&report, Mode::Move);
        assert_eq!(
            moved,
            "1500 key(s) moved, 500 already in the cluster with the same value (deleted from the source), in 2.00s (1000 keys/s)"
        );
        assert_eq!(
            summary(&report, Mode::Copy),
            "1500 key(s) copied, 500 already in the cluster with the same value, in 2.00s (1000 keys/s)"
        );
        assert_eq!(
            stopped("MIGRATE failed", &moved).lines().nth(1),
            Some(format!("{moved}; re-run the same command to continue (keys already imported are not imported twice)").as_str())
        );
    }
}
