//! `trib import ENTRY --from HOST:PORT`: move (or copy) every key of a standalone Redis
//! into the cluster. load → check the source → plan → show → confirm → import → report.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::json;

use super::Context;
use super::check::load;
use crate::cluster::{ConnectOptions, Node, NodeError, NodeErrorKind, Secret};
use crate::error::{Exit, TribError};
use crate::model::info::Info;
use crate::ops::Reporter;
use crate::ops::import::{ImportOptions, SourceInfo, import, probe_source};
use crate::plan::import::{ImportPlan, Mode, plan_import};
use crate::ui::{Printer, TermReporter, render};

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Any node of the cluster
    pub entry: String,
    /// The standalone Redis to take the keys from (a master, not a cluster node)
    #[arg(long, value_name = "HOST:PORT")]
    pub from: String,
    /// ACL user on the source
    #[arg(long, value_name = "USER", env = "TRIB_FROM_USER")]
    pub from_user: Option<String>,
    /// Password of the source (prefer TRIB_FROM_PASSWORD: the process list shows it)
    #[arg(
        long,
        value_name = "PASS",
        env = "TRIB_FROM_PASSWORD",
        hide_env_values = true
    )]
    pub from_password: Option<String>,
    /// Copy the keys: leave them on the source
    #[arg(long)]
    pub copy: bool,
    /// Overwrite keys that already exist in the cluster with other values
    #[arg(long)]
    pub replace: bool,
    /// Keys per MIGRATE batch (and SCAN COUNT)
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub pipeline: u32,
    /// Timeout of each MIGRATE (the source's I/O with a master)
    #[arg(long, value_name = "DUR", default_value = "10s", value_parser = super::parse_duration)]
    pub migrate_timeout: Duration,
}

pub async fn run(ctx: &Context, args: ImportArgs) -> anyhow::Result<Exit> {
    if args.from_password.is_some()
        && from_password_on_command_line(&std::env::args().collect::<Vec<_>>())
    {
        ctx.printer.warn(
            "a password given with --from-password is visible in the process list; prefer TRIB_FROM_PASSWORD",
        );
    }
    let loaded = load(ctx, std::slice::from_ref(&args.entry)).await?;

    // The source: one address, reachable, right password, a standalone master.
    let targets = ctx.resolve(std::slice::from_ref(&args.from)).await?;
    let [source_target] = targets.as_slice() else {
        return Err(TribError::BadInput(format!(
            "--from {}: resolves to {} addresses; give exactly one source",
            args.from,
            targets.len()
        ))
        .into());
    };
    let label = source_target.label();
    let source_opts = ConnectOptions {
        user: args.from_user.clone(),
        password: args
            .from_password
            .clone()
            .filter(|p| !p.is_empty())
            .map(Secret::new),
        ..ctx.connect.clone()
    };
    let connect = || {
        Node::connect(
            source_target.addr,
            &label,
            source_target.name.as_deref(),
            &source_opts,
        )
    };
    let (scan_conn, migrate_conn) = futures::try_join!(connect(), connect())
        .map_err(|e| TribError::BadInput(source_problem(&e)))?;
    let source = probe_source(&scan_conn)
        .await
        .map_err(|e| TribError::BadInput(source_problem(&e)))?;
    refuse_source(
        &label,
        &source,
        ctx.connect.user.is_some(),
        ctx.connect.password.is_some(),
    )?;

    let mode = if args.copy { Mode::Copy } else { Mode::Move };
    let plan = plan_import(
        &loaded.view,
        &label,
        source.keys,
        mode,
        args.replace,
        args.pipeline as usize,
    )
    .map_err(|r| TribError::BadInput(r.join("\n")))?;
    let mut conns = Vec::new();
    for m in &plan.masters {
        let node = loaded.conns.get(&m.id).ok_or_else(|| {
            TribError::BadInput(format!(
                "{}: master not reached; nothing was changed",
                m.label
            ))
        })?;
        conns.push(node.clone());
    }

    let plan_json = plan_json(&plan, &source);
    ctx.printer.out(&render_plan(&plan, &source));
    for (db, n) in &source.other_dbs {
        ctx.printer.warn(&format!(
            "{label}: {db} holds {n} key(s); only db0 is imported (a cluster has one database)"
        ));
    }
    if ctx.dry_run {
        ctx.printer.status("Dry run: nothing was changed.");
        ctx.printer
            .json_doc(&json!({"plan": plan_json, "changed": false}));
        return Ok(Exit::Ok);
    }
    if plan.source_keys == 0 {
        ctx.printer
            .status(&format!("{label} holds no keys: nothing to import."));
        ctx.printer.json_doc(&json!({
            "plan": plan_json,
            "changed": false,
            "report": crate::ops::import::ImportReport::default(),
        }));
        return Ok(Exit::Ok);
    }
    let verb = match mode {
        Mode::Move => "Move",
        Mode::Copy => "Copy",
    };
    ctx.confirm(&format!(
        "{verb} {} key(s) from {label} into the cluster?",
        plan.source_keys
    ))?;

    let opts = ImportOptions {
        cluster_user: ctx.connect.user.clone(),
        cluster_password: ctx.connect.password.clone(),
        migrate_timeout: args.migrate_timeout,
        reply_timeout: args.migrate_timeout * 4 + Duration::from_secs(30),
        ..ImportOptions::default()
    };
    let reporter = ImportReporter::new(&ctx.printer);
    let result = import(&plan, &scan_conn, &migrate_conn, conns, &opts, &reporter).await;
    reporter.inner.finish("");
    let (report, error) = match result {
        Ok(r) => (r, None),
        Err((r, e)) => (r, Some(e)),
    };
    let done = report.keys_moved + report.keys_skipped_identical;
    let secs = report.elapsed_ms as f64 / 1000.0;
    let rate = if secs > 0.0 { done as f64 / secs } else { 0.0 };
    let changed =
        report.keys_moved > 0 || (mode == Mode::Move && report.keys_skipped_identical > 0);
    let summary = format!(
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
    );
    let mut doc = json!({"plan": plan_json, "changed": changed, "report": report});
    if let Some(e) = error {
        let msg = format!(
            "import stopped: {e}\n{summary}; re-run the same command to continue (keys already imported are not imported twice)"
        );
        crate::ui::print_error(&anyhow::anyhow!(msg.clone()));
        doc["error"] = json!(msg);
        doc["exit_code"] = json!(Exit::Failed as i32);
        ctx.printer.json_doc(&doc);
        return Ok(Exit::Failed);
    }
    ctx.printer.out(&format!("[OK] {summary}"));
    if let Some(left) = report.keys_remaining.filter(|n| *n > 0) {
        ctx.printer.warn(&format!(
            "{left} key(s) are still on {label} (written during the import?); stop the writers and re-run to move them"
        ));
    }
    ctx.printer.json_doc(&doc);
    Ok(Exit::Ok)
}

