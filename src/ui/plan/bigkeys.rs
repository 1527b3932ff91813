//! The big keys of a slot-moving plan, as a section under its table.

use crate::plan::bigkeys::{BigKey, KeysSized};
use crate::plan::migration::MigrationPlan;
use crate::ui::render;

/// Rows shown before "… and N more".
const SHOWN: usize = 20;

/// How the slots of `plan` move, when the servers move them (atomic slot migration), or
/// else the section naming its big keys.
pub fn section(plan: &MigrationPlan) -> String {
    if plan.atomic {
        return ATOMIC.to_string();
    }
    big_keys(&plan.big_keys, plan.sized)
}

/// What a plan says when the servers move the slots themselves.
const ATOMIC: &str = "\n\nThe servers move these slots themselves, whole slots at a time, with atomic slot migration (CLUSTER MIGRATESLOTS): no key is moved alone, so big keys are not looked for (`--no-atomic` moves keys in batches sized to --max-stall).";

/// The section naming the plan's big keys, or nothing when there is none; and, when
/// only a sample of the moving keys was sized, a line saying so.
fn big_keys(big: &[BigKey], sized: Option<KeysSized>) -> String {
    let sample = match sized {
        Some(s) if s.sample => format!(
            "\n\nBig keys were looked for in a sample of {} of the {} key(s) that move (`--size-all-keys` sizes every one); a big key outside the sample is not named here, and the batch it moves in keeps its source from its clients as long as the key takes to move.",
            s.sized, s.moving
        ),
        _ => String::new(),
    };
    if big.is_empty() {
        return sample;
    }
    let rows = big
        .iter()
        .take(SHOWN)
        .map(|k| {
            vec![
                k.name(),
                k.slot.to_string(),
                k.from_node.clone(),
                k.type_name.clone().unwrap_or_else(|| "?".into()),
                size(k.bytes),
                if k.in_pieces {
                    format!("≤ {} ms (in pieces)", k.stall_ms)
                } else {
                    format!("~{} ms", k.stall_ms)
                },
            ]
        })
        .collect();
    let more = if big.len() > SHOWN {
        format!(
            "\n… and {} more (`--json` lists them all)",
            big.len() - SHOWN
        )
    } else {
        String::new()
    };
    format!(
        "\n\n{} big key(s), each moved alone: in pieces that each fit --max-stall where its type allows, else whole, its source serving no client meanwhile (STALL: the longest a client waits for it):\n\n{}{more}",
        big.len(),
        render::table(&["KEY", "SLOT", "FROM", "TYPE", "SIZE", "STALL"], rows)
    ) + &sample
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1_000_000_000 => format!("{:.1} GB", b as f64 / 1e9),
        b if b >= 1_000_000 => format!("{:.1} MB", b as f64 / 1e6),
        b => format!("{:.0} KB", b as f64 / 1e3),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NodeId;

    /// With atomic slot migration, the plan says the servers move the slots, and names
    /// no big key even if some were found.
    #[test]
    fn an_atomic_plan_says_the_servers_move_the_slots() {
        let plan = MigrationPlan {
            atomic: true,
            ..MigrationPlan::default()
        };
        let text = section(&plan);
        assert!(
            text.contains("atomic slot migration (CLUSTER MIGRATESLOTS)"),
            "{text}"
        );
        assert!(!text.contains("big key(s)"), "{text}");
        assert_eq!(section(&MigrationPlan::default()), "");
    }

    #[test]
    fn big_keys_section_snapshot() {
        let k = |name: &str, bytes: u64, stall_ms: u64| BigKey {
            key: name.as_bytes().to_vec(),
            slot: 42,
            from: NodeId::parse(&"a".repeat(40)).unwrap(),
            from_node: "10.0.0.1:6379".into(),
            bytes,
            stall_ms,
            type_name: Some("stream".into()),
            in_pieces: false,
        };
        assert_eq!(big_keys(&[], None), "");
        let full = KeysSized {
            sized: 51,
            moving: 51,
            sample: false,
        };
        assert_eq!(big_keys(&[], Some(full)), "");
        let sample = KeysSized {
            sized: 10_000,
            moving: 61_000,
            sample: true,
        };
        assert!(
            big_keys(&[], Some(sample))
                .contains("a sample of 10000 of the 61000 key(s) that move (`--size-all-keys`")
        );
        let mut blob = k("user:blob", 52_428_800, 350);
        blob.typed(
            Some("string".into()),
            true,
            std::time::Duration::from_millis(2),
        );
        assert_eq!(
            big_keys(&[blob, k("q", 900_000, 6)], None),
            "\n\n2 big key(s), each moved alone: in pieces that each fit --max-stall where its type allows, else whole, its source serving no client meanwhile (STALL: the longest a client waits for it):

KEY        SLOT  FROM           TYPE    SIZE     STALL
user:blob  42    10.0.0.1:6379  string  52.4 MB  ≤ 2 ms (in pieces)
q          42    10.0.0.1:6379  stream  900 KB   ~6 ms"
        );
        let many: Vec<BigKey> = (0..25).map(|i| k(&i.to_string(), 1_000_000, 7)).collect();
        assert!(big_keys(&many, None).ends_with("… and 5 more (`--json` lists them all)"));
    }
}
