/* clcam: Grad-CAM for whole datasets on any OpenCL device. Command-line front end. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cl/conv.h"
#include "../cl/runtime.h"
#include "../io/cifar10_import.h"
#include "../io/image_import.h"
#include "../io/config.h"
#include "../io/dataset.h"
#include "../io/h5util.h"
#include "../io/results_merge.h"
#include "model/model_summary.h"
#include "report/report.h"
#include "run.h"
#include "../base/par.h"
#include "selftest/selftest.h"
#include "train/train.h"
#include "tune/tune.h"

#define MAX_SETS 64

static const char *USAGE =
    "usage: clcam <command> [options]\n"
    "\n"
    "commands:\n"
    "  devices                          list OpenCL platforms and devices\n"
    "  import-cifar10 SRC OUT.h5        CIFAR-10 binary archive or folder to a dataset file\n"
    "  import-images ROOT OUT.h5        a folder of JPEG/PNG images (ImageFolder) to a dataset file\n"
    "  run CONFIG.yaml [--set k=v]... [--device SPEC] [--overwrite] [--quiet] [--stats] [--shard I/K]\n"
    "                                   explain a dataset split, write the results file\n"
    "  merge OUT.h5 PART.h5... [--copy] the parts of a --shard run as one results file\n"
    "  train CONFIG.yaml [--set k=v]... [--device SPEC] [--quiet] [--steps N] [--stats] [--profile]\n"
    "                                   train the configured model, write its weights file\n"
    "  selftest [--device SPEC]         every kernel against the plain-C reference\n"
    "  model CONFIG.yaml [--set k=v]... the layers cam.layer can name: op, shape, params, FLOPs\n"
    "  report RESULTS.h5 --out DIR      pictures and a static HTML page of a results file\n"
    "  tune [CONFIG.yaml] [--device SPEC] [--budget N]\n"
    "                                   measure the GEMMs, convolutions and batch size\n"
    "\n"
    "A device SPEC is cpu, gpu, any, or a platform or device name substring, optionally\n"
    "followed by :N for the N-th match. `clcam <command> --help` describes each command.\n";

static int fail(const char *cmd, const clcam_err *err, clcam_status st)
{
    fprintf(stderr, "clcam %s: %s\n", cmd, err->msg[0] ? err->msg : clcam_status_str(st));
    return clcam_exit_code(st);
}

static int usage_error(const char *cmd, const char *msg)
{
    fprintf(stderr, "clcam %s: %s (try clcam %s --help)\n", cmd, msg, cmd);
    return 2;
}

static int wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return 1;
    return 0;
}

static int cmd_devices(int argc, char **argv)
{
    clcam_err err = {0};
    clcam_status st;
    if (wants_help(argc, argv)) {
        printf("usage: clcam devices\n\nLists every OpenCL platform and device: index, type, platform,\n"
               "device name, driver version, memory and compute units.\n");
        return 0;
    }
    if (argc > 0) return usage_error("devices", "takes no arguments");
    st = cl_devices_list(stdout, &err);
    return st == CLCAM_OK ? 0 : fail("devices", &err, st);
}

static void import_progress(int done, int total, void *user)
{
    (void)user;
    fprintf(stderr, "clcam import-cifar10: %d/%d batch files\n", done, total);
}

static int cmd_import(int argc, char **argv)
{
    clcam_err err = {0};
    clcam_status st;
    int quiet = 0;
    const char *pos[2];
    int npos = 0;
    if (wants_help(argc, argv)) {
        printf("usage: clcam import-cifar10 SRC OUT.h5 [--quiet]\n\n"
               "SRC is the official cifar-10-binary.tar.gz or its unpacked cifar-10-batches-bin/\n"
               "folder. Writes /train and /test (uint8 NHWC images, labels) and class_names\n"
               "(docs/file_formats.md in the clcam repository).\n");
        return 0;
    }
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--quiet") == 0) quiet = 1;
        else if (argv[i][0] == '-' && argv[i][1]) return usage_error("import-cifar10", "unknown option");
        else if (npos < 2) pos[npos++] = argv[i];
        else return usage_error("import-cifar10", "too many arguments");
    }
    if (npos != 2) return usage_error("import-cifar10", "expected SRC and OUT.h5");
    st = cifar10_import(pos[0], pos[1], quiet ? NULL : import_progress, NULL, &err);
    if (st != CLCAM_OK) return fail("import-cifar10", &err, st);
    if (!quiet) fprintf(stderr, "clcam import-cifar10: wrote %s\n", pos[1]);
    return 0;
}

/* A positive integer option value, or -1. */
static int parse_side(const char *s)
{
    char *end = NULL;
    long v;
    if (!s) return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    return errno == 0 && end != s && *end == '\0' && v >= 1 && v <= 32768 ? (int)v : -1;
}

