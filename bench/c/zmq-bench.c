/*
 * Native reference for `npm run bench`: the throughput and latency rows on libzmq from C
 * (Debian's libzmq3-dev), speaking the same line protocol as the Node bench processes
 * (bench/child.ts): one JSON object per stdout line, {"ready":{...}}, {"result":{...}} or
 * {"error":"..."}.
 *
 * Compiled at bench time by bench/c-reference.ts:  cc -O2 -o .tmp/bench/zmq-bench zmq-bench.c -lzmq
 *
 * Roles (security is "NULL" or "CURVE"; CURVE server keys are made here with zmq_curve_keypair
 * and handed to the client through the orchestrator as Z85):
 *   zmq-bench version
 *   zmq-bench pull SECURITY [WARMUP_MS]             bind PULL, count until an empty message
 *                                                   (from the first arrival WARMUP_MS after the first)
 *   zmq-bench push ENDPOINT SIZE MS SECURITY [KEY]  connect PUSH, send SIZE-byte messages for MS ms
 *   zmq-bench rep SECURITY                          bind REP, echo forever
 *   zmq-bench req ENDPOINT SIZE MS WARMUP SECURITY [KEY]  round trips for MS ms after WARMUP ones
 *
 * The gateway rows (issue 12): the same topology as `ironhouse gateway` in front of an
 * unmodified application, built from libzmq alone. The application binds (NULL), then starts
 * this program again as its own process in the `proxy` role, which binds a CURVE server front
 * end, connects a NULL back end to the application and joins them with zmq_proxy(); the
 * application announces the proxy's endpoint and key as its own ready line. Clients are the
 * `push` and `req` roles with CURVE.
 *   zmq-bench gateway-pull [WARMUP_MS]              PULL app behind a push-pull proxy, counts as `pull`
 *   zmq-bench gateway-rep                           REP app behind a req-rep proxy, echoes as `rep`
 *   zmq-bench proxy PATTERN APP_ENDPOINT            req-rep: ROUTER (CURVE, bind) | DEALER (connect)
 *                                                   push-pull: PULL (CURVE, bind) | PUSH (connect)
 *
 * Written for this benchmark from the libzmq man pages (zmq_socket, zmq_msg_recv, zmq_curve);
 * it mirrors what the Node processes do, message for message.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void fail(const char *what) {
  printf("{\"error\":\"libzmq C: %s: %s\"}\n", what, zmq_strerror(zmq_errno()));
  fflush(stdout);
  exit(1);
}

static void check(int rc, const char *what) {
  if (rc == -1) fail(what);
}

static int is_curve(const char *security) { return strcmp(security, "CURVE") == 0; }

/* Server side of CURVE: a fresh key pair; the public half goes out in the ready line. */
static void make_server(void *sock, const char *security, char public_key[41]) {
  public_key[0] = '\0';
  if (!is_curve(security)) return;
  char secret_key[41];
  check(zmq_curve_keypair(public_key, secret_key), "zmq_curve_keypair");
  int one = 1;
  check(zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one), "ZMQ_CURVE_SERVER");
  check(zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, secret_key, 40), "ZMQ_CURVE_SECRETKEY");
}

static void make_client(void *sock, const char *security, const char *server_key) {
  if (!is_curve(security)) return;
  char public_key[41], secret_key[41];
  check(zmq_curve_keypair(public_key, secret_key), "zmq_curve_keypair");
  check(zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, server_key, 40), "ZMQ_CURVE_SERVERKEY");
  check(zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, public_key, 40), "ZMQ_CURVE_PUBLICKEY");
  check(zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, secret_key, 40), "ZMQ_CURVE_SECRETKEY");
}

