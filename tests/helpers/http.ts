// Small HTTP helpers for tests that fetch from containers' published ports.
import * as http from 'node:http';

/** GET http://host:port/index.html; the body. */
export function get(port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: '/index.html', timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

/** Retries `fn` until it resolves or `ms` pass (servers in containers take a moment to listen). */
export async function retry<T>(fn: () => Promise<T>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try { return await fn(); } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
