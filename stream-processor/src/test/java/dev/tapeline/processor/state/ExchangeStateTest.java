package dev.tapeline.processor.state;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapeline.schema.registry.InMemorySchemaRegistry;
import dev.tapeline.schema.serde.ConfluentAvroSerde;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;

class ExchangeStateTest {

    @Test
    void givenStateAnEarlierVersionStoredUnderTheSchemasPackage_whenReadNow_thenTheAliasResolvesIt() throws Exception {
        // the store schema as earlier versions registered it: the same fields, the contract's namespace
        Schema earlier = new Schema.Parser()
                .parse(ExchangeState.getClassSchema()
                        .toString()
                        .replaceFirst(
                                "\"namespace\":\"dev.tapeline.processor.state\"",
                                "\"namespace\":\"dev.tapeline.schema.internal\"")
                        .replaceAll(",\"aliases\":\\[[^]]*]", ""));
        assertThat(earlier.getFullName()).isEqualTo("dev.tapeline.schema.internal.ExchangeState");
        InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
        int id = registry.register("tapeline-processor-exchange-state-store-changelog-value", earlier);
        GenericRecord stored = new GenericData.Record(earlier);
        stored.put("completionId", "c-1");
        stored.put("chunksReceived", 3L);
        stored.put("expectedChunks", -1L);
        stored.put("requestAtMs", 0L);
        stored.put("lastSeenMs", 17L);
        stored.put("emittedAtMs", -1L);

        ExchangeState read = ConfluentAvroSerde.<ExchangeState>forValues(ExchangeState.getClassSchema(), registry)
                .deserialize("tapeline-processor-exchange-state-store-changelog", confluentBytes(id, earlier, stored));

        assertThat(read.getCompletionId()).isEqualTo("c-1");
        assertThat(read.getChunksReceived()).isEqualTo(3L);
        assertThat(read.getLastSeenMs()).isEqualTo(17L);
    }

    private static byte[] confluentBytes(int id, Schema schema, GenericRecord record) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(ByteBuffer.allocate(4).putInt(id).array());
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(schema).write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }
}
