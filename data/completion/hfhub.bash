# bash completion for hfhub(1)                               -*- shell-script -*-
#
# The program is asked rather than described here: the commands come from
# "hfhub list-commands" and the options of each command from its --help, so a
# new command or option completes without a change to this file. Job IDs,
# settings, identities and cached repositories come from a running hfhubd
# only: completing never starts one (HFHUB_NO_AUTOSTART).
#
# Works with and without the bash-completion package.

# what each hfhub program answered, asked once per shell:
# "PROGRAM\ncommands" and "PROGRAM\noptions COMMAND"
declare -gA __hfhub_cache=()

# runs the program being completed ($__hfhub_bin), quietly and in English
__hfhub_ask()
{
	LC_ALL=C HFHUB_NO_AUTOSTART=1 command "$__hfhub_bin" "$@" 2>/dev/null </dev/null
}

# sets __hfhub_cmds to the commands, one a line ("jobs ls", "repo tag
# create", ...)
__hfhub_commands()
{
	local key="$__hfhub_bin"$'\n'commands
	if [[ -z ${__hfhub_cache[$key]+set} ]]; then
		__hfhub_cache[$key]=$(__hfhub_ask list-commands)
	fi
	__hfhub_cmds=${__hfhub_cache[$key]}
}

# sets __hfhub_opts to the options of command $1 (the global ones when $1 is
# empty) as their --help shows them: "--name", or "--name=ARG" for an option
# that takes an argument; short options as "-x" or "-x=ARG"
__hfhub_options()
{
	local key="$__hfhub_bin"$'\n'"options $1" line out=""
	local re='^[[:space:]]+(-([[:alnum:]]),[[:space:]]+)?(--[[:alnum:]][[:alnum:]-]*)(=([^[:space:]]+))?'
	local -a cmd
	if [[ -z ${__hfhub_cache[$key]+set} ]]; then
		read -r -a cmd <<<"$1"
		while IFS= read -r line; do
			[[ $line =~ $re ]] || continue
			out+="${BASH_REMATCH[3]}${BASH_REMATCH[4]} "
			if [[ -n ${BASH_REMATCH[2]} ]]; then
				out+="-${BASH_REMATCH[2]}${BASH_REMATCH[4]} "
			fi
		done < <(__hfhub_ask "${cmd[@]}" --help)
		__hfhub_cache[$key]=$out
	fi
	read -r -a __hfhub_opts <<<"${__hfhub_cache[$key]}"
}

# the argument name of option $1 ("DIR", "TYPE"...), empty when it takes none;
# fails when it is not an option of the command
__hfhub_option_arg()
{
	local o
	for o in "${__hfhub_opts[@]}"; do
		if [[ $o == "$1" ]]; then
			return 0
		elif [[ $o == "$1="* ]]; then
			printf '%s\n' "${o#*=}"
			return 0
		fi
	done
	return 1
}

# adds the words of $1 that start with $2 to COMPREPLY
__hfhub_add()
{
	local w
	local -a words
	read -r -d '' -a words <<<"$1"
	for w in "${words[@]}"; do
		[[ $w == "$2"* ]] && COMPREPLY+=("$w")
	done
	return 0
}

# file or folder names, for an argument that is a path
__hfhub_add_paths()
{
	local type=$1 cur=$2 w
	compopt -o filenames 2>/dev/null
	while IFS= read -r w; do
		COMPREPLY+=("$w")
	done < <(compgen "$type" -- "$cur")
}

# job IDs of a running hfhubd, in the states given
__hfhub_job_ids()
{
	local cur=$1 s
	local -a args=(jobs ls -q)
	shift
	for s in "$@"; do
		args+=("--state=$s")
	done
	__hfhub_add "$(__hfhub_ask "${args[@]}")" "$cur"
}

# the settings of a running hfhubd, as group.key
__hfhub_config_keys()
{
	local line keys=""
	local re='^[[:space:]]*"([[:alnum:]_-]+\.[[:alnum:]_.-]+)"[[:space:]]*:'
	while IFS= read -r line; do
		[[ $line =~ $re ]] && keys+="${BASH_REMATCH[1]} "
	done < <(__hfhub_ask --json daemon config get)
	__hfhub_add "$keys" "$1"
}

# the names of the stored identities, from a running hfhubd
__hfhub_identities()
{
	local line names="" in_list=0
	local re='^[[:space:]]*"name"[[:space:]]*:[[:space:]]*"([^"]+)"'
	while IFS= read -r line; do
		# {"identities": [{"name": ...}, ...]}, or {"error": {"name": ...}}
		[[ $line == *'"identities"'* ]] && in_list=1
		((in_list)) && [[ $line =~ $re ]] && names+="${BASH_REMATCH[1]} "
	done < <(__hfhub_ask --json auth list)
	__hfhub_add "$names" "$1"
}

# the values of option $1 of command $2, starting with $3
__hfhub_option_values()
{
	local opt=$1 command=$2 cur=$3 arg
	arg=$(__hfhub_option_arg "$opt")
	case $opt in
	--repo-type) __hfhub_add "model dataset space" "$cur" ;;
	--format) __hfhub_add "table csv json" "$cur" ;;
	--state) __hfhub_add "queued running paused succeeded failed cancelled" "$cur" ;;
	--sort)
		if [[ $command == "cache ls" ]]; then
			__hfhub_add "accessed modified name size" "$cur"
		else
			__hfhub_add "downloads likes lastModified createdAt trendingScore" "$cur"
		fi
		;;
	--gated) __hfhub_add "auto manual false" "$cur" ;;
	--space-sdk) __hfhub_add "gradio streamlit docker static" "$cur" ;;
	--token-identity) __hfhub_identities "$cur" ;;
	--name)
		# login --name names a new identity
		[[ $command == "auth login" ]] || __hfhub_identities "$cur"
		;;
	*)
		case $arg in
		DIR) __hfhub_add_paths -d "$cur" ;;
		FILE | PATH) __hfhub_add_paths -f "$cur" ;;
		esac
		;;
	esac
}

