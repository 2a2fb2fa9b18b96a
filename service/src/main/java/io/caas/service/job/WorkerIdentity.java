package io.caas.service.job;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** Names this worker in job records and events: host and process id, so a restarted container is a new worker. */
final class WorkerIdentity {

    private static final String NAME = host() + "/" + ManagementFactory.getRuntimeMXBean().getPid();

    private WorkerIdentity() {
    }

    static String name() {
        return NAME;
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown-host";
        }
    }
}
