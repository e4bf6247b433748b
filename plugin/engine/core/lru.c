/* The one bounded table type.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "lru.h"

void cl_lru_init(cl_lru *t, GHashFunc hash, GEqualFunc equal, unsigned bound, size_t entry_bytes)
{
    *t = (cl_lru){0};
    t->map = g_hash_table_new(hash, equal);
    g_queue_init(&t->order);
    g_queue_init(&t->pinned);
    t->bound = bound;
    t->entry_bytes = entry_bytes;
}

void cl_lru_describe(cl_lru *t, const char *what, const char *pref, const char *then, cl_lru_evict_fn evict, void *data)
{
    t->what = what;
    t->pref = pref;
    t->then = then;
    t->evict = evict;
    t->evict_data = data;
}

static void evict_head(cl_lru *t, GQueue *q) { t->evict(q->head->data, t->evict_data); }

void cl_lru_destroy(cl_lru *t)
{
    while (t->pinned.head)
        evict_head(t, &t->pinned);
    while (t->order.head)
        evict_head(t, &t->order);
    g_hash_table_destroy(t->map);
    t->map = NULL;
}

bool cl_lru_shed(cl_lru *t)
{
    if (!t->order.head)
        return false;
    evict_head(t, &t->order);
    return true;
}

void cl_lru_note_full(cl_lru *t)
{
    cl_lru *noting = t->note_with ? t->note_with : t;
    if (noting->full_said)
        return;
    noting->full_pending = true;
    if (noting->alert)
        *noting->alert = true;
}

void cl_lru_make_room(cl_lru *t)
{
    while (cl_lru_count(t) >= t->bound && cl_lru_shed(t))
        cl_lru_note_full(t);
}

void cl_lru_insert(cl_lru *t, const void *key, void *entry, cl_lru_node *node)
{
    node->link.data = entry;
    node->pinned = false;
    g_queue_push_tail_link(&t->order, &node->link);
    g_hash_table_replace(t->map, (gpointer)key, entry);
    if (t->tally)
        *t->tally += t->entry_bytes;
}

void cl_lru_remove(cl_lru *t, const void *key, void *entry, cl_lru_node *node)
{
    g_queue_unlink(node->pinned ? &t->pinned : &t->order, &node->link);
    if (t->tally)
        *t->tally -= t->entry_bytes;
    if (g_hash_table_lookup(t->map, key) == entry)
        g_hash_table_remove(t->map, key);
}

void cl_lru_move_last(cl_lru *t, cl_lru_node *node)
{
    g_queue_unlink(&t->order, &node->link);
    g_queue_push_tail_link(&t->order, &node->link);
}

void cl_lru_pin(cl_lru *t, cl_lru_node *node, bool pin)
{
    if (node->pinned == pin)
        return;
    g_queue_unlink(node->pinned ? &t->pinned : &t->order, &node->link);
    g_queue_push_tail_link(pin ? &t->pinned : &t->order, &node->link);
    node->pinned = pin;
}

bool cl_lru_take_full(cl_lru *t)
{
    if (!t->full_pending)
        return false;
    t->full_pending = false;
    t->full_said = true;
    return true;
}
