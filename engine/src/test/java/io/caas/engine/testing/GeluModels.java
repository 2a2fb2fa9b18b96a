package io.caas.engine.testing;

import static io.caas.engine.testing.OnnxModelBuilder.randomWeights;

import io.caas.engine.onnx.proto.Onnx.ModelProto;
import java.util.List;
import java.util.SplittableRandom;

/** Small models holding GELU as exporters spell it out from Erf, and near misses of it. */
public final class GeluModels {

    /** How a model writes its GELU. */
    public enum Form {
        /** PyTorch's export: x * (Erf(x / √2) + 1) * 0.5, as in all-MiniLM-L6-v2. */
        TORCH_EXPORT,
        /** x * 0.5 * (1 + Erf(x · 1/√2)), the half taken first, 1/√2 as a product. */
        HALF_FIRST,
        /** The Erf's result is also a graph output: read outside the pattern. */
        ERF_ALSO_OUTPUT,
        /** 0.49 where the half should be: another function. */
        WRONG_HALF
    }

    private GeluModels() {
    }

    /** x [N, dim] → MatMul (dim × dim) → GELU → y [N, dim] (and "erf" in {@link Form#ERF_ALSO_OUTPUT}). */
    public static ModelProto projectionThenGelu(long seed, int dim, Form form) {
        SplittableRandom r = new SplittableRandom(seed);
        OnnxModelBuilder b = new OnnxModelBuilder("gelu-" + form, 11)
                .input("x", -1, dim)
                .initializer("w", randomWeights(r, dim * dim, dim), dim, dim)
                .constant("root2", new float[] {(float) Math.sqrt(2)})
                .constant("inverse_root2", new float[] {(float) Math.sqrt(0.5)})
                .constant("one", new float[] {1f})
                .constant("half", new float[] {form == Form.WRONG_HALF ? 0.49f : 0.5f})
                .node("MatMul", List.of("x", "w"), List.of("h"));
        if (form == Form.HALF_FIRST) {
            b.node("Mul", List.of("inverse_root2", "h"), List.of("scaled"))
                    .node("Erf", List.of("scaled"), List.of("erf"))
                    .node("Add", List.of("one", "erf"), List.of("shift"))
                    .node("Mul", List.of("h", "half"), List.of("halved"))
                    .node("Mul", List.of("halved", "shift"), List.of("y"));
        } else {
            b.node("Div", List.of("h", "root2"), List.of("scaled"))
                    .node("Erf", List.of("scaled"), List.of("erf"))
                    .node("Add", List.of("erf", "one"), List.of("shift"))
                    .node("Mul", List.of("h", "shift"), List.of("product"))
                    .node("Mul", List.of("product", "half"), List.of("y"));
        }
        b.output("y", -1, dim);
        if (form == Form.ERF_ALSO_OUTPUT) {
            b.output("erf", -1, dim);
        }
        return b.build();
    }
}
