/*
 * pier_native: the few Linux syscalls Node does not expose, as a tiny N-API addon, plus
 * files mapped as external strings/Buffers and fd watches on Node's own event loop.
 * Functions throw an Error whose `code` is the errno name (EPERM, ENOENT, ...), `errno` the
 * number and `syscall` the call's name; all are synchronous except rmdirsAsync and the
 * callbacks of watchFd.
 */
#include <node_api.h>
#include <uv.h>
#include <sys/syscall.h>
#include <sys/inotify.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <sys/mount.h>
#include <fcntl.h>
#include <stdint.h>
#include <stddef.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <spawn.h>
#include <signal.h>
#include <sched.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <time.h>
#include <sys/mman.h>
#include <dlfcn.h>
#include <ifaddrs.h>
#include <arpa/inet.h>

#define MAX_ARGS 6

static const char *errno_name(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EINTR: return "EINTR";
    case EIO: return "EIO";
    case ENXIO: return "ENXIO";
    case E2BIG: return "E2BIG";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case ENOTBLK: return "ENOTBLK";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case EXDEV: return "EXDEV";
    case ENODEV: return "ENODEV";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case ENFILE: return "ENFILE";
    case EMFILE: return "EMFILE";
    case ENOSPC: return "ENOSPC";
    case EROFS: return "EROFS";
    case EMLINK: return "EMLINK";
    case ERANGE: return "ERANGE";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOSYS: return "ENOSYS";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ELOOP: return "ELOOP";
    case ENODATA: return "ENODATA";
    case EOPNOTSUPP: return "ENOTSUP";
    case EDQUOT: return "EDQUOT";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ENOTSOCK: return "ENOTSOCK";
    case EPROTOTYPE: return "EPROTOTYPE";
    case EMSGSIZE: return "EMSGSIZE";
    case ENOBUFS: return "ENOBUFS";
    default: return "EUNKNOWN";
  }
}

/* Throws an Error like Node's fs errors: "EPERM: operation not permitted, mknod '/x'". */
static napi_value throw_errno(napi_env env, int err, const char *syscall, const char *path) {
  char msg[1024];
  if (path)
    snprintf(msg, sizeof msg, "%s: %s, %s '%s'", errno_name(err), strerror(err), syscall, path);
  else
    snprintf(msg, sizeof msg, "%s: %s, %s", errno_name(err), strerror(err), syscall);
  napi_value jmsg, jerr, jcode, jno, jsys;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &jmsg);
  napi_create_error(env, NULL, jmsg, &jerr);
  napi_create_string_utf8(env, errno_name(err), NAPI_AUTO_LENGTH, &jcode);
  napi_set_named_property(env, jerr, "code", jcode);
  napi_create_int32(env, -err, &jno);
  napi_set_named_property(env, jerr, "errno", jno);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &jsys);
  napi_set_named_property(env, jerr, "syscall", jsys);
  if (path) {
    napi_value jpath;
    napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &jpath);
    napi_set_named_property(env, jerr, "path", jpath);
  }
  napi_throw(env, jerr);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
  return NULL;
}

/* Reads argument i as a freshly malloc'd UTF-8 string; NULL (with a pending TypeError) if not a string. */
static char *get_string(napi_env env, napi_value v, const char *what) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be a string", what);
    throw_type(env, msg);
    return NULL;
  }
  char *s = malloc(len + 1);
  if (!s) { throw_errno(env, ENOMEM, "malloc", NULL); return NULL; }
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  if (strlen(s) != len) { /* embedded NUL */
    free(s);
    char msg[128];
    snprintf(msg, sizeof msg, "%s must not contain NUL bytes", what);
    throw_type(env, msg);
    return NULL;
  }
  return s;
}

static int get_u32(napi_env env, napi_value v, const char *what, uint32_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || d < 0 || d > 4294967295.0 || d != (double)(uint32_t)d) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be an unsigned 32-bit integer", what);
    throw_type(env, msg);
    return -1;
  }
  *out = (uint32_t)d;
  return 0;
}

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = MAX_ARGS;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < want) {
    char msg[64];
    snprintf(msg, sizeof msg, "expected %zu arguments, got %zu", want, argc);
    throw_type(env, msg);
    return -1;
  }
  return 0;
}

static napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

/* mknod(path, mode, major, minor): mode includes the file type bits (S_IFCHR etc.). */
static napi_value js_mknod(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  uint32_t mode, maj, min;
  if (get_args(env, info, 4, argv)) return NULL;
  if (get_u32(env, argv[1], "mode", &mode) || get_u32(env, argv[2], "major", &maj) ||
      get_u32(env, argv[3], "minor", &min))
    return NULL;
  char *path = get_string(env, argv[0], "path");
  if (!path) return NULL;
  napi_value ret = undefined(env);
  if (mknod(path, (mode_t)mode, makedev(maj, min)) != 0) ret = throw_errno(env, errno, "mknod", path);
  free(path);
  return ret;
}

/* lsetxattr(path, name, value: Buffer): sets an extended attribute without following symlinks. */
static napi_value js_lsetxattr(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (get_args(env, info, 3, argv)) return NULL;
  bool isbuf = false;
  napi_is_buffer(env, argv[2], &isbuf);
  if (!isbuf) return throw_type(env, "value must be a Buffer");
  void *data = NULL;
  size_t len = 0;
  napi_get_buffer_info(env, argv[2], &data, &len);
  char *path = get_string(env, argv[0], "path");
  if (!path) return NULL;
  char *name = get_string(env, argv[1], "name");
  if (!name) { free(path); return NULL; }
  napi_value ret = undefined(env);
  if (lsetxattr(path, name, len ? data : "", len, 0) != 0) ret = throw_errno(env, errno, "lsetxattr", path);
  free(path);
  free(name);
  return ret;
}

