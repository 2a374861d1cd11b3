package main

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/k0flow/k0flow/workflow"
)

func init() {
	register(&command{
		name:    "completion",
		summary: "Print a shell completion script for bash, zsh or fish",
		usage:   "completion bash|zsh|fish   (completion phases [FILE] lists phase names for the scripts)",
		example: "source <(k0flow completion bash)\nk0flow completion fish > ~/.config/fish/completions/k0flow.fish",
		run:     cmdCompletion,
	})
}

// Subcommands of state and infra, and the names show and diff accept.
const (
	stateSubs = "get set unset vm migrate validate phase run event artifact exists"
	infraSubs = "sync get show refresh vm init-args invalidate"
	runNames  = "last current last-success last-failed last-interrupted"
)

// Flags are not listed here: the scripts ask `k0flow CMD --help` when a
// word starts with a dash, so completion follows the commands themselves.
const bashCompletion = `# k0flow completion for bash (and zsh through bashcompinit)
_k0flow() {
  local cur=${COMP_WORDS[COMP_CWORD]} cmd=${COMP_WORDS[1]} prev=${COMP_WORDS[COMP_CWORD-1]}
  if (( COMP_CWORD == 1 )); then
    COMPREPLY=($(compgen -W "@COMMANDS@" -- "$cur")); return
  fi
  case $prev in
  --only|--from|-only|-from)
    COMPREPLY=($(compgen -W "$(k0flow completion phases 2>/dev/null)" -- "$cur")); return ;;
  --var-file|-var-file)
    COMPREPLY=($(compgen -f -X '!*.tfvars' -- "$cur") $(compgen -f -X '!*.tfvars.json' -- "$cur") $(compgen -d -- "$cur")); return ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(k0flow "$cmd" --help 2>/dev/null | grep -oE -- '--[a-z][a-z-]*' | sort -u)" -- "$cur")); return
  fi
  case $cmd in
  state) (( COMP_CWORD == 2 )) && COMPREPLY=($(compgen -W "@STATE@" -- "$cur")) ;;
  infra) (( COMP_CWORD == 2 )) && COMPREPLY=($(compgen -W "@INFRA@" -- "$cur")) ;;
  completion) COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur")) ;;
  show|diff)
    COMPREPLY=($(compgen -W "@RUNS@ $(k0flow history --output json 2>/dev/null | sed -n 's/.*"run_id": "\([^"]*\)".*/\1/p')" -- "$cur")) ;;
  *) COMPREPLY=($(compgen -f -X '!*.hcl' -- "$cur") $(compgen -d -- "$cur")) ;;
  esac
}
complete -F _k0flow k0flow
`

const zshPrelude = "# k0flow completion for zsh\nautoload -U +X bashcompinit && bashcompinit\n"

const fishCompletion = `# k0flow completion for fish
complete -c k0flow -f
complete -c k0flow -n __fish_use_subcommand -a "@COMMANDS@"
complete -c k0flow -n "__fish_seen_subcommand_from state" -a "@STATE@"
complete -c k0flow -n "__fish_seen_subcommand_from infra" -a "@INFRA@"
complete -c k0flow -n "__fish_seen_subcommand_from completion" -a "bash zsh fish"
complete -c k0flow -n "__fish_seen_subcommand_from show diff" -a "@RUNS@ (k0flow history --output json 2>/dev/null | string match -r -g '\"run_id\": \"([^\"]*)\"')"
complete -c k0flow -n "__fish_seen_subcommand_from apply plan destroy validate fmt" -a "(__fish_complete_suffix .hcl)"
complete -c k0flow -n "__fish_seen_subcommand_from apply plan" -l only -l from -xa "(k0flow completion phases 2>/dev/null)"
complete -c k0flow -n "__fish_seen_subcommand_from apply plan destroy validate" -l var-file -rF -a "(__fish_complete_suffix .tfvars)"
`

func cmdCompletion(c *cli, args []string) error {
	a, err := c.parseCompletion(args)
	if err != nil {
		return err
	}
	if a.phasesOf != nil {
		return c.completePhases(*a.phasesOf)
	}
	names := make([]string, 0, len(commands))
	for _, cmd := range commands {
		names = append(names, cmd.name)
	}
	sort.Strings(names)
	fill := strings.NewReplacer("@COMMANDS@", strings.Join(names, " "), "@STATE@", stateSubs,
		"@INFRA@", infraSubs, "@RUNS@", runNames).Replace
	switch a.shell {
	case "bash":
		fmt.Fprint(c.stdout, fill(bashCompletion))
	case "zsh":
		fmt.Fprint(c.stdout, zshPrelude+fill(bashCompletion))
	case "fish":
		fmt.Fprint(c.stdout, fill(fishCompletion))
	default:
		return usageErrorf("no completion for %q: use bash, zsh or fish", a.shell)
	}
	return nil
}

// completePhases prints the phase names of FILE (default deploy.hcl), for
// completing --only and --from: nothing when there is no such workflow.
func (c *cli) completePhases(file string) error {
	if _, err := os.Stat(file); err != nil {
		return nil
	}
	wf, diags := workflow.NewLoader().Load(file)
	if wf == nil || diags.HasErrors() {
		return nil
	}
	fmt.Fprintln(c.stdout, strings.Join(wf.PhaseNames(), " "))
	return nil
}
