package io.caas.service.method;

import io.caas.engine.compress.CompressionMethod;
import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.compress.MethodDescriptor;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.SubgraphLayer;
import io.caas.engine.onnx.WeightedLayer;
import java.util.Collection;
import java.util.LinkedHashMap;
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

    /**
     * Whether a method can run on a model with its default parameters, and why not where it cannot: the method's own
     * check of the model summary, the same one that refuses a job, so a page offers no method that would be refused.
     *
     * @param reason what the method found missing; null where it applies
     */
    public record Offer(String name, boolean applies, String reason) {
    }

    /** Every method, in catalogue order, as it stands for this model. */
    public List<Offer> offers(ModelSummary model) {
        return byName.values().stream().map(m -> {
            try {
                m.validate(Map.of(), model);
                return new Offer(m.descriptor().name(), true, null);
            } catch (InvalidParametersException e) {
                return new Offer(m.descriptor().name(), false, String.join("; ", e.problems()));
            }
        }).toList();
    }

    /** The methods that can rewrite a layer inside an If branch or a Loop/Scan body. */
    public List<String> applicableInside(SubgraphLayer layer) {
        return byName.values().stream().filter(m -> m.appliesInsideSubgraph(layer.layer()))
                .map(m -> m.descriptor().name()).toList();
    }
}
