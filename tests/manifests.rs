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
        "Namespace",
        "Secret",
        "ConfigMap",
        "Service",
        "StatefulSet",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "Job",
        "Pod",
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
    let script = start_script(c);
    assert!(
        script.contains("--cluster-announce-hostname \"$POD_FQDN\""),
        "the pod announces $POD_FQDN: {script}"
    );
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
    assert_eq!(words[1], "apply");

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

/// The shell script the Redis container runs (`command: [sh, -c]`, the script in `args`).
fn start_script(c: &Value) -> String {
    assert_eq!(strings(&c["command"]), ["sh", "-c"], "the Redis container");
    let args = strings(&c["args"]);
    assert_eq!(args.len(), 1, "one script: {args:?}");
    args[0].clone()
}

fn statefulset_container(docs: &[(String, Value)]) -> &Value {
    &one(docs, "StatefulSet")["spec"]["template"]["spec"]["containers"][0]
}

/// The Job's pod spec, the admin Pod's spec and the StatefulSet's pod template spec, by kind.
fn pod_specs(docs: &[(String, Value)]) -> Vec<(&'static str, &Value)> {
    vec![
        (
            "StatefulSet",
            &one(docs, "StatefulSet")["spec"]["template"]["spec"],
        ),
        ("Job", &one(docs, "Job")["spec"]["template"]["spec"]),
        ("Pod", &one(docs, "Pod")["spec"]),
    ]
}

/// The pod labels of each workload (template labels; the Pod's own labels).
fn pod_labels<'a>(docs: &'a [(String, Value)], kind_name: &str) -> &'a Value {
    match kind_name {
        "Pod" => &one(docs, "Pod")["metadata"]["labels"],
        k => &one(docs, k)["spec"]["template"]["metadata"]["labels"],
    }
}

/// `name` → `valueFrom.secretKeyRef` (name, key) of a container's env.
fn secret_env(c: &Value, name: &str) -> Option<(String, String)> {
    let e = c["env"]
        .as_sequence()?
        .iter()
        .find(|e| e["name"].as_str() == Some(name))?;
    let r = &e["valueFrom"]["secretKeyRef"];
    Some((
        str_of(&r["name"]).to_string(),
        str_of(&r["key"]).to_string(),
    ))
}

#[test]
fn every_pod_meets_the_restricted_pod_security_level() {
    let docs = documents();
    let ns = one(&docs, "Namespace");
    assert_eq!(
        str_of(&ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]),
        "restricted",
        "the namespace enforces the restricted level"
    );
    let ns_name = str_of(&ns["metadata"]["name"]);
    for (file, v) in &docs {
        let k = str_of(&v["kind"]);
        if ["Namespace", "ClusterRole", "ClusterRoleBinding"].contains(&k) {
            continue;
        }
        assert_eq!(
            v["metadata"]["namespace"].as_str(),
            Some(ns_name),
            "{file}: {k} {:?} is not in namespace {ns_name}",
            v["metadata"]["name"]
        );
    }
    for (k, pod) in pod_specs(&docs) {
        let sc = &pod["securityContext"];
        assert_eq!(
            sc["runAsNonRoot"].as_bool(),
            Some(true),
            "{k}: runAsNonRoot"
        );
        let uid = sc["runAsUser"].as_u64().expect("runAsUser");
        assert!(
            uid >= 10000,
            "{k}: runAsUser {uid} (a high UID, not a host's)"
        );
        assert_eq!(
            str_of(&sc["seccompProfile"]["type"]),
            "RuntimeDefault",
            "{k}: pod seccompProfile"
        );
        for host in ["hostNetwork", "hostPID", "hostIPC"] {
            assert!(pod[host].as_bool() != Some(true), "{k}: {host}");
        }
        for vol in pod["volumes"].as_sequence().into_iter().flatten() {
            assert!(vol["hostPath"].is_null(), "{k}: hostPath volume");
        }
        let containers = pod["containers"].as_sequence().unwrap();
        let init = pod["initContainers"]
            .as_sequence()
            .cloned()
            .unwrap_or_default();
        for c in containers.iter().chain(&init) {
            let name = str_of(&c["name"]);
            let sc = &c["securityContext"];
            assert_eq!(
                sc["allowPrivilegeEscalation"].as_bool(),
                Some(false),
                "{k}/{name}: allowPrivilegeEscalation"
            );
            assert_eq!(sc["runAsNonRoot"].as_bool(), Some(true), "{k}/{name}");
            assert_eq!(
                sc["readOnlyRootFilesystem"].as_bool(),
                Some(true),
                "{k}/{name}: readOnlyRootFilesystem"
            );
            assert!(sc["privileged"].as_bool() != Some(true), "{k}/{name}");
            assert_eq!(
                strings(&sc["capabilities"]["drop"]),
                ["ALL"],
                "{k}/{name}: capabilities.drop"
            );
            assert!(
                sc["capabilities"]["add"].is_null(),
                "{k}/{name}: capabilities.add"
            );
            assert_eq!(
                str_of(&sc["seccompProfile"]["type"]),
                "RuntimeDefault",
                "{k}/{name}: container seccompProfile"
            );
            for p in c["ports"].as_sequence().into_iter().flatten() {
                assert!(p["hostPort"].is_null(), "{k}/{name}: hostPort");
            }
            let r = &c["resources"];
            assert!(
                r["limits"]["memory"].is_string() && r["requests"]["memory"].is_string(),
                "{k}/{name}: memory request and limit"
            );
        }
    }
    // Only the pods that read the Kubernetes API get a token.
    let sts = &one(&docs, "StatefulSet")["spec"]["template"]["spec"];
    assert_eq!(sts["automountServiceAccountToken"].as_bool(), Some(false));
    assert_eq!(
        one(&docs, "ServiceAccount")["automountServiceAccountToken"].as_bool(),
        Some(false)
    );
}

