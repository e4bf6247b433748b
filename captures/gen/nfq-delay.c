/* nfq-delay: hold every packet of an NFQUEUE queue for a fixed delay, then
 * accept it (FIFO, so order is preserved).  Used on a router to emulate WAN
 * latency where netem is not available.
 *
 *   nfq-delay QUEUE_NUM DELAY_MS MAX_SECONDS
 *
 * Bounded: at most RING packets are held (beyond that packets are accepted at
 * once), the program exits after MAX_SECONDS or on SIGTERM/SIGINT, and
 * accepts every held packet before it exits.
 * Build: gcc -O2 -Wall -o nfq-delay nfq-delay.c -lnetfilter_queue
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#define RING 8192

static struct { uint32_t id; double due; } ring[RING];
static unsigned head, tail;              /* tail - head = held packets */
static double delay_s;
static volatile sig_atomic_t stop;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_sig(int sig) { (void)sig; stop = 1; }

static int cb(struct nfq_q_handle *qh, struct nfgenmsg *m, struct nfq_data *d, void *data)
{
    (void)m; (void)data;
    struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(d);
    uint32_t id = ph ? ntohl(ph->packet_id) : 0;
    if (tail - head >= RING)
        return nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL);
    ring[tail % RING].id = id;
    ring[tail % RING].due = now() + delay_s;
    tail++;
    return 0;
}

static void release(struct nfq_q_handle *qh, int all)
{
    double t = now();
    while (head != tail && (all || ring[head % RING].due <= t)) {
        nfq_set_verdict(qh, ring[head % RING].id, NF_ACCEPT, 0, NULL);
        head++;
    }
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s QUEUE_NUM DELAY_MS MAX_SECONDS\n", argv[0]);
        return 2;
    }
    int qnum = atoi(argv[1]);
    delay_s = atof(argv[2]) / 1000.0;
    double end = now() + atof(argv[3]);
    signal(SIGTERM, on_sig);
    signal(SIGINT, on_sig);

    struct nfq_handle *h = nfq_open();
    if (!h) { perror("nfq_open"); return 1; }
    struct nfq_q_handle *qh = nfq_create_queue(h, qnum, cb, NULL);
    if (!qh) { perror("nfq_create_queue"); nfq_close(h); return 1; }
    nfq_set_mode(qh, NFQNL_COPY_META, 0);
    nfq_set_queue_maxlen(qh, RING);
    int fd = nfq_fd(h);
    static char buf[65536] __attribute__((aligned));
    fprintf(stderr, "nfq-delay: queue %d, delay %.0f ms, ready\n", qnum, delay_s * 1000);

    while (!stop && now() < end) {
        int timeout_ms = 1;
        if (head == tail)
            timeout_ms = 50;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int r = poll(&p, 1, timeout_ms);
        if (r > 0) {
            for (int i = 0; i < 64; i++) {   /* bounded drain */
                int n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
                if (n <= 0)
                    break;
                nfq_handle_packet(h, buf, n);
            }
        }
        release(qh, 0);
    }
    release(qh, 1);
    nfq_destroy_queue(qh);
    nfq_close(h);
    fprintf(stderr, "nfq-delay: done\n");
    return 0;
}
