//! Redis 5, 6, 7 and Valkey 9 as they really answer. The replies in
//! tests/fixtures/versions/NAME/ were recorded from real servers by
//! scripts/record-fixtures.sh (Redis 5.0.6 and 6.2.14 built from source, Redis 7.0.15,
//! Valkey 9.1.2): seven empty nodes (`fresh/`), the cluster `trib create --replicas 1`
//! made of six of them plus the seventh added as an empty master, 300 keys (`cluster/`),
//! and slot 100 half moved to the seventh (`open_slot/`).
//!
//! Each reply goes through the model's parsers, the views built from them through the
//! planners, and every version-dependent decision is checked on both sides. CI starts
//! real Redis 7.0 and Valkey 9 servers; these tests are what covers Redis 5 and 6.

mod common;
#[path = "common/fake.rs"]
mod fake;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

use trib::cluster::commands::cmd::addslots as addslots_cmd;
use trib::cluster::load::default_domain;
use trib::model::info::Info;
use trib::model::nodes::{NodeEntry, parse_cluster_nodes};
use trib::model::view::{ClusterView, NodeView};
use trib::model::{NodeId, SLOT_COUNT, SlotRange, SlotSet, key_slot};
use trib::ops::create::has_addslotsrange;
use trib::ops::membership::has_functions;
use trib::ops::migrate::migrate_auth2;
use trib::plan::check::{Severity, check};
use trib::plan::create::{CreateNodeState, CreateStatus, CreateStep, plan_create};
use trib::plan::fix::{FixInput, FixMaster, KeyCounts, SetSlot, broken_slots, plan_fix};
use trib::plan::membership::{
    JoinInput, JoinRefusal, JoinStep, Library, Role, Want, bus_port, plan_join,
};
use trib::plan::rebalance::{RebalanceMaster, plan_rebalance};
use trib::plan::reshard::{Amount, ReshardRequest, Sources, health_problems, plan_reshard};

/// Client port of node N in the recordings: BASE + N (bus port: + 10000).
const BASE: u16 = 27100;
/// Nodes recorded per scenario.
const NODES: u16 = 7;
/// Keys `key:1` … `key:300` were written to the cluster.
const KEYS: u64 = 300;

/// What each recorded server is and what trib may use on it.
struct Version {
    dir: &'static str,
    version: (u32, u32, u32),
    /// `CLUSTER NODES` shows `,hostname` (Redis 7.0+, `cluster-announce-hostname` set).
    hostnames: bool,
    addslotsrange: bool,
    functions: bool,
    /// `MIGRATE … AUTH2` (ACL users, Redis 6.0+).
    auth2: bool,
    /// Replicas show their master's `[slot->-id]` markers (Valkey 8+).
    mirrors_markers: bool,
}

const VERSIONS: [Version; 4] = [
    Version {
        dir: "redis5",
        version: (5, 0, 6),
        hostnames: false,
        addslotsrange: false,
        functions: false,
        auth2: false,
        mirrors_markers: false,
    },
    Version {
        dir: "redis6",
        version: (6, 2, 14),
        hostnames: false,
        addslotsrange: false,
        functions: false,
        auth2: true,
        mirrors_markers: false,
    },
    Version {
        dir: "redis7",
        version: (7, 0, 15),
        hostnames: true,
        addslotsrange: true,
        functions: true,
        auth2: true,
        mirrors_markers: false,
    },
    Version {
        dir: "valkey9",
        version: (9, 1, 2),
        hostnames: true,
        addslotsrange: true,
        functions: true,
        auth2: true,
        mirrors_markers: true,
    },
];

fn read(v: &Version, scenario: &str, file: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/versions/{}/{scenario}/{file}",
        env!("CARGO_MANIFEST_DIR"),
        v.dir
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn nodes_of(v: &Version, scenario: &str, n: u16) -> Vec<NodeEntry> {
    let text = read(v, scenario, &format!("node{n}.nodes.txt"));
    parse_cluster_nodes(&text).unwrap_or_else(|e| panic!("{} {scenario} node{n}: {e}", v.dir))
}

fn addr(n: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], BASE + n))
}