/* lgetxattr(path, name): the value as a Buffer, or null when the attribute is absent. */
static napi_value js_lgetxattr(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (get_args(env, info, 2, argv)) return NULL;
  char *path = get_string(env, argv[0], "path");
  if (!path) return NULL;
  char *name = get_string(env, argv[1], "name");
  if (!name) { free(path); return NULL; }
  napi_value ret = NULL;
  for (int tries = 0; tries < 5; tries++) {
    ssize_t n = lgetxattr(path, name, NULL, 0);
    if (n < 0) {
      if (errno == ENODATA) napi_get_null(env, &ret);
      else ret = throw_errno(env, errno, "lgetxattr", path);
      break;
    }
    void *buf = malloc(n ? (size_t)n : 1);
    if (!buf) { ret = throw_errno(env, ENOMEM, "malloc", NULL); break; }
    ssize_t m = lgetxattr(path, name, buf, (size_t)n);
    if (m < 0) {
      int e = errno;
      free(buf);
      if (e == ERANGE) continue; /* grew between the two calls */
      if (e == ENODATA) napi_get_null(env, &ret);
      else ret = throw_errno(env, e, "lgetxattr", path);
      break;
    }
    void *out = NULL;
    napi_create_buffer_copy(env, (size_t)m, buf, &out, &ret);
    free(buf);
    break;
  }
  if (!ret) ret = throw_errno(env, ERANGE, "lgetxattr", path);
  free(path);
  free(name);
  return ret;
}

/* llistxattr(path): the attribute names, without following symlinks. */
static napi_value js_llistxattr(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (get_args(env, info, 1, argv)) return NULL;
  char *path = get_string(env, argv[0], "path");
  if (!path) return NULL;
  napi_value ret = NULL;
  for (int tries = 0; tries < 5; tries++) {
    ssize_t n = llistxattr(path, NULL, 0);
    if (n < 0) { ret = throw_errno(env, errno, "llistxattr", path); break; }
    char *buf = malloc(n ? (size_t)n : 1);
    if (!buf) { ret = throw_errno(env, ENOMEM, "malloc", NULL); break; }
    ssize_t m = llistxattr(path, buf, (size_t)n);
    if (m < 0) {
      int e = errno;
      free(buf);
      if (e == ERANGE) continue;
      ret = throw_errno(env, e, "llistxattr", path);
      break;
    }
    napi_create_array(env, &ret);
    uint32_t idx = 0;
    for (ssize_t off = 0; off < m;) {
      size_t l = strnlen(buf + off, (size_t)(m - off));
      if (l > 0) {
        napi_value s;
        napi_create_string_utf8(env, buf + off, l, &s);
        napi_set_element(env, ret, idx++, s);
      }
      off += (ssize_t)l + 1;
    }
    free(buf);
    break;
  }
  if (!ret) ret = throw_errno(env, ERANGE, "llistxattr", path);
  free(path);
  return ret;
}

/* mount(source, target, fstype, flags, data): data may be "" for none. */
static napi_value js_mount(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (get_args(env, info, 5, argv)) return NULL;
  double flags;
  if (napi_get_value_double(env, argv[3], &flags) != napi_ok || flags < 0)
    return throw_type(env, "flags must be a non-negative number");
  char *src = get_string(env, argv[0], "source");
  if (!src) return NULL;
  char *target = get_string(env, argv[1], "target");
  if (!target) { free(src); return NULL; }
  char *fstype = get_string(env, argv[2], "fstype");
  if (!fstype) { free(src); free(target); return NULL; }
  char *data = get_string(env, argv[4], "data");
  if (!data) { free(src); free(target); free(fstype); return NULL; }
  napi_value ret = undefined(env);
  if (mount(src, target, fstype[0] ? fstype : NULL, (unsigned long)flags, data[0] ? data : NULL) != 0)
    ret = throw_errno(env, errno, "mount", target);
  free(src);
  free(target);
  free(fstype);
  free(data);
  return ret;
}

/* umount2(target, flags). */
static napi_value js_umount2(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (get_args(env, info, 2, argv)) return NULL;
  uint32_t flags;
  if (get_u32(env, argv[1], "flags", &flags)) return NULL;
  char *target = get_string(env, argv[0], "target");
  if (!target) return NULL;
  napi_value ret = undefined(env);
  if (umount2(target, (int)flags) != 0) ret = throw_errno(env, errno, "umount2", target);
  free(target);
  return ret;
}

static int get_i64(napi_env env, napi_value v, const char *what, int64_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || d < -9.2e18 || d > 9.2e18 || d != (double)(int64_t)d) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be an integer", what);
    throw_type(env, msg);
    return -1;
  }
  *out = (int64_t)d;
  return 0;
}

/* lutimens(path, atimeSec, atimeNsec, mtimeSec, mtimeNsec): utimensat(2) with nanoseconds,
 * never following a final symlink (Node's lutimes truncates to microseconds). */
static napi_value js_lutimens(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (get_args(env, info, 5, argv)) return NULL;
  int64_t asec, msec;
  uint32_t ansec, mnsec;
  if (get_i64(env, argv[1], "atimeSec", &asec) || get_u32(env, argv[2], "atimeNsec", &ansec) ||
      get_i64(env, argv[3], "mtimeSec", &msec) || get_u32(env, argv[4], "mtimeNsec", &mnsec))
    return NULL;
  if (ansec > 999999999 || mnsec > 999999999) return throw_type(env, "nanoseconds must be below 1e9");
  char *path = get_string(env, argv[0], "path");
  if (!path) return NULL;
  struct timespec ts[2];
  ts[0].tv_sec = (time_t)asec;
  ts[0].tv_nsec = (long)ansec;
  ts[1].tv_sec = (time_t)msec;
  ts[1].tv_nsec = (long)mnsec;
  napi_value ret = undefined(env);
  if (utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) != 0) ret = throw_errno(env, errno, "utimensat", path);
  free(path);
  return ret;
}

/* Integer constants the JS side needs (mount flags, device type bits). */
static void set_const(napi_env env, napi_value obj, const char *name, double v) {
  napi_value n;
  napi_create_double(env, v, &n);
  napi_set_named_property(env, obj, name, n);
}

/*
 * connect(2) of `fd` to the unix socket `dir`/`name`, reached through /proc/self/fd/<dirfd>/<name>
 * so long paths still fit in sun_path. 0, or -1 with errno set.
 */
static int connect_in_dir(int fd, const char *dir, const char *name) {
  int dfd = open(dir, O_PATH | O_CLOEXEC | O_DIRECTORY);
  if (dfd < 0) return -1;
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  int n = snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dfd, name);
  int r = -1;
  if (n < 0 || (size_t)n >= sizeof addr.sun_path) errno = ENAMETOOLONG;
  else r = connect(fd, (struct sockaddr *)&addr, sizeof addr);
  int e = errno;
  close(dfd);
  errno = e;
  return r;
}

/*
 * seqpacketConnect(dir, name) -> fd: connect a SOCK_SEQPACKET unix socket (conmon's attach
 * socket) through connect_in_dir. The fd is blocking; each read returns one packet.
 */
