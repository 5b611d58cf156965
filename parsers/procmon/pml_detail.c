/*
 * pml_detail.c - the Path, Operation, Category and Detail columns of a PML
 * event, written exactly as Procmon's CSV export writes them (en-US), and the
 * decoded fields the reconstruction engine reads (child PID, command line,
 * thread id, image base, registry type and data).
 *
 * A PML event carries a detail blob (the operation's parameters, written when
 * the operation starts) and, for some operations, an extra-detail blob (its
 * output, written when it completes: the value read, the file information
 * returned, the open result).  Layouts are those of the public references of
 * ../shared/reference/formats.md, checked field by field against the CSV
 * exports of the same captures (tests/realdata/pml.test measures it).
 */
#include "parsers/procmon/pml.h"

#include <stdio.h>

/* ---- helpers ------------------------------------------------------------------------------ */

/* A detail string: the u16 info word (bit 15: 8-bit text, else UTF-16;
 * low 15 bits: characters) announces it, the text follows later. */
static void read_dstr(pml_cur *c, uint16_t info, ps_buf *out)
{
    size_t n = info & 0x7FFF;
    bool ascii = (info & 0x8000) != 0;
    size_t bytes = ascii ? n : 2 * n;

    if (!pml_need(c, bytes))
        return;
    if (ascii)
        pml_put_latin1(out, c->p, n, true);
    else
        pml_put_utf16(out, c->p, n, true);
    c->p += bytes;
}

/* "Key: " with the ", " separator when something precedes it. */
static void key_n(ps_buf *b, const char *k, size_t n)
{
    if (b->len)
        pml_put(b, ", ", 2);
    pml_put(b, k, n);
    pml_put(b, ": ", 2);
}
#define key(b, k) key_n((b), (k), strlen(k))

static void kv_str(ps_buf *b, const char *k, const char *v)
{
    key(b, k);
    pml_puts(b, v);
}

static void kv_grouped(ps_buf *b, const char *k, uint64_t v)
{
    key(b, k);
    pml_put_grouped(b, v);
}

static void kv_sgrouped(ps_buf *b, const char *k, int64_t v)
{
    key(b, k);
    if (v < 0) {
        pml_put(b, "-", 1);
        pml_put_grouped(b, (uint64_t)0 - (uint64_t)v);
    } else {
        pml_put_grouped(b, (uint64_t)v);
    }
}

static void kv_u64(ps_buf *b, const char *k, uint64_t v)
{
    key(b, k);
    pml_put_u64(b, v);
}

static void kv_hex(ps_buf *b, const char *k, uint64_t v)
{
    key(b, k);
    pml_put_hex(b, v, false);
}

static void kv_bool(ps_buf *b, const char *k, unsigned v)
{
    kv_str(b, k, v ? "True" : "False");
}

static void kv_datetime(ps_buf *b, const char *k, int64_t ft)
{
    key(b, k);
    pml_put_datetime(b, ft);
}

/* UTF-16 text of n bytes (odd bytes ignored), up to a NUL */
static void put_wide(ps_buf *b, pml_cur *c, size_t nbytes)
{
    if (nbytes > pml_left(c))
        nbytes = pml_left(c);
    pml_put_utf16(b, c->p, nbytes / 2, true);
    c->p += nbytes;
}

void pml_decoder_init(pml_decoder *d)
{
    memset(d, 0, sizeof *d);
    ps_buf_init(&d->op);
    ps_buf_init(&d->path);
    ps_buf_init(&d->detail);
    ps_buf_init(&d->cmdline);
    ps_buf_init(&d->cwd);
    ps_buf_init(&d->regdata);
    ps_buf_init(&d->tmp);
    d->ptr_size = 8;
    d->version = 9;
}

void pml_decoder_release(pml_decoder *d)
{
    ps_buf_release(&d->op);
    ps_buf_release(&d->path);
    ps_buf_release(&d->detail);
    ps_buf_release(&d->cmdline);
    ps_buf_release(&d->cwd);
    ps_buf_release(&d->regdata);
    ps_buf_release(&d->tmp);
}

