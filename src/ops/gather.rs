//! Resolving, connecting to and probing the nodes a command names, optionally waiting
//! (`--wait`) for names to resolve and pods to answer.

use std::time::{Duration, Instant};

use futures::future::join_all;

use super::Reporter;
use crate::addr::{NodeSpec, Resolver, Target};
use crate::cluster::load::{InfoDetail, default_domain, probe};
use crate::cluster::{ConnectOptions, Node, NodeError, NodeErrorKind, ServerError};
use crate::model::view::NodeView;

/// A node that answered, with what it said about itself.
#[derive(Clone, Debug)]
pub struct Gathered {
    pub target: Target,
    pub node: Node,
    pub view: NodeView,
}

fn transient(e: &NodeError) -> bool {
    matches!(
        &e.kind,
        NodeErrorKind::Connect(_)
            | NodeErrorKind::Timeout(_)
            | NodeErrorKind::Server {
                error: ServerError::Loading,
                ..
            }
    )
}

/// Resolves every spec, connects to and probes every address. With `wait`, names that do
/// not resolve yet and nodes that do not answer yet are retried until the deadline.
/// Returns the nodes that answered along with one line per node that could not be used
/// (so that a caller can also say what is wrong with the others).
pub async fn gather_some(
    resolver: &Resolver,
    specs: &[NodeSpec],
    opts: &ConnectOptions,
    wait: Option<Duration>,
    reporter: &dyn Reporter,
) -> (Vec<Gathered>, Vec<String>) {
    let start = Instant::now();
    let mut done: Vec<Option<Vec<Gathered>>> = vec![None; specs.len()];
    loop {
        let pending: Vec<usize> = (0..specs.len()).filter(|i| done[*i].is_none()).collect();
        let attempts = join_all(pending.iter().map(|&i| attempt(resolver, &specs[i], opts))).await;
        let mut errors = Vec::new();
        let mut all_transient = true;
        for (&i, res) in pending.iter().zip(attempts) {
            match res {
                Ok(g) => done[i] = Some(g),
                Err((msg, is_transient)) => {
                    all_transient &= is_transient;
                    errors.push(msg);
                }
            }
        }
        if errors.is_empty() {
            reporter.finish("");
            return (done.into_iter().flatten().flatten().collect(), errors);
        }
        let Some(wait) = wait else {
            return (done.into_iter().flatten().flatten().collect(), errors);
        };
        if !all_transient || start.elapsed() >= wait {
            reporter.finish("");
            if all_transient {
                errors.push(format!(
                    "gave up after waiting {:.0}s (--wait) for these nodes",
                    start.elapsed().as_secs_f64()
                ));
            }
            return (done.into_iter().flatten().flatten().collect(), errors);
        }
        let missing: Vec<String> = pending
            .iter()
            .filter(|i| done[**i].is_none())
            .map(|i| specs[*i].text.clone())
            .collect();
        reporter.progress(
            "waiting for nodes to resolve and answer",
            specs.len() - missing.len(),
            specs.len(),
            &format!("waiting for {}", missing.join(", ")),
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn attempt(
    resolver: &Resolver,
    spec: &NodeSpec,
    opts: &ConnectOptions,
) -> Result<Vec<Gathered>, (String, bool)> {
    let targets = resolver
        .resolve(spec)
        .await
        .map_err(|e| (e.to_string(), e.is_transient()))?;
    let results = join_all(targets.into_iter().map(|t| async move {
        let label = t.label();
        let node = Node::connect(t.addr, &label, t.name.as_deref(), opts).await?;
        let view = probe(
            &node,
            default_domain(&t.addr, t.domain.as_deref()),
            InfoDetail::Basic,
        )
        .await?;
        Ok::<_, NodeError>(Gathered {
            target: t,
            node,
            view,
        })
    }))
    .await;
    let mut out = Vec::new();
    for r in results {
        match r {
            Ok(g) => out.push(g),
            Err(e) => {
                let t = transient(&e);
                return Err((e.to_string(), t));
            }
        }
    }
    Ok(out)
}