static napi_value js_seqpacket_connect(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (get_args(env, info, 2, argv)) return NULL;
  char *dir = get_string(env, argv[0], "dir");
  if (!dir) return NULL;
  char *name = get_string(env, argv[1], "name");
  if (!name) { free(dir); return NULL; }
  napi_value ret = NULL;
  int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0) { ret = throw_errno(env, errno, "socket", dir); goto out; }
  if (connect_in_dir(fd, dir, name) != 0) {
    int e = errno;
    close(fd);
    ret = throw_errno(env, e, "connect", dir);
    goto out;
  }
  napi_create_int32(env, fd, &ret);
out:
  free(dir);
  free(name);
  return ret;
}

/*
 * sendDatagram(path, message): sd_notify(3)'s send: a new SOCK_DGRAM unix socket connected to
 * `path` (a leading '@' names an abstract socket; a path too long for sun_path goes through
 * connect_in_dir) and `message` written on it as one datagram. Throws with syscall "connect"
 * or "write".
 */
static napi_value js_send_datagram(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (get_args(env, info, 2, argv)) return NULL;
  char *sock = get_string(env, argv[0], "path");
  if (!sock) return NULL;
  char *msg = get_string(env, argv[1], "message");
  if (!msg) { free(sock); return NULL; }
  napi_value ret = NULL;
  size_t len = strlen(sock);
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) { ret = throw_errno(env, errno, "socket", sock); goto out; }
  int r;
  if (len > 0 && len < sizeof(((struct sockaddr_un *)0)->sun_path)) {
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, sock, len);
    socklen_t alen = sizeof addr;
    if (sock[0] == '@') { addr.sun_path[0] = '\0'; alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len); }
    r = connect(fd, (struct sockaddr *)&addr, alen);
  } else if (len > 0 && sock[0] != '@' && strrchr(sock, '/')) {
    char *slash = strrchr(sock, '/');
    *slash = '\0';
    r = connect_in_dir(fd, slash == sock ? "/" : sock, slash + 1);
    *slash = '/';
  } else {
    errno = len ? ENAMETOOLONG : EINVAL;
    r = -1;
  }
  if (r != 0) { ret = throw_errno(env, errno, "connect", sock); close(fd); goto out; }
  if (send(fd, msg, strlen(msg), MSG_NOSIGNAL) < 0) { ret = throw_errno(env, errno, "write", sock); close(fd); goto out; }
  close(fd);
  ret = undefined(env);
out:
  free(sock);
  free(msg);
  return ret;
}

/* shutdownSocket(fd, how): shutdown(2); how 0 = read, 1 = write, 2 = both. */
static napi_value js_shutdown(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (get_args(env, info, 2, argv)) return NULL;
  uint32_t fd, how;
  if (get_u32(env, argv[0], "fd", &fd) || get_u32(env, argv[1], "how", &how)) return NULL;
  if (shutdown((int)fd, (int)how) != 0 && errno != ENOTCONN) return throw_errno(env, errno, "shutdown", NULL);
  return undefined(env);
}

/* Frees a NULL-terminated array of malloc'd strings. */
static void free_strv(char **v) {
  if (!v) return;
  for (char **p = v; *p; p++) free(*p);
  free(v);
}

/* A JS array of strings as a NULL-terminated malloc'd array; NULL (exception pending) on error. */
static char **get_strv(napi_env env, napi_value arr, const char *what) {
  uint32_t n;
  if (napi_get_array_length(env, arr, &n) != napi_ok) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be an array", what);
    throw_type(env, msg);
    return NULL;
  }
  char **v = calloc(n + 1, sizeof(char *));
  if (!v) { throw_errno(env, ENOMEM, "malloc", NULL); return NULL; }
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    napi_get_element(env, arr, i, &e);
    if (!(v[i] = get_string(env, e, what))) { free_strv(v); return NULL; }
  }
  return v;
}

/* [a, b] as a JS array of two numbers. */
static napi_value int_pair(napi_env env, int32_t a, int32_t b) {
  napi_value arr, va, vb;
  napi_create_array_with_length(env, 2, &arr);
  napi_create_int32(env, a, &va);
  napi_create_int32(env, b, &vb);
  napi_set_element(env, arr, 0, va);
  napi_set_element(env, arr, 1, vb);
  return arr;
}

/* The (file, argv, envp) arguments of an exec: all NULL (an exception pending) when one is bad. */
struct exec_args { char *file; char **argv; char **envp; };

static int get_exec_args(napi_env env, napi_value *argv, struct exec_args *ea) {
  ea->file = get_string(env, argv[0], "file");
  ea->argv = ea->file ? get_strv(env, argv[1], "argv") : NULL;
  ea->envp = ea->argv ? get_strv(env, argv[2], "envp") : NULL;
  return ea->envp ? 0 : -1;
}

static void free_exec_args(struct exec_args *ea) {
  free(ea->file);
  free_strv(ea->argv);
  free_strv(ea->envp);
}

/* Default dispositions and no blocked signal, for a program about to be executed. */
static void reset_signals(void) {
  sigset_t none;
  sigemptyset(&none);
  for (int s = 1; s < NSIG; s++) if (s != SIGKILL && s != SIGSTOP) signal(s, SIG_DFL);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

/* pipe(): [readFd, writeFd], both close-on-exec. */
static napi_value js_pipe(napi_env env, napi_callback_info info) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return throw_errno(env, errno, "pipe2", NULL);
  return int_pair(env, fds[0], fds[1]);
}

/*
 * spawnDetached(file, argv, envp, fds): posix_spawn(3) (a vfork-style clone: no copy of this
 * process's page tables, unlike the fork libuv uses) of `file` in a new session, signal mask
 * and dispositions reset. fds[i] >= 0 becomes the child's fd i; -1 opens /dev/null there.
 * Every other descriptor of this process is close-on-exec. Returns the child's pid.
 */
