package io.caas.engine.onnx;

import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import java.util.List;
import java.util.Optional;

/**
 * An Einsum node that is a bilinear layer z[b,k] = Σ_ij x[b,i]·W[k,i,j]·y[b,j], as PyTorch writes nn.Bilinear
 * ("bn,anm,bm->ba"): two 2-D activations sharing the batch letter, and a 3-D float weight whose first axis is the
 * output and whose other two each contract with one activation. The operands may come in any order and with any
 * letters; {@code first} is the activation that contracts with the weight's axis 1.
 *
 * @param weight name of the weight (initializer or Constant output), stored [out, inFirst, inSecond]
 * @param first  activation contracted with the weight's axis 1 (size {@code inFirst})
 * @param second activation contracted with the weight's axis 2 (size {@code inSecond})
 * @param output the Einsum's output
 * @param nodes  the Einsum's index, alone
 */
public record BilinearEinsum(String weight, String first, String second, long out, long inFirst, long inSecond,
                             String output, List<Integer> nodes) implements BilinearForm {

    /** The Einsum at {@code index}, if it is a bilinear layer. */
    public static Optional<BilinearEinsum> of(NodeProto node, int index, Weights weights) {
        if (!node.getOpType().equals("Einsum") || !node.getDomain().isEmpty() || node.getInputCount() != 3
                || node.getOutputCount() != 1) {
            return Optional.empty();
        }
        String equation = equation(node).replace(" ", "");
        String[] sides = equation.split("->", -1);
        if (sides.length != 2 || equation.contains(".")) {
            return Optional.empty();
        }
        String[] terms = sides[0].split(",", -1);
        if (terms.length != 3) {
            return Optional.empty();
        }
        int w = -1;
        for (int i = 0; i < 3; i++) {
            Optional<TensorProto> t = weights.get(node.getInput(i)).filter(Tensors::isFloating);
            if (t.isPresent() && t.get().getDimsCount() == 3 && terms[i].length() == 3) {
                if (w >= 0) {
                    return Optional.empty(); // two weights: not a layer on activations
                }
                w = i;
            }
        }
        if (w < 0) {
            return Optional.empty();
        }
        String wl = terms[w];
        List<Long> dims = weights.get(node.getInput(w)).orElseThrow().getDimsList();
        String[] acts = new String[2];
        String[] actNames = new String[2];
        int found = 0;
        for (int i = 0; i < 3; i++) {
            if (i != w) {
                acts[found] = terms[i];
                actNames[found++] = node.getInput(i);
            }
        }
        if (acts[0].length() != 2 || acts[1].length() != 2 || distinct(wl) < 3) {
            return Optional.empty();
        }
        char batch = acts[0].charAt(0);
        String output = sides[1];
        if (acts[1].charAt(0) != batch || wl.indexOf(batch) >= 0
                || !output.equals("" + batch + wl.charAt(0))) {
            return Optional.empty();
        }
        int firstIndex;
        if (acts[0].charAt(1) == wl.charAt(1) && acts[1].charAt(1) == wl.charAt(2)) {
            firstIndex = 0;
        } else if (acts[1].charAt(1) == wl.charAt(1) && acts[0].charAt(1) == wl.charAt(2)) {
            firstIndex = 1;
        } else {
            return Optional.empty();
        }
        return Optional.of(new BilinearEinsum(node.getInput(w), actNames[firstIndex], actNames[1 - firstIndex],
                dims.get(0), dims.get(1), dims.get(2), node.getOutput(0), List.of(index)));
    }

    @Override
    public float[] weightValues(Weights weights) {
        return Tensors.toFloats(weights.get(weight).orElseThrow());
    }

    private static String equation(NodeProto node) {
        for (AttributeProto a : node.getAttributeList()) {
            if (a.getName().equals("equation")) {
                return a.getS().toStringUtf8();
            }
        }
        return "";
    }

    private static long distinct(String s) {
        return s.chars().distinct().count();
    }
}
