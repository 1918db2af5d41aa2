# hosts.sh - the hosts named by -S LIST or --sshloginfile FILE (GNU parallel's --sshlogin
# and --sshloginfile), for the pipelines that send work to other machines (parallel,
# crossval). Sourced by them, never run; they define die and usage_error.

# read_hosts SSHLOGIN SSHLOGINFILE HINT: sets the array hosts, one login each (empty when
# neither is given). ':' (this machine) is refused with HINT: it cannot share the hosts'
# work directories.
read_hosts() {
    hosts=()
    if [ -n "$1" ]; then
        IFS=, read -r -a hosts <<<"$1"
    elif [ -n "$2" ]; then
        while IFS= read -r line; do
            [[ $line =~ ^[[:space:]]*(#|$) ]] || hosts+=("$line")
        done <"$2"
        [ ${#hosts[@]} -gt 0 ] || die "$2 names no hosts"
    fi
    for h in ${hosts[@]+"${hosts[@]}"}; do
        [[ ${h##*/} != : ]] || usage_error "':' (this machine) cannot be one of the -S hosts: $3"
    done
}

# host_envs: sets the array host_envs to parallel's --env for every BLAS and OpenMP setting
# made here, so that the hosts compute with the kernels this machine would use.
host_envs() {
    host_envs=()
    for v in $(compgen -e | grep -E '^(OPENBLAS_|OMP_|GOTO_)' || true); do host_envs+=(--env "$v"); done
}