/// Node N as `probe` builds it: its `CLUSTER NODES`, `INFO` and `CLUSTER INFO`. The
/// `open_slot` recording has only `CLUSTER NODES`; INFO comes from `cluster/`.
fn node_view(v: &Version, scenario: &str, n: u16) -> NodeView {
    let nodes = nodes_of(v, scenario, n);
    let info_dir = if scenario == "open_slot" {
        "cluster"
    } else {
        scenario
    };
    let me = nodes
        .iter()
        .find(|e| e.flags.myself)
        .unwrap_or_else(|| panic!("{} {scenario} node{n}: no myself line", v.dir));
    NodeView {
        label: addr(n).to_string(),
        addr: addr(n),
        domain: default_domain(&addr(n), None),
        id: me.id.clone(),
        info: Info::parse(read(v, info_dir, &format!("node{n}.info.txt"))),
        cluster_info: Info::parse(read(v, info_dir, &format!("node{n}.cluster_info.txt"))),
        nodes,
        node_timeout: None,
    }
}

fn view(v: &Version, scenario: &str, which: impl IntoIterator<Item = u16>) -> ClusterView {
    ClusterView {
        nodes: which
            .into_iter()
            .map(|n| node_view(v, scenario, n))
            .collect(),
        unreachable: vec![],
        entry: None,
        ..ClusterView::default()
    }
}

fn all(v: &Version, scenario: &str) -> ClusterView {
    view(v, scenario, 0..NODES)
}

fn id_of(view: &ClusterView, n: u16) -> NodeId {
    view.nodes
        .iter()
        .find(|x| x.addr == addr(n))
        .map(|x| x.id.clone())
        .unwrap_or_else(|| panic!("node{n} not in the view"))
}

/// The master that owns slot 0 (node 0 after create; it is the source of slot 100).
fn owner_of_slot_0(view: &ClusterView) -> &NodeView {
    view.masters()
        .into_iter()
        .find(|m| m.myself().is_some_and(|e| e.slots.contains(0)))
        .unwrap_or_else(|| panic!("nobody owns slot 0"))
}

#[test]
fn fresh_nodes_parse_as_recorded() {
    for v in &VERSIONS {
        for n in 0..NODES {
            let nodes = nodes_of(v, "fresh", n);
            assert_eq!(nodes.len(), 1, "{} node{n}", v.dir);
            let me = &nodes[0];
            assert!(me.flags.myself && me.flags.master && !me.flags.replica);
            // A node that met nobody does not know its own IP yet: `:port@cport`.
            assert_eq!(me.ip, "", "{} node{n}", v.dir);
            assert_eq!((me.port, me.cport), (BASE + n, BASE + n + 10000));
            let hostname = v.hostnames.then(|| format!("node-{n}.trib.test"));
            assert_eq!(me.hostname, hostname, "{} node{n}", v.dir);
            assert!(me.aux.is_empty(), "{}: no aux fields in the reply", v.dir);
            assert!(me.slots.is_empty() && me.master_id.is_none());
            assert_eq!(me.config_epoch, 0);
            let nv = node_view(v, "fresh", n);
            assert!(
                nv.is_empty_node(),
                "{} node{n}: {:?}",
                v.dir,
                nv.emptiness_problem()
            );
            assert!(nv.cluster_enabled());
            assert!(!nv.cluster_state_ok(), "a fresh node is in state fail");
            assert_eq!(nv.keys(), 0);
        }
    }
}

