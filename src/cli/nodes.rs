//! NODE arguments: resolving them (DNS, ranges, SRV), naming a member of a loaded
//! cluster by ID, ID prefix or address, and probing the one node an argument names.

use crate::addr::{Target, parse_node_args};
use std::collections::BTreeMap;
use std::time::Duration;

use crate::error::TribError;
use crate::model::NodeId;
use crate::model::view::ClusterView;
use crate::ops::Reporter;
use crate::ops::gather::{Gathered, gather_some};
use crate::plan::rebalance::parse_weight;
use crate::plan::select::{SelectError, find_member, looks_like_id};

use super::Context;

impl Context {
    /// Parses and resolves node arguments; every failure is bad input (exit 2), listed one per line.
    pub async fn resolve(&self, args: &[String]) -> Result<Vec<Target>, TribError> {
        let specs = parse_node_args(args).map_err(|e| TribError::BadInput(e.to_string()))?;
        let results = self.resolver.resolve_all(&specs).await;
        let mut targets = Vec::new();
        let mut errors = Vec::new();
        for r in results {
            match r {
                Ok(t) => targets.extend(t),
                Err(e) => errors.push(e.to_string()),
            }
        }
        if !errors.is_empty() {
            return Err(TribError::BadInput(errors.join("\n")));
        }
        Ok(targets)
    }

    /// The member of `view` that a NODE argument names: a node ID or an unambiguous ID
    /// prefix (any number of hex digits) first, else an address (`host:port`,
    /// resolved like any node argument; a member matches by its announced address, the
    /// address trib reached it at, or its label).
    ///
    /// Every error is [`TribError::BadInput`] with a message that starts with `arg`
    /// (no match, an ambiguous prefix, or a name that does not resolve); prefix it with
    /// the option it came from where that helps (`--replica-of ...`).
    pub async fn member(&self, view: &ClusterView, arg: &str) -> Result<NodeId, TribError> {
        let looks_like_id = looks_like_id(arg);
        let bad = |e: SelectError| TribError::BadInput(e.to_string());
        if looks_like_id {
            match find_member(view, arg, &[]) {
                Ok(id) => return Ok(id),
                Err(e @ SelectError::Ambiguous { .. }) => return Err(bad(e)),
                Err(SelectError::NotFound(_) | SelectError::NoIdPrefix(_)) => {}
            }
        }
        let addrs: Vec<_> = match self.resolve(&[arg.to_string()]).await {
            Ok(t) => t.into_iter().map(|t| t.addr).collect(),
            // A hex word that is no member's ID and no host name either: not found.
            Err(_) if looks_like_id => Vec::new(),
            Err(e) => return Err(e),
        };
        find_member(view, arg, &addrs).map_err(bad)
    }

    /// Resolves, connects to and probes every node `args` name (`NODE` or
    /// `NODE=DOMAIN`, waiting up to `wait` for them), with failure domains assigned.
    pub async fn gather_all(
        &self,
        args: &[String],
        wait: Option<Duration>,
        reporter: &dyn Reporter,
    ) -> Result<Vec<Gathered>, TribError> {
        match self.gather_some(args, wait, reporter).await? {
            (g, errors) if errors.is_empty() => Ok(g),
            (_, errors) => Err(TribError::BadInput(errors.join("\n"))),
        }
    }

    /// [`Context::gather_all`], returning the nodes that answered and one line per node
    /// that could not be used (bad arguments are still an error).
    pub async fn gather_some(
        &self,
        args: &[String],
        wait: Option<Duration>,
        reporter: &dyn Reporter,
    ) -> Result<(Vec<Gathered>, Vec<String>), TribError> {
        let specs = parse_node_args(args).map_err(|e| TribError::BadInput(e.to_string()))?;
        let (mut g, errors) =
            gather_some(&self.resolver, &specs, &self.connect, wait, reporter).await;
        let targets: Vec<_> = g.iter().map(|g| g.target.clone()).collect();
        self.assign_domains(g.iter_mut().map(|g| &mut g.view), &targets)
            .await?;
        Ok((g, errors))
    }

    /// [`Context::gather_all`] for the one node `arg` names. An argument that names
    /// several nodes is bad input; `what` says what one node at a time means ("add one
    /// node at a time").
    pub async fn gather_one(
        &self,
        arg: &str,
        what: &str,
        reporter: &dyn Reporter,
    ) -> Result<Gathered, TribError> {
        let mut g = self.gather_all(&[arg.to_string()], None, reporter).await?;
        match g.len() {
            1 => Ok(g.remove(0)),
            n => Err(TribError::BadInput(format!(
                "{arg}: names {n} nodes; {what}"
            ))),
        }
    }

    /// `--weight NODE=W` arguments: each master's weight, checked before anything else
    /// (a replica's is ignored with a warning); any bad one is bad input.
    pub async fn master_weights(
        &self,
        view: &ClusterView,
        args: &[String],
    ) -> Result<BTreeMap<NodeId, f64>, TribError> {
        let mut weights = BTreeMap::new();
        let mut bad = Vec::new();
        for w in args {
            let (node, weight) = match parse_weight(w) {
                Ok(x) => x,
                Err(e) => {
                    bad.push(e.to_string());
                    continue;
                }
            };
            match self.member(view, &node).await.map(|id| (node, id, weight)) {
                Ok((_, id, weight)) if view.node(&id).is_some_and(|n| n.is_master()) => {
                    weights.insert(id, weight);
                }
                Ok((node, ..)) => self.printer.warn(&format!(
                    "--weight {w}: {node} is not a master; its weight is ignored"
                )),
                Err(e) => bad.push(format!("--weight {w}: {e}")),
            }
        }
        if !bad.is_empty() {
            return Err(TribError::BadInput(format!(
                "{}\nnothing was changed",
                bad.join("\n")
            )));
        }
        Ok(weights)
    }
}
