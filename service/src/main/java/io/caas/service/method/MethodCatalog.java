package io.caas.service.method;

import io.caas.engine.compress.CompressionMethod;
import io.caas.engine.compress.MethodDescriptor;
import io.caas.engine.onnx.SubgraphLayer;
import io.caas.engine.onnx.WeightedLayer;
import java.util.LinkedHashMap;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The compression methods this service offers, by name: the engine's registry, as configured in MethodConfiguration. */
public class MethodCatalog {

    private final Map<String, CompressionMethod> byName = new LinkedHashMap<>();

    public MethodCatalog(Collection<CompressionMethod> methods) {
        for (CompressionMethod m : methods) {
            if (byName.put(m.descriptor().name(), m) != null) {
                throw new IllegalStateException("two methods named " + m.descriptor().name());
            }
        }
    }

    public Optional<CompressionMethod> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    public List<MethodDescriptor> descriptors() {
        return byName.values().stream().map(CompressionMethod::descriptor).toList();
    }

    public List<String> names() {
        return List.copyOf(byName.keySet());
    }

    /** Methods that can rewrite this layer. */
    public List<String> applicableTo(WeightedLayer layer) {
        return byName.values().stream().filter(m -> m.appliesTo(layer)).map(m -> m.descriptor().name()).toList();
    }

    /** The methods that can rewrite a layer inside an If branch or a Loop/Scan body. */
    public List<String> applicableInside(SubgraphLayer layer) {
        return byName.values().stream().filter(m -> m.appliesInsideSubgraph(layer.layer()))
                .map(m -> m.descriptor().name()).toList();
    }
}