#[test]
fn cluster_nodes_of_a_created_cluster_parse_as_recorded() {
    for v in &VERSIONS {
        let mut maps: Vec<BTreeMap<NodeId, SlotSet>> = Vec::new();
        for n in 0..NODES {
            let nodes = nodes_of(v, "cluster", n);
            assert_eq!(nodes.len(), usize::from(NODES), "{} node{n}", v.dir);
            let mine: Vec<&NodeEntry> = nodes.iter().filter(|e| e.flags.myself).collect();
            assert_eq!(mine.len(), 1);
            assert_eq!(mine[0].port, BASE + n);
            let masters: Vec<&NodeEntry> = nodes.iter().filter(|e| e.is_master()).collect();
            let replicas: Vec<&NodeEntry> = nodes.iter().filter(|e| e.flags.replica).collect();
            assert_eq!((masters.len(), replicas.len()), (4, 3), "{} node{n}", v.dir);
            let master_ids: BTreeSet<&NodeId> = masters.iter().map(|e| &e.id).collect();
            for r in &replicas {
                let m = r.master_id.as_ref().expect("a replica names its master");
                assert!(master_ids.contains(m), "{}: replica of a non-master", v.dir);
                assert!(r.slots.is_empty());
            }
            // Three masters cover every slot once; the added one has none.
            let mut covered = SlotSet::new();
            let mut total = 0;
            for m in &masters {
                assert!(covered.intersection(&m.slots).is_empty());
                covered.union_with(&m.slots);
                total += m.slots.len();
            }
            assert_eq!(covered, SlotSet::full(), "{} node{n}", v.dir);
            assert_eq!(total, usize::from(SLOT_COUNT));
            assert_eq!(masters.iter().filter(|m| m.slots.is_empty()).count(), 1);
            for e in &nodes {
                assert_eq!(e.ip, "127.0.0.1");
                assert_eq!(e.cport, e.port + 10000, "{}: `ip:port@cport`", v.dir);
                let port = e.port;
                assert!((BASE..BASE + NODES).contains(&port));
                let hostname = v
                    .hostnames
                    .then(|| format!("node-{}.trib.test", port - BASE));
                assert_eq!(e.hostname, hostname, "{} node{n}", v.dir);
                assert!(e.aux.is_empty());
                assert!(e.link_connected && !e.is_failing() && !e.flags.handshake);
                assert!(e.migrating.is_empty() && e.importing.is_empty());
            }
            maps.push(
                nodes
                    .iter()
                    .map(|e| (e.id.clone(), e.slots.clone()))
                    .collect(),
            );
        }
        assert!(
            maps.windows(2).all(|w| w[0] == w[1]),
            "{}: every node agrees",
            v.dir
        );
    }
    // The slot layout create computes does not depend on the version.
    let layouts: Vec<Vec<Vec<SlotRange>>> = VERSIONS
        .iter()
        .map(|v| {
            let mut l: Vec<Vec<SlotRange>> = nodes_of(v, "cluster", 0)
                .iter()
                .filter(|e| e.is_master())
                .map(|e| e.slots.ranges())
                .collect();
            l.sort();
            l
        })
        .collect();
    assert!(layouts.windows(2).all(|w| w[0] == w[1]), "{layouts:?}");
    assert_eq!(
        layouts[0],
        vec![
            vec![],
            vec![SlotRange::new(0, 5460)],
            vec![SlotRange::new(5461, 10922)],
            vec![SlotRange::new(10923, 16383)],
        ]
    );
}

#[test]
fn open_slot_markers_as_recorded() {
    for v in &VERSIONS {
        let cluster = all(v, "open_slot");
        let owner = owner_of_slot_0(&cluster);
        let new = id_of(&cluster, 6);
        let me = owner.myself().expect("myself");
        assert_eq!(me.migrating, vec![(100, new.clone())], "{}", v.dir);
        assert!(me.importing.is_empty());
        let target = cluster.node(&new).and_then(|n| n.myself()).expect("node6");
        assert_eq!(target.importing, vec![(100, owner.id.clone())], "{}", v.dir);
        // What the others see of the two: no markers (they are local state).
        for nv in &cluster.nodes {
            for e in nv.others() {
                assert!(e.migrating.is_empty() && e.importing.is_empty());
            }
        }
        for r in cluster.replicas_of(&owner.id) {
            let mirrored = &r.myself().expect("myself").migrating;
            if v.mirrors_markers {
                assert_eq!(mirrored, &vec![(100, new.clone())], "{}", v.dir);
            } else {
                assert!(mirrored.is_empty(), "{}", v.dir);
            }
        }
    }
}

