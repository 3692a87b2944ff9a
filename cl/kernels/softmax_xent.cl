/* The training head: mean softmax cross-entropy over a batch (PyTorch's CrossEntropyLoss).
 * Per image: loss[i] = logsumexp(x) - x[label], correct[i] = (argmax x == label), and
 * dlogits = (softmax(x) - onehot(label)) * inv_batch, the gradient of the batch mean.
 * One work-item per image. */
__kernel void softmax_xent(__global const float *logits, __global const int *labels,
                           __global float *dlogits, __global float *loss, __global int *correct,
                           int classes, float inv_batch, int n)
{
    int img = get_global_id(0);
    if (img >= n) return;
    __global const float *x = logits + img * classes;
    int best = 0, y = labels[img];
    for (int j = 1; j < classes; j++)
        if (x[j] > x[best]) best = j;
    float m = x[best], sum = 0.0f;
    for (int j = 0; j < classes; j++) sum += exp(x[j] - m);
    loss[img] = m + log(sum) - x[y];
    correct[img] = best == y;
    for (int j = 0; j < classes; j++)
        dlogits[img * classes + j] = (exp(x[j] - m) / sum - (j == y ? 1.0f : 0.0f)) * inv_batch;
}
