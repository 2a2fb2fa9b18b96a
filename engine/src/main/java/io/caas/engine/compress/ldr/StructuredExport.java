package io.caas.engine.compress.ldr;

import io.caas.engine.compress.GraphEdits;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.proto.Onnx.AttributeProto;
import io.caas.engine.onnx.proto.Onnx.GraphProto;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Rewrites a model so that chosen Gemm/MatMul layers compute their product from structured blocks held as
 * generators alone: r·n values per factor and block, a handful of small int64 shape vectors, no n×n weight and no
 * n×n index table. Two forms ({@link Product}):
 *
 * <ul>
 *   <li>FFTs ({@link FourierProduct}): the product goes through ONNX DFT nodes, O(r·n log n) per sample and block.
 *       The model's opset is raised to 17 where that keeps every node's meaning ({@link DftOpset}).</li>
 *   <li>A dense weight rebuilt inside the graph: each f-circulant matrix Z_f(v) is built with standard operators
 *       from the stored vector u = reverse(v): the sequence e = [u, f·u₀…u_{n−2}, 0] of length 2n is broadcast to n
 *       rows and read back with a row stride of 2n−1, which shifts each row by one place; columns n−1…2n−2 of that
 *       view are Z_f(v) (row i, column j holds e[n−1+j−i]). Toeplitz-like blocks then are one batched MatMul of
 *       [Z₁(g₁)…Z₁(g_r)] with [Z₋₁(h₁);…;Z₋₁(h_r)], the blocks are laid out as the padded in × out weight and sliced
 *       to the real one, and the original node multiplies by it (Gemm keeps its C and beta; alpha is already in
 *       the generators, transB resolved). The weight depends on initializers only, so ONNX Runtime folds it once
 *       per session; the interpreter rebuilds it in every forward pass, O(r·n³) per block.</li>
 * </ul>
 *
 * <p>Both forms store the same generator tensors, so a model can be trained in one and exported in the other.
 */
final class StructuredExport {

    /** One layer's replacement: its generators per block, block (a, b) at index a·q + b. */
    record Layer(DenseLayer dense, BlockLayout layout, Structure structure, List<Generators> blocks) {
    }

    private final ModelProto model;
    private final Function<Layer, Product> choice;
    private final DftOpset dft;
    private final Set<String> taken;
    /** The names in use while one {@link #apply} runs: each starts from the model's, so names repeat across calls. */
    private Set<String> names;
    private final Map<Integer, List<String>> generatorNames = new HashMap<>();
    private final Map<Integer, Product> products = new HashMap<>();

    /**
     * Below this block side the interpreter trains the dense rebuild faster than the FFTs, above it the FFTs win
     * and keep winning (LdrProductBenchmarkTest, one training step at batch 64: Toeplitz-like r=2 12 against 11 ms
     * at n = 512, 5× faster with FFTs at 1024, 18× at 2048; circulant 1.2× at 1024, 1.9× at 2048). The rebuild costs
     * O(r·n³) per step whatever the batch, the FFTs O(batch·r·n log n) plus a fixed cost per node.
     */
    static final int FFT_TRAINING_FROM = 1024;

    /** The form {@code product} for every layer, where the model and the layer allow it, else the dense rebuild. */
    StructuredExport(ModelProto model, Product product) {
        this(model, layer -> product);
    }

    /** The form {@code choice} picks for each layer, where the model and the layer allow it, else the dense rebuild. */
    StructuredExport(ModelProto model, Function<Layer, Product> choice) {
        this.model = model;
        this.choice = choice;
        this.dft = DftOpset.of(ModelInspector.defaultOpset(model), operators(model));
        this.taken = GraphEdits.takenNames(model.getGraph());
    }

    /** The initializer names holding each replaced node's generators (g, then h for Toeplitz-like), by node index. */
    Map<Integer, List<String>> generatorNames() {
        return generatorNames;
    }

    /** The form each replaced node got, by node index. */
    Map<Integer, Product> products() {
        return products;
    }

