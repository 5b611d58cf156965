/*
 * binxml.h - the binary XML of EVTX records, decoded straight into a ps_evx
 * (parsers/winevent/evx.h) without producing XML text.
 *
 * Facts from the public format descriptions (libyal's "Windows XML Event Log
 * (EVTX)" document, MS-EVEN6 BinXml): a record's event is a fragment
 * (0x0f 01 01 00) holding an element or a template instance (0x0c).  A
 * template instance names a template definition by its offset in the chunk:
 * the first record of a chunk that uses a template carries the definition
 * inline, later ones only point at it.  The instance data is an array of
 * substitution values (type, size, bytes); the definition's substitution
 * tokens (0x0d normal, 0x0e optional) say where each value goes.  A value of
 * type 0x21 is binary XML itself (a fragment, a template instance or an
 * element).  Names (elements, attributes, entities) are stored once per
 * chunk and referenced by their chunk offset.
 *
 * Templates are compiled once per chunk (keyed by their offset) into a tree:
 * elements with their names resolved to UTF-8, attributes and content as
 * literal text (already in UTF-8), substitution references and child
 * elements.  A record then parses only its substitution array and walks the
 * compiled tree, formatting each value where it is used, and fills the
 * ps_evx exactly as ps_evx_parse fills it from a correct XML rendering of the
 * same record (the rules of evx.h: System values trimmed, EventData Data by
 * Name or Data1.., UserData leaves, ...):
 *
 *   - values as libevtx renders them: decimal integers, 0x%08x / 0x%016x for
 *     the hexadecimal types (by their size), upper-case {GUID}s, S-1-... SIDs,
 *     FILETIMEs as 2019-04-27T15:57:25.868863200Z, SYSTEMTIMEs as
 *     ...T13:04:05.678Z, upper-case hex binary, true/false, reals as
 *     1.500000e+000; an array substitution repeats its element once per item
 *     (one empty element for an empty array);
 *   - an element whose content holds an optional substitution of a NULL
 *     value is left out, so is an attribute;
 *   - what the XML layer does to text: characters XML cannot carry (control
 *     characters but tab, LF and CR; U+FFFE, U+FFFF; unpaired surrogates)
 *     become U+FFFD, CR LF and CR become LF in element text and a space in
 *     attribute values, where tab and LF become spaces too;
 *   - where libevtx 20181227 renders a value wrongly or fails on the record,
 *     the correct value instead (docs/reliability.md, "EVTX: the native
 *     reader and libevtx", lists every such case): negative signed integers,
 *     surrogate pairs, -Inf and denormal reals, a string cut at a NUL (the
 *     native reader ends the string there), character references, literal
 *     text before a substitution, several substitutions in one element or
 *     attribute, empty attribute values, CDATA, NULL values of normal
 *     substitutions (an empty text), array types libevtx does not know.
 *
 * A value that does not fit its type (a GUID of 8 bytes, a SID whose
 * sub-authorities run past its size, an integer of 3 bytes) is written as
 * its bytes in hexadecimal, like binary data: never dropped silently.
 *
 * Recovered records (found in chunk slack) may point at templates and names
 * that other records have overwritten since.  With `strict`, a decode also
 * checks what a live record needs not: the template identifier against the
 * definition's GUID, every name's hash, and every substitution value's type
 * against the type its token declares; a record failing a check is refused
 * (PS_ERR_INPUT) rather than decoded into wrong values.
 *
 * Limits (bad input never crashes, hangs or allocates without bound):
 * elements nested 64 deep, binary XML values nested 8 deep, 262,144 elements
 * visited and PS_BINXML_MAX_TEXT bytes of decoded text per record, and the
 * ps_evx limit of PS_EVX_MAX_FIELDS payload values.  A record beyond one is
 * refused with PS_ERR_LIMIT, never cut silently.
 *
 * Ownership: a ps_binxml is owned by the caller (ps_binxml_new /
 * ps_binxml_free) and used by one thread.  The chunk bytes are borrowed and
 * must stay valid until the next ps_binxml_begin_chunk.  Compiled templates
 * live in the ps_binxml until the next chunk; every string and array of a
 * decoded ps_evx is allocated from the arena passed to ps_binxml_decode and
 * stays valid until the caller resets or releases that arena.
 */
#ifndef PS_BINXML_H
#define PS_BINXML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/error.h"
#include "parsers/winevent/evx.h"

#define PS_BINXML_MAX_TEXT (16u << 20)

typedef struct ps_binxml ps_binxml;

int ps_binxml_new(ps_binxml **out, ps_error *err);
void ps_binxml_free(ps_binxml *b);

/* Starts a chunk: `chunk` holds `len` bytes (at most 65536) found at
 * `file_offset` (for messages); the previous chunk's templates and names
 * are forgotten. */
void ps_binxml_begin_chunk(ps_binxml *b, const uint8_t *chunk, uint32_t len, uint64_t file_offset);

/* Decodes the binary XML at chunk[off, off + len) (one record's event data)
 * into *x, its strings and values allocated from `out`.  0; PS_ERR_NOMEM;
 * PS_ERR_INPUT or PS_ERR_LIMIT for a record that cannot be decoded, with the
 * reason (naming the file offset where it was found) in why[0..cap). */
int ps_binxml_decode(ps_binxml *b, uint32_t off, uint32_t len, bool strict, ps_arena *out, ps_evx *x,
                     char *why, size_t cap);

/* CRC-32 of RFC 1952 (the checksums of EVTX headers and records),
 * continuing from crc (0 to start). */
uint32_t ps_evtx_crc32(uint32_t crc, const uint8_t *p, size_t n);

#endif
