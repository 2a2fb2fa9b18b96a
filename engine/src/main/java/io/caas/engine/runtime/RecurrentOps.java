package io.caas.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * LSTM, GRU and RNN as ONNX defines them: every direction, {@code sequence_lens}, initial states, {@code layout},
 * activations with their alphas and betas, {@code clip}, LSTM's peepholes and {@code input_forget}, GRU's
 * {@code linear_before_reset}. Each step is ordinary array arithmetic, so gradients reach W, R and B through
 * every step that ran. The input projection of all steps is one MatMul up front; only the recurrent part loops.
 */
final class RecurrentOps {

    private RecurrentOps() {
    }

    static void register(Map<String, Operator> r) {
        r.put("LSTM", c -> run(c, Kind.LSTM));
        r.put("GRU", c -> run(c, Kind.GRU));
        r.put("RNN", c -> run(c, Kind.RNN));
    }

    /** Gates per kind and their default activations (f, g, h as ONNX names them). */
    private enum Kind {
        LSTM(4, List.of("Sigmoid", "Tanh", "Tanh")),
        GRU(3, List.of("Sigmoid", "Tanh")),
        RNN(1, List.of("Tanh"));

        final int gates;
        final List<String> defaultActivations;

        Kind(int gates, List<String> defaultActivations) {
            this.gates = gates;
            this.defaultActivations = defaultActivations;
        }
    }

    private static NDList run(OpCall c, Kind kind) {
        long hidden = c.attrInt("hidden_size", -1);
        String direction = c.attrString("direction", "forward");
        int directions = direction.equals("bidirectional") ? 2 : 1;
        boolean batchFirst = c.attrInt("layout", 0) != 0;
        NDArray x = c.in(0);
        if (batchFirst) {
            x = x.transpose(1, 0, 2);
        }
        NDArray w = c.in(1);
        NDArray rw = c.in(2);
        if (hidden < 0) {
            hidden = rw.getShape().get(2);
        }
        long steps = x.getShape().get(0);
        long batch = x.getShape().get(1);
        NDArray lengths = c.has(4) ? c.in(4).toType(DataType.INT64, false) : null;
        NDArray h0 = c.has(5) ? c.in(5) : null;
        NDArray c0 = kind == Kind.LSTM && c.has(6) ? c.in(6) : null;
        if (batchFirst) {
            h0 = h0 == null ? null : h0.transpose(1, 0, 2);
            c0 = c0 == null ? null : c0.transpose(1, 0, 2);
        }
        List<UnaryOperator<NDArray>> activations = activations(c, kind, directions);
        float clip = c.node().has("clip") ? c.attrFloat("clip", 0) : Float.NaN;

        List<NDArray> ys = new ArrayList<>();
        List<NDArray> hs = new ArrayList<>();
        List<NDArray> cs = new ArrayList<>();
        for (int d = 0; d < directions; d++) {
            boolean reverse = direction.equals("reverse") || d == 1;
            DirectionWeights weights = new DirectionWeights(w.get(d), rw.get(d), c.has(3) ? c.in(3).get(d) : null,
                    kind == Kind.LSTM && c.has(7) ? c.in(7).get(d) : null);
            NDArray h = h0 != null ? h0.get(d) : c.manager().zeros(new Shape(batch, hidden), x.getDataType(), x.getDevice());
            NDArray cell = kind != Kind.LSTM ? null
                    : c0 != null ? c0.get(d) : c.manager().zeros(new Shape(batch, hidden), x.getDataType(), x.getDevice());
            List<UnaryOperator<NDArray>> fns = activations.subList(d * kind.defaultActivations.size(),
                    (d + 1) * kind.defaultActivations.size());
            // Every step's input projection at once: [steps, batch, gates·hidden].
            NDArray projected = x.matMul(weights.w.transpose());
            if (weights.wb != null) {
                projected = projected.add(weights.wb);
            }
            NDArray[] outputs = new NDArray[(int) steps];
            for (long i = 0; i < steps; i++) {
                long t = reverse ? steps - 1 - i : i;
                NDArray xt = projected.get(t);
                NDArray[] next = switch (kind) {
                    case LSTM -> lstmStep(c, xt, h, cell, weights, fns, clip);
                    case GRU -> new NDArray[] {gruStep(c, xt, h, weights, fns, clip)};
                    case RNN -> new NDArray[] {fns.get(0).apply(clip(xt.add(recurrent(h, weights)), clip))};
                };
                NDArray hNext = next[0];
                NDArray cNext = kind == Kind.LSTM ? next[1] : null;
                if (lengths != null) {
                    // Past a sequence's end its state holds and its output is zero.
                    NDArray valid = lengths.gt(t).reshape(batch, 1).broadcast(hNext.getShape());
                    hNext = NDArrays.where(valid, hNext, h);
                    cNext = cNext == null ? null : NDArrays.where(valid, cNext, cell);
                    outputs[(int) t] = NDArrays.where(valid, hNext, hNext.zerosLike());
                } else {
                    outputs[(int) t] = hNext;
                }
                h = hNext;
                cell = cNext;
            }
            ys.add(NDArrays.stack(new NDList(outputs), 0)); // [steps, batch, hidden]
            hs.add(h);
            if (cell != null) {
                cs.add(cell);
            }
        }
        NDArray y = NDArrays.stack(new NDList(ys), 1); // [steps, directions, batch, hidden]
        NDArray yh = NDArrays.stack(new NDList(hs), 0); // [directions, batch, hidden]
        NDArray yc = cs.isEmpty() ? null : NDArrays.stack(new NDList(cs), 0);
        if (batchFirst) {
            y = y.transpose(2, 0, 1, 3);
            yh = yh.transpose(1, 0, 2);
            yc = yc == null ? null : yc.transpose(1, 0, 2);
        }
        NDList out = new NDList(y, yh);
        if (kind == Kind.LSTM) {
            out.add(yc);
        }
        return out;
    }

