# otp.sh -- real OTP nodes for the integration tests, sourced by their scripts.
#
# OTP 25 is Debian bookworm's erlang-nox, installed on the machine itself.
# OTP 27 and OTP 29 live in Debian trixie and sid chroots made with
# debootstrap, created once and kept in $EDIST_CHROOT_CACHE (default
# /var/cache/edist/chroot), outside the source tree. A chroot shares the
# loopback network with the machine, so nodes in it are reachable at
# 127.0.0.1.
#
#   otp_prepare REL        make release REL (25, 27, 29) runnable, or fail
#   otp_root REL           "" for 25, the chroot's directory otherwise
#   otp_run REL CMD ARGS   run CMD (erl, escript, elixir...) of release REL
#   otp_workdir REL        a fresh directory both sides can see; prints
#                          the host path (inside the chroot it is the same
#                          path with $(otp_root REL) cut off)

EDIST_CHROOT_CACHE=${EDIST_CHROOT_CACHE:-/var/cache/edist/chroot}

otp_suite() {
    case $1 in
        25) echo "" ;;
        27) echo trixie ;;
        29) echo sid ;;
        *) echo "unknown OTP release '$1' (25, 27 or 29)" >&2; return 1 ;;
    esac
}

otp_root() {
    local suite
    suite=$(otp_suite "$1") || return 1
    [ -z "$suite" ] && { echo ""; return 0; }
    echo "$EDIST_CHROOT_CACHE/$suite"
}

# The Debian mirror this machine uses, for debootstrap.
otp_mirror() {
    local m
    m=$(grep -rhoE '^(deb|URIs:)[^#]*https?://[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
        | grep -oE 'https?://[^ ]+' | head -n 1)
    echo "${m:-http://deb.debian.org/debian}"
}

otp_prepare() {
    local rel=$1 root suite
    suite=$(otp_suite "$rel") || return 1
    if [ -z "$suite" ]; then
        command -v erl >/dev/null && return 0
        echo "OTP 25 missing: apt-get install erlang-nox" >&2
        return 1
    fi
    root=$(otp_root "$rel")
    if [ ! -x "$root/usr/bin/erl" ]; then
        if [ "$(id -u)" != 0 ] || ! command -v debootstrap >/dev/null; then
            echo "OTP $rel needs a $suite chroot: run as root with debootstrap installed" >&2
            return 1
        fi
        echo "creating the OTP $rel chroot ($suite) in $root ..." >&2
        mkdir -p "$EDIST_CHROOT_CACHE"
        rm -rf "$root.tmp"
        debootstrap --variant=minbase --include=erlang-base "$suite" "$root.tmp" "$(otp_mirror)" \
            >"$EDIST_CHROOT_CACHE/$suite.log" 2>&1 || {
            echo "debootstrap $suite failed; see $EDIST_CHROOT_CACHE/$suite.log" >&2
            return 1
        }
        mv "$root.tmp" "$root"
    fi
    # Elixir, where the suite has it (best effort: the Elixir checks are
    # skipped, and say so, where it is missing).
    if [ ! -x "$root/usr/bin/elixir" ] && [ "$(id -u)" = 0 ]; then
        chroot "$root" apt-get -o Acquire::Check-Valid-Until=false update -qq >/dev/null 2>&1
        chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq elixir \
            >>"$EDIST_CHROOT_CACHE/$suite.log" 2>&1 || true
    fi
    [ -x "$root/usr/bin/erl" ]
}

otp_run() {
    local rel=$1 root
    shift
    root=$(otp_root "$rel") || return 1
    if [ -z "$root" ]; then
        "$@"
    else
        chroot "$root" "$@"
    fi
}

otp_workdir() {
    local root
    root=$(otp_root "$1") || return 1
    mkdir -p "$root/tmp"
    mktemp -d "$root/tmp/edist-test.XXXXXX"
}
