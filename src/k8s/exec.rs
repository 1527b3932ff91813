//! Exec credential plugins (`users[].user.exec` in a kubeconfig, the
//! `client.authentication.k8s.io` ExecCredential protocol): EKS `aws eks get-token`, GKE
//! `gke-gcloud-auth-plugin`, AKS `kubelogin`.
//!
//! The plugin runs on tokio with a deadline (`--kube-exec-timeout`, default 30 s): a plugin
//! that waits for a person (a device-code login) can never hang trib. Without a terminal its
//! standard error is passed on line by line as it arrives (so a "go to this URL and enter
//! this code" message is seen while the plugin waits) and its standard input is empty; with
//! a terminal and `interactiveMode` other than `Never`, the plugin gets trib's own standard
//! input and error, as kubectl does. `interactiveMode: Always` without a terminal fails at
//! once. `provideClusterInfo` passes the cluster (server, CA, ...) in `KUBERNETES_EXEC_INFO`.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

use super::config::Auth;

/// Plugin output larger than this is refused (an ExecCredential is a few KiB).
const MAX_OUTPUT: u64 = 1 << 20;
/// Standard-error lines kept for the error message when the plugin fails.
const KEPT_LINES: usize = 3;

/// `interactiveMode` of the exec config.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InteractiveMode {
    /// Never gets a terminal, even when there is one.
    Never,
    /// Gets the terminal when there is one (the default for v1beta1).
    #[default]
    IfAvailable,
    /// Needs a terminal: without one, trib fails at once instead of running it.
    Always,
}

impl InteractiveMode {
    pub fn parse(s: &str) -> Result<InteractiveMode, String> {
        match s {
            "Never" => Ok(InteractiveMode::Never),
            "IfAvailable" => Ok(InteractiveMode::IfAvailable),
            "Always" => Ok(InteractiveMode::Always),
            other => Err(format!(
                "interactiveMode {other:?}: expected Never, IfAvailable or Always"
            )),
        }
    }
}

/// An exec plugin as the kubeconfig describes it, with what it is told about the cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecPlugin {
    pub command: String,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// `client.authentication.k8s.io/v1` or `/v1beta1`.
    pub api_version: String,
    pub interactive_mode: InteractiveMode,
    pub install_hint: Option<String>,
    /// `spec.cluster` of KUBERNETES_EXEC_INFO (`provideClusterInfo: true`), else `None`.
    pub cluster_info: Option<Value>,
}

/// How to run a plugin: the deadline, whether standard input is a terminal, and where its
/// standard-error lines go (trib's standard error).
#[derive(Clone, Copy, Debug)]
pub struct ExecRun {
    pub timeout: Duration,
    pub terminal: bool,
    pub on_stderr: fn(&str),
}

/// Why a plugin gave no credential. Each names the plugin.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ExecError {
    #[error(
        "exec credential plugin {plugin} has interactiveMode Always but standard input is not a terminal: run trib from a terminal, or log in first so the plugin needs no prompt"
    )]
    NeedsTerminal { plugin: String },
    #[error("exec credential plugin {plugin} could not be started: {reason}{hint}")]
    Spawn {
        plugin: String,
        reason: String,
        hint: String,
    },
    #[error(
        "exec credential plugin {plugin} gave no credential within {after:?} (--kube-exec-timeout) and was stopped{last}"
    )]
    Timeout {
        plugin: String,
        after: Duration,
        last: String,
    },
    #[error("exec credential plugin {plugin} failed ({status}){last}")]
    Failed {
        plugin: String,
        status: String,
        last: String,
    },
    #[error("exec credential plugin {plugin}: {reason}")]
    BadOutput { plugin: String, reason: String },
}

/// The KUBERNETES_EXEC_INFO document for this run.
pub fn exec_info(plugin: &ExecPlugin, interactive: bool) -> Value {
    let mut spec = json!({ "interactive": interactive });
    if let Some(cluster) = &plugin.cluster_info {
        spec["cluster"] = cluster.clone();
    }
    json!({
        "apiVersion": plugin.api_version,
        "kind": "ExecCredential",
        "spec": spec,
    })
}

