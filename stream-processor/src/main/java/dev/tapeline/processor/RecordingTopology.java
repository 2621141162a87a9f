package dev.tapeline.processor;

import dev.tapeline.processor.internal.ChunkKeys;
import dev.tapeline.processor.state.ExchangeState;
import dev.tapeline.schema.CaptureEvent;
import dev.tapeline.schema.RecordedChunk;
import dev.tapeline.schema.Recording;
import dev.tapeline.schema.RequestStarted;
import dev.tapeline.schema.registry.SchemaRegistryClient;
import dev.tapeline.schema.serde.ConfluentAvroSerde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The stream processor as a pure function of its configuration: capture events in, one
 * Recording per finished exchange out.
 *
 * <p>Chunks are kept in their own store keyed by (completion id, sequence), so each chunk costs
 * one small put regardless of stream length; the request (its body can be 64 MB) is kept once in
 * a store of its own; the exchange store holds a small summary, rewritten at every event. The
 * recording is assembled once, by a range scan, when the outcome and every chunk are in.
 * Duplicates (same sequence) overwrite themselves; chunks may arrive in any order.
 */
public final class RecordingTopology {

    public static final String SOURCE = "capture-events-source";
    public static final String PROCESSOR = "assemble-recordings";
    public static final String SINK = "recordings-sink";
    public static final String DEAD_LETTER_SINK = "dead-letters-sink";

    private RecordingTopology() {}

    public static Topology build(ProcessorConfig config, SchemaRegistryClient registry) {
        return build(config, registry, Stores.persistentKeyValueStore(ProcessorConfig.CHUNK_STORE), true);
    }

    /**
     * The topology with another chunk store: for measuring alternatives (the benchmarks). A store
     * without its changelog ({@code logged} false) loses the chunks of open exchanges when its task
     * moves or the processor restarts: not for production.
     */
    public static Topology build(
            ProcessorConfig config,
            SchemaRegistryClient registry,
            KeyValueBytesStoreSupplier chunkStore,
            boolean logged) {
        ConfluentAvroSerde<CaptureEvent> events = ConfluentAvroSerde.forValues(CaptureEvent.getClassSchema(), registry);
        ConfluentAvroSerde<Recording> recordings = ConfluentAvroSerde.forValues(Recording.getClassSchema(), registry);
        ConfluentAvroSerde<ExchangeState> states =
                ConfluentAvroSerde.forValues(ExchangeState.getClassSchema(), registry);
        ConfluentAvroSerde<RecordedChunk> chunks =
                ConfluentAvroSerde.forValues(RecordedChunk.getClassSchema(), registry);
        ConfluentAvroSerde<RequestStarted> requests =
                ConfluentAvroSerde.forValues(RequestStarted.getClassSchema(), registry);

        Topology topology = new Topology();
        topology.addSource(SOURCE, Serdes.String().deserializer(), events, config.eventsTopic());
        topology.addProcessor(PROCESSOR, () -> new AssembleProcessor(config), SOURCE);
        // cached: the summary rewritten at every event, and a chunk or request put then deleted within one commit
        // interval, reach RocksDB and the changelog once per interval, not once per event (docs/benchmarks.md)
        topology.addStateStore(
                Stores.keyValueStoreBuilder(
                                Stores.persistentKeyValueStore(ProcessorConfig.EXCHANGE_STORE), Serdes.String(), states)
                        .withCachingEnabled(),
                PROCESSOR);
        StoreBuilder<KeyValueStore<Bytes, RecordedChunk>> chunkStoreBuilder =
                Stores.keyValueStoreBuilder(chunkStore, ChunkKeys.SERDE, chunks).withCachingEnabled();
        topology.addStateStore(logged ? chunkStoreBuilder : chunkStoreBuilder.withLoggingDisabled(), PROCESSOR);
        topology.addStateStore(
                Stores.keyValueStoreBuilder(
                                Stores.persistentKeyValueStore(ProcessorConfig.REQUEST_STORE),
                                Serdes.String(),
                                requests)
                        .withCachingEnabled(),
                PROCESSOR);
        topology.addSink(SINK, config.recordingsTopic(), Serdes.String().serializer(), recordings, PROCESSOR);
        topology.addSink(
                DEAD_LETTER_SINK, config.deadLettersTopic(), Serdes.String().serializer(), events, PROCESSOR);
        return topology;
    }
}
