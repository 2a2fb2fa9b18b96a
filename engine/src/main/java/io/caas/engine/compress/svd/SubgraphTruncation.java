package io.caas.engine.compress.svd;

import io.caas.engine.compress.FactorizedExport;
import io.caas.engine.compress.LayerReport;
import io.caas.engine.compress.LowRankLayers;
import io.caas.engine.compress.calibration.Whitening;
import io.caas.engine.onnx.ModelInspector;
import io.caas.engine.onnx.Subgraphs;
import io.caas.engine.onnx.WeightedLayer;
import io.caas.engine.onnx.Weights;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import io.caas.engine.onnx.proto.Onnx.NodeProto;
import io.caas.engine.onnx.proto.Onnx.TensorProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * svd on the Gemm, MatMul and Conv layers and the recurrent nodes' input weights inside If branches and Loop/Scan
 * bodies: each truncated by its own SVD under the request's per-layer rule (energy, ratio or rank), rewritten in
 * its subgraph, so the model keeps its control flow. The whole-model rules (targetParameters, maxAccuracyDrop,
 * targetSpeedup) and whitening measure the main graph's layers, whose inputs a calibration pass can reach; a layer
 * inside a branch is reached only when the branch is taken, so these leave it dense and say so. The speed check
 * (onlyIfFaster, on by default) cannot cut such a layer out to time it alone either: the whole model's timing against
 * the original decides for it, and the original comes back unless the model is faster. The factors are new initializers of
 * the layer's own subgraph; a weight read from an outer scope is dropped there once nothing reads it any more.
 */
final class SubgraphTruncation {

    /**
     * @param reports one per layer inside a subgraph, factorized or not, with why
     * @param replacements the factors of each layer to factorize, by its path; {@link #applyTo} writes them into the
     *                     model the main graph's layers were replaced in (that replacement keeps every control-flow
     *                     node and its subgraphs as they were)
     */
    record Plan(List<LayerReport> reports, Map<String, FactorizedExport.Replacement> replacements) {

        int factorized() {
            return replacements.size();
        }

        /** {@code model} with the planned layers factorized inside their subgraphs. */
        ModelProto applyTo(ModelProto model) {
            return new FactorizedExport(model, "svd").applyInSubgraphs(replacements);
        }
    }

    private SubgraphTruncation() {
    }

    /**
     * What svd does to each layer inside a subgraph of {@code model}, under {@code params}, with {@code whitening}
     * as resolved for the job (a whitened job leaves them dense rather than truncate them blind to their inputs).
     */
    static Plan plan(ModelProto model, SvdParameters params, Whitening whitening) {
        Weights weights = Weights.inAllScopes(model.getGraph());
        List<LayerReport> reports = new ArrayList<>();
        Map<String, FactorizedExport.Replacement> replacements = new java.util.LinkedHashMap<>();
        Subgraphs.forEach(model.getGraph(), (path, g) -> {
            for (int i = 0; i < g.getNodeCount(); i++) {
                NodeProto node = g.getNode(i);
                String name = Subgraphs.nodePath(path, node, i);
                WeightedLayer layer = ModelInspector.weightedLayer(node, name, weights).orElse(null);
                if (layer == null || !LowRankLayers.eligible(layer)) {
                    continue;
                }
                TensorProto weight = weights.get(layer.weight()).orElseThrow();
                long full = Math.min(layer.matrixShape()[0], layer.matrixShape()[1]);
                String skip = skipReason(params, whitening, layer, weight);
                if (skip != null) {
                    reports.add(new LayerReport(name, layer.opType(), layer.matrixShape(), full, full,
                            layer.parameters(), layer.parameters(), false, skip));
                    continue;
                }
                LayerTruncation f = TruncatedSvdMethod.plainTruncation(layer, i, node, weight);
                int rank = TruncatedSvdMethod.chooseRank(f, params);
                String how = TruncatedSvdMethod.describe(params, f, rank) + ", inside " + path
                        + (params.onlyIfFaster() ? "; not timed alone (a branch or loop body runs only when taken), "
                        + "so the whole model's timing decides" : "");
                long after = (long) rank * (f.rows() + f.cols());
                if (TruncatedSvdMethod.leavesDense(params, rank, f, layer)) {
                    reports.add(new LayerReport(name, layer.opType(), layer.matrixShape(), full, full,
                            layer.parameters(), layer.parameters(), false, "left dense: " + how
                            + " would not shrink it (" + after + " ≥ " + layer.parameters() + " parameters)"));
                    continue;
                }
                replacements.put(name, f.replacement(rank));
                reports.add(new LayerReport(name, layer.opType(), layer.matrixShape(), full, rank,
                        layer.parameters(), after, true, how));
            }
        });
        return new Plan(reports, replacements);
    }

    private static String skipReason(SvdParameters params, Whitening whitening, WeightedLayer layer,
                                     TensorProto weight) {
        if (weight.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
            return "weight is not float32";
        }
        if (!params.layers().isEmpty() && !params.layers().contains(layer.node())) {
            return "not listed in layers";
        }
        String wholeModelRule = switch (params.rule()) {
            case TARGET_PARAMETERS -> "targetParameters";
            case ACCURACY_DROP -> "maxAccuracyDrop";
            case SPEEDUP -> "targetSpeedup";
            default -> null;
        };
        if (wholeModelRule != null) {
            return "kept dense: " + wholeModelRule + " is measured on the main graph's layers, and a layer inside a "
                    + "branch or loop body runs only when it is taken; energy, ratio or rank truncate it";
        }
        if (whitening != Whitening.NONE) {
            return "kept dense: whitening calibrates each layer on its inputs, which a branch or loop body yields "
                    + "only when it is taken; with " + Whitening.PARAMETER + " '" + Whitening.NONE.wireName()
                    + "' svd truncates it by its own spectrum";
        }
        return null;
    }
}
