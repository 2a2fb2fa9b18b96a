package io.caas.engine.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.caas.engine.onnx.TensorSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class DatasetCompatibilityTest {

    private final Dataset images = new Dataset("fm", new long[] {1, 28, 28}, new float[2 * 784], new int[] {0, 9}, 10);

    @Test
    void acceptsMatchingAndSymbolicDims() {
        assertThat(DatasetCompatibility.problems(images, new TensorSpec("x", "float", List.of("N", 1L, 28L, 28L))))
                .isEmpty();
        assertThat(DatasetCompatibility.problems(images, new TensorSpec("x", "float", List.of(1L, "c", "h", "w"))))
                .isEmpty();
        assertThat(DatasetCompatibility.problems(images, new TensorSpec("x", "float", List.of()))).isEmpty();
    }

    @Test
    void namesBothShapesWhenTheyDiffer() {
        TensorSpec wake = new TensorSpec("onnx::Flatten_0", "float", List.of(1L, 16L, 96L));
        assertThatThrownBy(() -> DatasetCompatibility.requireCompatible(images, wake))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("[1, 28, 28]").hasMessageContaining("[1, 16, 96]");
        assertThat(DatasetCompatibility.problems(images, new TensorSpec("ids", "int64", List.of("B", 1L, 28L, 28L))))
                .singleElement().asString().contains("int64");
    }

    /**
     * Said the right way round: what the file holds, what the model takes after its batch dim, and how to get
     * there (before, "expected [batch, 28, 28] to match" named the dataset's shape as if the model wanted it).
     */
    @Test
    void aShapeMismatchSaysWhatTheModelTakesAndHowToFixIt() {
        Dataset flat = new Dataset("fm", new long[] {28, 28}, new float[2 * 784], new int[] {0, 9}, 10);
        assertThat(DatasetCompatibility.problems(flat, new TensorSpec("image", "float", List.of("batch", 1L, 28L,
                28L)))).singleElement().asString()
                .contains("holds samples of shape [28, 28], but model input 'image' takes [batch, 1, 28, 28]")
                .contains("samples of shape [1, 28, 28]")
                .contains("reshaping each sample to [1, 28, 28] fixes it")
                .doesNotContain("expected [batch, 28, 28]");
        assertThat(DatasetCompatibility.problems(images, new TensorSpec("x", "float", List.of("N", 16L, 96L))))
                .singleElement().asString().contains("give the dataset samples of shape [16, 96]");
    }

    @Test
    void aDatasetWithSeveralInputsIsCheckedInputByInput() {
        Dataset two = new Dataset("pairs", new long[] {5}, new float[10], new int[] {0, 1}, 2,
                List.of(new DatasetInput("image", new long[] {1, 2}), new DatasetInput("audio", new long[] {3})));
        List<TensorSpec> fitting = List.of(new TensorSpec("audio", "float", List.of("N", 3L)),
                new TensorSpec("image", "float", List.of("N", 1L, 2L)));
        assertThat(DatasetCompatibility.problems(two, fitting)).isEmpty();

        List<TensorSpec> wrong = List.of(new TensorSpec("image", "float", List.of("N", 2L, 1L)),
                new TensorSpec("text", "float", List.of("N", 4L)));
        assertThat(DatasetCompatibility.problems(two, wrong)).hasSize(3)
                .anySatisfy(p -> assertThat(p).contains("image").contains("[1, 2]").contains("[N, 2, 1]"))
                .anySatisfy(p -> assertThat(p).contains("no array for model input 'text'"))
                .anySatisfy(p -> assertThat(p).contains("'audio' but the model has no such input"));
    }

    @Test
    void checksLabelsAgainstOutputClasses() {
        assertThat(DatasetCompatibility.labelProblem(images, new TensorSpec("y", "float", List.of("N", 2L))))
                .get().asString().contains("10 classes").contains("[N, 2]");
        assertThat(DatasetCompatibility.labelProblem(images, new TensorSpec("y", "float", List.of("N", 10L))))
                .isEmpty();
    }
}