static void reset(ps_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

/* ---- process ------------------------------------------------------------------------------- */

static void process_create(pml_decoder *d, pml_cur *c, ps_event *ev)
{
    uint32_t pid;
    uint8_t s1, s2;
    uint16_t pinfo, cinfo;

    pml_skip(c, 4);
    pid = pml_u32(c);
    pml_skip(c, 0x24);
    s1 = pml_u8(c);
    s2 = pml_u8(c);
    pinfo = pml_u16(c);
    cinfo = pml_u16(c);
    pml_skip(c, 2);
    if (pml_need(c, (size_t)s1 + s2)) {
        d->user_sid = c->p;   /* the child's user and integrity SIDs */
        d->user_sid_len = s1;
        c->p += (size_t)s1 + s2;
    }
    read_dstr(c, pinfo, &d->path);
    read_dstr(c, cinfo, &d->cmdline);
    if (c->bad)
        return;
    kv_u64(&d->detail, "PID", pid);
    kv_str(&d->detail, "Command line", d->cmdline.data ? d->cmdline.data : "");
    ev->child_pid = pid;
    ev->has_child_pid = true;
    ev->command_line = d->cmdline.data ? d->cmdline.data : "";
}

static void process_start(pml_decoder *d, pml_cur *c, ps_event *ev)
{
    uint32_t ppid = pml_u32(c);
    uint16_t cinfo, winfo;
    uint32_t envchars;

    if (c->bad)
        return;
    ev->parent_pid = ppid;
    ev->has_parent_pid = true;
    kv_u64(&d->detail, "Parent PID", ppid);
    if (pml_left(c) == 0)
        return;   /* Procmon 2 (PML version 7) logs the parent PID only */
    cinfo = pml_u16(c);
    winfo = pml_u16(c);
    envchars = pml_u32(c);
    read_dstr(c, cinfo, &d->cmdline);
    read_dstr(c, winfo, &d->cwd);
    if (c->bad)
        return;
    kv_str(&d->detail, "Command line", d->cmdline.data ? d->cmdline.data : "");
    kv_str(&d->detail, "Current directory", d->cwd.data ? d->cwd.data : "");
    key(&d->detail, "Environment");
    {
        /* NUL-separated entries, each written as "\n;\t" + entry */
        size_t nbytes = (size_t)envchars * 2, i = 0, start = 0;
        const uint8_t *p = c->p;
        if (nbytes > pml_left(c))
            nbytes = pml_left(c) & ~(size_t)1;
        while (i + 1 < nbytes) {
            if (p[i] == 0 && p[i + 1] == 0) {
                if (i == start)
                    break;   /* the empty string ends the block */
                pml_put(&d->detail, "\r;\t", 3);
                pml_put_utf16(&d->detail, p + start, (i - start) / 2, false);
                start = i + 2;
            }
            i += 2;
        }
        if (i >= nbytes && start < nbytes) {
            pml_put(&d->detail, "\r;\t", 3);
            pml_put_utf16(&d->detail, p + start, (nbytes - start) / 2, false);
        }
        c->p += nbytes;
    }
    ev->command_line = d->cmdline.data ? d->cmdline.data : "";
    ev->current_dir = d->cwd.data ? d->cwd.data : "";
}

static void process_exit(pml_decoder *d, pml_cur *c, ps_event *ev)
{
    int32_t status = (int32_t)pml_u32(c);
    uint64_t kt = pml_u64(c), ut = pml_u64(c);
    uint64_t ws = pml_u64(c), pws = pml_u64(c), pb = pml_u64(c), ppb = pml_u64(c);
    ps_buf *b = &d->detail;

    if (c->bad)
        return;
    key(b, "Exit Status");
    pml_put_i64(b, status);
    key(b, "User Time");
    pml_put_seconds(b, (int64_t)ut);
    pml_puts(b, " seconds");
    key(b, "Kernel Time");
    pml_put_seconds(b, (int64_t)kt);
    pml_puts(b, " seconds");
    kv_grouped(b, "Private Bytes", pb);
    kv_grouped(b, "Peak Private Bytes", ppb);
    kv_grouped(b, "Working Set", ws);
    kv_grouped(b, "Peak Working Set", pws);
    ev->exit_status = status;
    ev->has_exit_status = true;
}

static void decode_process(pml_decoder *d, unsigned op, uint32_t tid, pml_cur *c, ps_event *ev)
{
    ps_buf *b = &d->detail;

    switch (op) {
    case 0: /* Process Defined */
    case 1: /* Process Create */
        process_create(d, c, ev);
        break;
    case 2: /* Process Exit */
    case 8: /* Process Statistics */
        process_exit(d, c, ev);
        break;
    case 3: { /* Thread Create */
        uint32_t t = pml_u32(c);
        if (c->bad)
            break;
        kv_u64(b, "Thread ID", t);
        ev->new_tid = t;
        ev->has_new_tid = true;
        break;
    }
    case 4: { /* Thread Exit */
        uint64_t kt, ut;
        pml_skip(c, 4);
        kt = pml_u64(c);
        ut = pml_u64(c);
        if (c->bad)
            break;
        kv_u64(b, "Thread ID", tid);
        key(b, "User Time");
        pml_put_seconds(b, (int64_t)ut);
        key(b, "Kernel Time");
        pml_put_seconds(b, (int64_t)kt);
        ev->new_tid = tid;
        ev->has_new_tid = true;
        break;
    }
    case 5: { /* Load Image */
        uint64_t base = pml_ptr(c, d->ptr_size);
        uint32_t size = pml_u32(c);
        uint16_t pinfo = pml_u16(c);
        pml_skip(c, 2);
        read_dstr(c, pinfo, &d->path);
        if (c->bad)
            break;
        kv_hex(b, "Image Base", base);
        kv_hex(b, "Image Size", size);
        ev->image_base = base;
        ev->image_size = size;
        break;
    }
    case 6: /* Thread Profile */
    case 7: /* Process Start */
        if (op == 7)
            process_start(d, c, ev);
        break;
    default:
        break;
    }
    if (c->bad)
        d->undecoded = true;
}

/* ---- registry ------------------------------------------------------------------------------- */

enum {
    R_OPEN, R_CREATE, R_CLOSE, R_QUERYKEY, R_SETVALUE, R_QUERYVALUE, R_ENUMVALUE, R_ENUMKEY,
    R_SETINFO, R_DELETEKEY, R_DELETEVALUE, R_FLUSH, R_LOAD, R_UNLOAD, R_RENAME, R_QUERYMULTI,
    R_SETSEC, R_QUERYSEC
};

/* The Data of a value, as Procmon prints it (the blob may hold only the
 * start of the data). */
static void reg_data(pml_decoder *d, uint32_t type, const uint8_t *p, size_t n, size_t length)
{
    ps_buf *b = &d->regdata;
    size_t i;

    reset(b);
    if (n > length)
        n = length;
    switch (type) {
    case 1: /* REG_SZ */
    case 2: /* REG_EXPAND_SZ */
    case 6: { /* REG_LINK */
        /* CR LF becomes "\n;" as in every multi-line Procmon field */
        size_t units = n / 2, start = 0;
        for (i = 0; i < units; i++) {
            uint16_t u = (uint16_t)(p[2 * i] | (p[2 * i + 1] << 8));
            if (u == 0)
                break;
            if (u == '\r' && i + 1 < units && p[2 * i + 2] == '\n' && p[2 * i + 3] == 0) {
                pml_put_utf16(b, p + 2 * start, i - start, false);
                pml_put(b, "\n;", 2);
                start = i + 2;
                i++;
            }
        }
        pml_put_utf16(b, p + 2 * start, i > start ? i - start : 0, false);
        break;
    }
    case 7: { /* REG_MULTI_SZ: ", " between the strings */
        size_t units = n / 2, start = 0;
        bool first = true;
        for (i = 0; i < units; i++) {
            uint16_t u = (uint16_t)(p[2 * i] | (p[2 * i + 1] << 8));
            if (u == 0) {
                if (i == start)
                    break;
                if (!first)
                    pml_put(b, ", ", 2);
                pml_put_utf16(b, p + 2 * start, i - start, false);
                first = false;
                start = i + 1;
            }
        }
        if (i == units && start < units) {
            if (!first)
                pml_put(b, ", ", 2);
            pml_put_utf16(b, p + 2 * start, units - start, false);
        }
        break;
    }
    case 4: /* REG_DWORD */
        if (n >= 4)
            pml_put_u64(b, pml_rd32(p));
        break;
    case 5: /* REG_DWORD_BIG_ENDIAN */
        if (n >= 4)
            pml_put_u64(b, ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3]);
        break;
    case 11: /* REG_QWORD: Procmon's export leaves it empty */
        break;
    default: { /* binary: the first 16 bytes in hex */
        static const char hx[] = "0123456789ABCDEF";
        if (n > 16)
            n = 16;
        for (i = 0; i < n; i++) {
            char t[3] = {hx[p[i] >> 4], hx[p[i] & 15], ' '};
            pml_put(b, t, i + 1 < n ? 3 : 2);
        }
        break;
    }
    }
}

/* ", Type: T, Length: L[, Data: D]" and the decoded fields */
static void reg_type_length_data(pml_decoder *d, ps_event *ev, uint32_t type, size_t length,
                                 const uint8_t *data, size_t avail)
{
    ps_buf *b = &d->detail;
    const char *tn = pml_reg_type(type);

    key(b, "Type");
    if (tn) {
        pml_puts(b, tn);
    } else {
        pml_puts(b, "<Unknown: ");
        pml_put_u64(b, type);
        pml_puts(b, ">");
    }
    kv_grouped(b, "Length", length);
    if (length > 0 && tn) {
        reg_data(d, type, data, avail, length);
        key(b, "Data");
        pml_put(b, d->regdata.data ? d->regdata.data : "", d->regdata.len);
        ev->reg_data = d->regdata.data ? d->regdata.data : "";
    }
    d->reg_type = tn ? tn : "";
    ev->reg_type = d->reg_type;
}

