package io.caas.engine.compress.ldr;

import io.caas.engine.compress.GraphEdits;
import io.caas.engine.onnx.Tensors;
import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rewrites a model so that chosen Gemm/MatMul layers take their weight from structured blocks built inside the
 * graph from the generators alone. The file holds the generators (r·n values per factor and block), a handful of
 * small int64 shape vectors: no n×n weight and no n×n index table.
 *
 * <p>Each f-circulant matrix Z_f(v) is built with standard operators from the stored vector u = reverse(v): the
 * sequence e = [u, f·u₀…u_{n−2}, 0] of length 2n is broadcast to n rows and read back with a row stride of 2n−1,
 * which shifts each row by one place; columns n−1…2n−2 of that view are Z_f(v) (row i, column j holds
 * e[n−1+j−i]). Toeplitz-like blocks then are one batched MatMul of [Z₁(g₁)…Z₁(g_r)] with [Z₋₁(h₁);…;Z₋₁(h_r)],
 * the blocks are laid out as the padded in × out weight and sliced to the real one, and the original node
 * multiplies by it (Gemm keeps its C and beta; alpha is already in the generators, transB resolved).
 *
 * <p>The weight depends on initializers only, so ONNX Runtime can fold it once at session start; the engine's
 * interpreter rebuilds it in every forward pass, which is what lets training reach the generators.
 */
final class StructuredExport {

    /** One layer's replacement: its generators per block, block (a, b) at index a·q + b. */
    record Layer(DenseLayer dense, BlockLayout layout, Structure structure, List<Generators> blocks) {
    }

    private final ModelProto model;
    private final Set<String> names;
    private final Map<Integer, List<String>> generatorNames = new HashMap<>();

    StructuredExport(ModelProto model) {
        this.model = model;
        this.names = GraphEdits.takenNames(model.getGraph());
    }

    /** The initializer names holding each replaced node's generators (g, then h for Toeplitz-like), by node index. */
    Map<Integer, List<String>> generatorNames() {
        return generatorNames;
    }

    ModelProto apply(List<Layer> layers) {
        Map<Integer, Layer> byNode = new HashMap<>();
        layers.forEach(l -> byNode.put(l.dense().nodeIndex(), l));
        return GraphEdits.replaceNodes(model, byNode,
                (i, node, layer, nodes, added) -> new LayerGraph(layer, nodes, added).build());
    }

    /**
     * The generators of each block read back from their stored [p, q, r, n] tensors (h null for circulant blocks):
     * the inverse of how the export writes them, for weights trained in the graph.
     */
    static List<Generators> blocksFrom(float[] g, float[] h, int blocks, int r, int n) {
        List<Generators> out = new ArrayList<>(blocks);
        for (int blk = 0; blk < blocks; blk++) {
            double[][] gv = new double[r][n];
            double[][] hv = h == null ? null : new double[r][n];
            for (int i = 0; i < r; i++) {
                for (int k = 0; k < n; k++) {
                    gv[i][n - 1 - k] = g[(blk * r + i) * n + k];
                    if (hv != null) {
                        hv[i][n - 1 - k] = h[(blk * r + i) * n + k];
                    }
                }
            }
            out.add(new Generators(gv, hv));
        }
        return out;
    }

    private String unique(String base) {
        return GraphEdits.unique(names, base);
    }

    /** The nodes and initializers that compute one layer's weight, then the layer's own node reading it. */
    private final class LayerGraph {

        private final Layer layer;
        private final List<NodeProto> nodes;
        private final List<TensorProto> added;
        private final String prefix;
        private final int n;
        private final int p;
        private final int q;

        LayerGraph(Layer layer, List<NodeProto> nodes, List<TensorProto> added) {
            this.layer = layer;
            this.nodes = nodes;
            this.added = added;
            this.prefix = layer.dense().layer().node() + "/ldr_";
            this.n = layer.layout().n();
            this.p = layer.layout().p();
            this.q = layer.layout().q();
        }