static int cmd_import_images(int argc, char **argv)
{
    static const char *const CMD = "import-images";
    image_import_opts o;
    clcam_err err = {0};
    clcam_status st;
    const char *pos[2];
    int npos = 0, verbose = 0;
    memset(&o, 0, sizeof o);
    if (wants_help(argc, argv)) {
        printf("usage: clcam import-images ROOT OUT.h5 [--resize S --crop C | --size C]\n"
               "         [--list FILE.csv] [--split NAME] [--skip-bad] [--overwrite]\n"
               "         [--gzip LEVEL] [--threads N] [--quiet] [--verbose]\n\n"
               "ROOT holds one folder per class (ROOT/<class>/.../<image>, sorted and numbered as\n"
               "torchvision's ImageFolder does) or only images (no labels). JPEG and PNG, turned\n"
               "into RGB as Pillow's convert(\"RGB\") does. Writes /<split>/images (uint8 NHWC),\n"
               "/<split>/labels, /<split>/paths (relative to ROOT) and class_names\n"
               "(docs/file_formats.md in the clcam repository).\n\n"
               "  --resize S --crop C  torchvision's Resize(S) (shorter side to S, Pillow's\n"
               "                       antialiased bilinear) then CenterCrop(C)\n"
               "  --size C             Resize((C, C)); without a size option all images must\n"
               "                       have one size\n"
               "  --list FILE.csv      the images from `path,label` lines (paths relative to ROOT)\n"
               "  --split NAME         the group to write (default test); other splits of an\n"
               "                       existing OUT.h5 are kept\n"
               "  --skip-bad           record unreadable images in /<split>/skipped and go on\n"
               "                       (default: stop at the first, exit 2)\n"
               "  --overwrite          replace an existing split of the same name\n"
               "  --gzip LEVEL         compress the images with deflate at LEVEL 1..9 (default 0,\n"
               "                       none: photos' pixels shrink by 8-25%% at a cost of about\n"
               "                       three times the import's time)\n"
               "  --threads N          decoding threads (default: one per core)\n");
        return 0;
    }
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const int has_value = i + 1 < argc;
        if (strcmp(a, "--quiet") == 0) o.quiet = 1;
        else if (strcmp(a, "--verbose") == 0) verbose = 1;
        else if (strcmp(a, "--skip-bad") == 0) o.skip_bad = 1;
        else if (strcmp(a, "--overwrite") == 0) o.overwrite = 1;
        else if (strcmp(a, "--gzip") == 0) {
            const char *v = has_value ? argv[i + 1] : "";
            if (strlen(v) != 1 || v[0] < '0' || v[0] > '9') return usage_error(CMD, "--gzip takes a level 0..9");
            o.gzip = v[0] - '0';
            i++;
        }
        else if (strcmp(a, "--resize") == 0 || strcmp(a, "--crop") == 0 ||
                 strcmp(a, "--size") == 0 || strcmp(a, "--threads") == 0) {
            int v = parse_side(has_value ? argv[i + 1] : NULL);
            if (v < 0) return usage_error(CMD, "--resize, --crop, --size and --threads take an integer 1..32768");
            if (a[2] == 'r') o.resize = v;
            else if (a[2] == 'c') o.crop = v;
            else if (a[2] == 's') o.size = v;
            else o.threads = v;
            i++;
        } else if (strcmp(a, "--list") == 0 || strcmp(a, "--split") == 0) {
            if (!has_value) return usage_error(CMD, "--list and --split take a value");
            if (a[3] == 'i') o.list_csv = argv[++i];
            else o.split = argv[++i];
        } else if (a[0] == '-' && a[1]) return usage_error(CMD, "unknown option");
        else if (npos < 2) pos[npos++] = a;
        else return usage_error(CMD, "too many arguments");
    }
    if (npos != 2) return usage_error(CMD, "expected ROOT and OUT.h5");
    if (o.size && (o.resize || o.crop)) return usage_error(CMD, "--size and --resize/--crop exclude each other");
    if (o.split && (!*o.split || strchr(o.split, '/'))) return usage_error(CMD, "--split takes a name without '/'");
    o.root = pos[0];
    o.out = pos[1];
    h5_quiet(verbose);
    st = image_import(&o, &err);
    if (st != CLCAM_OK) return fail(CMD, &err, st);
    return 0;
}

/* The only mutable global: what a signal handler may touch. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

/* What `run` and `train` take: CONFIG.yaml, --set, --device, --quiet, --verbose, --stats,
 * --profile, and each one's own options (--overwrite; --steps N). */
typedef struct {
    const char *config, *sets[MAX_SETS + 1];
    char device_set[300];
    int n_sets, quiet, verbose, stats, overwrite;
    int shard, shards;      /* run --shard I/K; shards 0: the whole run */
    long steps;
} config_args;

