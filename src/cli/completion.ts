// `pier completion bash|zsh|fish|powershell`: shell scripts that ask pier itself for the
// candidates on every TAB, as podman's (cobra's) do: they run `pier __complete WORDS... CURRENT`
// (`__completeNoDesc` with --no-desc), read the candidates (`value<TAB>description`) and the
// last line `:DIRECTIVE`, and act on the directive's bits: 1 error (offer nothing), 2 no space
// after the candidate, 4 no file names when there is no candidate, 8 the candidates are file
// extensions to filter file names by, 16 directory names only (in the one candidate's directory
// when there is one). Without candidates and without bit 4, the shell completes file names.

export type Shell = 'bash' | 'zsh' | 'fish' | 'powershell';
export const SHELLS: readonly Shell[] = ['bash', 'zsh', 'fish', 'powershell'];

/** A name usable in shell function names. */
function ident(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}

function bash(prog: string, request: string, descriptions: boolean): string {
  const f = ident(prog);
  return `# bash completion for ${prog}                                  -*- shell-script -*-
#
# Load it in the current shell with:  source <(${prog} completion bash)
# or for every shell:                 ${prog} completion bash > /etc/bash_completion.d/${prog}
# The candidates come from \`${prog} ${request}\` (see ${prog} completion --help).

# The words up to the cursor as ${prog} reads them: bash splits a word at the characters in
# COMP_WORDBREAKS (\`=\` and \`:\` among them); pieces with no blank between them are joined
# again, so that \`--format=x\` and \`ctr:/path\` reach ${prog} whole.
__${f}_words() {
    local line=$COMP_LINE i w lead n=-1
    words=()
    cword=0
    for ((i = 0; i < \${#COMP_WORDS[@]}; i++)); do
        w=\${COMP_WORDS[i]}
        lead=\${line%%[![:space:]]*}
        line=\${line:\${#lead}}
        if ((n >= 0)) && [[ -z $lead ]]; then
            words[n]+=$w
        else
            ((n++))
            words[n]=$w
        fi
        line=\${line:\${#w}}
        if ((i == COMP_CWORD)); then
            cword=$n
            break
        fi
    done
}

_${f}_complete() {
    local words cword
    __${f}_words
    local cur=\${words[cword]} out directive=0 typed strip='' l v d
    local -a lines cands
    # An open quote (\`--format '{{.Na\`) is not part of what is completed.
    v=\${cur//[^\\']/}
    ((\${#v} % 2)) && cur=\${cur/\\'/}
    v=\${cur//[^\\"]/}
    ((\${#v} % 2)) && cur=\${cur/\\"/}
    out=$("\${words[0]}" ${request} "\${words[@]:1:cword-1}" "$cur" 2>/dev/null) || return
    mapfile -t lines <<<"$out"
    if ((\${#lines[@]})) && [[ \${lines[-1]} == :* ]]; then
        directive=\${lines[-1]#:}
        unset 'lines[-1]'
    fi
    [[ $directive =~ ^[0-9]+$ ]] || directive=0
    ((directive & 1)) && return
    if ((directive & 8)); then
        # File names with one of the extensions given, and directories.
        compopt -o filenames 2>/dev/null
        while IFS= read -r v; do
            if [[ -d $v ]]; then COMPREPLY+=("$v"); continue; fi
            for d in "\${lines[@]}"; do [[ $v == *."$d" ]] && COMPREPLY+=("$v") && break; done
        done < <(compgen -f -- "$cur")
        return
    fi
    if ((directive & 16)); then
        compopt -o filenames 2>/dev/null
        if ((\${#lines[@]} == 1)) && [[ -n \${lines[0]} ]]; then
            mapfile -t COMPREPLY < <(cd -- "\${lines[0]}" 2>/dev/null && compgen -d -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -d -- "$cur")
        fi
        return
    fi
    # What ${prog} completed: the value of \`--flag=value\`, else the word.
    typed=$cur
    [[ $cur == -*=* ]] && typed=\${cur#*=}
    # bash replaces only what follows the word's last \`=\` or \`:\`.
    if [[ $typed == *[=:]* ]]; then
        v=\${typed%[=:]*}
        strip=\${typed:0:\${#v}+1}
    fi
    for l in "\${lines[@]}"; do
        [[ -z $l ]] && continue
        v=\${l%%$'\\t'*}
        [[ $v == "$typed"* ]] || continue
        cands+=("$l")
    done
    if ((\${#cands[@]} == 0)); then
        ((directive & 4)) && compopt +o default 2>/dev/null
        return
    fi
    ((directive & 2)) && compopt -o nospace 2>/dev/null
    if ((\${#cands[@]} == 1 || ! ${descriptions ? 1 : 0})); then
        for l in "\${cands[@]}"; do
            v=\${l%%$'\\t'*}
            COMPREPLY+=("\${v#"$strip"}")
        done
        return
    fi
    # Several candidates: shown with their descriptions (only the common start is inserted).
    local width=0 cols=\${COLUMNS:-80}
    for l in "\${cands[@]}"; do
        v=\${l%%$'\\t'*}
        v=\${v#"$strip"}
        ((\${#v} > width)) && width=\${#v}
    done
    for l in "\${cands[@]}"; do
        v=\${l%%$'\\t'*}
        v=\${v#"$strip"}
        d=''
        [[ $l == *$'\\t'* ]] && d=\${l#*$'\\t'}
        if [[ -n $d ]]; then
            printf -v v '%-*s  (%s)' "$width" "$v" "$d"
            ((\${#v} > cols - 1)) && v="\${v:0:cols-5}...)"
        fi
        COMPREPLY+=("$v")
    done
}

complete -o default -F _${f}_complete ${prog}
`;
}

