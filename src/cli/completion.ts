// Shell completion scripts generated from the command tree: subcommands and flags per
// command path. The scripts are static, so completing never starts pier.
import { CommandDef, HELP_FLAG } from './parser';

interface Node { path: string[]; cmd: CommandDef }

function walk(cmd: CommandDef, path: string[] = [], out: Node[] = []): Node[] {
  out.push({ path, cmd });
  for (const s of cmd.subcommands ?? []) if (!s.hidden) walk(s, [...path, s.name], out);
  return out;
}

function flagWords(cmd: CommandDef, root: CommandDef): string[] {
  const flags = [...(cmd.flags ?? []), ...(cmd === root ? [] : root.flags ?? []), HELP_FLAG].filter((f) => !f.hidden);
  const words: string[] = [];
  for (const f of flags) { words.push(`--${f.name}`); if (f.short) words.push(`-${f.short}`); }
  return words;
}

function valueFlags(root: CommandDef, nodes: Node[]): string[] {
  const s = new Set<string>();
  for (const n of nodes) for (const f of [...(n.cmd.flags ?? []), ...(root.flags ?? [])]) {
    if (f.type !== 'bool' && f.type !== 'count') { s.add(`--${f.name}`); if (f.short) s.add(`-${f.short}`); }
  }
  return [...s];
}

function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function bash(root: CommandDef, nodes: Node[]): string {
  const cases = nodes.map((n) => {
    const subs = (n.cmd.subcommands ?? []).filter((s) => !s.hidden).flatMap((s) => [s.name, ...(s.aliases ?? [])]);
    return `    ${q(n.path.join(' '))}) subs=${q(subs.join(' '))}; flags=${q(flagWords(n.cmd, root).join(' '))};;`;
  });
  const aliases = nodes.flatMap((n) => (n.cmd.aliases ?? []).map((a) => `    ${q([...n.path.slice(0, -1), a].join(' '))}) key=${q(n.path.join(' '))};;`));
  return `# bash completion for ${root.name}
_${root.name}_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" key w i subs flags
  local valueflags=" ${valueFlags(root, nodes).join(' ')} "
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if [[ "$w" == -* ]]; then
      [[ "$w" != *=* && "$valueflags" == *" $w "* ]] && ((i++))
      continue
    fi
    key="\${path:+$path }$w"
    case "$key" in
${aliases.join('\n')}
    esac
    if _${root.name}_known "$key"; then path="$key"; else break; fi
  done
  _${root.name}_words "$path"
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
  elif [[ -n "$subs" ]]; then
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
_${root.name}_words() {
  subs=""; flags=""
  case "$1" in
${cases.join('\n')}
  esac
}
_${root.name}_known() {
  local subs flags
  _${root.name}_words "$1"
  [[ -n "$flags" ]]
}
complete -o default -F _${root.name}_complete ${root.name}
`;
}

function zsh(root: CommandDef, nodes: Node[]): string {
  return `#compdef ${root.name}
# zsh completion for ${root.name}: uses the bash completion through bashcompinit.
autoload -U +X bashcompinit && bashcompinit
${bash(root, nodes)}`;
}

function fish(root: CommandDef, nodes: Node[], desc: boolean): string {
  const lines = [`# fish completion for ${root.name}`];
  const cond = (path: string[]) => {
    if (path.length === 0) return `__fish_use_subcommand`;
    return `__fish_seen_subcommand_from ${path[path.length - 1]}`;
  };
  for (const n of nodes) {
    for (const s of (n.cmd.subcommands ?? []).filter((x) => !x.hidden)) {
      lines.push(`complete -c ${root.name} -f -n ${q(cond(n.path))} -a ${s.name}${desc ? ` -d ${q(s.summary)}` : ''}`);
    }
    for (const f of [...(n.cmd.flags ?? [])].filter((x) => !x.hidden)) {
      lines.push(`complete -c ${root.name} -n ${q(cond(n.path))} -l ${f.name}${f.short ? ` -s ${f.short}` : ''}${f.type !== 'bool' && f.type !== 'count' ? ' -r' : ''}${desc ? ` -d ${q(f.help)}` : ''}`);
    }
  }
  return lines.join('\n') + '\n';
}

export function completionScript(root: CommandDef, shell: 'bash' | 'zsh' | 'fish', descriptions = true): string {
  const nodes = walk(root);
  if (shell === 'bash') return bash(root, nodes);
  if (shell === 'zsh') return zsh(root, nodes);
  return fish(root, nodes, descriptions);
}
