# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_trib_global_optspecs
    string join \n a/password= user= askpass tls cacert= cert= key= sni= insecure connect-timeout= command-timeout= dns-server= dns-search= domains= json y/yes dry-run v/verbose q/quiet kubeconfig= context= namespace= kube-exec-timeout= h/help V/version
end

function __fish_trib_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_trib_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_trib_using_subcommand
    set -l cmd (__fish_trib_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c trib -n "__fish_trib_needs_command" -s a -l password -d 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)' -r
complete -c trib -n "__fish_trib_needs_command" -l user -d 'ACL user' -r
complete -c trib -n "__fish_trib_needs_command" -l cacert -d 'CA bundle (PEM) to verify the nodes\' certificates' -r -F
complete -c trib -n "__fish_trib_needs_command" -l cert -d 'Client certificate (PEM)' -r -F
complete -c trib -n "__fish_trib_needs_command" -l key -d 'Client private key (PEM)' -r -F
complete -c trib -n "__fish_trib_needs_command" -l sni -d 'TLS server name to send and verify' -r
complete -c trib -n "__fish_trib_needs_command" -l connect-timeout -d 'Deadline for each connection' -r
complete -c trib -n "__fish_trib_needs_command" -l command-timeout -d 'Deadline for each command (MIGRATE and waits have their own)' -r
complete -c trib -n "__fish_trib_needs_command" -l dns-server -d 'DNS server to use instead of resolv.conf\'s nameservers' -r
complete -c trib -n "__fish_trib_needs_command" -l dns-search -d 'Extra DNS search domain (repeatable)' -r
complete -c trib -n "__fish_trib_needs_command" -l domains -d 'Where failure domains come from' -r -f -a "ip\t'The node\'s IP address'
kubernetes-node\t'The Kubernetes node its pod runs on'
kubernetes-zone\t'The zone of that Kubernetes node'"
complete -c trib -n "__fish_trib_needs_command" -l kubeconfig -d 'Kubeconfig file(s), `:`-separated [default: in a pod its service account, else ~/.kube/config]' -r
complete -c trib -n "__fish_trib_needs_command" -l context -d 'Kubeconfig context to use instead of the current one' -r
complete -c trib -n "__fish_trib_needs_command" -l namespace -d 'Namespace searched first for the Redis pods [default: the context\'s, or the pod\'s own]' -r
complete -c trib -n "__fish_trib_needs_command" -l kube-exec-timeout -d 'Deadline for a kubeconfig exec credential plugin (kubelogin, aws, gke-gcloud-auth-plugin)' -r
complete -c trib -n "__fish_trib_needs_command" -l askpass -d 'Read the password from the terminal'
complete -c trib -n "__fish_trib_needs_command" -l tls -d 'Use TLS to every node'
complete -c trib -n "__fish_trib_needs_command" -l insecure -d 'Do not verify the nodes\' certificates'
complete -c trib -n "__fish_trib_needs_command" -l json -d 'One JSON document on stdout; human output goes to stderr'
complete -c trib -n "__fish_trib_needs_command" -s y -l yes -d 'Skip the confirmation prompt'
complete -c trib -n "__fish_trib_needs_command" -l dry-run -d 'Compute and print the plan, change nothing'
complete -c trib -n "__fish_trib_needs_command" -s v -l verbose -d 'More output on stderr (repeatable)'
complete -c trib -n "__fish_trib_needs_command" -s q -l quiet -d 'Less output on stderr'
complete -c trib -n "__fish_trib_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c trib -n "__fish_trib_needs_command" -s V -l version -d 'Print version'
complete -c trib -n "__fish_trib_needs_command" -f -a "create" -d 'Create a cluster: plan slots and anti-affine placement, confirm, apply, verify'
complete -c trib -n "__fish_trib_needs_command" -f -a "apply" -d 'Make the cluster consist of exactly these nodes: create, join, rebalance, re-form, prune'
complete -c trib -n "__fish_trib_needs_command" -f -a "check" -d 'Check a cluster\'s health (exit 1 on problems)'
complete -c trib -n "__fish_trib_needs_command" -f -a "info" -d 'Show masters, replicas, slots, keys, memory and resilience'
complete -c trib -n "__fish_trib_needs_command" -f -a "fix" -d 'Repair open slots, uncovered slots and moved nodes'
complete -c trib -n "__fish_trib_needs_command" -f -a "reshard" -d 'Move slots and their keys between masters'
complete -c trib -n "__fish_trib_needs_command" -f -a "rebalance" -d 'Move slots so each master\'s share matches its weight'
complete -c trib -n "__fish_trib_needs_command" -f -a "add-node" -d 'Add an empty node as master or replica'
complete -c trib -n "__fish_trib_needs_command" -f -a "replicate" -d 'Attach a node as replica of a master'
complete -c trib -n "__fish_trib_needs_command" -f -a "del-node" -d 'Remove a node from the cluster'
complete -c trib -n "__fish_trib_needs_command" -f -a "failover" -d 'Make a node a master (promote a replica), or --demote a master'
complete -c trib -n "__fish_trib_needs_command" -f -a "call" -d 'Run a command on every node'
complete -c trib -n "__fish_trib_needs_command" -f -a "set-timeout" -d 'Set cluster-node-timeout everywhere and persist it'
complete -c trib -n "__fish_trib_needs_command" -f -a "import" -d 'Move or copy every key of a standalone Redis into the cluster'
complete -c trib -n "__fish_trib_needs_command" -f -a "backup" -d 'Write an RDB per master and the cluster layout'
complete -c trib -n "__fish_trib_needs_command" -f -a "install" -d 'Copy this binary into DIR (an init container hands trib to the Redis container)'
complete -c trib -n "__fish_trib_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c trib -n "__fish_trib_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c trib -n "__fish_trib_using_subcommand create" -l replicas -d 'Replicas per master' -r
complete -c trib -n "__fish_trib_using_subcommand create" -l wait -d 'Wait up to DUR for names to resolve and nodes to answer (pods still starting)' -r
complete -c trib -n "__fish_trib_using_subcommand create" -l timeout -d 'Deadline for the cluster to converge after the changes' -r
complete -c trib -n "__fish_trib_using_subcommand create" -s a -l password -d 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)' -r
complete -c trib -n "__fish_trib_using_subcommand create" -l user -d 'ACL user' -r
complete -c trib -n "__fish_trib_using_subcommand create" -l cacert -d 'CA bundle (PEM) to verify the nodes\' certificates' -r -F
complete -c trib -n "__fish_trib_using_subcommand create" -l cert -d 'Client certificate (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand create" -l key -d 'Client private key (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand create" -l sni -d 'TLS server name to send and verify' -r
complete -c trib -n "__fish_trib_using_subcommand create" -l connect-timeout -d 'Deadline for each connection' -r
complete -c trib -n "__fish_trib_using_subcommand create" -l command-timeout -d 'Deadline for each command (MIGRATE and waits have their own)' -r
complete -c trib -n "__fish_trib_using_subcommand create" -l dns-server -d 'DNS server to use instead of resolv.conf\'s nameservers' -r
complete -c trib -n "__fish_trib_using_subcommand create" -l dns-search -d 'Extra DNS search domain (repeatable)' -r
complete -c trib -n "__fish_trib_using_subcommand create" -l domains -d 'Where failure domains come from' -r -f -a "ip\t'The node\'s IP address'
kubernetes-node\t'The Kubernetes node its pod runs on'
kubernetes-zone\t'The zone of that Kubernetes node'"
complete -c trib -n "__fish_trib_using_subcommand create" -l kubeconfig -d 'Kubeconfig file(s), `:`-separated [default: in a pod its service account, else ~/.kube/config]' -r
complete -c trib -n "__fish_trib_using_subcommand create" -l context -d 'Kubeconfig context to use instead of the current one' -r
complete -c trib -n "__fish_trib_using_subcommand create" -l namespace -d 'Namespace searched first for the Redis pods [default: the context\'s, or the pod\'s own]' -r
complete -c trib -n "__fish_trib_using_subcommand create" -l kube-exec-timeout -d 'Deadline for a kubeconfig exec credential plugin (kubelogin, aws, gke-gcloud-auth-plugin)' -r
complete -c trib -n "__fish_trib_using_subcommand create" -l no-fast-join -d 'Do not shorten Redis\'s rejoin delay (new masters run with a 499 ms cluster-node-timeout until they turn ok, where masters × (nodes − 1) ≤ 2000)'
complete -c trib -n "__fish_trib_using_subcommand create" -l wait-sync -d 'Also wait until every replica finished its first sync with its master'
complete -c trib -n "__fish_trib_using_subcommand create" -l askpass -d 'Read the password from the terminal'
complete -c trib -n "__fish_trib_using_subcommand create" -l tls -d 'Use TLS to every node'
complete -c trib -n "__fish_trib_using_subcommand create" -l insecure -d 'Do not verify the nodes\' certificates'
complete -c trib -n "__fish_trib_using_subcommand create" -l json -d 'One JSON document on stdout; human output goes to stderr'
complete -c trib -n "__fish_trib_using_subcommand create" -s y -l yes -d 'Skip the confirmation prompt'
complete -c trib -n "__fish_trib_using_subcommand create" -l dry-run -d 'Compute and print the plan, change nothing'
complete -c trib -n "__fish_trib_using_subcommand create" -s v -l verbose -d 'More output on stderr (repeatable)'
complete -c trib -n "__fish_trib_using_subcommand create" -s q -l quiet -d 'Less output on stderr'
complete -c trib -n "__fish_trib_using_subcommand create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c trib -n "__fish_trib_using_subcommand create" -s V -l version -d 'Print version'
complete -c trib -n "__fish_trib_using_subcommand apply" -l replicas -d 'Replicas per master' -r
complete -c trib -n "__fish_trib_using_subcommand apply" -l wait -d 'Wait up to DUR for names to resolve and nodes to answer (pods still starting)' -r
complete -c trib -n "__fish_trib_using_subcommand apply" -l timeout -d 'Deadline for each wait (agreement, a replica\'s first sync, a node forgotten)' -r
complete -c trib -n "__fish_trib_using_subcommand apply" -s a -l password -d 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)' -r
complete -c trib -n "__fish_trib_using_subcommand apply" -l user -d 'ACL user' -r
complete -c trib -n "__fish_trib_using_subcommand apply" -l cacert -d 'CA bundle (PEM) to verify the nodes\' certificates' -r -F
complete -c trib -n "__fish_trib_using_subcommand apply" -l cert -d 'Client certificate (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand apply" -l key -d 'Client private key (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand apply" -l sni -d 'TLS server name to send and verify' -r
complete -c trib -n "__fish_trib_using_subcommand apply" -l connect-timeout -d 'Deadline for each connection' -r
complete -c trib -n "__fish_trib_using_subcommand apply" -l command-timeout -d 'Deadline for each command (MIGRATE and waits have their own)' -r
complete -c trib -n "__fish_trib_using_subcommand apply" -l dns-server -d 'DNS server to use instead of resolv.conf\'s nameservers' -r
complete -c trib -n "__fish_trib_using_subcommand apply" -l dns-search -d 'Extra DNS search domain (repeatable)' -r
complete -c trib -n "__fish_trib_using_subcommand apply" -l domains -d 'Where failure domains come from' -r -f -a "ip\t'The node\'s IP address'
kubernetes-node\t'The Kubernetes node its pod runs on'
kubernetes-zone\t'The zone of that Kubernetes node'"
complete -c trib -n "__fish_trib_using_subcommand apply" -l kubeconfig -d 'Kubeconfig file(s), `:`-separated [default: in a pod its service account, else ~/.kube/config]' -r
complete -c trib -n "__fish_trib_using_subcommand apply" -l context -d 'Kubeconfig context to use instead of the current one' -r
complete -c trib -n "__fish_trib_using_subcommand apply" -l namespace -d 'Namespace searched first for the Redis pods [default: the context\'s, or the pod\'s own]' -r
complete -c trib -n "__fish_trib_using_subcommand apply" -l kube-exec-timeout -d 'Deadline for a kubeconfig exec credential plugin (kubelogin, aws, gke-gcloud-auth-plugin)' -r
complete -c trib -n "__fish_trib_using_subcommand apply" -l prune -d 'Drain (slots and keys moved away) and remove the members that are not listed'
complete -c trib -n "__fish_trib_using_subcommand apply" -l askpass -d 'Read the password from the terminal'
complete -c trib -n "__fish_trib_using_subcommand apply" -l tls -d 'Use TLS to every node'
complete -c trib -n "__fish_trib_using_subcommand apply" -l insecure -d 'Do not verify the nodes\' certificates'
complete -c trib -n "__fish_trib_using_subcommand apply" -l json -d 'One JSON document on stdout; human output goes to stderr'
complete -c trib -n "__fish_trib_using_subcommand apply" -s y -l yes -d 'Skip the confirmation prompt'
complete -c trib -n "__fish_trib_using_subcommand apply" -l dry-run -d 'Compute and print the plan, change nothing'
complete -c trib -n "__fish_trib_using_subcommand apply" -s v -l verbose -d 'More output on stderr (repeatable)'
complete -c trib -n "__fish_trib_using_subcommand apply" -s q -l quiet -d 'Less output on stderr'
complete -c trib -n "__fish_trib_using_subcommand apply" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c trib -n "__fish_trib_using_subcommand apply" -s V -l version -d 'Print version'
complete -c trib -n "__fish_trib_using_subcommand check" -l wait -d 'Check again until the cluster is healthy and every replica is in sync with its master (a restarted pod is unreachable, then failed in the others\' views, then syncing), for up to DUR; exit 1 if it is not by then' -r
complete -c trib -n "__fish_trib_using_subcommand check" -s a -l password -d 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)' -r
complete -c trib -n "__fish_trib_using_subcommand check" -l user -d 'ACL user' -r
complete -c trib -n "__fish_trib_using_subcommand check" -l cacert -d 'CA bundle (PEM) to verify the nodes\' certificates' -r -F
complete -c trib -n "__fish_trib_using_subcommand check" -l cert -d 'Client certificate (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand check" -l key -d 'Client private key (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand check" -l sni -d 'TLS server name to send and verify' -r
complete -c trib -n "__fish_trib_using_subcommand check" -l connect-timeout -d 'Deadline for each connection' -r
complete -c trib -n "__fish_trib_using_subcommand check" -l command-timeout -d 'Deadline for each command (MIGRATE and waits have their own)' -r
complete -c trib -n "__fish_trib_using_subcommand check" -l dns-server -d 'DNS server to use instead of resolv.conf\'s nameservers' -r
complete -c trib -n "__fish_trib_using_subcommand check" -l dns-search -d 'Extra DNS search domain (repeatable)' -r
complete -c trib -n "__fish_trib_using_subcommand check" -l domains -d 'Where failure domains come from' -r -f -a "ip\t'The node\'s IP address'
kubernetes-node\t'The Kubernetes node its pod runs on'
kubernetes-zone\t'The zone of that Kubernetes node'"
complete -c trib -n "__fish_trib_using_subcommand check" -l kubeconfig -d 'Kubeconfig file(s), `:`-separated [default: in a pod its service account, else ~/.kube/config]' -r
complete -c trib -n "__fish_trib_using_subcommand check" -l context -d 'Kubeconfig context to use instead of the current one' -r
complete -c trib -n "__fish_trib_using_subcommand check" -l namespace -d 'Namespace searched first for the Redis pods [default: the context\'s, or the pod\'s own]' -r
complete -c trib -n "__fish_trib_using_subcommand check" -l kube-exec-timeout -d 'Deadline for a kubeconfig exec credential plugin (kubelogin, aws, gke-gcloud-auth-plugin)' -r
complete -c trib -n "__fish_trib_using_subcommand check" -l deep -d 'Also look for keys in slots their master does not own (one COUNTKEYSINSLOT per slot)'
complete -c trib -n "__fish_trib_using_subcommand check" -l strict -d 'Exit 1 on warnings too'
complete -c trib -n "__fish_trib_using_subcommand check" -l askpass -d 'Read the password from the terminal'
complete -c trib -n "__fish_trib_using_subcommand check" -l tls -d 'Use TLS to every node'
complete -c trib -n "__fish_trib_using_subcommand check" -l insecure -d 'Do not verify the nodes\' certificates'
complete -c trib -n "__fish_trib_using_subcommand check" -l json -d 'One JSON document on stdout; human output goes to stderr'
complete -c trib -n "__fish_trib_using_subcommand check" -s y -l yes -d 'Skip the confirmation prompt'
complete -c trib -n "__fish_trib_using_subcommand check" -l dry-run -d 'Compute and print the plan, change nothing'
complete -c trib -n "__fish_trib_using_subcommand check" -s v -l verbose -d 'More output on stderr (repeatable)'
complete -c trib -n "__fish_trib_using_subcommand check" -s q -l quiet -d 'Less output on stderr'
complete -c trib -n "__fish_trib_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c trib -n "__fish_trib_using_subcommand check" -s V -l version -d 'Print version'
complete -c trib -n "__fish_trib_using_subcommand info" -s a -l password -d 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)' -r
complete -c trib -n "__fish_trib_using_subcommand info" -l user -d 'ACL user' -r
complete -c trib -n "__fish_trib_using_subcommand info" -l cacert -d 'CA bundle (PEM) to verify the nodes\' certificates' -r -F
complete -c trib -n "__fish_trib_using_subcommand info" -l cert -d 'Client certificate (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand info" -l key -d 'Client private key (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand info" -l sni -d 'TLS server name to send and verify' -r
complete -c trib -n "__fish_trib_using_subcommand info" -l connect-timeout -d 'Deadline for each connection' -r
complete -c trib -n "__fish_trib_using_subcommand info" -l command-timeout -d 'Deadline for each command (MIGRATE and waits have their own)' -r
complete -c trib -n "__fish_trib_using_subcommand info" -l dns-server -d 'DNS server to use instead of resolv.conf\'s nameservers' -r
complete -c trib -n "__fish_trib_using_subcommand info" -l dns-search -d 'Extra DNS search domain (repeatable)' -r
complete -c trib -n "__fish_trib_using_subcommand info" -l domains -d 'Where failure domains come from' -r -f -a "ip\t'The node\'s IP address'
kubernetes-node\t'The Kubernetes node its pod runs on'
kubernetes-zone\t'The zone of that Kubernetes node'"
complete -c trib -n "__fish_trib_using_subcommand info" -l kubeconfig -d 'Kubeconfig file(s), `:`-separated [default: in a pod its service account, else ~/.kube/config]' -r
complete -c trib -n "__fish_trib_using_subcommand info" -l context -d 'Kubeconfig context to use instead of the current one' -r
complete -c trib -n "__fish_trib_using_subcommand info" -l namespace -d 'Namespace searched first for the Redis pods [default: the context\'s, or the pod\'s own]' -r
complete -c trib -n "__fish_trib_using_subcommand info" -l kube-exec-timeout -d 'Deadline for a kubeconfig exec credential plugin (kubelogin, aws, gke-gcloud-auth-plugin)' -r
complete -c trib -n "__fish_trib_using_subcommand info" -l askpass -d 'Read the password from the terminal'
complete -c trib -n "__fish_trib_using_subcommand info" -l tls -d 'Use TLS to every node'
complete -c trib -n "__fish_trib_using_subcommand info" -l insecure -d 'Do not verify the nodes\' certificates'
complete -c trib -n "__fish_trib_using_subcommand info" -l json -d 'One JSON document on stdout; human output goes to stderr'
complete -c trib -n "__fish_trib_using_subcommand info" -s y -l yes -d 'Skip the confirmation prompt'
complete -c trib -n "__fish_trib_using_subcommand info" -l dry-run -d 'Compute and print the plan, change nothing'
complete -c trib -n "__fish_trib_using_subcommand info" -s v -l verbose -d 'More output on stderr (repeatable)'
complete -c trib -n "__fish_trib_using_subcommand info" -s q -l quiet -d 'Less output on stderr'
complete -c trib -n "__fish_trib_using_subcommand info" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c trib -n "__fish_trib_using_subcommand info" -s V -l version -d 'Print version'
complete -c trib -n "__fish_trib_using_subcommand fix" -l timeout -d 'Deadline for the cluster to settle after the changes' -r
complete -c trib -n "__fish_trib_using_subcommand fix" -s a -l password -d 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)' -r
complete -c trib -n "__fish_trib_using_subcommand fix" -l user -d 'ACL user' -r
complete -c trib -n "__fish_trib_using_subcommand fix" -l cacert -d 'CA bundle (PEM) to verify the nodes\' certificates' -r -F
complete -c trib -n "__fish_trib_using_subcommand fix" -l cert -d 'Client certificate (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand fix" -l key -d 'Client private key (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand fix" -l sni -d 'TLS server name to send and verify' -r
complete -c trib -n "__fish_trib_using_subcommand fix" -l connect-timeout -d 'Deadline for each connection' -r
complete -c trib -n "__fish_trib_using_subcommand fix" -l command-timeout -d 'Deadline for each command (MIGRATE and waits have their own)' -r
complete -c trib -n "__fish_trib_using_subcommand fix" -l dns-server -d 'DNS server to use instead of resolv.conf\'s nameservers' -r
complete -c trib -n "__fish_trib_using_subcommand fix" -l dns-search -d 'Extra DNS search domain (repeatable)' -r
complete -c trib -n "__fish_trib_using_subcommand fix" -l domains -d 'Where failure domains come from' -r -f -a "ip\t'The node\'s IP address'
kubernetes-node\t'The Kubernetes node its pod runs on'
kubernetes-zone\t'The zone of that Kubernetes node'"
complete -c trib -n "__fish_trib_using_subcommand fix" -l kubeconfig -d 'Kubeconfig file(s), `:`-separated [default: in a pod its service account, else ~/.kube/config]' -r
complete -c trib -n "__fish_trib_using_subcommand fix" -l context -d 'Kubeconfig context to use instead of the current one' -r
complete -c trib -n "__fish_trib_using_subcommand fix" -l namespace -d 'Namespace searched first for the Redis pods [default: the context\'s, or the pod\'s own]' -r
complete -c trib -n "__fish_trib_using_subcommand fix" -l kube-exec-timeout -d 'Deadline for a kubeconfig exec credential plugin (kubelogin, aws, gke-gcloud-auth-plugin)' -r
complete -c trib -n "__fish_trib_using_subcommand fix" -l deep -d 'Also look for keys in slots their node does not own'
complete -c trib -n "__fish_trib_using_subcommand fix" -l with-unreachable-masters -d 'Repair even while a master is unreachable: its slots are left alone, or, if the cluster marks it failed and no replica took over, given (empty) to the live masters; keys only it held there are lost'
complete -c trib -n "__fish_trib_using_subcommand fix" -l replace -d 'Keys moved to a slot\'s owner overwrite the owner\'s copy where both exist with different contents (as `reshard --replace`, `import --replace`)'
complete -c trib -n "__fish_trib_using_subcommand fix" -l askpass -d 'Read the password from the terminal'
complete -c trib -n "__fish_trib_using_subcommand fix" -l tls -d 'Use TLS to every node'
complete -c trib -n "__fish_trib_using_subcommand fix" -l insecure -d 'Do not verify the nodes\' certificates'
complete -c trib -n "__fish_trib_using_subcommand fix" -l json -d 'One JSON document on stdout; human output goes to stderr'
complete -c trib -n "__fish_trib_using_subcommand fix" -s y -l yes -d 'Skip the confirmation prompt'
complete -c trib -n "__fish_trib_using_subcommand fix" -l dry-run -d 'Compute and print the plan, change nothing'
complete -c trib -n "__fish_trib_using_subcommand fix" -s v -l verbose -d 'More output on stderr (repeatable)'
complete -c trib -n "__fish_trib_using_subcommand fix" -s q -l quiet -d 'Less output on stderr'
complete -c trib -n "__fish_trib_using_subcommand fix" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c trib -n "__fish_trib_using_subcommand fix" -s V -l version -d 'Print version'
complete -c trib -n "__fish_trib_using_subcommand reshard" -l from -d 'Source masters (IDs, ID prefixes, addresses) or `all`' -r
complete -c trib -n "__fish_trib_using_subcommand reshard" -l to -d 'Destination master' -r
complete -c trib -n "__fish_trib_using_subcommand reshard" -l slots -d 'Number of slots to move' -r
complete -c trib -n "__fish_trib_using_subcommand reshard" -l range -d 'Slot ranges to move, A-B[,C-D...]; slots the destination owns already are left as they are (running the same command again completes an interrupted move)' -r
complete -c trib -n "__fish_trib_using_subcommand reshard" -l pipeline -d 'Keys per MIGRATE batch (adaptive when omitted)' -r
complete -c trib -n "__fish_trib_using_subcommand reshard" -l max-stall -d 'About how long a client may wait behind trib\'s work on a node (MIGRATEs, which block their source and target, the big-key scan, opening slots): half on the node it asks, half on the node ASK sends it to; batches are sized to that by the pace of recent ones' -r
complete -c trib -n "__fish_trib_using_subcommand reshard" -s a -l password -d 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)' -r
complete -c trib -n "__fish_trib_using_subcommand reshard" -l user -d 'ACL user' -r
complete -c trib -n "__fish_trib_using_subcommand reshard" -l cacert -d 'CA bundle (PEM) to verify the nodes\' certificates' -r -F
complete -c trib -n "__fish_trib_using_subcommand reshard" -l cert -d 'Client certificate (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand reshard" -l key -d 'Client private key (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand reshard" -l sni -d 'TLS server name to send and verify' -r
complete -c trib -n "__fish_trib_using_subcommand reshard" -l connect-timeout -d 'Deadline for each connection' -r
complete -c trib -n "__fish_trib_using_subcommand reshard" -l command-timeout -d 'Deadline for each command (MIGRATE and waits have their own)' -r
complete -c trib -n "__fish_trib_using_subcommand reshard" -l dns-server -d 'DNS server to use instead of resolv.conf\'s nameservers' -r
complete -c trib -n "__fish_trib_using_subcommand reshard" -l dns-search -d 'Extra DNS search domain (repeatable)' -r
complete -c trib -n "__fish_trib_using_subcommand reshard" -l domains -d 'Where failure domains come from' -r -f -a "ip\t'The node\'s IP address'
kubernetes-node\t'The Kubernetes node its pod runs on'
kubernetes-zone\t'The zone of that Kubernetes node'"
complete -c trib -n "__fish_trib_using_subcommand reshard" -l kubeconfig -d 'Kubeconfig file(s), `:`-separated [default: in a pod its service account, else ~/.kube/config]' -r
complete -c trib -n "__fish_trib_using_subcommand reshard" -l context -d 'Kubeconfig context to use instead of the current one' -r
complete -c trib -n "__fish_trib_using_subcommand reshard" -l namespace -d 'Namespace searched first for the Redis pods [default: the context\'s, or the pod\'s own]' -r
complete -c trib -n "__fish_trib_using_subcommand reshard" -l kube-exec-timeout -d 'Deadline for a kubeconfig exec credential plugin (kubelogin, aws, gke-gcloud-auth-plugin)' -r
complete -c trib -n "__fish_trib_using_subcommand reshard" -l replace -d 'Overwrite keys that already exist on the target'
complete -c trib -n "__fish_trib_using_subcommand reshard" -l no-atomic -d 'Move slots with SETSLOT/MIGRATE even where every master supports atomic slot migration'
complete -c trib -n "__fish_trib_using_subcommand reshard" -l size-all-keys -d 'Look for big keys by sizing every key that moves (default: every key when at most 10000 move from a source, else a sample of about 10000 of them, each key with the same chance)'
complete -c trib -n "__fish_trib_using_subcommand reshard" -l via-migrate -d 'Move keys with MIGRATE on the source, as redis-cli does, instead of copying them through trib (DUMP on the source, RESTORE-ASKING on the target, then DEL; big keys in pieces): slower, and a big key stalls its source for its whole move, but needs no DUMP/RESTORE permission for trib\'s ACL user'
complete -c trib -n "__fish_trib_using_subcommand reshard" -l askpass -d 'Read the password from the terminal'
complete -c trib -n "__fish_trib_using_subcommand reshard" -l tls -d 'Use TLS to every node'
complete -c trib -n "__fish_trib_using_subcommand reshard" -l insecure -d 'Do not verify the nodes\' certificates'
complete -c trib -n "__fish_trib_using_subcommand reshard" -l json -d 'One JSON document on stdout; human output goes to stderr'
complete -c trib -n "__fish_trib_using_subcommand reshard" -s y -l yes -d 'Skip the confirmation prompt'
complete -c trib -n "__fish_trib_using_subcommand reshard" -l dry-run -d 'Compute and print the plan, change nothing'
complete -c trib -n "__fish_trib_using_subcommand reshard" -s v -l verbose -d 'More output on stderr (repeatable)'
complete -c trib -n "__fish_trib_using_subcommand reshard" -s q -l quiet -d 'Less output on stderr'
complete -c trib -n "__fish_trib_using_subcommand reshard" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c trib -n "__fish_trib_using_subcommand reshard" -s V -l version -d 'Print version'
complete -c trib -n "__fish_trib_using_subcommand rebalance" -l weight -d 'NODE=W (repeatable); weight 0 drains a master' -r
complete -c trib -n "__fish_trib_using_subcommand rebalance" -l threshold -d 'Only rebalance when a master is off by more than PCT percent' -r
complete -c trib -n "__fish_trib_using_subcommand rebalance" -l max-stall -d 'About how long a client may wait behind trib\'s work on a node (MIGRATEs, which block their source and target, the big-key scan, opening slots): half on the node it asks, half on the node ASK sends it to; batches are sized to that by the pace of recent ones' -r
complete -c trib -n "__fish_trib_using_subcommand rebalance" -s a -l password -d 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)' -r
complete -c trib -n "__fish_trib_using_subcommand rebalance" -l user -d 'ACL user' -r
complete -c trib -n "__fish_trib_using_subcommand rebalance" -l cacert -d 'CA bundle (PEM) to verify the nodes\' certificates' -r -F
complete -c trib -n "__fish_trib_using_subcommand rebalance" -l cert -d 'Client certificate (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand rebalance" -l key -d 'Client private key (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand rebalance" -l sni -d 'TLS server name to send and verify' -r
complete -c trib -n "__fish_trib_using_subcommand rebalance" -l connect-timeout -d 'Deadline for each connection' -r
complete -c trib -n "__fish_trib_using_subcommand rebalance" -l command-timeout -d 'Deadline for each command (MIGRATE and waits have their own)' -r
complete -c trib -n "__fish_trib_using_subcommand rebalance" -l dns-server -d 'DNS server to use instead of resolv.conf\'s nameservers' -r
complete -c trib -n "__fish_trib_using_subcommand rebalance" -l dns-search -d 'Extra DNS search domain (repeatable)' -r
complete -c trib -n "__fish_trib_using_subcommand rebalance" -l domains -d 'Where failure domains come from' -r -f -a "ip\t'The node\'s IP address'
kubernetes-node\t'The Kubernetes node its pod runs on'
kubernetes-zone\t'The zone of that Kubernetes node'"
complete -c trib -n "__fish_trib_using_subcommand rebalance" -l kubeconfig -d 'Kubeconfig file(s), `:`-separated [default: in a pod its service account, else ~/.kube/config]' -r
complete -c trib -n "__fish_trib_using_subcommand rebalance" -l context -d 'Kubeconfig context to use instead of the current one' -r
complete -c trib -n "__fish_trib_using_subcommand rebalance" -l namespace -d 'Namespace searched first for the Redis pods [default: the context\'s, or the pod\'s own]' -r
complete -c trib -n "__fish_trib_using_subcommand rebalance" -l kube-exec-timeout -d 'Deadline for a kubeconfig exec credential plugin (kubelogin, aws, gke-gcloud-auth-plugin)' -r
complete -c trib -n "__fish_trib_using_subcommand rebalance" -l use-empty-masters -d 'Give slots to masters that have none'
complete -c trib -n "__fish_trib_using_subcommand rebalance" -l no-atomic -d 'Move slots with SETSLOT/MIGRATE even where every master supports atomic slot migration'
complete -c trib -n "__fish_trib_using_subcommand rebalance" -l size-all-keys -d 'Look for big keys by sizing every key that moves (default: every key when at most 10000 move from a source, else a sample of about 10000 of them, each key with the same chance)'
complete -c trib -n "__fish_trib_using_subcommand rebalance" -l via-migrate -d 'Move keys with MIGRATE on the source, as redis-cli does, instead of copying them through trib (DUMP on the source, RESTORE-ASKING on the target, then DEL; big keys in pieces): slower, and a big key stalls its source for its whole move, but needs no DUMP/RESTORE permission for trib\'s ACL user'
complete -c trib -n "__fish_trib_using_subcommand rebalance" -l askpass -d 'Read the password from the terminal'
complete -c trib -n "__fish_trib_using_subcommand rebalance" -l tls -d 'Use TLS to every node'
complete -c trib -n "__fish_trib_using_subcommand rebalance" -l insecure -d 'Do not verify the nodes\' certificates'
complete -c trib -n "__fish_trib_using_subcommand rebalance" -l json -d 'One JSON document on stdout; human output goes to stderr'
complete -c trib -n "__fish_trib_using_subcommand rebalance" -s y -l yes -d 'Skip the confirmation prompt'
complete -c trib -n "__fish_trib_using_subcommand rebalance" -l dry-run -d 'Compute and print the plan, change nothing'
complete -c trib -n "__fish_trib_using_subcommand rebalance" -s v -l verbose -d 'More output on stderr (repeatable)'
complete -c trib -n "__fish_trib_using_subcommand rebalance" -s q -l quiet -d 'Less output on stderr'
complete -c trib -n "__fish_trib_using_subcommand rebalance" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c trib -n "__fish_trib_using_subcommand rebalance" -s V -l version -d 'Print version'
complete -c trib -n "__fish_trib_using_subcommand add-node" -l replica-of -d 'Add as replica of this master (ID, ID prefix or address)' -r
complete -c trib -n "__fish_trib_using_subcommand add-node" -l timeout -d 'Deadline for each wait (gossip, first sync of a replica)' -r
complete -c trib -n "__fish_trib_using_subcommand add-node" -s a -l password -d 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)' -r
complete -c trib -n "__fish_trib_using_subcommand add-node" -l user -d 'ACL user' -r
complete -c trib -n "__fish_trib_using_subcommand add-node" -l cacert -d 'CA bundle (PEM) to verify the nodes\' certificates' -r -F
complete -c trib -n "__fish_trib_using_subcommand add-node" -l cert -d 'Client certificate (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand add-node" -l key -d 'Client private key (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand add-node" -l sni -d 'TLS server name to send and verify' -r
complete -c trib -n "__fish_trib_using_subcommand add-node" -l connect-timeout -d 'Deadline for each connection' -r
complete -c trib -n "__fish_trib_using_subcommand add-node" -l command-timeout -d 'Deadline for each command (MIGRATE and waits have their own)' -r
complete -c trib -n "__fish_trib_using_subcommand add-node" -l dns-server -d 'DNS server to use instead of resolv.conf\'s nameservers' -r
complete -c trib -n "__fish_trib_using_subcommand add-node" -l dns-search -d 'Extra DNS search domain (repeatable)' -r
complete -c trib -n "__fish_trib_using_subcommand add-node" -l domains -d 'Where failure domains come from' -r -f -a "ip\t'The node\'s IP address'
kubernetes-node\t'The Kubernetes node its pod runs on'
kubernetes-zone\t'The zone of that Kubernetes node'"
complete -c trib -n "__fish_trib_using_subcommand add-node" -l kubeconfig -d 'Kubeconfig file(s), `:`-separated [default: in a pod its service account, else ~/.kube/config]' -r
complete -c trib -n "__fish_trib_using_subcommand add-node" -l context -d 'Kubeconfig context to use instead of the current one' -r
complete -c trib -n "__fish_trib_using_subcommand add-node" -l namespace -d 'Namespace searched first for the Redis pods [default: the context\'s, or the pod\'s own]' -r
complete -c trib -n "__fish_trib_using_subcommand add-node" -l kube-exec-timeout -d 'Deadline for a kubeconfig exec credential plugin (kubelogin, aws, gke-gcloud-auth-plugin)' -r
complete -c trib -n "__fish_trib_using_subcommand add-node" -l replica -d 'Add as replica of the master with fewest replicas (preferring another failure domain)'
complete -c trib -n "__fish_trib_using_subcommand add-node" -l askpass -d 'Read the password from the terminal'
complete -c trib -n "__fish_trib_using_subcommand add-node" -l tls -d 'Use TLS to every node'
complete -c trib -n "__fish_trib_using_subcommand add-node" -l insecure -d 'Do not verify the nodes\' certificates'
complete -c trib -n "__fish_trib_using_subcommand add-node" -l json -d 'One JSON document on stdout; human output goes to stderr'
complete -c trib -n "__fish_trib_using_subcommand add-node" -s y -l yes -d 'Skip the confirmation prompt'
complete -c trib -n "__fish_trib_using_subcommand add-node" -l dry-run -d 'Compute and print the plan, change nothing'
complete -c trib -n "__fish_trib_using_subcommand add-node" -s v -l verbose -d 'More output on stderr (repeatable)'
complete -c trib -n "__fish_trib_using_subcommand add-node" -s q -l quiet -d 'Less output on stderr'
complete -c trib -n "__fish_trib_using_subcommand add-node" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c trib -n "__fish_trib_using_subcommand add-node" -s V -l version -d 'Print version'
complete -c trib -n "__fish_trib_using_subcommand replicate" -l master -d 'The master (an address; the cluster is loaded from it)' -r
complete -c trib -n "__fish_trib_using_subcommand replicate" -l replica -d 'The node to attach (NODE or NODE=DOMAIN): empty, or a member replica to re-point' -r
complete -c trib -n "__fish_trib_using_subcommand replicate" -l timeout -d 'Deadline for each wait (gossip, first sync)' -r
complete -c trib -n "__fish_trib_using_subcommand replicate" -s a -l password -d 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)' -r
complete -c trib -n "__fish_trib_using_subcommand replicate" -l user -d 'ACL user' -r
complete -c trib -n "__fish_trib_using_subcommand replicate" -l cacert -d 'CA bundle (PEM) to verify the nodes\' certificates' -r -F
complete -c trib -n "__fish_trib_using_subcommand replicate" -l cert -d 'Client certificate (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand replicate" -l key -d 'Client private key (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand replicate" -l sni -d 'TLS server name to send and verify' -r
complete -c trib -n "__fish_trib_using_subcommand replicate" -l connect-timeout -d 'Deadline for each connection' -r
complete -c trib -n "__fish_trib_using_subcommand replicate" -l command-timeout -d 'Deadline for each command (MIGRATE and waits have their own)' -r
complete -c trib -n "__fish_trib_using_subcommand replicate" -l dns-server -d 'DNS server to use instead of resolv.conf\'s nameservers' -r
complete -c trib -n "__fish_trib_using_subcommand replicate" -l dns-search -d 'Extra DNS search domain (repeatable)' -r
complete -c trib -n "__fish_trib_using_subcommand replicate" -l domains -d 'Where failure domains come from' -r -f -a "ip\t'The node\'s IP address'
kubernetes-node\t'The Kubernetes node its pod runs on'
kubernetes-zone\t'The zone of that Kubernetes node'"
complete -c trib -n "__fish_trib_using_subcommand replicate" -l kubeconfig -d 'Kubeconfig file(s), `:`-separated [default: in a pod its service account, else ~/.kube/config]' -r
complete -c trib -n "__fish_trib_using_subcommand replicate" -l context -d 'Kubeconfig context to use instead of the current one' -r
complete -c trib -n "__fish_trib_using_subcommand replicate" -l namespace -d 'Namespace searched first for the Redis pods [default: the context\'s, or the pod\'s own]' -r
complete -c trib -n "__fish_trib_using_subcommand replicate" -l kube-exec-timeout -d 'Deadline for a kubeconfig exec credential plugin (kubelogin, aws, gke-gcloud-auth-plugin)' -r
complete -c trib -n "__fish_trib_using_subcommand replicate" -l askpass -d 'Read the password from the terminal'
complete -c trib -n "__fish_trib_using_subcommand replicate" -l tls -d 'Use TLS to every node'
complete -c trib -n "__fish_trib_using_subcommand replicate" -l insecure -d 'Do not verify the nodes\' certificates'
complete -c trib -n "__fish_trib_using_subcommand replicate" -l json -d 'One JSON document on stdout; human output goes to stderr'
complete -c trib -n "__fish_trib_using_subcommand replicate" -s y -l yes -d 'Skip the confirmation prompt'
complete -c trib -n "__fish_trib_using_subcommand replicate" -l dry-run -d 'Compute and print the plan, change nothing'
complete -c trib -n "__fish_trib_using_subcommand replicate" -s v -l verbose -d 'More output on stderr (repeatable)'
complete -c trib -n "__fish_trib_using_subcommand replicate" -s q -l quiet -d 'Less output on stderr'
complete -c trib -n "__fish_trib_using_subcommand replicate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c trib -n "__fish_trib_using_subcommand replicate" -s V -l version -d 'Print version'
complete -c trib -n "__fish_trib_using_subcommand del-node" -l timeout -d 'Deadline for each wait (replica sync, every member forgetting the node)' -r
complete -c trib -n "__fish_trib_using_subcommand del-node" -s a -l password -d 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)' -r
complete -c trib -n "__fish_trib_using_subcommand del-node" -l user -d 'ACL user' -r
complete -c trib -n "__fish_trib_using_subcommand del-node" -l cacert -d 'CA bundle (PEM) to verify the nodes\' certificates' -r -F
complete -c trib -n "__fish_trib_using_subcommand del-node" -l cert -d 'Client certificate (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand del-node" -l key -d 'Client private key (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand del-node" -l sni -d 'TLS server name to send and verify' -r
complete -c trib -n "__fish_trib_using_subcommand del-node" -l connect-timeout -d 'Deadline for each connection' -r
complete -c trib -n "__fish_trib_using_subcommand del-node" -l command-timeout -d 'Deadline for each command (MIGRATE and waits have their own)' -r
complete -c trib -n "__fish_trib_using_subcommand del-node" -l dns-server -d 'DNS server to use instead of resolv.conf\'s nameservers' -r
complete -c trib -n "__fish_trib_using_subcommand del-node" -l dns-search -d 'Extra DNS search domain (repeatable)' -r
complete -c trib -n "__fish_trib_using_subcommand del-node" -l domains -d 'Where failure domains come from' -r -f -a "ip\t'The node\'s IP address'
kubernetes-node\t'The Kubernetes node its pod runs on'
kubernetes-zone\t'The zone of that Kubernetes node'"
complete -c trib -n "__fish_trib_using_subcommand del-node" -l kubeconfig -d 'Kubeconfig file(s), `:`-separated [default: in a pod its service account, else ~/.kube/config]' -r
complete -c trib -n "__fish_trib_using_subcommand del-node" -l context -d 'Kubeconfig context to use instead of the current one' -r
complete -c trib -n "__fish_trib_using_subcommand del-node" -l namespace -d 'Namespace searched first for the Redis pods [default: the context\'s, or the pod\'s own]' -r
complete -c trib -n "__fish_trib_using_subcommand del-node" -l kube-exec-timeout -d 'Deadline for a kubeconfig exec credential plugin (kubelogin, aws, gke-gcloud-auth-plugin)' -r
complete -c trib -n "__fish_trib_using_subcommand del-node" -l askpass -d 'Read the password from the terminal'
complete -c trib -n "__fish_trib_using_subcommand del-node" -l tls -d 'Use TLS to every node'
complete -c trib -n "__fish_trib_using_subcommand del-node" -l insecure -d 'Do not verify the nodes\' certificates'
complete -c trib -n "__fish_trib_using_subcommand del-node" -l json -d 'One JSON document on stdout; human output goes to stderr'
complete -c trib -n "__fish_trib_using_subcommand del-node" -s y -l yes -d 'Skip the confirmation prompt'
complete -c trib -n "__fish_trib_using_subcommand del-node" -l dry-run -d 'Compute and print the plan, change nothing'
complete -c trib -n "__fish_trib_using_subcommand del-node" -s v -l verbose -d 'More output on stderr (repeatable)'
complete -c trib -n "__fish_trib_using_subcommand del-node" -s q -l quiet -d 'Less output on stderr'
complete -c trib -n "__fish_trib_using_subcommand del-node" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c trib -n "__fish_trib_using_subcommand del-node" -s V -l version -d 'Print version'
complete -c trib -n "__fish_trib_using_subcommand failover" -l demote -d 'Move mastership away from MASTER: promote its best replica in its place (a replica already: nothing to do)' -r
complete -c trib -n "__fish_trib_using_subcommand failover" -l entry -d 'Load the cluster from these nodes instead of NODE (repeatable; the first that answers is used)' -r
complete -c trib -n "__fish_trib_using_subcommand failover" -l timeout -d 'Deadline for the roles to switch (per master with --domain)' -r
complete -c trib -n "__fish_trib_using_subcommand failover" -l domain -d 'Fail over every master out of failure domain D (IP by default, or NODE=DOMAIN)' -r
complete -c trib -n "__fish_trib_using_subcommand failover" -s a -l password -d 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)' -r
complete -c trib -n "__fish_trib_using_subcommand failover" -l user -d 'ACL user' -r
complete -c trib -n "__fish_trib_using_subcommand failover" -l cacert -d 'CA bundle (PEM) to verify the nodes\' certificates' -r -F
complete -c trib -n "__fish_trib_using_subcommand failover" -l cert -d 'Client certificate (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand failover" -l key -d 'Client private key (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand failover" -l sni -d 'TLS server name to send and verify' -r
complete -c trib -n "__fish_trib_using_subcommand failover" -l connect-timeout -d 'Deadline for each connection' -r
complete -c trib -n "__fish_trib_using_subcommand failover" -l command-timeout -d 'Deadline for each command (MIGRATE and waits have their own)' -r
complete -c trib -n "__fish_trib_using_subcommand failover" -l dns-server -d 'DNS server to use instead of resolv.conf\'s nameservers' -r
complete -c trib -n "__fish_trib_using_subcommand failover" -l dns-search -d 'Extra DNS search domain (repeatable)' -r
complete -c trib -n "__fish_trib_using_subcommand failover" -l domains -d 'Where failure domains come from' -r -f -a "ip\t'The node\'s IP address'
kubernetes-node\t'The Kubernetes node its pod runs on'
kubernetes-zone\t'The zone of that Kubernetes node'"
complete -c trib -n "__fish_trib_using_subcommand failover" -l kubeconfig -d 'Kubeconfig file(s), `:`-separated [default: in a pod its service account, else ~/.kube/config]' -r
complete -c trib -n "__fish_trib_using_subcommand failover" -l context -d 'Kubeconfig context to use instead of the current one' -r
complete -c trib -n "__fish_trib_using_subcommand failover" -l namespace -d 'Namespace searched first for the Redis pods [default: the context\'s, or the pod\'s own]' -r
complete -c trib -n "__fish_trib_using_subcommand failover" -l kube-exec-timeout -d 'Deadline for a kubeconfig exec credential plugin (kubelogin, aws, gke-gcloud-auth-plugin)' -r
complete -c trib -n "__fish_trib_using_subcommand failover" -l force -d 'The master is down: promote without its agreement (CLUSTER FAILOVER FORCE)'
complete -c trib -n "__fish_trib_using_subcommand failover" -l takeover -d 'Promote without the master and without an election (CLUSTER FAILOVER TAKEOVER)'
complete -c trib -n "__fish_trib_using_subcommand failover" -l askpass -d 'Read the password from the terminal'
complete -c trib -n "__fish_trib_using_subcommand failover" -l tls -d 'Use TLS to every node'
complete -c trib -n "__fish_trib_using_subcommand failover" -l insecure -d 'Do not verify the nodes\' certificates'
complete -c trib -n "__fish_trib_using_subcommand failover" -l json -d 'One JSON document on stdout; human output goes to stderr'
complete -c trib -n "__fish_trib_using_subcommand failover" -s y -l yes -d 'Skip the confirmation prompt'
complete -c trib -n "__fish_trib_using_subcommand failover" -l dry-run -d 'Compute and print the plan, change nothing'
complete -c trib -n "__fish_trib_using_subcommand failover" -s v -l verbose -d 'More output on stderr (repeatable)'
complete -c trib -n "__fish_trib_using_subcommand failover" -s q -l quiet -d 'Less output on stderr'
complete -c trib -n "__fish_trib_using_subcommand failover" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c trib -n "__fish_trib_using_subcommand failover" -s V -l version -d 'Print version'
complete -c trib -n "__fish_trib_using_subcommand call" -s a -l password -d 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)' -r
complete -c trib -n "__fish_trib_using_subcommand call" -l user -d 'ACL user' -r
complete -c trib -n "__fish_trib_using_subcommand call" -l cacert -d 'CA bundle (PEM) to verify the nodes\' certificates' -r -F
complete -c trib -n "__fish_trib_using_subcommand call" -l cert -d 'Client certificate (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand call" -l key -d 'Client private key (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand call" -l sni -d 'TLS server name to send and verify' -r
complete -c trib -n "__fish_trib_using_subcommand call" -l connect-timeout -d 'Deadline for each connection' -r
complete -c trib -n "__fish_trib_using_subcommand call" -l command-timeout -d 'Deadline for each command (MIGRATE and waits have their own)' -r
complete -c trib -n "__fish_trib_using_subcommand call" -l dns-server -d 'DNS server to use instead of resolv.conf\'s nameservers' -r
complete -c trib -n "__fish_trib_using_subcommand call" -l dns-search -d 'Extra DNS search domain (repeatable)' -r
complete -c trib -n "__fish_trib_using_subcommand call" -l domains -d 'Where failure domains come from' -r -f -a "ip\t'The node\'s IP address'
kubernetes-node\t'The Kubernetes node its pod runs on'
kubernetes-zone\t'The zone of that Kubernetes node'"
complete -c trib -n "__fish_trib_using_subcommand call" -l kubeconfig -d 'Kubeconfig file(s), `:`-separated [default: in a pod its service account, else ~/.kube/config]' -r
complete -c trib -n "__fish_trib_using_subcommand call" -l context -d 'Kubeconfig context to use instead of the current one' -r
complete -c trib -n "__fish_trib_using_subcommand call" -l namespace -d 'Namespace searched first for the Redis pods [default: the context\'s, or the pod\'s own]' -r
complete -c trib -n "__fish_trib_using_subcommand call" -l kube-exec-timeout -d 'Deadline for a kubeconfig exec credential plugin (kubelogin, aws, gke-gcloud-auth-plugin)' -r
complete -c trib -n "__fish_trib_using_subcommand call" -l masters -d 'Only masters'
complete -c trib -n "__fish_trib_using_subcommand call" -l replicas -d 'Only replicas'
complete -c trib -n "__fish_trib_using_subcommand call" -l askpass -d 'Read the password from the terminal'
complete -c trib -n "__fish_trib_using_subcommand call" -l tls -d 'Use TLS to every node'
complete -c trib -n "__fish_trib_using_subcommand call" -l insecure -d 'Do not verify the nodes\' certificates'
complete -c trib -n "__fish_trib_using_subcommand call" -l json -d 'One JSON document on stdout; human output goes to stderr'
complete -c trib -n "__fish_trib_using_subcommand call" -s y -l yes -d 'Skip the confirmation prompt'
complete -c trib -n "__fish_trib_using_subcommand call" -l dry-run -d 'Compute and print the plan, change nothing'
complete -c trib -n "__fish_trib_using_subcommand call" -s v -l verbose -d 'More output on stderr (repeatable)'
complete -c trib -n "__fish_trib_using_subcommand call" -s q -l quiet -d 'Less output on stderr'
complete -c trib -n "__fish_trib_using_subcommand call" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c trib -n "__fish_trib_using_subcommand call" -s V -l version -d 'Print version'
complete -c trib -n "__fish_trib_using_subcommand set-timeout" -s a -l password -d 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)' -r
complete -c trib -n "__fish_trib_using_subcommand set-timeout" -l user -d 'ACL user' -r
complete -c trib -n "__fish_trib_using_subcommand set-timeout" -l cacert -d 'CA bundle (PEM) to verify the nodes\' certificates' -r -F
complete -c trib -n "__fish_trib_using_subcommand set-timeout" -l cert -d 'Client certificate (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand set-timeout" -l key -d 'Client private key (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand set-timeout" -l sni -d 'TLS server name to send and verify' -r
complete -c trib -n "__fish_trib_using_subcommand set-timeout" -l connect-timeout -d 'Deadline for each connection' -r
complete -c trib -n "__fish_trib_using_subcommand set-timeout" -l command-timeout -d 'Deadline for each command (MIGRATE and waits have their own)' -r
complete -c trib -n "__fish_trib_using_subcommand set-timeout" -l dns-server -d 'DNS server to use instead of resolv.conf\'s nameservers' -r
complete -c trib -n "__fish_trib_using_subcommand set-timeout" -l dns-search -d 'Extra DNS search domain (repeatable)' -r
complete -c trib -n "__fish_trib_using_subcommand set-timeout" -l domains -d 'Where failure domains come from' -r -f -a "ip\t'The node\'s IP address'
kubernetes-node\t'The Kubernetes node its pod runs on'
kubernetes-zone\t'The zone of that Kubernetes node'"
complete -c trib -n "__fish_trib_using_subcommand set-timeout" -l kubeconfig -d 'Kubeconfig file(s), `:`-separated [default: in a pod its service account, else ~/.kube/config]' -r
complete -c trib -n "__fish_trib_using_subcommand set-timeout" -l context -d 'Kubeconfig context to use instead of the current one' -r
complete -c trib -n "__fish_trib_using_subcommand set-timeout" -l namespace -d 'Namespace searched first for the Redis pods [default: the context\'s, or the pod\'s own]' -r
complete -c trib -n "__fish_trib_using_subcommand set-timeout" -l kube-exec-timeout -d 'Deadline for a kubeconfig exec credential plugin (kubelogin, aws, gke-gcloud-auth-plugin)' -r
complete -c trib -n "__fish_trib_using_subcommand set-timeout" -l askpass -d 'Read the password from the terminal'
complete -c trib -n "__fish_trib_using_subcommand set-timeout" -l tls -d 'Use TLS to every node'
complete -c trib -n "__fish_trib_using_subcommand set-timeout" -l insecure -d 'Do not verify the nodes\' certificates'
complete -c trib -n "__fish_trib_using_subcommand set-timeout" -l json -d 'One JSON document on stdout; human output goes to stderr'
complete -c trib -n "__fish_trib_using_subcommand set-timeout" -s y -l yes -d 'Skip the confirmation prompt'
complete -c trib -n "__fish_trib_using_subcommand set-timeout" -l dry-run -d 'Compute and print the plan, change nothing'
complete -c trib -n "__fish_trib_using_subcommand set-timeout" -s v -l verbose -d 'More output on stderr (repeatable)'
complete -c trib -n "__fish_trib_using_subcommand set-timeout" -s q -l quiet -d 'Less output on stderr'
complete -c trib -n "__fish_trib_using_subcommand set-timeout" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c trib -n "__fish_trib_using_subcommand set-timeout" -s V -l version -d 'Print version'
complete -c trib -n "__fish_trib_using_subcommand import" -l from -d 'The standalone Redis to take the keys from (a master, not a cluster node)' -r
complete -c trib -n "__fish_trib_using_subcommand import" -l from-user -d 'ACL user on the source' -r
complete -c trib -n "__fish_trib_using_subcommand import" -l from-password -d 'Password of the source (prefer TRIB_FROM_PASSWORD: the process list shows it)' -r
complete -c trib -n "__fish_trib_using_subcommand import" -l pipeline -d 'Keys per MIGRATE batch (and SCAN COUNT)' -r
complete -c trib -n "__fish_trib_using_subcommand import" -l migrate-timeout -d 'Timeout of each MIGRATE (the source\'s I/O with a master)' -r
complete -c trib -n "__fish_trib_using_subcommand import" -s a -l password -d 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)' -r
complete -c trib -n "__fish_trib_using_subcommand import" -l user -d 'ACL user' -r
complete -c trib -n "__fish_trib_using_subcommand import" -l cacert -d 'CA bundle (PEM) to verify the nodes\' certificates' -r -F
complete -c trib -n "__fish_trib_using_subcommand import" -l cert -d 'Client certificate (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand import" -l key -d 'Client private key (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand import" -l sni -d 'TLS server name to send and verify' -r
complete -c trib -n "__fish_trib_using_subcommand import" -l connect-timeout -d 'Deadline for each connection' -r
complete -c trib -n "__fish_trib_using_subcommand import" -l command-timeout -d 'Deadline for each command (MIGRATE and waits have their own)' -r
complete -c trib -n "__fish_trib_using_subcommand import" -l dns-server -d 'DNS server to use instead of resolv.conf\'s nameservers' -r
complete -c trib -n "__fish_trib_using_subcommand import" -l dns-search -d 'Extra DNS search domain (repeatable)' -r
complete -c trib -n "__fish_trib_using_subcommand import" -l domains -d 'Where failure domains come from' -r -f -a "ip\t'The node\'s IP address'
kubernetes-node\t'The Kubernetes node its pod runs on'
kubernetes-zone\t'The zone of that Kubernetes node'"
complete -c trib -n "__fish_trib_using_subcommand import" -l kubeconfig -d 'Kubeconfig file(s), `:`-separated [default: in a pod its service account, else ~/.kube/config]' -r
complete -c trib -n "__fish_trib_using_subcommand import" -l context -d 'Kubeconfig context to use instead of the current one' -r
complete -c trib -n "__fish_trib_using_subcommand import" -l namespace -d 'Namespace searched first for the Redis pods [default: the context\'s, or the pod\'s own]' -r
complete -c trib -n "__fish_trib_using_subcommand import" -l kube-exec-timeout -d 'Deadline for a kubeconfig exec credential plugin (kubelogin, aws, gke-gcloud-auth-plugin)' -r
complete -c trib -n "__fish_trib_using_subcommand import" -l copy -d 'Copy the keys: leave them on the source'
complete -c trib -n "__fish_trib_using_subcommand import" -l replace -d 'Overwrite keys that already exist in the cluster with other values'
complete -c trib -n "__fish_trib_using_subcommand import" -l askpass -d 'Read the password from the terminal'
complete -c trib -n "__fish_trib_using_subcommand import" -l tls -d 'Use TLS to every node'
complete -c trib -n "__fish_trib_using_subcommand import" -l insecure -d 'Do not verify the nodes\' certificates'
complete -c trib -n "__fish_trib_using_subcommand import" -l json -d 'One JSON document on stdout; human output goes to stderr'
complete -c trib -n "__fish_trib_using_subcommand import" -s y -l yes -d 'Skip the confirmation prompt'
complete -c trib -n "__fish_trib_using_subcommand import" -l dry-run -d 'Compute and print the plan, change nothing'
complete -c trib -n "__fish_trib_using_subcommand import" -s v -l verbose -d 'More output on stderr (repeatable)'
complete -c trib -n "__fish_trib_using_subcommand import" -s q -l quiet -d 'Less output on stderr'
complete -c trib -n "__fish_trib_using_subcommand import" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c trib -n "__fish_trib_using_subcommand import" -s V -l version -d 'Print version'
complete -c trib -n "__fish_trib_using_subcommand backup" -l idle-timeout -d 'Longest silence from a master while it prepares or sends its snapshot' -r
complete -c trib -n "__fish_trib_using_subcommand backup" -s a -l password -d 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)' -r
complete -c trib -n "__fish_trib_using_subcommand backup" -l user -d 'ACL user' -r
complete -c trib -n "__fish_trib_using_subcommand backup" -l cacert -d 'CA bundle (PEM) to verify the nodes\' certificates' -r -F
complete -c trib -n "__fish_trib_using_subcommand backup" -l cert -d 'Client certificate (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand backup" -l key -d 'Client private key (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand backup" -l sni -d 'TLS server name to send and verify' -r
complete -c trib -n "__fish_trib_using_subcommand backup" -l connect-timeout -d 'Deadline for each connection' -r
complete -c trib -n "__fish_trib_using_subcommand backup" -l command-timeout -d 'Deadline for each command (MIGRATE and waits have their own)' -r
complete -c trib -n "__fish_trib_using_subcommand backup" -l dns-server -d 'DNS server to use instead of resolv.conf\'s nameservers' -r
complete -c trib -n "__fish_trib_using_subcommand backup" -l dns-search -d 'Extra DNS search domain (repeatable)' -r
complete -c trib -n "__fish_trib_using_subcommand backup" -l domains -d 'Where failure domains come from' -r -f -a "ip\t'The node\'s IP address'
kubernetes-node\t'The Kubernetes node its pod runs on'
kubernetes-zone\t'The zone of that Kubernetes node'"
complete -c trib -n "__fish_trib_using_subcommand backup" -l kubeconfig -d 'Kubeconfig file(s), `:`-separated [default: in a pod its service account, else ~/.kube/config]' -r
complete -c trib -n "__fish_trib_using_subcommand backup" -l context -d 'Kubeconfig context to use instead of the current one' -r
complete -c trib -n "__fish_trib_using_subcommand backup" -l namespace -d 'Namespace searched first for the Redis pods [default: the context\'s, or the pod\'s own]' -r
complete -c trib -n "__fish_trib_using_subcommand backup" -l kube-exec-timeout -d 'Deadline for a kubeconfig exec credential plugin (kubelogin, aws, gke-gcloud-auth-plugin)' -r
complete -c trib -n "__fish_trib_using_subcommand backup" -l askpass -d 'Read the password from the terminal'
complete -c trib -n "__fish_trib_using_subcommand backup" -l tls -d 'Use TLS to every node'
complete -c trib -n "__fish_trib_using_subcommand backup" -l insecure -d 'Do not verify the nodes\' certificates'
complete -c trib -n "__fish_trib_using_subcommand backup" -l json -d 'One JSON document on stdout; human output goes to stderr'
complete -c trib -n "__fish_trib_using_subcommand backup" -s y -l yes -d 'Skip the confirmation prompt'
complete -c trib -n "__fish_trib_using_subcommand backup" -l dry-run -d 'Compute and print the plan, change nothing'
complete -c trib -n "__fish_trib_using_subcommand backup" -s v -l verbose -d 'More output on stderr (repeatable)'
complete -c trib -n "__fish_trib_using_subcommand backup" -s q -l quiet -d 'Less output on stderr'
complete -c trib -n "__fish_trib_using_subcommand backup" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c trib -n "__fish_trib_using_subcommand backup" -s V -l version -d 'Print version'
complete -c trib -n "__fish_trib_using_subcommand install" -s a -l password -d 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)' -r
complete -c trib -n "__fish_trib_using_subcommand install" -l user -d 'ACL user' -r
complete -c trib -n "__fish_trib_using_subcommand install" -l cacert -d 'CA bundle (PEM) to verify the nodes\' certificates' -r -F
complete -c trib -n "__fish_trib_using_subcommand install" -l cert -d 'Client certificate (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand install" -l key -d 'Client private key (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand install" -l sni -d 'TLS server name to send and verify' -r
complete -c trib -n "__fish_trib_using_subcommand install" -l connect-timeout -d 'Deadline for each connection' -r
complete -c trib -n "__fish_trib_using_subcommand install" -l command-timeout -d 'Deadline for each command (MIGRATE and waits have their own)' -r
complete -c trib -n "__fish_trib_using_subcommand install" -l dns-server -d 'DNS server to use instead of resolv.conf\'s nameservers' -r
complete -c trib -n "__fish_trib_using_subcommand install" -l dns-search -d 'Extra DNS search domain (repeatable)' -r
complete -c trib -n "__fish_trib_using_subcommand install" -l domains -d 'Where failure domains come from' -r -f -a "ip\t'The node\'s IP address'
kubernetes-node\t'The Kubernetes node its pod runs on'
kubernetes-zone\t'The zone of that Kubernetes node'"
complete -c trib -n "__fish_trib_using_subcommand install" -l kubeconfig -d 'Kubeconfig file(s), `:`-separated [default: in a pod its service account, else ~/.kube/config]' -r
complete -c trib -n "__fish_trib_using_subcommand install" -l context -d 'Kubeconfig context to use instead of the current one' -r
complete -c trib -n "__fish_trib_using_subcommand install" -l namespace -d 'Namespace searched first for the Redis pods [default: the context\'s, or the pod\'s own]' -r
complete -c trib -n "__fish_trib_using_subcommand install" -l kube-exec-timeout -d 'Deadline for a kubeconfig exec credential plugin (kubelogin, aws, gke-gcloud-auth-plugin)' -r
complete -c trib -n "__fish_trib_using_subcommand install" -l askpass -d 'Read the password from the terminal'
complete -c trib -n "__fish_trib_using_subcommand install" -l tls -d 'Use TLS to every node'
complete -c trib -n "__fish_trib_using_subcommand install" -l insecure -d 'Do not verify the nodes\' certificates'
complete -c trib -n "__fish_trib_using_subcommand install" -l json -d 'One JSON document on stdout; human output goes to stderr'
complete -c trib -n "__fish_trib_using_subcommand install" -s y -l yes -d 'Skip the confirmation prompt'
complete -c trib -n "__fish_trib_using_subcommand install" -l dry-run -d 'Compute and print the plan, change nothing'
complete -c trib -n "__fish_trib_using_subcommand install" -s v -l verbose -d 'More output on stderr (repeatable)'
complete -c trib -n "__fish_trib_using_subcommand install" -s q -l quiet -d 'Less output on stderr'
complete -c trib -n "__fish_trib_using_subcommand install" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c trib -n "__fish_trib_using_subcommand install" -s V -l version -d 'Print version'
complete -c trib -n "__fish_trib_using_subcommand completions" -s a -l password -d 'AUTH password (prefer REDISCLI_AUTH or --askpass: the process list shows -a)' -r
complete -c trib -n "__fish_trib_using_subcommand completions" -l user -d 'ACL user' -r
complete -c trib -n "__fish_trib_using_subcommand completions" -l cacert -d 'CA bundle (PEM) to verify the nodes\' certificates' -r -F
complete -c trib -n "__fish_trib_using_subcommand completions" -l cert -d 'Client certificate (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand completions" -l key -d 'Client private key (PEM)' -r -F
complete -c trib -n "__fish_trib_using_subcommand completions" -l sni -d 'TLS server name to send and verify' -r
complete -c trib -n "__fish_trib_using_subcommand completions" -l connect-timeout -d 'Deadline for each connection' -r
complete -c trib -n "__fish_trib_using_subcommand completions" -l command-timeout -d 'Deadline for each command (MIGRATE and waits have their own)' -r
complete -c trib -n "__fish_trib_using_subcommand completions" -l dns-server -d 'DNS server to use instead of resolv.conf\'s nameservers' -r
complete -c trib -n "__fish_trib_using_subcommand completions" -l dns-search -d 'Extra DNS search domain (repeatable)' -r
complete -c trib -n "__fish_trib_using_subcommand completions" -l domains -d 'Where failure domains come from' -r -f -a "ip\t'The node\'s IP address'
kubernetes-node\t'The Kubernetes node its pod runs on'
kubernetes-zone\t'The zone of that Kubernetes node'"
complete -c trib -n "__fish_trib_using_subcommand completions" -l kubeconfig -d 'Kubeconfig file(s), `:`-separated [default: in a pod its service account, else ~/.kube/config]' -r
complete -c trib -n "__fish_trib_using_subcommand completions" -l context -d 'Kubeconfig context to use instead of the current one' -r
complete -c trib -n "__fish_trib_using_subcommand completions" -l namespace -d 'Namespace searched first for the Redis pods [default: the context\'s, or the pod\'s own]' -r
complete -c trib -n "__fish_trib_using_subcommand completions" -l kube-exec-timeout -d 'Deadline for a kubeconfig exec credential plugin (kubelogin, aws, gke-gcloud-auth-plugin)' -r
complete -c trib -n "__fish_trib_using_subcommand completions" -l askpass -d 'Read the password from the terminal'
complete -c trib -n "__fish_trib_using_subcommand completions" -l tls -d 'Use TLS to every node'
complete -c trib -n "__fish_trib_using_subcommand completions" -l insecure -d 'Do not verify the nodes\' certificates'
complete -c trib -n "__fish_trib_using_subcommand completions" -l json -d 'One JSON document on stdout; human output goes to stderr'
complete -c trib -n "__fish_trib_using_subcommand completions" -s y -l yes -d 'Skip the confirmation prompt'
complete -c trib -n "__fish_trib_using_subcommand completions" -l dry-run -d 'Compute and print the plan, change nothing'
complete -c trib -n "__fish_trib_using_subcommand completions" -s v -l verbose -d 'More output on stderr (repeatable)'
complete -c trib -n "__fish_trib_using_subcommand completions" -s q -l quiet -d 'Less output on stderr'
complete -c trib -n "__fish_trib_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c trib -n "__fish_trib_using_subcommand completions" -s V -l version -d 'Print version'
complete -c trib -n "__fish_trib_using_subcommand help; and not __fish_seen_subcommand_from create apply check info fix reshard rebalance add-node replicate del-node failover call set-timeout import backup install completions help" -f -a "create" -d 'Create a cluster: plan slots and anti-affine placement, confirm, apply, verify'
complete -c trib -n "__fish_trib_using_subcommand help; and not __fish_seen_subcommand_from create apply check info fix reshard rebalance add-node replicate del-node failover call set-timeout import backup install completions help" -f -a "apply" -d 'Make the cluster consist of exactly these nodes: create, join, rebalance, re-form, prune'
complete -c trib -n "__fish_trib_using_subcommand help; and not __fish_seen_subcommand_from create apply check info fix reshard rebalance add-node replicate del-node failover call set-timeout import backup install completions help" -f -a "check" -d 'Check a cluster\'s health (exit 1 on problems)'
complete -c trib -n "__fish_trib_using_subcommand help; and not __fish_seen_subcommand_from create apply check info fix reshard rebalance add-node replicate del-node failover call set-timeout import backup install completions help" -f -a "info" -d 'Show masters, replicas, slots, keys, memory and resilience'
complete -c trib -n "__fish_trib_using_subcommand help; and not __fish_seen_subcommand_from create apply check info fix reshard rebalance add-node replicate del-node failover call set-timeout import backup install completions help" -f -a "fix" -d 'Repair open slots, uncovered slots and moved nodes'
complete -c trib -n "__fish_trib_using_subcommand help; and not __fish_seen_subcommand_from create apply check info fix reshard rebalance add-node replicate del-node failover call set-timeout import backup install completions help" -f -a "reshard" -d 'Move slots and their keys between masters'
complete -c trib -n "__fish_trib_using_subcommand help; and not __fish_seen_subcommand_from create apply check info fix reshard rebalance add-node replicate del-node failover call set-timeout import backup install completions help" -f -a "rebalance" -d 'Move slots so each master\'s share matches its weight'
complete -c trib -n "__fish_trib_using_subcommand help; and not __fish_seen_subcommand_from create apply check info fix reshard rebalance add-node replicate del-node failover call set-timeout import backup install completions help" -f -a "add-node" -d 'Add an empty node as master or replica'
complete -c trib -n "__fish_trib_using_subcommand help; and not __fish_seen_subcommand_from create apply check info fix reshard rebalance add-node replicate del-node failover call set-timeout import backup install completions help" -f -a "replicate" -d 'Attach a node as replica of a master'
complete -c trib -n "__fish_trib_using_subcommand help; and not __fish_seen_subcommand_from create apply check info fix reshard rebalance add-node replicate del-node failover call set-timeout import backup install completions help" -f -a "del-node" -d 'Remove a node from the cluster'
complete -c trib -n "__fish_trib_using_subcommand help; and not __fish_seen_subcommand_from create apply check info fix reshard rebalance add-node replicate del-node failover call set-timeout import backup install completions help" -f -a "failover" -d 'Make a node a master (promote a replica), or --demote a master'
complete -c trib -n "__fish_trib_using_subcommand help; and not __fish_seen_subcommand_from create apply check info fix reshard rebalance add-node replicate del-node failover call set-timeout import backup install completions help" -f -a "call" -d 'Run a command on every node'
complete -c trib -n "__fish_trib_using_subcommand help; and not __fish_seen_subcommand_from create apply check info fix reshard rebalance add-node replicate del-node failover call set-timeout import backup install completions help" -f -a "set-timeout" -d 'Set cluster-node-timeout everywhere and persist it'
complete -c trib -n "__fish_trib_using_subcommand help; and not __fish_seen_subcommand_from create apply check info fix reshard rebalance add-node replicate del-node failover call set-timeout import backup install completions help" -f -a "import" -d 'Move or copy every key of a standalone Redis into the cluster'
complete -c trib -n "__fish_trib_using_subcommand help; and not __fish_seen_subcommand_from create apply check info fix reshard rebalance add-node replicate del-node failover call set-timeout import backup install completions help" -f -a "backup" -d 'Write an RDB per master and the cluster layout'
complete -c trib -n "__fish_trib_using_subcommand help; and not __fish_seen_subcommand_from create apply check info fix reshard rebalance add-node replicate del-node failover call set-timeout import backup install completions help" -f -a "install" -d 'Copy this binary into DIR (an init container hands trib to the Redis container)'
complete -c trib -n "__fish_trib_using_subcommand help; and not __fish_seen_subcommand_from create apply check info fix reshard rebalance add-node replicate del-node failover call set-timeout import backup install completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c trib -n "__fish_trib_using_subcommand help; and not __fish_seen_subcommand_from create apply check info fix reshard rebalance add-node replicate del-node failover call set-timeout import backup install completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