    /** The form the interpreter trains a layer fastest in (see {@link #FFT_TRAINING_FROM}). */
    static Product fastestToTrain(Layer layer) {
        return layer.layout().n() >= FFT_TRAINING_FROM ? Product.FOURIER : Product.DENSE_WEIGHT;
    }

    /**
     * This model exported with {@code layers} in the form {@code product}, with every float initializer that
     * {@code trained} also holds (generators, biases, layers left dense) taken from there: how a model trained in
     * one form is written in another. Both forms name a layer's generators alike.
     */
    ModelProto reformed(ModelProto trained, List<Layer> layers) {
        Map<String, TensorProto> values = new HashMap<>();
        trained.getGraph().getInitializerList().forEach(t -> values.put(t.getName(), t));
        ModelProto out = apply(layers);
        GraphProto.Builder g = out.getGraph().toBuilder();
        for (int i = 0; i < g.getInitializerCount(); i++) {
            TensorProto t = values.get(g.getInitializer(i).getName());
            if (t != null && t.getDataType() == TensorProto.DataType.FLOAT_VALUE) {
                g.setInitializer(i, t);
            }
        }
        return out.toBuilder().setGraph(g).build();
    }

    ModelProto apply(List<Layer> layers) {
        names = new HashSet<>(taken);
        Map<Integer, Layer> byNode = new HashMap<>();
        layers.forEach(l -> byNode.put(l.dense().nodeIndex(), l));
        ModelProto out = GraphEdits.replaceNodes(model, byNode,
                (i, node, layer, nodes, added) -> new LayerGraph(layer, nodes, added).build());
        if (!products.containsValue(Product.FOURIER) || dft.opset() == ModelInspector.defaultOpset(model)) {
            return out;
        }
        ModelProto.Builder raised = out.toBuilder().setIrVersion(Math.max(out.getIrVersion(), DftOpset.IR_VERSION));
        for (int i = 0; i < raised.getOpsetImportCount(); i++) {
            String domain = raised.getOpsetImport(i).getDomain();
            if (domain.isEmpty() || domain.equals("ai.onnx")) {
                raised.setOpsetImport(i, raised.getOpsetImport(i).toBuilder().setVersion(dft.opset()));
            }
        }
        return raised.build();
    }

    private boolean fourier(Layer layer) {
        NodeProto node = layer.dense().node();
        if (choice.apply(layer) != Product.FOURIER || !dft.possible()) {
            return false;
        }
        // beta·C would need a float constant, which would train as a parameter; exporters write beta = 1
        boolean scaledBias = node.getOpType().equals("Gemm") && node.getInputCount() > 2
                && !node.getInput(2).isEmpty() && DenseLayer.floatAttr(node, "beta", 1) != 1;
        return !scaledBias;
    }