#[test]
fn info_replies_as_recorded() {
    for v in &VERSIONS {
        let cluster = all(v, "cluster");
        for nv in &cluster.nodes {
            assert_eq!(nv.info.version(), Some(v.version), "{}", v.dir);
            assert!(nv.cluster_enabled());
            assert!(nv.used_memory().is_some_and(|m| m > 0));
            assert!(nv.cluster_state_ok(), "{} {}", v.dir, nv.label);
            let ci = &nv.cluster_info;
            assert_eq!(ci.get_u64("cluster_slots_assigned"), Some(16384));
            assert_eq!(ci.get_u64("cluster_known_nodes"), Some(u64::from(NODES)));
            assert_eq!(ci.get_u64("cluster_size"), Some(3));
            // CRLF line ends never leak into values.
            assert!(!ci.get("cluster_state").unwrap_or("\r").contains('\r'));
            match nv.info.get("role") {
                Some("master") => assert!(nv.is_master()),
                Some("slave") => {
                    assert!(!nv.is_master());
                    assert_eq!(nv.info.get("master_link_status"), Some("up"));
                    assert_eq!(nv.info.get("master_sync_in_progress"), Some("0"));
                    assert!(nv.info.get_u64("slave_repl_offset").is_some());
                    assert_eq!(nv.info.get("master_host"), Some("127.0.0.1"));
                    // A replica holds what its master holds.
                    let m = nv
                        .myself()
                        .and_then(|e| e.master_id.clone())
                        .expect("master");
                    assert_eq!(nv.keys(), cluster.node(&m).expect("master").keys());
                }
                other => panic!("{}: role {other:?}", v.dir),
            }
        }
        let keys: u64 = cluster.masters().iter().map(|m| m.keys()).sum();
        assert_eq!(keys, KEYS, "{}", v.dir);
        // Valkey reports its own version next to the Redis version it is compatible with.
        let first = &cluster.nodes[0].info;
        assert_eq!(
            first.get("valkey_version").is_some(),
            v.dir.starts_with("valkey")
        );
        assert!(first.get("redis_version").is_some());

        // `INFO all`: command statistics per subcommand only from Redis 7 on.
        let all = Info::parse(read(v, "cluster", "node0.info_all.txt"));
        assert_eq!(all.version(), Some(v.version));
        assert_eq!(all.total_keys(), cluster.nodes[0].keys());
        assert!(all.get("cmdstat_cluster").is_some() || all.get("cmdstat_cluster|nodes").is_some());
        assert_eq!(
            all.get("cmdstat_cluster|nodes").is_some(),
            v.version.0 >= 7,
            "{}",
            v.dir
        );
    }
}

