package io.caas.service.model;

import io.caas.engine.onnx.LayerKind;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.TensorSpec;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/** A registered model as the API shows it. */
public record ModelResource(UUID id, String name, String filename, long sizeBytes, String sha256,
                            OffsetDateTime createdAt, long irVersion, long opsetVersion, String producer,
                            List<TensorSpec> inputs, List<TensorSpec> outputs, long parameters, long weightBytes,
                            int nodeCount, Map<String, Integer> operators, List<Layer> layers,
                            List<String> unsupportedOperators) {

    /** @param methods the compression methods that can rewrite this layer */
    public record Layer(String node, String opType, LayerKind kind, String weight, List<Long> weightShape,
                        long parameters, List<String> methods) {
    }

    static ModelResource of(ModelRecord m, Function<io.caas.engine.onnx.WeightedLayer, List<String>> methodsFor) {
        ModelSummary s = m.summary();
        List<Layer> layers = s.layers().stream().map(l -> new Layer(l.node(), l.opType(), l.kind(), l.weight(),
                l.weightShape(), l.parameters(), methodsFor.apply(l))).toList();
        return new ModelResource(m.id(), m.name(), m.filename(), m.sizeBytes(), m.sha256(), m.createdAt(),
                s.irVersion(), s.opsetVersion(), s.producer(), s.inputs(), s.outputs(), s.parameters(),
                s.weightBytes(), s.nodeCount(), s.operatorCounts(), layers, s.unsupportedOperators());
    }
}
