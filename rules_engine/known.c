/*
 * known.c - what the built-in detectors know about Windows programs: the
 * names in the version resources of the system binaries and tools that
 * attackers rename or replace, the accessibility programs, LocalSystem,
 * and which folders a user may write (detectors.h).
 *
 * The OriginalFileName and FileDescription values are those of the
 * programs' own version resources (Sysmon 1 records them; so does the
 * Procmon process list, whose "Description" is FileDescription).
 */
#include "rules_engine/detectors.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define SH PS_KNOWN_SHELL
#define AX PS_KNOWN_ACCESSIBILITY

static const ps_known_image known[] = {
    /* command interpreters */
    {"cmd.exe", NULL, "Cmd.Exe", "Windows Command Processor", SH},
    {"powershell.exe", NULL, "PowerShell.EXE", "Windows PowerShell", SH},
    {"powershell_ise.exe", NULL, "powershell_ise.EXE", "Windows PowerShell ISE", SH},
    {"pwsh.exe", NULL, "pwsh.dll", NULL, SH},
    /* the accessibility programs of the logon screen */
    {"sethc.exe", NULL, "sethc.exe", "Accessibility shortcut keys", AX},
    {"utilman.exe", NULL, "utilman2.exe", "Utility Manager", AX},
    {"osk.exe", NULL, "osk.exe", "Accessibility On-Screen Keyboard", AX},
    {"magnify.exe", NULL, "ScreenMagnifier.exe", "Microsoft Screen Magnifier", AX},
    {"narrator.exe", NULL, "SR.exe", "Screen Reader", AX},
    {"displayswitch.exe", NULL, "DisplaySwitch.exe", "Display Switch", AX},
    {"atbroker.exe", NULL, "AtBroker.exe", "Transitions Accessible technologies between desktops", AX},
    /* system programs that run code for their caller */
    {"rundll32.exe", NULL, "RUNDLL32.EXE", "Windows host process (Rundll32)", 0},
    {"regsvr32.exe", NULL, "REGSVR32.EXE", "Microsoft(C) Register Server", 0},
    {"mshta.exe", NULL, "MSHTA.EXE", "Microsoft (R) HTML Application host", 0},
    {"wscript.exe", NULL, "wscript.exe", "Microsoft \xc2\xae Windows Based Script Host", 0},
    {"cscript.exe", NULL, "cscript.exe", "Microsoft \xc2\xae Console Based Script Host", 0},
    {"certutil.exe", NULL, "CertUtil.exe", NULL, 0},
    {"bitsadmin.exe", NULL, "bitsadmin.exe", "BITS administration utility", 0},
    {"wmic.exe", NULL, "wmic.exe", "WMI Commandline Utility", 0},
    {"msiexec.exe", NULL, "msiexec.exe", NULL, 0},
    {"msbuild.exe", NULL, "MSBuild.exe", NULL, 0},
    {"installutil.exe", NULL, "InstallUtil.exe", NULL, 0},
    {"regasm.exe", NULL, "RegAsm.exe", NULL, 0},
    {"regsvcs.exe", NULL, "RegSvcs.exe", NULL, 0},
    {"odbcconf.exe", NULL, "odbcconf.exe", NULL, 0},
    {"hh.exe", NULL, "HH.exe", NULL, 0},
    {"conhost.exe", NULL, "CONHOST.EXE", "Console Window Host", 0},
    /* system programs attackers use for discovery, persistence and removal */
    {"net.exe", "net1.exe", "net.exe", "Net Command", 0},
    {"net1.exe", "net.exe", "net1.exe", NULL, 0},
    {"netsh.exe", NULL, "netsh.exe", "Network Command Shell", 0},
    {"schtasks.exe", NULL, "schtasks.exe", "Task Scheduler Configuration Tool", 0},
    {"reg.exe", NULL, "reg.exe", "Registry Console Tool", 0},
    {"sc.exe", NULL, "sc.exe", "Service Control Manager Configuration Tool", 0},
    {"whoami.exe", NULL, "whoami.exe", NULL, 0},
    {"wevtutil.exe", NULL, "wevtutil.exe", "Eventing Command Line Utility", 0},
    {"vssadmin.exe", NULL, "VSSADMIN.EXE", NULL, 0},
    {"wbadmin.exe", NULL, "WBADMIN.EXE", NULL, 0},
    {"bcdedit.exe", NULL, "bcdedit.exe", NULL, 0},
    {"fsutil.exe", NULL, "fsutil.exe", NULL, 0},
    {"curl.exe", NULL, "curl.exe", NULL, 0},
    {"ftp.exe", NULL, "ftp.exe", "File Transfer Program", 0},
    {"calc.exe", NULL, "CALC.EXE", "Windows Calculator", 0},
    {"notepad.exe", NULL, "NOTEPAD.EXE", NULL, 0},
    {"explorer.exe", NULL, "EXPLORER.EXE", "Windows Explorer", 0},
    {"taskmgr.exe", NULL, "Taskmgr.exe", "Task Manager", 0},
    {"mstsc.exe", NULL, "mstsc.exe", "Remote Desktop Connection", 0},
    {"winword.exe", NULL, "WinWord.exe", "Microsoft Office Word", 0},
    {"excel.exe", NULL, "Excel.exe", "Microsoft Excel", 0},
    /* tools */
    {"psexec.exe", "psexec64.exe", "psexec.c", "Execute processes remotely", 0},
    {"psexesvc.exe", NULL, "psexesvc.exe", "PsExec Service", 0},
    {"procdump.exe", "procdump64.exe", "procdump", "Sysinternals process dump utility", 0},
    {"sdelete.exe", "sdelete64.exe", "sdelete.exe", "Secure file delete", 0},
    {"adfind.exe", NULL, "AdFind.exe", NULL, 0},
    {"7z.exe", NULL, "7z.exe", NULL, 0},
    {"7za.exe", NULL, "7za.exe", NULL, 0},
    {"winrar.exe", NULL, "WinRAR.exe", NULL, 0},
    {"rar.exe", NULL, "Rar.exe", NULL, 0},
    {"plink.exe", NULL, "Plink", NULL, 0},
    {"nircmd.exe", NULL, "NirCmd.exe", NULL, 0},
};

