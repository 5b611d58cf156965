/*
 * config.h - the parameters of the reconstruction rules, loaded from
 * rules/reconstruct.yml (built in) or a file given with --reconstruct.
 *
 * Ownership: ps_recon_config owns its string lists; release with
 * ps_recon_config_release.
 */
#ifndef PS_RECON_CONFIG_H
#define PS_RECON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct ps_strlist {
    char **items;
    size_t n;
} ps_strlist;

typedef struct ps_recon_config {
    int64_t b0_window;          /* ticks */
    uint64_t b0_max_gap_events; /* other events allowed between two B0/B1 candidates */
    int64_t b6_burst_gap;       /* ticks */
    ps_strlist creator_tail;
    ps_strlist subsystem_processes;
    ps_strlist loader_operations;
    ps_strlist loader_file_extensions;
    ps_strlist loader_file_paths;
    ps_strlist loader_registry_paths;
    bool loader_current_directory;   /* file events on the process's current directory */
    char *source;               /* "built-in" or the file name */
    /* Sysmon / Security logs (optional section eventlog; defaults below) */
    int64_t el_load_wait;       /* ticks: how long a Sysmon 1 waits for its first image load */
    int64_t el_burst_gap;       /* ticks: largest gap between image loads of the first burst */
    /* Procmon B6 without stacks (optional keys of section procmon) */
    int64_t pm_b6_map_window;      /* ticks: largest gap between Load Images of the loader's burst */
    int64_t pm_b6_evidence_window; /* ticks: how long after the burst entry-point evidence is accepted */
} ps_recon_config;

#define PS_EL_LOAD_WAIT_MS 10000
#define PS_EL_BURST_GAP_MS 100
#define PS_PM_B6_MAP_WINDOW_MS 50
#define PS_PM_B6_EVIDENCE_WINDOW_MS 1000

int ps_recon_config_load_default(ps_recon_config *c, ps_error *err);
int ps_recon_config_load_file(ps_recon_config *c, const char *path, ps_error *err);
int ps_recon_config_load_text(ps_recon_config *c, const char *text, size_t len, const char *name,
                              ps_error *err);
void ps_recon_config_release(ps_recon_config *c);

#endif