function zsh(prog: string, request: string): string {
  const f = ident(prog);
  return `#compdef ${prog}
# zsh completion for ${prog}
#
# Put it in a directory of $fpath as _${prog}:  ${prog} completion zsh -f "\${fpath[1]}/_${prog}"
# or load it in the current shell:           source <(${prog} completion zsh)
# (compinit must have run). The candidates come from \`${prog} ${request}\`.

_${f}() {
    local -a lines cands args opts
    local out directive=0 l v d
    args=("\${(@Q)words[2,CURRENT-1]}")
    # The current word up to the cursor, without its quotes. zsh leaves the braces of an unquoted
    # word out of PREFIX (brace expansion): such a word ({{.Names}}) goes whole, its candidates
    # replace it as they are. (Unquoted --flag={{... gets nothing: quote it, or use a space.)
    local cur=\${(Q)PREFIX} braces=0
    if [[ -z $compstate[quote] && \${words[CURRENT]} == [^-]*[{}]* ]]; then
        cur=\${words[CURRENT]}
        braces=1
    fi
    out=$(\${(Q)words[1]} ${request} "\${args[@]}" "$cur" 2>/dev/null) || return 1
    lines=("\${(@f)out}")
    if (( \${#lines} )) && [[ \${lines[-1]} == :* ]]; then
        directive=\${lines[-1]#:}
        lines[-1]=()
    fi
    [[ $directive == <-> ]] || directive=0
    (( directive & 1 )) && return 1
    if (( directive & 8 )); then
        _files -g "*.(\${(j:|:)lines})"
        return
    fi
    if (( directive & 16 )); then
        if (( \${#lines} == 1 )) && [[ -n \${lines[1]} ]]; then _files -W "\${lines[1]}" -/; else _files -/; fi
        return
    fi
    # \`--flag=value\`: ${prog} completed the value.
    [[ $PREFIX == -*=* ]] && compset -P '-[^=]#='
    for l in "\${lines[@]}"; do
        [[ -z $l ]] && continue
        v=\${l%%$'\\t'*}
        d=''
        [[ $l == *$'\\t'* ]] && d=\${l#*$'\\t'}
        cands+=("\${v//:/\\\\:}\${d:+:$d}")
    done
    (( directive & 2 )) && opts=(-S '')
    # Inside quotes the candidates go in as they are.
    [[ -n $compstate[quote] ]] && opts+=(-Q)
    if (( braces )); then
        compadd -U -Q "\${opts[@]}" -- "\${(@)\${(@)lines%%$'\\t'*}:#}"
        return
    fi
    if (( \${#cands} )); then
        _describe -t ${f}-candidates '${prog}' cands "\${opts[@]}" && return 0
    fi
    (( directive & 4 )) && return 1
    _files
}

if [[ \${funcstack[1]} == _${f} ]]; then
    _${f} "$@"
else
    compdef _${f} ${prog}
fi
`;
}

