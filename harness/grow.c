/* grow.c - growing a dynamic array by doubling (see grow.h). */
#include "grow.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The new capacity for need elements, or 0 when it cannot be counted. */
static size_t grown_cap(size_t cap, size_t need, size_t first) {
  size_t n = cap != 0 ? cap : (first > need ? first : need);
  /* Near SIZE_MAX doubling would wrap: ask for exactly what is needed. */
  while (n < need) n = n > SIZE_MAX / 2 ? need : n * 2;
  return n;
}

int tc__grow(void *array_ptr, size_t *cap, size_t need, size_t first, size_t elem_size) {
  if (need <= *cap) return 0;
  size_t n = grown_cap(*cap, need, first);
  if (elem_size != 0 && n > SIZE_MAX / elem_size) return -ENOMEM;
  /* Through memcpy: array_ptr is a T **, which C does not let us read as a
   * void ** directly. */
  void *old, *grown;
  memcpy(&old, array_ptr, sizeof old);
  grown = realloc(old, n * elem_size);
  if (grown == NULL) return -ENOMEM;
  memcpy(array_ptr, &grown, sizeof grown);
  *cap = n;
  return 0;
}