/// One line naming the source and what is wrong with it, for a connection or probe error.
fn source_problem(e: &NodeError) -> String {
    let reason = match &e.kind {
        NodeErrorKind::Auth(d) if d.contains("requires a password") => {
            "authentication failed: the source requires a password (use --from-password or TRIB_FROM_PASSWORD)".to_string()
        }
        NodeErrorKind::Auth(_) => {
            "authentication failed: wrong --from-password or --from-user".to_string()
        }
        _ => e.reason(),
    };
    format!("source {}: {reason}; nothing was changed", e.node)
}

/// Refuses a source that is a cluster node, a replica, or too old for `MIGRATE … KEYS`.
fn refuse_source(
    label: &str,
    s: &SourceInfo,
    cluster_user: bool,
    cluster_password: bool,
) -> Result<(), TribError> {
    if s.cluster_enabled {
        return Err(TribError::BadInput(format!(
            "source {label}: it is a cluster node (cluster-enabled yes); import takes keys from a standalone Redis. To move keys between masters use `trib reshard`. Nothing was changed"
        )));
    }
    if let Some(master) = &s.master {
        return Err(TribError::BadInput(format!(
            "source {label}: it is a replica (of {master}); import from the master, which can delete the keys it moves. Nothing was changed"
        )));
    }
    let version = Info::parse(format!("redis_version:{}", s.version))
        .version()
        .unwrap_or((0, 0, 0));
    let (need, why) = if cluster_user && cluster_password {
        ((6, 0, 0), "MIGRATE … AUTH2 (the cluster uses an ACL user)")
    } else if cluster_password {
        ((4, 0, 7), "MIGRATE … AUTH (the cluster has a password)")
    } else {
        ((3, 0, 6), "MIGRATE … KEYS")
    };
    if version < need {
        return Err(TribError::BadInput(format!(
            "source {label}: Redis {} is too old for {why}; needs {}.{}.{} or later. Nothing was changed",
            s.version, need.0, need.1, need.2
        )));
    }
    Ok(())
}

fn render_plan(plan: &ImportPlan, source: &SourceInfo) -> String {
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

fn plan_json(plan: &ImportPlan, source: &SourceInfo) -> serde_json::Value {
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

/// True when `--from-password` appears among the options (before any `--`).
fn from_password_on_command_line(args: &[String]) -> bool {
    args.iter()
        .skip(1)
        .take_while(|a| *a != "--")
        .any(|a| a == "--from-password" || a.starts_with("--from-password="))
}

/// Progress as a bar on a terminal; otherwise a plain line at most every second with
/// keys done / total, the rate and the ETA.
struct ImportReporter {
    inner: TermReporter,
    term: bool,
    quiet: bool,
    last: Mutex<Option<Instant>>,
}

impl ImportReporter {
    fn new(printer: &Printer) -> ImportReporter {
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
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn detects_from_password_flag() {
        assert!(from_password_on_command_line(&args(&[
            "trib",
            "import",
            "h",
            "--from",
            "s",
            "--from-password",
            "x"
        ])));
        assert!(from_password_on_command_line(&args(&[
            "trib",
            "import",
            "--from-password=x"
        ])));
        assert!(!from_password_on_command_line(&args(&[
            "trib", "import", "h", "--from", "s"
        ])));
    }

    fn source(version: &str) -> SourceInfo {
        SourceInfo {
            version: version.into(),
            role: "master".into(),
            master: None,
            cluster_enabled: false,
            keys: 1,
            other_dbs: vec![],
        }
    }

    #[test]
    fn refuses_bad_sources() {
        assert!(refuse_source("s", &source("7.0.15"), true, true).is_ok());
        assert!(refuse_source("s", &source("5.0.0"), true, true).is_err());
        assert!(refuse_source("s", &source("5.0.0"), false, true).is_ok());
        assert!(refuse_source("s", &source("4.0.1"), false, true).is_err());
        let mut c = source("7.0.0");
        c.cluster_enabled = true;
        assert!(refuse_source("s", &c, false, false).is_err());
        let mut r = source("7.0.0");
        r.master = Some("10.0.0.1:6379".into());
        assert!(refuse_source("s", &r, false, false).is_err());
    }
}
