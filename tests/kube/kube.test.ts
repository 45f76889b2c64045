// `pier generate kube`, `pier kube play` and `pier kube down` on a real runtime: the YAML of a
// container and of a pod as podman 4.3.1 prints it, a played Pod's containers (env, ConfigMap,
// volumes, ports) checked from inside, down removing them, the round trip, and the errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { busyboxStoreForFile, REMOTE, TestStore } from '../helpers/cli';
import { NotifyListener } from '../helpers/notify';
import { startRegistry } from '../fixtures/registry';
import { busyboxImage } from '../fixtures/images';
import { pushImage } from '../fixtures/push';

let s: TestStore;
busyboxStoreForFile((x) => (s = x));

/** An engine error as the CLI prints it: through the service, with the prefix podman's handler adds (its remote client prints it too). */
const err = (prefix: string, msg: string) => `Error: ${REMOTE ? `${prefix}: ` : ''}${msg}`;

/** The text without the line that changes each time. */
const stable = (y: string) => y.replace(/creationTimestamp: "[^"]+"/g, 'creationTimestamp: T');

test('generate kube of a container: podman 4.3.1 fields, order and quoting', () => {
  const dir = fs.mkdtempSync(path.join(s.dir, 'gen-'));
  fs.writeFileSync(path.join(dir, 'file'), 'x');
  s.ok(['volume', 'create', 'gvol']);
  s.ok(['create', '--name', 'gen_c', '-e', 'FOO=bar', '-e', 'N=1000', '-p', '8080:80', '-p', '127.0.0.1:9090:90/udp',
    '-v', `${dir}:/data`, '-v', `${dir}/file:/f:ro`, '-v', 'gvol:/vol', '--cap-add', 'NET_ADMIN', '--cap-drop', 'CHOWN',
    '--memory', '64m', '--cpus', '1.5', '-w', '/tmp', '--user', '1000:1000', '--annotation', 'x=y', 'localhost/busybox', 'sleep', '1000']);
  const out = s.ok(['generate', 'kube', 'gen_c']);
  const base = dir.replace(/^\//, '').replace(/\//g, '-');
  assert.equal(stable(out), `# Save the output of this file and use kubectl create -f to import
# it into Kubernetes.
#
# Created with pier-0.1.0

# NOTE: If you generated this yaml from an unprivileged and rootless pier container on an SELinux
# enabled system, check the pier generate kube documentation for steps to follow to ensure that your pod/container
# has the right permissions to access the volumes added.
---
apiVersion: v1
kind: Pod
metadata:
  annotations:
    io.kubernetes.cri-o.TTY/genc: "false"
    io.podman.annotations.autoremove/genc: "FALSE"
    io.podman.annotations.init/genc: "FALSE"
    io.podman.annotations.privileged/genc: "FALSE"
    io.podman.annotations.publish-all/genc: "FALSE"
    x/genc: "y"
  creationTimestamp: T
  labels:
    app: genc-pod
  name: genc-pod
spec:
  automountServiceAccountToken: false
  containers:
  - command:
    - sleep
    - "1000"
    env:
    - name: FOO
      value: bar
    - name: "N"
      value: "1000"
    image: localhost/busybox:latest
    name: genc
    ports:
    - containerPort: 80
      hostPort: 8080
    - containerPort: 90
      hostIP: 127.0.0.1
      hostPort: 9090
      protocol: UDP
    resources:
      limits:
        cpu: 1500m
        memory: 64Mi
    securityContext:
      capabilities:
        add:
        - CAP_NET_ADMIN
        drop:
        - CAP_CHOWN
        - CAP_MKNOD
        - CAP_NET_RAW
        - CAP_AUDIT_WRITE
      runAsGroup: 1000
      runAsUser: 1000
    volumeMounts:
    - mountPath: /data
      name: ${base}-host-0
    - mountPath: /f
      name: ${base}-file-host-1
      readOnly: true
    - mountPath: /vol
      name: gvol-pvc
    workingDir: /tmp
  enableServiceLinks: false
  volumes:
  - hostPath:
      path: ${dir}
      type: Directory
    name: ${base}-host-0
  - hostPath:
      path: ${dir}/file
      type: File
    name: ${base}-file-host-1
  - name: gvol-pvc
    persistentVolumeClaim:
      claimName: gvol

`);
  // A long argument folds at 80 columns as Go's yaml.v2 folds it; a volume is a claim.
  s.ok(['create', '--name', 'gen_long', 'localhost/busybox', 'sh', '-c', 'echo this is a rather long command line that goes past the eighty column limit of the yaml emitter; sleep 1']);
  assert.match(s.ok(['generate', 'kube', 'gen_long']), /\n    - echo this is a rather long command line that goes past the eighty column limit\n      of the yaml emitter; sleep 1\n/);
  assert.match(s.ok(['generate', 'kube', 'gvol']), /\nkind: PersistentVolumeClaim\nmetadata:\n  annotations:\n    volume.podman.io\/driver: local\n[^]*spec:\n  accessModes:\n  - ReadWriteOnce\n  resources:\n    requests:\n      storage: 1Gi\nstatus: \{\}\n/);
});

test('generate kube of a pod: members, the infra ports on the first, restartPolicy, status; --service', () => {
  s.ok(['pod', 'create', '--name', 'genpod', '-p', '18181:80']);
  s.ok(['create', '--pod', 'genpod', '--name', 'gp1', '-e', 'A=1', 'localhost/busybox', 'sleep', '1000']);
  s.ok(['create', '--pod', 'genpod', '--name', 'gp2', '--restart', 'always', 'localhost/busybox']);
  const out = stable(s.ok(['generate', 'kube', 'genpod']));
  const podId = s.ok(['pod', 'inspect', '--format', '{{.InfraContainerID}}', 'genpod']).trim();
  assert.match(out, new RegExp(`    io.kubernetes.cri-o.SandboxID/gp1: ${podId.slice(0, 63)}\n`));
  assert.ok(out.includes(`  containers:
  - command:
    - sleep
    - "1000"
    env:
    - name: A
      value: "1"
    image: localhost/busybox:latest
    name: gp1
    ports:
    - containerPort: 80
      hostPort: 18181
    resources: {}
    securityContext:
      capabilities:
        drop:
        - CAP_MKNOD
        - CAP_NET_RAW
        - CAP_AUDIT_WRITE
  - image: localhost/busybox:latest
    name: gp2
    resources: {}
`), out);
  assert.ok(out.includes('  hostname: genpod\n  restartPolicy: Never\nstatus: {}\n'), out);
  const svc = s.ok(['generate', 'kube', '--service', 'genpod']);
  assert.match(svc, /\nkind: Service\n[^]*  ports:\n  - name: "80"\n    nodePort: 3\d{4}\n    port: 80\n    targetPort: 80\n  selector:\n    app: genpod\n  type: NodePort\n---\napiVersion: v1\nkind: Pod\n/);
  // A member alone is refused; an unknown name too.
  const r = s.run(['generate', 'kube', 'gp1']);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /^Error: (generating YAML: )?container [0-9a-f]{64} is associated with pod [0-9a-f]{64}: use generate on the pod itself\n$/);
  const n = s.run(['generate', 'kube', 'nosuch']);
  assert.deepEqual([n.code, n.stderr], [125, `${err('generating YAML', 'name or ID "nosuch" not found')}\n`]);
  s.ok(['pod', 'rm', '-f', '-t', '0', 'genpod']);
});