static void reg_value_info(pml_decoder *d, ps_event *ev, unsigned op, uint32_t info_class, const uint8_t *x,
                           size_t xlen)
{
    pml_cur c;
    uint32_t type, length = 0;
    const uint8_t *data = NULL;
    size_t avail = 0;

    pml_cur_init(&c, x, xlen);
    pml_skip(&c, 4);   /* TitleIndex */
    type = pml_u32(&c);
    if (info_class == 1 || info_class == 3) {   /* KeyValueFullInformation[Align64] */
        uint32_t off = pml_u32(&c), nlen;
        length = pml_u32(&c);
        nlen = pml_u32(&c);
        if (c.bad)
            goto bad;
        if (op != R_QUERYVALUE) {
            key(&d->detail, "Name");
            put_wide(&d->detail, &c, nlen);
        }
        if (off <= xlen) {
            data = x + off;
            avail = xlen - off;
        }
    } else if (info_class == 2 || info_class == 4) {   /* KeyValuePartialInformation */
        length = pml_u32(&c);
        if (c.bad)
            goto bad;
        data = c.p;
        avail = pml_left(&c);
    } else if (info_class == 0) {   /* KeyValueBasicInformation: name only */
        uint32_t nlen = pml_u32(&c);
        const char *tn = pml_reg_type(type);
        if (c.bad)
            goto bad;
        if (op != R_QUERYVALUE) {
            key(&d->detail, "Name");
            put_wide(&d->detail, &c, nlen);
        }
        kv_str(&d->detail, "Type", tn ? tn : "");
        return;
    } else {
        kv_str(&d->detail, "Type", pml_reg_type(type) ? pml_reg_type(type) : "");
        return;
    }
    reg_type_length_data(d, ev, type, length, data ? data : x, data ? avail : 0);
    return;
bad:
    d->undecoded = true;
}

static void reg_key_info(pml_decoder *d, uint32_t info_class, const uint8_t *x, size_t xlen, bool is_query)
{
    pml_cur c;
    ps_buf *b = &d->detail;
    uint32_t v[10];
    int i;

    pml_cur_init(&c, x, xlen);
    switch (info_class) {
    case 3: { /* Name */
        uint32_t n = pml_u32(&c);
        if (is_query)
            return;   /* the name is the path */
        key(b, "Name");
        put_wide(b, &c, n);
        break;
    }
    case 7: /* HandleTags */
        kv_hex(b, "HandleTags", pml_u32(&c));
        break;
    case 5: /* Flags */
        kv_hex(b, "UserFlags", pml_u32(&c));
        break;
    case 4: /* Cached: LastWriteTime, TitleIndex, SubKeys, MaxNameLen, Values, ... */
        pml_skip(&c, 8);
        for (i = 0; i < 6; i++)
            v[i] = pml_u32(&c);
        if (c.bad)
            break;
        kv_grouped(b, "SubKeys", v[1]);
        kv_grouped(b, "Values", v[3]);
        break;
    case 0: { /* Basic: LastWriteTime, TitleIndex, NameLength, Name */
        uint32_t n;
        pml_skip(&c, 12);
        n = pml_u32(&c);
        key(b, "Name");
        put_wide(b, &c, n);
        break;
    }
    case 2: /* Full: LastWriteTime, TitleIndex, ClassOffset, ClassLength, SubKeys, MaxNameLen,
               MaxClassLen, Values, ... */
        pml_skip(&c, 8);
        for (i = 0; i < 8; i++)
            v[i] = pml_u32(&c);
        if (c.bad)
            break;
        kv_grouped(b, "SubKeys", v[3]);
        kv_grouped(b, "Values", v[6]);
        break;
    case 1: { /* Node: LastWriteTime, TitleIndex, ClassOffset, ClassLength, NameLength, Name */
        uint32_t n;
        pml_skip(&c, 20);
        n = pml_u32(&c);
        key(b, "Name");
        put_wide(b, &c, n);
        break;
    }
    default:
        break;
    }
    if (c.bad)
        d->undecoded = true;
}

static void decode_registry(pml_decoder *d, unsigned op, pml_cur *c, const uint8_t *x, size_t xlen,
                            bool has_extra, ps_event *ev)
{
    ps_buf *b = &d->detail;
    uint16_t pinfo = pml_u16(c), ninfo = 0;
    uint32_t access = 0, length = 0, info_class = 0, index = 0, type = 0, dlen = 0, setclass = 0;

    switch (op) {
    case R_LOAD:
    case R_RENAME:
        ninfo = pml_u16(c);
        break;
    case R_OPEN:
    case R_CREATE:
        pml_skip(c, 2);
        access = pml_u32(c);
        break;
    case R_QUERYKEY:
    case R_QUERYVALUE:
        pml_skip(c, 2);
        length = pml_u32(c);
        info_class = pml_u32(c);
        break;
    case R_ENUMVALUE:
    case R_ENUMKEY:
        pml_skip(c, 2);
        length = pml_u32(c);
        index = pml_u32(c);
        info_class = pml_u32(c);
        break;
    case R_SETINFO:
        pml_skip(c, 2);
        setclass = pml_u32(c);
        pml_skip(c, 4);
        length = pml_u16(c);
        pml_skip(c, 2);
        break;
    case R_SETVALUE:
        pml_skip(c, 2);
        type = pml_u32(c);
        length = pml_u32(c);
        dlen = pml_u32(c);
        break;
    default:
        break;
    }
    read_dstr(c, pinfo, &d->path);
    if (c->bad) {
        d->undecoded = true;
        return;
    }

    switch (op) {
    case R_OPEN:
    case R_CREATE:
        d->category = "Read";
        if (!access)
            break;
        key(b, "Desired Access");
        {
            size_t at = b->len;
            pml_put_reg_access(b, access);
            if (!has_extra)
                break;
            {
                pml_cur xc;
                uint32_t granted, disp;
                bool maxallowed = strcmp(b->data + at, "Maximum Allowed") == 0;
                pml_cur_init(&xc, x, xlen);
                granted = pml_u32(&xc);
                disp = pml_u32(&xc);
                if (xc.bad)
                    break;
                if (maxallowed) {
                    key(b, "Granted Access");
                    pml_put_reg_access(b, granted);
                }
                if (disp == 1 || disp == 2) {
                    kv_str(b, "Disposition", disp == 1 ? "REG_CREATED_NEW_KEY" : "REG_OPENED_EXISTING_KEY");
                    if (disp == 1)
                        d->category = "Write";
                }
            }
        }
        break;
    case R_QUERYKEY:
    case R_ENUMKEY:
        d->category = "Read";
        if (op == R_ENUMKEY) {
            kv_grouped(b, "Index", index);
        } else {
            const char *n = pml_key_info_class(info_class);
            kv_str(b, "Query", n ? n : "");
        }
        if (!has_extra) {
            kv_grouped(b, "Length", length);
            break;
        }
        reg_key_info(d, info_class, x, xlen, op == R_QUERYKEY);
        break;
    case R_QUERYVALUE:
    case R_ENUMVALUE:
        d->category = "Read";
        if (op == R_ENUMVALUE)
            kv_grouped(b, "Index", index);
        if (!has_extra) {
            kv_grouped(b, "Length", length);
            break;
        }
        reg_value_info(d, ev, op, info_class, x, xlen);
        break;
    case R_SETVALUE: {
        size_t avail = pml_left(c);
        d->category = "Write";
        if (avail > dlen)
            avail = dlen;
        reg_type_length_data(d, ev, type, length, c->p, avail);
        break;
    }
    case R_SETINFO: {
        const char *n = pml_key_set_info_class(setclass);
        d->category = "Write Metadata";
        key(b, "KeySetInformationClass");
        if (n) {
            pml_puts(b, n);
        } else {
            pml_puts(b, "<Unknown: ");
            pml_put_u64(b, setclass);
            pml_puts(b, ">");
        }
        kv_grouped(b, "Length", length);
        if (length > 0) {
            if (setclass == 0 && pml_left(c) >= 8)
                kv_datetime(b, "LastWriteTime", (int64_t)pml_rd64(c->p));
            else if (setclass == 1 && pml_left(c) >= 4)
                kv_hex(b, "Wow64Flags", pml_rd32(c->p));
            else if (setclass == 5 && pml_left(c) >= 4)
                kv_hex(b, "HandleTags", pml_rd32(c->p));
        }
        break;
    }
    case R_DELETEKEY:
    case R_DELETEVALUE:
        d->category = "Write";
        break;
    case R_LOAD:
    case R_RENAME:
        d->tmp.len = 0;
        read_dstr(c, ninfo, &d->tmp);
        if (op == R_RENAME)
            d->category = "Write";
        kv_str(b, op == R_LOAD ? "Hive Path" : "New Name", d->tmp.data ? d->tmp.data : "");
        break;
    case R_QUERYMULTI:
        d->category = "Read";
        break;
    case R_SETSEC:
        d->category = "Write Metadata";
        break;
    case R_QUERYSEC:
        d->category = "Read Metadata";
        break;
    default:
        break;
    }
}

