//! The Kubernetes manifests in docs/kubernetes/ parse and hold what the docs promise, and
//! the bootstrap Job runs exactly the command README.md tells users to run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_norway::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every YAML document of every docs/kubernetes/*.yaml, with the file it came from.
fn documents() -> Vec<(String, Value)> {
    let dir = root().join("docs/kubernetes");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no manifests in {}", dir.display());
    let mut docs = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        for (i, de) in serde_norway::Deserializer::from_str(&text).enumerate() {
            let v = Value::deserialize(de)
                .unwrap_or_else(|e| panic!("{name}: document {}: {e}", i + 1));
            if v.is_null() {
                continue;
            }
            for key in ["apiVersion", "kind", "metadata"] {
                assert!(
                    v.get(key).is_some(),
                    "{name}: document {} has no {key}",
                    i + 1
                );
            }
            assert!(
                v["metadata"]["name"]
                    .as_str()
                    .is_some_and(|n| !n.is_empty()),
                "{name}: document {} has no metadata.name",
                i + 1
            );
            docs.push((name.clone(), v));
        }
    }
    docs
}

fn kind<'a>(docs: &'a [(String, Value)], kind: &str) -> Vec<&'a Value> {
    docs.iter()
        .filter(|(_, v)| v["kind"].as_str() == Some(kind))
        .map(|(_, v)| v)
        .collect()
}

fn one<'a>(docs: &'a [(String, Value)], k: &str) -> &'a Value {
    let all = kind(docs, k);
    assert_eq!(all.len(), 1, "expected exactly one {k}");
    all[0]
}

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v:?}"))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_sequence()
        .map(|s| s.iter().map(|x| str_of(x).to_string()).collect())
        .unwrap_or_default()
}

#[test]
fn every_document_parses_and_the_kinds_are_there() {
    let docs = documents();
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, v) in &docs {
        *kinds.entry(str_of(&v["kind"])).or_default() += 1;
    }
    for k in [
        "ConfigMap",
        "Service",
        "StatefulSet",
        "Job",
        "ServiceAccount",
        "Role",
        "RoleBinding",
        "ClusterRole",
        "ClusterRoleBinding",
    ] {
        assert!(
            kinds.contains_key(k),
            "no {k} in docs/kubernetes: {kinds:?}"
        );
    }
}

