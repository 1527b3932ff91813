//! The global options that choose the Kubernetes configuration (`--domains
//! kubernetes-node|kubernetes-zone`), flattened into [`super::GlobalArgs`].

use std::ffi::OsString;
use std::time::Duration;

use clap::Args;

use super::parse_timeout;
use crate::k8s::KubeOptions;

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Kubernetes (--domains kubernetes-*)")]
pub struct KubeArgs {
    /// Kubeconfig file(s), `:`-separated [default: in a pod its service account, else ~/.kube/config]
    #[arg(
        long,
        env = "KUBECONFIG",
        global = true,
        value_name = "FILE",
        hide_env_values = true
    )]
    pub kubeconfig: Option<OsString>,
    /// Kubeconfig context to use instead of the current one
    #[arg(
        long,
        env = "TRIB_KUBE_CONTEXT",
        global = true,
        value_name = "NAME",
        hide_env_values = true
    )]
    pub context: Option<String>,
    /// Namespace searched first for the Redis pods [default: the context's, or the pod's own]
    #[arg(
        long,
        env = "TRIB_KUBE_NAMESPACE",
        global = true,
        value_name = "NS",
        hide_env_values = true
    )]
    pub namespace: Option<String>,
    /// Deadline for a kubeconfig exec credential plugin (kubelogin, aws, gke-gcloud-auth-plugin)
    #[arg(
        long,
        env = "TRIB_KUBE_EXEC_TIMEOUT",
        global = true,
        value_name = "DUR",
        default_value = "30s",
        value_parser = parse_timeout,
        hide_env_values = true
    )]
    pub kube_exec_timeout: Duration,
}

impl KubeArgs {
    pub fn options(&self) -> KubeOptions {
        KubeOptions {
            kubeconfig: self.kubeconfig.clone().filter(|k| !k.is_empty()),
            context: self.context.clone().filter(|c| !c.is_empty()),
            namespace: self.namespace.clone().filter(|n| !n.is_empty()),
            exec_timeout: self.kube_exec_timeout,
            ..KubeOptions::default()
        }
    }
}
