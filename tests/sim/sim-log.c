#include "sim-log.h"

#include <stdarg.h>
#include <stdio.h>

gboolean sim_verbose = FALSE;

void
sim_log (const char *format, ...)
{
  va_list ap;

  fputs ("riscv-rbb-sim: ", stderr);
  va_start (ap, format);
  vfprintf (stderr, format, ap);
  va_end (ap);
  fputc ('\n', stderr);
  fflush (stderr);
}
