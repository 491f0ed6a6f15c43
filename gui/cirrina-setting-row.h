/* CirrinaSetting: one editable row of a settings page, bound to one D-Bus
 * property of the writable kind that Update() takes.
 *
 * A spec says what the property is (its key, D-Bus type, range or choices)
 * and how it is shown (title, help line); the setting makes the row that
 * fits (a CirrinaEntryRow for text, an AdwActionRow with a GtkSpinButton for
 * numbers, with a GtkSwitch for booleans, an AdwComboRow for choices) with
 * accessible names on its controls, shows values, reads the user's value
 * back as a GVariant of the property's type, and shows an error inline (the
 * row turns red and, where it has one, its help line says why).
 *
 * The setting does not compare or collect anything: the page calls
 * setting_set_value() with the daemon's value (no "changed" callback then)
 * and hears about the user's edits through the callback. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

typedef enum {
    CIRRINA_SETTING_TEXT,     /* s: CirrinaEntryRow */
    CIRRINA_SETTING_UINT,     /* u: spin button, min..max */
    CIRRINA_SETTING_UINT64,   /* t: edited in units of unit (MiB, kbit/s); min..max in units */
    CIRRINA_SETTING_BOOL,     /* b: switch */
    CIRRINA_SETTING_CHOICE,   /* s: one of choices, shown as labels */
    CIRRINA_SETTING_PINS,     /* a(uu): "vCPU:host, ..." in an entry row */
    CIRRINA_SETTING_PASSWORD, /* s: write-only, a password CirrinaEntryRow */
} CirrinaSettingKind;

typedef struct {
    const char *key;      /* the property and Update() key */
    const char *title;    /* the row's title, also its controls' accessible name */
    const char *subtitle; /* a help line, or NULL */
    CirrinaSettingKind kind;
    guint64 min, max;           /* UINT and UINT64 */
    guint64 unit;               /* UINT64: what one step of the spin button is worth */
    const char *const *choices; /* CHOICE: the values, NULL-terminated */
    const char *const *labels;  /* CHOICE: what the user sees, same order */
    gboolean live;              /* may change while the VM runs */
} CirrinaSettingSpec;

typedef struct _CirrinaSetting CirrinaSetting;

typedef void (*CirrinaSettingChanged)(CirrinaSetting *setting, gpointer user_data);

CirrinaSetting *cirrina_setting_new(const CirrinaSettingSpec *spec, CirrinaSettingChanged changed,
                                    gpointer user_data);
void cirrina_setting_free(CirrinaSetting *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CirrinaSetting, cirrina_setting_free)

const CirrinaSettingSpec *cirrina_setting_get_spec(CirrinaSetting *self);

/* The row to put into a group (an AdwPreferencesRow). */
GtkWidget *cirrina_setting_get_row(CirrinaSetting *self);

/* The control that takes the user's input: the entry row itself, the spin
 * button, the switch, the combo row. */
GtkWidget *cirrina_setting_get_editor(CirrinaSetting *self);

/* Shows value (of the property's type; floating or not) without calling
 * back. A value of another type is ignored. */
void cirrina_setting_set_value(CirrinaSetting *self, GVariant *value);

/* The user's value as a new floating-free reference, or NULL with error when
 * the input cannot be read (a spin button with letters, pins that are not
 * "n:m"); the daemon checks ranges and everything else. */
GVariant *cirrina_setting_get_value(CirrinaSetting *self, GError **error);

/* message: shown inline (NULL clears it). */
void cirrina_setting_set_error(CirrinaSetting *self, const char *message);
const char *cirrina_setting_get_error(CirrinaSetting *self);

/* Makes a spin button take what was typed into it (before Apply). */
void cirrina_setting_commit(CirrinaSetting *self);

G_END_DECLS