/* ---- file system ----------------------------------------------------------------------------- */

enum {
    F_CREATEFILEMAPPING = 19, F_CREATEFILE = 20, F_READ = 23, F_WRITE = 24, F_QUERYINFO = 25,
    F_SETINFO = 26, F_QUERYEA = 27, F_SETEA = 28, F_QUERYVOLUME = 30, F_SETVOLUME = 31,
    F_DIRCONTROL = 32, F_FSCONTROL = 33, F_DEVICEIO = 34, F_INTERNALDEVICEIO = 35, F_LOCK = 37,
    F_QUERYSECURITY = 40, F_SETSECURITY = 41
};

/* Parameters block: skip `n` bytes and, on 64-bit logs, the padding after a
 * 32-bit field that precedes a pointer-aligned one. */
static void pskip(pml_cur *p, size_t n)
{
    pml_skip(p, n);
}

/* the operation's FLT_PARAMETERS start this far into the block */
#define PARAMS_UNION 12

static void pad64(const pml_decoder *d, pml_cur *p)
{
    if (d->ptr_size == 8)
        pml_skip(p, 4);
}

static void file_basic(ps_buf *b, pml_cur *x)
{
    int64_t ct = (int64_t)pml_u64(x), at = (int64_t)pml_u64(x), wt = (int64_t)pml_u64(x),
            ch = (int64_t)pml_u64(x);
    uint32_t attr = pml_u32(x);
    if (x->bad)
        return;
    kv_datetime(b, "CreationTime", ct);
    kv_datetime(b, "LastAccessTime", at);
    kv_datetime(b, "LastWriteTime", wt);
    kv_datetime(b, "ChangeTime", ch);
    key(b, "FileAttributes");
    pml_put_file_attributes(b, attr);
}

static void file_standard(ps_buf *b, pml_cur *x)
{
    uint64_t alloc = pml_u64(x), eof = pml_u64(x);
    uint32_t links = pml_u32(x);
    uint8_t del = pml_u8(x), dir = pml_u8(x);
    if (x->bad)
        return;
    kv_grouped(b, "AllocationSize", alloc);
    kv_grouped(b, "EndOfFile", eof);
    kv_u64(b, "NumberOfLinks", links);
    kv_bool(b, "DeletePending", del);
    kv_bool(b, "Directory", dir);
}

static void query_info(pml_decoder *d, unsigned sub, const uint8_t *xp, size_t xlen, bool has_extra)
{
    ps_buf *b = &d->detail;
    pml_cur x;

    d->category = "Read Metadata";
    if (!has_extra)
        return;
    pml_cur_init(&x, xp, xlen);
    switch (sub) {
    case 0x04: /* FileBasicInformation */
        file_basic(b, &x);
        break;
    case 0x05: /* FileStandardInformation */
        file_standard(b, &x);
        break;
    case 0x06: /* FileInternalInformation */
        kv_hex(b, "IndexNumber", pml_u64(&x));
        break;
    case 0x07: /* FileEaInformation */
        kv_u64(b, "EaSize", pml_u32(&x));
        break;
    case 0x09: { /* FileNameInformation */
        uint32_t n = pml_u32(&x);
        if (x.bad)
            break;
        key(b, "Name");
        put_wide(b, &x, n);
        break;
    }
    case 0x0e: /* FilePositionInformation */
        kv_grouped(b, "CurrentByteOffset", pml_u64(&x));
        break;
    case 0x12: { /* FileAllInformation */
        uint64_t index;
        uint32_t ea, access, mode, align, n;
        uint64_t pos;
        file_basic(b, &x);
        pml_skip(&x, 4);   /* padding after FileAttributes */
        file_standard(b, &x);
        pml_skip(&x, 2);   /* padding after Directory */
        index = pml_u64(&x);
        ea = pml_u32(&x);
        access = pml_u32(&x);
        pos = pml_u64(&x);
        mode = pml_u32(&x);
        align = pml_u32(&x);
        n = pml_u32(&x);
        if (x.bad)
            break;
        kv_hex(b, "IndexNumber", index);
        kv_u64(b, "EaSize", ea);
        key(b, "Access");
        pml_put_file_access(b, access);
        kv_grouped(b, "Position", pos);
        key(b, "Mode");
        pml_put_create_options(b, mode);
        key(b, "AlignmentRequirement");
        pml_put_alignment(b, align);
        (void)n;
        break;
    }
    case 0x22: { /* FileNetworkOpenInformation: Procmon prints the sizes as dates */
        int64_t ct = (int64_t)pml_u64(&x), at = (int64_t)pml_u64(&x), wt = (int64_t)pml_u64(&x),
                ch = (int64_t)pml_u64(&x), alloc = (int64_t)pml_u64(&x), eof = (int64_t)pml_u64(&x);
        uint32_t attr = pml_u32(&x);
        if (x.bad)
            break;
        kv_datetime(b, "CreationTime", ct);
        kv_datetime(b, "LastAccessTime", at);
        kv_datetime(b, "LastWriteTime", wt);
        kv_datetime(b, "ChangeTime", ch);
        kv_datetime(b, "AllocationSize", alloc);
        kv_datetime(b, "EndOfFile", eof);
        key(b, "FileAttributes");
        pml_put_file_attributes(b, attr);
        break;
    }
    case 0x23: { /* FileAttributeTagInformation */
        uint32_t attr = pml_u32(&x), tag = pml_u32(&x);
        if (x.bad)
            break;
        key(b, "Attributes");
        pml_put_file_attributes(b, attr);
        kv_hex(b, "ReparseTag", tag);
        break;
    }
    default:
        break;
    }
}

