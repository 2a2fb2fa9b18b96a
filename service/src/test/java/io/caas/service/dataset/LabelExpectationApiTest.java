package io.caas.service.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import io.caas.service.support.Api;
import io.caas.service.support.FloatNpz;
import io.caas.service.support.H2ServiceTest;
import io.caas.service.support.TestMaterial;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

/**
 * A Fashion-MNIST images file uploaded without its labels file read as an unlabelled dataset without a word, so a
 * job given it distilled where the user meant to measure top-1 (issue 17): it is refused, saying what to add,
 * unless the upload says labelled=false; labelled=true refuses any file without labels.
 */
class LabelExpectationApiTest extends H2ServiceTest {

    @Test
    void idxImagesWithoutTheirLabelsAreRefusedUnlessTheUploadSaysSo() throws Exception {
        byte[] images = Files.readAllBytes(TestMaterial.fashionMnist("t10k-images-idx3-ubyte.gz"));
        var storedBefore = DatasetApiTest.stored();
        String listedBefore = api.get("/v1/datasets?limit=500").json().get("items").toString();
        Api.Response refused = api.postRaw("/v1/datasets?filename=t10k-images-idx3-ubyte.gz", images,
                MediaType.APPLICATION_OCTET_STREAM);
        assertThat(refused.status()).as(new String(refused.body())).isEqualTo(422);
        assertThat(refused.headers().getContentType().toString()).startsWith("application/problem+json");
        assertThat(refused.json().get("detail").asText()).contains("holds images without their labels")
                .contains("t10k-labels-idx1-ubyte.gz").contains("labelled=false");
        assertThat(api.get("/v1/datasets?limit=500").json().get("items").toString()).as("nothing registered")
                .isEqualTo(listedBefore);
        assertThat(DatasetApiTest.stored()).as("nothing kept").isEqualTo(storedBefore);

        Api.Response accepted = api.postRaw("/v1/datasets?filename=t10k-images-idx3-ubyte.gz&labelled=false",
                images, MediaType.APPLICATION_OCTET_STREAM);
        assertThat(accepted.status()).as(new String(accepted.body())).isEqualTo(201);
        assertThat(accepted.json().get("labelled").asBoolean()).isFalse();
    }

    @Test
    void labelledTrueRefusesAFileWithoutLabels() throws Exception {
        Api.Response r = api.postMultipart("/v1/datasets?labelled=true", "features.npz",
                FloatNpz.of(FloatNpz.gaussian(3, 8, 4), 8, 4));
        assertThat(r.status()).as(new String(r.body())).isEqualTo(422);
        assertThat(r.json().get("detail").asText()).contains("labelled=true").contains("holds no labels")
                .contains("the array y");
    }
}
