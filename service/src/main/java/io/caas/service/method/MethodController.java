package io.caas.service.method;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.List;
import io.caas.service.config.ApiRole;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/v1/methods")
@ApiRole
@Tag(name = "methods")
class MethodController {

    private final MethodCatalog catalog;

    MethodController(MethodCatalog catalog) {
        this.catalog = catalog;
    }

    @GetMapping
    @Operation(operationId = "listMethods", summary = "List the compression methods with their parameters, defaults, ranges and layer types")
    MethodList list() {
        return new MethodList(catalog.descriptors().stream().map(MethodDescription::of).toList());
    }

    record MethodList(List<MethodDescription> items) {
    }
}