/* -1 when the arguments are fine, else the exit code (the message printed). */
static int parse_config_args(const char *cmd, int argc, char **argv, config_args *a)
{
    int is_train = strcmp(cmd, "train") == 0;
    memset(a, 0, sizeof *a);
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i];
        int takes_value = strcmp(o, "--set") == 0 || strcmp(o, "--device") == 0 ||
                          (is_train && strcmp(o, "--steps") == 0) || (!is_train && strcmp(o, "--shard") == 0);
        if (takes_value && i + 1 >= argc) return usage_error(cmd, "option needs a value");
        if (!is_train && strcmp(o, "--shard") == 0) {
            char *end;
            const char *v = argv[++i];
            long k = -1, s = strtol(v, &end, 10);
            if (end != v && *end == '/') k = strtol(end + 1, &end, 10);
            if (*end || s < 0 || k < 1 || s >= k || k > 1000000)
                return usage_error(cmd, "--shard needs I/K with 0 <= I < K (--shard 0/4)");
            a->shard = (int)s;
            a->shards = (int)k;
        } else if (is_train && strcmp(o, "--steps") == 0) {
            char *end;
            a->steps = strtol(argv[++i], &end, 10);
            if (*end || a->steps < 1) return usage_error(cmd, "--steps needs an integer >= 1");
        } else if (takes_value || strncmp(o, "--set=", 6) == 0) {
            if (a->n_sets >= MAX_SETS) return usage_error(cmd, "too many --set options");
            if (strcmp(o, "--device") == 0) {
                snprintf(a->device_set, sizeof a->device_set, "device=%s", argv[++i]);
                a->sets[a->n_sets++] = a->device_set;
            } else {
                a->sets[a->n_sets++] = takes_value ? argv[++i] : o + 6;
            }
        } else if (strcmp(o, "--quiet") == 0) {
            a->quiet = 1;
        } else if (strcmp(o, "--verbose") == 0) {
            a->verbose = 1;
        } else if (strcmp(o, "--stats") == 0) {
            a->stats = 1;
        } else if (strcmp(o, "--profile") == 0) {
            setenv("CLCAM_PROFILE", "1", 1);
        } else if (!is_train && strcmp(o, "--overwrite") == 0) {
            a->overwrite = 1;
        } else if (o[0] == '-') {
            fprintf(stderr, "clcam %s: unknown option %s (try clcam %s --help)\n", cmd, o, cmd);
            return 2;
        } else if (!a->config) {
            a->config = o;
        } else {
            return usage_error(cmd, "more than one config file");
        }
    }
    if (!a->config) return usage_error(cmd, "expected CONFIG.yaml");
    h5_quiet(a->verbose);
    return -1;
}

/* SIGINT and SIGTERM set stop_signal: the loops finish their batch or step and save. */
static void catch_stop_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* `run --stats`: one JSON line on stdout. resumed_from and rows_computed say where the run
 * started and how many rows it computed (a complete file: its row count, 0). */
static void print_run_stats(const run_report *rep)
{
    printf("{\"case\": \"clcam\", \"images\": %ld, \"resumed_from\": %d, \"rows_computed\": %ld, "
           "\"gemm\": \"%s\", \"batch\": %d, \"batch_source\": \"%s\", \"seconds\": %.3f, "
           "\"images_per_s\": %.1f, \"first_batch_s\": %.3f, \"setup_s\": %.3f, \"read_s\": %.3f, "
           "\"write_s\": %.3f, \"device_wait_s\": %.3f, \"accuracy\": %.4f, "
           "\"device_peak_bytes\": %zu",
           rep->images, rep->resumed_from, rep->rows_computed, rep->gemm_own ? "own" : "clblast", rep->batch,
           rep->batch_source[0] ? rep->batch_source : "config", rep->seconds,
           rep->seconds > 0 ? rep->images / rep->seconds : 0.0, rep->t_first_batch, rep->t_setup, rep->t_read,
           rep->t_write, rep->t_wait, rep->correct >= 0 ? (double)rep->correct / rep->images : -1.0,
           rep->device_peak_bytes);
    if (rep->profiled)
        printf(", \"device_upload_s\": %.3f, \"device_forward_s\": %.3f, \"device_backward_s\": %.3f, "
               "\"device_cam_s\": %.3f, \"device_scorecam_s\": %.3f, \"device_metrics_s\": %.3f, "
               "\"device_download_s\": %.3f",
               rep->d_upload, rep->d_forward, rep->d_backward, rep->d_cam, rep->d_scorecam, rep->d_metrics,
               rep->d_download);
    printf("}\n");
}