#[test]
fn the_password_comes_from_the_secret_and_nowhere_else() {
    let docs = documents();
    let secret = one(&docs, "Secret");
    let secret_name = str_of(&secret["metadata"]["name"]);
    assert!(
        secret["stringData"]["password"].is_string() || secret["data"]["password"].is_string(),
        "the Secret has a `password` key"
    );
    let want = Some((secret_name.to_string(), "password".to_string()));
    // Redis: REDISCLI_AUTH from the Secret, handed to requirepass and masterauth.
    let c = statefulset_container(&docs);
    assert_eq!(secret_env(c, "REDISCLI_AUTH"), want, "Redis container env");
    let script = start_script(c);
    for flag in [
        "--requirepass \"$REDISCLI_AUTH\"",
        "--masterauth \"$REDISCLI_AUTH\"",
    ] {
        assert!(script.contains(flag), "start script lacks {flag}: {script}");
    }
    // The placeholder of secret.yaml is refused.
    let placeholder = secret["stringData"]["password"].as_str().unwrap_or("");
    assert!(script.contains(&format!("|{placeholder})")), "{script}");
    // trib: REDISCLI_AUTH from the Secret in the Job and in the admin pod.
    for k in ["Job", "Pod"] {
        let pod = pod_specs(&docs)
            .into_iter()
            .find(|(n, _)| *n == k)
            .unwrap()
            .1;
        let c = &pod["containers"][0];
        assert_eq!(secret_env(c, "REDISCLI_AUTH"), want, "{k} env");
    }
    // No password in the ConfigMap, and none on any command line.
    let conf = str_of(&one(&docs, "ConfigMap")["data"]["redis.conf"]);
    for l in conf.lines().map(str::trim) {
        assert!(
            !l.starts_with("requirepass") && !l.starts_with("masterauth"),
            "redis.conf sets a password: {l}"
        );
    }
    for (k, pod) in pod_specs(&docs) {
        for c in pod["containers"].as_sequence().unwrap() {
            let mut words = strings(&c["command"]);
            words.extend(strings(&c["args"]));
            for probe in ["readinessProbe", "livenessProbe", "startupProbe"] {
                words.extend(strings(&c[probe]["exec"]["command"]));
            }
            for w in &words {
                for bad in [" -a ", "--password", "--pass "] {
                    assert!(!format!(" {w} ").contains(bad), "{k}: {bad:?} in {w:?}");
                }
            }
        }
    }
}