static void query_volume(pml_decoder *d, unsigned sub, const uint8_t *xp, size_t xlen, bool has_extra)
{
    ps_buf *b = &d->detail;
    pml_cur x;

    if (!has_extra)
        return;
    pml_cur_init(&x, xp, xlen);
    switch (sub) {
    case 1: { /* FileFsVolumeInformation */
        int64_t created = (int64_t)pml_u64(&x);
        uint32_t serial = pml_u32(&x), llen = pml_u32(&x);
        uint8_t objects = pml_u8(&x);
        char t[16];
        if (x.bad)
            break;
        pml_skip(&x, 1);
        kv_datetime(b, "VolumeCreationTime", created);
        snprintf(t, sizeof t, "%04X-%04X", serial >> 16, serial & 0xFFFF);
        kv_str(b, "VolumeSerialNumber", t);
        kv_bool(b, "SupportsObjects", objects);
        key(b, "VolumeLabel");
        put_wide(b, &x, llen);
        break;
    }
    case 3: { /* FileFsSizeInformation */
        uint64_t total = pml_u64(&x), avail = pml_u64(&x);
        uint32_t spu = pml_u32(&x), bps = pml_u32(&x);
        if (x.bad)
            break;
        kv_grouped(b, "TotalAllocationUnits", total);
        kv_grouped(b, "AvailableAllocationUnits", avail);
        kv_grouped(b, "SectorsPerAllocationUnit", spu);
        kv_grouped(b, "BytesPerSector", bps);
        break;
    }
    case 5: { /* FileFsAttributeInformation */
        uint32_t attr = pml_u32(&x), maxlen = pml_u32(&x), nlen = pml_u32(&x);
        if (x.bad)
            break;
        key(b, "FileSystemAttributes");
        pml_put_fs_attributes(b, attr);
        kv_u64(b, "MaximumComponentNameLength", maxlen);
        key(b, "FileSystemName");
        put_wide(b, &x, nlen);
        break;
    }
    case 7: { /* FileFsFullSizeInformation */
        uint64_t total = pml_u64(&x), caller = pml_u64(&x), actual = pml_u64(&x);
        uint32_t spu = pml_u32(&x), bps = pml_u32(&x);
        if (x.bad)
            break;
        kv_grouped(b, "TotalAllocationUnits", total);
        kv_grouped(b, "CallerAvailableAllocationUnits", caller);
        kv_grouped(b, "ActualAvailableAllocationUnits", actual);
        kv_grouped(b, "SectorsPerAllocationUnit", spu);
        kv_grouped(b, "BytesPerSector", bps);
        break;
    }
    case 8: { /* FileFsObjectIdInformation */
        static const char hx[] = "0123456789ABCDEF";
        char t[33];
        int i;
        if (!pml_need(&x, 16))
            break;
        for (i = 0; i < 16; i++) {
            t[2 * i] = hx[x.p[i] >> 4];
            t[2 * i + 1] = hx[x.p[i] & 15];
        }
        t[32] = '\0';
        kv_str(b, "ObjectId", t);
        break;
    }
    default:
        break;
    }
}

/* QueryDirectory: the names returned, "0: ." "1: .." ... */
static void dir_entries(pml_decoder *d, uint32_t cls, const uint8_t *xp, size_t xlen, int first)
{
    ps_buf *b = &d->detail;
    size_t off = 0;
    int i = first;

    for (;;) {
        pml_cur e;
        uint32_t next, nlen;
        size_t name_at;
        char num[16];

        if (off >= xlen)
            break;
        pml_cur_init(&e, xp + off, xlen - off);
        next = pml_u32(&e);
        pml_skip(&e, 4);   /* FileIndex */
        switch (cls) {
        case 12: /* FileNamesInformation */
            name_at = 12;
            break;
        case 1: /* FileDirectoryInformation */
            name_at = 64;
            break;
        case 2: /* FileFullDirectoryInformation */
            name_at = 68;
            break;
        case 38: /* FileIdFullDirectoryInformation */
            name_at = 80;
            break;
        case 3: /* FileBothDirectoryInformation */
            name_at = 94;
            break;
        case 37: /* FileIdBothDirectoryInformation */
            name_at = 104;
            break;
        default:
            return;
        }
        pml_cur_init(&e, xp + off, xlen - off);
        pml_skip(&e, cls == 12 ? 8 : 60);
        nlen = pml_u32(&e);
        if (e.bad || name_at + nlen > xlen - off)
            break;
        snprintf(num, sizeof num, "%d", i);
        key(b, num);
        pml_put_utf16(b, xp + off + name_at, nlen / 2, false);
        i++;
        if (!next)
            break;
        off += next;
    }
}

/* An account: the name Procmon showed for it when the log tells (well-known
 * accounts, or users learned from Process Create events), else S-1-5-... */
static void pml_put_sid(pml_decoder *d, ps_buf *b, const uint8_t *s, size_t len)
{
    static const struct {
        uint8_t sid[12];
        const char *name;
    } known[] = {
        {{1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0}, "NT AUTHORITY\\SYSTEM"},
        {{1, 1, 0, 0, 0, 0, 0, 5, 19, 0, 0, 0}, "NT AUTHORITY\\LOCAL SERVICE"},
        {{1, 1, 0, 0, 0, 0, 0, 5, 20, 0, 0, 0}, "NT AUTHORITY\\NETWORK SERVICE"},
    };
    size_t i;
    unsigned cnt, k;
    uint64_t auth = 0;

    if (len == 12)
        for (i = 0; i < PS_ARRAY_LEN(known); i++)
            if (memcmp(s, known[i].sid, 12) == 0) {
                pml_puts(b, known[i].name);
                return;
            }
    for (i = 0; i < d->nsids; i++)
        if (d->sids[i].len == len && memcmp(d->sids[i].sid, s, len) == 0) {
            pml_puts(b, d->sids[i].name);
            return;
        }
    if (len < 8)
        return;
    cnt = s[1];
    if (8 + 4 * (size_t)cnt != len)
        return;
    for (k = 2; k < 8; k++)
        auth = (auth << 8) | s[k];
    pml_puts(b, "S-");
    pml_put_u64(b, s[0]);
    pml_puts(b, "-");
    pml_put_u64(b, auth);
    for (k = 0; k < cnt; k++) {
        pml_puts(b, "-");
        pml_put_u64(b, pml_rd32(s + 8 + 4 * k));
    }
}

