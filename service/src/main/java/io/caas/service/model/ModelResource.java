package io.caas.service.model;

import io.caas.engine.cost.MacCount;
import io.caas.engine.cost.MacCounter;
import io.caas.engine.onnx.LayerKind;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.SubgraphLayer;
import io.caas.engine.onnx.WeightedLayer;
import io.caas.service.method.MethodCatalog;
import io.caas.engine.onnx.TensorSpec;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A registered model as the API shows it.
 *
 * @param macs    the model's multiply-accumulates for one sample; null for a model registered before they were counted
 * @param methods every compression method, whether it can run on this model and, where not, why
 */
public record ModelResource(UUID id, String name, String filename, long sizeBytes, String sha256,
                            OffsetDateTime createdAt, long irVersion, long opsetVersion, String producer,
                            List<TensorSpec> inputs, List<TensorSpec> outputs, long parameters, long weightBytes,
                            int nodeCount, Map<String, Integer> operators, List<Layer> layers,
                            List<String> unsupportedOperators, MacTotals macs, List<MethodCatalog.Offer> methods) {

    /**
     * @param macs    multiply-accumulates of this layer for one sample ({@link MacTotals#sampleShape()}), for a layer
     *                inside a subgraph per run of that subgraph (a branch runs when taken, a loop body once per
     *                iteration, so those are in no total); null where they were not counted
     * @param methods  the compression methods that can rewrite this layer
     * @param subgraph for a layer inside an If branch or a Loop/Scan body, that subgraph's path
     *                 ({@code /If[then_branch]}); null in the main graph
     */
    public record Layer(String node, String opType, LayerKind kind, String weight, List<Long> weightShape,
                        long parameters, Long macs, List<String> methods, String subgraph) {
    }

    /**
     * The model's layers, each with the methods that rewrite it among those {@code offers} says run on the model,
     * and its MACs where counted.
     */
    static List<Layer> layers(ModelRecord m, MethodCatalog methods, List<MethodCatalog.Offer> offers) {
        Map<String, Long> byLayer = new HashMap<>();
        Map<String, Long> nested = new HashMap<>();
        if (m.macs() != null) {
            m.macs().layers().stream().filter(l -> l.macs() != null)
                    .forEach(l -> byLayer.putIfAbsent(l.node(), l.macs()));
            m.macs().nested().stream().filter(l -> l.macs() != null).forEach(l -> nested.put(l.node(), l.macs()));
        }
        List<Layer> layers = new ArrayList<>();
        m.summary().layers().forEach(l -> layers.add(new Layer(l.node(), l.opType(), l.kind(), l.weight(),
                l.weightShape(), l.parameters(), byLayer.get(l.node()),
                MethodCatalog.applicableTo(methods.applicableTo(l), offers), null)));
        // the inspector lists a subgraph's layers together (Subgraphs.forEach), so they come grouped
        for (SubgraphLayer sl : m.summary().subgraphLayers()) {
            WeightedLayer l = sl.layer();
            layers.add(new Layer(l.node(), l.opType(), l.kind(), l.weight(), l.weightShape(), l.parameters(),
                    nested.get(l.node()), MethodCatalog.applicableTo(methods.applicableInside(sl), offers),
                    sl.subgraph()));
        }
        return layers;
    }

    /**
     * @param sampleShape the sample counted for, without the batch dim: the model's declared input shape, each
     *                    symbolic dim other than the batch taken as {@value MacCounter#SYMBOLIC_DIM}
     * @param layersTotal the layers' MACs together
     * @param total       every Conv, ConvTranspose, Gemm, MatMul and Einsum of the graph (also products of two
     *                    activations, such as attention scores)
     * @param note        what was not counted, and why
     */
    public record MacTotals(long[] sampleShape, Long layersTotal, Long total, String note) {
    }

    /**
     * @param layers the API's view of the model's layers: those of the main graph, then those inside its subgraphs,
     *               grouped by subgraph
     */
    static ModelResource of(ModelRecord m, List<Layer> layers, List<MethodCatalog.Offer> methods) {
        ModelSummary s = m.summary();
        MacCount macs = m.macs();
        return new ModelResource(m.id(), m.name(), m.filename(), m.sizeBytes(), m.sha256(), m.createdAt(),
                s.irVersion(), s.opsetVersion(), s.producer(), s.inputs(), s.outputs(), s.parameters(),
                s.weightBytes(), s.nodeCount(), s.operatorCounts(), layers, s.unsupportedOperators(),
                macs == null ? null : new MacTotals(macs.sampleShape(), macs.layersTotal(), macs.total(), macs.note()),
                methods);
    }
}