const POD_YAML = (hostDir: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: kcm
data:
  k1: v1
  greeting: hello
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: kpvc
  labels:
    l: x
---
apiVersion: v1
kind: Pod
metadata:
  name: kweb
  labels:
    app: kweb
spec:
  restartPolicy: Never
  containers:
  - name: box
    image: localhost/busybox
    command: [sh, -c]
    args: ["echo started; sleep 1000"]
    workingDir: /data
    env:
    - name: FOO
      value: bar
    - name: FROMCM
      valueFrom:
        configMapKeyRef: {name: kcm, key: k1}
    ports:
    - containerPort: 80
      hostPort: 18282
    volumeMounts:
    - name: hp
      mountPath: /hp
    - name: data
      mountPath: /data
    - name: cfg
      mountPath: /cfg
      readOnly: true
    - name: scratch
      mountPath: /scratch
  volumes:
  - name: hp
    hostPath:
      path: ${hostDir}
      type: DirectoryOrCreate
  - name: data
    persistentVolumeClaim:
      claimName: kpvc
  - name: cfg
    configMap:
      name: kcm
  - name: scratch
    emptyDir: {}
`;

test('kube play: a Pod with env, a ConfigMap, hostPath, claim and emptyDir volumes, ports; kube down removes it', () => {
  const hostDir = path.join(s.dir, 'play-host', 'sub');
  const file = path.join(s.dir, 'pod.yaml');
  fs.writeFileSync(file, POD_YAML(hostDir));
  const out = s.ok(['kube', 'play', file]);
  const podId = s.ok(['pod', 'inspect', '--format', '{{.ID}}', 'kweb']).trim();
  const ctrId = s.ok(['inspect', '--format', '{{.Id}}', 'kweb-box']).trim();
  assert.equal(out, `Volumes:\nkpvc\nPod:\n${podId}\nContainer:\n${ctrId}\n\n`);
  // DirectoryOrCreate made the host directory.
  assert.ok(fs.statSync(hostDir).isDirectory());
  const inside = s.ok(['exec', 'kweb-box', 'sh', '-c', 'echo "$FOO $FROMCM"; pwd; cat /cfg/greeting; echo; ls /cfg; touch /hp/made /data/x /scratch/y && echo ok; touch /cfg/z 2>/dev/null || echo ro; hostname']);
  assert.equal(inside, 'bar v1\n/data\nhello\ngreeting\nk1\nok\nro\nkweb\n');
  assert.ok(fs.existsSync(path.join(hostDir, 'made')));
  assert.equal(s.ok(['inspect', '--format', '{{.HostConfig.RestartPolicy.Name}} {{.Config.Labels.app}} {{.Pod}}', 'kweb-box']).trim(), `no kweb ${podId}`);
  assert.equal(s.ok(['inspect', '--format', '{{json .Config.Entrypoint}} {{json .Config.Cmd}}', 'kweb-box']).trim(), '"sh -c" ["echo started; sleep 1000"]');
  assert.match(s.ok(['port', 'kweb-box']), /^80\/tcp -> 0\.0\.0\.0:18282\n$/);
  assert.equal(s.ok(['volume', 'inspect', '--format', '{{.Labels.l}}', 'kpvc']).trim(), 'x');
  assert.equal(s.ok(['pod', 'inspect', '--format', '{{json .InfraConfig.Networks}}', 'kweb']).trim(), '["pier-default-kube-network"]');

  const down = s.ok(['kube', 'down', file]);
  assert.equal(down, `Pods stopped:\n${podId}\nPods removed:\n${podId}\n`);
  assert.equal(s.run(['pod', 'exists', 'kweb']).code, 1);
  assert.equal(s.run(['container', 'exists', 'kweb-box']).code, 1);
  // The claim's volume stays (podman 4.3), so playing again fails on it, one line, nothing left.
  assert.equal(s.run(['volume', 'exists', 'kpvc']).code, 0);
  const again = s.run(['kube', 'play', file]);
  assert.deepEqual([again.code, again.stderr], [125, `${err('playing YAML file', 'volume with name kpvc already exists: volume already exists')}\n`]);
  assert.equal(s.run(['pod', 'exists', 'kweb']).code, 1);
  const gone = s.run(['kube', 'down', file]);
  assert.deepEqual([gone.code, gone.stdout, gone.stderr], [125, '', `${err('tearing down YAML file', 'no pod with name or ID kweb found: no such pod')}\n`]);
  s.ok(['volume', 'rm', 'kpvc', 'kcm', 'scratch']);
});

test('round trip: generate kube of a pod, remove it, play the YAML back', () => {
  s.ok(['pod', 'create', '--name', 'rt', '-p', '18383:8080']);
  s.ok(['run', '-d', '--pod', 'rt', '--name', 'rtc', '-e', 'COLOR=blue', 'localhost/busybox', 'sleep', '1000']);
  const yaml = s.ok(['generate', 'kube', 'rt']);
  const file = path.join(s.dir, 'rt.yaml');
  fs.writeFileSync(file, yaml);
  s.ok(['kube', 'down', file]);
  assert.equal(s.run(['pod', 'exists', 'rt']).code, 1);
  const out = s.ok(['kube', 'play', '--start=false', file]);
  assert.match(out, /^Pod:\n[0-9a-f]{64}\nContainer:\n[0-9a-f]{64}\n\n$/);
  // Containers are named POD-CONTAINER; --start=false leaves them created.
  assert.equal(s.ok(['inspect', '--format', '{{.State.Status}}', 'rt-rtc']).trim(), 'created');
  s.ok(['pod', 'start', 'rt']);
  assert.equal(s.ok(['exec', 'rt-rtc', 'sh', '-c', 'echo $COLOR']), 'blue\n');
  assert.match(s.ok(['port', 'rt-rtc']), /8080\/tcp -> 0\.0\.0\.0:18383/);
  // --replace removes the pod first and plays it again.
  const again = s.ok(['kube', 'play', '--replace', '--start=false', file]);
  assert.match(again, /^Pod:\n/);
  s.ok(['kube', 'down', file]);
});

test('kube play of a Deployment: POD-pod-N pods; -: stdin; --configmap file', () => {
  const cm = path.join(s.dir, 'cm.yaml');
  fs.writeFileSync(cm, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extcm\ndata:\n  mode: fast\n');
  const dep = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: dep
spec:
  replicas: 1
  template:
    metadata:
      labels:
        app: dep
    spec:
      containers:
      - name: w
        image: localhost/busybox
        command: ["sleep", "1000"]
        env:
        - name: MODE
          valueFrom:
            configMapKeyRef: {name: extcm, key: mode}
`;
  const args = REMOTE ? ['kube', 'play', '-'] : ['kube', 'play', '--configmap', cm, '-'];
  const input = REMOTE ? dep.replace(/valueFrom:\n.*\n/, 'value: fast\n') : dep;
  const out = s.ok(args, { input });
  assert.match(out, /^Pod:\n[0-9a-f]{64}\nContainer:\n[0-9a-f]{64}\n\n$/);
  assert.equal(s.ok(['exec', 'dep-pod-0-w', 'sh', '-c', 'echo $MODE']), 'fast\n');
  assert.equal(s.ok(['kube', 'down', '-'], { input: dep }).split('\n')[0], 'Pods stopped:');
  assert.equal(s.run(['pod', 'exists', 'dep-pod-0']).code, 1);
});

