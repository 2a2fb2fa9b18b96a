package io.caas.engine.onnx;

import java.util.List;

/**
 * A node whose weight a compression method could factorize.
 *
 * @param node        node name (generated as "opType_index" when the model leaves it empty)
 * @param weight      name of the initializer or Constant output holding the weight
 * @param weightShape the weight's shape as stored; for a bilinear layer [out, in_x, in_y], the shape of the
 *                    bilinear form (a MatMul pattern stores it flattened, e.g. [in_x, out·in_y])
 * @param parameters  elements in the weight (bias excluded)
 */
public record WeightedLayer(String node, String opType, LayerKind kind, String weight, List<Long> weightShape,
                            long parameters) {

    /**
     * Rows × columns of the matrix a low-rank method factorizes (conv: out × in·kh·kw; recurrent: the directions'
     * W stacked, num_directions·gates·hidden × input); for a bilinear layer the weight's three sides,
     * out × in_x × in_y.
     */
    public long[] matrixShape() {
        return switch (kind) {
            case DENSE -> new long[] {weightShape.get(0), weightShape.get(1)};
            case CONV -> new long[] {weightShape.get(0),
                    weightShape.stream().skip(1).reduce(1L, Math::multiplyExact)};
            case RECURRENT -> new long[] {weightShape.get(0) * weightShape.get(1), weightShape.get(2)};
            case BILINEAR -> new long[] {weightShape.get(0), weightShape.get(1), weightShape.get(2)};
        };
    }
}
