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

/* mode 0: predicted class, 1: the label, 2: the fixed class `cls`. */
__kernel void target_onehot(__global const float *logits, __global const int *labels,
                            __global int *pred, __global int *target, __global float *dlogits,
                            int classes, int mode, int cls, int n)
{
    int img = get_global_id(0);
    if (img >= n) return;
    __global const float *x = logits + img * classes;
    int best = 0;
    for (int j = 1; j < classes; j++)
        if (x[j] > x[best]) best = j; /* first maximum, like torch.argmax */
    int t = mode == 0 ? best : mode == 1 ? labels[img] : cls;
    pred[img] = best;
    target[img] = t;
    for (int j = 0; j < classes; j++) dlogits[img * classes + j] = j == t ? 1.0f : 0.0f;
}
