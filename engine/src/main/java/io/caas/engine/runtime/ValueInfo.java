package io.caas.engine.runtime;

import io.caas.engine.onnx.proto.Onnx.TensorShapeProto;
import io.caas.engine.onnx.proto.Onnx.ValueInfoProto;
import java.util.ArrayList;
import java.util.List;

/**
 * A graph input or output.
 *
 * @param elementType ONNX TensorProto.DataType number, 0 when the value is not a tensor (sequence, map...)
 * @param dims        dimension sizes, -1 where symbolic or unknown; null when no shape is declared
 */
public record ValueInfo(String name, int elementType, List<Long> dims) {

    static ValueInfo of(ValueInfoProto v) {
        if (!v.hasType() || !v.getType().hasTensorType()) {
            return new ValueInfo(v.getName(), 0, null);
        }
        var tensor = v.getType().getTensorType();
        List<Long> dims = null;
        if (tensor.hasShape()) {
            dims = new ArrayList<>();
            for (TensorShapeProto.Dimension d : tensor.getShape().getDimList()) {
                dims.add(d.hasDimValue() ? d.getDimValue() : -1L);
            }
        }
        return new ValueInfo(v.getName(), tensor.getElemType(), dims);
    }

    public boolean isTensor() {
        return elementType != 0;
    }
}
