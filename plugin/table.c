/* Statistics > connlost > Diagnoses and -z connlost,diagnoses: one row per diagnosed conversation (its number,
 * start, client, server, cause, confidence, verdict frame), as the capture report lists them. A row is made or
 * brought up to date from the engine's diagnosis on each frame that shows, replaces or withdraws a verdict, so
 * after the first pass (the GUI's retap, tshark -2) the rows hold what held to the end; a verdict withdrawn in a
 * single pass stays as a row that says so (a table row cannot be taken back).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "table.h"

#define TABLE_TITLE "connlost diagnoses"

enum { COL_CONV, COL_START, COL_CLIENT, COL_SERVER, COL_CAUSE, COL_CONFIDENCE, COL_FRAME, N_COLS };

static stat_tap_table_item columns[N_COLS] = {
    {TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Conversation", "%u"},
    {TABLE_ITEM_FLOAT, TAP_ALIGN_RIGHT, "Start (s)", "%.3f"},
    {TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Client", "%s"},
    {TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Server", "%s"},
    {TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Cause", "%s"},
    {TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Confidence (%)", "%u"},
    {TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Verdict frame", "%u"},
};

static const cl_engine *(*table_engine)(void);

static void free_cell(stat_tap_table *table _U_, cl_pref_uint row _U_, cl_pref_uint column,
                      stat_tap_table_item_type *cell)
{
    if (columns[column].type == TABLE_ITEM_STRING) {
        g_free((char *)cell->value.string_value);
        cell->value.string_value = NULL;
    }
}

/* Rows come and go with the diagnoses of one capture: a new capture (or a retap) starts with none. */
static void table_reset(stat_tap_table *table)
{
    for (unsigned row = 0; row < table->num_elements; row++) {
        for (unsigned column = 0; column < N_COLS; column++)
            free_cell(table, row, column, &table->elements[row][column]);
        g_free(table->elements[row]);
    }
    table->num_elements = 0;
}

static void table_init(stat_tap_table_ui *ui)
{
    stat_tap_table *table = stat_tap_find_table(ui, TABLE_TITLE);
    if (table) {
        table_reset(table);
        return;
    }
    stat_tap_add_table(ui, stat_tap_init_table(TABLE_TITLE, N_COLS, 0, NULL));
}

/* The row of conversation `conv`, table->num_elements if it has none. */
static unsigned find_row(const stat_tap_table *table, uint32_t conv)
{
    unsigned row = 0;
    while (row < table->num_elements && table->elements[row][COL_CONV].value.uint_value != conv)
        row++;
    return row;
}

/* A new row at the end for conversation `conv`. */
static unsigned add_row(stat_tap_table *table, uint32_t conv)
{
    stat_tap_table_item_type cells[N_COLS];
    memset(cells, 0, sizeof(cells));
    for (unsigned column = 0; column < N_COLS; column++)
        cells[column].type = columns[column].type;
    cells[COL_CONV].value.uint_value = conv;
    stat_tap_init_table_row(table, table->num_elements, N_COLS, cells);
    return table->num_elements - 1;
}

static void set_text(stat_tap_table *table, unsigned row, unsigned column, char *text)
{
    stat_tap_table_item_type *cell = stat_tap_get_field_data(table, row, column);
    g_free((char *)cell->value.string_value);
    cell->value.string_value = text;
    stat_tap_set_field_data(table, row, column, cell);
}

static void set_uint(stat_tap_table *table, unsigned row, unsigned column, unsigned value)
{
    stat_tap_table_item_type *cell = stat_tap_get_field_data(table, row, column);
    cell->value.uint_value = value;
    stat_tap_set_field_data(table, row, column, cell);
}

static void fill_row(stat_tap_table *table, unsigned row, const cl_diagnosis *d, const packet_info *pinfo)
{
    char text[72];
    nstime_t start;
    nstime_delta(&start, &pinfo->abs_ts, &pinfo->rel_ts); /* when the capture's first frame came */
    stat_tap_table_item_type *cell = stat_tap_get_field_data(table, row, COL_START);
    cell->value.float_value = d->start - nstime_to_sec(&start);
    stat_tap_set_field_data(table, row, COL_START, cell);
    cl_addr_format(&d->client, d->client_port, text, sizeof(text));
    set_text(table, row, COL_CLIENT, g_strdup(text));
    cl_addr_format(&d->server, d->server_port, text, sizeof(text));
    set_text(table, row, COL_SERVER, g_strdup(text));
    set_text(table, row, COL_CAUSE, g_strdup(cl_cause_slug(d->cause)));
    set_uint(table, row, COL_CONFIDENCE, d->confidence);
    set_uint(table, row, COL_FRAME, d->verdict_frame);
}

static tap_packet_status table_packet(void *data, packet_info *pinfo, epan_dissect_t *edt _U_, const void *result,
                                      tap_flags_t flags _U_)
{
    const cl_result *r = result;
    if (!r->conv_id || !(r->cause || r->withdrawn))
        return TAP_PACKET_DONT_REDRAW;
    stat_data_t *stats = data;
    stat_tap_table *table = g_array_index(stats->stat_tap_data->tables, stat_tap_table *, 0);
    const cl_packet none = {0};
    const cl_diagnosis *d = cl_engine_diagnosis_for(table_engine(), &none, r->conv_id);
    unsigned row = find_row(table, r->conv_id);
    if (d) {
        fill_row(table, row < table->num_elements ? row : add_row(table, r->conv_id), d, pinfo);
    } else if (row < table->num_elements && r->withdrawn) { /* shown earlier in this pass, then disproved */
        set_text(table, row, COL_CAUSE, g_strdup_printf("(%s withdrawn)", cl_cause_slug(r->withdrawn)));
        set_uint(table, row, COL_CONFIDENCE, 0);
    }
    return TAP_PACKET_REDRAW;
}

void cl_table_register(const cl_engine *(*engine)(void))
{
    table_engine = engine;
    static stat_tap_table_ui ui = {REGISTER_STAT_GROUP_GENERIC,
                                   "connlost/Diagnoses", /* a stat table's menu path splits at "/" */
                                   "connlost",
                                   "connlost,diagnoses",
                                   table_init,
                                   table_packet,
                                   table_reset,
                                   free_cell,
                                   NULL,
                                   N_COLS,
                                   columns,
                                   0,
                                   NULL,
                                   NULL,
                                   0};
    register_stat_tap_table_ui(&ui);
}
