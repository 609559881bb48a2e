# node.sh -- an epmd and real nodes of one OTP release, for integration
# tests; sourced after otp.sh.
#
# Everything listens on loopback only. Each test starts its own epmd on a
# free port and its own nodes with unique names, records the pid of every
# process it starts, and node_cleanup (run it from an EXIT trap) stops
# exactly those, by pid. `chroot DIR cmd` and `erl` exec their program, so
# the pid of the background job is the pid of epmd or of the BEAM itself.
#
#   node_free_port          a TCP port free on 127.0.0.1 right now
#   node_epmd_start REL     start epmd of release REL on a free port;
#                           sets EPMD_PORT (export ERL_EPMD_PORT for edist)
#   node_start REL NAME COOKIE [ERL_ARGS...]
#                           start a node (-name NAME if NAME has a dot or
#                           an IP after @, else -sname), registered at
#                           our epmd, distribution on 127.0.0.1 only; waits
#                           until epmd knows it; prints nothing
#   node_eval REL NAME COOKIE EXPR
#                           evaluate EXPR on node NAME from a fresh hidden
#                           node and print the result with ~tp (erl_call
#                           is not in every release's erlang-base)
#   node_unique NAME        NAME with a suffix unique to this run
#   node_cleanup            kill every process started here
#
# Variables: EPMD_PORT, NODE_PIDS (the pids started).

NODE_PIDS=${NODE_PIDS:-}

node_free_port() {
    local p
    for _ in $(seq 1 50); do
        # Below Linux's ephemeral range (32768 and up by default), where
        # an outgoing connection's local port, which no connect can see,
        # would make the bind fail.
        p=$((20000 + RANDOM % 12000))
        # Nothing answers on it now (a refused connect means free).
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

node_unique() {
    echo "${1}_$$_${RANDOM}"
}

node_epmd_start() {
    local rel=$1 i try pid
    # A port free when looked at may be taken before epmd binds it: then
    # epmd exits, and another port is tried.
    for try in 1 2 3 4 5; do
        EPMD_PORT=$(node_free_port) || return 1
        node_exec "$rel" epmd -port "$EPMD_PORT" -address 127.0.0.1 >/dev/null 2>&1 &
        pid=$!
        NODE_PIDS="$NODE_PIDS $pid"
        for i in $(seq 1 100); do
            (exec 3<>"/dev/tcp/127.0.0.1/$EPMD_PORT") 2>/dev/null && return 0
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
        kill "$pid" 2>/dev/null
    done
    echo "epmd of OTP $rel did not start on port $EPMD_PORT (5 ports tried)" >&2
    return 1
}

# Runs CMD of release REL in place of this (sub)shell, so that `node_exec
# ... &` leaves the program's own pid in $!: chroot, env, the erl script
# and erlexec each exec the next.
node_exec() {
    local root
    root=$(otp_root "$1") || return 1
    shift
    if [ -z "$root" ]; then
        exec "$@"
    else
        exec chroot "$root" "$@"
    fi
}

# The name option for a node name: long names have a dot or an address
# after the @.
node_name_opt() {
    case $1 in
        *@*.*|*@*:*) echo -name ;;
        *) echo -sname ;;
    esac
}

node_start() {
    local rel=$1 name=$2 cookie=$3 i
    shift 3
    node_exec "$rel" env ERL_EPMD_PORT="$EPMD_PORT" HOME=/tmp \
        erl -noshell -noinput "$(node_name_opt "$name")" "$name" \
        -setcookie "$cookie" -kernel inet_dist_use_interface '{127,0,0,1}' \
        "$@" >/dev/null 2>&1 &
    NODE_PIDS="$NODE_PIDS $!"
    local short=${name%@*}
    for i in $(seq 1 200); do
        if otp_run "$rel" env ERL_EPMD_PORT="$EPMD_PORT" epmd -names 2>/dev/null |
               grep -q "^name $short at port"; then
            return 0
        fi
        sleep 0.05
    done
    echo "node $name of OTP $rel did not register with epmd" >&2
    return 1
}

node_eval() {
    local rel=$1 name=$2 cookie=$3 expr=$4 me
    me=$(node_unique ev)
    case $name in *@*) ;; *) name=$name@$(hostname -s) ;; esac
    case $name in *@*.*|*@*:*) me=$me@127.0.0.1 ;; esac
    otp_run "$rel" env ERL_EPMD_PORT="$EPMD_PORT" HOME=/tmp \
        erl -noshell -noinput -hidden "$(node_name_opt "$name")" "$me" \
        -setcookie "$cookie" -kernel inet_dist_use_interface '{127,0,0,1}' \
        -eval "R = rpc:call('$name', erlang, apply,
                   [fun() -> $expr end, []], 10000),
               io:format(\"~tp~n\", [R]), halt()."
}

node_cleanup() {
    local p
    for p in $NODE_PIDS; do
        kill "$p" 2>/dev/null || true
    done
    for p in $NODE_PIDS; do
        wait "$p" 2>/dev/null || true
    done
    NODE_PIDS=
    return 0
}
