// Request bodies read as Go's encoding/json reads them (podman's and dockerd's handlers decode
// with json.NewDecoder(body).Decode): the first JSON value only (what follows it is never read),
// and a struct field matched case-insensitively when no key names it exactly (`Image` is the
// SpecGenerator's `image`, `name` a volume's `Name`), at any depth.

/** The first JSON value of `text` (a SyntaxError when there is none), its object's keys folded. */
export function parseGoJson(text: string): unknown {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    const at = /after JSON at position (\d+)/.exec((e as Error).message);
    if (!at) throw e;
    v = JSON.parse(text.slice(0, Number(at[1])));
  }
  return foldKeys(v);
}

const folded = new WeakMap<object, object>();

/**
 * An object whose properties, and its nested objects' (HostConfig's `TmpFs` is `Tmpfs`), are also
 * found by a key that differs in case only. Keys themselves are kept: iterating a map (Labels,
 * Env...) sees the client's.
 */
export function foldKeys<T>(v: T): T {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return v;
  const known = folded.get(v as object);
  if (known) return known as T;
  const key = (t: object, p: string | symbol): string | symbol => {
    if (typeof p !== 'string' || p in t) return p;
    const lower = p.toLowerCase();
    return Object.keys(t).find((k) => k.toLowerCase() === lower) ?? p;
  };
  const proxy = new Proxy(v as object, {
    get: (t, p, recv) => foldKeys(Reflect.get(t, key(t, p), recv)),
    has: (t, p) => Reflect.has(t, key(t, p)),
  });
  folded.set(v as object, proxy);
  return proxy as T;
}
