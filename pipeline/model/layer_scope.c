#include "layer_scope.h"

#include <string.h>

/* Is `path` a dotted prefix of `name` at a part boundary (`layer4.1` of `layer4.1.conv1`)? */
static int dotted_prefix(const char *name, const char *path)
{
    size_t n = strlen(path);
    return n > 0 && strncmp(name, path, n) == 0 && (name[n] == '\0' || name[n] == '.');
}

/* torch.onnx.export's names: `/scope/scope/.../OpType`, where a child's scope is its module path
 * relative to an ancestor scope: the root (`layer4.1` under `layer4`), its parent (`relu_1` under
 * `layer4.1`), or one between (`conv.5` under `features.2/conv`: a Sequential's children are
 * named from the module that holds the Sequential). Each part's full path is the shortest such
 * reading that lies inside its parent; the module paths of the scopes are compared with `path`. */
#define SCOPE_DEPTH 32
static int onnx_in_scope(const char *name, const char *path)
{
    char full[SCOPE_DEPTH][256];
    int depth = 0;
    const char *p = name + 1;
    for (;;) {
        const char *end = strchr(p, '/');
        if (!end) return 0; /* the last part is the op type, not a scope */
        size_t len = (size_t)(end - p);
        if (len == 0 || depth == SCOPE_DEPTH) return 0;
        int found = 0;
        for (int a = -1; a < depth && !found; a++) { /* the root first, then deeper ancestors */
            size_t have = a < 0 ? 0 : strlen(full[a]);
            if (have + 1 + len >= sizeof full[0]) return 0;
            char *c = full[depth];
            if (have) memcpy(c, full[a], have);
            if (have) c[have] = '.';
            memcpy(c + (have ? have + 1 : 0), p, len);
            c[(have ? have + 1 : 0) + len] = '\0';
            found = depth == 0 || (strlen(c) > strlen(full[depth - 1]) &&
                                   dotted_prefix(c, full[depth - 1]));
        }
        if (!found) return 0;
        if (strcmp(full[depth], path) == 0) return 1;
        depth++;
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
