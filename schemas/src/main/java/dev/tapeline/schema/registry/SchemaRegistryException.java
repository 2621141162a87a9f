package dev.tapeline.schema.registry;

/** The registry refused a request or could not be reached; the message says which and why. */
public class SchemaRegistryException extends RuntimeException {

    private final int status;
    private final int errorCode;

    public SchemaRegistryException(String message, int status, int errorCode, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.errorCode = errorCode;
    }

    /** HTTP status of the registry's answer, or 0 when there was none. */
    public int status() {
        return status;
    }

    /** Confluent error code (e.g. 40403 schema not found, 409 incompatible), or 0. */
    public int errorCode() {
        return errorCode;
    }
}
