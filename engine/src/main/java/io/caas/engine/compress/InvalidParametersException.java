package io.caas.engine.compress;

import java.util.List;

/** Method parameters that cannot work with this model; every problem found is listed, not just the first. */
public class InvalidParametersException extends RuntimeException {

    private final List<String> problems;

    public InvalidParametersException(List<String> problems) {
        super(String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
