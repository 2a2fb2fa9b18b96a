package io.caas.service.support;

import static org.assertj.core.api.Assertions.assertThat;

/** What every refusal of the API looks like to a client. */
public final class Problems {

    private Problems() {
    }

    /** problem+json with this status and {@code urn:caas:problem:<type>}, and nothing of a stack trace. */
    public static void assertProblem(Api.Response r, int status, String type) {
        assertThat(r.status()).as(new String(r.body())).isEqualTo(status);
        assertThat(r.contentType()).as(new String(r.body())).isEqualTo("application/problem+json");
        assertThat(r.json().path("type").asText()).as(new String(r.body())).isEqualTo("urn:caas:problem:" + type);
        assertThat(new String(r.body())).doesNotContain("Exception").doesNotContain("\tat ");
    }

    /** The same, for an answer read off a bare socket. */
    public static void assertProblem(HeldConnection.Response r, int status, String type) {
        assertThat(r.status()).as(r.text()).isEqualTo(status);
        assertThat(r.header("content-type")).as(r.text()).startsWith("application/problem+json");
        assertThat(r.json().path("type").asText()).as(r.text()).isEqualTo("urn:caas:problem:" + type);
        assertThat(r.json().path("status").asInt()).isEqualTo(status);
        assertThat(r.text()).doesNotContain("Exception").doesNotContain("\tat ");
    }
}