#[test]
fn headless_service_and_statefulset_match() {
    let docs = documents();
    let svc = one(&docs, "Service");
    assert_eq!(
        str_of(&svc["spec"]["clusterIP"]),
        "None",
        "the Service is headless"
    );
    let sts = one(&docs, "StatefulSet");
    let spec = &sts["spec"];
    assert_eq!(spec["serviceName"], svc["metadata"]["name"]);
    assert_eq!(spec["replicas"].as_u64(), Some(6));
    // The selectors line up: the Service and the StatefulSet select the pod template.
    let pod_labels = &spec["template"]["metadata"]["labels"];
    for (k, v) in svc["spec"]["selector"].as_mapping().unwrap() {
        assert_eq!(&pod_labels[k], v, "Service selector {k:?}");
    }
    for (k, v) in spec["selector"]["matchLabels"].as_mapping().unwrap() {
        assert_eq!(&pod_labels[k], v, "StatefulSet selector {k:?}");
    }
    // The names the Job uses are the ones this StatefulSet gives its pods.
    assert_eq!(str_of(&sts["metadata"]["name"]), "redis-app");
    assert_eq!(str_of(&svc["metadata"]["name"]), "redis-service");

    let pod = &spec["template"]["spec"];
    assert!(
        pod["affinity"]["podAntiAffinity"].is_mapping(),
        "pod anti-affinity"
    );
    assert!(
        !pod["topologySpreadConstraints"]
            .as_sequence()
            .unwrap()
            .is_empty()
    );
    assert!(
        !spec["volumeClaimTemplates"]
            .as_sequence()
            .unwrap()
            .is_empty(),
        "persistent volumes"
    );
    let c = &pod["containers"][0];
    assert!(c["readinessProbe"].is_mapping(), "readiness probe");
    // The pod announces its own FQDN, built from the downward API.
    let env: BTreeMap<String, &Value> = c["env"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|e| (str_of(&e["name"]).to_string(), e))
        .collect();
    assert_eq!(
        str_of(&env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"]),
        "metadata.name"
    );
    let args = strings(&c["args"]);
    let at = args
        .iter()
        .position(|a| a == "--cluster-announce-hostname")
        .expect("--cluster-announce-hostname in the args");
    assert_eq!(args[at + 1], "$(POD_FQDN)");
    let fqdn = str_of(&env["POD_FQDN"]["value"]);
    assert!(
        fqdn.starts_with("$(POD_NAME).redis-service."),
        "POD_FQDN is the pod's DNS name: {fqdn}"
    );

    // redis.conf: cluster mode, hostnames preferred, nodes.conf on the volume.
    let cm = one(&docs, "ConfigMap");
    let conf = str_of(&cm["data"]["redis.conf"]);
    let lines: Vec<&str> = conf.lines().map(str::trim).collect();
    for want in [
        "cluster-enabled yes",
        "cluster-preferred-endpoint-type hostname",
        "cluster-config-file /data/nodes.conf",
    ] {
        assert!(lines.contains(&want), "redis.conf lacks {want:?}");
    }
    let mounts = strings(&Value::Sequence(
        c["volumeMounts"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|m| m["mountPath"].clone())
            .collect(),
    ));
    assert!(mounts.contains(&"/data".to_string()));
}

/// The shell words of the line after README.md's `bootstrap-command` marker. Only the
/// quoting the command uses is understood: single quotes and plain words.
fn readme_bootstrap_command() -> Vec<String> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut lines = readme
        .lines()
        .skip_while(|l| !l.starts_with("<!-- bootstrap-command"));
    assert!(
        lines.next().is_some(),
        "README.md has no <!-- bootstrap-command --> marker"
    );
    assert_eq!(lines.next().map(str::trim), Some("```sh"));
    let line = lines.next().expect("a command after the marker");
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quoted = false;
    for ch in line.chars() {
        match ch {
            '\'' => {
                quoted = !quoted;
                in_word = true;
            }
            c if c.is_whitespace() && !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '"' | '\\' | '$' | '`' if !quoted => panic!("unsupported shell syntax in {line:?}"),
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    assert!(!quoted, "unbalanced quote in {line:?}");
    if in_word {
        words.push(word);
    }
    words
}

#[test]
fn bootstrap_job_runs_the_readme_command() {
    let words = readme_bootstrap_command();
    assert_eq!(words[0], "trib");
    assert_eq!(words[1], "create");

    let docs = documents();
    let job = one(&docs, "Job");
    let spec = &job["spec"];
    assert!(spec["backoffLimit"].as_u64().is_some_and(|n| n >= 1));
    let pod = &spec["template"]["spec"];
    let containers = pod["containers"].as_sequence().unwrap();
    assert_eq!(containers.len(), 1);
    let c = &containers[0];
    let mut argv = strings(&c["command"]);
    argv.extend(strings(&c["args"]));
    assert_eq!(
        argv, words,
        "docs/kubernetes/bootstrap-job.yaml's command + args differ from README.md's bootstrap command"
    );

    // The Job runs as the ServiceAccount the RBAC manifests bind.
    let sa = str_of(&pod["serviceAccountName"]);
    let account = one(&docs, "ServiceAccount");
    assert_eq!(str_of(&account["metadata"]["name"]), sa);
    for binding in ["RoleBinding", "ClusterRoleBinding"] {
        let b = one(&docs, binding);
        let subjects = b["subjects"].as_sequence().unwrap();
        assert!(
            subjects
                .iter()
                .any(|s| s["kind"] == "ServiceAccount" && s["name"] == sa),
            "{binding} binds {sa}"
        );
    }
    // The node names in the command are the StatefulSet's pods behind its Service.
    assert!(
        words
            .iter()
            .any(|w| w == "redis-app-{0..5}.redis-service:6379"),
        "{words:?}"
    );
    // And the command parses with this trib (dry parsing only: `--help` after it).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_trib"))
        .args(&words[1..])
        .arg("--help")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "trib rejects the bootstrap command: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn rbac_allows_what_the_domain_lookup_reads() {
    let docs = documents();
    let rules = |k: &str| -> Vec<(Vec<String>, Vec<String>)> {
        one(&docs, k)["rules"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|r| (strings(&r["resources"]), strings(&r["verbs"])))
            .collect()
    };
    let allows = |rules: &[(Vec<String>, Vec<String>)], res: &str, verb: &str| {
        rules
            .iter()
            .any(|(r, v)| r.iter().any(|x| x == res) && v.iter().any(|x| x == verb))
    };
    let role = rules("Role");
    assert!(allows(&role, "pods", "get") && allows(&role, "pods", "list"));
    let cluster_role = rules("ClusterRole");
    assert!(allows(&cluster_role, "nodes", "get"));
    // Read-only.
    for (_, verbs) in role.iter().chain(&cluster_role) {
        for v in verbs {
            assert!(["get", "list", "watch"].contains(&v.as_str()), "verb {v}");
        }
    }
    // Bindings point at the roles defined here.
    for (binding, role_kind) in [
        ("RoleBinding", "Role"),
        ("ClusterRoleBinding", "ClusterRole"),
    ] {
        let b = one(&docs, binding);
        assert_eq!(str_of(&b["roleRef"]["kind"]), role_kind);
        assert_eq!(
            b["roleRef"]["name"],
            one(&docs, role_kind)["metadata"]["name"]
        );
    }
}

#[test]
fn manifests_dir_has_a_readme() {
    assert!(Path::new(&root().join("docs/kubernetes/README.md")).exists());
}
