#define _GNU_SOURCE
#include "rbb-server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gio/gio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sim-log.h"

#define CHUNK_SIZE      4096
#define BATCH_INSNS     1000u
#define RUN_TIMEOUT_NS  1000000L

typedef enum { CHUNK_OK, CHUNK_QUIT, CHUNK_BAD } ChunkResult;

gboolean
sim_server_listen (SimServer *srv, guint16 port, GError **error)
{
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons (port) };
  socklen_t len = sizeof addr;
  int one = 1;

  srv->client_fd = -1;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  srv->listen_fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (srv->listen_fd < 0 ||
      setsockopt (srv->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
      bind (srv->listen_fd, (struct sockaddr *) &addr, sizeof addr) < 0 ||
      listen (srv->listen_fd, 1) < 0 ||
      getsockname (srv->listen_fd, (struct sockaddr *) &addr, &len) < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "cannot listen on 127.0.0.1:%u: %s", port, g_strerror (saved));
      return FALSE;
    }
  srv->port = ntohs (addr.sin_port);
  return TRUE;
}

static void
drop_client (SimServer *srv, const char *why)
{
  if (sim_tap_mid_scan (srv->tap))
    sim_log ("connection closed (%s) in the middle of a scan, TAP in %s",
             why, sim_tap_state_name (srv->tap->state));
  else
    sim_log ("connection closed (%s)", why);
  close (srv->client_fd);
  srv->client_fd = -1;
  sim_tap_reset (srv->tap);
  srv->tap->tck = false;
}

static void
accept_client (SimServer *srv)
{
  int one = 1;
  int fd = accept4 (srv->listen_fd, NULL, NULL, SOCK_CLOEXEC);

  if (fd < 0)
    {
      if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
        sim_log ("accept failed: %s", g_strerror (errno));
      return;
    }
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  srv->client_fd = fd;
  sim_log ("client connected");
}

static void
reset_lines (SimServer *srv, char c)
{
  unsigned bits = (unsigned) (c - 'r');
  bool trst = (bits & 2) != 0, srst = (bits & 1) != 0;

  if (trst)
    sim_tap_reset (srv->tap);
  sim_dm_set_system_reset (srv->dm, srst);
}

static ChunkResult
process_byte (SimServer *srv, char c, char *answers, size_t *n_answers)
{
  if (c >= '0' && c <= '7')
    {
      unsigned v = (unsigned) (c - '0');
      sim_tap_set_pins (srv->tap, v & 4, v & 2, v & 1);
    }
  else if (c == 'R')
    answers[(*n_answers)++] = sim_tap_get_tdo (srv->tap) ? '1' : '0';
  else if (c >= 'r' && c <= 'u')
    reset_lines (srv, c);
  else if (c == 'Q')
    return CHUNK_QUIT;
  else if (c != 'B' && c != 'b')
    return CHUNK_BAD;
  return CHUNK_OK;
}

static bool
send_all (int fd, const char *buf, size_t len)
{
  while (len > 0)
    {
      ssize_t n = send (fd, buf, len, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return false;
      buf += n;
      len -= (size_t) n;
    }
  return true;
}

static void
serve_chunk (SimServer *srv, const char *buf, size_t len)
{
  char answers[CHUNK_SIZE];
  size_t n_answers = 0;
  ChunkResult r = CHUNK_OK;
  size_t i;

  for (i = 0; i < len && r == CHUNK_OK; i++)
    r = process_byte (srv, buf[i], answers, &n_answers);
  if (n_answers > 0 && !send_all (srv->client_fd, answers, n_answers))
    {
      drop_client (srv, "write failed");
      return;
    }
  if (r == CHUNK_BAD)
    {
      g_autofree char *why = g_strdup_printf ("unexpected byte 0x%02x from peer",
                                              (unsigned char) buf[i - 1]);
      drop_client (srv, why);
    }
  else if (r == CHUNK_QUIT)
    drop_client (srv, "peer sent quit");
}

static void
read_client (SimServer *srv)
{
  char buf[CHUNK_SIZE];
  ssize_t n = read (srv->client_fd, buf, sizeof buf);

  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return;
  if (n < 0)
    drop_client (srv, g_strerror (errno));
  else if (n == 0)
    drop_client (srv, "peer disconnected");
  else
    serve_chunk (srv, buf, (size_t) n);
}

/* Runs each running hart for a batch; true if any ran. */
static bool
run_harts (SimDm *dm)
{
  bool any = false;

  for (unsigned i = 0; i < dm->n_harts; i++)
    if (sim_dm_hart_runs (dm, i))
      {
        sim_hart_run (&dm->harts[i], BATCH_INSNS);
        any = true;
      }
  return any;
}

void
sim_server_run (SimServer *srv, volatile sig_atomic_t *stop)
{
  const struct timespec run_timeout = { 0, RUN_TIMEOUT_NS };
  sigset_t unblocked;
  bool broken = false;

  sigemptyset (&unblocked);
  while (!*stop)
    {
      if (broken != (sim_link_broken != 0))
        {
          broken = !broken;
          sim_log ("debug link %s", broken ? "broken" : "mended");
        }
      bool connected = srv->client_fd >= 0;
      bool running = connected && run_harts (srv->dm);
      struct pollfd pfd = { connected ? srv->client_fd : srv->listen_fd, POLLIN, 0 };

      int n = ppoll (&pfd, 1, running ? &run_timeout : NULL, &unblocked);
      if (n <= 0)
        continue;
      if (!connected)
        accept_client (srv);
      else
        read_client (srv);
    }
}

void
sim_server_close (SimServer *srv)
{
  if (srv->client_fd >= 0)
    close (srv->client_fd);
  if (srv->listen_fd >= 0)
    close (srv->listen_fd);
  srv->client_fd = srv->listen_fd = -1;
}
