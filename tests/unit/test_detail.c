/* parsers/procmon/procmon.c: the Detail column, with strings from real exports */
#include "common/arena.h"
#include "parsers/procmon/procmon.h"
#include "tap.h"

static ps_event ev;
static ps_arena arena;

static bool parse(ps_op op, const char *detail)
{
    ps_event_init(&ev);
    ps_arena_reset(&arena);
    ev.op = op;
    ev.detail = detail;
    return ps_pm_parse_detail(&ev, &arena);
}

int main(void)
{
    ps_arena_init(&arena, 4096);

    ok(parse(PS_OP_PROCESS_CREATE, "PID: 11464, Command line: gcc  @includes.txt main.c"), "Process Create");
    ok(ev.has_child_pid && ev.child_pid == 11464, "child PID");
    is_str(ev.command_line, "gcc  @includes.txt main.c", "command line kept verbatim");
    parse(PS_OP_PROCESS_CREATE, "PID: 3232, Command line: \"C:\\Windows\\system32\\NOTEPAD.EXE\" a, b, c.txt");
    is_str(ev.command_line, "\"C:\\Windows\\system32\\NOTEPAD.EXE\" a, b, c.txt", "commas in command lines");
    parse(PS_OP_PROCESS_CREATE, "PID: 2\xc2\xa0" "520, Command line: x");
    is_int(ev.child_pid, 2520, "PID with a group separator");

    ok(parse(PS_OP_PROCESS_START,
             "Parent PID: 860, Command line: gcc  @includes.txt main.c, Current directory: "
             "D:\\CreateProcess-gcc-issue\\, Environment: ;\t=::=::\\;\tPATH=C:\\x, Current directory: y"),
       "Process Start");
    ok(ev.has_parent_pid && ev.parent_pid == 860, "parent PID");
    is_str(ev.command_line, "gcc  @includes.txt main.c", "command line before the current directory");
    is_str(ev.current_dir, "D:\\CreateProcess-gcc-issue\\", "current directory before the environment");
    parse(PS_OP_PROCESS_START, "Parent PID: 7, Command line: a, Current directory: b, Current directory: C:\\d\\, "
                               "Environment: \n\tX=1");
    is_str(ev.command_line, "a, Current directory: b", "the last ', Current directory:' before the environment wins");
    is_str(ev.current_dir, "C:\\d\\", "its directory");
    ok(parse(PS_OP_PROCESS_START, "Parent PID: 1432"), "Windows XP Process Start has only the parent");
    ok(ev.parent_pid == 1432 && ev.command_line == NULL, "no command line then");

    ok(parse(PS_OP_THREAD_CREATE, "Thread ID: 18660") && ev.new_tid == 18660, "Thread Create");
    ok(parse(PS_OP_THREAD_EXIT, "Thread ID: 7872, User Time: 0.0000000, Kernel Time: 0.0000000") &&
           ev.new_tid == 7872,
       "Thread Exit");
    ok(parse(PS_OP_LOAD_IMAGE, "Image Base: 0x7ff6f8840000, Image Size: 0x50000") &&
           ev.image_base == 0x7ff6f8840000ULL && ev.image_size == 0x50000,
       "Load Image");
    ok(parse(PS_OP_PROCESS_EXIT, "Exit Status: -1073740756, User Time: 0.0000000 seconds") &&
           ev.exit_status == -1073740756LL,
       "negative exit status");
    ok(parse(PS_OP_REG_QUERY_VALUE, "Type: REG_SZ, Length: 58, Data: C:\\Windows\\System32\\cmd.exe, /x"),
       "RegQueryValue");
    is_str(ev.reg_type, "REG_SZ", "value type");
    is_str(ev.reg_data, "C:\\Windows\\System32\\cmd.exe, /x", "data is the rest, commas included");
    ok(parse(PS_OP_REG_QUERY_VALUE, "Length: 16") && ev.reg_type == NULL, "a failed query has no type");
    ok(parse(PS_OP_REG_SET_VALUE, "Type: REG_DWORD, Length: 4, Data: 512") && !strcmp(ev.reg_data, "512"),
       "RegSetValue DWORD");
    ok(!parse(PS_OP_PROCESS_CREATE, "garbage"), "an unreadable Process Create detail is reported");
    ok(parse(PS_OP_OTHER, "Desired Access: Read"), "other details are kept as text");
    ps_arena_release(&arena);
    return tap_done();
}