# the argument number $2 (from 0) of command $1, starting with $3
__hfhub_arguments()
{
	local command=$1 n=$2 cur=$3
	case $command in
	"jobs show" | "jobs follow" | "jobs prio")
		((n == 0)) && __hfhub_job_ids "$cur"
		;;
	"jobs wait" | "jobs cancel") __hfhub_job_ids "$cur" queued running paused ;;
	"jobs pause") __hfhub_job_ids "$cur" queued running ;;
	"jobs resume") __hfhub_job_ids "$cur" paused ;;
	"daemon config get") __hfhub_config_keys "$cur" ;;
	"daemon config set")
		((n == 0)) && __hfhub_config_keys "$cur"
		;;
	"auth switch" | "auth logout")
		((n == 0)) && __hfhub_identities "$cur"
		;;
	"cache rm" | "cache verify") __hfhub_add "$(__hfhub_ask cache ls -q)" "$cur" ;;
	upload)
		((n == 1)) && __hfhub_add_paths -f "$cur"
		;;
	esac
	return 0
}

_hfhub()
{
	local __hfhub_bin=${COMP_WORDS[0]}
	local -a __hfhub_opts=() words=()
	local __hfhub_cmds cword=0 cur prev i w join=0 command="" path="" first
	local -A seen=()

	COMPREPLY=()
	[[ $__hfhub_bin == "~"* ]] && __hfhub_bin=$HOME${__hfhub_bin#"~"}

	# put back together what COMP_WORDBREAKS split: "--opt" "=" "value"
	for ((i = 0; i <= COMP_CWORD && i < ${#COMP_WORDS[@]}; i++)); do
		w=${COMP_WORDS[i]}
		if ((i > 0)) && [[ $w == "=" && ${words[-1]} == -* && ${words[-1]} != *=* ]]; then
			words[-1]+=$w
			join=1
		elif ((join)); then
			words[-1]+=$w
			join=0
		else
			words+=("$w")
		fi
	done
	((COMP_CWORD >= ${#COMP_WORDS[@]})) && words+=("")
	cword=$((${#words[@]} - 1))
	cur=${words[cword]}

	# global options, then the words of the command
	i=1
	while ((i < cword)) && [[ ${words[i]} == -* ]]; do
		((i++))
	done
	__hfhub_commands
	while ((i < cword)); do
		w=${words[i]}
		((i++))
		if [[ $'\n'$__hfhub_cmds$'\n' == *$'\n'"$path$w"$'\n'* ]]; then
			command=$path$w
			break
		elif [[ $'\n'$__hfhub_cmds$'\n' == *$'\n'"$path$w "* ]]; then
			path+="$w "
		else
			return 0
		fi
	done

	if [[ -z $command ]]; then
		if [[ $cur == -* ]]; then
			if [[ -z $path ]]; then
				__hfhub_options ""
				for w in "${__hfhub_opts[@]}"; do
					[[ $w == --* ]] && __hfhub_add "${w%%=*}" "$cur"
				done
			else
				__hfhub_add "--help" "$cur"
			fi
			return 0
		fi
		# the next word of every command under $path
		while IFS= read -r w; do
			[[ -n $w && $w == "$path"* ]] || continue
			w=${w#"$path"}
			first=${w%% *}
			if [[ -z ${seen[$first]+set} && $first == "$cur"* ]]; then
				seen[$first]=1
				COMPREPLY+=("$first")
			fi
		done <<<"$__hfhub_cmds"
		return 0
	fi

	__hfhub_options "$command"
	prev=${words[cword - 1]}
	if [[ $cur == -*=* ]]; then
		# "--opt=val": bash replaces only what follows "=" when "=" breaks words
		__hfhub_option_values "${cur%%=*}" "$command" "${cur#*=}"
		if [[ $COMP_WORDBREAKS != *=* ]]; then
			for i in "${!COMPREPLY[@]}"; do
				COMPREPLY[i]="${cur%%=*}=${COMPREPLY[i]}"
			done
		fi
		return 0
	fi
	if [[ $cur == -* ]]; then
		for w in "${__hfhub_opts[@]}"; do
			[[ $w == --* ]] && __hfhub_add "${w%%=*}" "$cur"
		done
		return 0
	fi
	if ((cword - 1 >= i)) && [[ $prev == -* && $prev != *=* ]] &&
		[[ -n $(__hfhub_option_arg "$prev") ]]; then
		__hfhub_option_values "$prev" "$command" "$cur"
		return 0
	fi

	# which argument the cursor is on: options and their values do not count
	local n=0 skip=0 dashdash=0
	for ((; i < cword; i++)); do
		w=${words[i]}
		if ((skip)); then
			skip=0
		elif ((!dashdash)) && [[ $w == -- ]]; then
			dashdash=1
		elif ((!dashdash)) && [[ $w == -* ]]; then
			[[ $w != *=* && -n $(__hfhub_option_arg "$w") ]] && skip=1
		else
			((n++))
		fi
	done
	__hfhub_arguments "$command" "$n" "$cur"
	return 0
}

complete -F _hfhub hfhub
