/* Registration of connlost's fields, subtrees and expert infos, expanded from the vocabulary's tables (kinds.h)
 * and the glue's own field table (fields.h).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "fields.h"

static cl_fields ids; /* Wireshark keeps field ids in place: filled once at registration */

const cl_fields *cl_fields_ids(void) { return &ids; }

/* Field types of the numbers (kinds.h), as Wireshark's type and display base. */
#define CL_FT_UINT32 FT_UINT32, BASE_DEC
#define CL_FT_FRAMENUM FT_FRAMENUM, BASE_NONE
#define CL_FT_RELATIVE_TIME FT_RELATIVE_TIME, BASE_NONE
#define CL_FT_NONE FT_NONE, BASE_NONE

static void register_numbers(int proto)
{
    static const struct {
        enum ftenum type;
        int base;
        const char *abbrev, *title, *description;
    } rows[] = {
#define CL_NUMBER_ROW(id, member, ctype, ftype, abbrev, title, description) {CL_FT_##ftype, abbrev, title, description},
        CL_NUMBERS(CL_NUMBER_ROW)
#undef CL_NUMBER_ROW
    };
    /* Wireshark keeps the array: made once, never freed */
    hf_register_info *hf = g_new0(hf_register_info, CL_NUMBER_COUNT);
    int n = 0;
    for (int i = 0; i < CL_NUMBER_COUNT; i++) {
        ids.number[i] = -1;
        if (!rows[i].abbrev)
            continue;
        hf[n].p_id = &ids.number[i];
        hf[n].hfinfo = (header_field_info){rows[i].title,
                                           g_strconcat("connlost.", rows[i].abbrev, NULL),
                                           rows[i].type,
                                           rows[i].base,
                                           NULL,
                                           0x0,
                                           rows[i].description,
                                           HFILL};
        n++;
    }
    proto_register_field_array(proto, hf, n);
}

int cl_fields_register(void)
{
    static hf_register_info hf[] = {
#define CL_FIELD_ROW(member, title, abbrev, type, base, description)                                                   \
    {&ids.hf.member, {title, "connlost." abbrev, type, base, NULL, 0x0, description, HFILL}},
        CL_FIELDS(CL_FIELD_ROW)
#undef CL_FIELD_ROW
    };
    static ei_register_info ei[] = {
#define CL_EXPERT_ROW(id, abbrev, group, severity, blurb)                                                              \
    {&ids.expert[CL_EXPERT_##id], {"connlost." abbrev, PI_##group, PI_##severity, blurb, EXPFILL}},
        CL_EXPERTS(CL_EXPERT_ROW)
#undef CL_EXPERT_ROW
    };
    static gint *ett[] = {&ids.ett, &ids.ett_rpc};
    ids.ett = -1;
    ids.ett_rpc = -1;
    for (size_t i = 0; i < G_N_ELEMENTS(ids.expert); i++)
        ids.expert[i] = (expert_field)EI_INIT;
    ids.proto = proto_register_protocol("Connection Loss Diagnosis", "connlost", "connlost");
    proto_register_field_array(ids.proto, hf, array_length(hf));
    register_numbers(ids.proto);
    proto_register_subtree_array(ett, array_length(ett));
    expert_register_field_array(expert_register_protocol(ids.proto), ei, array_length(ei));
    return ids.proto;
}

void cl_fields_find_expert(void)
{
    ids.proto_expert = proto_get_id_by_filter_name("_ws.expert");
    ids.expert_tap = find_tap_id("expert");
}
