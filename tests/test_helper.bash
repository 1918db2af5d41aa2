# Shared by every tests/*.bats: programs from bin/, fixtures and samples paths.
bats_require_minimum_version 1.5.0
TOP="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
PATH="${FM_BIN:-$TOP/bin}:$PATH"
FIX="$TOP/tests/fixtures"
SAMPLES="$TOP/samples"
export LC_ALL=C

# Starts sshd on a free port with throwaway keys kept in DIR/ssh; sets LOGIN1, LOGIN2 (two
# "hosts": 127.0.0.1 and localhost, both this sshd) and SSHD_PID; stop_sshd stops it.
# A real sshd: the tests of work sent to other hosts (pipelines/parallel, crossval -S).
start_sshd() { # DIR
    local sshd
    sshd=$(command -v sshd || echo /usr/sbin/sshd)
    [ -x "$sshd" ] || skip "sshd is not installed (Debian package openssh-server)"
    command -v ssh >/dev/null || skip "ssh is not installed (Debian package openssh-client)"
    command -v rsync >/dev/null || skip "rsync is not installed (GNU parallel needs it to send files)"
    local k="$1/ssh" port user
    mkdir "$k"
    ssh-keygen -q -t ed25519 -N '' -f "$k/host_key"
    ssh-keygen -q -t ed25519 -N '' -f "$k/client_key"
    cp "$k/client_key.pub" "$k/authorized_keys"
    # The sessions' HOME is an empty directory: the "hosts" start without the profile of
    # whoever runs the tests (a ~/.bashrc that takes seconds would be paid per ssh session).
    # They still work in the login directory (~ of the user), as on a real host.
    mkdir "$k/home"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    user=$(id -un)
    cat >"$k/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $k/host_key
PermitRootLogin prohibit-password
AuthorizedKeysFile $k/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PidFile $k/sshd.pid
SetEnv HOME=$k/home
EOF
    [ "$(id -u)" != 0 ] || mkdir -p /run/sshd # its privilege-separation directory
    "$sshd" -D -f "$k/sshd_config" -E "$k/sshd.log" </dev/null >/dev/null 2>&1 3>&- &
    SSHD_PID=$!
    local ssh_cmd="ssh -p $port -i $k/client_key -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR"
    LOGIN1="$ssh_cmd $user@127.0.0.1"
    LOGIN2="$ssh_cmd -4 $user@localhost"
    for _ in $(seq 50); do
        $LOGIN1 true 2>/dev/null && return 0
        sleep 0.1
    done
    false # sshd did not come up
}

stop_sshd() {
    if [ -n "${SSHD_PID-}" ]; then
        kill "$SSHD_PID" 2>/dev/null || true
        wait "$SSHD_PID" 2>/dev/null || true
    fi
}
