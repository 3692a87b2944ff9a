/* The files of an image folder or list, as torchvision's ImageFolder orders them. */
#include "image_list.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define WALK_DEPTH_MAX 64 /* ImageFolder follows links; a loop of them must end somewhere */
#define LINE_BYTES 8192

/* torchvision's IMG_EXTENSIONS: a file with one of these is an image of the dataset (clcam
 * decodes the JPEG and PNG ones, and says so for the others). */
static const char *const IMAGE_EXTENSIONS[] = {".jpg", ".jpeg", ".png", ".ppm", ".bmp",
                                               ".pgm", ".tif", ".tiff", ".webp"};

static int has_image_extension(const char *name)
{
    const size_t n = strlen(name);
    for (size_t i = 0; i < sizeof IMAGE_EXTENSIONS / sizeof *IMAGE_EXTENSIONS; i++) {
        const size_t e = strlen(IMAGE_EXTENSIONS[i]);
        if (n >= e && strcasecmp(name + n - e, IMAGE_EXTENSIONS[i]) == 0) return 1;
    }
    return 0;
}

typedef struct {
    char **v;
    long n, cap;
} str_vec;

static int vec_push(str_vec *s, char *p)
{
    if (!p) return -1;
    if (s->n == s->cap) {
        long cap = s->cap ? 2 * s->cap : 64;
        char **v = realloc(s->v, sizeof *v * (size_t)cap);
        if (!v) {
            free(p);
            return -1;
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = p;
    return 0;
}

static void vec_free(str_vec *s)
{
    for (long i = 0; i < s->n; i++) free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b); /* Python's str order for UTF-8 */
}

static char *join(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *p = malloc(na + nb + 2);
    if (!p) return NULL;
    memcpy(p, a, na);
    p[na] = '/';
    memcpy(p + na + 1, b, nb + 1);
    return p;
}

/* The entries of folder `dir` (full path), split into subfolders and other names (a link
 * is what it points to; a dangling link is a file, as in os.walk), each sorted. */
static clcam_status dir_read(const char *dir, str_vec *dirs, str_vec *files, clcam_err *err)
{
    DIR *d = NULL;
    struct dirent *e;
    clcam_status st = CLCAM_OK;
    if ((d = opendir(dir)) == NULL) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: cannot open folder: %s", dir, strerror(errno));
        goto exit;
    }
    for (;;) {
        struct stat sb;
        char *full;
        int is_dir;
        errno = 0;
        if ((e = readdir(d)) == NULL) {
            if (errno != 0) {
                st = err_set(err, CLCAM_ERR_IO, "%s: readdir failed: %s", dir, strerror(errno));
                goto exit;
            }
            break;
        }
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if ((full = join(dir, e->d_name)) == NULL) goto nomem;
        is_dir = stat(full, &sb) == 0 && S_ISDIR(sb.st_mode);
        free(full);
        if (vec_push(is_dir ? dirs : files, strdup(e->d_name)) != 0) goto nomem;
    }
    if (dirs->n > 1) qsort(dirs->v, (size_t)dirs->n, sizeof *dirs->v, cmp_str);
    if (files->n > 1) qsort(files->v, (size_t)files->n, sizeof *files->v, cmp_str);
    goto exit;
nomem:
    st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory listing the folder", dir);
exit:
    if (d) closedir(d);
    return st;
}

/* Every folder under root/rel (rel itself first), as relative paths sorted by name: the
 * order of sorted(os.walk(...)), whose roots share the prefix root/. */
static clcam_status walk_dirs(const char *root, const char *rel, int depth, str_vec *out,
                              clcam_err *err)
{
    str_vec dirs = {0}, files = {0};
    char *full = NULL;
    clcam_status st = CLCAM_OK;
    if (depth > WALK_DEPTH_MAX) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s/%s: folders nested over %d deep (a loop of links?)",
                     root, rel, WALK_DEPTH_MAX);
        goto exit;
    }
    if (vec_push(out, strdup(rel)) != 0 || (full = join(root, rel)) == NULL) {
        st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory listing the folder", root);
        goto exit;
    }
    TRY(dir_read(full, &dirs, &files, err));
    for (long i = 0; i < dirs.n; i++) {
        char *sub = join(rel, dirs.v[i]);
        if (!sub) {
            st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory listing the folder", root);
            goto exit;
        }
        st = walk_dirs(root, sub, depth + 1, out, err);
        free(sub);
        if (st != CLCAM_OK) goto exit;
    }