/* `clcam run` after its arguments and config: runs, then says what it did (rank 0 only). */
static int run_and_say(const config_args *args, const clcam_config *cfg, run_report *rep)
{
    int quiet = rep->quiet || rep->par->rank != 0;
    /* under MPI a signal ends the rank at once: the ranks stop at different batches, so the
     * collective writes could not finish; the completion map makes the file resumable */
    if (!rep->par->active) catch_stop_signals();
    rep->stop = &stop_signal;
    clcam_err err = {0};
    clcam_status st;
    st = run_explain(cfg, rep, &err);
    if (st == CLCAM_ERR_INTERRUPTED) {
        fprintf(stderr, "clcam run: %s\n", err.msg);
        return 128 + (int)stop_signal;
    }
    if (st != CLCAM_OK) return fail("run", &err, st);
    if (rep->already_complete) {
        if (!quiet)
            fprintf(stderr, "clcam run: %s is already complete for this config; nothing to do "
                            "(--overwrite recomputes it)\n", cfg->output_file);
        if (args->stats && rep->par->rank == 0) print_run_stats(rep);
        return 0;
    }
    if (!quiet && rep->resumed_from)
        fprintf(stderr, "clcam run: resumed %s after %d finished images\n", cfg->output_file, rep->resumed_from);
    if (!quiet) {
        fprintf(stderr, "clcam run: %ld images", rep->images);
        if (rep->correct >= 0) fprintf(stderr, ", accuracy %.2f%%", 100.0 * rep->correct / rep->images);
        fprintf(stderr, ", %.1f s (%.0f img/s), device %s, model buffers %.1f MiB\n", rep->seconds,
                rep->images / rep->seconds, rep->device, rep->device_peak_bytes / 1048576.0);
        fprintf(stderr, "clcam run: results in %s\n", cfg->output_file);
    }
    if (args->stats && rep->par->rank == 0) print_run_stats(rep);
    return 0;
}

static int cmd_run(int argc, char **argv)
{
    clcam_err err = {0};
    clcam_status st;
    config_args args;
    int rc;
    run_report rep = {0};
    clcam_config cfg;
    par_comm par;
    if (wants_help(argc, argv)) {
        printf("usage: clcam run CONFIG.yaml [--set key=value]... [--device SPEC] [--quiet] [--verbose]\n"
               "                 [--stats] [--profile] [--overwrite] [--shard I/K]\n\n"
               "Explains the configured dataset split with Grad-CAM and writes the results file.\n"
               "cam.methods picks the CAM methods and baselines, cam.metrics adds faithfulness\n"
               "metrics of every map (docs/numerics.md).\n"
               "  --set key=value  override one config key (value in YAML: --set cam.target=label)\n"
               "  --device SPEC    same as --set device=SPEC\n"
               "  --quiet          no progress and no summary on stderr\n"
               "  --verbose        print HDF5's own error stack on failures\n"
               "  --stats          print the run's timings as one JSON line on stdout\n"
               "  --profile        time every kernel and copy on the device (OpenCL profiling\n"
               "                   events): a table by stage and kernel on stderr, and the\n"
               "                   stages' device seconds in --stats (same as CLCAM_PROFILE=1)\n"
               "  --overwrite      replace the results file instead of resuming or keeping it\n"
               "  --shard I/K      only the I-th (0-based) of K contiguous parts of the rows, cut at\n"
               "                   multiples of the batch (256 with batch: auto); give each part its\n"
               "                   own file (--set output.file=parts/part_I.h5), then clcam merge them.\n"
               "                   K larger than the run's batches is refused (a part would be empty)\n"
               "\n"
               "A run stopped by Ctrl-C or SIGTERM finishes its batches in flight, saves, and exits 130/143;\n"
               "killed outright, it has saved every batch but the last. Either way the same\n"
               "command resumes it. A complete results file of the same config is kept as it is.\n"
               "Under mpirun -n K the K ranks (one per OpenCL device) write one results file;\n"
               "a signal ends them at once, and the same command (any K) resumes it.\n"
               "Every config key: docs/config.md; the results file: docs/file_formats.md (in the\n"
               "clcam repository).\n");
        return 0;
    }
    if ((rc = parse_config_args("run", argc, argv, &args)) >= 0) return rc;
    rep.quiet = args.quiet;
    rep.overwrite = args.overwrite;
    rep.shard = args.shard;
    rep.shards = args.shards;
    if ((st = config_load(args.config, args.sets, args.n_sets, &cfg, &err)) != CLCAM_OK) return fail("run", &err, st);
    if ((st = par_init(&par, &err)) != CLCAM_OK) {
        rc = fail("run", &err, st);
        par_abort(&par, rc);
        return rc;
    }
    rep.par = &par;
    rc = run_and_say(&args, &cfg, &rep);
    /* a rank that failed ends them all: the others would wait in a collective call */
    if (rc != 0) par_abort(&par, rc);
    /* parallel HDF5 closes itself inside MPI_Finalize: closed here first, so main's H5close
     * finds nothing to close rather than freeing HDF5's free lists a second time */
    if (par.active) H5close();
    par_finalize(&par);
    return rc;
}

