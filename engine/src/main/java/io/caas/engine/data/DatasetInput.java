package io.caas.engine.data;

import java.util.Arrays;

/**
 * One model input's share of each sample in a dataset for a model with several inputs.
 *
 * @param name        the model input this part feeds (the npz array's key)
 * @param sampleShape shape of this part of one sample, without the batch dimension
 */
public record DatasetInput(String name, long[] sampleShape) {

    public int elements() {
        return Math.toIntExact(Arrays.stream(sampleShape).reduce(1, Math::multiplyExact));
    }

    @Override
    public String toString() {
        return name + Arrays.toString(sampleShape);
    }
}
