package io.caas.service.job;

import io.caas.service.support.PostgresServiceTest;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

class JobStateMachinePostgresTest extends PostgresServiceTest implements JobStateMachineContract {

    @Autowired JobStateMachine machine;
    @Autowired JobRepository jobs;
    @Autowired JobEventRepository events;
    @Autowired JdbcClient jdbc;

    @Override public JobStateMachine machine() { return machine; }
    @Override public JobRepository jobs() { return jobs; }
    @Override public JobEventRepository events() { return events; }
    @Override public JdbcClient jdbc() { return jdbc; }
}
