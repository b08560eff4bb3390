# Shared helpers for cloud/local/{up,down,status,rsh}. Sourced, not run.
# shellcheck shell=bash disable=SC2034 # the variables are for the scripts that source this

BS_PREFIX=bs-
BS_BRIDGE=bs-br0
BS_NS_PREFIX=bs-host          # namespaces bs-host1 .. bs-hostN
BS_VETH_PREFIX=bs-veth        # root-side ends bs-veth1 .. (the other end is eth0 inside)
BS_DEFAULT_SUBNET=10.77.0.0/24
BS_HOST_OFFSET=10             # host K gets network + 10 + K (.11, .12, ...)

bs_cloud_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BS_STATE_DIR=${BS_STATE_DIR:-$bs_cloud_dir/state}
BS_ENV_FILE=$BS_STATE_DIR/local.env
BS_HOSTFILE=$BS_STATE_DIR/hostfile

bs_die() { echo "cloud/local/${0##*/}: $*" >&2; exit 1; }

bs_need_ip() {
    command -v ip >/dev/null 2>&1 ||
        bs_die "the 'ip' command (iproute2) is missing: apt-get install iproute2"
}

# a.b.c.d -> integer
bs_ip2int() {
    local IFS=. a b c d
    read -r a b c d <<<"$1"
    echo $(( (a << 24) | (b << 16) | (c << 8) | d ))
}

bs_int2ip() {
    local n=$1
    echo "$(( (n >> 24) & 255 )).$(( (n >> 16) & 255 )).$(( (n >> 8) & 255 )).$(( n & 255 ))"
}

bs_valid_ip() {
    local ip=$1 IFS=. o
    [[ $ip =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || return 1
    for o in $ip; do [ "$o" -le 255 ] || return 1; done
}

# Parse CIDR into globals: bs_net (int, masked), bs_plen, bs_size.
bs_parse_cidr() {
    local cidr=$1 addr plen
    addr=${cidr%/*}
    plen=${cidr#*/}
    if ! { [[ $cidr == */* ]] && bs_valid_ip "$addr" && [[ $plen =~ ^[0-9]{1,2}$ ]] &&
        [ "$plen" -le 30 ]; }; then
        bs_die "bad subnet '$cidr': want an IPv4 CIDR such as 10.77.0.0/24 (prefix /30 or shorter)"
    fi
    bs_plen=$plen
    bs_size=$(( 1 << (32 - plen) ))
    bs_net=$(( $(bs_ip2int "$addr") & ~(bs_size - 1) & 0xffffffff ))
}

# Host K's IP (needs bs_parse_cidr first).
bs_host_ip() { bs_int2ip $(( bs_net + BS_HOST_OFFSET + $1 )); }
bs_bridge_ip() { bs_int2ip $(( bs_net + 1 )); }

# Namespaces that look like ours (bs-host<digits>), sorted by number.
bs_our_namespaces() {
    ip netns list 2>/dev/null | awk '{print $1}' | { grep -E "^${BS_NS_PREFIX}[0-9]+\$" || true; } | sort -V
}

# Root-namespace links named bs-* (veth ends and the bridge), without @peer.
bs_our_links() {
    ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E "^${BS_PREFIX}" || true
}