function fish(prog: string, request: string): string {
  const f = ident(prog);
  return `# fish completion for ${prog}
#
# Load it with:  ${prog} completion fish | source
# or for every shell:  ${prog} completion fish -f ~/.config/fish/completions/${prog}.fish
# The candidates come from \`${prog} ${request}\`.

function __${f}_bit --argument-names directive bit
    test (math "floor($directive / $bit) % 2") -eq 1
end

function __${f}_complete
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    set -l out ($tokens[1] ${request} $tokens[2..-1] $cur 2>/dev/null)
    or return
    set -l directive 0
    if string match -q -- ':*' $out[-1]
        set directive (string sub -s 2 -- $out[-1])
        set -e out[-1]
    end
    string match -qr -- '^[0-9]+$' $directive; or set directive 0
    __${f}_bit $directive 1; and return
    if __${f}_bit $directive 8
        for p in (__fish_complete_path $cur)
            set -l name (string split -f1 \\t -- $p)
            if test -d $name
                echo $p
                continue
            end
            for ext in $out
                string match -q -- "*.$ext" $name; and echo $p; and break
            end
        end
        return
    end
    if __${f}_bit $directive 16
        if test (count $out) -eq 1; and test -n "$out[1]"
            pushd $out[1]; and __fish_complete_directories $cur; popd
        else
            __fish_complete_directories $cur
        end
        return
    end
    # \`--flag=value\`: ${prog} completed the value, fish completes the whole token.
    set -l prefix ''
    if string match -qr -- '^-[^=]*=' $cur
        set prefix (string replace -r -- '=.*' '=' $cur)
    end
    set -l n 0
    for l in $out
        test -n "$l"; or continue
        echo $prefix$l
        set n (math $n + 1)
    end
    if test $n -eq 0; and not __${f}_bit $directive 4
        __fish_complete_path $cur
    end
end

complete -c ${prog} -e
complete -c ${prog} -f -a '(__${f}_complete)'
`;
}

function powershell(prog: string, request: string): string {
  return `# powershell completion for ${prog}
#
# Load it with:  ${prog} completion powershell | Out-String | Invoke-Expression
# The candidates come from \`${prog} ${request}\`.

Register-ArgumentCompleter -CommandName '${prog}' -Native -ScriptBlock {
    param($WordToComplete, $CommandAst, $CursorPosition)
    # The words before the cursor; a blank before it starts a new, empty word.
    $words = @($CommandAst.CommandElements | Where-Object { $_.Extent.StartOffset -lt $CursorPosition } | ForEach-Object { $_.Extent.Text })
    $line = $CommandAst.Extent.Text
    $upto = [Math]::Min($line.Length, $CursorPosition - $CommandAst.Extent.StartOffset)
    $empty = $upto -gt 0 -and $line.Substring(0, $upto) -match '\\s$'
    $rest = @()
    if ($words.Count -gt 1) { $rest = $words[1..($words.Count - 1)] }
    # The empty word: '' ; PowerShell before 7.3 (or in Legacy argument passing) drops an empty
    # argument, but passes the two characters "" that the native command line turns into one.
    $blank = "''"
    if ($PSVersionTable.PSVersion -lt [version]'7.3.0' -or $PSNativeCommandArgumentPassing -eq 'Legacy') { $blank = '''""''' }
    $quoted = @($rest | ForEach-Object { "'" + ($_ -replace "'", "''") + "'" })
    if ($empty -or $words.Count -le 1) { $quoted += $blank }
    $out = @(Invoke-Expression "& '$($words[0])' ${request} $($quoted -join ' ') 2>\`$null")
    $directive = 0
    if ($out.Count -gt 0 -and $out[-1] -like ':*') {
        $directive = [int]($out[-1].Substring(1))
        $out = @($out | Select-Object -SkipLast 1)
    }
    if ($directive -band 1) { return }
    $current = if ($empty) { '' } else { $WordToComplete }
    $prefix = ''
    if ($current -match '^(-[^=]*=)') { $prefix = $Matches[1]; $current = $current.Substring($prefix.Length) }
    $cands = @($out | Where-Object { $_ -ne '' -and ($_ -split "\`t", 2)[0] -like "$current*" })
    if ($cands.Count -eq 0) {
        if ($directive -band 4) { return [System.Management.Automation.CompletionResult]::new(' ', ' ', 'ParameterValue', ' ') }
        return
    }
    foreach ($c in $cands) {
        $parts = $c -split "\`t", 2
        $value = $prefix + $parts[0]
        $desc = if ($parts.Count -gt 1 -and $parts[1]) { $parts[1] } else { $parts[0] }
        if (($directive -band 2) -eq 0 -and $cands.Count -eq 1) { $value = "$value " }
        [System.Management.Automation.CompletionResult]::new($value, $parts[0], 'ParameterValue', $desc)
    }
}
`;
}

/** The completion script for `shell`, calling back into `prog`. */
export function completionScript(prog: string, shell: Shell, descriptions = true): string {
  const request = descriptions ? '__complete' : '__completeNoDesc';
  let script: string;
  switch (shell) {
    case 'bash': script = bash(prog, request, descriptions); break;
    case 'zsh': script = zsh(prog, request); break;
    case 'fish': script = fish(prog, request); break;
    case 'powershell': script = powershell(prog, request); break;
  }
  return `${script}\n# This file is generated with "${prog} completion"; see: ${prog} completion --help\n`;
}
