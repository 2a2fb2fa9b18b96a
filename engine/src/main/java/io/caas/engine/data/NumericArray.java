package io.caas.engine.data;

/**
 * An n-dimensional array read from a file, widened to floats (exact for every integer a label can be).
 *
 * @param unsignedBytes stored as uint8: image pixels, scaled to [0, 1] when used as features
 * @param integral      stored as an integer type, so usable as labels
 */
record NumericArray(String name, long[] shape, float[] values, boolean unsignedBytes, boolean integral) {

    long length() {
        return shape.length == 0 ? 1 : shape[0];
    }
}
