/* SPDX-License-Identifier: MIT */
#pragma once

#include "ood-generated.h"

G_BEGIN_DECLS

/*
 * org.openocd.Job: one long operation, exported at /org/openocd/jobs/N on
 * the ObjectManager it was handed. Whoever does the work reports through
 * it (phase, progress, the end) and watches its cancellable; the job
 * knows nothing of the work. Phase, totals and progress are published
 * together by ood_job_flush() (one PropertiesChanged per step), the end
 * by ood_job_finish(). After ood_job_finish() the object stays exported
 * for the linger time, then removes itself.
 */

#define OOD_JOB_PHASE_COMPARING "comparing"
#define OOD_JOB_PHASE_ERASING   "erasing"
#define OOD_JOB_PHASE_WRITING   "writing"
#define OOD_JOB_PHASE_VERIFYING "verifying"
#define OOD_JOB_PHASE_RESETTING "resetting"

#define OOD_TYPE_JOB (ood_job_get_type ())
G_DECLARE_FINAL_TYPE (OodJob, ood_job, OOD, JOB, OodDbusJobSkeleton)

OodJob       *ood_job_new             (GDBusObjectManagerServer *server,
                                       guint                     linger_ms,
                                       const char               *operation,
                                       const char               *target_path,
                                       guint                     started_by_uid,
                                       GDBusInterfaceSkeleton   *attached_like);
const char   *ood_job_get_path        (OodJob *self);
GCancellable *ood_job_get_cancellable (OodJob *self);
gboolean      ood_job_is_running      (OodJob *self);
void          ood_job_set_phase       (OodJob     *self,
                                       const char *phase);
void          ood_job_set_totals      (OodJob  *self,
                                       guint64  bytes_total,
                                       guint64  work_total);
void          ood_job_advance         (OodJob  *self,
                                       guint64  bytes,
                                       guint64  work);
void          ood_job_flush           (OodJob  *self);
void          ood_job_finish          (OodJob       *self,
                                       const GError *error);

G_END_DECLS