test('kube play of Secrets: stored as secrets; secretKeyRef, envFrom.secretRef and secret volumes; immutable; secret create JSON maps', () => {
  // A secret made with `secret create` holding podman's JSON map of key to base64 value.
  s.ok(['secret', 'create', 'jsonsec', '-'], { input: JSON.stringify({ token: Buffer.from('t0k').toString('base64') }) });
  const yaml = `apiVersion: v1
kind: Secret
metadata: {name: ksec}
data:
  user: ${Buffer.from('admin').toString('base64')}
  pass: ${Buffer.from('s3cret').toString('base64')}
stringData:
  plain: hello
---
apiVersion: v1
kind: Secret
metadata: {name: ksec-fixed}
immutable: true
data: {k: ${Buffer.from('v').toString('base64')}}
---
apiVersion: v1
kind: Pod
metadata: {name: ks}
spec:
  containers:
  - name: c
    image: localhost/busybox
    command: [sleep, "1000"]
    env:
    - name: USER
      valueFrom:
        secretKeyRef: {name: ksec, key: user}
    - name: TOKEN
      valueFrom:
        secretKeyRef: {name: jsonsec, key: token}
    - name: NOPE
      valueFrom:
        secretKeyRef: {name: absent, key: x, optional: true}
    envFrom:
    - secretRef: {name: ksec-fixed}
    volumeMounts:
    - {name: sv, mountPath: /sec, readOnly: true}
    - {name: picked, mountPath: /picked}
  volumes:
  - name: sv
    secret: {secretName: ksec}
  - name: picked
    secret:
      secretName: ksec-fixed
      items: [{key: k, path: kfile}]
`;
  const out = s.ok(['kube', 'play', '-'], { input: yaml });
  assert.match(out, /^Pod:\n[0-9a-f]{64}\nContainer:\n[0-9a-f]{64}\n\n$/);
  assert.deepEqual(s.ok(['secret', 'ls', '--format', '{{.Name}}']).trim().split('\n').sort(), ['jsonsec', 'ksec', 'ksec-fixed']);
  const inside = s.ok(['exec', 'ks-c', 'sh', '-c', 'echo "$USER $TOKEN $k ${NOPE-unset}"; ls /sec; cat /sec/pass; echo; cat /sec/plain; echo; ls /picked; cat /picked/kfile']);
  assert.equal(inside, 'admin t0k v unset\npass\nplain\nuser\ns3cret\nhello\nkfile\nv');
  s.ok(['pod', 'rm', '-f', '-t', '0', 'ks']);
  // Playing the Secret again replaces it, unless it is immutable.
  const again = s.run(['kube', 'play', '-'], { input: yaml });
  assert.deepEqual([again.code, again.stderr], [125, `${err('playing YAML file', 'cannot remove colliding secret as it is set to immutable')}\n`]);
  assert.equal(s.run(['pod', 'exists', 'ks']).code, 1);
  // A missing secret that is not optional: one line, nothing made.
  const miss = s.run(['kube', 'play', '-'], { input: 'kind: Pod\nmetadata: {name: ks2}\nspec:\n  containers:\n  - name: c\n    image: localhost/busybox\n    env:\n    - name: X\n      valueFrom:\n        secretKeyRef: {name: absent, key: x}\n' });
  assert.deepEqual([miss.code, miss.stderr], [125, `${err('playing YAML file', 'cannot set env X: no secret with name or id "absent": no such secret')}\n`]);
  assert.equal(s.run(['pod', 'exists', 'ks2']).code, 1);
  s.ok(['secret', 'rm', 'jsonsec', 'ksec', 'ksec-fixed']);
  s.ok(['volume', 'rm', 'ksec', 'ksec-fixed']);
});

