package io.caas.engine.cost;

import io.caas.engine.eval.ValueShapes;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.ToLongFunction;

/**
 * Multiply-accumulates of one node, from its operands' shapes. Only the operators whose cost is products summed
 * over a weight or a second activation are counted (recurrent nodes: their W and R products at every step; the
 * gates' elementwise work is not counted): elementwise operators, pooling, normalisation and DFT count
 * nothing, so a layer applied through FFTs (ldr's {@code apply: fft}) shows fewer MACs than it costs. Its time is in
 * the profile.
 */
final class OperatorMacs {

    private static final Set<String> COUNTED = Set.of("Conv", "ConvInteger", "ConvTranspose", "Gemm", "MatMul",
            "MatMulInteger", "Einsum", "LSTM", "GRU", "RNN");

    private OperatorMacs() {
    }

    static boolean counts(NodeProto node) {
        return (node.getDomain().isEmpty() || node.getDomain().equals("ai.onnx")) && COUNTED.contains(node.getOpType());
    }

    /** The node's MACs; empty where a shape it needs is unknown or the count overflows. */
    static OptionalLong of(NodeProto node, ValueShapes shapes) {
        if (!counts(node) || node.getOutputCount() == 0) {
            return OptionalLong.of(0);
        }
        try {
            Optional<long[]> y = shape(shapes, node.getOutput(0));
            if (y.isEmpty()) {
                return OptionalLong.empty();
            }
            long out = elements(y.get(), 0);
            return switch (node.getOpType()) {
                // each output element sums (in/group)·kh·kw products: W is (out, in/group, kh, kw)
                case "Conv", "ConvInteger" -> times(out, input(node, 1, shapes), w -> elements(w, 1));
                // each input element is spread over (out/group)·kh·kw outputs: W is (in, out/group, kh, kw)
                case "ConvTranspose" -> {
                    Optional<long[]> x = input(node, 0, shapes);
                    yield x.isEmpty() ? OptionalLong.empty()
                            : times(elements(x.get(), 0), input(node, 1, shapes), w -> elements(w, 1));
                }
                case "Gemm" -> {
                    boolean transA = ModelInspector.intAttribute(node, "transA", 0) == 1;
                    yield times(out, input(node, 0, shapes).filter(a -> a.length == 2), a -> transA ? a[0] : a[1]);
                }
                // each output element sums over A's last axis, however the leading axes broadcast
                case "MatMul", "MatMulInteger" ->
                        times(out, input(node, 0, shapes).filter(a -> a.length > 0), a -> a[a.length - 1]);
                case "Einsum" -> einsum(node, shapes, out);
                // every step of every sample projects its input by W (dirs, gates·hidden, in) and its state by R
                // (dirs, gates·hidden, hidden): X's elements over its width are the steps times the batch
                case "LSTM", "GRU", "RNN" -> recurrent(node, shapes);
                default -> OptionalLong.of(0);
            };
        } catch (ArithmeticException e) {
            return OptionalLong.empty();
        }
    }

    private static OptionalLong recurrent(NodeProto node, ValueShapes shapes) {
        Optional<long[]> x = input(node, 0, shapes).filter(s -> s.length == 3);
        Optional<long[]> w = input(node, 1, shapes);
        Optional<long[]> r = input(node, 2, shapes);
        if (x.isEmpty() || w.isEmpty() || r.isEmpty()) {
            return OptionalLong.empty();
        }
        long stepsTimesBatch = x.get()[0] * x.get()[1];
        return OptionalLong.of(Math.multiplyExact(stepsTimesBatch,
                Math.addExact(elements(w.get(), 0), elements(r.get(), 0))));
    }

    /** Output elements times the product of the sizes summed over (the letters the output does not keep). */
    private static OptionalLong einsum(NodeProto node, ValueShapes shapes, long out) {
        String equation = "";
        for (AttributeProto a : node.getAttributeList()) {
            if (a.getName().equals("equation")) {
                equation = a.getS().toStringUtf8().replace(" ", "");
            }
        }
        int arrow = equation.indexOf("->");
        String[] terms = (arrow < 0 ? equation : equation.substring(0, arrow)).split(",", -1);
        if (terms.length != node.getInputCount()) {
            return OptionalLong.empty();
        }
        Map<Character, Long> sizes = new HashMap<>();
        Map<Character, Integer> uses = new HashMap<>();
        for (int i = 0; i < terms.length; i++) {
            Optional<long[]> s = input(node, i, shapes);
            if (s.isEmpty() || !letterSizes(terms[i], s.get(), sizes)) {
                return OptionalLong.empty();
            }
            for (char c : terms[i].replace("...", "").toCharArray()) {
                uses.merge(c, 1, Integer::sum);
            }
        }
        Set<Character> kept = new LinkedHashSet<>();
        if (arrow >= 0) {
            for (char c : equation.substring(arrow + 2).replace("...", "").toCharArray()) {
                kept.add(c);
            }
        } else {
            // implicit output: the letters used once
            uses.forEach((c, n) -> {
                if (n == 1) {
                    kept.add(c);
                }
            });
        }
        long macs = out;
        for (Map.Entry<Character, Long> e : sizes.entrySet()) {
            if (!kept.contains(e.getKey())) {
                macs = Math.multiplyExact(macs, e.getValue());
            }
        }
        return OptionalLong.of(macs);
    }

    /** Reads each letter's size off one operand; letters after an ellipsis count from the end. */
    private static boolean letterSizes(String term, long[] shape, Map<Character, Long> sizes) {
        int ellipsis = term.indexOf("...");
        String left = ellipsis < 0 ? term : term.substring(0, ellipsis);
        String right = ellipsis < 0 ? "" : term.substring(ellipsis + 3);
        if (left.length() + right.length() > shape.length || ellipsis < 0 && left.length() != shape.length) {
            return false;
        }
        for (int i = 0; i < left.length(); i++) {
            sizes.merge(left.charAt(i), shape[i], Math::max); // a broadcast 1 against the real size
        }
        for (int i = 0; i < right.length(); i++) {
            sizes.merge(right.charAt(i), shape[shape.length - right.length() + i], Math::max);
        }
        return true;
    }

    private static OptionalLong times(long n, Optional<long[]> shape, ToLongFunction<long[]> factor) {
        return shape.isEmpty() ? OptionalLong.empty() : OptionalLong.of(Math.multiplyExact(n, factor.applyAsLong(shape.get())));
    }

    private static Optional<long[]> input(NodeProto node, int i, ValueShapes shapes) {
        return i < node.getInputCount() ? shape(shapes, node.getInput(i)) : Optional.empty();
    }

    private static Optional<long[]> shape(ValueShapes shapes, String value) {
        return value.isEmpty() ? Optional.empty() : shapes.of(value);
    }

    /** Product of the dims from {@code from} on. */
    private static long elements(long[] shape, int from) {
        long n = 1;
        for (int i = from; i < shape.length; i++) {
            n = Math.multiplyExact(n, shape[i]);
        }
        return n;
    }

    /** The values a counted node's MACs are read from: its operands and its output. */
    static List<String> operands(NodeProto node) {
        List<String> values = new ArrayList<>(node.getInputList());
        if (node.getOutputCount() > 0) {
            values.add(node.getOutput(0));
        }
        return values;
    }
}