bool pml_known_sid(const pml_decoder *d, const uint8_t *sid, size_t len)
{
    size_t i;
    if (!len || len > sizeof d->sids[0].sid)
        return true;   /* nothing to learn */
    for (i = 0; i < d->nsids; i++)
        if (d->sids[i].len == len && memcmp(d->sids[i].sid, sid, len) == 0)
            return true;
    return d->nsids == PS_ARRAY_LEN(d->sids);
}

int pml_learn_sid(pml_decoder *d, const uint8_t *sid, size_t len, const char *name)
{
    size_t i;
    if (!len || len > sizeof d->sids[0].sid || !name || !*name)
        return 0;
    for (i = 0; i < d->nsids; i++)
        if (d->sids[i].len == len && memcmp(d->sids[i].sid, sid, len) == 0)
            return 0;
    if (d->nsids == PS_ARRAY_LEN(d->sids))
        return 0;
    memcpy(d->sids[d->nsids].sid, sid, len);
    d->sids[d->nsids].len = len;
    ps_strlcpy(d->sids[d->nsids].name, name, sizeof d->sids[d->nsids].name);
    d->nsids++;
    return 0;
}

static void create_file(pml_decoder *d, pml_cur *c, pml_cur *p, const uint8_t *xp, size_t xlen,
                        bool has_extra)
{
    ps_buf *b = &d->detail;
    uint32_t access, dispopt, disp, options, alloc;
    uint16_t attr, share;
    uint8_t sidlen;
    const char *dn;

    access = pml_u32(c);
    sidlen = pml_u8(c);
    pml_skip(c, 3);
    pskip(p, 0x10);
    pad64(d, p);
    dispopt = pml_u32(p);
    pad64(d, p);
    attr = pml_u16(p);
    share = pml_u16(p);
    pskip(p, 4 + 2 * (size_t)d->ptr_size);
    alloc = pml_u32(p);
    if (c->bad || p->bad) {
        d->undecoded = true;
        return;
    }
    disp = dispopt >> 24;
    options = dispopt & 0xFFFFFF;
    dn = pml_disposition(disp);
    key(b, "Desired Access");
    pml_put_file_access(b, access);
    kv_str(b, "Disposition", dn ? dn : "<unknown>");
    key(b, "Options");
    pml_put_create_options(b, options);
    key(b, "Attributes");
    pml_put_file_attributes(b, attr);
    key(b, "ShareMode");
    pml_put_share_mode(b, share);
    key(b, "AllocationSize");
    if (disp == 0 || disp == 2 || disp == 3 || disp == 5)
        pml_put_grouped(b, alloc);
    else
        pml_puts(b, "n/a");
    if (sidlen && pml_need(c, sidlen)) {
        key(b, "Impersonating");
        pml_put_sid(d, b, c->p, sidlen);
    }
    d->category = "";
    if (has_extra && xlen >= 4) {
        uint32_t r = pml_rd32(xp);
        const char *rn = pml_open_result(r);
        kv_str(b, "OpenResult", rn ? rn : "<unknown>");
        if (r == 0 || r == 2 || r == 3)
            d->category = "Write";
        else if (r == 1 || r == 4 || r == 5)
            d->category = "";
        else if (disp != 1 && dn)
            d->category = "Write";
    } else if (disp != 1 && dn) {
        d->category = "Write";
    }
}

static void rw_file(pml_decoder *d, bool write, pml_cur *p, const uint8_t *xp, size_t xlen, bool has_extra)
{
    ps_buf *b = &d->detail;
    uint32_t flags, length, prio;
    int64_t offset;
    const char *pn;

    d->category = write ? "Write" : "Read";
    pskip(p, 4);
    flags = pml_u32(p);
    pskip(p, 4);
    length = pml_u32(p);
    pad64(d, p);
    pskip(p, 4);
    pad64(d, p);
    offset = (int64_t)pml_u64(p);
    if (p->bad) {
        d->undecoded = true;
        return;
    }
    if (has_extra && xlen >= 4)
        length = pml_rd32(xp);
    kv_sgrouped(b, "Offset", offset);
    kv_grouped(b, "Length", length);
    prio = (flags >> 17) & 7;
    flags &= 0xE000FF;
    if (flags) {
        key(b, "I/O Flags");
        pml_put_io_flags(b, flags);
    }
    if (prio) {
        pn = pml_priority(prio);
        key(b, "Priority");
        if (pn)
            pml_puts(b, pn);
        else
            pml_put_hex(b, prio, false);
    }
}

static bool in_list(uint32_t code, const uint32_t *l, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (l[i] == code)
            return true;
    return false;
}

static void control(pml_decoder *d, unsigned op, pml_cur *p)
{
    static const uint32_t read_codes[] = {0x94264, 0x900a8, 0x900e3};
    static const uint32_t write_codes[] = {0x98268, 0x90074, 0x900ac, 0x900df, 0x11c017, 0x11dfff};
    static const uint32_t write_meta[] = {0x9c040, 0x9008b, 0x90098, 0x900a0, 0x900a4, 0x900c4,
                                          0x900d7, 0x900e7, 0x900ef, 0x900f0, 0x900f8};
    static const uint32_t read_meta[] = {0x9003b, 0x9003c, 0x90058, 0x90060, 0x90064, 0x90068,
                                         0x9006f, 0x90073, 0x90078, 0x90087, 0x9008f, 0x9009c,
                                         0x900bb, 0x900bc, 0x900c0, 0x900eb, 0x900f4};
    ps_buf *b = &d->detail;
    uint32_t wlen, rlen, code;

    pskip(p, 8);
    wlen = pml_u32(p);
    rlen = pml_u32(p);
    pad64(d, p);
    pskip(p, 4);
    pad64(d, p);
    code = pml_u32(p);
    if (p->bad) {
        d->undecoded = true;
        return;
    }
    key(b, "Control");
    pml_put_ioctl(b, code);
    if (in_list(code, read_codes, PS_ARRAY_LEN(read_codes)))
        d->category = "Read";
    else if (in_list(code, write_codes, PS_ARRAY_LEN(write_codes)))
        d->category = "Write";
    else if (in_list(code, write_meta, PS_ARRAY_LEN(write_meta)))
        d->category = "Write Metadata";
    else if (in_list(code, read_meta, PS_ARRAY_LEN(read_meta)))
        d->category = "Read Metadata";
    if (op == F_FSCONTROL) {
        if (code == 0x119ff8) {
            kv_grouped(b, "Length", wlen);
        } else if (code == 0x116000) {
            kv_grouped(b, "Length", rlen);
        } else if (code == 0x11c017 || code == 0x11dfff) {
            kv_grouped(b, "WriteLength", wlen);
            kv_grouped(b, "ReadLength", rlen);
        }
    }
}

