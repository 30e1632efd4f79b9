/* SPDX-License-Identifier: MIT */
#define G_LOG_DOMAIN "ood-registers"

#include "ood-registers.h"

#include "ood-call.h"
#include "ood-error.h"
#include "ood-reply.h"
#include "ood-tcl-memory.h"

#include <string.h>

/* More names than any target has: ReadMany refuses longer lists. */
#define MAX_READ_MANY 4096u

/* One register of Names; @name points into the RegSet's @names. */
typedef struct {
  const char *name;
  guint       number;
  guint       bits;
} Reg;

/* What OpenOCD lists of a target's registers: hundreds of them (405 on
 * the simulated board), kept once, in the serialised Names, and found by
 * a scan. Immutable, and shared (g_rc_box) by every target whose listing
 * is the same, as all targets of a kind are: an endpoint may have dozens. */
typedef struct {
  GVariant *names;       /* a(su): Names */
  GArray   *registers;   /* (element-type Reg) as OpenOCD lists them */
  gboolean  shared;      /* in reg_sets */
} RegSet;

/* names → RegSet, each set removed at its last release */
static GHashTable *reg_sets;

struct _OodRegisters {
  OodDbusRegistersSkeleton parent_instance;

  OodSession *session;
  char       *target_name;
  OodTarget  *target;      /* the sibling org.openocd.Target, for CurrentPc */
  RegSet     *set;         /* the registers OpenOCD lists, and Names */
  GHashTable *unreadable;  /* names OpenOCD failed to read since the connect */
};

static void ood_registers_iface_init (OodDbusRegistersIface *iface);

/* The methods are the interface's vfuncs, as the generated skeleton's
 * class closures call them: no closure per object and method. */
G_DEFINE_FINAL_TYPE_WITH_CODE (OodRegisters, ood_registers, OOD_DBUS_TYPE_REGISTERS_SKELETON,
                               G_IMPLEMENT_INTERFACE (OOD_DBUS_TYPE_REGISTERS, ood_registers_iface_init))

/* One method call waiting for OpenOCD. */
typedef struct {
  OodRegisters          *self;
  GDBusMethodInvocation *invocation;
  GPtrArray             *names;   /* (element-type utf8) what was asked for */
  gboolean               wide;    /* ReadWide: answer bytes */
  gboolean               many;    /* ReadMany: answer a dict */
  guint64                value;   /* Write's */
} Call;

static void
call_free (Call *call)
{
  g_clear_pointer (&call->names, g_ptr_array_unref);
  g_object_unref (call->invocation);
  g_object_unref (call->self);
  g_free (call);
}

static Call *
call_new (OodRegisters *self, GDBusMethodInvocation *invocation)
{
  Call *call = g_new0 (Call, 1);

  call->self = g_object_ref (self);
  call->invocation = g_object_ref (invocation);
  call->names = g_ptr_array_new_with_free_func (g_free);
  return call;
}

/* ---- names -------------------------------------------------------------- */

/* g_variant_hash() takes basic types only: the serialised bytes, then */
static guint
names_hash (gconstpointer names)
{
  g_autoptr(GBytes) bytes = g_variant_get_data_as_bytes ((GVariant *) names);

  return g_bytes_hash (bytes);
}

static void
reg_set_clear (RegSet *set)
{
  if (set->shared)
    g_hash_table_remove (reg_sets, set->names);
  g_array_unref (set->registers);
  g_variant_unref (set->names);
}

static void
reg_set_release (RegSet *set)
{
  g_rc_box_release_full (set, (GDestroyNotify) reg_set_clear);
}

static gboolean
same_numbers (GArray *registers, GArray *parsed)
{
  for (guint i = 0; i < registers->len; i++)
    if (g_array_index (registers, Reg, i).number != g_array_index (parsed, OodTclRegister, i).number)
      return FALSE;
  return TRUE;
}

/* The set of @parsed (element-type OodTclRegister, or %NULL for none):
 * the one already held for the same listing, or a new one. */