    private static Set<String> operators(ModelProto model) {
        Set<String> ops = new HashSet<>();
        model.getGraph().getNodeList().forEach(n -> ops.add(n.getOpType()));
        return ops;
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

    /** The nodes and initializers that compute one layer's product, then the layer's own output. */
    private final class LayerGraph {

        private final Layer layer;
        private final LayerNodes nodes;
        private final int n;
        private final int p;
        private final int q;

        LayerGraph(Layer layer, List<NodeProto> nodes, List<TensorProto> added) {
            this.layer = layer;
            this.nodes = new LayerNodes(layer.dense().layer().node() + "/ldr_", names, nodes, added);
            this.n = layer.layout().n();
            this.p = layer.layout().p();
            this.q = layer.layout().q();
        }

        void build() {
            int r = layer.blocks().get(0).rank();
            String g = generatorTensor("g", r, false);
            String h = layer.structure() == Structure.CIRCULANT ? null : generatorTensor("h", r, true);
            generatorNames.put(layer.dense().nodeIndex(), h == null ? List.of(g) : List.of(g, h));
            Product used = fourier(layer) ? Product.FOURIER : Product.DENSE_WEIGHT;
            products.put(layer.dense().nodeIndex(), used);
            if (used == Product.FOURIER) {
                buildFourier(g, h, r);
            } else {
                buildDenseWeight(g, h, r);
            }
        }

        /** x·M through DFTs, then Gemm's bias added or MatMul's leading axes restored. */
        private void buildFourier(String g, String h, int r) {
            NodeProto node = layer.dense().node();
            String x = node.getInput(0);
            String output = node.getOutput(0);
            FourierProduct product = new FourierProduct(nodes, layer.layout(), r, dft.opset());
            if (node.getOpType().equals("Gemm")) {
                boolean bias = node.getInputCount() > 2 && !node.getInput(2).isEmpty();
                String y = bias ? GraphEdits.unique(names, output + "/ldr_product") : output;
                product.apply(x, g, h, y);
                if (bias) {
                    nodes.writing(output, "Add", List.of(y, node.getInput(2)));
                }
                return;
            }
            // MatMul reads [..., in]: flatten the leading axes, then give them back
            String flat = nodes.reshape(x, -1, layer.layout().in());
            String y = GraphEdits.unique(names, output + "/ldr_product");
            product.apply(flat, g, h, y);
            String leading = nodes.slice(nodes.op("Shape", List.of(x), "shape_of_input"), 0, 0, -1);
            String shape = nodes.op("Concat", List.of(leading, nodes.ints("width", layer.layout().out())),
                    "output_shape", LayerNodes.attr("axis", 0));
            nodes.writing(output, "Reshape", List.of(y, shape));
        }

        private void buildDenseWeight(String g, String h, int r) {
            String blocks;
            if (h == null) {
                blocks = nodes.reshape(fCirculant(g, r, 1), p, q, n, n);
            } else {
                // Σᵢ Aᵢ·Bᵢ as one product: [A₁ … A_r] (n × r·n) times [B₁; …; B_r] (r·n × n), per block
                String a = nodes.reshape(nodes.transpose(fCirculant(g, r, 1), 0, 1, 3, 2, 4), p, q, n, (long) r * n);
                String b = nodes.reshape(fCirculant(h, r, -1), p, q, (long) r * n, n);
                blocks = nodes.op("MatMul", List.of(a, b), "blocks");
            }
            String weight = nodes.reshape(nodes.transpose(blocks, 0, 2, 1, 3), (long) p * n, (long) q * n);
            BlockLayout layout = layer.layout();
            if (layout.paddedIn() != layout.in() || layout.paddedOut() != layout.out()) {
                weight = nodes.op("Slice", List.of(weight, nodes.ints("starts", 0, 0),
                        nodes.ints("ends", layout.in(), layout.out()), nodes.ints("axes", 0, 1)), "weight");
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
            return nodes.floats(which, data, p, q, r, n);
        }

        /** Z_f of every generator in u [p, q, r, n]: [p, q, r, n, n]. */
        private String fCirculant(String u, int r, int f) {
            String head = nodes.slice(u, 3, 0, n - 1);
            if (f == -1) {
                // −x as (x − x) − x: exact, and no float constant that would count (and train) as a parameter
                String zero = nodes.op("Sub", List.of(head, head), "zero");
                head = nodes.op("Sub", List.of(zero, head), "negated_head");
            }
            String e = nodes.op("Concat", List.of(u, head), "sequence", LayerNodes.attr("axis", 3));
            e = nodes.op("Pad", List.of(e, nodes.ints("pads", 0, 0, 0, 0, 0, 0, 0, 1)), "sequence");
            e = nodes.reshape(e, p, q, r, 1, 2L * n);
            e = nodes.op("Expand", List.of(e, nodes.ints("rows", p, q, r, n, 2L * n)), "rows");
            e = nodes.reshape(e, p, q, r, 2L * n * n);
            e = nodes.slice(e, 3, 0, (long) n * (2L * n - 1));
            e = nodes.reshape(e, p, q, r, n, 2L * n - 1);
            return nodes.slice(e, 4, n - 1, 2L * n - 1);
        }
    }
}