static void decode_file(pml_decoder *d, unsigned op, pml_cur *c, const uint8_t *x, size_t xlen,
                        bool has_extra, ps_event *ev)
{
    ps_buf *b = &d->detail;
    pml_cur p;
    unsigned sub;
    size_t plen = (size_t)d->ptr_size * 5 + 0x14;
    uint16_t pinfo;
    const char *name = pml_file_op(op);
    bool has_sub = false;

    (void)ev;
    sub = pml_u8(c);
    d->sub = sub;
    pml_skip(c, 3);
    if (!pml_need(c, plen)) {
        d->undecoded = true;
        return;
    }
    pml_cur_init(&p, c->p, plen);
    c->p += plen;
    pinfo = pml_u16(c);
    pml_skip(c, 2);
    read_dstr(c, pinfo, &d->path);
    if (c->bad) {
        d->undecoded = true;
        return;
    }
    if (sub) {
        const char *sn = pml_file_subop(op, sub, &has_sub);
        if (d->version == 7 && op == F_SETINFO && sub == 0x13)
            sn = "SetAllInformationFile";   /* Procmon 2's name for it */
        if (has_sub) {
            d->opname = sn ? sn : "<Unknown>";
            if (!sn)
                d->undecoded = true;
        }
    }
    (void)name;

    switch (op) {
    case F_CREATEFILE:
        create_file(d, c, &p, x, xlen, has_extra);
        break;
    case F_CREATEFILEMAPPING: {
        int32_t sync;
        uint32_t prot;
        /* SyncType starts the parameters; Procmon prints the low bits of the
         * field after PageProtection (the output pointer) as the protection,
         * and so do we: its CSV export is the reference */
        pskip(&p, PARAMS_UNION);
        sync = (int32_t)pml_u32(&p);
        pskip(&p, 4);
        prot = pml_u32(&p);
        if (p.bad) {
            d->undecoded = true;
            break;
        }
        key(b, "SyncType");
        if (sync == 0) {
            pml_puts(b, "SyncTypeOther");
        } else if (sync == 1) {
            pml_puts(b, "SyncTypeCreateSection");
        } else {
            pml_puts(b, "Unknown: ");
            pml_put_hex(b, (uint32_t)sync, false);
        }
        {
            const char *pp = NULL;
            if (prot & 0x02)
                pp = "PAGE_READONLY";
            else if (prot & 0x04)
                pp = "PAGE_READWRITE";
            else if (prot & 0x08)
                pp = "PAGE_WRITECOPY";
            else if (prot & 0x10)
                pp = "PAGE_EXECUTE";
            else if (prot & 0x20)
                pp = "PAGE_EXECUTE_READ";
            else if (prot & 0x40)
                pp = "PAGE_EXECUTE_READWRITE";
            if (pp) {
                kv_str(b, "PageProtection", pp);
                if (prot & 0x200)
                    pml_puts(b, "|PAGE_NOCACHE");
            }
        }
        break;
    }
    case F_READ:
    case F_WRITE:
        rw_file(d, op == F_WRITE, &p, x, xlen, has_extra);
        break;
    case F_FSCONTROL:
    case F_DEVICEIO:
    case F_INTERNALDEVICEIO:
        control(d, op, &p);
        break;
    case F_QUERYINFO:
        query_info(d, sub, x, xlen, has_extra);
        break;
    case F_SETINFO:
        d->category = "Write Metadata";
        switch (sub) {
        case 0x0d: { /* FileDispositionInformation */
            uint8_t del = pml_u8(c);
            if (c->bad)
                break;
            kv_bool(b, "Delete", del);
            if (del)
                d->category = "Write";
            break;
        }
        case 0x13: /* FileAllocationInformation */
            if (pml_left(c) >= 8)
                kv_grouped(b, "AllocationSize", pml_rd64(c->p));
            break;
        case 0x14: /* FileEndOfFileInformation */
            if (pml_left(c) >= 8)
                kv_grouped(b, "EndOfFile", pml_rd64(c->p));
            break;
        case 0x04: /* FileBasicInformation */
            if (pml_left(c) >= 36) {
                pml_cur t;
                pml_cur_init(&t, c->p, pml_left(c));
                file_basic(b, &t);
            }
            break;
        default:
            break;
        }
        break;
    case F_QUERYEA:
        d->category = "Read Metadata";
        break;
    case F_SETEA:
        d->category = "Write Metadata";
        break;
    case F_QUERYVOLUME:
        query_volume(d, sub, x, xlen, has_extra);
        break;
    case F_DIRCONTROL:
        d->category = "Read Metadata";
        if (sub == 1) { /* QueryDirectory */
            uint16_t finfo = pml_u16(c);
            uint32_t cls;
            const char *cn;
            reset(&d->tmp);
            read_dstr(c, finfo, &d->tmp);
            if (d->tmp.len) {
                if (d->path.len && d->path.data[d->path.len - 1] != '\\')
                    pml_put(&d->path, "\\", 1);
                pml_put(&d->path, d->tmp.data, d->tmp.len);
                kv_str(b, "Filter", d->tmp.data);
            }
            pskip(&p, 0x10);
            pad64(d, &p);
            pskip(&p, 4);
            pad64(d, &p);
            cls = pml_u32(&p);
            if (p.bad)
                break;
            if (!has_extra)
                break;   /* Procmon shows the class with the results only */
            dir_entries(d, cls, x, xlen, d->tmp.len ? 1 : 0);
            cn = pml_file_info_class(cls);
            if (cn)
                kv_str(b, "FileInformationClass", cn);
        } else if (sub == 2) { /* NotifyChangeDirectory */
            uint32_t filter;
            pskip(&p, 0x10);
            pad64(d, &p);
            filter = pml_u32(&p);
            if (p.bad)
                break;
            key(b, "Filter");
            pml_put_notify_filter(b, filter);
        }
        break;
    case F_LOCK: {
        /* Length (a pointer), Key, ByteOffset, ProcessId, FailImmediately,
         * ExclusiveLock; the length itself follows the path */
        uint64_t length = 0, offset;
        uint8_t fail, excl;
        pskip(&p, PARAMS_UNION + (size_t)d->ptr_size + 4);
        pad64(d, &p);
        offset = pml_u64(&p);
        pskip(&p, (size_t)d->ptr_size);
        fail = pml_u8(&p);
        excl = pml_u8(&p);
        if (p.bad)
            break;
        if (pml_left(c) >= 8)
            length = pml_rd64(c->p);
        if (sub == 1) {
            kv_bool(b, "Exclusive", excl);
            kv_grouped(b, "Offset", offset);
            kv_grouped(b, "Length", length);
            kv_bool(b, "Fail Immediately", fail);
        } else if (sub == 2) {
            kv_grouped(b, "Offset", offset);
            kv_grouped(b, "Length", length);
        }
        break;
    }
    case F_QUERYSECURITY:
    case F_SETSECURITY: {
        uint32_t info;
        d->category = op == F_QUERYSECURITY ? "Read Metadata" : "Write Metadata";
        pskip(&p, PARAMS_UNION);
        info = pml_u32(&p);
        if (p.bad)
            break;
        key(b, "Information");
        pml_put_security_info(b, info);
        break;
    }
    default:
        break;
    }
}