static RegSet *
reg_set_get (GArray *parsed)
{
  GVariantBuilder builder;
  g_autoptr(GVariant) names = NULL;
  GVariantIter iter;
  RegSet *set;
  Reg reg;
  guint n = parsed != NULL ? parsed->len : 0, i = 0;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(su)"));
  for (guint j = 0; j < n; j++)
    {
      OodTclRegister *r = &g_array_index (parsed, OodTclRegister, j);
      g_variant_builder_add (&builder, "(su)", r->name, r->bits);
    }
  names = g_variant_ref_sink (g_variant_builder_end (&builder));
  (void) g_variant_get_data (names);   /* serialised: the names stay in one buffer */
  if (reg_sets == NULL)
    reg_sets = g_hash_table_new (names_hash, g_variant_equal);
  set = g_hash_table_lookup (reg_sets, names);
  if (set != NULL && (n == 0 || same_numbers (set->registers, parsed)))
    return g_rc_box_acquire (set);

  set = g_rc_box_new0 (RegSet);
  set->names = g_steal_pointer (&names);
  set->registers = g_array_sized_new (FALSE, FALSE, sizeof (Reg), n);
  g_variant_iter_init (&iter, set->names);
  while (i < n && g_variant_iter_next (&iter, "(&su)", &reg.name, &reg.bits))
    {
      reg.number = g_array_index (parsed, OodTclRegister, i++).number;
      g_array_append_val (set->registers, reg);
    }
  /* a listing that differs only in its numbers keeps a set of its own */
  set->shared = !g_hash_table_contains (reg_sets, set->names);
  if (set->shared)
    g_hash_table_insert (reg_sets, set->names, set);
  return set;
}

static void
use_set (OodRegisters *self, RegSet *set)
{
  g_clear_pointer (&self->set, reg_set_release);
  self->set = set;
}

/* Publishes Names and indexes it. */
static void
take_registers (OodRegisters *self, GArray *parsed)
{
  use_set (self, reg_set_get (parsed));
  ood_dbus_registers_set_names (OOD_DBUS_REGISTERS (self), self->set->names);
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self));
}

static const Reg *
find (OodRegisters *self, const char *name)
{
  for (guint i = 0; i < self->set->registers->len; i++)
    {
      const Reg *reg = &g_array_index (self->set->registers, Reg, i);
      if (strcmp (reg->name, name) == 0)
        return reg;
    }
  return NULL;
}

static void
on_learned (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(OodRegisters) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ood_session_call_finish (OOD_SESSION (source), result, &error);
  g_autoptr(GArray) registers = text != NULL ? ood_tcl_parse_reg_list (text, &error) : NULL;

  if (registers == NULL)
    {
      if (!g_error_matches (error, OOD_ERROR, OOD_ERROR_DISCONNECTED))
        g_warning ("%s: cannot list OpenOCD's registers: %s", self->target_name,
                   error->message);
      return;
    }
  g_debug ("%s: %u registers", self->target_name, registers->len);
  take_registers (self, registers);
}

/**
 * ood_registers_learn:
 *
 * Replaces Names by the registers OpenOCD lists, when it answers, and
 * forgets which of them could not be read: a new connection may be to
 * another OpenOCD.
 */
void
ood_registers_learn (OodRegisters *self)
{
  g_autofree char *script = ood_tcl_script_reg_learn (self->target_name);

  g_hash_table_remove_all (self->unreadable);
  ood_session_call_async (self->session, script, OOD_SESSION_CALL_HOUSEKEEPING, NULL, on_learned,
                          g_object_ref (self));
}

/* The register @name, if it may be asked for as a "t" (or any, @wide);
 * otherwise answers @invocation with NoSuchRegister or InvalidArgs. */
static const Reg *
check_name (OodRegisters *self, GDBusMethodInvocation *invocation, const char *name,
            gboolean wide)
{
  const Reg *reg = find (self, name);

  if (*name == '\0')
    ood_reply_invalid_args (invocation, "a register name is not empty");
  else if (reg == NULL)
    g_dbus_method_invocation_return_error (invocation, OOD_ERROR, OOD_ERROR_NO_SUCH_REGISTER,
                                           "target %s has no register '%s'%s", self->target_name,
                                           name, self->set->registers->len == 0
                                                   ? " (registers not learnt yet)" : "");
  else if (!wide && reg->bits > 64)
    ood_reply_invalid_args (invocation, "register '%s' is %u bits wide; use ReadWide", name,
                            reg->bits);
  else
    return reg;
  return NULL;
}

