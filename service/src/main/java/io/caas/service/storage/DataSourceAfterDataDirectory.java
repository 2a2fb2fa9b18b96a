package io.caas.service.storage;

import javax.sql.DataSource;
import org.springframework.boot.autoconfigure.AbstractDependsOnBeanFactoryPostProcessor;
import org.springframework.stereotype.Component;

/**
 * The embedded database creates its files under the data folder when the data source first connects; they must
 * be created inside a folder that is already private, so the data source waits for {@link DataDirectory}.
 */
@Component
class DataSourceAfterDataDirectory extends AbstractDependsOnBeanFactoryPostProcessor {

    DataSourceAfterDataDirectory() {
        super(DataSource.class, "dataDirectory");
    }
}
