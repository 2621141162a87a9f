package dev.tapeline.bench;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;

/**
 * The client driver of the load harness: {@code concurrency} streaming (or non-streaming) clients,
 * each sending its next request as soon as the previous answer ended, for a warm-up and then a
 * measured period, on a fresh connection per request or on kept-alive ones. Measures the time to
 * the status line (request sent to the response's status and headers), to the first chunk (to the
 * first SSE event, or to the whole JSON body) and each chunk's latency (written by the upstream to
 * read here, same JVM clock), and the CPU time the processes under test used in the measured period.
 */
final class LoadClient {

    /**
     * One workload.
     *
     * @param concurrency clients at once
     * @param chunks      SSE chunks per answer; 0: a non-streaming JSON answer
     * @param chunkBytes  padding per chunk
     * @param intervalMs  between chunks
     * @param warmup      not measured
     * @param measured    measured
     * @param keepAlive   requests on kept-alive connections; false: a fresh connection per request
     */
    record Workload(
            int concurrency,
            int chunks,
            int chunkBytes,
            int intervalMs,
            Duration warmup,
            Duration measured,
            boolean keepAlive) {}

    /** CPU time used by the proxy's processes and by the rest of a pipeline behind it. */
    record Cpu(Duration proxy, Duration pipeline) {
        static final Cpu NONE = new Cpu(Duration.ZERO, Duration.ZERO);

        Cpu minus(Cpu other) {
            return new Cpu(proxy.minus(other.proxy), pipeline.minus(other.pipeline));
        }
    }

    /** What a run measured; latencies in microseconds; {@code cpu}: used by the processes under test while measured. */
    record Result(
            Histogram head,
            Histogram firstChunk,
            Histogram chunk,
            long streams,
            long chunks,
            long errors,
            double seconds,
            Cpu cpu) {

        double streamsPerSecond() {
            return streams / seconds;
        }

        double chunksPerSecond() {
            return chunks / seconds;
        }
    }

    private static final long HIGHEST = TimeUnit.SECONDS.toMicros(60);
    /** Request ids, unique across the runs of one JVM: every request names a fixture of its own. */
    private static final AtomicLong IDS = new AtomicLong(System.currentTimeMillis() * 1000);

    private LoadClient() {}

    static Result run(String baseUrl, Workload workload) throws Exception {
        return run(baseUrl, workload, () -> Cpu.NONE);
    }

    /** @param cpu the CPU time the processes under test have used so far, read as the measured period starts and ends */
    static Result run(String baseUrl, Workload workload, Supplier<Cpu> cpu) throws Exception {
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        HttpClient client = vertx.createHttpClient(
                new HttpClientOptions()
                        .setTcpNoDelay(true)
                        .setKeepAlive(workload.keepAlive())
                        .setIdleTimeout(0),
                new PoolOptions().setHttp1MaxSize(workload.concurrency()));
        Driver driver = new Driver(vertx, client, java.net.URI.create(baseUrl), workload);
        AtomicReference<Cpu> cpuFrom = new AtomicReference<>(Cpu.NONE);
        AtomicReference<Cpu> cpuUsed = new AtomicReference<>(Cpu.NONE);
        vertx.setTimer(Math.max(1, workload.warmup().toMillis()), t -> cpuFrom.set(cpu.get()));
        vertx.setTimer(
                workload.warmup().plus(workload.measured()).toMillis(),
                t -> cpuUsed.set(cpu.get().minus(cpuFrom.get())));
        for (int i = 0; i < workload.concurrency(); i++) {
            vertx.runOnContext(v -> driver.next());
        }
        driver.done.await(workload.warmup().plus(workload.measured()).toSeconds() + 120, TimeUnit.SECONDS);
        client.close().await(10, TimeUnit.SECONDS);
        vertx.close().await(10, TimeUnit.SECONDS);
        return new Result(
                driver.head,
                driver.firstChunk,
                driver.chunk,
                driver.streams.get(),
                driver.chunks.get(),
                driver.errors.get(),
                workload.measured().toNanos() / 1e9,
                cpuUsed.get());
    }