/* ---- reads -------------------------------------------------------------- */

/* The value of @name in @values as a "t", or an error. */
static gboolean
value_of (GHashTable *values, const char *name, guint64 *value, GError **error)
{
  const char *hex = g_hash_table_lookup (values, name);

  if (hex != NULL && ood_tcl_hex_to_u64 (hex, value))
    return TRUE;
  g_set_error (error, OOD_ERROR, OOD_ERROR_TARGET, "OpenOCD answered no value for '%s'", name);
  return FALSE;
}

static GVariant *
read_reply (Call *call, GHashTable *values, GError **error)
{
  OodRegisters *self = call->self;
  const char *name = call->names->pdata[0];
  GVariantBuilder builder;
  guint64 value;

  if (call->wide)
    {
      const Reg *reg = find (self, name);
      const char *hex = g_hash_table_lookup (values, name);
      g_autoptr(GBytes) bytes = reg != NULL && hex != NULL ? ood_tcl_hex_to_bytes (hex, reg->bits)
                                                           : NULL;
      if (bytes == NULL)
        {
          g_set_error (error, OOD_ERROR, OOD_ERROR_TARGET,
                       "OpenOCD answered no value for '%s' that fits it", name);
          return NULL;
        }
      return g_variant_new ("(@ay)", g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, bytes,
                                                               TRUE));
    }
  if (!call->many)
    return value_of (values, name, &value, error) ? g_variant_new ("(t)", value) : NULL;
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{st}"));
  for (guint i = 0; i < call->names->len; i++)
    {
      if (!value_of (values, call->names->pdata[i], &value, error))
        {
          g_variant_builder_clear (&builder);
          return NULL;
        }
      g_variant_builder_add (&builder, "{st}", (const char *) call->names->pdata[i], value);
    }
  return g_variant_new ("(a{st})", &builder);
}

static void
on_read_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Call *call = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ood_session_call_finish (OOD_SESSION (source), result, &error);
  g_autoptr(GHashTable) values = text != NULL ? ood_tcl_parse_reg_values (text, &error) : NULL;
  GVariant *reply = values != NULL ? read_reply (call, values, &error) : NULL;

  if (reply == NULL)
    ood_reply_error (call->invocation, error);
  else
    g_dbus_method_invocation_return_value (call->invocation, reply);
  call_free (call);
}

