/* Writing the maps' chunks compressed by clcam (shuffle, then libdeflate's zlib format at the
 * configured level) and handed to HDF5 as they are (H5Dwrite_chunk): the bytes HDF5's shuffle +
 * deflate filters would store, decoded by any reader the same way, at about twice zlib's speed
 * (bench/RESULTS.md). */
#ifndef CLCAM_IO_RESULTS_CHUNKS_H
#define CLCAM_IO_RESULTS_CHUNKS_H

#include "results.h"

/* Whether rows offset.. offset + count - 1 of dataset ds of w take results_write_chunks:
 * compressed, chunked along its rows alone, those rows whole chunks (the last may end at the
 * dataset's end), written by one process (not MPI's collective writes), on a little-endian
 * host, elem the size of its type; CLCAM_DIRECT_CHUNKS=0 turns it off (the tests compare both
 * ways). */
int results_chunks_apply(const results_writer *w, hid_t ds, size_t elem, long offset, int count);

/* Rows offset.. offset + count - 1 of ds from buf, row_bytes each, in the file's own type
 * (where results_chunks_apply says so). */
clcam_status results_write_chunks(results_writer *w, hid_t ds, long offset, int count,
                                  const void *buf, size_t row_bytes, size_t elem, clcam_err *err);

/* Frees what results_write_chunks allocated (results_close). */
void results_chunks_free(results_writer *w);

#endif
