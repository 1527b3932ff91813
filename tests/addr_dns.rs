//! Resolution through the public API against a local dnsmasq, using the
//! shared helper in tests/common/dns.rs.

#[path = "common/dns.rs"]
mod dns;

use std::time::Duration;

use dns::{DnsRecord, DnsServer};
use trib::addr::{Resolver, ResolverOptions, parse_node_args};

#[tokio::test]
async fn resolves_ranges_headless_and_srv_through_search_domain() {
    let z = "redis.ns1.svc.cluster.local";
    let mut records: Vec<DnsRecord> = (0..3)
        .map(|i| {
            DnsRecord::A(
                format!("redis-{i}.{z}"),
                format!("10.2.0.{i}").parse().unwrap(),
            )
        })
        .collect();
    records.push(DnsRecord::a(z, "10.2.0.0"));
    records.push(DnsRecord::a(z, "10.2.0.1"));
    records.push(DnsRecord::Srv {
        name: format!("_redis._tcp.{z}"),
        target: format!("redis-2.{z}"),
        port: 7002,
    });
    let server = DnsServer::start(&records);
    let resolver = Resolver::new(&ResolverOptions {
        dns_server: Some(server.addr()),
        search: vec!["ns1.svc.cluster.local".to_string()],
        timeout: Duration::from_secs(5),
    })
    .unwrap();
    let args: Vec<String> = [
        "redis-{0..2}.redis:6379=zone-a",
        "redis",
        "_redis._tcp.redis",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let specs = parse_node_args(&args).unwrap();
    let results = resolver.resolve_all(&specs).await;
    let labels: Vec<Vec<String>> = results
        .into_iter()
        .map(|r| r.unwrap().iter().map(|t| t.label()).collect())
        .collect();
    assert_eq!(
        labels,
        vec![
            vec!["redis-0.redis:6379".to_string()],
            vec!["redis-1.redis:6379".to_string()],
            vec!["redis-2.redis:6379".to_string()],
            vec![
                "redis:6379 (10.2.0.0)".to_string(),
                "redis:6379 (10.2.0.1)".to_string()
            ],
            vec![format!("redis-2.{z}:7002")],
        ]
    );
}
