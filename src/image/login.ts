// login/logout: credentials checked against the registry, stored where podman keeps them.
import type { EngineConfig } from '../config/config';
import { primaryAuthFile, setCredentials, removeCredentials, removeAllCredentials, validateAuthKey } from './config/auth';
import { clientFor } from './registry/connect';

export interface LoginOptions {
  username: string;
  password: string;
  authfile?: string;
  tlsVerify?: boolean;
  certDir?: string;
  /** Only check the credentials (the API's POST /auth): the auth file is left alone. */
  verifyOnly?: boolean;
}

export async function login(cfg: EngineConfig, registry: string, o: LoginOptions): Promise<void> {
  const key = validateAuthKey(registry);
  const client = clientFor(cfg, key, { tlsVerify: o.tlsVerify, certDir: o.certDir, credentials: { username: o.username, password: o.password } });
  await client.login();
  if (o.verifyOnly) return;
  setCredentials(primaryAuthFile({ authFile: o.authfile }).path, key, o.username, o.password);
}

export async function logout(_cfg: EngineConfig, registry: string | undefined, o: { all?: boolean; authfile?: string }): Promise<void> {
  const file = primaryAuthFile({ authFile: o.authfile }).path;
  if (o.all) { removeAllCredentials(file); return; }
  removeCredentials(file, registry ?? '');
}
