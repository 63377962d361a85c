#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The bash completion (data/completion/hfhub.bash), sourced in this shell and
# driven as bash drives it: COMP_WORDS and COMP_CWORD in, COMPREPLY out.
# Commands and options are checked against what the built hfhub says; job
# IDs, settings and identities against a private hfhubd started here.
# Prints TAP.
set -u
src="${HFHUB_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}"
build="${HFHUB_BUILDDIR:-$src/_build}"
cli="${HFHUB_CLI:-$build/client/hfhub}"
daemon="${HFHUBD:-$build/daemon/hfhubd}"

# a home of our own, and no session bus: hfhub talks to a private hfhubd on
# $XDG_RUNTIME_DIR/hfhub/hfhubd.sock, when one runs
tmp=$(mktemp -d)
daemon_pid=""
# shellcheck disable=SC2317 # run by the trap
cleanup() {
	if [ -n "$daemon_pid" ]; then
		kill "$daemon_pid" 2>/dev/null
		wait "$daemon_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
unset DBUS_SESSION_BUS_ADDRESS HF_TOKEN HUGGING_FACE_HUB_TOKEN HF_ENDPOINT HF_HOME HF_HUB_CACHE
export HOME="$tmp/home" XDG_RUNTIME_DIR="$tmp/run" XDG_STATE_HOME="$tmp/state" \
	XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache" HF_HUB_OFFLINE=1
mkdir -p "$HOME" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
# "hfhub" resolves to the built one, as the completion runs COMP_WORDS[0]
mkdir -p "$tmp/bin" && ln -s "$cli" "$tmp/bin/hfhub"
export PATH="$tmp/bin:$PATH"

# shellcheck source=data/completion/hfhub.bash disable=SC1091
source "$src/data/completion/hfhub.bash"

n=0
fail=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	fail=1
}

# sets $replies to the sorted replies to a command line whose last word is
# being completed (in this shell, so that the completion keeps what it asked)
complete_words() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_hfhub "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]:-}"
	replies=""
	if [ ${#COMPREPLY[@]} -gt 0 ]; then
		replies=$(printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')
	fi
}

# expect "WANTED" WORDS...: the replies are exactly WANTED (sorted, spaces)
expect() {
	local want got
	# shellcheck disable=SC2086 # the words of $1
	want=$(printf '%s\n' $1 | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')
	shift
	complete_words "$@"
	got=$replies
	if [ "$got" = "$want" ]; then
		ok "'$*' completes to '$want'"
	else
		not_ok "'$*' completes to '$want'"
		echo "#   got: '$got'"
	fi
}

# expect_has WORD WORDS...: WORD is among the replies
expect_has() {
	local word=$1 got
	shift
	complete_words "$@"
	got=" $replies "
	if [[ $got == *" $word "* ]]; then
		ok "'$*' offers '$word'"
	else
		not_ok "'$*' offers '$word'"
		echo "#   got: '$got'"
	fi
}

echo "# commands and options, from the built hfhub"
expect "jobs" hfhub jo
expect "pause prio" hfhub jobs p
expect "--window" hfhub download --wi
expect "--json" hfhub --j
expect "pause prio" hfhub --json jobs p
expect "set" hfhub daemon config s
expect "branch" hfhub repo b
expect "create delete list" hfhub repo tag ""
expect "--exist-ok" hfhub repo tag create -m text --ex
expect "" hfhub no-such-command ""

# every first word of every command, and nothing else, at the top
first_words=$("$cli" list-commands | awk '{print $1}' | LC_ALL=C sort -u | tr '\n' ' ')
expect "$first_words" hfhub ""

# every command can be typed word by word, and completes its options
commands_ok=1
options_ok=1
while IFS= read -r command; do
	[ -n "$command" ] || continue
	read -r -a words <<<"$command"
	for ((i = 0; i < ${#words[@]}; i++)); do
		complete_words hfhub "${words[@]:0:i}" "${words[i]:0:2}"
		got=" $replies "
		if [[ $got != *" ${words[i]} "* ]]; then
			commands_ok=0
			echo "#   'hfhub ${words[*]:0:i} ${words[i]:0:2}' does not offer '${words[i]}': $got"
		fi
	done
	want=$(LC_ALL=C "$cli" "${words[@]}" --help | grep -oE '^ +(-[A-Za-z0-9], +)?--[A-Za-z0-9][A-Za-z0-9-]*' |
		grep -oE -- '--[A-Za-z0-9-]+$' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')
	complete_words hfhub "${words[@]}" --
	got=$replies
	if [ -z "$want" ] || [ "$got" != "$want" ]; then
		options_ok=0
		echo "#   'hfhub $command --': want '$want', got '$got'"
	fi
done < <("$cli" list-commands)
if [ $commands_ok = 1 ]; then ok "every command of hfhub list-commands completes word by word"
else not_ok "every command of hfhub list-commands completes word by word"; fi
if [ $options_ok = 1 ]; then ok "every command completes the long options of its --help"
else not_ok "every command completes the long options of its --help"; fi

echo "# values of options"
expect "dataset" hfhub download --repo-type d
expect "dataset" hfhub download --repo-type = d
expect "model dataset space" hfhub download --repo-type =
expect "csv" hfhub cache ls --format c
expect "size" hfhub cache ls --sort s
expect "lastModified likes" hfhub models ls --sort l
expect "paused" hfhub jobs ls --state pa
expect "" hfhub download --revision ma
mkdir -p "$tmp/cwd/models-here" && touch "$tmp/cwd/model-file"
cd "$tmp/cwd" || exit 1
expect "models-here" hfhub download --local-dir mo
expect "model-file models-here" hfhub upload user/repo mo
cd - >/dev/null || exit 1

echo "# nothing from hfhubd while none runs, and none is started"
expect "" hfhub jobs show ""
expect "" hfhub daemon config get ""
expect "" hfhub download --token-identity ""
if [ -e "$XDG_RUNTIME_DIR/hfhub/hfhubd.sock" ]; then
	not_ok "completing does not start hfhubd"
else
	ok "completing does not start hfhubd"
fi

echo "# job IDs, settings and identities from a running hfhubd"
"$daemon" --peer --idle-timeout 60 --log-file "$tmp/hfhubd.log" 2>/dev/null &
daemon_pid=$!
for _ in $(seq 100); do
	[ -S "$XDG_RUNTIME_DIR/hfhub/hfhubd.sock" ] && break
	sleep 0.1
done
# offline and not cached: the job fails at once, and stays listed
job=$(HFHUB_NO_AUTOSTART=1 "$cli" download org/absent --detach 2>/dev/null)
if [ -n "$job" ]; then
	ok "a job to complete: $job"
	HFHUB_NO_AUTOSTART=1 "$cli" jobs wait "$job" >/dev/null 2>&1
	expect "$job" hfhub jobs show ""
	expect "$job" hfhub jobs prio ""
	expect "" hfhub jobs prio "$job" ""
	expect "" hfhub jobs resume ""
else
	not_ok "a job to complete"
	sed 's/^/#   /' "$tmp/hfhubd.log"
fi
expect "download.bandwidth-limit" hfhub daemon config get download.b
expect_has "policy.window" hfhub daemon config set p
expect "" hfhub daemon config set policy.window ""
# no identity stored: nothing, not the words of an error
expect "" hfhub download --token-identity ""
expect "" hfhub auth switch ""

echo "1..$n"
exit $fail