static void bind_and_announce(void *sock, const char *public_key) {
  check(zmq_bind(sock, "tcp://127.0.0.1:*"), "zmq_bind");
  char endpoint[256];
  size_t len = sizeof endpoint;
  check(zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, endpoint, &len), "ZMQ_LAST_ENDPOINT");
  if (public_key[0] != '\0')
    printf("{\"ready\":{\"endpoint\":\"%s\",\"serverKey\":\"%s\"}}\n", endpoint, public_key);
  else
    printf("{\"ready\":{\"endpoint\":\"%s\"}}\n", endpoint);
  fflush(stdout);
}

/* ---- gateway rows (issue 12) ---------------------------------------------------------------- */

static void fail_plain(const char *what) {
  printf("{\"error\":\"libzmq C: %s: %s\"}\n", what, strerror(errno));
  fflush(stdout);
  exit(1);
}

/* The proxy's process id, so that gateway-pull can stop it once it has its result. */
static pid_t proxy_pid = -1;

/*
 * Binds the application socket (NULL), starts `zmq-bench proxy PATTERN ENDPOINT` as a child
 * process and passes the proxy's ready line (CURVE endpoint and server key) on as ours. The
 * child gets SIGKILL when this process dies (PR_SET_PDEATHSIG), as the orchestrator kills
 * servers with SIGKILL; bench/gateway-watchdog.ts does the same for `ironhouse gateway`.
 */
static void bind_behind_proxy(void *sock, const char *pattern) {
  check(zmq_bind(sock, "tcp://127.0.0.1:*"), "zmq_bind");
  char endpoint[256];
  size_t len = sizeof endpoint;
  check(zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, endpoint, &len), "ZMQ_LAST_ENDPOINT");
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n < 0) fail_plain("readlink /proc/self/exe");
  self[n] = '\0';
  int fds[2];
  if (pipe(fds) != 0) fail_plain("pipe");
  pid_t parent = getpid();
  char *argv[] = {self, "proxy", (char *)pattern, endpoint, NULL};
  pid_t pid = fork();
  if (pid < 0) fail_plain("fork");
  if (pid == 0) {
    /* Only async-signal-safe calls between fork and exec: this process has libzmq's threads. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execv(self, argv);
    _exit(127);
  }
  proxy_pid = pid;
  close(fds[1]);
  FILE *from_proxy = fdopen(fds[0], "r");
  if (from_proxy == NULL) fail_plain("fdopen");
  char line[1024];
  if (fgets(line, sizeof line, from_proxy) == NULL) {
    printf("{\"error\":\"libzmq C: the proxy process exited before its ready line\"}\n");
    fflush(stdout);
    exit(1);
  }
  fclose(from_proxy); /* the proxy writes nothing after its ready (or error) line */
  fputs(line, stdout); /* {"ready":{"endpoint":...,"serverKey":...}} or {"error":...} */
  fflush(stdout);
  if (strncmp(line, "{\"ready\"", 8) != 0) exit(1);
}

/* What `ironhouse gateway` runs for a server-side route: CURVE outside (bind), NULL inside (connect). */
static int role_proxy(const char *pattern, const char *app_endpoint) {
  int req_rep = strcmp(pattern, "req-rep") == 0;
  if (!req_rep && strcmp(pattern, "push-pull") != 0) {
    printf("{\"error\":\"zmq-bench proxy: pattern must be req-rep or push-pull\"}\n");
    return 2;
  }
  void *ctx = zmq_ctx_new();
  void *front = zmq_socket(ctx, req_rep ? ZMQ_ROUTER : ZMQ_PULL);
  void *back = zmq_socket(ctx, req_rep ? ZMQ_DEALER : ZMQ_PUSH);
  int zero = 0; /* the bench's gateway config has linger = 0 */
  check(zmq_setsockopt(front, ZMQ_LINGER, &zero, sizeof zero), "ZMQ_LINGER");
  check(zmq_setsockopt(back, ZMQ_LINGER, &zero, sizeof zero), "ZMQ_LINGER");
  char public_key[41];
  make_server(front, "CURVE", public_key);
  check(zmq_connect(back, app_endpoint), "zmq_connect");
  bind_and_announce(front, public_key);
  zmq_proxy(front, back, NULL); /* returns only when the context ends: never, here */
  fail("zmq_proxy");
  return 1;
}