static int cmd_merge(int argc, char **argv)
{
    clcam_err err = {0};
    clcam_status st;
    const char *out = NULL, **parts = NULL;
    int n = 0, copy = 0, verbose = 0;
    if (wants_help(argc, argv)) {
        printf("usage: clcam merge OUT.h5 PART.h5... [--copy] [--verbose]\n\n"
               "Joins the part files of a `clcam run --shard I/K` job into one results file, after\n"
               "checking that every part is complete, all come from the same run (attribute\n"
               "run_config: the config less output.file) and together hold every row once.\n"
               "  --copy     write an ordinary file with the rows copied (the parts' chunking and\n"
               "             compression); by default OUT holds HDF5 virtual datasets that read\n"
               "             the parts in place, named by their absolute paths: keep the parts\n"
               "             where they are (or merge with --copy before moving them)\n"
               "  --verbose  print HDF5's own error stack on failures\n\n"
               "A missing, incomplete or foreign part, or rows missing or twice: exit 2 with one line\n"
               "naming the part, and OUT is not written (it is written as OUT.tmp, then renamed).\n"
               "The metrics' mean and ci95 are computed again over all rows.\n");
        return 0;
    }
    if (!(parts = calloc((size_t)argc + 1, sizeof *parts))) return fail("merge", &err, CLCAM_ERR_NOMEM);
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--copy") == 0) copy = 1;
        else if (strcmp(argv[i], "--verbose") == 0) verbose = 1;
        else if (argv[i][0] == '-') {
            free(parts);
            fprintf(stderr, "clcam merge: unknown option %s (try clcam merge --help)\n", argv[i]);
            return 2;
        } else if (!out) out = argv[i];
        else parts[n++] = argv[i];
    }
    if (!out || n < 1) {
        free(parts);
        return usage_error("merge", "expected OUT.h5 and at least one PART.h5");
    }
    h5_quiet(verbose);
    st = results_merge(out, parts, n, copy, &err);
    free(parts);
    if (st != CLCAM_OK) return fail("merge", &err, st);
    fprintf(stderr, "clcam merge: %d parts into %s%s\n", n, out, copy ? " (copied)" : " (virtual datasets)");
    return 0;
}

static int onnx_path(const char *a)
{
    size_t n = strlen(a);
    return n > 5 && strcmp(a + n - 5, ".onnx") == 0;
}

/* clcam model FILE.onnx: the table for the input shape the file fixes, no config. */
static int cmd_model_onnx(int argc, char **argv)
{
    clcam_err err = {0};
    clcam_status st;
    layer_shape in;
    model m;
    if (argc != 1) {
        fprintf(stderr, "clcam model: FILE.onnx takes no other arguments (for --set, use a config "
                        "with model.onnx)\n");
        return 2;
    }
    if ((st = model_onnx_input_shape(argv[0], &in, &err)) != CLCAM_OK ||
        (st = model_load_onnx(&m, argv[0], in, &err)) != CLCAM_OK)
        return fail("model", &err, st);
    printf("model: %s, input %dx%dx%d from the file\n", argv[0], in.c, in.h, in.w);
    model_summary_print(stdout, &m, -1, model_auto_cam_layer(&m));
    model_free(&m);
    return 0;
}

static int cmd_model(int argc, char **argv)
{
    clcam_err err = {0};
    clcam_status st = CLCAM_OK;
    config_args args;
    clcam_config cfg;
    dataset_reader d;
    model m;
    int rc, cam = -1, have_d = 0, have_m = 0;
    if (wants_help(argc, argv)) {
        printf("usage: clcam model CONFIG.yaml [--set key=value]...\n"
               "       clcam model FILE.onnx\n\n"
               "Prints every layer of the config's model that cam.layer can name: its op, output\n"
               "shape (channels x height x width, for the dataset's image size), parameters and\n"
               "forward MFLOPs per image, marking the configured cam.layer and the layer that\n"
               "`cam.layer: auto` picks (the last spatial map before global pooling). cam.layer\n"
               "also takes a PyTorch module path (layer4.1): the last layer in its scope.\n"
               "Reads the weights file and the dataset's image shape; runs nothing on a device.\n");
        return 0;
    }
    if (argc >= 1 && onnx_path(argv[0])) return cmd_model_onnx(argc, argv);
    if ((rc = parse_config_args("model", argc, argv, &args)) >= 0) return rc;
    if ((st = config_load(args.config, args.sets, args.n_sets, &cfg, &err)) != CLCAM_OK) return fail("model", &err, st);
    if ((st = dataset_open(&d, cfg.data_file, cfg.data_split, &err)) != CLCAM_OK) goto exit;
    have_d = 1;
    if ((st = model_load_config(&m, &cfg, (layer_shape){d.c, d.h, d.w}, &err)) != CLCAM_OK) goto exit;
    have_m = 1;
    if (model_check_cam_layer(&m, model_cam_layer_name(&m, &cfg), &cam, &err) != CLCAM_OK) {
        fprintf(stderr, "clcam model: note: %s\n", err.msg); /* the table is what helps here */
        cam = -1;
        err_clear(&err);
    }
    if (cfg.model_onnx[0])
        printf("model: %s, input %dx%dx%d from %s\n", cfg.model_onnx, d.c, d.h, d.w, cfg.data_file);
    else
        printf("model: %s (weights %s), input %dx%dx%d from %s\n", cfg.model_arch,
               cfg.model_weights, d.c, d.h, d.w, cfg.data_file);
    model_summary_print(stdout, &m, cam, model_auto_cam_layer(&m));
exit:
    if (have_m) model_free(&m);
    if (have_d) dataset_close(&d);
    return st == CLCAM_OK ? 0 : fail("model", &err, st);
}

