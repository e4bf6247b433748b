/* The one bounded table type: a hash table whose entries are kept in least-recently-used order, with its
 * bound, the bytes one entry costs (counted against connlost.max_state_mb) and the note said the first time
 * the bound is reached. Entries embed a cl_lru_node. An entry that holds something it must not lose can be
 * pinned: pinned entries count against the bound but are never evicted.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_LRU_H
#define CONNLOST_LRU_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

/* Memory counted against the caps: a hash table entry or list node with the allocator's overhead. */
#define CL_ENTRY_BYTES 48

typedef struct {
    GList link; /* in the table's order or its pinned list; link.data is the entry */
    bool pinned;
} cl_lru_node;

/* Frees an entry the table evicts; it must call cl_lru_remove() for it. */
typedef void (*cl_lru_evict_fn)(void *entry, void *data);

typedef struct {
    GHashTable *map; /* key -> entry */
    GQueue order;    /* unpinned entries, least recently used first */
    GQueue pinned;
    unsigned bound;
    size_t entry_bytes;
    const char *what, *pref, *then; /* "connlost tracks at most <bound> <what> (preference connlost.<pref>): <then>" */
    bool full_said;                 /* the note was taken (once per table) */
    bool full_pending;              /* the bound was reached and the note not taken yet */
    void *note_with;                /* another cl_lru whose note speaks for this table too, or NULL */
    bool *alert;                    /* set when full_pending is: one flag for all tables, checked once a frame */
    size_t *tally;                  /* when set, the bytes of its entries are added here as they come and go */
    cl_lru_evict_fn evict;
    void *evict_data;
} cl_lru;

void cl_lru_init(cl_lru *t, GHashFunc hash, GEqualFunc equal, unsigned bound, size_t entry_bytes);
/* What the table-full note says, and how an entry is evicted. */
void cl_lru_describe(cl_lru *t, const char *what, const char *pref, const char *then, cl_lru_evict_fn evict,
                     void *data);
/* Evicts every entry, then frees the table itself. */
void cl_lru_destroy(cl_lru *t);

static inline void *cl_lru_lookup(const cl_lru *t, const void *key) { return g_hash_table_lookup(t->map, key); }
static inline unsigned cl_lru_count(const cl_lru *t) { return t->order.length + t->pinned.length; }
/* The least recently used unpinned entry, NULL if none. */
static inline void *cl_lru_oldest(const cl_lru *t) { return t->order.head ? t->order.head->data : NULL; }

/* Makes room for one more entry: evicts the least recently used while the table is at its bound. */
void cl_lru_make_room(cl_lru *t);
/* Adds an entry under `key` (which lives in the entry); it replaces the table's entry for that key, if any. */
void cl_lru_insert(cl_lru *t, const void *key, void *entry, cl_lru_node *node);
/* Takes the entry out of the table's order; out of its map too when the map holds it for `key`. */
void cl_lru_remove(cl_lru *t, const void *key, void *entry, cl_lru_node *node);
void cl_lru_move_last(cl_lru *t, cl_lru_node *node);
/* The entry was used: it goes last in the eviction order. Inline: most packets touch the entry that is last
 * already (runs of one conversation), and the call cost more than that test. */
static inline void cl_lru_touch(cl_lru *t, cl_lru_node *node)
{
    if (!node->pinned && t->order.tail != &node->link)
        cl_lru_move_last(t, node);
}
void cl_lru_pin(cl_lru *t, cl_lru_node *node, bool pin);
/* Evicts the least recently used entry; false if there is none. */
bool cl_lru_shed(cl_lru *t);
/* The bound was reached: the table-full note is to be said (once per table, or by its note_with). */
void cl_lru_note_full(cl_lru *t);
/* True once after the bound was first reached: the caller says the table-full note then. */
bool cl_lru_take_full(cl_lru *t);

#endif
