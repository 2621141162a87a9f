package dev.tapeline.schema.serde;

import dev.tapeline.schema.registry.SchemaRegistryClient;
import dev.tapeline.schema.registry.SchemaRegistryException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.ClassSecurityValidator;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Avro specific records in the Confluent wire format: magic byte 0, the schema's 4-byte
 * big-endian registry id, then Avro binary. The subject is {@code <topic>-value} (or
 * {@code -key}), Confluent's TopicNameStrategy. Null stays null (tombstones).
 */
public final class ConfluentAvroSerde<T extends SpecificRecord> implements Serde<T>, Serializer<T>, Deserializer<T> {

    static final byte MAGIC = 0;

    /** Bytes before the Avro body: the magic byte and the schema id. */
    public static final int HEADER_BYTES = 5;

    /**
     * The schema id a record written while the registry was unknown carries until
     * {@link #setSchemaId} puts the real one in: never a registry id, never sent as it is.
     */
    public static final int UNRESOLVED_ID = -1;

    static {
        trustTapelineSchemas();
    }

    private final Schema readerSchema;
    private final SchemaRegistryClient registry;
    private final boolean isKey;
    private final SpecificDatumWriter<T> writer;
    private final Map<Integer, SpecificDatumReader<T>> readers = new ConcurrentHashMap<>();
    private final Map<String, Integer> idsByTopic = new ConcurrentHashMap<>();

    public ConfluentAvroSerde(Schema schema, SchemaRegistryClient registry, boolean isKey) {
        this.readerSchema = schema;
        this.registry = registry;
        this.isKey = isKey;
        this.writer = new SpecificDatumWriter<>(schema, SpecificData.getForSchema(schema));
    }

    /** A value serde for records with the given schema. */
    public static <T extends SpecificRecord> ConfluentAvroSerde<T> forValues(
            Schema schema, SchemaRegistryClient registry) {
        return new ConfluentAvroSerde<>(schema, registry, false);
    }

    @Override
    public byte[] serialize(String topic, T data) {
        if (data == null) {
            return null;
        }
        return new Encoder().encode(data, schemaId(topic));
    }

    /**
     * The id of this serde's schema under {@code topic}'s subject, registered at the first call
     * (a registry call that throws {@link SchemaRegistryException} when the registry cannot be
     * reached), remembered after.
     */
    public int schemaId(String topic) {
        // once per topic: the registry client's own cache is keyed by the schema's text, costly to build per record
        return idsByTopic.computeIfAbsent(topic, t -> registry.register(t + (isKey ? "-key" : "-value"), readerSchema));
    }

    /**
     * The id {@link #schemaId} found for {@code topic}, or {@link #UNRESOLVED_ID} while it has not
     * been asked or the registry did not answer.
     */
    public int knownSchemaId(String topic) {
        return idsByTopic.getOrDefault(topic, UNRESOLVED_ID);
    }

    /** The schema id in a record's header. */
    public static int schemaIdOf(byte[] record) {
        return ByteBuffer.wrap(record, 1, 4).getInt();
    }

    /** An Avro body in the Confluent wire format: the magic byte, {@code schemaId}, then the body. */
    public static byte[] frame(int schemaId, byte[] avroBody) {
        byte[] record = new byte[HEADER_BYTES + avroBody.length];
        record[0] = MAGIC;
        setSchemaId(record, schemaId);
        System.arraycopy(avroBody, 0, record, HEADER_BYTES, avroBody.length);
        return record;
    }

    /** Puts {@code id} into a record's header, in place. */
    public static void setSchemaId(byte[] record, int id) {
        ByteBuffer.wrap(record, 1, 4).putInt(id);
    }

    /**
     * A writer of this serde's records that reuses its buffer and Avro encoder from record to
     * record: the bytes returned are the only allocation. For one thread.
     */
    public Encoder encoder() {
        return new Encoder();
    }

    /** See {@link #encoder()}. */
    public final class Encoder {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        private BinaryEncoder encoder;

        private Encoder() {}

        /** The record in the Confluent wire format with {@code schemaId} (may be {@link #UNRESOLVED_ID}). */
        public byte[] encode(T data, int schemaId) {
            out.reset();
            out.write(MAGIC);
            out.write(schemaId >>> 24);
            out.write(schemaId >>> 16);
            out.write(schemaId >>> 8);
            out.write(schemaId);
            try {
                encoder = EncoderFactory.get().directBinaryEncoder(out, encoder);
                writer.write(data, encoder);
                encoder.flush();
            } catch (IOException | RuntimeException e) {
                throw new SerializationException("cannot write " + readerSchema.getFullName(), e);
            }
            return out.toByteArray();
        }
    }

    @Override
    public T deserialize(String topic, byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        if (!isWireFormat(bytes)) {
            throw new SerializationException("not Confluent wire format on topic " + topic + ": "
                    + (bytes.length < HEADER_BYTES ? bytes.length + " bytes" : "magic byte " + bytes[0]));
        }
        int id = schemaIdOf(bytes);
        SpecificDatumReader<T> reader;
        try {
            reader = readers.computeIfAbsent(
                    id,
                    key -> new SpecificDatumReader<>(
                            registry.getById(key), readerSchema, SpecificData.getForSchema(readerSchema)));
        } catch (SchemaRegistryException e) {
            throw new SerializationException("cannot resolve schema id " + id + " of a record on topic " + topic, e);
        }
        try {
            BinaryDecoder decoder =
                    DecoderFactory.get().binaryDecoder(bytes, HEADER_BYTES, bytes.length - HEADER_BYTES, null);
            return reader.read(null, decoder);
        } catch (IOException | RuntimeException e) {
            throw new SerializationException(
                    "cannot read " + readerSchema.getFullName() + " (schema id " + id + ") from topic " + topic, e);
        }
    }

    /** Whether {@code bytes} start with a Confluent wire-format header. */
    public static boolean isWireFormat(byte[] bytes) {
        return bytes.length >= HEADER_BYTES && bytes[0] == MAGIC;
    }

    /**
     * Avro 1.12 only instantiates classes on an allow-list; add Tapeline's generated schema
     * classes (the contract's, and the processor's store state) to whatever the process already
     * trusts.
     */
    public static synchronized void trustTapelineSchemas() {
        ClassSecurityValidator.ClassSecurityPredicate current = ClassSecurityValidator.getGlobal();
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(
                current,
                type -> type.getName().startsWith("dev.tapeline.schema.")
                        || type.getName().startsWith("dev.tapeline.processor.state.")));
    }

    @Override
    public Serializer<T> serializer() {
        return this;
    }

    @Override
    public Deserializer<T> deserializer() {
        return this;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean key) {
        // configured through the constructor
    }

    @Override
    public void close() {
        // nothing held
    }
}