        void build() {
            int r = layer.blocks().get(0).rank();
            String gName = generatorTensor("g", r, false);
            String blocks;
            if (layer.structure() == Structure.CIRCULANT) {
                generatorNames.put(layer.dense().nodeIndex(), List.of(gName));
                blocks = reshape(fCirculant(gName, r, 1), p, q, n, n);
            } else {
                String hName = generatorTensor("h", r, true);
                generatorNames.put(layer.dense().nodeIndex(), List.of(gName, hName));
                // Σᵢ Aᵢ·Bᵢ as one product: [A₁ … A_r] (n × r·n) times [B₁; …; B_r] (r·n × n), per block
                String a = reshape(transpose(fCirculant(gName, r, 1), 0, 1, 3, 2, 4), p, q, n, (long) r * n);
                String b = reshape(fCirculant(hName, r, -1), p, q, (long) r * n, n);
                blocks = op("MatMul", List.of(a, b), "blocks");
            }
            String weight = reshape(transpose(blocks, 0, 2, 1, 3), (long) p * n, (long) q * n);
            BlockLayout layout = layer.layout();
            if (layout.paddedIn() != layout.in() || layout.paddedOut() != layout.out()) {
                weight = op("Slice", List.of(weight, ints("starts", 0, 0), ints("ends", layout.in(), layout.out()),
                        ints("axes", 0, 1)), "weight");
            }
            NodeProto node = layer.dense().node();
            NodeProto.Builder rewritten = node.toBuilder().setInput(1, weight).clearAttribute();
            for (AttributeProto attr : node.getAttributeList()) {
                // alpha is in the generators and W is already in × out; beta still applies to C
                if (!attr.getName().equals("alpha") && !attr.getName().equals("transB")) {
                    rewritten.addAttribute(attr);
                }
            }
            nodes.add(rewritten.build());
        }

        /** [p, q, r, n] float initializer; each generator stored reversed (see the class comment). */
        private String generatorTensor(String which, int r, boolean second) {
            float[] data = new float[p * q * r * n];
            for (int blk = 0; blk < p * q; blk++) {
                Generators gen = layer.blocks().get(blk);
                double[][] v = second ? gen.h() : gen.g();
                for (int i = 0; i < r; i++) {
                    for (int k = 0; k < n; k++) {
                        data[(blk * r + i) * n + k] = (float) v[i][n - 1 - k];
                    }
                }
            }
            String name = unique(prefix + which);
            added.add(Tensors.floatTensor(name, data, p, q, r, n));
            return name;
        }

        /** Z_f of every generator in u [p, q, r, n]: [p, q, r, n, n]. */
        private String fCirculant(String u, int r, int f) {
            String head = op("Slice", List.of(u, ints("head_start", 0), ints("head_end", n - 1), ints("last_axis", 3)),
                    "head");
            if (f == -1) {
                // −x as (x − x) − x: exact, and no float constant that would count (and train) as a parameter
                String zero = op("Sub", List.of(head, head), "zero");
                head = op("Sub", List.of(zero, head), "negated_head");
            }
            String e = op("Concat", List.of(u, head), "sequence", axis(3));
            e = op("Pad", List.of(e, ints("pads", 0, 0, 0, 0, 0, 0, 0, 1)), "sequence");
            e = reshape(e, p, q, r, 1, 2L * n);
            e = op("Expand", List.of(e, ints("rows", p, q, r, n, 2L * n)), "rows");
            e = reshape(e, p, q, r, 2L * n * n);
            e = op("Slice", List.of(e, ints("strided_start", 0), ints("strided_end", (long) n * (2L * n - 1)),
                    ints("last_axis", 3)), "strided");
            e = reshape(e, p, q, r, n, 2L * n - 1);
            return op("Slice", List.of(e, ints("window_start", n - 1), ints("window_end", 2L * n - 1),
                    ints("last_axis", 4)), "circulant");
        }

        private String reshape(String x, long... shape) {
            return op("Reshape", List.of(x, ints("shape", shape)), "reshaped");
        }

        private String transpose(String x, long... perm) {
            AttributeProto.Builder a = AttributeProto.newBuilder().setName("perm")
                    .setType(AttributeProto.AttributeType.INTS);
            for (long v : perm) {
                a.addInts(v);
            }
            return op("Transpose", List.of(x), "transposed", a.build());
        }

        private String ints(String what, long... values) {
            String name = unique(prefix + what);
            added.add(Tensors.int64Tensor(name, values, values.length));
            return name;
        }

        private AttributeProto axis(long axis) {
            return AttributeProto.newBuilder().setName("axis").setType(AttributeProto.AttributeType.INT).setI(axis)
                    .build();
        }

        private String op(String type, List<String> inputs, String output, AttributeProto... attrs) {
            String out = unique(prefix + output);
            NodeProto.Builder b = NodeProto.newBuilder().setOpType(type).setName(unique(prefix + type.toLowerCase()))
                    .addAllInput(inputs).addOutput(out);
            for (AttributeProto a : attrs) {
                b.addAttribute(a);
            }
            nodes.add(b.build());
            return out;
        }
    }
}
