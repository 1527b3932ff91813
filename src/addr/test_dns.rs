//! dnsmasq-backed DNS server for unit tests; the code lives in
//! `tests/common/dns.rs` so integration tests can use the same helper.

include!("../../tests/common/dns.rs");