    /** The clients of one run: each sends its next request when its previous answer ends. */
    private static final class Driver {
        final Vertx vertx;
        final HttpClient client;
        final java.net.URI base;
        final Workload workload;
        final byte[] body;
        final long measureFrom;
        final long measureUntil;
        final Histogram head = new Histogram(HIGHEST, 3);
        final Histogram firstChunk = new Histogram(HIGHEST, 3);
        final Histogram chunk = new Histogram(HIGHEST, 3);
        final AtomicLong streams = new AtomicLong();
        final AtomicLong chunks = new AtomicLong();
        final AtomicLong errors = new AtomicLong();
        final CountDownLatch done;

        Driver(Vertx vertx, HttpClient client, java.net.URI base, Workload workload) {
            this.vertx = vertx;
            this.client = client;
            this.base = base;
            this.workload = workload;
            this.body = ("{\"model\":\"bench\",\"messages\":[{\"role\":\"user\",\"content\":\"go\"}],\"stream\":"
                            + (workload.chunks() > 0) + "}")
                    .getBytes(StandardCharsets.UTF_8);
            this.measureFrom = System.nanoTime() + workload.warmup().toNanos();
            this.measureUntil = measureFrom + workload.measured().toNanos();
            this.done = new CountDownLatch(workload.concurrency());
        }

        void next() {
            long sent = System.nanoTime();
            if (sent >= measureUntil) {
                done.countDown();
                return;
            }
            boolean measured = sent >= measureFrom;
            long id = IDS.incrementAndGet();
            RequestOptions options = new RequestOptions()
                    .setMethod(HttpMethod.POST)
                    .setHost(base.getHost())
                    .setPort(base.getPort())
                    .setURI("/v1/chat/completions")
                    .putHeader("Content-Type", "application/json")
                    .putHeader("X-Bench-Id", Long.toString(id))
                    .putHeader("X-Bench-Chunks", Integer.toString(workload.chunks()))
                    .putHeader("X-Bench-Bytes", Integer.toString(workload.chunkBytes()))
                    .putHeader("X-Bench-Interval-Ms", Integer.toString(workload.intervalMs()))
                    .putHeader("X-Test-Id", "tests/integration/bench/test_load.py::test_stream[" + id + "]");
            client.request(options)
                    .compose(request -> request.send(Buffer.buffer(body)))
                    .onSuccess(response -> {
                        if (measured) {
                            head.recordValue(micros(System.nanoTime() - sent));
                        }
                        Stream stream = new Stream(sent, measured);
                        response.handler(data -> stream.read(data));
                        response.endHandler(v -> {
                            if (measured) {
                                if (workload.chunks() == 0) {
                                    firstChunk.recordValue(micros(System.nanoTime() - sent));
                                }
                                streams.incrementAndGet();
                            }
                            next();
                        });
                        response.exceptionHandler(e -> failed());
                    })
                    .onFailure(e -> failed());
        }

        private void failed() {
            errors.incrementAndGet();
            vertx.setTimer(10, t -> next());
        }

        /** One answer being read: finds each chunk's send time as it arrives. */
        private final class Stream {
            final long sent;
            final boolean measured;
            final StringBuilder pending = new StringBuilder();
            boolean first = true;

            Stream(long sent, boolean measured) {
                this.sent = sent;
                this.measured = measured;
            }

            void read(Buffer data) {
                long now = System.nanoTime();
                if (workload.chunks() == 0) {
                    return;
                }
                pending.append(data.toString(StandardCharsets.UTF_8));
                int at;
                while ((at = pending.indexOf(LoadUpstream.STAMP)) >= 0) {
                    int from = at + LoadUpstream.STAMP.length();
                    int to = pending.indexOf(";", from);
                    if (to < 0) {
                        return;
                    }
                    long written = Long.parseLong(pending, from, to, 10);
                    pending.delete(0, to);
                    if (measured) {
                        if (first) {
                            firstChunk.recordValue(micros(now - sent));
                        }
                        chunk.recordValue(micros(now - written));
                        chunks.incrementAndGet();
                    }
                    first = false;
                }
                if (pending.length() > 1 << 16) {
                    pending.delete(0, pending.length() - 64);
                }
            }
        }
    }

    private static long micros(long nanos) {
        return Math.min(HIGHEST, Math.max(0, nanos / 1000));
    }
}
