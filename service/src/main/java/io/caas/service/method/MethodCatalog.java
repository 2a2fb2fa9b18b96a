package io.caas.service.method;

import io.caas.engine.compress.CompressionMethod;
import io.caas.engine.compress.InvalidParametersException;
import io.caas.engine.compress.MethodDescriptor;
import io.caas.engine.onnx.ModelSummary;
import io.caas.engine.onnx.SubgraphLayer;
import io.caas.engine.onnx.WeightedLayer;
import io.caas.engine.onnx.proto.Onnx.ModelProto;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The compression methods this service offers, by name: the engine's registry, as configured in MethodConfiguration. */
public class MethodCatalog {

    private static final Logger log = LoggerFactory.getLogger(MethodCatalog.class);

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

    /** Of those, the ones that run on the model the layer is in ({@code offers}): a refused method rewrites none. */
    public static List<String> applicableTo(List<String> applicable, List<Offer> offers) {
        return applicable.stream().filter(name -> offers.stream().noneMatch(o -> o.name().equals(name)
                && !o.applies())).toList();
    }

    /**
     * Whether a method can run on a model with its default parameters, and why not where it cannot: the method's own
     * check of the model summary, the same one that refuses a job, so a page offers no method that would be refused.
     *
     * @param reason what the method found missing; null where it applies
     */
    public record Offer(String name, boolean applies, String reason) {
    }

    /**
     * Every method, in catalogue order, as its full check finds the model: the one a job's submission runs, which
     * reads the graph (tied's layer pairs, the weights' types), not only the summary. Made at upload, while the graph
     * is at hand.
     */
    public List<Offer> offers(ModelProto model, ModelSummary summary) {
        List<Offer> offers = new ArrayList<>();
        for (CompressionMethod m : byName.values()) {
            try {
                offers.add(offer(m, () -> m.check(Map.of(), model, summary, true)));
            } catch (RuntimeException e) {
                // never a reason to refuse a model that parsed: this method is then judged by the summary
                log.info("method {} could not check model at upload: {}", m.descriptor().name(), e.toString());
            }
        }
        return offers;
    }

    /**
     * Every method, in catalogue order, as it stands for this model: as checked at upload where it was (null for a
     * model registered before offers were kept, and a method added since is not in it), else by the summary alone.
     */
    public List<Offer> offers(ModelSummary summary, List<Offer> checkedAtUpload) {
        Map<String, Offer> checked = new LinkedHashMap<>();
        if (checkedAtUpload != null) {
            checkedAtUpload.forEach(o -> checked.put(o.name(), o));
        }
        return byName.values().stream().map(m -> checked.containsKey(m.descriptor().name())
                ? checked.get(m.descriptor().name())
                : offer(m, () -> m.validate(Map.of(), summary))).toList();
    }

    private static Offer offer(CompressionMethod m, Runnable check) {
        try {
            check.run();
            return new Offer(m.descriptor().name(), true, null);
        } catch (InvalidParametersException e) {
            return new Offer(m.descriptor().name(), false, String.join("; ", e.problems()));
        }
    }

    /** The methods that can rewrite a layer inside an If branch or a Loop/Scan body. */
    public List<String> applicableInside(SubgraphLayer layer) {
        return byName.values().stream().filter(m -> m.appliesInsideSubgraph(layer.layer()))
                .map(m -> m.descriptor().name()).toList();
    }
}