test('kube play: liveness probes become healthchecks (exec, httpGet, tcpSocket), as podman 4.3.1 makes them', () => {
  const yaml = `apiVersion: v1
kind: Pod
metadata: {name: kp}
spec:
  containers:
  - name: ex
    image: localhost/busybox
    command: [sleep, "1000"]
    livenessProbe:
      exec: {command: [cat, /tmp/alive]}
      periodSeconds: 5
      failureThreshold: 2
      initialDelaySeconds: 3
  - name: web
    image: localhost/busybox
    command: [sleep, "1000"]
    livenessProbe:
      httpGet: {path: /healthz, port: 8080}
  - name: tcp
    image: localhost/busybox
    command: [sleep, "1000"]
    livenessProbe:
      tcpSocket: {host: 127.0.0.1, port: 9000}
      timeoutSeconds: 4
`;
  s.ok(['kube', 'play', '-'], { input: yaml });
  const hc = (c: string) => JSON.parse(s.ok(['inspect', '--format', '{{json .Config.Healthcheck}}', c]));
  assert.deepEqual(hc('kp-ex'), { Test: ['CMD-SHELL', 'cat', '/tmp/alive', '||', 'exit', '1'], StartPeriod: 3e9, Interval: 5e9, Timeout: 1e9, Retries: 2 });
  assert.deepEqual(hc('kp-web').Test, ['CMD-SHELL', 'curl', '-f', 'HTTP://localhost:8080/healthz', '||', 'exit', '1']);
  assert.deepEqual(hc('kp-tcp'), { Test: ['CMD-SHELL', 'nc', '-z', '-v', '127.0.0.1', '9000', '||', 'exit', '1'], Interval: 10e9, Timeout: 4e9, Retries: 3 });
  // The pod's restartPolicy (Always, the default) restarts an unhealthy container.
  assert.equal(s.ok(['inspect', '--format', '{{.Config.HealthcheckOnFailureAction}}', 'kp-ex']).trim(), 'restart');
  // The probe runs: unhealthy until the file exists.
  assert.equal(s.run(['healthcheck', 'run', 'kp-ex']).code, 1);
  s.ok(['exec', 'kp-ex', 'touch', '/tmp/alive']);
  assert.equal(s.run(['healthcheck', 'run', 'kp-ex']).code, 0);
  s.ok(['pod', 'rm', '-f', '-t', '0', 'kp']);
});

