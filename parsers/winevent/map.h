/*
 * map.h - a decoded Windows event (parsers/winevent/evx.h) as a procstage
 * event (model/event.h), whatever file it came from (EVTX, event-log XML).
 *
 * Every event keeps all its values in ps_event.fields: the System values
 * under the names Sigma rules use (EventID, Provider_Name, Channel,
 * Computer, Level, Task, Opcode, Keywords, Version, EventRecordID,
 * TimeCreated, ExecutionProcessID, ExecutionThreadID, UserID, ActivityID)
 * followed by the payload values as written (<Data Name="Image"> gives
 * "Image").  The timestamp is TimeCreated (UTC).  On top of that, the events
 * procstage reasons about are decoded into the structured ps_event fields:
 *
 *   Microsoft-Windows-Sysmon
 *     1   Process Start under the new process (ProcessId): parent_pid
 *         ParentProcessId, path Image, command_line, current_dir, and the
 *         process attributes (image, user, integrity, company, version,
 *         description, session)
 *     5   Process Exit          7  Load Image (path ImageLoaded)
 *     8   CreateRemoteThread by SourceProcessId (path TargetImage)
 *     10  process access by SourceProcessId (path TargetImage)
 *     12  RegCreateKey / RegDeleteKey / RegDeleteValue by EventType
 *     13  RegSetValue (reg_data Details)   14  key rename
 *     25  process tampering (path Image, detail Type)
 *     the others by class (file, network, other), subject ProcessId
 *   Microsoft-Windows-Security-Auditing
 *     4688 Process Start under NewProcessId, parent_pid ProcessId (both
 *          written in hex), path NewProcessName, command_line CommandLine
 *     4689 Process Exit of ProcessId, exit status Status
 *     4657 RegSetValue (RegDeleteValue for OperationType %%1906) of
 *          ObjectName\ObjectValueName, normalised to HKLM\..., HKU\...
 *   Microsoft-Windows-ProcessExitMonitor
 *     3000, 3001 silent process exit monitoring fired: path param1 (the
 *          exiting process), class Process
 *   everything else: class Other, operation "<provider> <event id>", the
 *   logging process (Execution ProcessID/ThreadID) as its process.
 *
 * The subject process of Sysmon and Security events is the one the event is
 * about (from the payload), not Execution ProcessID (Sysmon's own service,
 * or lsass/System); such events carry no thread id of their subject
 * (has_tid false).
 *
 * Ownership: ps_winevent_new returns a mapper owned by the caller.  The
 * ps_event it fills points into the mapper and into the ps_evx; both must
 * stay untouched until the event has been consumed.
 */
#ifndef PS_WINEVENT_MAP_H
#define PS_WINEVENT_MAP_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "model/event.h"
#include "parsers/winevent/evx.h"

#define PS_PROVIDER_SYSMON "Microsoft-Windows-Sysmon"
#define PS_PROVIDER_SECURITY "Microsoft-Windows-Security-Auditing"
#define PS_PROVIDER_EXITMON "Microsoft-Windows-ProcessExitMonitor"

typedef struct ps_winevent ps_winevent;

int ps_winevent_new(ps_winevent **out, ps_error *err);
void ps_winevent_free(ps_winevent *m);

/* Fills *ev from x (ev is initialised here).  seq is the event's ordinal. */
int ps_winevent_map(ps_winevent *m, const ps_evx *x, uint64_t seq, ps_event *ev, ps_error *err);

/* "\REGISTRY\MACHINE\SOFTWARE\X" -> "HKLM\SOFTWARE\X" (and USER -> HKU),
 * into buf; other paths are copied. */
void ps_winevent_reg_path(const char *in, char *buf, size_t cap);

#endif