/* ---- network -------------------------------------------------------------------------------- */

static void put_ip(pml_decoder *d, ps_buf *b, const uint8_t *ip, bool v4)
{
    size_t i;
    char t[64];
    int n;

    for (i = 0; i < d->nhosts; i++) {
        if (memcmp(d->hosts[i].ip, ip, 16) == 0 && d->hosts[i].name && d->hosts[i].name[0]) {
            pml_puts(b, d->hosts[i].name);
            return;
        }
    }
    if (v4) {
        n = snprintf(t, sizeof t, "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
    } else {
        n = 0;
        for (i = 0; i < 8; i++)
            n += snprintf(t + n, sizeof t - (size_t)n, "%s%x", i ? ":" : "",
                          (unsigned)((ip[2 * i] << 8) | ip[2 * i + 1]));
    }
    pml_put(b, t, (size_t)n);
}

static void put_port(pml_decoder *d, ps_buf *b, uint16_t port, bool tcp)
{
    size_t i;
    for (i = 0; i < d->nports; i++) {
        if (d->ports[i].port == port && d->ports[i].tcp == tcp && d->ports[i].name && d->ports[i].name[0]) {
            pml_puts(b, d->ports[i].name);
            return;
        }
    }
    pml_put_u64(b, port);
}

static void decode_network(pml_decoder *d, unsigned op, pml_cur *c)
{
    ps_buf *b = &d->detail;
    uint16_t flags = pml_u16(c);
    uint32_t length;
    const uint8_t *src, *dst;
    uint16_t sport, dport;
    bool tcp = (flags & 4) != 0;
    const char *on = pml_network_op(op);

    pml_skip(c, 2);
    length = pml_u32(c);
    if (!pml_need(c, 36)) {
        d->undecoded = true;
        return;
    }
    src = c->p;
    dst = c->p + 16;
    c->p += 32;
    sport = pml_u16(c);
    dport = pml_u16(c);
    reset(&d->op);
    pml_puts(&d->op, tcp ? "TCP " : "UDP ");
    pml_puts(&d->op, on ? on : "Unknown");
    d->opname = d->op.data;
    put_ip(d, &d->path, src, flags & 1);
    pml_put(&d->path, ":", 1);
    put_port(d, &d->path, sport, tcp);
    pml_put(&d->path, " -> ", 4);
    put_ip(d, &d->path, dst, flags & 2);
    pml_put(&d->path, ":", 1);
    put_port(d, &d->path, dport, tcp);
    key(b, "Length");
    pml_put_u64(b, length);
    {
        /* NUL-separated UTF-16 strings: key, value, key, value, ... */
        const uint8_t *p = c->p;
        size_t n = pml_left(c) & ~(size_t)1, i = 0, start = 0;
        int k = 0;
        while (i + 1 < n) {
            if (p[i] == 0 && p[i + 1] == 0) {
                if (i == start)
                    break;
                if (k % 2 == 0) {
                    pml_put(b, ", ", 2);
                    pml_put_utf16(b, p + start, (i - start) / 2, false);
                    pml_put(b, ": ", 2);
                } else {
                    pml_put_utf16(b, p + start, (i - start) / 2, false);
                }
                k++;
                start = i + 2;
            }
            i += 2;
        }
    }
}

/* ---- entry ----------------------------------------------------------------------------------- */

int pml_decode(pml_decoder *d, unsigned cls, unsigned op, uint32_t tid, uint32_t result,
               const uint8_t *det, size_t dlen, const uint8_t *extra, size_t xlen, bool has_extra,
               ps_event *ev)
{
    pml_cur c;
    const char *name = NULL;

    (void)result;
    reset(&d->path);
    reset(&d->detail);
    reset(&d->cmdline);
    reset(&d->cwd);
    reset(&d->regdata);
    d->category = "";
    d->reg_type = NULL;
    d->undecoded = false;
    d->user_sid = NULL;
    d->user_sid_len = 0;
    d->sub = 0;
    pml_cur_init(&c, det, dlen);

    switch (cls) {
    case 1: name = pml_process_op(op); break;
    case 2: name = pml_registry_op(op); break;
    case 3: name = pml_file_op(op); break;
    case 4: name = pml_profiling_op(op); break;
    case 5: name = pml_network_op(op); break;
    default: break;
    }
    if (!name) {
        d->opname = "<Unknown>";
        d->undecoded = true;
        goto out;
    }
    d->opname = name;
    switch (cls) {
    case 1:
        decode_process(d, op, tid, &c, ev);
        break;
    case 2:
        decode_registry(d, op, &c, extra, xlen, has_extra, ev);
        break;
    case 3:
        decode_file(d, op, &c, extra, xlen, has_extra, ev);
        break;
    case 4:
        break;
    case 5:
        decode_network(d, op, &c);
        break;
    default:
        break;
    }
out:
    if (d->undecoded) {
        /* keep what identifies the event for a later, better decoder */
        key(&d->detail, "Undecoded");
        pml_puts(&d->detail, "class ");
        pml_put_u64(&d->detail, cls);
        pml_puts(&d->detail, ", operation ");
        pml_put_u64(&d->detail, op);
        if (cls == 3) {
            pml_puts(&d->detail, ", sub-operation ");
            pml_put_u64(&d->detail, d->sub);
        }
        pml_puts(&d->detail, ", ");
        pml_put_u64(&d->detail, dlen);
        pml_puts(&d->detail, " detail bytes");
        if (has_extra) {
            pml_puts(&d->detail, ", ");
            pml_put_u64(&d->detail, xlen);
            pml_puts(&d->detail, " extra bytes");
        }
    }
    if (!d->path.data || !d->detail.data || !d->opname) {
        /* make every output a valid empty string */
        if (pml_put(&d->path, "", 0) < 0 || pml_put(&d->detail, "", 0) < 0)
            return PS_ERR_NOMEM;
        if (!d->opname)
            d->opname = "";
    }
    return 0;
}