test('kube play --build, --context-dir: images built from NAME/Containerfile when missing, or always with --build', () => {
  const ctxDir = fs.mkdtempSync(path.join(s.dir, 'kctx-'));
  fs.mkdirSync(path.join(ctxDir, 'userimage'));
  const containerfile = path.join(ctxDir, 'userimage', 'Containerfile');
  fs.writeFileSync(containerfile, 'FROM localhost/busybox\nUSER bin\n');
  const yaml = 'kind: Pod\nmetadata: {name: kb}\nspec:\n  containers:\n  - name: t\n    image: quay.io/libpod/userimage\n    command: [id]\n';
  const user = () => s.ok(['inspect', '--format', '{{.Config.User}}', 'kb-t']).trim();
  // Missing: built (its steps on stdout, before the report), then used as it is.
  const first = s.ok(['kube', 'play', '--context-dir', ctxDir, '--start=false', '-'], { input: yaml });
  assert.match(first, /^STEP 1\/2: FROM localhost\/busybox\nSTEP 2\/2: USER bin\n[^]*Successfully tagged quay.io\/libpod\/userimage:latest\n[0-9a-f]{64}\nPod:\n/);
  assert.equal(user(), 'bin');
  fs.writeFileSync(containerfile, 'FROM localhost/busybox\nUSER daemon\n');
  // Present: not built again, unless --build says so.
  assert.match(s.ok(['kube', 'play', '--replace', '--context-dir', ctxDir, '--start=false', '-'], { input: yaml }), /^Pod:\n/);
  assert.equal(user(), 'bin');
  s.ok(['kube', 'play', '--replace', '--build', '--context-dir', ctxDir, '--start=false', '-'], { input: yaml });
  assert.equal(user(), 'daemon');
  s.ok(['pod', 'rm', '-f', '-t', '0', 'kb']);
  s.ok(['rmi', '-f', 'quay.io/libpod/userimage']);
});