/* Reads the registers in @call->names (checked), in one get_reg. */
static gboolean
start_read (OodRegisters *self, Call *call)
{
  g_autofree char *script = ood_tcl_script_reg_read (self->target_name,
                                                     (const char *const *) call->names->pdata,
                                                     call->names->len);

  ood_session_call_async (self->session, script, OOD_SESSION_CALL_SHAREABLE,
                          ood_call_cancellable_of (call->invocation), on_read_done, call);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
read_one (OodRegisters *self, GDBusMethodInvocation *invocation, const char *name, gboolean wide)
{
  Call *call;

  if (check_name (self, invocation, name, wide) == NULL)
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  call = call_new (self, invocation);
  call->wide = wide;
  g_ptr_array_add (call->names, g_strdup (name));
  return start_read (self, call);
}

static gboolean
handle_read (OodDbusRegisters *iface, GDBusMethodInvocation *invocation, const char *name)
{
  return read_one (OOD_REGISTERS (iface), invocation, name, FALSE);
}

static gboolean
handle_read_wide (OodDbusRegisters *iface, GDBusMethodInvocation *invocation, const char *name)
{
  return read_one (OOD_REGISTERS (iface), invocation, name, TRUE);
}

static gboolean
handle_read_many (OodDbusRegisters *iface, GDBusMethodInvocation *invocation,
                  const char *const *names)
{
  OodRegisters *self = OOD_REGISTERS (iface);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  guint n = g_strv_length ((GStrv) names);
  Call *call;

  if (n > MAX_READ_MANY)
    {
      ood_reply_invalid_args (invocation, "at most %u names, not %u", MAX_READ_MANY, n);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  for (guint i = 0; i < n; i++)
    if (check_name (self, invocation, names[i], FALSE) == NULL)
      return G_DBUS_METHOD_INVOCATION_HANDLED;
  if (n == 0)
    {
      g_dbus_method_invocation_return_value (invocation, g_variant_new_parsed ("(@a{st} {},)"));
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  call = call_new (self, invocation);
  call->many = TRUE;
  for (guint i = 0; i < n; i++)
    if (g_hash_table_add (seen, (gpointer) names[i]))
      g_ptr_array_add (call->names, g_strdup (names[i]));
  return start_read (self, call);
}

/* ---- ReadAll ------------------------------------------------------------ */

static GVariant *
read_all_reply (OodRegisters *self, OodTclRegReadAll *all)
{
  g_autoptr(GHashTable) dirty = g_hash_table_new (g_str_hash, g_str_equal);
  GVariantBuilder builder;

  for (guint i = 0; i < all->listing->len; i++)
    {
      OodTclRegister *reg = &g_array_index (all->listing, OodTclRegister, i);
      if (reg->dirty)
        g_hash_table_add (dirty, reg->name);
    }
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(sutub)"));
  for (guint i = 0; i < self->set->registers->len; i++)
    {
      const Reg *reg = &g_array_index (self->set->registers, Reg, i);
      guint64 value;
      const char *hex = g_hash_table_lookup (all->values, reg->name);

      if (hex != NULL && ood_tcl_hex_to_u64 (hex, &value))
        g_variant_builder_add (&builder, "(sutub)", reg->name, reg->number, value, reg->bits,
                               g_hash_table_contains (dirty, reg->name));
    }
  return g_variant_new ("(a(sutub))", &builder);
}

static void
on_read_all_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Call *call = user_data;
  OodRegisters *self = call->self;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ood_session_call_finish (OOD_SESSION (source), result, &error);
  g_autoptr(OodTclRegReadAll) all = text != NULL ? ood_tcl_parse_reg_read_all (text, &error)
                                                 : NULL;

  if (all == NULL)
    ood_reply_error (call->invocation, error);
  else
    {
      for (guint i = 0; all->unreadable[i] != NULL; i++)
        if (find (self, all->unreadable[i]) != NULL)
          g_hash_table_add (self->unreadable, g_strdup (all->unreadable[i]));
      if (all->unreadable[0] != NULL)
        g_debug ("%s: %u registers cannot be read", self->target_name,
                 g_hash_table_size (self->unreadable));
      g_dbus_method_invocation_return_value (call->invocation, read_all_reply (self, all));
    }
  call_free (call);
}

static gboolean
handle_read_all (OodDbusRegisters *iface, GDBusMethodInvocation *invocation)
{
  OodRegisters *self = OOD_REGISTERS (iface);
  Call *call = call_new (self, invocation);
  g_autofree char *script = NULL;

  for (guint i = 0; i < self->set->registers->len; i++)
    {
      const Reg *reg = &g_array_index (self->set->registers, Reg, i);
      if (reg->bits <= 64 && !g_hash_table_contains (self->unreadable, reg->name))
        g_ptr_array_add (call->names, g_strdup (reg->name));
    }
  script = ood_tcl_script_reg_read_all (self->target_name, (const char *const *) call->names->pdata,
                                        call->names->len);
  ood_session_call_async (self->session, script, OOD_SESSION_CALL_SHAREABLE,
                          ood_call_cancellable_of (call->invocation), on_read_all_done, call);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- Write -------------------------------------------------------------- */

static gboolean
writes_pc (Call *call)
{
  return g_str_equal (call->names->pdata[0], "pc");
}

/* A PC write that OpenOCD failed may have written part of the value (a
 * misaligned PC on RISC-V): the script read the PC back either way, and
 * it is published before the reply, which says what the PC now is. */
static void
on_write_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Call *call = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ood_session_call_finish (OOD_SESSION (source), result, &error);
  g_autoptr(OodTclTargetRecord) record = NULL;
  g_autofree char *failure = NULL;

  if (text != NULL && writes_pc (call))
    {
      record = ood_tcl_parse_pc_write (text, &failure, &error);
      if (record != NULL)
        ood_target_apply (call->self->target, record);
    }
  if (text == NULL || (writes_pc (call) && record == NULL))
    ood_reply_error (call->invocation, error);
  else if (failure == NULL || record == NULL)
    g_dbus_method_invocation_return_value (call->invocation, NULL);
  else if (record->pc_valid)
    g_dbus_method_invocation_return_error (
        call->invocation, OOD_ERROR, OOD_ERROR_TARGET,
        "OpenOCD failed to write 0x%" G_GINT64_MODIFIER "x to the PC (%s); the PC now reads 0x%"
        G_GINT64_MODIFIER "x", call->value, failure, record->pc);
  else
    g_dbus_method_invocation_return_error (
        call->invocation, OOD_ERROR, OOD_ERROR_TARGET,
        "OpenOCD failed to write 0x%" G_GINT64_MODIFIER "x to the PC (%s); the PC cannot be "
        "read now: %s", call->value, failure, record->pc_error != NULL ? record->pc_error : "");
  call_free (call);
}

static gboolean
handle_write (OodDbusRegisters *iface, GDBusMethodInvocation *invocation, const char *name,
              guint64 value)
{
  OodRegisters *self = OOD_REGISTERS (iface);
  const Reg *reg = check_name (self, invocation, name, FALSE);
  g_autofree char *script = NULL;
  g_autoptr(GError) refused = NULL;
  Call *call;

  if (reg == NULL)
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  if (reg->bits < 64 && value >> reg->bits != 0)
    {
      ood_reply_invalid_args (invocation,
                              "0x%" G_GINT64_MODIFIER "x does not fit register '%s' (%u bits)",
                              value, name, reg->bits);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  /* a job (a flash write) holds the target; or GDB, which keeps the
   * register values it read while the target is halted */
  if (!ood_session_check_unclaimed (self->session, self->target_name, &refused) ||
      !ood_target_check_no_debugger (self->target, &refused))
    {
      ood_reply_error (invocation, refused);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  call = call_new (self, invocation);
  call->value = value;
  g_ptr_array_add (call->names, g_strdup (name));
  script = ood_tcl_script_reg_write (self->target_name, name, value, writes_pc (call));
  ood_session_call_async (self->session, script, OOD_SESSION_CALL_NONE,
                          ood_call_cancellable_of (invocation), on_write_done, call);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- life cycle --------------------------------------------------------- */

static void
ood_registers_dispose (GObject *object)
{
  OodRegisters *self = OOD_REGISTERS (object);

  g_clear_object (&self->target);
  g_clear_object (&self->session);
  G_OBJECT_CLASS (ood_registers_parent_class)->dispose (object);
}

static void
ood_registers_finalize (GObject *object)
{
  OodRegisters *self = OOD_REGISTERS (object);

  g_hash_table_unref (self->unreadable);
  g_clear_pointer (&self->set, reg_set_release);
  g_free (self->target_name);
  G_OBJECT_CLASS (ood_registers_parent_class)->finalize (object);
}

static void
ood_registers_iface_init (OodDbusRegistersIface *iface)
{
  iface->handle_read = handle_read;
  iface->handle_read_wide = handle_read_wide;
  iface->handle_read_many = handle_read_many;
  iface->handle_read_all = handle_read_all;
  iface->handle_write = handle_write;
}

static void
ood_registers_class_init (OodRegistersClass *klass)
{
  ood_call_install (G_DBUS_INTERFACE_SKELETON_CLASS (klass));
  G_OBJECT_CLASS (klass)->dispose = ood_registers_dispose;
  G_OBJECT_CLASS (klass)->finalize = ood_registers_finalize;
}

static void
ood_registers_init (OodRegisters *self)
{
  use_set (self, reg_set_get (NULL));
  self->unreadable = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/**
 * ood_registers_new:
 * @session: the OpenOCD of the target
 * @target_name: the target's name in OpenOCD
 * @target: its org.openocd.Target, a sibling in the same object
 */
OodRegisters *
ood_registers_new (OodSession *session, const char *target_name, OodTarget *target)
{
  OodRegisters *self = g_object_new (OOD_TYPE_REGISTERS, NULL);

  self->session = g_object_ref (session);
  self->target_name = g_strdup (target_name);
  self->target = g_object_ref (target);
  take_registers (self, NULL);
  return self;
}
