package io.caas.service.storage;

import java.util.List;

/** A registry whose rows name objects in the store (models, datasets, job artifacts). */
public interface StoredObjectOwner {

    /** Every object its rows name, across tenants. */
    List<ObjectReference> references();
}
