package io.caas.engine.train;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * The kinds of weights a fine-tuning run may train; a job's budget names the ones it wants ({@code train}).
 * Every learnable weight of a model is of exactly one kind.
 */
public enum TrainableGroup {

    /** Weights the compression method wrote: factors, cores, generators, shared weights. */
    COMPRESSED("compressed"),
    /** Every other weight: layers the method left as they were, biases, convolutions. */
    OTHER("other"),
    /**
     * Scale and shift of a normalisation (LayerNormalization, BatchNormalization, InstanceNormalization, and the
     * LayerNorm pattern exporters write from elementary operators), and a BatchNormalization's running statistics.
     */
    NORMALIZATION("normalization"),
    /** Tables read only through Gather: token, position and type embeddings. */
    EMBEDDINGS("embeddings");

    /**
     * What fine-tuning trains unless the job says otherwise: what the method changed and the other layers, with
     * embeddings and normalisation frozen. Measured on all-MiniLM-L6-v2 (BENCHMARKS.md, "oialr distillation step"):
     * the word-embedding table alone is half the model's parameters, and Adam over it cost more per step than the
     * rest of the update; distilling a model into itself, updates of the embeddings and LayerNorms only drift it.
     */
    public static final Set<TrainableGroup> DEFAULT = Set.copyOf(EnumSet.of(COMPRESSED, OTHER));

    private final String wireName;

    TrainableGroup(String wireName) {
        this.wireName = wireName;
    }

    /** The name a job request uses. */
    public String wireName() {
        return wireName;
    }

    public static Optional<TrainableGroup> ofWireName(String name) {
        return Arrays.stream(values()).filter(g -> g.wireName.equals(name)).findFirst();
    }

    /** The names a job request may use, in this order. */
    public static String wireNames() {
        return String.join(", ", Arrays.stream(values()).map(TrainableGroup::wireName).toList());
    }
}
