/* test_grow.c - tc__grow, the one growth helper for dynamic arrays: the
 * first allocation, doubling, a need beyond one doubling, no change when
 * the need already fits, refusal of sizes that do not fit in size_t (the
 * array left as it was), and elements kept across growths. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "grow.h"

Test(grow, first_allocation_holds_first_or_need) {
  int *a = NULL;
  size_t cap = 0;
  cr_assert_eq(tc__grow(&a, &cap, 1, 64, sizeof *a), 0);
  cr_assert_not_null(a);
  cr_assert_eq(cap, 64);
  free(a);
  a = NULL;
  cap = 0;
  cr_assert_eq(tc__grow(&a, &cap, 100, 64, sizeof *a), 0);
  cr_assert_eq(cap, 100, "a first need above `first` is met exactly, got %zu", cap);
  free(a);
}

Test(grow, doubles_when_full) {
  int *a = NULL;
  size_t cap = 0;
  cr_assert_eq(tc__grow(&a, &cap, 1, 4, sizeof *a), 0);
  cr_assert_eq(tc__grow(&a, &cap, 5, 4, sizeof *a), 0);
  cr_assert_eq(cap, 8);
  cr_assert_eq(tc__grow(&a, &cap, 9, 4, sizeof *a), 0);
  cr_assert_eq(cap, 16);
  cr_assert_eq(tc__grow(&a, &cap, 100, 4, sizeof *a), 0);
  cr_assert_eq(cap, 128, "doubles until the need fits, got %zu", cap);
  free(a);
}

Test(grow, need_that_fits_changes_nothing) {
  int *a = NULL;
  size_t cap = 0;
  cr_assert_eq(tc__grow(&a, &cap, 3, 16, sizeof *a), 0);
  int *before = a;
  cr_assert_eq(tc__grow(&a, &cap, 16, 16, sizeof *a), 0);
  cr_assert_eq(a, before);
  cr_assert_eq(cap, 16);
  cr_assert_eq(tc__grow(&a, &cap, 0, 16, sizeof *a), 0);
  cr_assert_eq(cap, 16);
  free(a);
}

Test(grow, refuses_sizes_beyond_size_t) {
  double *a = NULL;
  size_t cap = 0;
  cr_assert_eq(tc__grow(&a, &cap, 4, 4, sizeof *a), 0);
  a[0] = 1.5;
  double *before = a;
  /* elements fit in size_t, their bytes do not */
  cr_assert_eq(tc__grow(&a, &cap, SIZE_MAX / 2, 4, sizeof *a), -ENOMEM);
  cr_assert_eq(a, before, "the array is left as it was");
  cr_assert_eq(cap, 4);
  cr_assert_eq(tc__grow(&a, &cap, SIZE_MAX, 4, sizeof *a), -ENOMEM);
  cr_assert_eq(cap, 4);
  cr_assert_eq(a[0], 1.5);
  free(a);
}

Test(grow, refuses_what_memory_cannot_hold) {
  char *a = NULL;
  size_t cap = 0;
  cr_assert_eq(tc__grow(&a, &cap, 4, 4, 1), 0);
  /* Doubling from 4 would pass SIZE_MAX / 2 + 2 by wrapping: the helper
   * asks for the need itself, which no allocator gives. */
  cr_assert_eq(tc__grow(&a, &cap, SIZE_MAX / 2 + 2, 4, 1), -ENOMEM);
  cr_assert_eq(cap, 4);
  free(a);
}

Test(grow, keeps_elements_across_growths) {
  struct pair {
    int key;
    long value;
  } *a = NULL;
  size_t n = 0, cap = 0;
  for (int i = 0; i < 1000; i++) {
    cr_assert_eq(tc__grow(&a, &cap, n + 1, 4, sizeof *a), 0);
    a[n++] = (struct pair){i, 3L * i};
  }
  cr_assert_eq(n, 1000);
  cr_assert_eq(cap, 1024);
  for (int i = 0; i < 1000; i++) {
    cr_assert_eq(a[i].key, i);
    cr_assert_eq(a[i].value, 3L * i, "element %d lost its value", i);
  }
  free(a);
}
