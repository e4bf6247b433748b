/* DCE/RPC's call events, as the connection reader (rpc.c, rpc_calls.c) hands them to the analyses that listen
 * to it (mapi.c): DCE/RPC calls no analysis, its listeners include only this.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_RPC_EVENTS_H
#define CONNLOST_RPC_EVENTS_H

#include "rpc_pdu.h"

/* A request waiting for its response. */
typedef struct {
    uint32_t call_id;
    uint16_t opnum;
    const cl_rpc_iface *iface;
    uint32_t frame;
    const char *user_dn; /* EcDoConnect(Ex): szUserDN when readable (interned) */
    bool has_handle;     /* EcDoDisconnect: the session's context handle when readable */
    uint8_t handle[16];
    bool has_rsp_handle; /* the handle the response's first fragment returned */
    uint8_t rsp_handle[16];
    GList link; /* in the connection's call order, oldest first */
} cl_rpc_call;

/* An EMSMDB call event, as DCE/RPC hands it to its listeners. */
typedef struct {
    cl_conv *conv;
    int client;            /* the side that binds and calls */
    const char *auth_user; /* the binding's NTLM user (interned), NULL if unknown */
    const cl_rpc_call *call;
    const uint8_t *handle; /* a logon's context handle, NULL when the stub is sealed */
    const uint32_t *code;  /* a logon's return code, NULL when unreadable */
    const cl_packet *pkt;
} cl_rpc_event;

typedef struct cl_rpc_listener {
    void (*logon_request)(void *state, cl_ctx *x, const cl_rpc_event *e);
    void (*logon)(void *state, cl_ctx *x, const cl_rpc_event *e);
    void (*disconnect)(void *state, cl_ctx *x, const cl_rpc_event *e);
    /* an EMSMDB connection that began before the capture */
    void (*late)(void *state);
} cl_rpc_listener;

#endif
