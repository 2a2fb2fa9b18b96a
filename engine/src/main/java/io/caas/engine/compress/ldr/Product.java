package io.caas.engine.compress.ldr;

import java.util.Arrays;
import java.util.Optional;

/** How the exported graph multiplies a layer's input by its structured weight M. */
public enum Product {

    /**
     * Through FFTs with the ONNX DFT operator (opset 17): each circulant factor is a circular correlation, a
     * product of spectra, so a block costs O(r·n log n) per sample and no n×n matrix exists anywhere.
     */
    FOURIER("fft"),
    /**
     * M rebuilt as a dense weight inside the graph from the generators, then one MatMul: any opset, and ONNX
     * Runtime folds the weight once per session, so inference costs what the dense layer costs.
     */
    DENSE_WEIGHT("dense");

    private final String wireName;

    Product(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    static Optional<Product> parse(String name) {
        return Arrays.stream(values()).filter(p -> p.wireName.equalsIgnoreCase(name.strip())).findFirst();
    }
}
