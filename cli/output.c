/* Output: aligned tables and "Key: value" lists for people, JSON for
 * scripts (keys are the property names). What people read is escaped
 * (escape.c): the cells and values are the daemon's. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

struct Table {
    char **headers;
    GPtrArray *rows; /* of GStrv */
};

Table *table_new(const char *const *headers)
{
    Table *t = g_new0(Table, 1);
    t->headers = g_strdupv((char **)headers);
    t->rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
    return t;
}

/* Escaped as they come in: the widths are those of what is printed. */
void table_add(Table *t, char **cells)
{
    for (char **c = cells; *c; c++) {
        char *escaped = escape_text(*c, 0);
        g_free(*c);
        *c = escaped;
    }
    g_ptr_array_add(t->rows, cells);
}

void table_free(Table *t)
{
    if (!t)
        return;
    g_strfreev(t->headers);
    g_ptr_array_unref(t->rows);
    g_free(t);
}

static size_t width_of(const char *s)
{
    return g_utf8_validate(s, -1, NULL) ? (size_t)g_utf8_strlen(s, -1) : strlen(s);
}

static void print_row(char **cells, const size_t *widths, size_t n)
{
    GString *line = g_string_new(NULL);
    for (size_t i = 0; i < n; i++) {
        const char *cell = cells[i] && *cells[i] ? cells[i] : "-";
        g_string_append(line, cell);
        if (i + 1 < n) {
            for (size_t w = width_of(cell); w < widths[i] + 2; w++)
                g_string_append_c(line, ' ');
        }
    }
    /* No trailing blanks. */
    while (line->len && line->str[line->len - 1] == ' ')
        g_string_truncate(line, line->len - 1);
    printf("%s\n", line->str);
    g_string_free(line, TRUE);
}

void table_print(Table *t)
{
    size_t n = g_strv_length(t->headers);
    g_autofree size_t *widths = g_new0(size_t, n);

    for (size_t i = 0; i < n; i++)
        widths[i] = width_of(t->headers[i]);
    for (guint r = 0; r < t->rows->len; r++) {
        char **row = t->rows->pdata[r];
        for (size_t i = 0; i < n && row[i]; i++)
            widths[i] = MAX(widths[i], width_of(*row[i] ? row[i] : "-"));
    }
    print_row(t->headers, widths, n);
    for (guint r = 0; r < t->rows->len; r++)
        print_row(t->rows->pdata[r], widths, n);
}

/* "Key: value" lines, the values aligned. */
void print_properties(Ctl *ctl, GVariant *props)
{
    GVariantIter iter;
    const char *key;
    GVariant *value;
    size_t width = 0;

    g_variant_iter_init(&iter, props);
    while (g_variant_iter_next(&iter, "{&sv}", &key, &value)) {
        g_autofree char *shown = escape_text(key, 0);
        width = MAX(width, strlen(shown));
        g_variant_unref(value);
    }
    g_variant_iter_init(&iter, props);
    while (g_variant_iter_next(&iter, "{&sv}", &key, &value)) {
        g_autofree char *shown = escape_text(key, 0);
        g_autofree char *text = format_value(ctl, key, value);
        g_autofree char *shown_text = escape_text(text, 0);
        if (*shown_text)
            printf("%s:%*s %s\n", shown, (int)(width - strlen(shown)), "", shown_text);
        else
            printf("%s:\n", shown);
        g_variant_unref(value);
    }
}

void print_json_object(GVariant *props)
{
    g_autoptr(GString) out = g_string_new(NULL);
    json_write(out, props, 0);
    printf("%s\n", out->str);
}

void print_json_list(GPtrArray *props)
{
    g_autoptr(GString) out = g_string_new("[");
    for (guint i = 0; i < props->len; i++) {
        g_string_append(out, i ? ",\n  " : "\n  ");
        json_write(out, props->pdata[i], 1);
    }
    g_string_append(out, props->len ? "\n]" : "]");
    printf("%s\n", out->str);
}
