/** Compression engine: ONNX I/O, DJL interpreter, compression methods. Deliberately free of Spring. */
package io.caas.engine;