/*
 * The receiving side's bind: as a server with `security` (announcing its key), or as the NULL
 * application behind a `proxy` process of `pattern` (the gateway rows).
 */
static void bind_app(void *sock, const char *security, int behind_proxy, const char *pattern) {
  if (behind_proxy) {
    bind_behind_proxy(sock, pattern);
    return;
  }
  char public_key[41];
  make_server(sock, security, public_key);
  bind_and_announce(sock, public_key);
}

/*
 * Counts messages from the first arrival to the empty end marker, like throughput-receiver.ts;
 * with warmup_ms > 0, from the first arrival at least warmup_ms after the very first (steady
 * state: the gateway rows, where every process starts cold in each run).
 */
static int role_pull(const char *security, int behind_proxy, double warmup_ms) {
  void *ctx = zmq_ctx_new();
  void *sock = zmq_socket(ctx, ZMQ_PULL);
  bind_app(sock, security, behind_proxy, "push-pull");
  zmq_msg_t msg;
  zmq_msg_init(&msg);
  long count = 0;
  double first = 0;
  double arrived = -1;
  int counting = warmup_ms <= 0;
  for (;;) {
    check(zmq_msg_recv(&msg, sock, 0), "zmq_msg_recv");
    if (zmq_msg_size(&msg) == 0) break;
    if (!counting) {
      double t = now_ms();
      if (arrived < 0) arrived = t;
      if (t - arrived < warmup_ms) continue;
      counting = 1;
    }
    if (count == 0) first = now_ms();
    count++;
  }
  double elapsed = now_ms() - first;
  /* count - 1 intervals between the first and the last message. */
  double rate = count > 1 && elapsed > 0 ? (double)(count - 1) / (elapsed / 1e3) : 0;
  printf("{\"result\":{\"messages\":%ld,\"seconds\":%.6f,\"msgPerSec\":%.1f}}\n", count,
         elapsed / 1e3, rate);
  fflush(stdout);
  if (proxy_pid > 0) {
    kill(proxy_pid, SIGKILL);
    waitpid(proxy_pid, NULL, 0);
  }
  zmq_msg_close(&msg);
  zmq_close(sock);
  zmq_ctx_term(ctx);
  return 0;
}

static int role_push(const char *endpoint, size_t size, double ms, const char *security,
                     const char *server_key) {
  void *ctx = zmq_ctx_new();
  void *sock = zmq_socket(ctx, ZMQ_PUSH);
  make_client(sock, security, server_key);
  int linger = 10000;
  check(zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger), "ZMQ_LINGER");
  check(zmq_connect(sock, endpoint), "zmq_connect");
  char *payload = malloc(size > 0 ? size : 1);
  memset(payload, 'a', size);
  double deadline = now_ms() + ms;
  long sent = 0;
  for (;;) {
    check(zmq_send(sock, payload, size, 0), "zmq_send");
    if ((++sent & 255) == 0 && now_ms() >= deadline) break;
  }
  check(zmq_send(sock, "", 0, 0), "zmq_send end marker");
  printf("{\"result\":{\"sent\":%ld}}\n", sent);
  fflush(stdout);
  free(payload);
  zmq_close(sock);
  zmq_ctx_term(ctx);
  return 0;
}

static int role_rep(const char *security, int behind_proxy) {
  void *ctx = zmq_ctx_new();
  void *sock = zmq_socket(ctx, ZMQ_REP);
  bind_app(sock, security, behind_proxy, "req-rep");
  zmq_msg_t msg;
  zmq_msg_init(&msg);
  for (;;) {
    check(zmq_msg_recv(&msg, sock, 0), "zmq_msg_recv");
    check(zmq_msg_send(&msg, sock, 0), "zmq_msg_send");
  }
  return 0; /* not reached: the orchestrator kills the server */
}