exit:
    free(full);
    vec_free(&dirs);
    vec_free(&files);
    return st;
}

static clcam_status list_push(image_list *l, str_vec *paths, long *cap, char *rel, int32_t label,
                              clcam_err *err)
{
    if (vec_push(paths, rel) != 0) goto nomem;
    if (l->labels) {
        if (paths->n > *cap) {
            long c = paths->cap;
            int32_t *v = realloc(l->labels, sizeof *v * (size_t)c);
            if (!v) goto nomem;
            l->labels = v;
            *cap = c;
        }
        l->labels[paths->n - 1] = label;
    }
    return CLCAM_OK;
nomem:
    return err_set(err, CLCAM_ERR_NOMEM, "out of memory for the list of images");
}

clcam_status image_list_folder(const char *root, image_list *l, clcam_err *err)
{
    str_vec classes = {0}, top = {0}, paths = {0}, walk = {0}, dirs = {0}, files = {0};
    long label_cap = 0;
    char *full = NULL;
    clcam_status st = CLCAM_OK;
    memset(l, 0, sizeof *l);
    TRY(dir_read(root, &classes, &top, err));
    if (classes.n == 0) { /* flat: the root's own image files, no labels */
        for (long i = 0; i < top.n; i++) {
            if (!has_image_extension(top.v[i])) continue;
            TRY(list_push(l, &paths, &label_cap, strdup(top.v[i]), -1, err));
        }
        if (paths.n == 0) {
            st = err_set(err, CLCAM_ERR_INPUT,
                         "%s: no image files (expected <class>/<image> folders, or images named "
                         "*.jpg, *.jpeg or *.png)", root);
            goto exit;
        }
    } else {
        if ((l->labels = malloc(sizeof *l->labels)) == NULL) {
            st = err_set(err, CLCAM_ERR_NOMEM, "out of memory for the list of images");
            goto exit;
        }
        label_cap = 1;
        for (long c = 0; c < classes.n; c++) {
            const long before = paths.n;
            TRY(walk_dirs(root, classes.v[c], 0, &walk, err));
            for (long k = 0; k < walk.n; k++) {
                if ((full = join(root, walk.v[k])) == NULL) {
                    st = err_set(err, CLCAM_ERR_NOMEM, "out of memory for the list of images");
                    goto exit;
                }
                TRY(dir_read(full, &dirs, &files, err));
                for (long i = 0; i < files.n; i++) {
                    if (!has_image_extension(files.v[i])) continue;
                    TRY(list_push(l, &paths, &label_cap, join(walk.v[k], files.v[i]), (int32_t)c,
                                  err));
                }
                vec_free(&dirs);
                vec_free(&files);
                free(full);
                full = NULL;
            }
            vec_free(&walk);
            if (paths.n == before) {
                st = err_set(err, CLCAM_ERR_INPUT,
                             "%s/%s: a class folder without image files (*.jpg, *.jpeg, *.png; "
                             "every subfolder of the root is a class, as in torchvision's "
                             "ImageFolder)", root, classes.v[c]);
                goto exit;
            }
        }
        l->class_names = classes.v;
        l->n_classes = (int)classes.n;
        classes.v = NULL;
        classes.n = 0;
    }
    l->paths = paths.v;
    l->n = paths.n;
    paths.v = NULL;
    paths.n = 0;
exit:
    free(full);
    vec_free(&classes);
    vec_free(&top);
    vec_free(&paths);
    vec_free(&walk);
    vec_free(&dirs);
    vec_free(&files);
    if (st != CLCAM_OK) image_list_free(l);
    return st;
}

static int is_index(const char *s)
{
    if (!*s || strlen(s) > 9) return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return 0;
    return 1;
}

