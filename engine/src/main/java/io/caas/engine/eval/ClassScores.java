package io.caas.engine.eval;

import io.caas.engine.data.Dataset;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import java.util.Optional;
import java.util.Set;

/**
 * Whether a model's first output is known to be class scores, the one case where the argmax of an output means a
 * class: the data is labelled, or the output is a Softmax's (through reshaping alone). Several values per sample are
 * otherwise as likely an embedding or a regression vector, whose argmax picks no class.
 */
final class ClassScores {

    /** Operators that end a classifier's head: their output is a distribution over classes. */
    private static final Set<String> DISTRIBUTIONS = Set.of("Softmax", "LogSoftmax");
    /** Operators that move values without changing which is largest in a sample. */
    private static final Set<String> RESHAPING = Set.of("Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze");

    private ClassScores() {
    }

    static boolean known(ModelProto model, Optional<Dataset> data) {
        return data.map(Dataset::labelled).orElse(false) || endsInSoftmax(model.getGraph());
    }

    private static boolean endsInSoftmax(GraphProto graph) {
        if (graph.getOutputCount() == 0) {
            return false;
        }
        String value = graph.getOutput(0).getName();
        for (int hops = 0; hops <= graph.getNodeCount(); hops++) {
            NodeProto producer = producer(graph, value);
            if (producer == null) {
                return false;
            }
            if (DISTRIBUTIONS.contains(producer.getOpType()) && producer.getDomain().isEmpty()) {
                return true;
            }
            if (!RESHAPING.contains(producer.getOpType()) || producer.getInputCount() == 0) {
                return false;
            }
            value = producer.getInput(0);
        }
        return false;
    }

    private static NodeProto producer(GraphProto graph, String value) {
        for (NodeProto node : graph.getNodeList()) {
            if (node.getOutputList().contains(value)) {
                return node;
            }
        }
        return null;
    }
}
