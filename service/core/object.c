#include "core/object.h"

#include <string.h>

const ObjectClass *object_class(ObjectKind kind)
{
    static const ObjectClass *const classes[N_KINDS] = {
        [KIND_VM] = &vm_class,     [KIND_NIC] = &nic_class, [KIND_SWITCH] = &switch_class,
        [KIND_DISK] = &disk_class, [KIND_ISO] = &iso_class,
    };
    g_assert(kind < N_KINDS);
    return classes[kind];
}

const Field *object_class_find_field(const ObjectClass *c, const char *name)
{
    for (size_t i = 0; i < c->n_fields; i++)
        if (strcmp(c->fields[i].name, name) == 0)
            return &c->fields[i];
    return NULL;
}

CirObject *object_new(ObjectKind kind)
{
    const ObjectClass *c = object_class(kind);
    CirObject *obj = g_malloc0(c->size);

    obj->kind = kind;
    obj->uuid = g_uuid_string_random();
    c->init(obj);
    return obj;
}

CirObject *object_copy(const CirObject *obj)
{
    const ObjectClass *c = object_class(obj->kind);
    CirObject *copy = g_malloc0(c->size);

    copy->kind = obj->kind;
    for (size_t i = 0; i < c->n_fields; i++) {
        const Field *f = &c->fields[i];
        if (!(f->flags & FIELD_DERIVED))
            field_set(copy, f, field_get(obj, f));
    }
    return copy;
}

void object_free(CirObject *obj)
{
    if (!obj)
        return;
    const ObjectClass *c = object_class(obj->kind);
    for (size_t i = 0; i < c->n_fields; i++)
        if (!(c->fields[i].flags & FIELD_DERIVED))
            field_clear(obj, &c->fields[i]);
    g_free(obj);
}

GVariant *object_get(Registry *reg, const CirObject *obj, const Field *f)
{
    if (f->flags & FIELD_DERIVED)
        return object_class(obj->kind)->get_derived(reg, obj, f);
    return field_get(obj, f);
}