static napi_value js_spawn_detached(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (get_args(env, info, 4, argv)) return NULL;
  napi_value ret = NULL;
  struct exec_args ea;
  int ok = get_exec_args(env, argv, &ea) == 0;
  uint32_t nfds = 0;
  if (ok && napi_get_array_length(env, argv[3], &nfds) != napi_ok) throw_type(env, "fds must be an array");
  if (!ok || nfds > 64) {
    if (ok) throw_type(env, "too many fds");
    goto out;
  }
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  for (uint32_t i = 0; i < nfds; i++) {
    napi_value e;
    int32_t fd;
    napi_get_element(env, argv[3], i, &e);
    if (napi_get_value_int32(env, e, &fd) != napi_ok) fd = -1;
    if (fd >= 0) posix_spawn_file_actions_adddup2(&fa, fd, (int)i);
    else posix_spawn_file_actions_addopen(&fa, (int)i, "/dev/null", O_RDWR, 0);
  }
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid;
  int rc = posix_spawn(&pid, ea.file, &fa, &attr, ea.argv, ea.envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) ret = throw_errno(env, rc, "posix_spawn", ea.file);
  else napi_create_int32(env, pid, &ret);
out:
  free_exec_args(&ea);
  return ret;
}

/* Reaps the child pid (its number the call's one argument) if it ended: 1 with *status, 0 while it runs, -1 having thrown. */
static int reap_nohang(napi_env env, napi_callback_info info, int *status) {
  napi_value argv[MAX_ARGS];
  if (get_args(env, info, 1, argv)) return -1;
  uint32_t pid;
  if (get_u32(env, argv[0], "pid", &pid)) return -1;
  pid_t r;
  do { r = waitpid((pid_t)pid, status, WNOHANG); } while (r < 0 && errno == EINTR);
  if (r < 0) { throw_errno(env, errno, "waitpid", NULL); return -1; }
  return r != 0;
}

/* waitpidNohang(pid): null while the child runs; else its exit code (128+signal if killed). */
static napi_value js_waitpid_nohang(napi_env env, napi_callback_info info) {
  int status;
  int r = reap_nohang(env, info, &status);
  if (r < 0) return NULL;
  napi_value ret;
  if (r == 0) { napi_get_null(env, &ret); return ret; }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
  napi_create_int32(env, code, &ret);
  return ret;
}

/* waitpidStatus(pid): as waitpidNohang, but {code, signal}: signal is the number of the signal that killed it, else 0. */
static napi_value js_waitpid_status(napi_env env, napi_callback_info info) {
  int status;
  int r = reap_nohang(env, info, &status);
  if (r < 0) return NULL;
  napi_value ret;
  if (r == 0) { napi_get_null(env, &ret); return ret; }
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : sig ? 128 + sig : 255;
  napi_value v;
  napi_create_object(env, &ret);
  napi_create_int32(env, code, &v);
  napi_set_named_property(env, ret, "code", v);
  napi_create_int32(env, sig, &v);
  napi_set_named_property(env, ret, "signal", v);
  return ret;
}

/*
 * rmdirsAsync(dirs): on a thread-pool thread, rmdir(2) each of `dirs` (empty directories such
 * as cgroups) in order. A missing one is not an error. Resolves with null, or with "ECODE path"
 * for the first failure (the rest is still attempted).
 */
struct rmdirs_job {
  char **dirs;
  int err;
  char *errpath;
  napi_async_work work;
  napi_deferred deferred;
};

static void rmdirs_execute(napi_env env, void *data) {
  (void)env;
  struct rmdirs_job *j = data;
  for (char **d = j->dirs; *d; d++) {
    if (rmdir(*d) != 0 && errno != ENOENT && !j->err) {
      j->err = errno;
      j->errpath = strdup(*d);
    }
  }
}

static void rmdirs_complete(napi_env env, napi_status status, void *data) {
  struct rmdirs_job *j = data;
  napi_value v;
  if (status != napi_ok) napi_create_string_utf8(env, "EUNKNOWN rmdirsAsync", NAPI_AUTO_LENGTH, &v);
  else if (j->err) {
    char msg[1200];
    snprintf(msg, sizeof msg, "%s %s", errno_name(j->err), j->errpath ? j->errpath : "");
    napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &v);
  } else napi_get_null(env, &v);
  napi_resolve_deferred(env, j->deferred, v);
  napi_delete_async_work(env, j->work);
  free_strv(j->dirs);
  free(j->errpath);
  free(j);
}

static napi_value js_rmdirs_async(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (get_args(env, info, 1, argv)) return NULL;
  struct rmdirs_job *j = calloc(1, sizeof *j);
  if (!j) return throw_errno(env, ENOMEM, "malloc", NULL);
  if (!(j->dirs = get_strv(env, argv[0], "dirs"))) { free(j); return NULL; }
  napi_value promise, name;
  napi_create_promise(env, &j->deferred, &promise);
  napi_create_string_utf8(env, "pier:rmdirsAsync", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, rmdirs_execute, rmdirs_complete, j, &j->work);
  napi_queue_async_work(env, j->work);
  return promise;
}

/* setNonblock(fd): O_NONBLOCK on the descriptor (fcntl F_SETFL). */
static napi_value js_set_nonblock(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (get_args(env, info, 1, argv)) return NULL;
  uint32_t fd;
  if (get_u32(env, argv[0], "fd", &fd)) return NULL;
  int fl = fcntl((int)fd, F_GETFL);
  if (fl < 0 || fcntl((int)fd, F_SETFL, fl | O_NONBLOCK) != 0) return throw_errno(env, errno, "fcntl", NULL);
  return undefined(env);
}

/* ttySize(fd): [rows, columns] of the terminal on fd (TIOCGWINSZ); null when fd is no terminal. */
static napi_value js_tty_size(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (get_args(env, info, 1, argv)) return NULL;
  uint32_t fd;
  if (get_u32(env, argv[0], "fd", &fd)) return NULL;
  struct winsize ws;
  napi_value out;
  if (ioctl((int)fd, TIOCGWINSZ, &ws) != 0) {
    napi_get_null(env, &out);
    return out;
  }
  napi_value rows, cols;
  napi_create_array_with_length(env, 2, &out);
  napi_create_uint32(env, ws.ws_row, &rows);
  napi_create_uint32(env, ws.ws_col, &cols);
  napi_set_element(env, out, 0, rows);
  napi_set_element(env, out, 1, cols);
  return out;
}

