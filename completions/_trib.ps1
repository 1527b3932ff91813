
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'trib' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'trib'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'trib' {
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA bundle (PEM) to verify the nodes'' certificates')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Client private key (PEM)')
            [CompletionResult]::new('--sni', '--sni', [CompletionResultType]::ParameterName, 'TLS server name to send and verify')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Deadline for each connection')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'Deadline for each command (MIGRATE and waits have their own)')
            [CompletionResult]::new('--dns-server', '--dns-server', [CompletionResultType]::ParameterName, 'DNS server to use instead of resolv.conf''s nameservers')
            [CompletionResult]::new('--dns-search', '--dns-search', [CompletionResultType]::ParameterName, 'Extra DNS search domain (repeatable)')
            [CompletionResult]::new('--domains', '--domains', [CompletionResultType]::ParameterName, 'Where failure domains come from')
            [CompletionResult]::new('--askpass', '--askpass', [CompletionResultType]::ParameterName, 'Read the password from the terminal')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Use TLS to every node')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the nodes'' certificates')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON document on stdout; human output goes to stderr')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Skip the confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Skip the confirmation prompt')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Compute and print the plan, change nothing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More output on stderr (repeatable)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More output on stderr (repeatable)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a cluster: plan slots and anti-affine placement, confirm, apply, verify')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check a cluster''s health (exit 1 on problems)')
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'Show masters, replicas, slots, keys, memory and resilience')
            [CompletionResult]::new('fix', 'fix', [CompletionResultType]::ParameterValue, 'Repair open slots, uncovered slots and moved nodes')
            [CompletionResult]::new('reshard', 'reshard', [CompletionResultType]::ParameterValue, 'Move slots and their keys between masters')
            [CompletionResult]::new('rebalance', 'rebalance', [CompletionResultType]::ParameterValue, 'Move slots so each master''s share matches its weight')
            [CompletionResult]::new('add-node', 'add-node', [CompletionResultType]::ParameterValue, 'Add an empty node as master or replica')
            [CompletionResult]::new('replicate', 'replicate', [CompletionResultType]::ParameterValue, 'Attach a node as replica of a master')
            [CompletionResult]::new('del-node', 'del-node', [CompletionResultType]::ParameterValue, 'Remove a node from the cluster')
            [CompletionResult]::new('failover', 'failover', [CompletionResultType]::ParameterValue, 'Promote a replica (or a master''s best replica)')
            [CompletionResult]::new('call', 'call', [CompletionResultType]::ParameterValue, 'Run a command on every node')
            [CompletionResult]::new('set-timeout', 'set-timeout', [CompletionResultType]::ParameterValue, 'Set cluster-node-timeout everywhere and persist it')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Move or copy every key of a standalone Redis into the cluster')
            [CompletionResult]::new('backup', 'backup', [CompletionResultType]::ParameterValue, 'Write an RDB per master and the cluster layout')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'trib;create' {
            [CompletionResult]::new('--replicas', '--replicas', [CompletionResultType]::ParameterName, 'Replicas per master')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait up to DUR for names to resolve and nodes to answer (pods still starting)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Deadline for the cluster to converge after the changes')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA bundle (PEM) to verify the nodes'' certificates')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Client private key (PEM)')
            [CompletionResult]::new('--sni', '--sni', [CompletionResultType]::ParameterName, 'TLS server name to send and verify')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Deadline for each connection')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'Deadline for each command (MIGRATE and waits have their own)')
            [CompletionResult]::new('--dns-server', '--dns-server', [CompletionResultType]::ParameterName, 'DNS server to use instead of resolv.conf''s nameservers')
            [CompletionResult]::new('--dns-search', '--dns-search', [CompletionResultType]::ParameterName, 'Extra DNS search domain (repeatable)')
            [CompletionResult]::new('--domains', '--domains', [CompletionResultType]::ParameterName, 'Where failure domains come from')
            [CompletionResult]::new('--askpass', '--askpass', [CompletionResultType]::ParameterName, 'Read the password from the terminal')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Use TLS to every node')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the nodes'' certificates')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON document on stdout; human output goes to stderr')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Skip the confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Skip the confirmation prompt')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Compute and print the plan, change nothing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More output on stderr (repeatable)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More output on stderr (repeatable)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'trib;check' {
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA bundle (PEM) to verify the nodes'' certificates')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Client private key (PEM)')
            [CompletionResult]::new('--sni', '--sni', [CompletionResultType]::ParameterName, 'TLS server name to send and verify')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Deadline for each connection')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'Deadline for each command (MIGRATE and waits have their own)')
            [CompletionResult]::new('--dns-server', '--dns-server', [CompletionResultType]::ParameterName, 'DNS server to use instead of resolv.conf''s nameservers')
            [CompletionResult]::new('--dns-search', '--dns-search', [CompletionResultType]::ParameterName, 'Extra DNS search domain (repeatable)')
            [CompletionResult]::new('--domains', '--domains', [CompletionResultType]::ParameterName, 'Where failure domains come from')
            [CompletionResult]::new('--deep', '--deep', [CompletionResultType]::ParameterName, 'Also look for keys in slots their master does not own (one COUNTKEYSINSLOT per slot)')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Exit 1 on warnings too')
            [CompletionResult]::new('--askpass', '--askpass', [CompletionResultType]::ParameterName, 'Read the password from the terminal')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Use TLS to every node')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the nodes'' certificates')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON document on stdout; human output goes to stderr')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Skip the confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Skip the confirmation prompt')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Compute and print the plan, change nothing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More output on stderr (repeatable)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More output on stderr (repeatable)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'trib;info' {
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA bundle (PEM) to verify the nodes'' certificates')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Client private key (PEM)')
            [CompletionResult]::new('--sni', '--sni', [CompletionResultType]::ParameterName, 'TLS server name to send and verify')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Deadline for each connection')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'Deadline for each command (MIGRATE and waits have their own)')
            [CompletionResult]::new('--dns-server', '--dns-server', [CompletionResultType]::ParameterName, 'DNS server to use instead of resolv.conf''s nameservers')
            [CompletionResult]::new('--dns-search', '--dns-search', [CompletionResultType]::ParameterName, 'Extra DNS search domain (repeatable)')
            [CompletionResult]::new('--domains', '--domains', [CompletionResultType]::ParameterName, 'Where failure domains come from')
            [CompletionResult]::new('--askpass', '--askpass', [CompletionResultType]::ParameterName, 'Read the password from the terminal')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Use TLS to every node')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the nodes'' certificates')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON document on stdout; human output goes to stderr')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Skip the confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Skip the confirmation prompt')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Compute and print the plan, change nothing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More output on stderr (repeatable)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More output on stderr (repeatable)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'trib;fix' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Deadline for the cluster to settle after the changes')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA bundle (PEM) to verify the nodes'' certificates')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Client private key (PEM)')
            [CompletionResult]::new('--sni', '--sni', [CompletionResultType]::ParameterName, 'TLS server name to send and verify')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Deadline for each connection')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'Deadline for each command (MIGRATE and waits have their own)')
            [CompletionResult]::new('--dns-server', '--dns-server', [CompletionResultType]::ParameterName, 'DNS server to use instead of resolv.conf''s nameservers')
            [CompletionResult]::new('--dns-search', '--dns-search', [CompletionResultType]::ParameterName, 'Extra DNS search domain (repeatable)')
            [CompletionResult]::new('--domains', '--domains', [CompletionResultType]::ParameterName, 'Where failure domains come from')
            [CompletionResult]::new('--deep', '--deep', [CompletionResultType]::ParameterName, 'Also look for keys in slots their node does not own')
            [CompletionResult]::new('--with-unreachable-masters', '--with-unreachable-masters', [CompletionResultType]::ParameterName, 'Repair even while a master is unreachable')
            [CompletionResult]::new('--askpass', '--askpass', [CompletionResultType]::ParameterName, 'Read the password from the terminal')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Use TLS to every node')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the nodes'' certificates')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON document on stdout; human output goes to stderr')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Skip the confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Skip the confirmation prompt')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Compute and print the plan, change nothing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More output on stderr (repeatable)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More output on stderr (repeatable)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'trib;reshard' {
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Source masters (IDs, ID prefixes, addresses) or `all`')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Destination master')
            [CompletionResult]::new('--slots', '--slots', [CompletionResultType]::ParameterName, 'Number of slots to move')
            [CompletionResult]::new('--range', '--range', [CompletionResultType]::ParameterName, 'Slot ranges to move, A-B[,C-D...]')
            [CompletionResult]::new('--pipeline', '--pipeline', [CompletionResultType]::ParameterName, 'Keys per MIGRATE batch (adaptive when omitted)')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA bundle (PEM) to verify the nodes'' certificates')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Client private key (PEM)')
            [CompletionResult]::new('--sni', '--sni', [CompletionResultType]::ParameterName, 'TLS server name to send and verify')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Deadline for each connection')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'Deadline for each command (MIGRATE and waits have their own)')
            [CompletionResult]::new('--dns-server', '--dns-server', [CompletionResultType]::ParameterName, 'DNS server to use instead of resolv.conf''s nameservers')
            [CompletionResult]::new('--dns-search', '--dns-search', [CompletionResultType]::ParameterName, 'Extra DNS search domain (repeatable)')
            [CompletionResult]::new('--domains', '--domains', [CompletionResultType]::ParameterName, 'Where failure domains come from')
            [CompletionResult]::new('--replace', '--replace', [CompletionResultType]::ParameterName, 'Overwrite keys that already exist on the target')
            [CompletionResult]::new('--askpass', '--askpass', [CompletionResultType]::ParameterName, 'Read the password from the terminal')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Use TLS to every node')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the nodes'' certificates')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON document on stdout; human output goes to stderr')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Skip the confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Skip the confirmation prompt')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Compute and print the plan, change nothing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More output on stderr (repeatable)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More output on stderr (repeatable)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'trib;rebalance' {
            [CompletionResult]::new('--weight', '--weight', [CompletionResultType]::ParameterName, 'NODE=W (repeatable); weight 0 drains a master')
            [CompletionResult]::new('--threshold', '--threshold', [CompletionResultType]::ParameterName, 'Only rebalance when a master is off by more than PCT percent')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA bundle (PEM) to verify the nodes'' certificates')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Client private key (PEM)')
            [CompletionResult]::new('--sni', '--sni', [CompletionResultType]::ParameterName, 'TLS server name to send and verify')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Deadline for each connection')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'Deadline for each command (MIGRATE and waits have their own)')
            [CompletionResult]::new('--dns-server', '--dns-server', [CompletionResultType]::ParameterName, 'DNS server to use instead of resolv.conf''s nameservers')
            [CompletionResult]::new('--dns-search', '--dns-search', [CompletionResultType]::ParameterName, 'Extra DNS search domain (repeatable)')
            [CompletionResult]::new('--domains', '--domains', [CompletionResultType]::ParameterName, 'Where failure domains come from')
            [CompletionResult]::new('--use-empty-masters', '--use-empty-masters', [CompletionResultType]::ParameterName, 'Give slots to masters that have none')
            [CompletionResult]::new('--askpass', '--askpass', [CompletionResultType]::ParameterName, 'Read the password from the terminal')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Use TLS to every node')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the nodes'' certificates')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON document on stdout; human output goes to stderr')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Skip the confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Skip the confirmation prompt')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Compute and print the plan, change nothing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More output on stderr (repeatable)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More output on stderr (repeatable)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'trib;add-node' {
            [CompletionResult]::new('--replica-of', '--replica-of', [CompletionResultType]::ParameterName, 'Add as replica of this master')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA bundle (PEM) to verify the nodes'' certificates')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Client private key (PEM)')
            [CompletionResult]::new('--sni', '--sni', [CompletionResultType]::ParameterName, 'TLS server name to send and verify')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Deadline for each connection')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'Deadline for each command (MIGRATE and waits have their own)')
            [CompletionResult]::new('--dns-server', '--dns-server', [CompletionResultType]::ParameterName, 'DNS server to use instead of resolv.conf''s nameservers')
            [CompletionResult]::new('--dns-search', '--dns-search', [CompletionResultType]::ParameterName, 'Extra DNS search domain (repeatable)')
            [CompletionResult]::new('--domains', '--domains', [CompletionResultType]::ParameterName, 'Where failure domains come from')
            [CompletionResult]::new('--replica', '--replica', [CompletionResultType]::ParameterName, 'Add as replica of the master with fewest replicas')
            [CompletionResult]::new('--askpass', '--askpass', [CompletionResultType]::ParameterName, 'Read the password from the terminal')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Use TLS to every node')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the nodes'' certificates')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON document on stdout; human output goes to stderr')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Skip the confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Skip the confirmation prompt')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Compute and print the plan, change nothing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More output on stderr (repeatable)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More output on stderr (repeatable)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'trib;replicate' {
            [CompletionResult]::new('--master', '--master', [CompletionResultType]::ParameterName, 'master')
            [CompletionResult]::new('--replica', '--replica', [CompletionResultType]::ParameterName, 'replica')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA bundle (PEM) to verify the nodes'' certificates')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Client private key (PEM)')
            [CompletionResult]::new('--sni', '--sni', [CompletionResultType]::ParameterName, 'TLS server name to send and verify')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Deadline for each connection')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'Deadline for each command (MIGRATE and waits have their own)')
            [CompletionResult]::new('--dns-server', '--dns-server', [CompletionResultType]::ParameterName, 'DNS server to use instead of resolv.conf''s nameservers')
            [CompletionResult]::new('--dns-search', '--dns-search', [CompletionResultType]::ParameterName, 'Extra DNS search domain (repeatable)')
            [CompletionResult]::new('--domains', '--domains', [CompletionResultType]::ParameterName, 'Where failure domains come from')
            [CompletionResult]::new('--askpass', '--askpass', [CompletionResultType]::ParameterName, 'Read the password from the terminal')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Use TLS to every node')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the nodes'' certificates')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON document on stdout; human output goes to stderr')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Skip the confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Skip the confirmation prompt')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Compute and print the plan, change nothing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More output on stderr (repeatable)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More output on stderr (repeatable)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'trib;del-node' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Deadline for each wait (replica sync, every member forgetting the node)')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA bundle (PEM) to verify the nodes'' certificates')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Client private key (PEM)')
            [CompletionResult]::new('--sni', '--sni', [CompletionResultType]::ParameterName, 'TLS server name to send and verify')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Deadline for each connection')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'Deadline for each command (MIGRATE and waits have their own)')
            [CompletionResult]::new('--dns-server', '--dns-server', [CompletionResultType]::ParameterName, 'DNS server to use instead of resolv.conf''s nameservers')
            [CompletionResult]::new('--dns-search', '--dns-search', [CompletionResultType]::ParameterName, 'Extra DNS search domain (repeatable)')
            [CompletionResult]::new('--domains', '--domains', [CompletionResultType]::ParameterName, 'Where failure domains come from')
            [CompletionResult]::new('--askpass', '--askpass', [CompletionResultType]::ParameterName, 'Read the password from the terminal')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Use TLS to every node')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the nodes'' certificates')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON document on stdout; human output goes to stderr')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Skip the confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Skip the confirmation prompt')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Compute and print the plan, change nothing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More output on stderr (repeatable)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More output on stderr (repeatable)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'trib;failover' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'timeout')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA bundle (PEM) to verify the nodes'' certificates')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Client private key (PEM)')
            [CompletionResult]::new('--sni', '--sni', [CompletionResultType]::ParameterName, 'TLS server name to send and verify')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Deadline for each connection')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'Deadline for each command (MIGRATE and waits have their own)')
            [CompletionResult]::new('--dns-server', '--dns-server', [CompletionResultType]::ParameterName, 'DNS server to use instead of resolv.conf''s nameservers')
            [CompletionResult]::new('--dns-search', '--dns-search', [CompletionResultType]::ParameterName, 'Extra DNS search domain (repeatable)')
            [CompletionResult]::new('--domains', '--domains', [CompletionResultType]::ParameterName, 'Where failure domains come from')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'force')
            [CompletionResult]::new('--takeover', '--takeover', [CompletionResultType]::ParameterName, 'takeover')
            [CompletionResult]::new('--askpass', '--askpass', [CompletionResultType]::ParameterName, 'Read the password from the terminal')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Use TLS to every node')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the nodes'' certificates')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON document on stdout; human output goes to stderr')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Skip the confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Skip the confirmation prompt')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Compute and print the plan, change nothing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More output on stderr (repeatable)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More output on stderr (repeatable)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'trib;call' {
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA bundle (PEM) to verify the nodes'' certificates')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Client private key (PEM)')
            [CompletionResult]::new('--sni', '--sni', [CompletionResultType]::ParameterName, 'TLS server name to send and verify')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Deadline for each connection')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'Deadline for each command (MIGRATE and waits have their own)')
            [CompletionResult]::new('--dns-server', '--dns-server', [CompletionResultType]::ParameterName, 'DNS server to use instead of resolv.conf''s nameservers')
            [CompletionResult]::new('--dns-search', '--dns-search', [CompletionResultType]::ParameterName, 'Extra DNS search domain (repeatable)')
            [CompletionResult]::new('--domains', '--domains', [CompletionResultType]::ParameterName, 'Where failure domains come from')
            [CompletionResult]::new('--masters', '--masters', [CompletionResultType]::ParameterName, 'Only masters')
            [CompletionResult]::new('--replicas', '--replicas', [CompletionResultType]::ParameterName, 'Only replicas')
            [CompletionResult]::new('--askpass', '--askpass', [CompletionResultType]::ParameterName, 'Read the password from the terminal')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Use TLS to every node')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the nodes'' certificates')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON document on stdout; human output goes to stderr')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Skip the confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Skip the confirmation prompt')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Compute and print the plan, change nothing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More output on stderr (repeatable)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More output on stderr (repeatable)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'trib;set-timeout' {
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA bundle (PEM) to verify the nodes'' certificates')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Client private key (PEM)')
            [CompletionResult]::new('--sni', '--sni', [CompletionResultType]::ParameterName, 'TLS server name to send and verify')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Deadline for each connection')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'Deadline for each command (MIGRATE and waits have their own)')
            [CompletionResult]::new('--dns-server', '--dns-server', [CompletionResultType]::ParameterName, 'DNS server to use instead of resolv.conf''s nameservers')
            [CompletionResult]::new('--dns-search', '--dns-search', [CompletionResultType]::ParameterName, 'Extra DNS search domain (repeatable)')
            [CompletionResult]::new('--domains', '--domains', [CompletionResultType]::ParameterName, 'Where failure domains come from')
            [CompletionResult]::new('--askpass', '--askpass', [CompletionResultType]::ParameterName, 'Read the password from the terminal')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Use TLS to every node')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the nodes'' certificates')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON document on stdout; human output goes to stderr')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Skip the confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Skip the confirmation prompt')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Compute and print the plan, change nothing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More output on stderr (repeatable)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More output on stderr (repeatable)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'trib;import' {
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'from')
            [CompletionResult]::new('--from-user', '--from-user', [CompletionResultType]::ParameterName, 'from-user')
            [CompletionResult]::new('--from-password', '--from-password', [CompletionResultType]::ParameterName, 'from-password')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA bundle (PEM) to verify the nodes'' certificates')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Client private key (PEM)')
            [CompletionResult]::new('--sni', '--sni', [CompletionResultType]::ParameterName, 'TLS server name to send and verify')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Deadline for each connection')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'Deadline for each command (MIGRATE and waits have their own)')
            [CompletionResult]::new('--dns-server', '--dns-server', [CompletionResultType]::ParameterName, 'DNS server to use instead of resolv.conf''s nameservers')
            [CompletionResult]::new('--dns-search', '--dns-search', [CompletionResultType]::ParameterName, 'Extra DNS search domain (repeatable)')
            [CompletionResult]::new('--domains', '--domains', [CompletionResultType]::ParameterName, 'Where failure domains come from')
            [CompletionResult]::new('--copy', '--copy', [CompletionResultType]::ParameterName, 'copy')
            [CompletionResult]::new('--replace', '--replace', [CompletionResultType]::ParameterName, 'replace')
            [CompletionResult]::new('--askpass', '--askpass', [CompletionResultType]::ParameterName, 'Read the password from the terminal')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Use TLS to every node')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the nodes'' certificates')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON document on stdout; human output goes to stderr')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Skip the confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Skip the confirmation prompt')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Compute and print the plan, change nothing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More output on stderr (repeatable)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More output on stderr (repeatable)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'trib;backup' {
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA bundle (PEM) to verify the nodes'' certificates')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Client private key (PEM)')
            [CompletionResult]::new('--sni', '--sni', [CompletionResultType]::ParameterName, 'TLS server name to send and verify')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Deadline for each connection')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'Deadline for each command (MIGRATE and waits have their own)')
            [CompletionResult]::new('--dns-server', '--dns-server', [CompletionResultType]::ParameterName, 'DNS server to use instead of resolv.conf''s nameservers')
            [CompletionResult]::new('--dns-search', '--dns-search', [CompletionResultType]::ParameterName, 'Extra DNS search domain (repeatable)')
            [CompletionResult]::new('--domains', '--domains', [CompletionResultType]::ParameterName, 'Where failure domains come from')
            [CompletionResult]::new('--askpass', '--askpass', [CompletionResultType]::ParameterName, 'Read the password from the terminal')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Use TLS to every node')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the nodes'' certificates')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON document on stdout; human output goes to stderr')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Skip the confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Skip the confirmation prompt')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Compute and print the plan, change nothing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More output on stderr (repeatable)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More output on stderr (repeatable)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'trib;completions' {
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA bundle (PEM) to verify the nodes'' certificates')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Client private key (PEM)')
            [CompletionResult]::new('--sni', '--sni', [CompletionResultType]::ParameterName, 'TLS server name to send and verify')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Deadline for each connection')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'Deadline for each command (MIGRATE and waits have their own)')
            [CompletionResult]::new('--dns-server', '--dns-server', [CompletionResultType]::ParameterName, 'DNS server to use instead of resolv.conf''s nameservers')
            [CompletionResult]::new('--dns-search', '--dns-search', [CompletionResultType]::ParameterName, 'Extra DNS search domain (repeatable)')
            [CompletionResult]::new('--domains', '--domains', [CompletionResultType]::ParameterName, 'Where failure domains come from')
            [CompletionResult]::new('--askpass', '--askpass', [CompletionResultType]::ParameterName, 'Read the password from the terminal')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Use TLS to every node')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the nodes'' certificates')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON document on stdout; human output goes to stderr')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Skip the confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Skip the confirmation prompt')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Compute and print the plan, change nothing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More output on stderr (repeatable)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More output on stderr (repeatable)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'trib;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a cluster: plan slots and anti-affine placement, confirm, apply, verify')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check a cluster''s health (exit 1 on problems)')
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'Show masters, replicas, slots, keys, memory and resilience')
            [CompletionResult]::new('fix', 'fix', [CompletionResultType]::ParameterValue, 'Repair open slots, uncovered slots and moved nodes')
            [CompletionResult]::new('reshard', 'reshard', [CompletionResultType]::ParameterValue, 'Move slots and their keys between masters')
            [CompletionResult]::new('rebalance', 'rebalance', [CompletionResultType]::ParameterValue, 'Move slots so each master''s share matches its weight')
            [CompletionResult]::new('add-node', 'add-node', [CompletionResultType]::ParameterValue, 'Add an empty node as master or replica')
            [CompletionResult]::new('replicate', 'replicate', [CompletionResultType]::ParameterValue, 'Attach a node as replica of a master')
            [CompletionResult]::new('del-node', 'del-node', [CompletionResultType]::ParameterValue, 'Remove a node from the cluster')
            [CompletionResult]::new('failover', 'failover', [CompletionResultType]::ParameterValue, 'Promote a replica (or a master''s best replica)')
            [CompletionResult]::new('call', 'call', [CompletionResultType]::ParameterValue, 'Run a command on every node')
            [CompletionResult]::new('set-timeout', 'set-timeout', [CompletionResultType]::ParameterValue, 'Set cluster-node-timeout everywhere and persist it')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Move or copy every key of a standalone Redis into the cluster')
            [CompletionResult]::new('backup', 'backup', [CompletionResultType]::ParameterValue, 'Write an RDB per master and the cluster layout')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'trib;help;create' {
            break
        }
        'trib;help;check' {
            break
        }
        'trib;help;info' {
            break
        }
        'trib;help;fix' {
            break
        }
        'trib;help;reshard' {
            break
        }
        'trib;help;rebalance' {
            break
        }
        'trib;help;add-node' {
            break
        }
        'trib;help;replicate' {
            break
        }
        'trib;help;del-node' {
            break
        }
        'trib;help;failover' {
            break
        }
        'trib;help;call' {
            break
        }
        'trib;help;set-timeout' {
            break
        }
        'trib;help;import' {
            break
        }
        'trib;help;backup' {
            break
        }
        'trib;help;completions' {
            break
        }
        'trib;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