#[test]
fn check_on_recorded_views() {
    for v in &VERSIONS {
        let healthy = all(v, "cluster");
        let errors: Vec<_> = check(&healthy, None)
            .into_iter()
            .filter(|p| p.severity == Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", v.dir);
        assert!(health_problems(&healthy).is_empty());

        // The open slot is reported once per side, whether or not replicas mirror it.
        let open = all(v, "open_slot");
        let problems = check(&open, None);
        let kinds: Vec<(&str, &str)> = problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .map(|p| (p.kind.as_str(), p.message.as_str()))
            .collect();
        assert_eq!(kinds.len(), 2, "{}: {kinds:?}", v.dir);
        assert!(
            kinds
                .iter()
                .all(|(k, m)| *k == "open_slot" && m.contains("slot 100"))
        );
        assert!(
            kinds
                .iter()
                .any(|(_, m)| m.contains("migrating to 127.0.0.1:27106"))
        );
        assert!(
            kinds
                .iter()
                .any(|(_, m)| m.starts_with("127.0.0.1:27106: slot 100 is importing"))
        );
        assert_eq!(health_problems(&open).len(), 2);
    }
}

/// `CreateNodeState` as `trib create` builds it from a probed node.
fn create_state(nv: &NodeView) -> CreateNodeState {
    let me = nv.myself().expect("myself");
    CreateNodeState {
        label: nv.label.clone(),
        addr: nv.addr,
        bus_port: me.cport,
        id: nv.id.clone(),
        domain: nv.domain.clone(),
        own_slots: me.slots.clone(),
        known: nv
            .others()
            .filter(|e| !e.flags.handshake)
            .map(|e| e.id.clone())
            .collect(),
        view_slots: nv.slots_assigned(),
        master_id: me.master_id.clone(),
        config_epoch: me.config_epoch,
        keys: nv.keys(),
        node_timeout: Some(5000),
    }
}

fn args(cmd: &redis::Cmd) -> Vec<String> {
    cmd.args_iter()
        .map(|a| match a {
            redis::Arg::Simple(b) => String::from_utf8_lossy(b).into_owned(),
            _ => "<cursor>".into(),
        })
        .collect()
}

#[test]
fn create_on_fresh_nodes_uses_addslotsrange_only_from_redis_7() {
    for v in &VERSIONS {
        let fresh = view(v, "fresh", 0..6);
        let states: Vec<CreateNodeState> = fresh.nodes.iter().map(create_state).collect();
        let plan = plan_create(&states, 1).unwrap_or_else(|e| panic!("{}: {e:?}", v.dir));
        assert_eq!(plan.status, CreateStatus::New);
        assert_eq!(plan.placement.masters.len(), 3);
        assert!(plan.placement.masters.iter().all(|g| g.replicas.len() == 1));
        // The bus port MEET gets is the one each node reports, on every version.
        assert!(states.iter().all(|s| s.bus_port == s.addr.port() + 10000));

        let range = has_addslotsrange(fresh.nodes[0].info.version());
        assert_eq!(range, v.addslotsrange, "{}", v.dir);
        let mut assigned = vec![0u32; usize::from(SLOT_COUNT)];
        for step in &plan.steps {
            let CreateStep::AddSlots { node, slots } = step else {
                continue;
            };
            let a = args(&addslots_cmd(slots, range));
            let count: usize = slots.iter().map(|r| r.len()).sum();
            assert_eq!(a[0], "CLUSTER");
            if v.addslotsrange {
                assert_eq!(a[1], "ADDSLOTSRANGE", "{}", v.dir);
                assert_eq!(a.len(), 2 + 2 * slots.len());
                assert_eq!(a[2], slots[0].start.to_string());
                assert_eq!(a[3], slots[0].end.to_string());
            } else {
                // Redis 5/6: every slot listed (ADDSLOTSRANGE is an unknown subcommand).
                assert_eq!(a[1], "ADDSLOTS", "{}", v.dir);
                assert_eq!(a.len(), 2 + count);
            }
            for r in slots {
                for s in r.start..=r.end {
                    assigned[usize::from(s)] += 1;
                }
            }
            assert!(plan.placement.masters.iter().any(|g| g.master == *node));
        }
        assert!(
            assigned.iter().all(|c| *c == 1),
            "{}: every slot once",
            v.dir
        );
        let meets = plan
            .steps
            .iter()
            .filter(|s| matches!(s, CreateStep::Meet { .. }))
            .count();
        assert!(meets >= 5, "{}: {meets} MEETs", v.dir);

        // Re-running create on the cluster it made (as recorded, before add-node's node
        // joined, seen without it) changes nothing.
        let created = view(v, "cluster", 0..6);
        let node6 = id_of(&all(v, "cluster"), 6);
        let states: Vec<CreateNodeState> = created
            .nodes
            .iter()
            .map(|nv| {
                let mut s = create_state(nv);
                s.known.remove(&node6);
                s
            })
            .collect();
        let again = plan_create(&states, 1).unwrap_or_else(|e| panic!("{}: {e:?}", v.dir));
        assert_eq!(again.status, CreateStatus::AlreadyCreated, "{}", v.dir);
        assert!(again.steps.is_empty(), "{}: {:?}", v.dir, again.steps);
    }
    // Unknown version (INFO without redis_version): the command every version has.
    assert!(!has_addslotsrange(None));
}

#[test]
fn reshard_and_rebalance_plans_on_recorded_views() {
    for v in &VERSIONS {
        let cluster = all(v, "cluster");
        let to = id_of(&cluster, 6);
        let plan = plan_reshard(
            &cluster,
            &ReshardRequest {
                from: Sources::All,
                to: to.clone(),
                amount: Amount::Slots(300),
            },
        )
        .unwrap_or_else(|e| panic!("{}: {e:?}", v.dir));
        assert_eq!(plan.slots, 300);
        assert_eq!(plan.shares.len(), 3);
        // redis-cli's split: the largest source rounds up, the others down (99 + 99 + 101),
        // then trib tops up to exactly 300 from the first source: about 100 each.
        assert!(
            plan.shares.iter().all(|s| (98..=102).contains(&s.count)),
            "{}: {:?}",
            v.dir,
            plan.shares.iter().map(|s| s.count).collect::<Vec<_>>()
        );
        assert_eq!(plan.shares.iter().map(|s| s.count).sum::<usize>(), 300);
        let owned: BTreeMap<NodeId, SlotSet> = cluster
            .masters()
            .iter()
            .map(|m| (m.id.clone(), m.myself().expect("myself").slots.clone()))
            .collect();
        let mut moved = BTreeSet::new();
        for m in &plan.migration.moves {
            assert_eq!(m.to, to);
            assert!(
                owned[&m.from].contains(m.slot),
                "{}: slot {}",
                v.dir,
                m.slot
            );
            assert!(moved.insert(m.slot), "slot {} moves twice", m.slot);
        }
        // A replica cannot receive slots, whatever the version.
        let replica = id_of(&cluster, 3);
        let refused = plan_reshard(
            &cluster,
            &ReshardRequest {
                from: Sources::All,
                to: replica,
                amount: Amount::Slots(1),
            },
        );
        assert!(refused.is_err_and(|e| e[0].to_string().contains("it is a replica")));

        // `rebalance --use-empty-masters`: the added master gets its quarter.
        let masters: Vec<RebalanceMaster> = cluster
            .masters()
            .into_iter()
            .map(|m| RebalanceMaster {
                id: m.id.clone(),
                label: m.label.clone(),
                slots: m.myself().expect("myself").slots.clone(),
                weight: 1.0,
            })
            .collect();
        assert_eq!(masters.len(), 4);
        let plan = plan_rebalance(&masters, 2.0).unwrap_or_else(|e| panic!("{}: {e}", v.dir));
        assert!(!plan.balanced);
        assert_eq!(plan.moves.moves.len(), 4096, "{}", v.dir);
        assert!(plan.moves.moves.iter().all(|m| m.to == to));
        assert!(plan.masters.iter().all(|s| s.target == 4096));
        let sources: BTreeSet<&NodeId> = plan.moves.moves.iter().map(|m| &m.from).collect();
        assert_eq!(sources.len(), 3);
    }
}

#[test]
fn fix_closes_the_recorded_open_slot() {
    for v in &VERSIONS {
        let open = all(v, "open_slot");
        // FixInput as `trib fix` builds it: every reachable master as it describes itself.
        let mut input = FixInput::default();
        for nv in &open.nodes {
            if let Some(me) = nv.myself().filter(|m| m.flags.master) {
                input.masters.push(FixMaster {
                    id: nv.id.clone(),
                    label: nv.label.clone(),
                    slots: me.slots.clone(),
                    migrating: me.migrating.clone(),
                    importing: me.importing.clone(),
                });
            }
        }
        input.masters.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(
            input.masters.len(),
            4,
            "{}: replicas are not masters",
            v.dir
        );
        let broken = broken_slots(&input);
        assert_eq!(broken.ranges(), vec![SlotRange::new(100, 100)], "{}", v.dir);

        let owner = owner_of_slot_0(&open).id.clone();
        let target = id_of(&open, 6);
        // None of the recorded keys hashes to slot 100: nothing to move.
        let in_100 = (1..=KEYS)
            .filter(|i| key_slot(format!("key:{i}").as_bytes()) == 100)
            .count();
        assert_eq!(in_100, 0);
        let empty = plan_fix(&input, &KeyCounts::new());
        assert_eq!(empty.slots.len(), 1, "{}: {empty:?}", v.dir);
        assert!(empty.slots[0].moves.is_empty());
        // With keys left on the source (COUNTKEYSINSLOT 100 = 2), they move to the target.
        let mut keys = KeyCounts::new();
        keys.entry(100).or_default().insert(owner.clone(), 2);
        let plan = plan_fix(&input, &keys);
        assert_eq!(plan.slots.len(), 1, "{}: {plan:?}", v.dir);
        let f = &plan.slots[0];
        assert_eq!(
            (f.slot, f.kind),
            (100, trib::plan::fix::FixKind::Migration),
            "{}",
            v.dir
        );
        // Finished toward the target the operator chose.
        assert_eq!(f.owner, target, "{}", v.dir);
        assert!(!f.assign);
        assert_eq!(f.moves, vec![(owner.clone(), 2)], "{}", v.dir);
        assert_eq!(empty.slots[0].owner, f.owner);
        assert!(
            f.open.iter().all(|(n, s)| match s {
                SetSlot::Migrating(to) => *n == owner && *to == target,
                SetSlot::Importing(from) => *n == target && *from == owner,
                SetSlot::Stable => false,
            }),
            "{}: {:?}",
            v.dir,
            f.open
        );
        assert!(plan.skipped.is_empty());
    }
}

#[test]
fn add_node_copies_functions_only_from_redis_7() {
    for v in &VERSIONS {
        // The cluster before the seventh node joined: nodes 0-5 without its entries.
        let full = all(v, "cluster");
        let node6 = id_of(&full, 6);
        let mut before = view(v, "cluster", 0..6);
        for nv in &mut before.nodes {
            nv.nodes.retain(|e| e.id != node6);
        }
        let new = node_view(v, "fresh", 6);
        assert_eq!(new.id, node6, "the recordings are of the same processes");

        // What add-node asks: NEW's libraries when it has FUNCTION, the masters' likewise.
        let new_has = has_functions(new.info.version());
        assert_eq!(new_has, v.functions, "{}", v.dir);
        let asked: Vec<&NodeView> = before
            .nodes
            .iter()
            .filter(|n| {
                n.is_master()
                    && n.myself().is_some_and(|m| !m.slots.is_empty())
                    && has_functions(n.info.version())
            })
            .collect();
        assert_eq!(asked.len(), if v.functions { 3 } else { 0 }, "{}", v.dir);

        let lib = Library {
            name: "mylib".into(),
            code: "#!lua name=mylib\nserver.register_function('f', function() return 1 end)".into(),
        };
        let cluster_functions = asked.first().map(|m| (m.id.clone(), vec![lib.clone()]));
        let plan = plan_join(&JoinInput {
            cluster: &before,
            new: &new,
            new_functions: new_has.then(Vec::new),
            cluster_functions: cluster_functions.clone(),
            want: Want::Master,
            allow_member: false,
        })
        .unwrap_or_else(|e| panic!("{}: {e:?}", v.dir));
        assert_eq!(plan.role, Role::Master);
        let copies: Vec<&JoinStep> = plan
            .steps
            .iter()
            .filter(|s| matches!(s, JoinStep::CopyFunctions { .. }))
            .collect();
        assert_eq!(copies.len(), usize::from(v.functions), "{}", v.dir);
        let meet = plan
            .steps
            .iter()
            .find_map(|s| match s {
                JoinStep::Meet { port, bus_port, .. } => Some((*port, *bus_port)),
                _ => None,
            })
            .expect("a MEET step");
        // The bus port the node reports (`@cport`), not port + 10000 by guess.
        assert_eq!(meet, (BASE + 6, BASE + 6 + 10000));
        assert_eq!(bus_port(&new), BASE + 6 + 10000);

        // A Redis 5/6 node cannot join a cluster whose masters hold functions.
        if !v.functions {
            let refused = plan_join(&JoinInput {
                cluster: &before,
                new: &new,
                new_functions: None,
                cluster_functions: Some((before.nodes[0].id.clone(), vec![lib.clone()])),
                want: Want::Master,
                allow_member: false,
            });
            assert!(
                refused.is_err_and(|e| matches!(
                    &e[..],
                    [JoinRefusal::NoFunctionCommand { libraries, .. }] if libraries == std::slice::from_ref(&lib.name)
                )),
                "{}",
                v.dir
            );
        }
    }
}

#[test]
fn migrate_passes_the_acl_user_only_between_redis_6_or_later() {
    for v in &VERSIONS {
        let version = node_view(v, "cluster", 0).info.version();
        assert_eq!(migrate_auth2(&[version, version]), v.auth2, "{}", v.dir);
    }
    // A Redis 5 node on either end of a mixed cluster: the password alone.
    let five = Some((5, 0, 6));
    let six = Some((6, 2, 14));
    assert!(!migrate_auth2(&[six, five]));
    assert!(!migrate_auth2(&[five, six]));
    // Unknown versions keep AUTH2 (what the user asked for).
    assert!(migrate_auth2(&[None, six]));
    assert!(migrate_auth2(&[]));
}

#[test]
fn pre_redis_4_address_forms() {
    // Redis 3.x prints `ip:port` (no bus port); trib then assumes port + 10000.
    let line =
        "3e7ad73852b24345aeafa50660399432ef17389e 10.0.0.9:7000 myself,master - 0 0 0 connected\n";
    let nodes = parse_cluster_nodes(line).expect("parses");
    assert_eq!(
        (nodes[0].port, nodes[0].cport, nodes[0].hostname.as_deref()),
        (7000, 0, None)
    );
    let nv = NodeView {
        label: "10.0.0.9:7000".into(),
        addr: "10.0.0.9:7000".parse().expect("addr"),
        domain: "10.0.0.9".into(),
        id: nodes[0].id.clone(),
        nodes,
        info: Info::parse("redis_version:3.2.12\r\ncluster_enabled:1\r\n"),
        cluster_info: Info::default(),
        node_timeout: None,
    };
    assert_eq!(bus_port(&nv), 17000);
    assert_eq!(nv.info.version(), Some((3, 2, 12)));
    assert!(!has_addslotsrange(nv.info.version()) && !has_functions(nv.info.version()));
}

/// Redis before 7.0 takes at most one INFO section and answers a list of them with a
/// syntax error. A node that answers like the recorded Redis 6.2 (its real INFO, a
/// one-node cluster owning every slot): `check` and `info` fall back to the default
/// sections and read keys, role and memory from them.
#[test]
fn redis6_info_without_section_lists_falls_back_to_default_sections() {
    use common::{run, trib};
    use fake::{FakeNode, Reply, bulk};
    use std::sync::atomic::{AtomicUsize, Ordering};

    static LISTS_REFUSED: AtomicUsize = AtomicUsize::new(0);
    const ID: &str = "6666666666666666666666666666666666666666";
    let node = FakeNode::start(|cmd| {
        let is = |w: &[&str]| {
            cmd.len() >= w.len() && cmd.iter().zip(w).all(|(a, b)| a.eq_ignore_ascii_case(b))
        };
        if is(&["INFO"]) && cmd.len() > 2 {
            LISTS_REFUSED.fetch_add(1, Ordering::SeqCst);
            Reply::Bytes(b"-ERR syntax error\r\n".to_vec())
        } else if is(&["INFO"]) {
            Reply::Bytes(bulk(include_str!(
                "fixtures/versions/redis6/cluster/node0.info_all.txt"
            )))
        } else if is(&["CLUSTER", "MYID"]) {
            Reply::Bytes(bulk(ID))
        } else if is(&["CLUSTER", "NODES"]) {
            Reply::Bytes(bulk(&format!(
                "{ID} 127.0.0.1:27100@37100 myself,master - 0 0 1 connected 0-16383\n"
            )))
        } else if is(&["CLUSTER", "INFO"]) {
            Reply::Bytes(bulk("cluster_state:ok\r\ncluster_slots_assigned:16384\r\n"))
        } else {
            Reply::Bytes(b"-ERR unknown command\r\n".to_vec())
        }
    });

    let out = run(trib().args(["--json", "check", &node.addr()]));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["nodes"][0]["keys"], 100, "{}", out.stdout);
    assert_eq!(doc["nodes"][0]["role"], "master");

    let out = run(trib().args(["--json", "info", &node.addr()]));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["masters"][0]["used_memory"], 2643928, "{}", out.stdout);
    assert!(LISTS_REFUSED.load(Ordering::SeqCst) >= 2);
}