#[test]
fn readiness_cannot_deadlock_the_bootstrap() {
    let docs = documents();
    let svc = one(&docs, "Service");
    assert_eq!(
        svc["spec"]["publishNotReadyAddresses"].as_bool(),
        Some(true),
        "pods resolve before they are ready (readiness needs the cluster the Job creates)"
    );
    let sts = one(&docs, "StatefulSet");
    assert_eq!(
        str_of(&sts["spec"]["podManagementPolicy"]),
        "Parallel",
        "OrderedReady would wait for pod 0 to be ready before starting pod 1"
    );
    let probe = strings(&statefulset_container(&docs)["readinessProbe"]["exec"]["command"]);
    let script = probe.join(" ");
    for want in ["cluster_state:ok", "master_link_status:up", "role:slave"] {
        assert!(script.contains(want), "readiness lacks {want}: {script}");
    }
    let pdb = one(&docs, "PodDisruptionBudget");
    assert_eq!(
        str_of(&pdb["spec"]["unhealthyPodEvictionPolicy"]),
        "AlwaysAllow",
        "unready pods (a cluster down) must not block every drain"
    );
}

/// `640mb`, `1gb`, `1Gi`, `512Mi`, plain bytes → bytes.
fn bytes(s: &str) -> u64 {
    let s = s.trim().to_ascii_lowercase();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().unwrap_or_else(|_| panic!("size {s:?}"));
    n * match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" | "ki" => 1024,
        "m" => 1000 * 1000,
        "mb" | "mi" => 1 << 20,
        "g" => 1000 * 1000 * 1000,
        "gb" | "gi" => 1 << 30,
        u => panic!("unit {u:?} in {s:?}"),
    }
}

#[test]
fn maxmemory_leaves_room_below_the_memory_limit() {
    let docs = documents();
    let conf = str_of(&one(&docs, "ConfigMap")["data"]["redis.conf"]);
    let value = |key: &str| {
        conf.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(key).filter(|r| r.starts_with(' ')))
            .map(str::trim)
            .unwrap_or_else(|| panic!("redis.conf has no {key}"))
    };
    let maxmemory = bytes(value("maxmemory"));
    let policy = value("maxmemory-policy");
    assert!(
        [
            "noeviction",
            "allkeys-lru",
            "allkeys-lfu",
            "volatile-lru",
            "volatile-lfu",
            "allkeys-random",
            "volatile-random",
            "volatile-ttl"
        ]
        .contains(&policy),
        "maxmemory-policy {policy}"
    );
    let res = &statefulset_container(&docs)["resources"];
    let limit = bytes(str_of(&res["limits"]["memory"]));
    // Replication buffers, an AOF rewrite's fork and fragmentation need the rest.
    assert!(
        maxmemory > 0 && maxmemory * 4 <= limit * 3,
        "maxmemory {maxmemory} is not at most 75% of the memory limit {limit}"
    );
    assert_eq!(
        bytes(str_of(&res["requests"]["memory"])),
        limit,
        "request = limit: the scheduler reserves what Redis may use"
    );
}

