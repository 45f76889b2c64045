// The size a container's terminal takes from the user's: podman's comes from the terminal on
// stdin (so `run -it IMG stty size <pty >file` sees the pty's size), stdout's when stdin is none.
import { native } from './native';

export interface TermSize { rows: number; columns: number }

export function userTerminalSize(stdin: unknown, stdout: unknown): TermSize | undefined {
  const input = stdin as { isTTY?: boolean; fd?: number } | null | undefined;
  if (input?.isTTY && typeof input.fd === 'number') {
    try {
      const s = native().ttySize(input.fd);
      if (s && s[0] && s[1]) return { rows: s[0], columns: s[1] };
    } catch { /* no addon: stdout's below */ }
  }
  const out = stdout as NodeJS.WriteStream | undefined;
  return out?.isTTY && out.columns ? { rows: out.rows, columns: out.columns } : undefined;
}
