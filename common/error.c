#include "common/error.h"
#include "common/exitcodes.h"

#include <stdio.h>
#include <string.h>

void ps_error_clear(ps_error *err)
{
    if (err) {
        err->code = PS_OK;
        err->msg[0] = '\0';
    }
}

int ps_error_vset(ps_error *err, int code, const char *fmt, va_list ap)
{
    if (err) {
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    }
    return code;
}

int ps_error_set(ps_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ps_error_vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

int ps_error_nomem(ps_error *err)
{
    return ps_error_set(err, PS_ERR_NOMEM, "out of memory");
}

const char *ps_error_kind(int code)
{
    switch (code) {
    case PS_OK: return "success";
    case PS_ERR_NOMEM: return "out of memory";
    case PS_ERR_USAGE: return "usage error";
    case PS_ERR_INPUT: return "input error";
    case PS_ERR_LIMIT: return "limit exceeded";
    case PS_ERR_IO: return "i/o error";
    case PS_ERR_DB: return "database error";
    default: return "internal error";
    }
}

int ps_error_exit_status(int code)
{
    switch (code) {
    case PS_OK: return PS_EXIT_OK;
    case PS_ERR_USAGE: return PS_EXIT_USAGE;
    case PS_ERR_INPUT:
    case PS_ERR_LIMIT: return PS_EXIT_INPUT;
    default: return PS_EXIT_IO;
    }
}