    /** One direction's weights: W and R with their gate blocks as rows, the two biases, LSTM's peepholes. */
    private static final class DirectionWeights {
        final NDArray w;
        final NDArray r;
        final NDArray wb;
        final NDArray rb;
        final NDArray[] peepholes;

        DirectionWeights(NDArray w, NDArray r, NDArray bias, NDArray peephole) {
            this.w = w;
            this.r = r;
            if (bias != null) {
                NDList halves = bias.split(2);
                this.wb = halves.get(0);
                this.rb = halves.get(1);
            } else {
                this.wb = null;
                this.rb = null;
            }
            this.peepholes = peephole == null ? null : peephole.split(3).toArray(new NDArray[0]);
        }
    }

    private static NDArray recurrent(NDArray h, DirectionWeights weights) {
        NDArray hr = h.matMul(weights.r.transpose());
        return weights.rb == null ? hr : hr.add(weights.rb);
    }

    /** Gates in ONNX's order i, o, f, c; peepholes i, o, f. */
    private static NDArray[] lstmStep(OpCall c, NDArray xt, NDArray h, NDArray cell, DirectionWeights weights,
                                      List<UnaryOperator<NDArray>> fns, float clip) {
        NDList gates = xt.add(recurrent(h, weights)).split(4, 1);
        NDArray i = gates.get(0);
        NDArray o = gates.get(1);
        NDArray f = gates.get(2);
        NDArray g = gates.get(3);
        if (weights.peepholes != null) {
            i = i.add(weights.peepholes[0].mul(cell));
            f = f.add(weights.peepholes[2].mul(cell));
        }
        NDArray it = fns.get(0).apply(clip(i, clip));
        NDArray ft = c.attrInt("input_forget", 0) != 0 ? it.neg().add(1) : fns.get(0).apply(clip(f, clip));
        NDArray ct = fns.get(1).apply(clip(g, clip));
        NDArray cNext = ft.mul(cell).add(it.mul(ct));
        if (weights.peepholes != null) {
            o = o.add(weights.peepholes[1].mul(cNext));
        }
        NDArray ot = fns.get(0).apply(clip(o, clip));
        return new NDArray[] {ot.mul(fns.get(2).apply(cNext)), cNext};
    }

