package io.caas.engine.cost;

import io.caas.engine.onnx.GraphIndex;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The nodes that compute a layer in a graph: those downstream of the activations it reads and upstream of the value
 * it writes. Every method's export keeps a replaced layer's input and output values and puts its new nodes between
 * them, so this finds a factorized layer's nodes in the compressed graph by dataflow, whatever they are named; in
 * the original it finds the layer's own node (or a bilinear pattern's nodes). Weight-only chains (a rebuilt or
 * transposed weight) read none of the activations and are left out: ONNX Runtime folds them once per session.
 */
final class LayerSpan {

    private LayerSpan() {
    }

    /** Node indices in graph order; empty where the output is gone or does not depend on the inputs. */
    static List<Integer> of(GraphIndex graph, Collection<String> inputs, String output) {
        Set<Integer> downstream = new HashSet<>();
        Deque<String> values = new ArrayDeque<>(inputs);
        while (!values.isEmpty()) {
            for (int reader : graph.readers(values.pop())) {
                if (downstream.add(reader)) {
                    values.addAll(graph.node(reader).getOutputList());
                }
            }
        }
        Set<Integer> span = new HashSet<>();
        Deque<String> wanted = new ArrayDeque<>(List.of(output));
        Set<Integer> upstream = new HashSet<>();
        while (!wanted.isEmpty()) {
            OptionalInt producer = graph.producer(wanted.pop());
            if (producer.isPresent() && upstream.add(producer.getAsInt())) {
                NodeProto node = graph.node(producer.getAsInt());
                node.getInputList().stream().filter(v -> !v.isEmpty()).forEach(wanted::add);
                if (downstream.contains(producer.getAsInt())) {
                    span.add(producer.getAsInt());
                }
            }
        }
        return span.stream().sorted().toList();
    }
}
