/* grow.h - the one way a dynamic array grows in tcpclose.
 *
 * Contract: tc__grow() makes room for at least `need` elements in the array
 * that array_ptr points to (a `T **`, passed as void *), which holds *cap
 * elements of elem_size bytes. An empty array (*cap == 0) gets
 * max(first, need) elements; a full one doubles until need fits. The
 * elements already there are kept (realloc). Returns 0 (also when need
 * already fits), or -ENOMEM when memory runs out or the size in bytes would
 * not fit in size_t; on error the array and *cap are as they were.
 * Memory work only, callable from any process or thread; the caller owns the
 * array and its count (tc__grow never reads or writes the elements).
 */
#ifndef TCPCLOSE_GROW_H
#define TCPCLOSE_GROW_H

#include <stddef.h>

int tc__grow(void *array_ptr, size_t *cap, size_t need, size_t first, size_t elem_size);

#endif