test('kube play --ip and --mac-address: static addresses for the pods in the order they are made', () => {
  s.ok(['network', 'create', '--subnet', '10.250.213.0/24', 'kipnet']);
  const yaml = 'kind: Deployment\nmetadata: {name: kip}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n      - name: c\n        image: localhost/busybox\n        command: [sleep, "1000"]\n';
  const r = s.run(['kube', 'play', '--network', 'kipnet', '--ip', '10.250.213.50', '--mac-address', '02:11:22:33:44:55', '-'], { input: yaml });
  assert.equal(r.code, 0, r.stderr);
  // The second pod gets random ones, with podman's warnings.
  assert.match(r.stderr, /No more static ips left using a random one/);
  assert.equal(s.ok(['exec', 'kip-pod-0-c', 'sh', '-c', 'ip -4 -o addr show eth0 | grep -o "inet [0-9.]*"; cat /sys/class/net/eth0/address']), 'inet 10.250.213.50\n02:11:22:33:44:55\n');
  assert.doesNotMatch(s.ok(['exec', 'kip-pod-1-c', 'cat', '/sys/class/net/eth0/address']), /02:11:22:33:44:55/);
  s.ok(['pod', 'rm', '-f', '-t', '0', 'kip-pod-0', 'kip-pod-1']);
  const none = s.run(['kube', 'play', '--network', 'none', '--ip', '10.250.213.50', '-'], { input: yaml });
  assert.equal(none.code, 125);
  assert.match(none.stderr, /static ip addresses can only be set when the network mode is bridge: invalid argument\n$/);
  const bad = s.run(['kube', 'play', '--ip', 'nope', '-'], { input: yaml });
  assert.deepEqual([bad.code, bad.stderr], [125, 'Error: invalid argument "nope" for "--ip" flag: invalid string being converted to IP address: nope\n']);
  const mac = s.run(['kube', 'play', '--mac-address', 'zz', '-'], { input: yaml });
  assert.deepEqual([mac.code, mac.stderr], [125, 'Error: address zz: invalid MAC address\n']);
  assert.equal(s.run(['pod', 'exists', 'kip-pod-0']).code, 1);
  s.ok(['network', 'rm', 'kipnet']);
});

test('kube play seccomp annotations: the pod\'s profile, a container\'s runtime/default or unconfined; --seccomp-profile-root', () => {
  const root = fs.mkdtempSync(path.join(s.dir, 'seccomp-'));
  fs.writeFileSync(path.join(root, 'nomkdir.json'), JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }));
  const yaml = (pod: string) => ['kind: Pod', 'metadata:', '  name: ksc', '  annotations:', `    seccomp.security.alpha.kubernetes.io/pod: ${pod}`,
    '    container.seccomp.security.alpha.kubernetes.io/def: runtime/default', '    container.seccomp.security.alpha.kubernetes.io/unc: unconfined',
    'spec:', '  restartPolicy: Never', '  containers:',
    ...['lim', 'def', 'unc'].flatMap((n) => [`  - name: ${n}`, '    image: localhost/busybox',
      '    command: [sh, -c, "mkdir /tmp/x && echo made || echo refused; grep Seccomp: /proc/self/status"]']), ''].join('\n');
  const local = REMOTE ? [] : ['--seccomp-profile-root', root];
  s.ok(['kube', 'play', '--start=false', ...local, '-'], { input: yaml(REMOTE ? 'unconfined' : 'localhost/nomkdir.json') });
  const out = (n: string) => s.ok(['start', '-a', `ksc-${n}`]).replace(/\s+/g, ' ').trim();
  assert.equal(out('lim'), REMOTE ? 'made Seccomp: 0' : 'refused Seccomp: 2');
  assert.equal(out('def'), 'made Seccomp: 2');
  assert.equal(out('unc'), 'made Seccomp: 0');
  s.ok(['pod', 'rm', '-f', '-t', '0', 'ksc']);
  const bad = s.run(['kube', 'play', '-'], { input: yaml('bogus/x') });
  assert.equal(bad.code, 125);
  // (The service's error names the step, as podman's API handler does.)
  assert.equal(bad.stderr.trim(), `Error: ${REMOTE ? 'playing YAML file: ' : ''}invalid seccomp path: bogus/x`);
  assert.equal(s.run(['pod', 'exists', 'ksc']).code, 1);
});

test('kube play pulls a missing image with podman\'s progress on stderr (none with --quiet, nor from the service)', async () => {
  const reg = await startRegistry({ auth: 'none' });
  try {
    await pushImage(reg, 'lib/kpull', 'latest', await busyboxImage('docker'));
    const yaml = `kind: Pod\nmetadata: {name: kpull}\nspec:\n  containers:\n  - name: c\n    image: ${reg.host}/lib/kpull:latest\n    command: ["true"]\n`;
    const r = s.run(['kube', 'play', '--tls-verify=false', '--start=false', '-'], { input: yaml });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Pod:\n[0-9a-f]{64}\nContainer:\n[0-9a-f]{64}\n\n$/);
    if (REMOTE) assert.equal(r.stderr, '');
    else assert.match(r.stderr, new RegExp(`^Trying to pull ${reg.host}/lib/kpull:latest\\.\\.\\.\nGetting image source signatures\n(Copying blob .*\n)+Copying config sha256:[0-9a-f]{64}\nWriting manifest to image destination\nStoring signatures\n$`));
    s.ok(['pod', 'rm', '-f', 'kpull']);
    s.ok(['rmi', `${reg.host}/lib/kpull:latest`]);
    const q = s.run(['kube', 'play', '-q', '--tls-verify=false', '--start=false', '-'], { input: yaml });
    assert.deepEqual([q.code, q.stderr], [0, '']);
    s.ok(['pod', 'rm', '-f', 'kpull']);
  } finally {
    await reg.stop();
  }
});

