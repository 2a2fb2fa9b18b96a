package io.caas.service.dataset;

import io.caas.engine.data.DatasetFormat;
import java.util.Optional;

/**
 * Whether an uploaded dataset's labels are what its uploader expects. IDX keeps labels in a file of their own, so an
 * images file uploaded alone reads as an unlabelled dataset, and a job given it distils the original's outputs where
 * the user meant to measure top-1: such a file is refused unless the upload says labelled=false.
 */
final class LabelExpectation {

    private LabelExpectation() {
    }

    /** Why the dataset is refused, if it is. */
    static Optional<String> problem(DatasetInfo info, String filename, Boolean labelled) {
        String file = filename == null ? "the file" : "'" + filename + "'";
        DatasetFormat format = EngineDatasetReader.parse(info.format());
        if (Boolean.TRUE.equals(labelled) && !info.labelled()) {
            return Optional.of("labelled=true, but " + file + " holds no labels (" + info.format() + ": "
                    + where(format) + ")");
        }
        if (labelled == null && !info.labelled() && format == DatasetFormat.IDX) {
            return Optional.of(file + " holds images without their labels: " + where(format) + ". Upload a zip "
                    + "holding both files, or add labelled=false to use the images without labels (jobs then distil "
                    + "the original model's outputs instead of measuring top-1)");
        }
        return Optional.empty();
    }

    private static String where(DatasetFormat format) {
        return switch (format) {
            case IDX -> "IDX keeps labels in a file of their own, named as the images file with labels-idx1 for "
                    + "images-idx3 (t10k-labels-idx1-ubyte.gz for t10k-images-idx3-ubyte.gz), beside it in a zip";
            case NPZ -> "labels are the array y (or labels) beside x";
            case CSV -> "a CSV's last column is always its label";
            case IMAGE_ZIP -> "an image-folder zip takes each image's class from its folder";
        };
    }
}
