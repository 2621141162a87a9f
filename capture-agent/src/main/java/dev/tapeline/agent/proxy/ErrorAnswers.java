package dev.tapeline.agent.proxy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tapeline.fixture.python.PyJson;
import io.vertx.core.http.HttpServerResponse;

/** The agent's own answers, in the OpenAI error shape an SDK reads: {@code {"error": {message, type, code}}}. */
public final class ErrorAnswers {

    private ErrorAnswers() {}

    /** Answers with the error unless the response already ended or its connection is gone. */
    public static void send(HttpServerResponse response, int status, String code, String message) {
        send(response, status, code, message, null);
    }

    /** The same with what the agent found out, as {@code error.nearest} (a replay miss's nearest recording), unless null. */
    public static void send(HttpServerResponse response, int status, String code, String message, ObjectNode nearest) {
        if (response.ended() || response.closed()) {
            return;
        }
        ObjectNode error = JsonNodeFactory.instance.objectNode();
        ObjectNode body = error.putObject("error")
                .put("message", message)
                .put("type", "tapeline_error")
                .put("code", code);
        if (nearest != null) {
            body.set("nearest", nearest);
        }
        response.setStatusCode(status)
                .putHeader("Content-Type", "application/json")
                .end(PyJson.dumpsCompact(error));
    }
}