/* realtimeNs(): clock_gettime(CLOCK_REALTIME) in ns since the epoch, as a BigInt. */
static napi_value js_realtime_ns(napi_env env, napi_callback_info info) {
  (void)info;
  struct timespec ts;
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return throw_errno(env, errno, "clock_gettime", NULL);
  napi_value ret;
  napi_create_bigint_uint64(env, (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec, &ret);
  return ret;
}

/* The host's IPv4 address for host.containers.internal (etc-files.ts hostLocalIP): of the
 * interfaces that are up and running and not loopback, in getifaddrs order (the order
 * os.networkInterfaces() keeps), the first usable IPv4 address; null for none (the caller then
 * looks for IPv6 itself). The same walk as node's, without building an object and a CIDR string
 * for every address of every veth on the host. */
static napi_value js_local_address(napi_env env, napi_callback_info info) {
  (void)info;
  struct ifaddrs *list;
  if (getifaddrs(&list) != 0) return throw_errno(env, errno, "getifaddrs", NULL);
  char v4[INET_ADDRSTRLEN] = "";
  for (struct ifaddrs *i = list; i && !v4[0]; i = i->ifa_next) {
    if (!i->ifa_addr || !(i->ifa_flags & IFF_UP) || !(i->ifa_flags & IFF_RUNNING) || (i->ifa_flags & IFF_LOOPBACK)) continue;
    if (i->ifa_addr->sa_family != AF_INET) continue;
    const struct in_addr *a = &((const struct sockaddr_in *)i->ifa_addr)->sin_addr;
    uint32_t h = ntohl(a->s_addr);
    /* not 0.0.0.0/8, 169.254.0.0/16 or the broadcast address */
    if ((h >> 24) != 0 && (h >> 16) != 0xa9fe && h != 0xffffffffu) inet_ntop(AF_INET, a, v4, sizeof v4);
  }
  freeifaddrs(list);
  napi_value ret;
  if (!v4[0]) napi_get_null(env, &ret);
  else napi_create_string_utf8(env, v4, NAPI_AUTO_LENGTH, &ret);
  return ret;
}

struct netns_job { const char *file; int err; const char *what; };

/* Runs on its own thread: a new network namespace for this thread only, kept alive by a
 * bind mount of it on job->file, with its loopback up. The thread then ends. */
static void *netns_thread(void *arg) {
  struct netns_job *j = arg;
  if (unshare(CLONE_NEWNET) != 0) { j->err = errno; j->what = "unshare"; return NULL; }
  if (mount("/proc/thread-self/ns/net", j->file, NULL, MS_BIND, NULL) != 0) { j->err = errno; j->what = "mount"; return NULL; }
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) { j->err = errno; j->what = "socket"; return NULL; }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0) { j->err = errno; j->what = "SIOCGIFFLAGS"; }
  else {
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) { j->err = errno; j->what = "SIOCSIFFLAGS"; }
  }
  close(s);
  return NULL;
}

/* createNetns(file): a persistent network namespace bind-mounted on the existing file `file`,
 * loopback up; what `unshare --net=FILE true` plus `ip link set lo up` do, without two
 * processes. The calling thread's own namespace never changes. */
static napi_value js_create_netns(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (get_args(env, info, 1, argv)) return NULL;
  char *file = get_string(env, argv[0], "file");
  if (!file) return NULL;
  struct netns_job j = { file, 0, NULL };
  pthread_t t;
  int rc = pthread_create(&t, NULL, netns_thread, &j);
  napi_value ret;
  if (rc != 0) ret = throw_errno(env, rc, "pthread_create", file);
  else {
    pthread_join(t, NULL);
    if (j.err) {
      if (strcmp(j.what, "unshare") != 0 && strcmp(j.what, "mount") != 0) umount2(file, MNT_DETACH);
      ret = throw_errno(env, j.err, j.what, file);
    } else ret = undefined(env);
  }
  free(file);
  return ret;
}


/* A read-only private mapping of a whole file, unmapped by the finalizer of what it backs. */
struct file_map { void *addr; size_t len; };

static void unmap_file(napi_env env, void *data, void *hint) {
  (void)env; (void)data;
  struct file_map *m = hint;
  if (m->addr && m->len) munmap(m->addr, m->len);
  free(m);
}

/* Node's external latin1 strings (experimental in Node 20, stable later): looked up at run
 * time so the addon still loads on a Node without them. */
typedef napi_status (*ext_latin1_fn)(napi_env, char *, size_t, napi_finalize, void *, napi_value *, bool *);

/* mapFile(path, asLatin1): the file's bytes, mapped rather than read: a Buffer, or with asLatin1 a
 * latin1 string, both backed by the mapping (pages come from the page cache as they are used,
 * none are copied into fresh memory). null when the file is empty or this Node cannot make an
 * external string. Throws on open/mmap errors. */
static napi_value js_map_file(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (get_args(env, info, 2, argv)) return NULL;
  char *file = get_string(env, argv[0], "path");
  if (!file) return NULL;
  bool as_string = false;
  napi_get_value_bool(env, argv[1], &as_string);
  ext_latin1_fn make_string = NULL;
  napi_value ret;
  napi_get_null(env, &ret);
  if (as_string) {
    make_string = (ext_latin1_fn)dlsym(RTLD_DEFAULT, "node_api_create_external_string_latin1");
    if (!make_string) { free(file); return ret; }
  }
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) { napi_value e = throw_errno(env, errno, "open", file); free(file); return e; }
  struct stat st;
  if (fstat(fd, &st) != 0) { int e = errno; close(fd); napi_value r = throw_errno(env, e, "fstat", file); free(file); return r; }
  if (st.st_size == 0) { close(fd); free(file); return ret; }
  void *addr = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  int merr = errno;
  close(fd);
  if (addr == MAP_FAILED) { napi_value r = throw_errno(env, merr, "mmap", file); free(file); return r; }
  free(file);
  struct file_map *m = malloc(sizeof *m);
  if (!m) { munmap(addr, (size_t)st.st_size); return throw_errno(env, ENOMEM, "malloc", NULL); }
  m->addr = addr;
  m->len = (size_t)st.st_size;
  madvise(addr, m->len, MADV_WILLNEED);
  napi_status s;
  if (as_string) {
    bool copied = false;
    s = make_string(env, addr, m->len, unmap_file, m, &ret, &copied);
    if (s == napi_ok && copied) { munmap(addr, m->len); free(m); }
  } else {
    s = napi_create_external_buffer(env, m->len, addr, unmap_file, m, &ret);
  }
  if (s != napi_ok) {
    munmap(addr, m->len);
    free(m);
    napi_get_null(env, &ret);
  }
  return ret;
}


/* A readable-fd watch on Node's own event loop (a libuv poll handle): what a net.Socket does
 * to wait on a pipe, without loading net and stream. The callback runs once per readiness; the
 * JS side reads the (non-blocking) fd until EAGAIN. */
struct fd_watch {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context ctx;
  int closed;
};

static void watch_closed(uv_handle_t *h) {
  struct fd_watch *w = h->data;
  napi_delete_reference(w->env, w->callback);
  napi_async_destroy(w->env, w->ctx);
  free(w);
}

