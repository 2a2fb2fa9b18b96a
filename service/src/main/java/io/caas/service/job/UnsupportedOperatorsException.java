package io.caas.service.job;

import java.util.List;

/** The job needs to run the model (fine-tuning, evaluation) and the model uses operators the engine cannot run. */
public class UnsupportedOperatorsException extends RuntimeException {

    private final List<String> operators;

    public UnsupportedOperatorsException(String message, List<String> operators) {
        super(message);
        this.operators = List.copyOf(operators);
    }

    public List<String> operators() {
        return operators;
    }
}