clcam_status image_list_csv(const char *csv, image_list *l, clcam_err *err)
{
    FILE *fp = NULL;
    char line[LINE_BYTES];
    str_vec paths = {0}, names = {0}, uniq = {0};
    long lineno = 0, label_cap = 0;
    int with_labels = -1, all_index = 1, max_index = -1;
    clcam_status st = CLCAM_OK;
    memset(l, 0, sizeof *l);
    if ((fp = fopen(csv, "r")) == NULL) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: cannot open: %s", csv, strerror(errno));
        goto exit;
    }
    while (fgets(line, sizeof line, fp)) {
        size_t n = strlen(line);
        char *comma;
        lineno++;
        if (n == sizeof line - 1 && line[n - 1] != '\n') {
            st = err_set(err, CLCAM_ERR_INPUT, "%s:%ld: line over %d bytes", csv, lineno,
                         LINE_BYTES - 2);
            goto exit;
        }
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
        if (n == 0) continue;
        if (lineno == 1 && strcmp(line, "path,label") == 0) continue;
        comma = strrchr(line, ',');
        if (with_labels < 0) with_labels = comma != NULL;
        if ((comma != NULL) != with_labels || (comma && (comma == line || !comma[1]))) {
            st = err_set(err, CLCAM_ERR_INPUT,
                         "%s:%ld: expected `path,label` on every line or `path` on every line",
                         csv, lineno);
            goto exit;
        }
        if (comma) {
            *comma = '\0';
            if (!is_index(comma + 1)) all_index = 0;
            else if (atoi(comma + 1) > max_index) max_index = atoi(comma + 1);
            if (vec_push(&names, strdup(comma + 1)) != 0) goto nomem;
        }
        if (vec_push(&paths, strdup(line)) != 0) goto nomem;
    }
    if (ferror(fp)) {
        st = err_set(err, CLCAM_ERR_IO, "%s: read failed: %s", csv, strerror(errno));
        goto exit;
    }
    if (paths.n == 0) {
        st = err_set(err, CLCAM_ERR_INPUT, "%s: no `path,label` lines", csv);
        goto exit;
    }
    if (with_labels) {
        if ((l->labels = malloc(sizeof *l->labels * (size_t)paths.n)) == NULL) goto nomem;
        label_cap = paths.n;
        if (all_index) {
            for (int c = 0; c <= max_index; c++) {
                char buf[16];
                snprintf(buf, sizeof buf, "%d", c);
                if (vec_push(&uniq, strdup(buf)) != 0) goto nomem;
            }
            for (long i = 0; i < paths.n; i++) l->labels[i] = (int32_t)atoi(names.v[i]);
        } else {
            for (long i = 0; i < names.n; i++)
                if (vec_push(&uniq, strdup(names.v[i])) != 0) goto nomem;
            if (uniq.n > 1) qsort(uniq.v, (size_t)uniq.n, sizeof *uniq.v, cmp_str);
            long k = 0;
            for (long i = 0; i < uniq.n; i++) {
                if (k > 0 && strcmp(uniq.v[k - 1], uniq.v[i]) == 0) {
                    free(uniq.v[i]);
                    continue;
                }
                uniq.v[k++] = uniq.v[i];
            }
            uniq.n = k;
            for (long i = 0; i < paths.n; i++) {
                char *key = names.v[i];
                char **hit = bsearch(&key, uniq.v, (size_t)uniq.n, sizeof *uniq.v, cmp_str);
                l->labels[i] = (int32_t)(hit - uniq.v);
            }
        }
        l->class_names = uniq.v;
        l->n_classes = (int)uniq.n;
        uniq.v = NULL;
        uniq.n = 0;
    }
    (void)label_cap;
    l->paths = paths.v;
    l->n = paths.n;
    paths.v = NULL;
    paths.n = 0;
    goto exit;
nomem:
    st = err_set(err, CLCAM_ERR_NOMEM, "%s: out of memory for the list of images", csv);
exit:
    if (fp) fclose(fp);
    vec_free(&paths);
    vec_free(&names);
    vec_free(&uniq);
    if (st != CLCAM_OK) image_list_free(l);
    return st;
}

void image_list_free(image_list *l)
{
    for (long i = 0; i < l->n; i++) free(l->paths[i]);
    free(l->paths);
    free(l->labels);
    for (int i = 0; i < l->n_classes; i++) free(l->class_names[i]);
    free(l->class_names);
    memset(l, 0, sizeof *l);
}
