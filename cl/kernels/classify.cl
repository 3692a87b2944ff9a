/* The network's head: softmax probabilities, the predicted class, the class each CAM
 * explains, and the one-hot gradient that starts the backward pass. One work-item per image. */
__kernel void softmax_rows(__global const float *logits, __global float *probs, int classes,
                           int n)
{
    int img = get_global_id(0);
    if (img >= n) return;
    __global const float *x = logits + img * classes;
    float m = x[0];
    for (int j = 1; j < classes; j++) m = fmax(m, x[j]);
    float sum = 0.0f;
    for (int j = 0; j < classes; j++) sum += exp(x[j] - m);
    for (int j = 0; j < classes; j++) probs[img * classes + j] = exp(x[j] - m) / sum;
}

/* pred[img] = argmax of the logits; targets[img*T + r] = the class explained at rank r.
 * mode 0: predicted, 1: the label, 2: the fixed class cls (T = 1 for these), 3: the T most
 * probable classes in decreasing order (ties: lower index first, like a stable sort). */
__kernel void select_targets(__global const float *logits, __global const int *labels,
                             __global int *pred, __global int *targets, int classes, int mode,
                             int cls, int T, int n)
{
    int img = get_global_id(0);
    if (img >= n) return;
    __global const float *x = logits + img * classes;
    int best = 0;
    for (int j = 1; j < classes; j++)
        if (x[j] > x[best]) best = j; /* first maximum, like torch.argmax */
    pred[img] = best;
    if (mode != 3) {
        targets[img * T] = mode == 0 ? best : mode == 1 ? labels[img] : cls;
        return;
    }
    for (int r = 0; r < T; r++) {
        /* the r-th largest: the best class not above the previous pick in (value, index) order */
        int pick = -1;
        for (int j = 0; j < classes; j++) {
            int taken = 0;
            for (int q = 0; q < r; q++) taken |= targets[img * T + q] == j;
            if (!taken && (pick < 0 || x[j] > x[pick])) pick = j;
        }
        targets[img * T + r] = pick;
    }
}

/* The gradient that starts the backward pass: a one-hot row at each image's rank-r target. */
__kernel void onehot_rank(__global const int *targets, __global float *dlogits, int classes,
                          int T, int rank, int n)
{
    int i = get_global_id(0);
    if (i >= n) return;
    int img = i / classes, j = i % classes;
    dlogits[i] = j == targets[img * T + rank] ? 1.0f : 0.0f;
}