static int cmd_train(int argc, char **argv)
{
    clcam_err err = {0};
    clcam_status st;
    config_args args;
    int rc;
    train_report rep = {0};
    clcam_config cfg;
    if (wants_help(argc, argv)) {
        printf("usage: clcam train CONFIG.yaml [--set key=value]... [--device SPEC] [--quiet] [--verbose]\n"
               "                   [--steps N] [--stats] [--profile]\n\n"
               "Trains the configured model (model.arch or model.layers) on the dataset split\n"
               "train.split with the train: section's recipe, every step on the device, and writes\n"
               "the weights file train.output. A checkpoint (train.output + .ckpt) is written after\n"
               "every epoch; the same command resumes from it after an interruption.\n"
               "  --set key=value  override one config key (--set train.epochs=3)\n"
               "  --device SPEC    same as --set device=SPEC\n"
               "  --quiet          no progress lines on stderr\n"
               "  --verbose        print HDF5's own error stack on failures\n"
               "  --steps N        measure only: stop after N steps, write nothing\n"
               "  --stats          print the run's figures as one JSON line on stdout\n"
               "  --profile        time every kernel and copy on the device: a table by stage\n"
               "                   (upload, augment, forward, loss, backward, weight-grad, sgd,\n"
               "                   eval) and kernel on stderr (same as CLCAM_PROFILE=1)\n"
               "Every config key: docs/config.md; the weights file and checkpoint:\n"
               "docs/file_formats.md (in the clcam repository).\n");
        return 0;
    }
    if ((rc = parse_config_args("train", argc, argv, &args)) >= 0) return rc;
    rep.quiet = args.quiet;
    rep.max_steps = args.steps;
    if ((st = config_load(args.config, args.sets, args.n_sets, &cfg, &err)) != CLCAM_OK) return fail("train", &err, st);
    catch_stop_signals();
    rep.stop = &stop_signal;
    st = train_run(&cfg, &rep, &err);
    if (st == CLCAM_ERR_INTERRUPTED) {
        fprintf(stderr, "clcam train: %s\n", err.msg);
        return 128 + (int)stop_signal;
    }
    if (st != CLCAM_OK) return fail("train", &err, st);
    if (!rep.quiet) {
        if (rep.max_steps > 0)
            fprintf(stderr, "clcam train: %ld steps, %ld images in %.2f s of training steps: %.1f img/s "
                    "(nothing written)\n", rep.steps, rep.images, rep.train_seconds,
                    rep.images / rep.train_seconds);
        else
            fprintf(stderr, "clcam train: %d epochs, final train loss %.4f, train accuracy %.2f%%%s; "
                    "weights in %s\n", rep.epochs_done, rep.train_loss, 100.0 * rep.train_accuracy,
                    rep.test_accuracy >= 0 ? ", see above for the eval accuracy" : "", cfg.train_output);
    }
    if (args.stats)
        printf("{\"case\": \"clcam_train\", \"resumed_epoch\": %d, \"epochs_done\": %d, \"steps\": %ld, "
               "\"images\": %ld, \"batch\": %d, "
               "\"train_seconds\": %.3f, \"images_per_s\": %.1f, \"seconds\": %.3f, \"train_loss\": %.6f, "
               "\"train_accuracy\": %.6f, \"test_accuracy\": %.6f}\n", rep.resumed_epoch, rep.epochs_done,
               rep.steps, rep.images, cfg.train_batch, rep.train_seconds, rep.train_seconds > 0 ? rep.images / rep.train_seconds : 0.0,
               rep.seconds, rep.train_loss, rep.train_accuracy, rep.test_accuracy);
    return 0;
}

