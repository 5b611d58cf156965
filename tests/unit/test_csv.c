/* parsers/csv.c: the RFC 4180 tokenizer */
#include "parsers/csv.h"
#include "tap.h"

static int run(const char *name, const char *text, size_t len, char out[][8][64], size_t *nrec, ps_csv *keep,
               ps_error *err)
{
    char path[512];
    ps_input *in = NULL;
    ps_csv c;
    int rc;
    size_t i;

    snprintf(path, sizeof path, "%s/%s", tap_tmpdir(), name);
    tap_write_file(path, text, len);
    ps_error_clear(err);
    if ((rc = ps_input_open(path, NULL, &in, err)) < 0)
        return rc;
    ps_csv_init(&c, in);
    *nrec = 0;
    while ((rc = ps_csv_next(&c, err)) == 1) {
        for (i = 0; i < c.nfields && i < 8; i++)
            snprintf(out[*nrec][i], 64, "%s", c.fields[i]);
        for (; i < 8; i++)
            out[*nrec][i][0] = '\x01';
        (*nrec)++;
    }
    if (keep)
        *keep = c;
    else
        ps_csv_release(&c);
    ps_input_close(in);
    return rc;
}

int main(void)
{
    static char out[16][8][64];
    size_t n;
    ps_error err;
    ps_csv keep;
    int rc;

    {
        const char t[] = "\xEF\xBB\xBF\"a\",\"b\"\r\n\"1\",\"x \"\"quoted\"\" y\"\r\n\"2\",\"multi\r\nline\"\r\n";
        rc = run("bom.csv", t, sizeof t - 1, out, &n, NULL, &err);
        ok(rc == 0 && n == 3, "three records");
        is_str(out[0][0], "a", "BOM skipped");
        is_str(out[1][1], "x \"quoted\" y", "doubled quotes");
        is_str(out[2][1], "multi\r\nline", "embedded CRLF kept inside quotes");
    }
    {
        const char t[] = "a,b,c\n1,,3\n4,5,\n\"last\",\"no newline\"";
        rc = run("plain.csv", t, sizeof t - 1, out, &n, NULL, &err);
        ok(rc == 0 && n == 4, "four records, last without a line end");
        is_str(out[1][1], "", "empty field");
        is_str(out[2][2], "", "trailing comma gives an empty last field");
        ok(out[2][3][0] == '\x01', "no extra field after a trailing comma");
        is_str(out[3][1], "no newline", "final record");
    }
    {
        const char t[] = "\"a\",\"b\"\n\"1\",\"cut off here";
        rc = run("trunc.csv", t, sizeof t - 1, out, &n, &keep, &err);
        ok(rc == 0 && n == 1 && keep.truncated, "unterminated quote at the end is reported as truncated");
        ps_csv_release(&keep);
    }
    {
        const char t[] = "\"a\",\"b\"\n\"1\",\"bad \xff byte\"\n";
        rc = run("utf8.csv", t, sizeof t - 1, out, &n, NULL, &err);
        ok(rc == PS_ERR_INPUT, "invalid UTF-8 is an input error");
        ok(strstr(err.msg, "line 2") && strstr(err.msg, "invalid UTF-8") && strstr(err.msg, "offset 17"),
           "message names line and offset: %s", err.msg);
    }
    {
        const char t[] = "\"a\",\"b\"\n\"1\",\"x\0y\"\n";
        rc = run("nul.csv", t, sizeof t - 1, out, &n, NULL, &err);
        ok(rc == PS_ERR_INPUT && strstr(err.msg, "NUL"), "NUL bytes are refused: %s", err.msg);
    }
    {
        /* a record spanning many refills */
        size_t big = 3u << 20, i;
        char *t = malloc(big + 32);
        memcpy(t, "\"h\"\n\"", 5);
        for (i = 5; i < big; i++)
            t[i] = (char)('a' + i % 26);
        memcpy(t + big, "\"\n", 2);
        rc = run("big.csv", t, big + 2, out, &n, NULL, &err);
        ok(rc == 0 && n == 2, "a 3 MiB field");
        free(t);
    }
    return tap_done();
}