#[test]
fn network_policy_lets_clients_reach_6379_and_only_redis_the_bus() {
    let docs = documents();
    let policies = kind(&docs, "NetworkPolicy");
    let redis_labels = pod_labels(&docs, "StatefulSet");
    let selects = |sel: &Value, labels: &Value| {
        sel["matchLabels"]
            .as_mapping()
            .is_some_and(|m| !m.is_empty() && m.iter().all(|(k, v)| &labels[k] == v))
    };
    let redis_policy = policies
        .iter()
        .find(|p| selects(&p["spec"]["podSelector"], redis_labels))
        .expect("a NetworkPolicy selecting the Redis pods");
    assert!(strings(&redis_policy["spec"]["policyTypes"]).contains(&"Ingress".to_string()));
    // port → the `from` peers allowed.
    let mut allowed: BTreeMap<u64, Vec<&Value>> = BTreeMap::new();
    for rule in redis_policy["spec"]["ingress"].as_sequence().unwrap() {
        let from: Vec<&Value> = rule["from"]
            .as_sequence()
            .expect("every rule names its peers (no allow-all)")
            .iter()
            .collect();
        for p in rule["ports"]
            .as_sequence()
            .expect("every rule names its ports")
        {
            allowed
                .entry(p["port"].as_u64().unwrap())
                .or_default()
                .extend(&from);
        }
    }
    assert_eq!(allowed.keys().copied().collect::<Vec<_>>(), [6379, 16379]);
    // The bus: from Redis pods only.
    for peer in &allowed[&16379] {
        assert!(
            selects(&peer["podSelector"], redis_labels) && peer["namespaceSelector"].is_null(),
            "port 16379 open to {peer:?}"
        );
    }
    // 6379: Redis pods (replication) and a client label, which trib's pods carry.
    let client_peer = allowed[&6379]
        .iter()
        .find(|p| !selects(&p["podSelector"], redis_labels))
        .expect("a client selector on 6379");
    let client_labels = client_peer["podSelector"]["matchLabels"]
        .as_mapping()
        .unwrap();
    assert!(!client_labels.is_empty());
    assert!(!selects(&client_peer["podSelector"], &Value::Null));
    for k in ["Job", "Pod"] {
        let labels = pod_labels(&docs, k);
        assert!(
            selects(&client_peer["podSelector"], labels),
            "{k}'s pods lack the client label {client_labels:?}"
        );
    }
    // The ports are the ones Redis listens on.
    let ports: Vec<u64> = statefulset_container(&docs)["ports"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|p| p["containerPort"].as_u64().unwrap())
        .collect();
    assert_eq!(ports, [6379, 16379]);
    // trib's pods accept nothing.
    let trib_policy = policies
        .iter()
        .find(|p| selects(&p["spec"]["podSelector"], pod_labels(&docs, "Job")))
        .expect("a NetworkPolicy selecting trib's pods");
    assert!(strings(&trib_policy["spec"]["policyTypes"]).contains(&"Ingress".to_string()));
    assert!(
        trib_policy["spec"]["ingress"].is_null(),
        "no ingress to trib"
    );
}

#[test]
fn the_job_fails_at_once_on_bad_input() {
    let docs = documents();
    let job = one(&docs, "Job");
    let spec = &job["spec"];
    let pod = &spec["template"]["spec"];
    assert_eq!(str_of(&pod["restartPolicy"]), "Never");
    assert!(
        spec["backoffLimit"]
            .as_u64()
            .is_some_and(|n| (1..=6).contains(&n))
    );
    let container = str_of(&pod["containers"][0]["name"]);
    let rules = spec["podFailurePolicy"]["rules"].as_sequence().unwrap();
    let fail_on_2 = rules.iter().any(|r| {
        r["action"] == "FailJob"
            && r["onExitCodes"]["operator"] == "In"
            && r["onExitCodes"]["containerName"]
                .as_str()
                .is_none_or(|c| c == container)
            && r["onExitCodes"]["values"]
                .as_sequence()
                .is_some_and(|v| v.iter().any(|x| x.as_u64() == Some(2)))
    });
    assert!(
        fail_on_2,
        "podFailurePolicy fails the Job on exit code 2: {rules:?}"
    );
}