test('kube play reads YAML as Kubernetes does: scalars of string fields as their text, yes/on as booleans only in bool fields; env without TERM; CharDevice hostPaths', () => {
  const yaml = (dev: string) => ['kind: Pod', 'metadata: {name: kscal}', 'spec:', '  restartPolicy: Never', '  containers:', '  - name: c', '    image: localhost/busybox',
    '    command: [sh, -c, "env | sort | tr \'\\n\' \' \'; ls -l /dev/mynull | cut -c1"]', '    env:',
    ...[['A', 'yes'], ['B', 'on'], ['C', 'n'], ['D', '0777'], ['E', '1_000'], ['F', 'true'], ['G', '1.50']].flatMap(([k, v]) => [`    - name: ${k}`, `      value: ${v}`]),
    '    volumeMounts:', '    - {name: d, mountPath: /dev/mynull, readOnly: no}', '  volumes:', `  - {name: d, hostPath: {path: ${dev}, type: CharDevice}}`, ''].join('\n');
  s.ok(['kube', 'play', '--start=false', '-'], { input: yaml('/dev/null') });
  assert.equal(s.ok(['start', '-a', 'kscal-c']).trim(),
    'A=yes B=on C=n D=511 E=1000 F=true G=1.5 HOME=/root HOSTNAME=kscal PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin PWD=/ SHLVL=1 c');
  s.ok(['pod', 'rm', '-f', 'kscal']);
  const bad = s.run(['kube', 'play', '-'], { input: yaml('/etc/hostname') });
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /^Error: (playing YAML file: )?failed to create volume "d": checking HostPathCharDevice: path \/etc\/hostname is not a character device\n$/);
  assert.equal(s.run(['pod', 'exists', 'kscal']).code, 1);
});

test('kube play errors: one line, exit 125, nothing left behind', () => {
  const cases: [string, string][] = [
    ['a: [\n', 'Error: multi doc yaml could not be split: yaml: line 2: '],
    ['kind: Service\nmetadata: {name: s}\n', 'Error: YAML document does not contain any supported kube kind\n'],
    ['kind: ConfigMap\nmetadata: {name: c}\n', 'Error: ConfigMaps in podman are not a standalone object and must be used in a container\n'],
    ['kind: Pod\nmetadata: {name: bad}\nspec:\n  containers:\n  - name: a\n    image: localhost/nosuch-image\n    imagePullPolicy: Never\n', 'Error: localhost/nosuch-image: image not known\n'],
    // (A scalar is taken as its text: `value: 1` is "1", `value: yes` is "yes", as in podman.)
    ['kind: Pod\nmetadata: {name: bad}\nspec:\n  containers:\n  - name: a\n    image: localhost/busybox\n    env:\n    - {name: X, value: [a]}\n',
      'Error: unable to read YAML as Kube Pod: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go struct field EnvVar.spec.containers.env.value of type string\n'],
    ['kind: Pod\nmetadata: {name: bad}\nspec:\n  containers:\n  - name: a\n    image: localhost/busybox\n    volumeMounts:\n    - {name: nope, mountPath: /x}\n',
      'Error: volume mount nope specified for container but not configured in volumes\n'],
  ];
  for (const [yaml, e] of cases) {
    const r = s.run(['kube', 'play', '-'], { input: yaml });
    assert.equal(r.code, 125, yaml);
    assert.ok(r.stderr.startsWith(err('playing YAML file', e.slice('Error: '.length))) && r.stderr.split('\n').length === 2, `${yaml}: ${r.stderr}`);
    assert.equal(s.run(['pod', 'exists', 'bad']).code, 1, yaml);
  }
  const missing = s.run(['kube', 'play', path.join(s.dir, 'nope.yaml')]);
  assert.deepEqual([missing.code, missing.stderr], [125, `Error: open ${path.join(s.dir, 'nope.yaml')}: no such file or directory\n`]);
  const args = s.run(['kube', 'down']);
  assert.deepEqual([args.code, args.stderr.split('\n')[0]], [125, 'Error: accepts 1 arg(s), received 0']);
});