    /** Gates in ONNX's order z, r, h. */
    private static NDArray gruStep(OpCall c, NDArray xt, NDArray h, DirectionWeights weights,
                                   List<UnaryOperator<NDArray>> fns, float clip) {
        NDList xg = xt.split(3, 1);
        NDList rw = weights.r.split(3, 0);
        NDList rb = weights.rb == null ? null : weights.rb.split(3);
        NDArray zPre = xg.get(0).add(h.matMul(rw.get(0).transpose()));
        NDArray rPre = xg.get(1).add(h.matMul(rw.get(1).transpose()));
        if (rb != null) {
            zPre = zPre.add(rb.get(0));
            rPre = rPre.add(rb.get(1));
        }
        NDArray z = fns.get(0).apply(clip(zPre, clip));
        NDArray r = fns.get(0).apply(clip(rPre, clip));
        NDArray candidate;
        if (c.attrInt("linear_before_reset", 0) != 0) {
            NDArray hr = h.matMul(rw.get(2).transpose());
            if (rb != null) {
                hr = hr.add(rb.get(2));
            }
            candidate = xg.get(2).add(r.mul(hr));
        } else {
            candidate = xg.get(2).add(r.mul(h).matMul(rw.get(2).transpose()));
            if (rb != null) {
                candidate = candidate.add(rb.get(2));
            }
        }
        NDArray ht = fns.get(1).apply(clip(candidate, clip));
        return z.neg().add(1).mul(ht).add(z.mul(h));
    }

    private static NDArray clip(NDArray x, float clip) {
        return Float.isNaN(clip) ? x : x.clip(-clip, clip);
    }

    /**
     * The activations of each direction in turn (the defaults when none are given), with their alphas and betas
     * taken in order by the functions that have them, as ONNX Runtime reads the two lists.
     */
    private static List<UnaryOperator<NDArray>> activations(OpCall c, Kind kind, int directions) {
        List<String> names = new ArrayList<>();
        var attr = c.node().attributes().get("activations");
        if (attr != null && attr.getStringsCount() > 0) {
            attr.getStringsList().forEach(s -> names.add(s.toStringUtf8()));
        } else {
            for (int d = 0; d < directions; d++) {
                names.addAll(kind.defaultActivations);
            }
        }
        if (names.size() != kind.defaultActivations.size() * directions) {
            throw new IllegalArgumentException(c.node().describe() + " lists " + names.size() + " activations; "
                    + kind + " takes " + kind.defaultActivations.size() + " per direction");
        }
        float[] alphas = c.node().attrFloats("activation_alpha");
        float[] betas = c.node().attrFloats("activation_beta");
        int[] next = new int[2];
        List<UnaryOperator<NDArray>> fns = new ArrayList<>();
        for (String name : names) {
            fns.add(activation(c, name, alphas, betas, next));
        }
        return fns;
    }

    private static UnaryOperator<NDArray> activation(OpCall c, String name, float[] alphas, float[] betas, int[] next) {
        String n = name.toLowerCase(Locale.ROOT);
        boolean usesAlpha = switch (n) {
            case "affine", "leakyrelu", "thresholdedrelu", "scaledtanh", "hardsigmoid", "elu" -> true;
            default -> false;
        };
        boolean usesBeta = switch (n) {
            case "affine", "scaledtanh", "hardsigmoid" -> true;
            default -> false;
        };
        float alpha = usesAlpha ? take(alphas, next, 0, defaultAlpha(n)) : 0;
        float beta = usesBeta ? take(betas, next, 1, n.equals("hardsigmoid") ? 0.5f : 0) : 0;
        return switch (n) {
            case "sigmoid" -> Activation::sigmoid;
            case "tanh" -> NDArray::tanh;
            case "relu" -> Activation::relu;
            case "affine" -> v -> v.mul(alpha).add(beta);
            case "leakyrelu" -> v -> Activation.leakyRelu(v, alpha);
            case "thresholdedrelu" -> v -> NDArrays.where(v.gt(alpha), v, v.zerosLike());
            case "scaledtanh" -> v -> v.mul(beta).tanh().mul(alpha);
            case "hardsigmoid" -> v -> v.mul(alpha).add(beta).clip(0, 1);
            case "elu" -> v -> NDArrays.where(v.gt(0), v, v.exp().sub(1).mul(alpha));
            case "softsign" -> v -> v.div(v.abs().add(1));
            case "softplus" -> v -> v.exp().add(1).log();
            default -> throw c.unsupported("recurrent activation " + name + " is not supported");
        };
    }

    private static float defaultAlpha(String n) {
        return switch (n) {
            case "leakyrelu" -> 0.01f;
            case "hardsigmoid" -> 0.2f;
            case "elu", "thresholdedrelu", "scaledtanh", "affine" -> 1f;
            default -> 0;
        };
    }

    private static float take(float[] values, int[] next, int which, float fallback) {
        return values != null && next[which] < values.length ? values[next[which]++] : fallback;
    }
}
