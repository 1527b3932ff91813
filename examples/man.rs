//! Prints trib's man page, generated from the clap definition with clap_mangen.
//!
//! `scripts/gen-completions.sh` runs it to refresh `docs/trib.1`; `tests/man.rs` includes
//! this file and fails when the checked-in page is out of date.
//!
//! One page: the global options, then one subsection per subcommand with its synopsis,
//! description and own options (the global options are not repeated there), then exit
//! status, environment and examples.

use clap::CommandFactory;
use clap_mangen::Man;

/// The whole page as roff.
pub fn render() -> std::io::Result<Vec<u8>> {
    let mut cmd = trib::cli::Cli::command();
    cmd.build();
    let man = Man::new(cmd.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    out.extend_from_slice(DESCRIPTION.as_bytes());
    // The top-level arguments are the global options.
    let mut globals = Vec::new();
    man.render_options_section(&mut globals)?;
    out.extend(replace_first_heading(&globals, ".SH \"GLOBAL OPTIONS\""));

    out.extend_from_slice(b".SH COMMANDS\n");
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        // Propagated global options (and -h, -V) are documented once, above.
        let sub = sub
            .clone()
            .mut_args(|a| {
                let common = a.is_global_set() || a.get_id() == "help" || a.get_id() == "version";
                a.hide(common)
            })
            .bin_name(format!("trib {}", sub.get_name()));
        let has_args = sub.get_arguments().any(|a| !a.is_hide_set());
        let sub_man = Man::new(sub.clone());
        out.extend_from_slice(format!(".SS \"trib {}\"\n", sub.get_name()).as_bytes());
        let mut synopsis = Vec::new();
        sub_man.render_synopsis_section(&mut synopsis)?;
        out.extend(replace_first_heading(&synopsis, ".PP"));
        let mut description = Vec::new();
        sub_man.render_description_section(&mut description)?;
        out.extend(replace_first_heading(&description, ".PP"));
        if has_args {
            let mut options = Vec::new();
            sub_man.render_options_section(&mut options)?;
            out.extend(replace_first_heading(&options, ".PP\nOptions:"));
        }
    }
    out.extend_from_slice(TRAILER.as_bytes());
    man.render_version_section(&mut out)?;
    Ok(once_preamble(&out))
}

/// Each clap_mangen render call starts with the same two-line string definition; keep
/// the first.
fn once_preamble(text: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(text);
    let mut seen = std::collections::BTreeSet::new();
    let mut out = String::new();
    for line in text.lines() {
        let preamble = line.starts_with(".ie \\n(.g .ds Aq") || line.starts_with(".el .ds Aq");
        if preamble && !seen.insert(line.to_string()) {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.into_bytes()
}

/// `text` with its first `.SH ...` line replaced by `with`.
fn replace_first_heading(text: &[u8], with: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(text);
    let mut out = String::new();
    let mut replaced = false;
    for line in text.lines() {
        if !replaced && line.starts_with(".SH ") {
            out.push_str(with);
            replaced = true;
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out.into_bytes()
}

const DESCRIPTION: &str = r#".PP
Every command that changes a cluster first prints its plan, then asks for confirmation on
a terminal. Without a terminal and without \fB\-\-yes\fR it refuses (exit 3) instead of
hanging. \fB\-\-dry\-run\fR prints the plan and changes nothing.
.PP
A \fINODE\fR is \fIip:port\fR, \fI[ipv6]:port\fR, an IP (port 6379), a DNS name resolved by
trib itself (resolv.conf search domains and ndots apply), a numeric range such as
\fIredis\-app\-{0..5}.redis\-service:6379\fR, a headless Service name (one node per
address), an SRV name (leading \fI_\fR), each optionally followed by \fI=DOMAIN\fR, the
node's failure domain. Where an existing cluster is meant (\fIENTRY\fR), several may be
given: the first that answers is used.
"#;

const TRAILER: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
done; for \fBcheck\fR, the cluster is healthy
.TP
\fB1\fR
the operation failed, or \fBcheck\fR found problems
.TP
\fB2\fR
bad usage or bad input (address, unreachable node, wrong password, node not empty); nothing was changed
.TP
\fB3\fR
aborted: declined (or Ctrl\-C) at the prompt, or no terminal and no \fB\-\-yes\fR
.TP
\fB130\fR, \fB143\fR
stopped by SIGINT or SIGTERM once work started; temporary changes were undone and running the same command again completes it
.SH ENVIRONMENT
.TP
\fBREDISCLI_AUTH\fR
password, as \fB\-\-password\fR
.TP
\fBTRIB_USER\fR
ACL user, as \fB\-\-user\fR
.TP
\fBTRIB_YES\fR
\fB1\fR skips every confirmation, as \fB\-\-yes\fR
.TP
\fBTRIB_DNS_SERVER\fR
DNS server, as \fB\-\-dns\-server\fR
.TP
\fBNO_COLOR\fR
no colour on stderr
.SH EXAMPLES
.nf
trib create 'redis\-app\-{0..5}.redis\-service:6379' \-\-replicas 1
trib check redis\-service:6379
trib \-\-json info redis\-app\-0.redis\-service
trib failover \-\-domain worker\-3 redis\-service:6379
trib fix 'redis\-app\-{0..5}.redis\-service:6379' \-\-yes
.fi
.SH "SEE ALSO"
\fBredis\-cli\fR(1); docs/json.md (the \fB\-\-json\fR output), docs/runbook.md (incidents)
"#;

fn main() -> std::io::Result<()> {
    let page = render()?;
    std::io::Write::write_all(&mut std::io::stdout(), &page)
}
