#include "layer_scope.h"

#include <string.h>

/* Is `path` a dotted prefix of `name` at a part boundary (`layer4.1` of `layer4.1.conv1`)? */
static int dotted_prefix(const char *name, const char *path)
{
    size_t n = strlen(path);
    return n > 0 && strncmp(name, path, n) == 0 && (name[n] == '\0' || name[n] == '.');
}

/* torch.onnx.export's names: `/scope/scope/.../OpType`, where a child's scope is either its full
 * dotted path (`layer4.1` under `layer4`) or its attribute name (`relu_1` under `layer4.1`).
 * The module paths of the scopes are rebuilt part by part and compared with `path`. */
static int onnx_in_scope(const char *name, const char *path)
{
    char full[512] = "";
    const char *p = name + 1;
    for (;;) {
        const char *end = strchr(p, '/');
        if (!end) return 0; /* the last part is the op type, not a scope */
        size_t len = (size_t)(end - p), have = strlen(full);
        if (len == 0 || len >= sizeof full) return 0;
        if (have && (len <= have || strncmp(p, full, have) != 0 || p[have] != '.')) {
            /* an attribute name: append it to the parent's path */
            if (have + 1 + len >= sizeof full) return 0;
            full[have] = '.';
            memcpy(full + have + 1, p, len);
            full[have + 1 + len] = '\0';
        } else {
            memcpy(full, p, len);
            full[len] = '\0';
        }
        if (strcmp(full, path) == 0) return 1;
        p = end + 1;
    }
}

int layer_in_scope(const char *name, const char *path)
{
    if (!name || !path || !*path) return 0;
    if (name[0] == '/') return onnx_in_scope(name, path);
    return dotted_prefix(name, path);
}

int layer_scope_resolve(const char *const *names, int n, const char *path)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], path) == 0) return i;
    for (int i = n - 1; i >= 0; i--)
        if (layer_in_scope(names[i], path)) return i;
    return -1;
}