#[test]
fn the_admin_pod_gets_password_and_tls_files_from_secrets() {
    let docs = documents();
    let pod = one(&docs, "Pod");
    let spec = &pod["spec"];
    assert_eq!(str_of(&spec["restartPolicy"]), "Never");
    let c = &spec["containers"][0];
    // The TLS Secret, mounted where the documented flags point.
    let tls = spec["volumes"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|v| v["secret"].is_mapping())
        .expect("a Secret volume");
    let mount = c["volumeMounts"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|m| m["name"] == tls["name"])
        .expect("the Secret volume is mounted");
    assert_eq!(mount["readOnly"].as_bool(), Some(true));
    let dir = str_of(&mount["mountPath"]);
    let readme = std::fs::read_to_string(root().join("docs/kubernetes/README.md")).unwrap();
    for f in ["ca.crt", "tls.crt", "tls.key"] {
        assert!(
            readme.contains(&format!("{dir}/{f}")),
            "README uses {dir}/{f}"
        );
    }
    let secret = str_of(&tls["secret"]["secretName"]);
    assert!(
        readme.contains(secret),
        "README explains the Secret {secret}"
    );
    // Its command parses with this trib.
    let mut argv = strings(&c["command"]);
    argv.extend(strings(&c["args"]));
    assert_eq!(argv[0], "trib");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_trib"))
        .args(&argv[1..])
        .arg("--help")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{argv:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every checkov skip is an annotation `checkov.io/skipN: CKV_..=reason` with a real reason,
/// and the list stays short.
#[test]
fn checkov_skips_are_few_and_justified() {
    let docs = documents();
    let mut total = 0;
    let mut ids = std::collections::BTreeSet::new();
    for (file, v) in &docs {
        let Some(ann) = v["metadata"]["annotations"].as_mapping() else {
            continue;
        };
        for (k, val) in ann {
            let k = str_of(k);
            if !k.starts_with("checkov.io/skip") {
                continue;
            }
            total += 1;
            let (id, reason) = str_of(val)
                .split_once('=')
                .unwrap_or_else(|| panic!("{file}: {k}: no `ID=reason`"));
            assert!(
                id.starts_with("CKV_K8S_") || id.starts_with("CKV2_K8S_"),
                "{file}: {k}: {id}"
            );
            assert!(
                reason.split_whitespace().count() >= 8,
                "{file}: {id}: reason too short"
            );
            ids.insert(id.to_string());
        }
    }
    assert!(total <= 15, "{total} checkov skips");
    assert!(ids.len() <= 8, "skipped checks: {ids:?}");
    // The policy scan is in CI.
    let ci = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    assert!(
        ci.contains("scripts/policy-scan.sh"),
        ".ci/run runs the policy scan"
    );
}

// ---------------------------------------------------------------------------------------------
// The Redis container as the StatefulSet runs it: redis.conf from the ConfigMap, the start
// script, the probes, on a real redis-server (only the port, bind address and data directory
// are changed to fit a test machine).

const PASSWORD: &str = "s3cret-for-the-manifest-test";

struct ManifestRedis {
    child: std::process::Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for ManifestRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port free on 127.0.0.1 whose bus port (port + 10000, what redis.conf implies) is free too.
fn free_port_with_bus() -> u16 {
    use std::net::TcpListener;
    let seed = std::process::id() as u64
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos() as u64;
    for i in 0..2000u64 {
        let port = 30000 + ((seed.wrapping_mul(7919) + i * 131) % 20000) as u16;
        if let (Ok(_a), Ok(_b)) = (
            TcpListener::bind(("127.0.0.1", port)),
            TcpListener::bind(("127.0.0.1", port + 10000)),
        ) {
            return port;
        }
    }
    panic!("no free port pair");
}

/// `redis-cli` to the node, authenticated through REDISCLI_AUTH.
fn cli(port: u16, password: &str, args: &[&str]) -> String {
    let out = std::process::Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .args(args)
        .env("REDISCLI_AUTH", password)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !f() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting: {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Runs the Redis container's start script with `password` in REDISCLI_AUTH, as the kubelet
/// would (the Secret's value in the env).
fn start_script_command(
    docs: &[(String, Value)],
    dir: &Path,
    port: u16,
    password: &str,
) -> std::process::Command {
    let conf = str_of(&one(docs, "ConfigMap")["data"]["redis.conf"]);
    assert!(conf.contains("port 6379\n") && conf.contains("bind * -::*\n"));
    let conf = conf
        .replace("port 6379\n", &format!("port {port}\n"))
        .replace("bind * -::*\n", "bind 127.0.0.1\n")
        .replace("/data", &dir.display().to_string());
    let conf_path = dir.join("redis.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let script = start_script(statefulset_container(docs));
    assert!(script.contains("/conf/redis.conf"));
    let script = script.replace("/conf/redis.conf", &conf_path.display().to_string());
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg(script)
        .env("REDISCLI_AUTH", password)
        .env(
            "POD_FQDN",
            "redis-app-0.redis-service.redis.svc.cluster.local",
        )
        .current_dir(dir)
        .stdin(std::process::Stdio::null());
    cmd
}

fn start_from_manifest(docs: &[(String, Value)]) -> ManifestRedis {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port_with_bus();
    let log = std::fs::File::create(dir.path().join("stdout.log")).unwrap();
    let child = start_script_command(docs, dir.path(), port, PASSWORD)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut node = ManifestRedis {
        child,
        port,
        _dir: dir,
    };
    wait_for("redis-server from the manifest answers", || {
        if let Ok(Some(st)) = node.child.try_wait() {
            panic!(
                "redis-server exited ({st}): {}",
                std::fs::read_to_string(node._dir.path().join("stdout.log")).unwrap_or_default()
            );
        }
        cli(port, PASSWORD, &["PING"]) == "PONG"
    });
    node
}

/// `node` takes every slot: a one-master cluster.
fn own_every_slot(node: &ManifestRedis) {
    let all = ["CLUSTER", "ADDSLOTSRANGE", "0", "16383"];
    assert_eq!(cli(node.port, PASSWORD, &all), "OK");
}

/// `replica` meets `master` and replicates it (authenticating with masterauth, the Secret's
/// password as the start script sets it).
fn replicate(replica: &ManifestRedis, master: &ManifestRedis) {
    let id = cli(master.port, PASSWORD, &["CLUSTER", "MYID"]);
    let port = master.port.to_string();
    cli(
        replica.port,
        PASSWORD,
        &["CLUSTER", "MEET", "127.0.0.1", &port],
    );
    wait_for("the replica knows its master", || {
        cli(replica.port, PASSWORD, &["CLUSTER", "NODES"]).contains(&id)
    });
    assert_eq!(
        cli(replica.port, PASSWORD, &["CLUSTER", "REPLICATE", &id]),
        "OK"
    );
}

/// Runs a probe of the Redis container against the node on `port` (the probe's `-p 6379`
/// pointed there), with `password` in REDISCLI_AUTH as the container has it; true on exit 0
/// within the probe's timeoutSeconds.
fn probe(docs: &[(String, Value)], which: &str, port: u16, password: Option<&str>) -> bool {
    let p = &statefulset_container(docs)[which];
    let cmd = strings(&p["exec"]["command"]);
    assert_eq!(cmd[..2], ["sh", "-c"], "{which}");
    assert!(cmd[2].contains("-p 6379"), "{which}: {}", cmd[2]);
    let script = cmd[2].replace("-p 6379", &format!("-p {port}"));
    let mut c = std::process::Command::new("sh");
    c.arg("-c").arg(script).env_remove("REDISCLI_AUTH");
    if let Some(pw) = password {
        c.env("REDISCLI_AUTH", pw);
    }
    let mut child = c
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let timeout = std::time::Duration::from_secs(p["timeoutSeconds"].as_u64().unwrap_or(1));
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st.success();
        }
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn the_redis_container_starts_with_the_password_and_its_probes_authenticate() {
    let docs = documents();

    // The placeholder of secret.yaml (and an empty Secret) is refused before redis-server runs.
    let placeholder = str_of(&one(&docs, "Secret")["stringData"]["password"]);
    for pw in [placeholder, ""] {
        let dir = tempfile::tempdir().unwrap();
        let out = start_script_command(&docs, dir.path(), free_port_with_bus(), pw)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "password {pw:?}: {out:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("Secret redis-auth"),
            "{out:?}"
        );
    }

    let a = start_from_manifest(&docs);
    let b = start_from_manifest(&docs);
    // requirepass is the Secret's value.
    let noauth = std::process::Command::new("redis-cli")
        .args(["-p", &a.port.to_string(), "GET", "x"])
        .env_remove("REDISCLI_AUTH")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&noauth.stdout).contains("NOAUTH"),
        "{noauth:?}"
    );
    assert_eq!(
        cli(a.port, PASSWORD, &["CONFIG", "GET", "maxmemory-policy"]),
        "maxmemory-policy\nnoeviction"
    );

    // Liveness: an authenticated PING.
    assert!(probe(&docs, "livenessProbe", a.port, Some(PASSWORD)));
    assert!(!probe(&docs, "livenessProbe", a.port, Some("wrong")));
    assert!(!probe(&docs, "livenessProbe", a.port, None));

    // Readiness: not before the node is part of a cluster that is ok.
    assert!(!probe(&docs, "readinessProbe", a.port, Some(PASSWORD)));
    own_every_slot(&a);
    wait_for("A ready once its cluster is ok", || {
        probe(&docs, "readinessProbe", a.port, Some(PASSWORD))
    });
    assert!(!probe(&docs, "readinessProbe", a.port, Some("wrong")));

    // A replica: ready once its link to the master is up (masterauth from the Secret too).
    replicate(&b, &a);
    wait_for("B ready once synced", || {
        probe(&docs, "readinessProbe", b.port, Some(PASSWORD))
    });
    // The link breaks (B can no longer authenticate to its master) while the cluster stays
    // ok: B is no longer ready.
    cli(b.port, PASSWORD, &["CONFIG", "SET", "masterauth", "wrong"]);
    cli(b.port, PASSWORD, &["CLIENT", "KILL", "TYPE", "master"]);
    wait_for("B's link down", || {
        cli(b.port, PASSWORD, &["INFO", "replication"]).contains("master_link_status:down")
    });
    assert!(cli(b.port, PASSWORD, &["CLUSTER", "INFO"]).contains("cluster_state:ok"));
    assert!(!probe(&docs, "readinessProbe", b.port, Some(PASSWORD)));
    assert!(probe(&docs, "readinessProbe", a.port, Some(PASSWORD)));
}

/// The Redis container's volume mount at `path`'s directory and the init container that
/// fills it: (the init container's args, the directory it installs to).
fn tools_init(docs: &[(String, Value)], path: &str) -> (Vec<String>, String) {
    let spec = &one(docs, "StatefulSet")["spec"]["template"]["spec"];
    let dir = Path::new(path)
        .parent()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let mounted = |c: &Value| {
        c["volumeMounts"]
            .as_sequence()
            .into_iter()
            .flatten()
            .find(|m| str_of(&m["mountPath"]) == dir)
            .map(|m| str_of(&m["name"]).to_string())
    };
    let volume = mounted(statefulset_container(docs))
        .unwrap_or_else(|| panic!("the Redis container mounts nothing at {dir}"));
    let init = spec["initContainers"]
        .as_sequence()
        .into_iter()
        .flatten()
        .find(|c| mounted(c).as_deref() == Some(volume.as_str()))
        .unwrap_or_else(|| panic!("no init container fills volume {volume}"));
    assert!(
        str_of(&init["image"]).starts_with("trib:"),
        "the init container runs the trib image"
    );
    (strings(&init["args"]), dir)
}

fn role(port: u16) -> String {
    let info = cli(port, PASSWORD, &["INFO", "replication"]);
    info.lines()
        .find_map(|l| l.strip_prefix("role:"))
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// The preStop hook as the kubelet runs it in the Redis container (REDISCLI_AUTH from the
/// Secret; `/tools` the init container's volume, here `tools`), against the node on `port`.
fn pre_stop(docs: &[(String, Value)], tools: &Path, port: u16) -> std::process::Output {
    let hook = strings(&statefulset_container(docs)["lifecycle"]["preStop"]["exec"]["command"]);
    assert!(hook[0].ends_with("/trib"), "{hook:?}");
    assert!(hook.iter().any(|a| a == "127.0.0.1:6379"), "{hook:?}");
    let program = tools.join(Path::new(&hook[0]).file_name().unwrap());
    std::process::Command::new(program)
        .args(
            hook[1..]
                .iter()
                .map(|a| a.replace("127.0.0.1:6379", &format!("127.0.0.1:{port}"))),
        )
        .env("REDISCLI_AUTH", PASSWORD)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

/// Before Redis stops (rolling update, drain, scale-in), the preStop hook hands a master's
/// slots to its replica with trib, which the init container copied into a shared volume:
/// the master stops as a replica, every key is on the new master, and on a replica the
/// hook does nothing. Where no replica can take over, it fails and changes nothing.
#[test]
fn the_pre_stop_hook_hands_a_master_over_to_its_replica() {
    let docs = documents();
    let hook = strings(&statefulset_container(&docs)["lifecycle"]["preStop"]["exec"]["command"]);
    let (init_args, dir) = tools_init(&docs, &hook[0]);
    let spec = &one(&docs, "StatefulSet")["spec"]["template"]["spec"];
    let grace = spec["terminationGracePeriodSeconds"].as_u64().unwrap_or(30);
    let timeout = hook
        .iter()
        .position(|a| a == "--timeout")
        .map(|i| hook[i + 1].clone());
    assert!(
        timeout
            .as_deref()
            .and_then(|t| t.strip_suffix('s'))
            .and_then(|t| t.parse::<u64>().ok())
            .is_some_and(|t| t + 10 <= grace),
        "the hook's --timeout ({timeout:?}) leaves Redis 10 s of the {grace} s grace period"
    );

    // The init container: trib copies itself into the volume.
    let tools = tempfile::tempdir().unwrap();
    let args: Vec<String> = init_args
        .iter()
        .map(|a| a.replace(&dir, &tools.path().display().to_string()))
        .collect();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_trib"))
        .args(&args)
        .output()
        .unwrap();
    assert!(out.status.success(), "init container {args:?}: {out:?}");
    let version = std::process::Command::new(tools.path().join("trib"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&version.stdout).starts_with("trib "),
        "{version:?}"
    );

    // A master with every slot and keys, and its replica, both as the StatefulSet runs them.
    let a = start_from_manifest(&docs);
    let b = start_from_manifest(&docs);
    own_every_slot(&a);
    replicate(&b, &a);
    wait_for("A's cluster ok", || {
        cli(a.port, PASSWORD, &["CLUSTER", "INFO"]).contains("cluster_state:ok")
    });
    for i in 0..200 {
        cli(
            a.port,
            PASSWORD,
            &["SET", &format!("{{k}}{i}"), &format!("v{i}")],
        );
    }
    wait_for("B synced", || {
        probe(&docs, "readinessProbe", b.port, Some(PASSWORD))
    });

    // The replica's pod stops: nothing to do.
    let out = pre_stop(&docs, tools.path(), b.port);
    assert!(out.status.success(), "preStop on the replica: {out:?}");
    assert_eq!(
        (role(a.port), role(b.port)),
        ("master".into(), "slave".into())
    );

    // The master's pod stops: B takes over, A stops as its replica, with every key.
    let out = pre_stop(&docs, tools.path(), a.port);
    assert!(out.status.success(), "preStop on the master: {out:?}");
    assert_eq!(
        (role(a.port), role(b.port)),
        ("slave".into(), "master".into())
    );
    for i in 0..200 {
        assert_eq!(
            cli(b.port, PASSWORD, &["GET", &format!("{{k}}{i}")]),
            format!("v{i}")
        );
    }
    // A restarted hook (the kubelet runs it once; a retry by hand) changes nothing back.
    let out = pre_stop(&docs, tools.path(), a.port);
    assert!(out.status.success(), "preStop again: {out:?}");
    assert_eq!(
        (role(a.port), role(b.port)),
        ("slave".into(), "master".into())
    );

    // A node not in a cluster yet (deleted before the bootstrap Job ran): nothing to hand
    // over, exit 0 (no FailedPreStopHook event).
    let c = start_from_manifest(&docs);
    let out = pre_stop(&docs, tools.path(), c.port);
    assert!(
        out.status.success(),
        "preStop before the bootstrap: {out:?}"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("nothing to hand over"),
        "{out:?}"
    );

    // A master no replica can take over from: the hook fails, naming why; nothing changes.
    own_every_slot(&c);
    let out = pre_stop(&docs, tools.path(), c.port);
    assert!(!out.status.success(), "preStop without a replica: {out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("replica"),
        "{out:?}"
    );
    assert_eq!(role(c.port), "master");
}
