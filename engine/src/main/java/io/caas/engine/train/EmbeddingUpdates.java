package io.caas.engine.train;

import java.util.Arrays;
import java.util.Optional;

/**
 * How Adam updates trained embedding tables (weights read only through Gather along their first axis); a job's
 * budget names it ({@code embeddingUpdates}). Only matters where embeddings train, which they do not by default
 * ({@link TrainableGroup#DEFAULT}).
 */
public enum EmbeddingUpdates {

    /** Every row, every step, as any other weight: PyTorch's default ({@code nn.Embedding}, {@code Adam}). */
    DENSE("dense"),
    /**
     * Only the rows the step's batch read, their moments included; other rows and their moments stay exactly as they
     * were: PyTorch's {@code nn.Embedding(sparse=True)} with {@code SparseAdam}, TensorFlow's LazyAdam. The table's
     * gradient and update then follow the batch's tokens, not the table's size (the step's wall time did not always
     * follow: BENCHMARKS.md). It trains differently from dense Adam: a row not in the batch does not move on the
     * momentum of earlier batches.
     */
    SPARSE("sparse");

    private final String wireName;

    EmbeddingUpdates(String wireName) {
        this.wireName = wireName;
    }

    /** The name a job request uses. */
    public String wireName() {
        return wireName;
    }

    public static Optional<EmbeddingUpdates> ofWireName(String name) {
        return Arrays.stream(values()).filter(u -> u.wireName.equals(name)).findFirst();
    }

    /** The names a job request may use, in this order. */
    public static String wireNames() {
        return String.join(", ", Arrays.stream(values()).map(EmbeddingUpdates::wireName).toList());
    }
}