/// Runs the plugin and reads the token or client certificate from its ExecCredential.
pub async fn run(plugin: &ExecPlugin, how: ExecRun) -> Result<Auth, ExecError> {
    let name = plugin.command.clone();
    let interactive = match plugin.interactive_mode {
        InteractiveMode::Never => false,
        InteractiveMode::IfAvailable => how.terminal,
        InteractiveMode::Always if how.terminal => true,
        InteractiveMode::Always => return Err(ExecError::NeedsTerminal { plugin: name }),
    };
    let mut cmd = tokio::process::Command::new(&plugin.command);
    cmd.args(&plugin.args)
        .env(
            "KUBERNETES_EXEC_INFO",
            exec_info(plugin, interactive).to_string(),
        )
        .envs(plugin.env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .kill_on_drop(true);
    if interactive {
        cmd.stdin(Stdio::inherit()).stderr(Stdio::inherit());
    } else {
        // Its own process group, so that a timeout stops what it started too.
        cmd.stdin(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0);
    }
    let mut child = cmd.spawn().map_err(|e| ExecError::Spawn {
        plugin: name.clone(),
        reason: e.to_string(),
        hint: plugin
            .install_hint
            .as_deref()
            .map(|h| format!("; {}", h.trim()))
            .unwrap_or_default(),
    })?;
    let kept: Arc<Mutex<Vec<String>>> = Arc::default();
    let stderr_task = child.stderr.take().map(|err| {
        let kept = kept.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(err).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                (how.on_stderr)(&line);
                if let Ok(mut k) = kept.lock() {
                    if k.len() == KEPT_LINES {
                        k.remove(0);
                    }
                    k.push(line);
                }
            }
        })
    });
    let stdout = child.stdout.take();
    let work = async {
        let mut out = Vec::new();
        if let Some(s) = stdout {
            s.take(MAX_OUTPUT + 1).read_to_end(&mut out).await?;
        }
        let status = child.wait().await?;
        Ok::<_, std::io::Error>((status, out))
    };
    let result = tokio::time::timeout(how.timeout, work).await;
    let last = || {
        let k = kept.lock().map(|k| k.join(" / ")).unwrap_or_default();
        if k.trim().is_empty() {
            String::new()
        } else {
            format!("; it said: {}", k.trim())
        }
    };
    let (status, out) = match result {
        Err(_) => {
            stop(&mut child, !interactive);
            if let Some(t) = stderr_task {
                t.abort();
            }
            return Err(ExecError::Timeout {
                plugin: name,
                after: how.timeout,
                last: last(),
            });
        }
        Ok(Err(e)) => {
            stop(&mut child, !interactive);
            return Err(ExecError::Failed {
                plugin: name,
                status: e.to_string(),
                last: last(),
            });
        }
        Ok(Ok(r)) => r,
    };
    // The plugin has exited: the rest of its standard error is at hand (a grandchild it
    // left running may hold the pipe; do not wait for that).
    if let Some(t) = stderr_task {
        let _ = tokio::time::timeout(Duration::from_millis(200), t).await;
    }
    if !status.success() {
        return Err(ExecError::Failed {
            plugin: name,
            status: status.to_string(),
            last: last(),
        });
    }
    if out.len() as u64 > MAX_OUTPUT {
        return Err(ExecError::BadOutput {
            plugin: name,
            reason: "its output is larger than 1 MiB".into(),
        });
    }
    credential(plugin, &out).map_err(|reason| ExecError::BadOutput {
        plugin: name,
        reason,
    })
}

