package io.caas.service.problem;

import java.util.UUID;

/** An id that names nothing (or something since deleted). */
public class NotFoundException extends RuntimeException {

    public NotFoundException(String kind, UUID id) {
        super(kind + " " + id + " not found");
    }
}