static int cmd_selftest(int argc, char **argv)
{
    clcam_err err = {0};
    clcam_status st;
    const char *device = "any";
    cl_ctx ctx;
    int failed = 0, variants = SELFTEST_VARIANTS;
    if (wants_help(argc, argv)) {
        printf("usage: clcam selftest [--device SPEC] [--variants N]\n\n"
               "Runs every kernel and CLBlast call clcam uses on the device, at odd sizes and\n"
               "batch 1, against the plain-C reference, and prints a pass/fail table.\n"
               "--variants N runs each check at its N smallest sizes only (1..%d, default %d),\n"
               "for slow devices such as a simulator.\n", SELFTEST_VARIANTS, SELFTEST_VARIANTS);
        return 0;
    }
    for (int i = 0; i < argc; i++) {
        char *end = NULL;
        if (strcmp(argv[i], "--device") == 0 && i + 1 < argc) device = argv[++i];
        else if (strcmp(argv[i], "--variants") == 0 && i + 1 < argc) {
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > SELFTEST_VARIANTS)
                return usage_error("selftest", "--variants: expected 1..3");
            variants = (int)v;
        } else return usage_error("selftest", "unknown argument");
    }
    if ((st = cl_ctx_init(&ctx, device, &err)) != CLCAM_OK) return fail("selftest", &err, st);
    printf("device: %s (%s, driver %s)\ngemm: convolutions on %s; CLBlast with %s\n", ctx.device_name,
           ctx.platform_name, ctx.driver_version, ctx.gemm_own ? "clcam's own GEMM" : "CLBlast",
           ctx.gemm_tuning);
    /* the per-layer forward methods clcam tune measured (CLCAM_CONV overrides them) */
    if (ctx.n_conv == 0) printf("conv: no per-shape choices; forward by the engine\n");
    for (int i = 0; i < ctx.n_conv; i++) {
        const cl_conv_choice *c = &ctx.conv_choice[i];
        printf("conv: %dx%dx%d -> %d, %dx%d/%d pad %d: %s\n", c->C, c->H, c->W, c->K, c->kernel,
               c->kernel, c->stride, c->pad, conv_method_name((conv_method)c->method));
    }
    st = selftest_run(&ctx, stdout, variants, &failed, &err);
    cl_ctx_free(&ctx);
    if (st != CLCAM_OK) return fail("selftest", &err, st);
    printf("%s: %d check%s failed\n", failed ? "FAIL" : "PASS", failed, failed == 1 ? "" : "s");
    return failed ? 1 : 0;
}

/* "--name value" or "--name=value": the value, advancing *i; NULL when this is not --name. */
static const char *option_value(int argc, char **argv, int *i, const char *name, int *missing)
{
    size_t len = strlen(name);
    if (strncmp(argv[*i], name, len) != 0) return NULL;
    if (argv[*i][len] == '=') return argv[*i] + len + 1;
    if (argv[*i][len] != '\0') return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

static int cmd_tune(int argc, char **argv)
{
    clcam_err err = {0};
    clcam_status st;
    tune_options o = {.device = "any", .budget = 24, .seed = 1};
    double def = 0, best = 0;
    int seed = 1, n_sets = 0, device_set = 0;
    const char *config = NULL, *sets[64];
    clcam_config cfg;
    if (wants_help(argc, argv)) {
        printf("usage: clcam tune [CONFIG.yaml [--set key=value]...] [--device SPEC] [--budget N] [--seed S] [--dry-run]\n\n"
               "Times CLBlast's GEMM with its default parameters and with N other parameter sets\n"
               "(default 24: CPU- and GPU-friendly presets, then random valid ones) on the GEMMs\n"
               "of CIFAR-sized convolutions, checks each result against the defaults', and stores\n"
               "the fastest set in the device's tuning file in the cache folder, which every\n"
               "later command loads. Each set costs one kernel compile (seconds on PoCL).\n"
               "It then times each forward method of SimpleCNN's convolutions (im2col, convgemm,\n"
               "packed, direct), checks their results against each other, and stores the\n"
               "fastest per shape (CONV lines); CLCAM_CONV=METHOD overrides them.\n"
               "With CONFIG, the convolutions are those of the config's model, and then the\n"
               "config's whole pass (model, layer, methods, targets) is timed at batches of 16 to\n"
               "512 images: the smallest within 5%% of the fastest is what `batch: auto` runs for\n"
               "that work on this device (the device's batch file in the cache folder).\n"
               "CLCAM_GEMM_TUNING=0 ignores the file; --dry-run measures but writes nothing.\n");
        return 0;
    }
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--device") == 0 && i + 1 < argc) o.device = argv[++i], device_set = 1;
        else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) {
            if (n_sets == (int)(sizeof sets / sizeof *sets)) return usage_error("tune", "too many --set");
            sets[n_sets++] = argv[++i];
        } else if (argv[i][0] != '-' && !config) config = argv[i];
        else if (strcmp(argv[i], "--budget") == 0 && i + 1 < argc) {
            if (parse_int(argv[++i], 0, 10000, &o.budget) != 0) return usage_error("tune", "--budget: expected 0..10000");
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            if (parse_int(argv[++i], 0, 1000000, &seed) != 0) return usage_error("tune", "--seed: expected 0..1000000");
            o.seed = (unsigned)seed;
        } else if (strcmp(argv[i], "--dry-run") == 0) o.dry_run = 1;
        else return usage_error("tune", "unknown argument");
    }
    if (n_sets && !config) return usage_error("tune", "--set needs a CONFIG");
    if (config) {
        if ((st = config_load(config, sets, n_sets, &cfg, &err)) != CLCAM_OK) return fail("tune", &err, st);
        if (!device_set) o.device = cfg.device;
        o.cfg = &cfg;
    }
    if ((st = tune_run(&o, stdout, &def, &best, &err)) != CLCAM_OK) return fail("tune", &err, st);
    return 0;
}