/// Kills the plugin and, when it has its own process group, everything it started.
fn stop(child: &mut tokio::process::Child, own_group: bool) {
    if own_group && let Some(pid) = child.id().and_then(|p| i32::try_from(p).ok()) {
        // SAFETY: kill(2) with a negative pid signals the process group the plugin leads
        // (made with process_group(0) above); it touches no memory.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.start_kill();
}

/// The credential in an ExecCredential document.
fn credential(plugin: &ExecPlugin, out: &[u8]) -> Result<Auth, String> {
    let v: Value = serde_json::from_slice(out)
        .map_err(|e| format!("its output is not an ExecCredential (JSON): {e}"))?;
    if let Some(kind) = v["kind"].as_str()
        && kind != "ExecCredential"
    {
        return Err(format!("its output is a {kind}, not an ExecCredential"));
    }
    if let Some(version) = v["apiVersion"].as_str()
        && version != plugin.api_version
    {
        return Err(format!(
            "it answered with apiVersion {version}, the kubeconfig asks for {}",
            plugin.api_version
        ));
    }
    let status = &v["status"];
    if let Some(t) = status["token"].as_str().filter(|t| !t.is_empty()) {
        return Ok(Auth::Token(t.to_string()));
    }
    if let (Some(c), Some(k)) = (
        status["clientCertificateData"].as_str(),
        status["clientKeyData"].as_str(),
    ) {
        return Ok(Auth::ClientCert {
            cert_pem: c.as_bytes().to_vec(),
            key_pem: k.as_bytes().to_vec(),
        });
    }
    Err("its ExecCredential has neither status.token nor a client certificate".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn plugin(script: &str, mode: InteractiveMode) -> ExecPlugin {
        ExecPlugin {
            command: "sh".into(),
            args: vec!["-c".into(), script.into()],
            env: vec![("TOK".into(), "from-plugin".into())],
            api_version: "client.authentication.k8s.io/v1".into(),
            interactive_mode: mode,
            install_hint: None,
            cluster_info: None,
        }
    }

    fn quiet(_: &str) {}

    fn how(timeout_ms: u64, terminal: bool) -> ExecRun {
        ExecRun {
            timeout: Duration::from_millis(timeout_ms),
            terminal,
            on_stderr: quiet,
        }
    }

    #[tokio::test]
    async fn token_and_exec_info() {
        let mut p = plugin(
            r#"case "$KUBERNETES_EXEC_INFO" in *'"interactive":false'*'"server":"https://k:6443"'*) ;; *'"server":"https://k:6443"'*'"interactive":false'*) ;; *) echo "bad info: $KUBERNETES_EXEC_INFO" >&2; exit 1 ;; esac
echo "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"$TOK\"}}""#,
            InteractiveMode::IfAvailable,
        );
        p.cluster_info = Some(json!({"server": "https://k:6443"}));
        let auth = run(&p, how(10_000, false)).await.unwrap();
        assert_eq!(auth, Auth::Token("from-plugin".into()));
    }

    #[tokio::test]
    async fn a_plugin_that_never_finishes_is_stopped_at_the_deadline() {
        let p = plugin(
            "echo 'To sign in, open https://login.example/device and enter CODE-1234' >&2; sleep 600",
            InteractiveMode::IfAvailable,
        );
        let started = Instant::now();
        let e = run(&p, how(300, false)).await.unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        let text = e.to_string();
        assert!(matches!(e, ExecError::Timeout { .. }), "{text}");
        assert!(text.contains("exec credential plugin sh"), "{text}");
        assert!(text.contains("enter CODE-1234"), "{text}");
    }

    #[tokio::test]
    async fn always_without_a_terminal_fails_without_running_it() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("ran");
        let p = plugin(
            &format!("touch {}", marker.display()),
            InteractiveMode::Always,
        );
        let e = run(&p, how(10_000, false)).await.unwrap_err();
        assert_eq!(
            e,
            ExecError::NeedsTerminal {
                plugin: "sh".into()
            }
        );
        assert!(!marker.exists(), "the plugin must not run");
    }

    #[tokio::test]
    async fn failures_name_the_plugin_and_what_it_said() {
        let p = plugin(
            "echo 'token expired, run aws sso login' >&2; exit 3",
            InteractiveMode::Never,
        );
        let e = run(&p, how(10_000, false)).await.unwrap_err().to_string();
        assert!(e.contains("plugin sh failed (exit status: 3)"), "{e}");
        assert!(e.contains("run aws sso login"), "{e}");

        let p = plugin("echo not-json", InteractiveMode::Never);
        let e = run(&p, how(10_000, false)).await.unwrap_err().to_string();
        assert!(e.contains("not an ExecCredential"), "{e}");

        let p = plugin(
            r#"echo '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"t"}}'"#,
            InteractiveMode::Never,
        );
        let e = run(&p, how(10_000, false)).await.unwrap_err().to_string();
        assert!(
            e.contains("apiVersion client.authentication.k8s.io/v1beta1"),
            "{e}"
        );

        let mut p = plugin("", InteractiveMode::Never);
        p.command = "/nonexistent/kubelogin".into();
        p.install_hint = Some("install kubelogin: https://example/kubelogin\n".into());
        let e = run(&p, how(10_000, false)).await.unwrap_err().to_string();
        assert!(
            e.starts_with("exec credential plugin /nonexistent/kubelogin could not be started"),
            "{e}"
        );
        assert!(
            e.ends_with("; install kubelogin: https://example/kubelogin"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn client_certificate() {
        let p = plugin(
            r#"echo '{"kind":"ExecCredential","status":{"clientCertificateData":"CERT","clientKeyData":"KEY"}}'"#,
            InteractiveMode::Never,
        );
        assert_eq!(
            run(&p, how(10_000, false)).await.unwrap(),
            Auth::ClientCert {
                cert_pem: b"CERT".to_vec(),
                key_pem: b"KEY".to_vec()
            }
        );
    }

    #[test]
    fn interactive_modes() {
        assert_eq!(InteractiveMode::parse("Never"), Ok(InteractiveMode::Never));
        assert_eq!(
            InteractiveMode::parse("Always"),
            Ok(InteractiveMode::Always)
        );
        assert!(InteractiveMode::parse("always").is_err());
        let p = plugin("", InteractiveMode::Never);
        assert_eq!(exec_info(&p, false)["spec"], json!({"interactive": false}));
    }
}