/* a file name's length without its extension */
static size_t stem_len(const char *s)
{
    const char *dot = strrchr(s, '.');
    return dot && dot != s ? (size_t)(dot - s) : strlen(s);
}

static bool same_stem(const char *a, const char *b)
{
    size_t n = stem_len(a);
    return n == stem_len(b) && ps_strneq_ci(a, b, n);
}

bool ps_known_value(const char *s)
{
    return s && *s && strcmp(s, "?") && strcmp(s, "-");
}

const ps_known_image *ps_known_by_original(const char *original)
{
    char buf[128];
    size_t n, i;

    if (!ps_known_value(original) || (n = strlen(original)) >= sizeof buf)
        return NULL;
    memcpy(buf, original, n + 1);
    if (n > 4 && ps_streq_ci(buf + n - 4, ".mui"))
        buf[n - 4] = '\0';
    for (i = 0; i < PS_ARRAY_LEN(known); i++)
        if (same_stem(buf, known[i].original))
            return &known[i];
    return NULL;
}

const ps_known_image *ps_known_by_description(const char *description)
{
    size_t i;

    if (!ps_known_value(description))
        return NULL;
    for (i = 0; i < PS_ARRAY_LEN(known); i++)
        if (known[i].description && ps_streq_ci(description, known[i].description))
            return &known[i];
    return NULL;
}

const ps_known_image *ps_known_by_name(const char *file_name)
{
    size_t i;

    if (!file_name)
        return NULL;
    for (i = 0; i < PS_ARRAY_LEN(known); i++)
        if (ps_streq_ci(file_name, known[i].name))
            return &known[i];
    return NULL;
}

bool ps_known_names(const ps_known_image *k, const char *path)
{
    const char *base = ps_path_basename(path);
    return same_stem(base, k->name) || (k->alt && same_stem(base, k->alt)) || same_stem(base, k->original);
}

bool ps_known_system_user(const char *user)
{
    return user && (ps_streq_ci(user, "S-1-5-18") || ps_ends_with_ci(user, "\\SYSTEM") || ps_streq_ci(user, "SYSTEM"));
}

/* Whether `p` starts with `prefix` followed by a backslash. */
static bool under(const char *p, const char *prefix)
{
    size_t n = strlen(prefix);
    return ps_strneq_ci(p, prefix, n) && p[n] == '\\';
}

bool ps_known_user_writable(const char *path)
{
    static const char *const roots[] = {"Windows", "Program Files", "Program Files (x86)"};
    const char *p = path;
    size_t i;

    if (!p || !*p)
        return false;
    if (under(p, "\\SystemRoot"))
        return false;
    if (!strncmp(p, "\\??\\", 4) || !strncmp(p, "\\\\?\\", 4))
        p += 4;
    if (ps_strneq_ci(p, "\\Device\\HarddiskVolume", 22)) {
        p += 22;
        while (*p >= '0' && *p <= '9')
            p++;
    } else if (((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) && p[1] == ':') {
        p += 2;
    } else {
        return true;            /* a share (\\host\...) or a relative path */
    }
    if (*p != '\\')
        return true;
    p++;
    for (i = 0; i < PS_ARRAY_LEN(roots); i++)
        if (under(p, roots[i]))
            return false;
    return true;
}

unsigned ps_known_sysmon_id(const ps_event *ev)
{
    const char *prov, *id;
    long v;
    char *end;

    if (!ev->nfields || !(prov = ps_event_field(ev, "Provider_Name")) ||
        strcmp(prov, "Microsoft-Windows-Sysmon") || !(id = ps_event_field(ev, "EventID")))
        return 0;
    v = strtol(id, &end, 10);
    return end != id && !*end && v > 0 && v < 256 ? (unsigned)v : 0;
}
