//! `CLUSTER NODES` replies: the parser, then `check` and the resilience analysis on a view
//! made of what it accepted.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trib::model::SLOT_COUNT;
use trib::model::info::Info;
use trib::model::nodes::{NodeEntry, parse_cluster_nodes};
use trib::model::view::{ClusterView, NodeView};
use trib::plan::check::check;
use trib::plan::resilience::analyze;

/// An entry written back the way Redis prints it (nodes.conf form when it has aux fields).
fn render(e: &NodeEntry) -> String {
    let mut s = format!("{} {}:{}@{}", e.id, e.ip, e.port, e.cport);
    match &e.hostname {
        Some(h) => s.push_str(&format!(",{h}")),
        None if !e.aux.is_empty() => s.push(','),
        None => {}
    }
    for (k, v) in &e.aux {
        s.push_str(&format!(",{k}={v}"));
    }
    let f = &e.flags;
    let flags: Vec<&str> = [
        (f.myself, "myself"),
        (f.master, "master"),
        (f.replica, "slave"),
        (f.pfail, "fail?"),
        (f.fail, "fail"),
        (f.handshake, "handshake"),
        (f.noaddr, "noaddr"),
        (f.nofailover, "nofailover"),
        (f.none, "noflags"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect();
    // An empty flags field cannot be printed: Redis writes `noflags`.
    let flags = if flags.is_empty() {
        "unknown-flag".to_string()
    } else {
        flags.join(",")
    };
    let master = e
        .master_id
        .as_ref()
        .map_or("-".to_string(), |m| m.to_string());
    s.push_str(&format!(
        // The ping times are checked, not kept: any valid ones do.
        " {flags} {master} 0 0 {} {}",
        e.config_epoch,
        if e.link_connected {
            "connected"
        } else {
            "disconnected"
        }
    ));
    for r in e.slots.ranges() {
        s.push_str(&format!(" {r}"));
    }
    for (slot, peer) in &e.migrating {
        s.push_str(&format!(" [{slot}->-{peer}]"));
    }
    for (slot, peer) in &e.importing {
        s.push_str(&format!(" [{slot}-<-{peer}]"));
    }
    s
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines = text.split('\n').count();
    let nodes = match parse_cluster_nodes(&text) {
        Ok(nodes) => nodes,
        Err(e) => {
            assert!(e.line >= 1 && e.line <= lines, "{e}");
            assert!(
                !e.reason.is_empty() && e.reason.chars().count() < 1000,
                "{e}"
            );
            assert!(!e.to_string().contains('\n'));
            return;
        }
    };
    assert!(nodes.len() <= lines);
    for e in &nodes {
        assert_eq!(e.id.as_str().len(), 40);
        for r in e.slots.ranges() {
            assert!(r.start <= r.end && r.end < SLOT_COUNT);
        }
        assert!(e.slots.len() <= usize::from(SLOT_COUNT));
        for (slot, _) in e.migrating.iter().chain(&e.importing) {
            assert!(*slot < SLOT_COUNT);
        }
        assert!(e.migrating.len() <= usize::from(SLOT_COUNT));
        assert!(e.importing.len() <= usize::from(SLOT_COUNT));
        assert!(!e.ip.contains([' ', ',', '@']));
        if let Some(h) = &e.hostname {
            assert!(!h.is_empty() && !h.contains([',', '=', ' ']));
        }
        // Printed back, it parses to the same entry.
        let again = parse_cluster_nodes(&render(e)).expect("a rendered entry parses");
        assert_eq!(again.len(), 1);
        assert_eq!(&again[0], e, "{}", render(e));
    }

    // The view of one node that answered with this reply: check and resilience never panic,
    // and every problem names something.
    let Some(me) = nodes.iter().find(|e| e.flags.myself).or(nodes.first()) else {
        return;
    };
    let view = ClusterView {
        nodes: vec![NodeView {
            label: "10.0.0.1:6379".into(),
            addr: "10.0.0.1:6379".parse().expect("addr"),
            domain: "10.0.0.1".into(),
            id: me.id.clone(),
            nodes: nodes.clone(),
            info: Info::parse("cluster_enabled:1\r\nrole:master\r\n"),
            cluster_info: Info::parse("cluster_state:ok\r\n"),
            node_timeout: None,
        }],
        ..Default::default()
    };
    for p in check(&view, None) {
        assert!(!p.message.is_empty());
    }
    let r = analyze(&view);
    assert!(r.masters <= nodes.len());
});
