// cobra's ShellCompDirective bits, as the completion scripts read them (`:N` after the candidates).
export const DIRECTIVE = { Error: 1, NoSpace: 2, NoFileComp: 4, FilterFileExt: 8, FilterDirs: 16 } as const;

const DIRECTIVE_NAMES: [number, string][] = [
  [DIRECTIVE.Error, 'ShellCompDirectiveError'], [DIRECTIVE.NoSpace, 'ShellCompDirectiveNoSpace'],
  [DIRECTIVE.NoFileComp, 'ShellCompDirectiveNoFileComp'], [DIRECTIVE.FilterFileExt, 'ShellCompDirectiveFilterFileExt'],
  [DIRECTIVE.FilterDirs, 'ShellCompDirectiveFilterDirs'],
];

/** The directive's name as cobra prints it on stderr ("Completion ended with directive: ..."). */
export function directiveName(d: number): string {
  const names = DIRECTIVE_NAMES.filter(([bit]) => d & bit).map(([, n]) => n);
  return names.length ? names.join(', ') : 'ShellCompDirectiveDefault';
}
