#!/usr/bin/env bash
# pier's main job on an embedded default, with no internet: set up, make a busybox image
# from the host's busybox-static, push it to a local registry (Debian's docker-registry),
# remove it, pull it back and inspect it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

work=$(mktemp -d /tmp/pier-demo.XXXXXX)
reg_pid=""
cleanup() { [ -n "$reg_pid" ] && kill "$reg_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

echo "== making a busybox rootfs from /bin/busybox"
mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/tmp" "$work/rootfs/root"
cp /bin/busybox "$work/rootfs/bin/busybox"
for app in $(/bin/busybox --list); do
  [ "$app" = busybox ] || ln -sf busybox "$work/rootfs/bin/$app"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$work/rootfs/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' > "$work/rootfs/etc/group"
chmod 1777 "$work/rootfs/tmp"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work/rootfs" -cf "$work/rootfs.tar" .

echo "== pier import"
pier import --change 'CMD ["sh"]' --change 'ENV PATH=/bin' "$work/rootfs.tar" localhost/busybox:latest

port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
cat > "$work/registry.yml" <<YML
version: 0.1
log: { level: error }
storage: { filesystem: { rootdirectory: $work/registry }, delete: { enabled: true } }
http: { addr: 127.0.0.1:$port }
YML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
reg_pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.1; done

echo "== pier push / rmi / pull from the local registry at 127.0.0.1:$port"
pier push --tls-verify=false localhost/busybox:latest "127.0.0.1:$port/demo/busybox:latest"
pier rmi localhost/busybox:latest
pier pull --tls-verify=false "127.0.0.1:$port/demo/busybox:latest"
pier tag "127.0.0.1:$port/demo/busybox:latest" busybox
echo "== pier images"
pier images
echo "== pier image inspect"
pier image inspect busybox --format 'id={{.Id}} arch={{.Architecture}} cmd={{.Config.Cmd}} layers={{len .RootFS.Layers}}'
pier image tree busybox
echo "== pier run"
pier run --rm --network none busybox echo "hello from a pier container"
cid=$(pier run -d --name pier-demo --network none busybox sh -c 'while true; do date; sleep 1; done')
sleep 1.5
pier ps
pier logs --tail 1 pier-demo
pier exec pier-demo uname -a
pier rm -f -t 0 pier-demo >/dev/null
echo "== a published port on the default bridge network"
pier run -d --name pier-web -p 127.0.0.1::80 busybox sh -c 'mkdir -p /srv && echo "hello over the network" > /srv/index.html && exec httpd -f -p 80 -h /srv' >/dev/null
hostport=$(pier port pier-web 80)
for _ in $(seq 50); do curl -sf "http://$hostport/index.html" && break; sleep 0.1; done
pier rm -f -t 0 pier-web >/dev/null
echo "== done"
