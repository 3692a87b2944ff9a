#!/usr/bin/env bash
# An example Slurm job: one `clcam run` per array task, each explaining its part of the rows
# (--shard I/K) into its own file, without MPI. Submit with K tasks, K at most the run's
# batches (clcam refuses a K that would leave a part empty):
#
#   sbatch --array=0-7 scripts/slurm_array.sh configs/imagenet_resnet50.yaml
#
# then, when every task has finished, join the parts (a job that waits for the array):
#
#   sbatch --dependency=afterok:<ARRAY_JOB_ID> --wrap \
#     "clcam merge results/merged.h5 parts/part_*.h5"
#
# or by hand: clcam merge results/merged.h5 parts/part_*.h5 [--copy]. merge checks that every
# part is complete and of the same run and that together they hold every row once; a task
# that failed or was killed is rerun with the same command (sbatch --array=3 ...) and resumes.
# By default the merged file holds virtual datasets over the parts (named by their absolute
# paths: leave them where they are); --copy writes a self-contained file instead.
#SBATCH --job-name=clcam
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=4
#SBATCH --gres=gpu:1
#SBATCH --time=04:00:00
#SBATCH --output=parts/clcam_%A_%a.log
set -euo pipefail
config="${1:?usage: sbatch --array=0-(K-1) scripts/slurm_array.sh CONFIG.yaml [clcam run options]}"
shift
: "${SLURM_ARRAY_TASK_ID:?not an array task: submit with sbatch --array=0-(K-1)}"
# SLURM_ARRAY_TASK_COUNT is the number of tasks; with --array=0-(K-1) the IDs are 0..K-1.
K="${SLURM_ARRAY_TASK_COUNT:?}"
I="$SLURM_ARRAY_TASK_ID"
mkdir -p parts
# Every part must have the same config but its own file: output.file is the one key that
# differs between parts (and is left out of their shared run_config attribute).
exec "${CLCAM:-clcam}" run "$config" --shard "$I/$K" --set "output.file=parts/part_$I.h5" --quiet "$@"
