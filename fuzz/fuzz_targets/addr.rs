//! Node arguments (`HOST[:PORT][=DOMAIN]`, `{A..B}` ranges, IPv6, SRV) and `--dns-server`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trib::addr::{
    AddrError, DEFAULT_PORT, Host, MAX_EXPANSIONS, parse_dns_server, parse_node, parse_node_args,
};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    match parse_node(s) {
        Ok(specs) => {
            assert!(!specs.is_empty());
            assert!(specs.len() as u64 <= MAX_EXPANSIONS);
            let domain = s.split_once('=').map(|(_, d)| d);
            for spec in &specs {
                assert!(!spec.text.is_empty());
                assert!(
                    !spec
                        .text
                        .chars()
                        .any(|c| c.is_whitespace() || c.is_control())
                );
                assert!(!spec.text.contains(['{', '}', '=']), "{spec:?}");
                assert_eq!(spec.domain.as_deref(), domain);
                match &spec.host {
                    Host::Srv(name) => assert!(name.starts_with('_')),
                    Host::Name(name) => assert!(!name.is_empty() && !name.starts_with('_')),
                    Host::Ip(_) => {}
                }
                if !matches!(spec.host, Host::Srv(_)) {
                    assert_ne!(spec.port, 0);
                }
                // The expanded text names the same node when parsed again.
                let again = parse_node(&spec.text).expect("an expanded argument parses again");
                assert_eq!(again.len(), 1);
                assert_eq!(again[0].host, spec.host);
                assert_eq!(again[0].port, spec.port);
                assert_eq!(again[0].text, spec.text);
                assert_eq!(again[0].domain, None);
            }
            if specs.len() == 1 && !s.contains(':') && !s.contains('{') {
                assert!(matches!(specs[0].host, Host::Srv(_)) || specs[0].port == DEFAULT_PORT);
            }
        }
        Err(e) => {
            // Malformed input is permanent and named in the message.
            assert!(matches!(e, AddrError::Syntax { .. }), "{e:?}");
            assert!(!e.is_transient());
            let msg = e.to_string();
            assert!(msg.starts_with(e.input()), "{msg}");
            assert!(msg.len() > e.input().len() + 2);
        }
    }
    // Several arguments (split on ';'): never more than MAX_EXPANSIONS in all.
    let args: Vec<String> = s.split(';').map(str::to_string).collect();
    if let Ok(specs) = parse_node_args(&args) {
        assert!(specs.len() as u64 <= MAX_EXPANSIONS);
        assert!(specs.len() >= args.len());
    }
    if let Ok(sa) = parse_dns_server(s) {
        assert_ne!(sa.port(), 0);
    }
});
