//! The longer `--help` texts (clap's `after_long_help`), kept apart from the argument
//! definitions so that a subcommand's file stays about its wiring.

/// `trib failover --help`: how NODE is read.
pub const FAILOVER: &str = "\
trib failover NODE makes NODE a master: a replica is promoted in place of its master; a
node that already is a master is left alone (nothing to do, exit 0), so running the same
command twice never switches the roles back.

trib failover --demote MASTER moves mastership away from MASTER: its best replica is
promoted (link up, a failure domain other than the master's, the largest replication
offset; with --force or --takeover the offset comes before the domain). MASTER already a
replica, or a master of no slot with no replica: nothing to do, exit 0 (what a Redis
pod's preStop hook needs: docs/kubernetes/).

NODE (or MASTER) as an address (10.0.0.5:6379, redis-app-0.redis:6379): the cluster is
loaded from it. As a node ID or an unambiguous ID prefix (hex digits): say where the
cluster is with --entry. With --entry the cluster is always loaded from the entries, so
the node may be down:
  trib failover --demote 10.0.0.5:6379 --entry redis-service --force

--domain D fails over every master in failure domain D to a replica outside D, one master
at a time, each verified before the next (draining a Kubernetes node before maintenance);
NODE is then any node of the cluster, used as the entry:
  trib failover redis-app-0.redis:6379 --domain 10.0.0.5

trib waits until the promoted node reports role:master, the old master role:slave (or is
down) and every reachable node's CLUSTER NODES shows the new master owning the slots, and
reports how long the switch took (took_ms with --json).";