static int compare_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y ? 1 : 0;
}

static int role_req(const char *endpoint, size_t size, double ms, long warmup,
                    const char *security, const char *server_key) {
  void *ctx = zmq_ctx_new();
  void *sock = zmq_socket(ctx, ZMQ_REQ);
  make_client(sock, security, server_key);
  check(zmq_connect(sock, endpoint), "zmq_connect");
  char *payload = malloc(size > 0 ? size : 1);
  memset(payload, 'a', size);
  char *reply = malloc(size + 1);
  size_t capacity = 1 << 20, n = 0;
  double *samples = malloc(capacity * sizeof *samples);
  for (long i = 0; i < warmup; i++) {
    check(zmq_send(sock, payload, size, 0), "zmq_send");
    check(zmq_recv(sock, reply, size + 1, 0), "zmq_recv");
  }
  double deadline = now_ms() + ms;
  for (;;) {
    double start = now_ms();
    check(zmq_send(sock, payload, size, 0), "zmq_send");
    check(zmq_recv(sock, reply, size + 1, 0), "zmq_recv");
    double end = now_ms();
    if (n == capacity) {
      capacity *= 2;
      samples = realloc(samples, capacity * sizeof *samples);
    }
    samples[n++] = (end - start) * 1e3; /* µs */
    if (end >= deadline) break;
  }
  qsort(samples, n, sizeof *samples, compare_double);
  /* Nearest-rank percentiles, as bench/stats.ts computes them. */
  size_t median_rank = (n + 1) / 2, p99_rank = (size_t)((99 * n + 99) / 100);
  size_t p999_rank = (size_t)((999 * n + 999) / 1000);
  printf("{\"result\":{\"roundTrips\":%zu,\"medianUs\":%.2f,\"p99Us\":%.2f,\"p999Us\":%.2f}}\n", n,
         samples[median_rank - 1], samples[p99_rank - 1], samples[p999_rank - 1]);
  fflush(stdout);
  free(samples);
  free(payload);
  free(reply);
  int zero = 0;
  zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
  zmq_close(sock);
  zmq_ctx_term(ctx);
  return 0;
}

int main(int argc, char **argv) {
  const char *role = argc > 1 ? argv[1] : "";
  if (strcmp(role, "version") == 0) {
    int major, minor, patch;
    zmq_version(&major, &minor, &patch);
    printf("{\"result\":{\"version\":\"%d.%d.%d\",\"curve\":%s}}\n", major, minor, patch,
           zmq_has("curve") ? "true" : "false");
    return 0;
  }
  if (strcmp(role, "pull") == 0 && (argc == 3 || argc == 4))
    return role_pull(argv[2], 0, argc == 4 ? strtod(argv[3], NULL) : 0);
  if (strcmp(role, "rep") == 0 && argc == 3) return role_rep(argv[2], 0);
  if (strcmp(role, "gateway-pull") == 0 && (argc == 2 || argc == 3))
    return role_pull("NULL", 1, argc == 3 ? strtod(argv[2], NULL) : 0);
  if (strcmp(role, "gateway-rep") == 0 && argc == 2) return role_rep("NULL", 1);
  if (strcmp(role, "proxy") == 0 && argc == 4) return role_proxy(argv[2], argv[3]);
  if (strcmp(role, "push") == 0 && (argc == 6 || argc == 7))
    return role_push(argv[2], strtoul(argv[3], NULL, 10), strtod(argv[4], NULL), argv[5],
                     argc == 7 ? argv[6] : "");
  if (strcmp(role, "req") == 0 && (argc == 7 || argc == 8))
    return role_req(argv[2], strtoul(argv[3], NULL, 10), strtod(argv[4], NULL),
                    strtol(argv[5], NULL, 10), argv[6], argc == 8 ? argv[7] : "");
  printf("{\"error\":\"zmq-bench: unknown role or wrong argument count\"}\n");
  return 2;
}