static void watch_event(uv_poll_t *p, int status, int events) {
  (void)status; (void)events;
  struct fd_watch *w = p->data;
  if (w->closed) return;
  napi_env env = w->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value fn, recv, res;
  napi_get_reference_value(env, w->callback, &fn);
  napi_get_global(env, &recv);
  if (napi_make_callback(env, w->ctx, recv, fn, 0, NULL, &res) == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, scope);
}

static struct fd_watch *get_watch(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || !p) { throw_type(env, "watch: expected a handle from watchFd"); return NULL; }
  return p;
}

/* watchFd(fd, callback): calls callback() whenever fd is readable (or at end-of-file/hang-up),
 * until unwatchFd(handle). Keeps the process alive unless unrefWatch(handle). */
static napi_value js_watch_fd(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (get_args(env, info, 2, argv)) return NULL;
  uint32_t fd;
  if (get_u32(env, argv[0], "fd", &fd)) return NULL;
  napi_valuetype t;
  napi_typeof(env, argv[1], &t);
  if (t != napi_function) return throw_type(env, "callback must be a function");
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return throw_errno(env, EINVAL, "uv_loop", NULL);
  struct fd_watch *w = calloc(1, sizeof *w);
  if (!w) return throw_errno(env, ENOMEM, "calloc", NULL);
  int rc = uv_poll_init(loop, &w->poll, (int)fd);
  if (rc != 0) { free(w); return throw_errno(env, -rc, "uv_poll_init", NULL); }
  w->poll.data = w;
  w->env = env;
  napi_create_reference(env, argv[1], 1, &w->callback);
  napi_value name;
  napi_create_string_utf8(env, "pier.watchFd", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &w->ctx);
  rc = uv_poll_start(&w->poll, UV_READABLE, watch_event);
  if (rc != 0) {
    w->closed = 1;
    uv_close((uv_handle_t *)&w->poll, watch_closed);
    return throw_errno(env, -rc, "uv_poll_start", NULL);
  }
  napi_value handle;
  napi_create_external(env, w, NULL, NULL, &handle);
  return handle;
}

/* unwatchFd(handle): stops the watch (the fd stays open: the caller closes it). Idempotent. */
static napi_value js_unwatch_fd(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (get_args(env, info, 1, argv)) return NULL;
  struct fd_watch *w = get_watch(env, argv[0]);
  if (!w) return NULL;
  if (!w->closed) {
    w->closed = 1;
    uv_close((uv_handle_t *)&w->poll, watch_closed);
  }
  return undefined(env);
}

/* unrefWatch(handle): the watch no longer keeps the process alive. */
static napi_value js_unref_watch(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (get_args(env, info, 1, argv)) return NULL;
  struct fd_watch *w = get_watch(env, argv[0]);
  if (!w) return NULL;
  if (!w->closed) uv_unref((uv_handle_t *)&w->poll);
  return undefined(env);
}

/* pidfdOpen(pid): a pidfd (close-on-exec), readable once the process has exited. */
static napi_value js_pidfd_open(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (get_args(env, info, 1, argv)) return NULL;
  uint32_t pid;
  if (get_u32(env, argv[0], "pid", &pid)) return NULL;
#ifdef SYS_pidfd_open
  long fd = syscall(SYS_pidfd_open, (pid_t)pid, 0);
#else
  long fd = -1;
  errno = ENOSYS;
#endif
  if (fd < 0) return throw_errno(env, errno, "pidfd_open", NULL);
  napi_value ret;
  napi_create_int32(env, (int32_t)fd, &ret);
  return ret;
}


/* inotifyDir(dir): a non-blocking inotify fd watching `dir` for files written (closed after
 * writing), renamed in or created; read it dry when readable. What fs.watch does for one
 * directory, without loading Node's watcher modules. */
static napi_value js_inotify_dir(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (get_args(env, info, 1, argv)) return NULL;
  char *dir = get_string(env, argv[0], "dir");
  if (!dir) return NULL;
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) { napi_value e = throw_errno(env, errno, "inotify_init1", dir); free(dir); return e; }
  if (inotify_add_watch(fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE) < 0) {
    int e = errno;
    close(fd);
    napi_value r = throw_errno(env, e, "inotify_add_watch", dir);
    free(dir);
    return r;
  }
  free(dir);
  napi_value ret;
  napi_create_int32(env, fd, &ret);
  return ret;
}

/* ---- user namespaces and idmapped mounts ---- */
#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
struct pier_mount_attr { uint64_t attr_set, attr_clr, propagation, userns_fd; };

static int write_file(const char *file, const char *text) {
  int fd = open(file, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t len = strlen(text);
  ssize_t n = write(fd, text, len);
  int e = errno;
  close(fd);
  if (n != (ssize_t)len) { errno = n < 0 ? e : EIO; return -1; }
  return 0;
}

/* userns(uidMap, gidMap): an fd (O_CLOEXEC) of a new user namespace whose uid_map and gid_map
 * are the texts given ("inside outside count" lines). A child is cloned into the namespace,
 * blocked on a pipe while its maps are written and the namespace opened, then ended. */
static napi_value js_userns(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (get_args(env, info, 2, argv)) return NULL;
  char *uidmap = get_string(env, argv[0], "uidMap");
  if (!uidmap) return NULL;
  char *gidmap = get_string(env, argv[1], "gidMap");
  if (!gidmap) { free(uidmap); return NULL; }
  int pfd[2];
  napi_value ret = NULL;
  if (pipe2(pfd, O_CLOEXEC) != 0) { ret = throw_errno(env, errno, "pipe2", NULL); goto out; }
  long pid = syscall(SYS_clone, (unsigned long)(CLONE_NEWUSER | SIGCHLD), NULL, NULL, NULL, NULL);
  if (pid < 0) { int e = errno; close(pfd[0]); close(pfd[1]); ret = throw_errno(env, e, "clone", NULL); goto out; }
  if (pid == 0) {
    char ch;
    close(pfd[1]);
    while (read(pfd[0], &ch, 1) < 0 && errno == EINTR) {}
    _exit(0);
  }
  close(pfd[0]);
  char file[64];
  const char *what = NULL;
  int err = 0, fd = -1;
  snprintf(file, sizeof file, "/proc/%ld/uid_map", pid);
  if (write_file(file, uidmap) != 0) { err = errno; what = "write uid_map"; }
  if (!err) {
    snprintf(file, sizeof file, "/proc/%ld/gid_map", pid);
    if (write_file(file, gidmap) != 0) { err = errno; what = "write gid_map"; }
  }
  if (!err) {
    snprintf(file, sizeof file, "/proc/%ld/ns/user", pid);
    fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) { err = errno; what = "open"; }
  }
  close(pfd[1]);
  int st;
  while (waitpid((pid_t)pid, &st, 0) < 0 && errno == EINTR) {}
  if (err) ret = throw_errno(env, err, what, NULL);
  else napi_create_int32(env, fd, &ret);
out:
  free(uidmap);
  free(gidmap);
  return ret;
}

