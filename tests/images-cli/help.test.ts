// --help texts of the image commands (podman 4.3's, with pier's name) and flag errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestStore } from './helpers';

const IMAGES_HELP = `List images in local storage

Description:
  Lists images previously pulled to the system or created on the system.

Usage:
  pier images [options] [IMAGE]

Examples:
  pier images --format json
  pier images --sort repository --format "table {{.ID}} {{.Repository}} {{.Tag}}"
  pier images --filter dangling=true

Options:
  -a, --all              Show all images (default hides intermediate images)
      --digests          Show digests
  -f, --filter strings   Filter output based on conditions provided (default [])
      --format string    Change the output format to JSON or a Go template
      --history          Display the image name history
      --no-trunc         Do not truncate output
  -n, --noheading        Do not print column headings
  -q, --quiet            Display only image IDs
      --sort string      Sort by id, repository, size, tag, created (default "created")

`;

const PULL_OPTIONS = `Options:
  -a, --all-tags                All tagged images in the repository will be pulled
      --arch ARCH               Use ARCH instead of the architecture of the machine for choosing images
      --authfile string         Path of the authentication file. Use REGISTRY_AUTH_FILE environment variable to override
      --cert-dir Pathname       Pathname of a directory containing TLS certificates and keys
      --creds Credentials       Credentials (USERNAME:PASSWORD) to use for authenticating to a registry
      --disable-content-trust   This is a Docker specific option and is a NOOP
      --os OS                   Use OS instead of the running OS for choosing images
      --platform string         Specify the platform for selecting the image.  (Conflicts with arch and os)
  -q, --quiet                   Suppress output information when pulling images
      --tls-verify              Require HTTPS and verify certificates when contacting registries (default true)
      --variant string          Use VARIANT instead of the running architecture variant for choosing images
`;

const ts = new TestStore({ driver: 'vfs' });
test.after(() => ts.cleanup());

test('images --help matches podman 4.3 (names swapped)', () => {
  assert.equal(ts.ok(['images', '--help']), IMAGES_HELP);
  const ls = ts.ok(['image', 'ls', '--help']);
  assert.match(ls, /\nUsage:\n {2}pier image list \[options\] \[IMAGE\]\n\nAliases:\n {2}list, ls\n/);
  assert.match(ls, /\n {2}pier image list --filter dangling=true\n/);
});

test('pull --help lists podman 4.3 options', () => {
  assert.ok(ts.ok(['pull', '--help']).includes(PULL_OPTIONS));
});

test('every image command has a help with summary and usage', () => {
  const cmds: [string[], string, string][] = [
    [['rmi'], 'Removes one or more images from local storage', 'pier rmi [options] IMAGE [IMAGE...]'],
    [['image', 'rm'], 'Removes one or more images from local storage', 'pier image rm [options] IMAGE [IMAGE...]'],
    [['tag'], 'Add an additional name to a local image', 'pier tag IMAGE TARGET_NAME [TARGET_NAME...]'],
    [['untag'], 'Remove a name from a local image', 'pier untag IMAGE [IMAGE...]'],
    [['history'], 'Show history of a specified image', 'pier history [options] IMAGE'],
    [['inspect'], 'Display the configuration of object denoted by ID', 'pier inspect [options] {CONTAINER|IMAGE|POD|NETWORK|VOLUME} [...]'],
    [['image', 'inspect'], 'Display the configuration of an image', 'pier image inspect [options] IMAGE [IMAGE...]'],
    [['image', 'exists'], 'Check if an image exists in local storage', 'pier image exists IMAGE'],
    [['image', 'prune'], 'Remove unused images', 'pier image prune [options]'],
    [['image', 'tree'], 'Prints layer hierarchy of an image in a tree format', 'pier image tree [options] IMAGE'],
    [['push'], 'Push an image to a specified destination', 'pier push [options] IMAGE [DESTINATION]'],
    [['save'], 'Save image(s) to an archive', 'pier save [options] IMAGE [IMAGE...]'],
    [['load'], 'Load image(s) from a tar archive', 'pier load [options]'],
    [['import'], 'Import a tarball to create a filesystem image', 'pier import [options] PATH [REFERENCE]'],
    [['login'], 'Login to a container registry', 'pier login [options] [REGISTRY]'],
    [['logout'], 'Logout of a container registry', 'pier logout [options] [REGISTRY]'],
    [['search'], 'Search registry for image', 'pier search [options] TERM'],
  ];
  for (const [args, summary, usage] of cmds) {
    const out = ts.ok([...args, '--help']);
    assert.ok(out.startsWith(summary + '\n'), args.join(' '));
    assert.ok(out.includes(`\nUsage:\n  ${usage}\n`), `${args.join(' ')}: ${out}`);
  }
  const rmi = ts.ok(['rmi', '--help']);
  for (const f of ['-a, --all', '-f, --force', '-i, --ignore', '--no-prune']) assert.ok(rmi.includes(f), f);
  const hist = ts.ok(['history', '--help']);
  assert.match(hist, /-H, --human +Display sizes and dates in human readable format \(default true\)/);
  assert.ok(ts.ok(['image', 'prune', '--help']).includes("--filter stringArray   Provide filter values (e.g. 'label=<key>=<value>')"));
});

test('image group help lists its subcommands; bare `image` fails', () => {
  const out = ts.ok(['image', '--help']);
  assert.match(out, /^Manage images\n/);
  for (const s of ['exists', 'history', 'import', 'inspect', 'list', 'load', 'prune', 'pull', 'push', 'rm', 'save', 'search', 'tag', 'tree', 'untag']) {
    assert.match(out, new RegExp(`\\n  ${s} +\\S`), s);
  }
  const bare = ts.run(['image']);
  assert.equal(bare.code, 125);
  assert.match(bare.stderr, /Error: missing command 'pier image COMMAND'/);
});

test('unknown flags exit 125', () => {
  for (const args of [['images', '--x'], ['rmi', '--x', 'a'], ['image', 'tree', '--x', 'a'], ['pull', '--x', 'a'], ['image', 'prune', '--x']]) {
    const r = ts.run(args);
    assert.equal(r.code, 125, args.join(' '));
    assert.match(r.stderr, /^Error: unknown flag: --x\n/);
  }
  const s = ts.run(['images', '-z']);
  assert.equal(s.code, 125);
  assert.match(s.stderr, /^Error: unknown shorthand flag: 'z' in -z\n/);
});
