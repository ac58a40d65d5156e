#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# config/bash-completion/berth against the CLI: it completes every command berth --help lists,
# every option of each command's --help, and container names, keys, groups and states from a
# store of its own. TAP on stdout.
set -u
bin=${BERTH_BIN:-}
comp=${BERTH_SRCDIR:-.}/config/bash-completion/berth
if [ -z "$bin" ] || [ ! -x "$bin" ] || [ ! -f "$comp" ]; then
        echo "1..0 # SKIP berth or the completion file not found (run via make check)"
        exit 0
fi
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; [ -n "${2:-}" ] && echo "#   $2"; }

tmp=$(mktemp -d /tmp/berth-completion.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export BERTH_STORE=$tmp/store BERTH_RUNDIR=$tmp/run BERTH_CONFIG=$tmp/none.yaml
mkdir -p -m 0700 "$BERTH_STORE/web" "$BERTH_STORE/db"
printf 'name: web\nautostart: {enabled: true, group: front}\nlimits: {memory: 64M}\n' >"$BERTH_STORE/web/config.yaml"
printf 'name: db\n' >"$BERTH_STORE/db/config.yaml"

# The berth binary under the name the completion calls.
mkdir -p "$tmp/bin"
ln -s "$bin" "$tmp/bin/berth"
PATH=$tmp/bin:$PATH
. "$comp"

# complete WORDS...: the completions of the last word (may be empty) of "berth WORDS...".
complete_words() {
        COMP_WORDS=(berth "$@")
        COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
        COMPREPLY=()
        _berth
        printf '%s\n' "${COMPREPLY[@]}" | sort -u | tr '\n' ' ' | sed 's/ $//'
}
expect() { # DESC WANT WORDS...
        local desc=$1 want=$2 got
        shift 2
        got=$(complete_words "$@")
        if [ "$got" = "$want" ]; then ok "$desc"; else notok "$desc" "want '$want', got '$got'"; fi
}
contains() { # DESC WORD WORDS...: WORD is among the completions
        local desc=$1 word=$2 got
        shift 2
        got=" $(complete_words "$@") "
        if [[ $got == *" $word "* ]]; then ok "$desc"; else notok "$desc" "'$word' not in '$got'"; fi
}

commands=$(berth --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
for c in $commands; do
        contains "the command '$c' completes" "$c" ""
done
for c in $commands; do
        [ "$c" = help ] || [ "$c" = top ] && continue
        for o in $(berth "$c" --help | awk '/^ +-/ { sub(/^ +/, ""); split($0, w, /  +/); print w[1] }' | grep -oE -- '--?[a-zA-Z][a-zA-Z0-9-]*'); do
                contains "berth $c: option $o completes" "$o" "$c" -
        done
done
contains "global options complete" "--store" -
expect "container names" "db web" start ""
expect "container names with a prefix" "web" info w
expect "config actions" "edit show validate" config web ""
expect "berth set: the container's keys, with '='" "limits.memory=" set web limits.mem
contains "berth set: a nested key of another section" "autostart.group=" set web auto
expect "berth cp: container names with ':'" "web:" cp w
expect "berth autostart --group: the groups" "front" autostart --group ""
expect "berth wait: states after the name" "RUNNING" wait web RUN
expect "create --backend" "btrfs dir overlay" create x --backend ""
expect "no container name after a stop timeout value" "" stop -t ""
expect "a container after an option with a value" "db web" stop -t 5 ""
expect "rename: a new name is not completed" "" rename web ""
expect "doctor takes no argument" "" doctor ""

echo "1..$n"
[ "$failed" = 0 ]
