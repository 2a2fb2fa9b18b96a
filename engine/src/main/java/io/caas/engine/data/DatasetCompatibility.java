package io.caas.engine.data;

import io.caas.engine.onnx.TensorSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** Whether a dataset can be fed to a model input, checked before a job is queued rather than when it fails. */
public final class DatasetCompatibility {

    private DatasetCompatibility() {
    }

    /** Every reason the dataset does not fit the input; empty when it does. */
    public static List<String> problems(Dataset data, TensorSpec input) {
        List<String> problems = new ArrayList<>();
        if (!input.elementType().equals("float") && !input.elementType().equals("unknown")) {
            problems.add("model input '" + input.name() + "' takes " + input.elementType()
                    + " values but datasets are float");
        }
        shapeProblem(data.name(), data.sampleShape(), input).ifPresent(problems::add);
        return problems;
    }

    /**
     * Every reason the dataset does not fit the model's inputs: a single-input dataset feeds the first input (a
     * token model derives the others), a dataset with several inputs must have a part for each model input, by
     * name, of the input's shape, and no part the model does not take.
     */
    public static List<String> problems(Dataset data, List<TensorSpec> inputs) {
        if (!data.multiInput()) {
            return inputs.isEmpty() ? List.of() : problems(data, inputs.get(0));
        }
        List<String> problems = new ArrayList<>();
        for (TensorSpec input : inputs) {
            if (!input.elementType().equals("float") && !input.elementType().equals("unknown")) {
                problems.add("model input '" + input.name() + "' takes " + input.elementType()
                        + " values but datasets are float");
            }
        }
        problems.addAll(inputProblems(data.name(), data.inputs(), inputs));
        return problems;
    }

    /**
     * The shape check of a dataset with several inputs, from its layout alone (so that a registry can check a
     * stored dataset without loading it): a part for each model input, by name, of the input's shape, and no part
     * the model does not take.
     */
    public static List<String> inputProblems(String datasetName, List<DatasetInput> parts, List<TensorSpec> inputs) {
        List<String> problems = new ArrayList<>();
        for (TensorSpec input : inputs) {
            Optional<DatasetInput> part = parts.stream().filter(p -> p.name().equals(input.name())).findFirst();
            if (part.isEmpty()) {
                problems.add("dataset '" + datasetName + "' has no array for model input '" + input.name()
                        + "'; it holds " + parts);
            } else {
                shapeProblem(datasetName + "' array '" + input.name(), part.get().sampleShape(), input)
                        .ifPresent(problems::add);
            }
        }
        for (DatasetInput part : parts) {
            if (inputs.stream().noneMatch(i -> i.name().equals(part.name()))) {
                problems.add("dataset '" + datasetName + "' has an array '" + part.name() + "' but the model has "
                        + "no such input; its inputs are " + inputs.stream().map(TensorSpec::name).toList());
            }
        }
        return problems;
    }

    /**
     * Whether samples of this shape fit the input (its dims after the batch one; symbolic dims fit any size). Takes
     * the shape alone so that a registry can check a stored dataset without loading it.
     */
    public static Optional<String> shapeProblem(String datasetName, long[] sample, TensorSpec input) {
        List<Object> shape = input.shape();
        if (shape.isEmpty()) {
            return Optional.empty(); // the model declares no shape; running it will tell
        }
        boolean fits = shape.size() == sample.length + 1;
        for (int i = 1; fits && i < shape.size(); i++) {
            // Number, not Long: a summary read back from JSON holds Integers
            fits = !(shape.get(i) instanceof Number d) || d.longValue() == sample[i - 1];
        }
        if (fits) {
            return Optional.empty();
        }
        List<Object> wanted = shape.subList(1, shape.size());
        String fix = sameValues(sample, wanted)
                ? "; the values per sample are as many, so reshaping each sample to " + wanted + " fixes it"
                : "; give the dataset samples of shape " + wanted + " (a symbolic dim takes any size)";
        return Optional.of("dataset '" + datasetName + "' holds samples of shape " + Arrays.toString(sample)
                + ", but model input '" + input.name() + "' takes " + shape + ", the first dim being the batch: "
                + "samples of shape " + wanted + fix);
    }

    /** Whether a sample of {@code sample} holds as many values as one of {@code wanted} (all dims known). */
    private static boolean sameValues(long[] sample, List<Object> wanted) {
        long have = 1;
        for (long d : sample) {
            have *= d;
        }
        long want = 1;
        for (Object d : wanted) {
            if (!(d instanceof Number n)) {
                return false;
            }
            want *= n.longValue();
        }
        return have == want;
    }

    /** Labels must name classes the model's output has (its last dimension), where that size is known. */
    public static Optional<String> labelProblem(Dataset data, TensorSpec output) {
        return labelProblem(data.name(), data.labelled(), data.classes(), output);
    }

    /** As above, from what a stored dataset records of its labels. */
    public static Optional<String> labelProblem(String name, boolean labelled, int classes, TensorSpec output) {
        if (!labelled || output.shape().isEmpty()) {
            return Optional.empty();
        }
        Object last = output.shape().get(output.shape().size() - 1);
        // A single output is a binary classifier's probability: classes 0 and 1. A Number, not a Long: a summary
        // read back from JSON holds its dims as Integers.
        if (last instanceof Number dim && classes > Math.max(dim.longValue(), 2)) {
            long n = dim.longValue();
            return Optional.of("dataset '" + name + "' has labels of " + classes + " classes (0 to " + (classes - 1)
                    + ") but model output '" + output.name() + "' has shape " + output.shape() + " (" + n
                    + " classes): top-1 and training on these labels need a class score for each; give a dataset "
                    + "labelled for this model, or leave the labels out (labelled=false) to distil its outputs");
        }
        return Optional.empty();
    }

    public static void requireCompatible(Dataset data, TensorSpec input) {
        List<String> problems = problems(data, input);
        if (!problems.isEmpty()) {
            throw new DatasetFormatException(String.join("; ", problems));
        }
    }
}