test('kube play --publish (podman 4.5\'s, hidden): merged with the YAML\'s ports, replacing those of its container ports', () => {
  const yaml = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: kpub\nspec:\n  containers:\n  - name: box\n    image: localhost/busybox\n    ports:\n    - containerPort: 80\n      hostPort: 18383\n    - containerPort: 81\n      hostPort: 18384\n';
  s.ok(['kube', 'play', '--start=false', '--publish', '127.0.0.1:18385:80', '-'], { input: yaml });
  const ports = JSON.parse(s.ok(['pod', 'inspect', '--format', '{{json .InfraConfig.PortBindings}}', 'kpub']));
  assert.deepEqual(ports, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '18385' }], '81/tcp': [{ HostIp: '', HostPort: '18384' }] });
  assert.equal(s.ok(['kube', 'play', '--help']).includes('--publish'), false);
  s.ok(['kube', 'down', '-'], { input: yaml });
});

test('kube play --service-container: HASH-service made first, started by the pods, stopped once they exit, removed with them; MAINPID to NOTIFY_SOCKET', async (t) => {
  const yaml = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: svcp\nspec:\n  restartPolicy: Never\n  containers:\n  - name: main\n    image: localhost/busybox:latest\n    command: ["sh", "-c", "trap \'exit 0\' TERM; sleep 1000 & wait"]\n';
  const file = path.join(s.dir, 'svc.yaml');
  fs.writeFileSync(file, yaml);
  if (REMOTE) {
    // podman-remote 4.3 has no such flag (nor its API such a parameter).
    const r = s.run(['kube', 'play', '--service-container=true', file]);
    assert.deepEqual([r.code, r.stderr], [125, 'Error: unknown flag: --service-container\n']);
    return;
  }
  const name = `${createHash('sha256').update(yaml).digest('hex').slice(0, 12)}-service`;
  const notify = await new NotifyListener(path.join(s.dir, 'svc-notify.sock'), s.dir).ready();
  t.after(() => notify.close());
  s.ok(['kube', 'play', '--service-container=true', file], { env: { NOTIFY_SOCKET: notify.address } });
  const svc = JSON.parse(s.ok(['inspect', name]))[0];
  const podId = s.ok(['pod', 'inspect', '--format', '{{.ID}}', 'svcp']).trim();
  assert.deepEqual([svc.IsService, svc.IsInfra, svc.Pod, svc.State.Status, svc.HostConfig.NetworkMode, svc.Config.StopTimeout, svc.Config.sdNotifyMode, svc.Path],
    [true, false, '', 'running', 'none', 0, 'ignore', '/catatonit']);
  assert.equal(s.ok(['inspect', '--format', '{{.IsService}}', 'svcp-main']).trim(), 'false');
  // Its conmon is the main process systemd is told of; the infra container tells it nothing.
  assert.deepEqual(await notify.wait(1), [`MAINPID=${svc.State.ConmonPid}\nREADY=1`]);
  // Not removable while its pod runs, not even forced (podman's error).
  for (const args of [['rm', name], ['rm', '-f', name]]) {
    const r = s.run(args);
    assert.deepEqual([r.code, r.stderr], [125, `Error: container ${svc.Id} is the service container of pod(s) ${podId} and cannot be removed without removing the pod(s)\n`]);
  }
  // A pod restart leaves it up; the pod's containers exiting (exit policy stop) take it down, killed.
  s.ok(['pod', 'restart', 'svcp']);
  assert.equal(s.ok(['inspect', '--format', '{{.State.ConmonPid}}', name]).trim(), String(svc.State.ConmonPid));
  s.ok(['kill', 'svcp-main']);
  for (let i = 0; s.ok(['inspect', '--format', '{{.State.Status}}', name]).trim() !== 'exited'; i++) {
    assert.ok(i < 100, 'the service container did not stop');
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(s.ok(['inspect', '--format', '{{.State.ExitCode}}', name]).trim(), '137');
  // The pod started again starts it again; kube down removes it with the pod.
  s.ok(['pod', 'start', 'svcp']);
  assert.equal(s.ok(['inspect', '--format', '{{.State.Status}}', name]).trim(), 'running');
  assert.equal(s.ok(['kube', 'down', file]), `Pods stopped:\n${podId}\nPods removed:\n${podId}\n`);
  assert.deepEqual([name, 'svcp-main'].map((n) => s.run(['container', 'exists', n]).code), [1, 1]);
  const r = s.run(['kube', 'play', '--service-container=true', '--start=false', file]);
  assert.deepEqual([r.code, r.stderr], [125, 'Error: --service-container does not work with --start=stop\n']);
});