/* idmapMount(source, target, usernsFd): `source` bound at `target` (an existing directory) as
 * an idmapped mount whose ids are mapped through the user namespace of usernsFd: open_tree's
 * detached copy, mount_setattr(MOUNT_ATTR_IDMAP), move_mount. */
static napi_value js_idmap_mount(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (get_args(env, info, 3, argv)) return NULL;
  uint32_t nsfd;
  if (get_u32(env, argv[2], "usernsFd", &nsfd)) return NULL;
  char *src = get_string(env, argv[0], "source");
  if (!src) return NULL;
  char *target = get_string(env, argv[1], "target");
  if (!target) { free(src); return NULL; }
  napi_value ret = undefined(env);
  long fd = syscall(SYS_open_tree, AT_FDCWD, src, (unsigned)(OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
  if (fd < 0) { ret = throw_errno(env, errno, "open_tree", src); goto out; }
  struct pier_mount_attr attr = { MOUNT_ATTR_IDMAP, 0, 0, nsfd };
  if (syscall(SYS_mount_setattr, (int)fd, "", AT_EMPTY_PATH, &attr, sizeof attr) != 0) {
    ret = throw_errno(env, errno, "mount_setattr", src);
  } else if (syscall(SYS_move_mount, (int)fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) != 0) {
    ret = throw_errno(env, errno, "move_mount", target);
  }
  close((int)fd);
out:
  free(src);
  free(target);
  return ret;
}

/* usernsMaps(path): [uid_map, gid_map] of the user namespace at `path` (an nsfs file), read
 * from a child that joins it and waits on a pipe while its maps are read. */
static napi_value js_userns_maps(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (get_args(env, info, 1, argv)) return NULL;
  char *path = get_string(env, argv[0], "path");
  if (!path) return NULL;
  napi_value ret = NULL;
  int nsfd = open(path, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0) { ret = throw_errno(env, errno, "open", path); free(path); return ret; }
  int pfd[2], sfd[2];
  if (pipe2(pfd, O_CLOEXEC) != 0 || pipe2(sfd, O_CLOEXEC) != 0) { ret = throw_errno(env, errno, "pipe2", NULL); close(nsfd); free(path); return ret; }
  long pid = syscall(SYS_clone, (unsigned long)SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid < 0) { ret = throw_errno(env, errno, "clone", NULL); goto done; }
  if (pid == 0) {
    char ch = setns(nsfd, CLONE_NEWUSER) == 0 ? 0 : (char)errno;
    close(pfd[1]);
    if (write(sfd[1], &ch, 1) < 0) _exit(1);
    while (read(pfd[0], &ch, 1) < 0 && errno == EINTR) {}
    _exit(0);
  }
  close(pfd[0]); pfd[0] = -1;
  close(sfd[1]); sfd[1] = -1;
  char status = 0;
  ssize_t got;
  while ((got = read(sfd[0], &status, 1)) < 0 && errno == EINTR) {}
  int err = got == 1 ? status : EIO;
  const char *what = "setns";
  char maps[2][4096];
  for (int i = 0; !err && i < 2; i++) {
    char file[64];
    snprintf(file, sizeof file, "/proc/%ld/%s", pid, i ? "gid_map" : "uid_map");
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) { err = errno; what = "open"; break; }
    ssize_t n = read(fd, maps[i], sizeof maps[i] - 1);
    if (n < 0) { err = errno; what = "read"; }
    else maps[i][n] = 0;
    close(fd);
  }
  close(pfd[1]); pfd[1] = -1;
  int st;
  while (waitpid((pid_t)pid, &st, 0) < 0 && errno == EINTR) {}
  if (err) ret = throw_errno(env, err, what, path);
  else {
    napi_create_array_with_length(env, 2, &ret);
    for (int i = 0; i < 2; i++) {
      napi_value v;
      napi_create_string_utf8(env, maps[i], NAPI_AUTO_LENGTH, &v);
      napi_set_element(env, ret, i, v);
    }
  }
done:
  for (int i = 0; i < 2; i++) { if (pfd[i] >= 0) close(pfd[i]); if (sfd[i] >= 0) close(sfd[i]); }
  close(nsfd);
  free(path);
  return ret;
}

/* execve(file, argv, envp): replaces this process (all its threads) with `file`; returns only
 * by throwing. Used to re-execute pier inside its rootless user namespace (through nsenter),
 * which a multi-threaded process cannot join itself, and by `pier unshare`. Fds 0-2 are kept. */
static napi_value js_execve(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (get_args(env, info, 3, argv)) return NULL;
  struct exec_args ea;
  napi_value ret = NULL;
  if (get_exec_args(env, argv, &ea) == 0) {
    /* Node blocks signals on its threads and may leave dispositions set: the new program starts clean. */
    reset_signals();
    /* Node marks its stdio close-on-exec at start: the new program keeps them. */
    for (int fd = 0; fd < 3; fd++) fcntl(fd, F_SETFD, 0);
    execve(ea.file, ea.argv, ea.envp);
    ret = throw_errno(env, errno, "execve", ea.file);
  }
  free_exec_args(&ea);
  return ret;
}

/* spawnUserns(file, argv, envp): [pid, fd]. A child cloned into a new user and mount namespace,
 * in its own session with /dev/null on fds 0-2, blocked until one byte is written to `fd` (the
 * caller writes its uid_map and gid_map first, e.g. with newuidmap/newgidmap); it then takes
 * uid and gid 0 in the namespace and executes `file`. Closing `fd` without writing ends it. */
static napi_value js_spawn_userns(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (get_args(env, info, 3, argv)) return NULL;
  struct exec_args ea;
  napi_value ret = NULL;
  int pfd[2] = {-1, -1};
  if (get_exec_args(env, argv, &ea) != 0) goto out;
  if (pipe2(pfd, O_CLOEXEC) != 0) { ret = throw_errno(env, errno, "pipe2", NULL); goto out; }
  long pid = syscall(SYS_clone, (unsigned long)(CLONE_NEWUSER | CLONE_NEWNS | SIGCHLD), NULL, NULL, NULL, NULL);
  if (pid < 0) { ret = throw_errno(env, errno, "clone", NULL); goto out; }
  if (pid == 0) {
    char ch;
    close(pfd[1]);
    setsid();
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) { dup2(null, 0); dup2(null, 1); dup2(null, 2); if (null > 2) close(null); }
    ssize_t n;
    while ((n = read(pfd[0], &ch, 1)) < 0 && errno == EINTR) {}
    if (n != 1) _exit(1);
    if (syscall(SYS_setresgid, 0, 0, 0) != 0 || syscall(SYS_setresuid, 0, 0, 0) != 0) _exit(1);
    reset_signals();
    if (chdir("/") != 0) _exit(1);
    execve(ea.file, ea.argv, ea.envp);
    _exit(127);
  }
  ret = int_pair(env, (int32_t)pid, pfd[1]);
  pfd[1] = -1;
out:
  for (int i = 0; i < 2; i++) if (pfd[i] >= 0) close(pfd[i]);
  free_exec_args(&ea);
  return ret;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor fns[] = {
    {"mknod", NULL, js_mknod, NULL, NULL, NULL, napi_enumerable, NULL},
    {"lsetxattr", NULL, js_lsetxattr, NULL, NULL, NULL, napi_enumerable, NULL},
    {"lgetxattr", NULL, js_lgetxattr, NULL, NULL, NULL, napi_enumerable, NULL},
    {"llistxattr", NULL, js_llistxattr, NULL, NULL, NULL, napi_enumerable, NULL},
    {"mount", NULL, js_mount, NULL, NULL, NULL, napi_enumerable, NULL},
    {"umount2", NULL, js_umount2, NULL, NULL, NULL, napi_enumerable, NULL},
    {"lutimens", NULL, js_lutimens, NULL, NULL, NULL, napi_enumerable, NULL},
    {"seqpacketConnect", NULL, js_seqpacket_connect, NULL, NULL, NULL, napi_enumerable, NULL},
    {"sendDatagram", NULL, js_send_datagram, NULL, NULL, NULL, napi_enumerable, NULL},
    {"shutdownSocket", NULL, js_shutdown, NULL, NULL, NULL, napi_enumerable, NULL},
    {"pipe", NULL, js_pipe, NULL, NULL, NULL, napi_enumerable, NULL},
    {"spawnDetached", NULL, js_spawn_detached, NULL, NULL, NULL, napi_enumerable, NULL},
    {"waitpidNohang", NULL, js_waitpid_nohang, NULL, NULL, NULL, napi_enumerable, NULL},
    {"waitpidStatus", NULL, js_waitpid_status, NULL, NULL, NULL, napi_enumerable, NULL},
    {"createNetns", NULL, js_create_netns, NULL, NULL, NULL, napi_enumerable, NULL},
    {"realtimeNs", NULL, js_realtime_ns, NULL, NULL, NULL, napi_enumerable, NULL},
    {"localAddress", NULL, js_local_address, NULL, NULL, NULL, napi_enumerable, NULL},
    {"rmdirsAsync", NULL, js_rmdirs_async, NULL, NULL, NULL, napi_enumerable, NULL},
    {"setNonblock", NULL, js_set_nonblock, NULL, NULL, NULL, napi_enumerable, NULL},
    {"ttySize", NULL, js_tty_size, NULL, NULL, NULL, napi_enumerable, NULL},
    {"mapFile", NULL, js_map_file, NULL, NULL, NULL, napi_enumerable, NULL},
    {"watchFd", NULL, js_watch_fd, NULL, NULL, NULL, napi_enumerable, NULL},
    {"unwatchFd", NULL, js_unwatch_fd, NULL, NULL, NULL, napi_enumerable, NULL},
    {"unrefWatch", NULL, js_unref_watch, NULL, NULL, NULL, napi_enumerable, NULL},
    {"pidfdOpen", NULL, js_pidfd_open, NULL, NULL, NULL, napi_enumerable, NULL},
    {"inotifyDir", NULL, js_inotify_dir, NULL, NULL, NULL, napi_enumerable, NULL},
    {"userns", NULL, js_userns, NULL, NULL, NULL, napi_enumerable, NULL},
    {"idmapMount", NULL, js_idmap_mount, NULL, NULL, NULL, napi_enumerable, NULL},
    {"usernsMaps", NULL, js_userns_maps, NULL, NULL, NULL, napi_enumerable, NULL},
    {"execve", NULL, js_execve, NULL, NULL, NULL, napi_enumerable, NULL},
    {"spawnUserns", NULL, js_spawn_userns, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns);
  napi_value c;
  napi_create_object(env, &c);
  set_const(env, c, "MS_RDONLY", MS_RDONLY);
  set_const(env, c, "MS_NOSUID", MS_NOSUID);
  set_const(env, c, "MS_NODEV", MS_NODEV);
  set_const(env, c, "MS_NOEXEC", MS_NOEXEC);
  set_const(env, c, "MS_REMOUNT", MS_REMOUNT);
  set_const(env, c, "MS_BIND", MS_BIND);
  set_const(env, c, "MS_MOVE", MS_MOVE);
  set_const(env, c, "MS_REC", MS_REC);
  set_const(env, c, "MS_PRIVATE", MS_PRIVATE);
  set_const(env, c, "MS_SLAVE", MS_SLAVE);
  set_const(env, c, "MS_SHARED", MS_SHARED);
  set_const(env, c, "MS_NOATIME", MS_NOATIME);
  set_const(env, c, "MS_RELATIME", MS_RELATIME);
  set_const(env, c, "MS_STRICTATIME", MS_STRICTATIME);
  set_const(env, c, "MNT_FORCE", MNT_FORCE);
  set_const(env, c, "MNT_DETACH", MNT_DETACH);
  set_const(env, c, "MNT_EXPIRE", MNT_EXPIRE);
  set_const(env, c, "UMOUNT_NOFOLLOW", UMOUNT_NOFOLLOW);
  set_const(env, c, "S_IFCHR", S_IFCHR);
  set_const(env, c, "S_IFBLK", S_IFBLK);
  set_const(env, c, "S_IFIFO", S_IFIFO);
  napi_set_named_property(env, exports, "constants", c);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