static int cmd_report(int argc, char **argv)
{
    clcam_err err = {0};
    clcam_status st;
    report_options opt;
    const char *v;
    int verbose = 0, missing = 0;
    char msg[128];
    report_options_default(&opt);
    if (wants_help(argc, argv)) {
        printf("usage: clcam report RESULTS.h5 --out DIR [--data DATASET.h5] [--method NAME]\n"
               "                    [--scale N] [--per-class N] [--verbose]\n\n"
               "Writes pictures (PNG) and a static page DIR/index.html of a results file: the run's\n"
               "facts, accuracy, per-class accuracy, the confusion matrix, and grids of original |\n"
               "heatmap (jet) | overlay for each class and for the most confident right and wrong\n"
               "predictions. Only the images shown are read from the dataset.\n"
               "  --out DIR          output folder, created if needed (required)\n"
               "  --data FILE        dataset file (default: the results file's dataset_file attribute)\n"
               "  --method NAME      CAM method to show, reads /NAME/cam (default gradcam)\n"
               "  --scale N          nearest-neighbour upscaling of every tile, 1-%d (default 4)\n"
               "  --per-class N      images per grid, 1-%d (default 8)\n"
               "  --verbose          print HDF5's own error stack on failures\n",
               REPORT_MAX_SCALE, REPORT_MAX_PER_CLASS);
        return 0;
    }
    for (int i = 0; i < argc; i++) {
        if ((v = option_value(argc, argv, &i, "--out", &missing))) opt.out_dir = v;
        else if ((v = option_value(argc, argv, &i, "--data", &missing))) opt.data_path = v;
        else if ((v = option_value(argc, argv, &i, "--method", &missing))) opt.method = v;
        else if ((v = option_value(argc, argv, &i, "--scale", &missing))) {
            snprintf(msg, sizeof msg, "--scale must be an integer 1-%d", REPORT_MAX_SCALE);
            if (parse_int(v, 1, REPORT_MAX_SCALE, &opt.scale) != 0) return usage_error("report", msg);
        } else if ((v = option_value(argc, argv, &i, "--per-class", &missing))) {
            snprintf(msg, sizeof msg, "--per-class must be an integer 1-%d", REPORT_MAX_PER_CLASS);
            if (parse_int(v, 1, REPORT_MAX_PER_CLASS, &opt.per_class) != 0) return usage_error("report", msg);
        } else if (missing) {
            return usage_error("report", "option needs a value");
        } else if (strcmp(argv[i], "--verbose") == 0) {
            verbose = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "clcam report: unknown option %s (try clcam report --help)\n", argv[i]);
            return 2;
        } else if (!opt.results_path) {
            opt.results_path = argv[i];
        } else {
            return usage_error("report", "more than one results file");
        }
    }
    if (!opt.results_path) return usage_error("report", "expected RESULTS.h5");
    if (!opt.out_dir) return usage_error("report", "--out DIR is required");
    if (!opt.method[0] || strchr(opt.method, '/')) return usage_error("report", "--method must be a plain name");
    h5_quiet(verbose);
    if ((st = report_write(&opt, &err)) != CLCAM_OK) return fail("report", &err, st);
    fprintf(stderr, "clcam report: wrote %s/index.html\n", opt.out_dir);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } COMMANDS[] = {
        {"devices", cmd_devices}, {"import-cifar10", cmd_import}, {"import-images", cmd_import_images}, {"run", cmd_run}, {"merge", cmd_merge}, {"train", cmd_train},
        {"selftest", cmd_selftest}, {"report", cmd_report}, {"tune", cmd_tune}, {"model", cmd_model},
    };
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("clcam %s\n", CLCAM_VERSION);
        return 0;
    }
    /* HDF5 1.10 crashes in its exit handler when a file failed to close (a full disk): so
     * no exit handler, and H5close only after a clean run. */
    H5dont_atexit();
    h5_quiet(0);
    /* Past a file size limit, writes must fail with EFBIG (and a message), not kill us. */
    signal(SIGXFSZ, SIG_IGN);
    for (size_t i = 0; i < sizeof COMMANDS / sizeof *COMMANDS; i++) {
        if (strcmp(argv[1], COMMANDS[i].name) == 0) {
            int rc = COMMANDS[i].fn(argc - 2, argv + 2);
            if (rc == 0) H5close();
            return rc;
        }
    }
    fprintf(stderr, "clcam: unknown command '%s'\n\n%s", argv[1], USAGE);
    return 2;
}
