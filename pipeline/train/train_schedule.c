#include "train_schedule.h"

#include <math.h>

#define TRAIN_PI 3.14159265358979323846

static double anneal_cos(double start, double end, double pct)
{
    return end + (start - end) / 2.0 * (cos(TRAIN_PI * pct) + 1.0);
}

double train_lr(lr_schedule_kind kind, double max_lr, double warmup, long step, long total)
{
    double initial = max_lr / 25.0, min_lr = initial / 1e4;
    if (kind == LR_CONSTANT || total < 2) return max_lr;
    if (kind == LR_ONECYCLE) {
        /* OneCycleLR's two phases: end steps pct*total - 1 and total - 1 (floats). */
        double end1 = warmup * (double)total - 1.0, end2 = (double)total - 1.0;
        if ((double)step <= end1) return anneal_cos(initial, max_lr, end1 > 0 ? step / end1 : 1.0);
        return anneal_cos(max_lr, min_lr, (step - end1) / (end2 - end1));
    }
    {
        long w = (long)(warmup * (double)total);
        if (step < w) return initial + (max_lr - initial) * (double)step / (double)w;
        return max_lr * (1.0 + cos(TRAIN_PI * (double)(step - w) / (double)(total - w))) / 2.0;
    }
}
