#!/bin/sh
# The .deb, built and used as a user would: cpack -G DEB from the build
# tree, its control fields and file list checked, then unpacked with
# `dpkg -x` into a scratch root (no dpkg database, nothing installed on this
# machine) and the unpacked bootstorm run from there: --version, and `check`
# of every scenario it ships. Exit 77 (skipped) without dpkg-deb.
# Usage: tests/package/test_deb.sh SOURCE_DIR BUILD_DIR WORK_DIR VERSION
set -eu

src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
work=$3
version=$4
fails=0
ok() { echo "ok    $*"; }
fail() {
    echo "FAIL  $*"
    fails=$((fails + 1))
}
check() { # check "what" command...: ok when the command succeeds
    what=$1
    shift
    if "$@"; then ok "$what"; else fail "$what"; fi
}
# Predicates on a text: a whole line, a substring, an extended regex.
has_line() { printf '%s\n' "$1" | grep -Fxq -- "$2"; }
has_str() { printf '%s\n' "$1" | grep -Fq -- "$2"; }
has_re() { printf '%s\n' "$1" | grep -Eq -- "$2"; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

for t in cpack dpkg-deb dpkg; do
    command -v "$t" >/dev/null 2>&1 || {
        echo "skip: $t not found (a Debian system with cmake's cpack is needed)"
        exit 77
    }
done

rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
root=$work/root # the scratch root and a tree linked into it; removed on exit
tree=$work/tree
trap 'rm -rf "$root" "$tree"' EXIT

# ---- build the package (into WORK_DIR, not the build tree's own output) ----
if ! cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/cpack" >"$work/cpack.log" 2>&1; then
    cat "$work/cpack.log"
    echo "FAIL  cpack -G DEB"
    exit 1
fi
deb=$(find "$work/cpack" -maxdepth 1 -name 'bootstorm_*.deb' | head -n 1)
[ -n "$deb" ] || {
    cat "$work/cpack.log"
    echo "FAIL  cpack wrote no bootstorm_*.deb"
    exit 1
}
ok "cpack -G DEB built $(basename "$deb") ($(wc -c <"$deb") bytes)"

# ---- control fields ----
field() { dpkg-deb -f "$deb" "$1"; }
check "Package: bootstorm" test "$(field Package)" = bootstorm
check "Architecture is this machine's ($(dpkg --print-architecture))" \
    test "$(field Architecture)" = "$(dpkg --print-architecture)"
check "Maintainer and Description are set" test -n "$(field Maintainer)" -a -n "$(field Description)"
depends=$(field Depends)
echo "      Depends: $depends"
# one name a line, versions and alternatives dropped
depnames=$(printf '%s\n' "$depends" | tr ',' '\n' | sed 's/|.*//; s/^ *//; s/[ (].*//')
# The binaries' shared libraries (by their Debian 12 package names) and
# mpirun. Each must be named in Depends.
for p in openmpi-bin libopenmpi3 libevent-core-2.1-7 libevent-openssl-2.1-7 libmsgpackc2 \
    libssl3 libyaml-0-2 libjansson4 liblcrq0.0 libc6; do
    check "Depends names $p" has_line "$depnames" "$p"
done
# ... and every name in Depends is a real package: each is installed here,
# where the build found the libraries.
for p in $depnames; do
    check "dependency $p is a package installed here" installed "$p"
done

# ---- file list ----
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$work/files"
for f in /usr/bin/bootstorm /usr/bin/bootstorm-results \
    /usr/share/man/man1/bootstorm.1.gz /usr/share/man/man1/bootstorm-results.1.gz \
    /usr/share/bootstorm/scenarios/quickstart.yaml /usr/share/bootstorm/scripts/mpirun-local \
    /usr/share/bootstorm/cloud/launch /usr/share/doc/bootstorm/README.md \
    /usr/share/doc/bootstorm/scenarios.md; do
    check "the package holds $f" grep -Fxq "$f" "$work/files"
done
outside=$(grep -v -e '^/usr/' -e '^/$' "$work/files" || true)
check "nothing outside /usr${outside:+ (but: $outside)}" test -z "$outside"

# ---- unpack into the scratch root ----
mkdir -p "$root"
check "dpkg -x unpacks it into a scratch root" dpkg -x "$deb" "$root"
bin=$root/usr/bin/bootstorm
share=$root/usr/share/bootstorm
check "bootstorm and bootstorm-results are executable" test -x "$bin" -a -x "$root/usr/bin/bootstorm-results"
check "the scripts are executable" test -x "$share/scripts/mpirun-local" -a -x "$share/cloud/launch"
if command -v readelf >/dev/null 2>&1; then
    rpath=$(readelf -d "$bin" | grep -E 'R(UN)?PATH' || true)
    check "no RPATH/RUNPATH into the build tree${rpath:+ ($rpath)}" test -z "$rpath"
fi
# Every scenario of the source tree is in the package, scenarios/compare/ too.
missing=$(cd "$src/scenarios" && find . -type f | while read -r f; do
    [ -f "$share/scenarios/$f" ] || echo "$f"
done)
check "every file of scenarios/ is installed${missing:+ (missing: $missing)}" test -z "$missing"
check "scenarios/compare/ is installed" test -f "$share/scenarios/compare/reboot-central.yaml"

# ---- run the unpacked binaries (the libraries are the system's: no
# LD_LIBRARY_PATH, none of the build tree) ----
clean_env() { env -u LD_LIBRARY_PATH PATH=/usr/bin:/bin "$@"; }
out=$(clean_env "$bin" --version 2>&1) && rc=0 || rc=$?
echo "      $out"
check "bootstorm --version exits 0" test "$rc" -eq 0
check "bootstorm --version prints bootstorm $version" \
    has_re "$out" "^bootstorm $version "
clean_env "$root/usr/bin/bootstorm-results" --version >/dev/null && rc=0 || rc=$?
check "bootstorm-results --version exits 0" test "$rc" -eq 0

out=$(clean_env "$bin" check "$share/scenarios/quickstart.yaml" 2>&1) && rc=0 || rc=$?
check "bootstorm check <installed>/quickstart.yaml exits 0" test "$rc" -eq 0
check "... and prints it resolved, as JSON, named quickstart" \
    has_re "$out" '"name": *"quickstart"'
[ "$rc" -eq 0 ] || printf '%s\n' "$out" | tail -n 5
bad=""
for f in "$share"/scenarios/*.yaml "$share"/scenarios/compare/*.yaml; do
    clean_env "$bin" check "$f" >/dev/null 2>"$work/check.err" || {
        bad="$bad ${f#"$share"/}"
        cat "$work/check.err"
    }
done
check "bootstorm check passes on every installed scenario${bad:+ (not:$bad)}" test -z "$bad"
out=$(clean_env "$bin" check "$share/scenarios/quickstart.yaml" --set nodes.peers=-1 2>&1) && rc=0 || rc=$?
check "bootstorm check of a bad override exits 2 (the installed loader reports errors)" test "$rc" -eq 2

# ---- cloud/aws/up --deb lays out ~bootstorm/bootstorm as a checkout whose
# paths point into the package; cloud/launch must work from there as from a
# checkout (here: a dry run, which contacts no host) ----
mkdir -p "$tree/build/bin" "$tree/cloud/state"
ln -s "$share/scenarios" "$tree/scenarios"
ln -s "$share/cloud/launch" "$tree/cloud/launch"
ln -s "$bin" "$tree/build/bin/bootstorm"
printf '10.9.0.11 slots=4\n10.9.0.12 slots=4\n' >"$tree/cloud/state/hostfile"
out=$(cd "$tree" && clean_env cloud/launch --dry-run scenarios/quickstart.yaml --out /tmp/r1 2>&1) && rc=0 || rc=$?
check "cloud/launch --dry-run from that layout exits 0" test "$rc" -eq 0
check "... runs build/bin/bootstorm (the package's) on the hostfile of cloud/state, 8 ranks" \
    has_re "$out" "--hostfile $tree/cloud/state/hostfile -np 8 .* $tree/build/bin/bootstorm run $share/scenarios/quickstart.yaml"
[ "$rc" -eq 0 ] || printf '%s\n' "$out" | tail -n 5

# ---- the man pages: generated from --help, and valid roff ----
for m in bootstorm bootstorm-results; do
    page=$root/usr/share/man/man1/$m.1.gz
    check "$m.1.gz is gzip" gzip -t "$page"
    text=$(gzip -dc "$page")
    for s in NAME SYNOPSIS DESCRIPTION '"EXIT STATUS"' '"SEE ALSO"'; do
        check "$m(1) has section $s" has_line "$text" ".SH $s"
    done
    # the first synopsis line, roff escapes removed, against `$m --help`
    usage=$(clean_env "$root/usr/bin/$m" --help | sed -n '1s/^usage: *//p')
    synopsis=$(printf '%s\n' "$text" | grep -A1 -Fx ".SH SYNOPSIS" | tail -n 1 |
        sed 's/\\-/-/g; s/\\f[BIR]//g')
    check "$m(1) SYNOPSIS is the usage line of $m --help ($usage)" test -n "$usage" -a "$synopsis" = "$usage"
    check "$m(1) points to the installed docs" \
        has_str "$text" "share/doc/bootstorm"
    if command -v groff >/dev/null 2>&1; then
        warn=$(printf '%s\n' "$text" | groff -man -Tutf8 -ww -z 2>&1)
        check "$m(1) formats without a groff warning${warn:+: $warn}" test -z "$warn"
    fi
done
text=$(gzip -dc "$root/usr/share/man/man1/bootstorm-results.1.gz")
for c in summary compare report export; do
    check "bootstorm-results(1) has a subsection for $c" \
        has_line "$text" ".SS $c"
done
check "bootstorm(1) shows the --set option from --help" \
    has_str "$(gzip -dc "$root/usr/share/man/man1/bootstorm.1.gz")" '\fB\-\-set\fR'

echo
if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed"
    exit 1
fi
echo "all checks passed"
