package io.caas.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Einsum without ellipsis and without a letter repeated inside one operand (no diagonals): the forms layers use,
 * such as PyTorch's bilinear "bi,kij,bj->bk". DJL has no einsum, so operands are contracted pairwise, left to
 * right, each pair as one batched matMul after transposes and reshapes; every step is an autograd-tracked DJL op,
 * so the einsum trains like any other node.
 */
final class EinsumOp {

    private EinsumOp() {
    }

    static void register(Map<String, Operator> r) {
        r.put("Einsum", EinsumOp::apply);
    }

    /** An operand with one letter per axis. */
    private record Term(NDArray array, String labels) {
    }

    private static NDList apply(OpCall c) {
        String equation = c.attrString("equation", "").replace(" ", "");
        if (equation.contains(".")) {
            throw c.unsupported("Einsum with an ellipsis ('" + equation + "') is not supported");
        }
        String[] sides = equation.split("->", -1);
        String[] inputs = sides[0].split(",", -1);
        if (inputs.length != c.inputCount()) {
            throw new IllegalArgumentException("Einsum '" + equation + "' names " + inputs.length
                    + " operands but the node has " + c.inputCount());
        }
        Map<Character, Long> sizes = new LinkedHashMap<>();
        List<Term> terms = new ArrayList<>();
        for (int i = 0; i < inputs.length; i++) {
            NDArray x = c.in(i);
            String labels = inputs[i];
            long[] dims = x.getShape().getShape();
            if (labels.length() != dims.length) {
                throw new IllegalArgumentException("Einsum '" + equation + "': operand " + i + " has rank "
                        + dims.length + " but '" + labels + "' names " + labels.length() + " axes");
            }
            for (int a = 0; a < labels.length(); a++) {
                char l = labels.charAt(a);
                if (labels.indexOf(l) != a) {
                    throw c.unsupported("Einsum with a repeated letter in one operand ('" + labels
                            + "', a diagonal) is not supported");
                }
                Long seen = sizes.putIfAbsent(l, dims[a]);
                if (seen != null && seen != dims[a]) {
                    throw new IllegalArgumentException("Einsum '" + equation + "': axis '" + l + "' is " + seen
                            + " in one operand and " + dims[a] + " in another");
                }
            }
            terms.add(new Term(x, labels));
        }
        String output = sides.length > 1 ? sides[1] : implicitOutput(inputs);

        Term current = terms.get(0);
        for (int i = 1; i < terms.size(); i++) {
            String keep = output + String.join("", inputs).substring(prefixLength(inputs, i + 1));
            current = contract(current, terms.get(i), keep, sizes);
        }
        current = sumOut(current, output);
        int[] order = new int[output.length()];
        for (int a = 0; a < order.length; a++) {
            order[a] = current.labels().indexOf(output.charAt(a));
        }
        NDArray result = order.length > 1 ? current.array().transpose(order) : current.array();
        return new NDList(result);
    }

    /** Implicit mode: the letters that occur once, in alphabetical order. */
    private static String implicitOutput(String[] inputs) {
        String all = String.join("", inputs);
        StringBuilder out = new StringBuilder();
        all.chars().sorted().distinct().filter(ch -> all.indexOf(ch) == all.lastIndexOf(ch))
                .forEach(ch -> out.append((char) ch));
        return out.toString();
    }

    private static int prefixLength(String[] inputs, int count) {
        int n = 0;
        for (int i = 0; i < count; i++) {
            n += inputs[i].length();
        }
        return n;
    }

    /** Sums the axes whose letters are not in {@code keep}. */
    private static Term sumOut(Term t, String keep) {
        List<Integer> axes = new ArrayList<>();
        StringBuilder left = new StringBuilder();
        for (int a = 0; a < t.labels().length(); a++) {
            if (keep.indexOf(t.labels().charAt(a)) < 0) {
                axes.add(a);
            } else {
                left.append(t.labels().charAt(a));
            }
        }
        if (axes.isEmpty()) {
            return t;
        }
        return new Term(t.array().sum(axes.stream().mapToInt(Integer::intValue).toArray()), left.toString());
    }

    /**
     * a ⊗ b with the shared letters that are still needed as batch axes and the others contracted:
     * a as [batch, aOnly, shared], b as [batch, shared, bOnly], one matMul.
     */
    private static Term contract(Term a, Term b, String keep, Map<Character, Long> sizes) {
        a = sumOut(a, keep + b.labels());
        b = sumOut(b, keep + a.labels());
        StringBuilder batch = new StringBuilder();
        StringBuilder summed = new StringBuilder();
        StringBuilder aOnly = new StringBuilder();
        for (char l : a.labels().toCharArray()) {
            if (b.labels().indexOf(l) >= 0) {
                (keep.indexOf(l) >= 0 ? batch : summed).append(l);
            } else {
                aOnly.append(l);
            }
        }
        StringBuilder bOnly = new StringBuilder();
        for (char l : b.labels().toCharArray()) {
            if (a.labels().indexOf(l) < 0) {
                bOnly.append(l);
            }
        }
        NDArray left = arrange(a, batch + aOnly.toString() + summed)
                .reshape(product(batch, sizes), product(aOnly, sizes), product(summed, sizes));
        NDArray right = arrange(b, batch + summed.toString() + bOnly)
                .reshape(product(batch, sizes), product(summed, sizes), product(bOnly, sizes));
        String labels = batch.toString() + aOnly + bOnly;
        long[] dims = new long[labels.length()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = sizes.get(labels.charAt(i));
        }
        return new Term(left.matMul(right).reshape(new Shape(dims)), labels);
    }

    private static NDArray arrange(Term t, String order) {
        int[] axes = new int[order.length()];
        boolean identity = true;
        for (int i = 0; i < axes.length; i++) {
            axes[i] = t.labels().indexOf(order.charAt(i));
            identity &= axes[i] == i;
        }
        return identity || axes.length < 2 ? t.array() : t.array().transpose(axes);
    }

    private static long product(CharSequence letters, Map<Character, Long> sizes) {
        long p = 1;
        for (int i = 0; i < letters.length(); i++) {
            p *= sizes.get(letters.charAt(i));
        }
        return p;
    }
}
