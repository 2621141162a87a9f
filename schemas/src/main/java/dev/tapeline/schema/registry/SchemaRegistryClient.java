package dev.tapeline.schema.registry;

import org.apache.avro.Schema;

/** The part of the Confluent Schema Registry API that a serde needs. */
public interface SchemaRegistryClient {

    /** Registers the schema under the subject (idempotent) and returns its global id. */
    int register(String subject, Schema schema);

    /** The schema with this global id. */
    Schema getById(int id);
}
