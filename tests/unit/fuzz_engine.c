/* libFuzzer harness for the engine: the input is a run of captured frames, each as
 *   1 byte link type (cl_link, modulo their number), 2 bytes length (little endian),
 *   1 byte time step (signed, 50 ms units: time may go backwards), then the frame's bytes,
 * decoded and fed in order with small table bounds, so that evictions happen too.
 * Build: CC=clang cmake -S . -B build-fuzz -DCONNLOST_FUZZER=ON && cmake --build build-fuzz --target fuzz_engine
 * Run:   build-fuzz/fuzz_engine -max_total_time=60 CORPUS_DIR   (tests/unit/fuzz-corpus makes a corpus)
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "engine.h"

#include <string.h>

#define MAX_FRAMES 2000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cl_config cfg;
    cl_config_defaults(&cfg);
    cfg.max_conversations = 16;
    cfg.max_segments = 16;
    cfg.max_fragments = 16;
    cfg.max_pairs = 4;
    cfg.idle_min_ms = 100;
    cl_engine *eng = cl_engine_new(&cfg);
    size_t off = 0;
    uint32_t frame = 0;
    double time = 1000;
    while (off + 4 <= size && frame < MAX_FRAMES) {
        cl_link link = (cl_link)(data[off] % (CL_LINK_NULL + 1));
        size_t len = (size_t)(data[off + 1] | data[off + 2] << 8);
        time += (int8_t)data[off + 3] * 0.05;
        off += 4;
        if (len > size - off)
            len = size - off;
        cl_packet pkt;
        memset(&pkt, 0, sizeof(pkt));
        pkt.frame = ++frame;
        pkt.time = time;
        cl_decode(data + off, len, link, &pkt);
        cl_engine_feed(eng, &pkt);
        off += len;
    }
    cl_engine_free(eng);
    return 0;
}
