/* The learning rate of each optimizer step (stepped per batch). */
#ifndef CLCAM_TRAIN_SCHEDULE_H
#define CLCAM_TRAIN_SCHEDULE_H

#include "../../io/config.h"

/* lr for step (0-based) of total steps:
 * onecycle: torch.optim.lr_scheduler.OneCycleLR(max_lr, total_steps, pct_start = warmup,
 *   anneal_strategy='cos', div_factor=25, final_div_factor=1e4, three_phase=False) without
 *   momentum cycling (cycle_momentum=False: the configured momentum is used throughout);
 * cosine: linear warm-up from max/25 to max over the first warmup * total steps, then
 *   max * (1 + cos(pi * t)) / 2 with t going 0 -> 1 over the rest (CosineAnnealingLR, eta_min 0);
 * constant: max. */
double train_lr(lr_schedule_kind kind, double max_lr, double warmup, long step, long total);

#endif
