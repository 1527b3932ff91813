//! The flags of the commands that move slots with the migration engine (`reshard`,
//! `rebalance`), flattened into their arguments, and what those commands do with them
//! around the engine: its options, and the big keys named in the plan.

use std::collections::BTreeSet;
use std::time::Duration;

use clap::Args;

use super::Context;
use crate::cluster::load::Loaded;
use crate::model::NodeId;
use crate::ops::bigkeys::note_big_keys;
use crate::ops::migrate::{MigrateOptions, atomic};
use crate::ops::slot_moves::master_conns;
use crate::plan::migration::MigrationPlan;

// (No doc comment: clap would take it for the subcommand's about.)
#[derive(Debug, Args)]
pub struct MigrationArgs {
    /// Move slots with SETSLOT/MIGRATE even where every master supports atomic slot migration
    #[arg(long)]
    pub no_atomic: bool,
    /// About how long a client may wait behind trib's work on a node (MIGRATEs, which block
    /// their source and target, the big-key scan, opening slots): half on the node it asks,
    /// half on the node ASK sends it to; batches are sized to that by the pace of recent ones
    #[arg(long, value_name = "DUR", default_value = "2ms", value_parser = super::parse_timeout)]
    pub max_stall: Duration,
    /// Look for big keys by sizing every key that moves (default: every key when at most
    /// 10000 move from a source, else a sample of about 10000 of them, each key with the
    /// same chance)
    #[arg(long)]
    pub size_all_keys: bool,
    /// Move keys with MIGRATE on the source, as redis-cli does, instead of copying them
    /// through trib (DUMP on the source, RESTORE-ASKING on the target, then DEL; big keys
    /// in pieces): slower, and a big key stalls its source for its whole move, but needs no
    /// DUMP/RESTORE permission for trib's ACL user
    #[arg(long)]
    pub via_migrate: bool,
}

impl MigrationArgs {
    /// The engine's options: these flags and the cluster's credentials.
    pub fn options(&self, ctx: &Context) -> MigrateOptions {
        MigrateOptions {
            atomic: !self.no_atomic,
            max_stall: self.max_stall,
            relay: !self.via_migrate,
            ..MigrateOptions::default()
        }
        .with_credentials(&ctx.connect)
    }

    /// Names `plan`'s big keys (those whose move alone would stall a source longer than
    /// `--max-stall`), sized on the loaded sources; when they cannot be, a warning says so.
    /// Where the servers will move the slots themselves (atomic slot migration, not turned
    /// off) no key moves alone: the plan says so instead, and no key is sized.
    pub async fn note_big_keys(&self, ctx: &Context, loaded: &Loaded, plan: &mut MigrationPlan) {
        let masters = master_conns(loaded);
        if !self.no_atomic && !plan.moves.is_empty() {
            let ids: BTreeSet<NodeId> = plan
                .moves
                .iter()
                .flat_map(|m| [m.from.clone(), m.to.clone()])
                .collect();
            if atomic::supported(&masters, &ids, &self.options(ctx)).await {
                plan.atomic = true;
                return;
            }
        }
        if let Some(w) = note_big_keys(
            &masters,
            plan,
            self.max_stall,
            self.size_all_keys,
            !self.via_migrate,
            &ctx.reporter(),
        )
        .await
        {
            ctx.printer.warn(&w);
        }
    }
}
